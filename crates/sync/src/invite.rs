//! The pairing link a QR code carries: the one-time code and where to reach the device that
//! shows it. One text form serves every joiner:
//!
//! ```text
//! rapport:pair?code=7-harbor-velvet&addr=192.0.2.4:7448&id=<device id>&wt=192.0.2.4:7450&cert=<h>&cert=<h>
//! https://app.example/rapport/#pair?code=7-harbor-velvet&addr=…&id=…&wt=…&cert=…&cert=…
//! ```
//!
//! - `code`: the pairing code (required);
//! - `addr`: the device's QUIC pairing addresses, for `rapport join` (any number);
//! - `id`: the device id of the device that shows the code;
//! - `wt`: its WebTransport addresses, for a browser (any number, most likely first);
//! - `cert`: base64url (no padding) SHA-256 of its WebTransport certificates, the one served
//!   now first, then the next (a browser pins them, `serverCertificateHashes`).
//!
//! The second form is the phone app's address with the same query in its fragment: a phone's
//! camera opens it in the browser, and the fragment never reaches the server that hosts the
//! app. Pure text handling: it runs natively and in the browser's WebAssembly build alike.

use crate::browser::{CERT_HASH_LEN, MAX_REACH_ADDRS, MAX_REACH_HASHES};
use crate::pairing::{PairingCode, ParseCodeError};
use data_encoding::BASE64URL_NOPAD;
use rapport_model::DeviceId;
use std::net::SocketAddr;

/// URI scheme of the link a QR code carries when no app address is known.
pub const URI_SCHEME: &str = "rapport:";
/// What follows the app's address in a pairing link for the phone app.
pub const FRAGMENT: &str = "#pair?";

/// What a pairing link (or a bare code) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub code: PairingCode,
    /// QUIC addresses for `rapport join`.
    pub addresses: Vec<SocketAddr>,
    pub device: Option<DeviceId>,
    /// WebTransport addresses for a browser.
    pub browser: Vec<SocketAddr>,
    /// WebTransport certificate hashes: served now, then next.
    pub cert_hashes: Vec<[u8; CERT_HASH_LEN]>,
}

/// A pairing code or link that does not parse; the sentence says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvitationError {
    #[error("{0}")]
    Code(#[from] ParseCodeError),
    #[error("`{0}` is not a rapport pairing link: scan the QR code `rapport pair` shows, or type its code")]
    NotALink(String),
    #[error("the pairing link has no code: scan it again")]
    NoCode,
}

impl Invitation {
    /// A bare code: nothing to say where the device is.
    pub fn code_only(code: PairingCode) -> Invitation {
        Invitation {
            code,
            addresses: Vec::new(),
            device: None,
            browser: Vec::new(),
            cert_hashes: Vec::new(),
        }
    }

    /// The query both link forms share.
    fn query(&self) -> String {
        let mut s = format!("code={}", self.code);
        for a in &self.addresses {
            s.push_str(&format!("&addr={a}"));
        }
        if let Some(d) = self.device {
            s.push_str(&format!("&id={d}"));
        }
        for a in self.browser.iter().take(MAX_REACH_ADDRS) {
            s.push_str(&format!("&wt={a}"));
        }
        for h in self.cert_hashes.iter().take(MAX_REACH_HASHES) {
            s.push_str(&format!("&cert={}", BASE64URL_NOPAD.encode(h)));
        }
        s
    }

    /// The link: the phone app's address (`app`, e.g. `https://app.example/rapport/`) with
    /// the query in its fragment, or without one the `rapport:` link.
    pub fn link(&self, app: Option<&str>) -> String {
        match app {
            Some(app) => {
                let base = app.split('#').next().unwrap_or(app);
                format!("{base}{FRAGMENT}{}", self.query())
            }
            None => format!("{URI_SCHEME}pair?{}", self.query()),
        }
    }

    /// Reads a bare code, a `rapport:pair?…` link, or any address whose fragment is
    /// `#pair?…`. Unknown keys are skipped, so a newer link still pairs an older joiner, and
    /// an address or hash that does not parse is left out rather than refused (the code is
    /// what pairing needs; the rest saves a search).
    pub fn parse(text: &str) -> Result<Invitation, InvitationError> {
        let text = text.trim();
        let query = if let Some(rest) = text.strip_prefix(URI_SCHEME) {
            rest.strip_prefix("pair?")
                .ok_or_else(|| InvitationError::NotALink(text.to_owned()))?
        } else if let Some((_, rest)) = text.split_once(FRAGMENT) {
            rest
        } else if text.contains("://") {
            return Err(InvitationError::NotALink(text.to_owned()));
        } else {
            return Ok(Invitation::code_only(text.parse()?));
        };
        let mut code = None;
        let (mut addresses, mut device, mut browser, mut cert_hashes) =
            (Vec::new(), None, Vec::new(), Vec::new());
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "code" => code = Some(v.parse::<PairingCode>()?),
                "addr" => addresses.extend(v.parse::<SocketAddr>().ok()),
                "id" => device = v.parse().ok(),
                "wt" if browser.len() < MAX_REACH_ADDRS => {
                    browser.extend(v.parse::<SocketAddr>().ok())
                }
                "cert" if cert_hashes.len() < MAX_REACH_HASHES => cert_hashes.extend(
                    BASE64URL_NOPAD
                        .decode(v.as_bytes())
                        .ok()
                        .and_then(|b| <[u8; CERT_HASH_LEN]>::try_from(b).ok()),
                ),
                _ => {}
            }
        }
        Ok(Invitation {
            code: code.ok_or(InvitationError::NoCode)?,
            addresses,
            device,
            browser,
            cert_hashes,
        })
    }
}

/// `%XX` escapes undone (a camera app or a chat may escape `[`, `]` or `:`); anything that is
/// not a valid escape stays as it is.
fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Invitation {
        Invitation {
            code: "7-abandon-zoo".parse().unwrap(),
            addresses: vec!["192.0.2.4:7448".parse().unwrap()],
            device: Some(DeviceId::from_bytes([9; 32])),
            browser: vec![
                "192.0.2.4:7450".parse().unwrap(),
                "[2001:db8::1]:7450".parse().unwrap(),
            ],
            cert_hashes: vec![[1; 32], [2; 32]],
        }
    }

    #[test]
    fn both_link_forms_round_trip() {
        let inv = full();
        let native = inv.link(None);
        assert!(
            native.starts_with("rapport:pair?code=7-abandon-zoo&"),
            "{native}"
        );
        assert_eq!(Invitation::parse(&native).unwrap(), inv);
        let web = inv.link(Some("https://app.example/rapport/"));
        assert!(
            web.starts_with("https://app.example/rapport/#pair?code="),
            "{web}"
        );
        assert_eq!(Invitation::parse(&web).unwrap(), inv);
        // Compact enough for a QR code a phone reads at arm's length.
        assert!(web.len() < 320, "{} chars: {web}", web.len());
    }

    #[test]
    fn a_bare_code_an_escaped_link_and_junk() {
        let bare = Invitation::parse(" 7-abandon-zoo ").unwrap();
        assert_eq!(
            bare,
            Invitation::code_only("7-abandon-zoo".parse().unwrap())
        );
        let escaped = full()
            .link(Some("https://a.example/"))
            .replace('[', "%5B")
            .replace(']', "%5D");
        assert_eq!(Invitation::parse(&escaped).unwrap(), full());
        // Unknown keys and unparsable values are skipped; no code is an error.
        let odd =
            Invitation::parse("rapport:pair?code=7-abandon-zoo&wt=nope&cert=AA&new=1").unwrap();
        assert!(odd.browser.is_empty() && odd.cert_hashes.is_empty());
        assert_eq!(
            Invitation::parse("rapport:pair?wt=1.2.3.4:5"),
            Err(InvitationError::NoCode)
        );
        assert!(matches!(
            Invitation::parse("https://app.example/"),
            Err(InvitationError::NotALink(_))
        ));
        assert!(matches!(
            Invitation::parse("rapport:join?x"),
            Err(InvitationError::NotALink(_))
        ));
        assert!(Invitation::parse("not a code").is_err());
    }
}
