//! A pairing window on this device: makes a one-time code, shows it (text, QR, or JSON for
//! scripts), announces it on the LAN, and runs the exchange (`rapport_net::pairing`) against the
//! shared replica, so a running daemon keeps serving sync during the window. Also the pairing
//! link a QR code carries, and its parser for `join`.

use crate::host::Host;
use crate::replica::StoreReplica;
use crate::NodeError;
use rapport_model::DeviceId;
use rapport_net::pairing::{Paired, PairingEndpoint};
use rapport_net::{with_replica, Shared};
use rapport_sync::pairing::{Host as PairingHost, PairingCode};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use crate::BrowserInfo;
pub use rapport_sync::invite::{Invitation, URI_SCHEME};

/// The first line of `pair --json`.
#[derive(Debug, serde::Serialize)]
struct PairJson<'a> {
    code: String,
    addresses: &'a [String],
    device_id: String,
    expires_in_s: u64,
    /// What the QR code carries (`rapport_sync::invite`).
    link: &'a str,
}

/// Options of a pairing window.
#[derive(Debug, Clone)]
pub struct Window {
    pub listen: SocketAddr,
    pub timeout: Duration,
    pub json: bool,
    pub no_discovery: bool,
    /// The daemon's WebTransport side, when it serves browsers: the link then tells a browser
    /// where to reach it and which certificates to pin.
    pub browser: Option<BrowserInfo>,
}

fn now_ms() -> u64 {
    u64::try_from(crate::peers::now_ms()).unwrap_or(0)
}

/// What a pairing window tells its watcher while it runs, in order: `Open` (the code, before
/// the window waits), then any `Notice`. Typed so that the daemon can send it over its socket
/// and the CLI can render it exactly as a window run in its own process does (`lines`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PairingEvent {
    Open {
        code: String,
        addresses: Vec<String>,
        device_id: String,
        expires_in_s: u64,
        /// The `rapport:` link the QR code carries.
        link: String,
    },
    /// Something the user should know (the window could not be announced on the LAN).
    Notice(String),
}

impl PairingEvent {
    /// The lines a terminal shows for this event; with `json`, the code is one JSON line (the
    /// first line of `pair --json`, for scripts).
    pub fn lines(&self, json: bool) -> Vec<String> {
        match self {
            PairingEvent::Open {
                code,
                addresses,
                device_id,
                expires_in_s,
                link,
            } => {
                let first = if json {
                    serde_json::to_string(&PairJson {
                        code: code.clone(),
                        addresses,
                        device_id: device_id.clone(),
                        expires_in_s: *expires_in_s,
                        link,
                    })
                    // Strings and numbers always serialise; the text form is the fallback.
                    .unwrap_or_else(|_| format!("pairing code: {code}"))
                } else {
                    format!("pairing code: {code}")
                };
                vec![
                    first,
                    qr(link),
                    format!(
                        "On the new device run `rapport join {code}` (add `--addr {}` if it is not on this network). Waiting {expires_in_s} s for it…",
                        addresses.first().map(String::as_str).unwrap_or("HOST:PORT"),
                    ),
                ]
            }
            PairingEvent::Notice(why) => vec![why.clone()],
        }
    }
}

/// How a window ended with a device paired.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PairingDone {
    pub name: String,
    pub device: String,
    pub handshake_ms: u64,
    /// The bytes of the vault sent to it, or why sending it failed (it is trusted either way).
    pub sent: Result<u64, String>,
}

impl PairingDone {
    /// The closing sentence of `rapport pair`.
    pub fn sentence(&self) -> String {
        let (name, device) = (&self.name, &self.device);
        match &self.sent {
            Ok(bytes) => format!(
                "paired {name} ({device}) in {} ms; it received the vault ({bytes} bytes)",
                self.handshake_ms
            ),
            Err(e) => format!(
                "paired {name} ({device}), which is now trusted, but sending it the vault failed ({e}): on it, run `rapport sync --addr` with this device's address"
            ),
        }
    }
}

/// Runs one window, its output as lines of text: those for the user go to `lines` as soon as
/// they are known (the code first); the result is the closing sentence.
pub async fn run<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    window: Window,
    lines: mpsc::UnboundedSender<String>,
) -> Result<String, NodeError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PairingEvent>();
    let json = window.json;
    let forward = async move {
        while let Some(event) = rx.recv().await {
            for line in event.lines(json) {
                let _ = lines.send(line);
            }
        }
    };
    let (result, ()) = tokio::join!(run_events(replica, window, tx), forward);
    Ok(result?.sentence())
}

/// Runs one window: what the user should see goes to `events` as soon as it is known (the
/// code first); the result says which device paired.
pub async fn run_events<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    window: Window,
    events: mpsc::UnboundedSender<PairingEvent>,
) -> Result<PairingDone, NodeError> {
    let (identity, me, vault_id) = with_replica(replica, |r| {
        (r.home.identity().clone(), r.device, r.vault_id)
    })
    .await?;
    let code = PairingCode::generate(&mut rand::rngs::OsRng);
    let endpoint = PairingEndpoint::bind(window.listen, &identity)?;
    let bound = endpoint.local_addr()?;
    let addresses: Vec<String> = crate::advertise::advertised(bound)
        .iter()
        .map(|a| a.to_string())
        .collect();
    let _ = events.send(PairingEvent::Open {
        code: code.to_string(),
        link: uri(&code, &addresses, me, window.browser.as_ref()),
        addresses,
        device_id: me.to_string(),
        expires_in_s: window.timeout.as_secs(),
    });
    let nameplate = code.nameplate();
    let no_discovery = window.no_discovery;
    // Unregistered when dropped, at the end of the window.
    let announced = tokio::task::spawn_blocking(move || {
        crate::lan::announce_pairing(nameplate, bound, no_discovery)
    })
    .await
    .map_err(|_| NodeError::PairingStopped)?;
    let _announcement = match announced {
        Ok(a) => Some(a),
        Err(why) => {
            let _ = events.send(PairingEvent::Notice(why));
            None
        }
    };
    // Nothing more will be said: a watcher that drains events sees them end here.
    drop(events);
    let deadline = Instant::now() + window.timeout;
    let host = PairingHost::new(
        code,
        me,
        vault_id,
        now_ms().saturating_add(window.timeout.as_millis() as u64),
    );
    // Browsers that prove their key over the daemon's WebTransport endpoint and ask to pair
    // come to this window too, for the same code (one guess in all).
    let (to_window, browsers) = mpsc::channel(4);
    with_replica(replica, move |r| r.browser_pairing = Some(to_window)).await?;
    let result = endpoint
        .host_with_browsers(host, replica.clone(), deadline, now_ms, browsers)
        .await;
    let _ = with_replica(replica, |r| r.browser_pairing = None).await;
    endpoint.close().await;
    Ok(done(&result?))
}

fn done(p: &Paired) -> PairingDone {
    PairingDone {
        name: p.name.clone(),
        device: p.device.to_string(),
        handshake_ms: u64::try_from(p.handshake.as_millis()).unwrap_or(u64::MAX),
        sent: match &p.clone {
            Ok(report) => Ok(report.bytes_sent),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// The link the QR code carries (`rapport_sync::invite`): the code, the QUIC `addresses`,
/// the device, and, when it serves browsers, its WebTransport addresses and certificate
/// hashes; with the phone app's address (`serve --app-url`), an address a phone's camera
/// opens in the app.
pub fn uri(
    code: &PairingCode,
    addresses: &[String],
    device: DeviceId,
    browser: Option<&BrowserInfo>,
) -> String {
    let mut inv = Invitation::code_only(code.clone());
    inv.addresses = addresses.iter().filter_map(|a| a.parse().ok()).collect();
    inv.device = Some(device);
    if let Some(b) = browser {
        inv.browser = b.addrs.clone();
        inv.cert_hashes = b.hashes();
    }
    inv.link(browser.and_then(|b| b.app_url.as_deref()))
}

/// A pairing code or link that does not parse; the sentence says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInvitation(pub String);

/// What `join` was given: a code, or a scanned link with addresses and the device id.
pub fn parse_invitation(text: &str) -> Result<Invitation, BadInvitation> {
    Invitation::parse(text).map_err(|e| BadInvitation(e.to_string()))
}

/// The QR code as text (two rows of modules per line, so it stays square in a terminal).
fn qr(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::unicode::Dense1x2>()
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_round_trip_through_the_uri() {
        let code: PairingCode = "7-abandon-zoo".parse().expect("code");
        let id = DeviceId::from_bytes([9; 32]);
        let link = uri(&code, &["127.0.0.1:7448".into()], id, None);
        let inv = parse_invitation(&link).expect("parses");
        assert_eq!(inv.code, code);
        assert_eq!(
            inv.addresses,
            vec!["127.0.0.1:7448".parse::<SocketAddr>().expect("addr")]
        );
        assert_eq!(inv.device, Some(id));
        assert!(!qr(&link).is_empty());
    }

    #[test]
    fn a_daemon_serving_browsers_puts_its_webtransport_side_in_the_link() {
        let code: PairingCode = "7-abandon-zoo".parse().expect("code");
        let id = DeviceId::from_bytes([9; 32]);
        let info = BrowserInfo {
            addr: "127.0.0.1:7450".parse().expect("addr"),
            addrs: vec!["127.0.0.1:7450".parse().expect("addr")],
            app_url: Some("https://app.example/rapport/".into()),
            cert_hashes: vec!["11".repeat(32), "22".repeat(32)],
            expires_at: 0,
            device_id: id.to_string(),
            vault_id: "1".into(),
        };
        let link = uri(&code, &["127.0.0.1:7448".into()], id, Some(&info));
        assert!(
            link.starts_with("https://app.example/rapport/#pair?code=7-abandon-zoo&"),
            "{link}"
        );
        let inv = parse_invitation(&link).expect("parses");
        assert_eq!(inv.browser, info.addrs);
        assert_eq!(inv.cert_hashes, vec![[0x11; 32], [0x22; 32]]);
        assert_eq!(inv.device, Some(id));
    }

    #[test]
    fn a_pairing_event_renders_as_text_or_as_the_json_line_scripts_read() {
        let open = PairingEvent::Open {
            code: "7-abandon-zoo".into(),
            addresses: vec!["127.0.0.1:7448".into()],
            device_id: "XXXX".into(),
            expires_in_s: 300,
            link: "rapport:pair?code=7-abandon-zoo".into(),
        };
        let text = open.lines(false);
        assert_eq!(text[0], "pairing code: 7-abandon-zoo");
        assert!(text[2].contains("--addr 127.0.0.1:7448") && text[2].contains("300 s"));
        let json: serde_json::Value = serde_json::from_str(&open.lines(true)[0]).expect("json");
        assert_eq!(json["code"], "7-abandon-zoo");
        assert_eq!(json["expires_in_s"], 300);
        let failed = PairingDone {
            name: "phone".into(),
            device: "D".into(),
            handshake_ms: 3,
            sent: Err("gone".into()),
        };
        assert!(failed.sentence().contains("now trusted") && failed.sentence().contains("gone"));
    }
}
