//! The WebTransport certificates: short-lived, made with the device's own P-256 key, rotated
//! well before they expire, and pinned by browsers through their SHA-256.
//!
//! Chromium accepts a hash-pinned certificate only if it is ECDSA P-256 and valid for at most
//! 14 days (15 fails). So the daemon holds two: `current`, which it serves, and `next`, whose
//! validity starts [`ROTATE_AFTER`] after `current`'s. Both hashes are published (to a browser
//! at pairing, at each sync and by the web app's `/app/wt.json`). When `current` has less
//! than 7 days left, `next` takes its place and a new `next` is made. A browser that syncs at
//! least every [`ROTATE_AFTER`] days therefore always holds the hash being served.

use crate::error::TransportError;
use crate::NetError;
use rapport_identity::DeviceIdentity;
use std::time::Duration;

const DAY: u64 = 86_400;
/// How long each certificate is valid: under Chromium's 14 days, with a day of slack for a
/// browser's clock.
pub const CERT_VALIDITY: Duration = Duration::from_secs(13 * DAY);
/// After this long, `next` replaces `current` (which then has 7 days left).
pub const ROTATE_AFTER: Duration = Duration::from_secs(6 * DAY);
/// A certificate starts this long before it is made, so a browser whose clock is a little
/// behind still finds it valid.
const BACKDATE: u64 = 3_600;
/// Version byte of [`WtCertificates::to_bytes`].
const FORMAT: u8 = 1;

/// One WebTransport certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct WtCertificate {
    der: Vec<u8>,
    not_before: u64,
}

impl std::fmt::Debug for WtCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WtCertificate")
            .field("not_before", &self.not_before)
            .field("hash", &hex(&self.hash()))
            .finish()
    }
}

impl WtCertificate {
    fn make(identity: &DeviceIdentity, not_before: u64) -> Result<WtCertificate, NetError> {
        let der = identity
            .short_lived_cert(not_before, CERT_VALIDITY)
            .map_err(|e| NetError::Tls(TransportError::new(e)))?;
        Ok(WtCertificate { der, not_before })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the DER: what `serverCertificateHashes` pins.
    pub fn hash(&self) -> [u8; 32] {
        let d = ring::digest::digest(&ring::digest::SHA256, &self.der);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }

    /// Unix seconds.
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// Unix seconds.
    pub fn not_after(&self) -> u64 {
        self.not_before + CERT_VALIDITY.as_secs()
    }
}

/// The certificate served now and the one that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WtCertificates {
    current: WtCertificate,
    next: WtCertificate,
}

impl WtCertificates {
    /// A fresh pair, the current one valid from a little before `now` (Unix seconds).
    pub fn new(identity: &DeviceIdentity, now: u64) -> Result<WtCertificates, NetError> {
        let start = now.saturating_sub(BACKDATE);
        Ok(WtCertificates {
            current: WtCertificate::make(identity, start)?,
            next: WtCertificate::make(identity, start + ROTATE_AFTER.as_secs())?,
        })
    }

    /// Rotates if `current` has less than 7 days left at `now`: `next` is served and a new
    /// `next` made; if even `next` is that old (the daemon was off for a week), both are made
    /// afresh. Returns whether anything changed (then persist and reload).
    pub fn refresh(&mut self, identity: &DeviceIdentity, now: u64) -> Result<bool, NetError> {
        let rotate = ROTATE_AFTER.as_secs();
        if now < self.current.not_before + rotate {
            return Ok(false);
        }
        if now < self.next.not_before + rotate {
            let next = WtCertificate::make(identity, self.next.not_before + rotate)?;
            self.current = std::mem::replace(&mut self.next, next);
        } else {
            *self = WtCertificates::new(identity, now)?;
        }
        Ok(true)
    }

    /// The certificate to serve.
    pub fn serving(&self) -> &WtCertificate {
        &self.current
    }

    /// The hashes a browser should pin: the one served now, then the next.
    pub fn hashes(&self) -> [[u8; 32]; 2] {
        [self.current.hash(), self.next.hash()]
    }

    /// The persisted form: a version byte, then per certificate its start (u64 BE), its DER
    /// length (u32 BE) and DER. Certificates are kept across restarts so that the hashes a
    /// browser pinned stay valid (an ECDSA signature is random: a re-made certificate has
    /// another hash).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        for c in [&self.current, &self.next] {
            out.extend_from_slice(&c.not_before.to_be_bytes());
            out.extend_from_slice(&(c.der.len() as u32).to_be_bytes());
            out.extend_from_slice(&c.der);
        }
        out
    }

    /// Reads [`WtCertificates::to_bytes`]; `None` if damaged, of another format, or not made
    /// with `identity`'s key (then make new ones).
    pub fn from_bytes(bytes: &[u8], identity: &DeviceIdentity) -> Option<WtCertificates> {
        let (&format, mut rest) = bytes.split_first()?;
        if format != FORMAT {
            return None;
        }
        let mut read = || -> Option<WtCertificate> {
            let (start, r) = rest.split_at_checked(8)?;
            let (len, r) = r.split_at_checked(4)?;
            let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
            let (der, r) = r.split_at_checked(len)?;
            rest = r;
            let der = der.to_vec();
            let cert = rustls::pki_types::CertificateDer::from(der.as_slice());
            if crate::tls::device_id_of_cert(&cert)? != identity.device_id() {
                return None;
            }
            Some(WtCertificate {
                not_before: u64::from_be_bytes(start.try_into().ok()?),
                der,
            })
        };
        let current = read()?;
        let next = read()?;
        rest.is_empty().then_some(WtCertificates { current, next })
    }
}

/// Lower-case hex, as the web app's JSON and the logs show a hash.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000;

    #[test]
    fn certificates_carry_the_device_id_and_stay_under_chromium_s_limit() {
        let id = DeviceIdentity::generate().expect("identity");
        let certs = WtCertificates::new(&id, T0).expect("certs");
        for c in [&certs.current, &certs.next] {
            let der = rustls::pki_types::CertificateDer::from(c.der());
            assert_eq!(crate::tls::device_id_of_cert(&der), Some(id.device_id()));
            assert!(c.not_after() - c.not_before() < 14 * DAY);
        }
        assert_ne!(certs.hashes()[0], certs.hashes()[1]);
        assert!(certs.serving().not_before() <= T0 && T0 < certs.serving().not_after());
    }

    #[test]
    fn rotation_serves_the_published_next_before_seven_days_remain() {
        let id = DeviceIdentity::generate().expect("identity");
        let mut certs = WtCertificates::new(&id, T0).expect("certs");
        let before = certs.clone();
        assert!(!certs.refresh(&id, T0 + 5 * DAY).expect("refresh"));
        assert_eq!(certs, before);
        let at = T0 + 6 * DAY;
        assert!(certs.refresh(&id, at).expect("refresh"));
        // What a browser pinned at the last sync is what is served now.
        assert_eq!(certs.hashes()[0], before.hashes()[1]);
        let served = certs.serving();
        assert!(served.not_before() <= at && served.not_after() - at >= 6 * DAY);
        // Off for a month: both are made afresh, valid now.
        let late = T0 + 40 * DAY;
        assert!(certs.refresh(&id, late).expect("refresh"));
        assert!(certs.serving().not_before() <= late && late < certs.serving().not_after());
    }

    #[test]
    fn persisted_certificates_round_trip_and_refuse_another_key() {
        let id = DeviceIdentity::generate().expect("identity");
        let certs = WtCertificates::new(&id, T0).expect("certs");
        let bytes = certs.to_bytes();
        assert_eq!(WtCertificates::from_bytes(&bytes, &id), Some(certs));
        let other = DeviceIdentity::generate().expect("identity");
        assert_eq!(WtCertificates::from_bytes(&bytes, &other), None);
        assert_eq!(
            WtCertificates::from_bytes(&bytes[..bytes.len() - 1], &id),
            None
        );
        assert_eq!(WtCertificates::from_bytes(&[], &id), None);
    }
}
