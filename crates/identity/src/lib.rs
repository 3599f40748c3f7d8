//! The device's own identity: a key pair and a self-signed TLS certificate for it.
//!
//! Sync uses mutual TLS with no certificate authority: each side pins the other by
//! [`DeviceId`], the blake3 hash of the certificate's `SubjectPublicKeyInfo`. So the certificate
//! is only a carrier for the public key; its names and dates are not what is trusted.
//!
//! A [`DeviceIdentity`] is created once per device and persisted (serde). On load it is
//! re-validated: the key must parse and the certificate must carry that key, so the id a device
//! shows is always the id its peers will see in the handshake.

mod endpoint_key;

pub use endpoint_key::{EndpointKey, EndpointKeyError};
use rapport_model::DeviceId;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The one DNS name in every device certificate, and the server name clients dial.
///
/// TLS needs a syntactically valid server name, and a device id does not fit in a DNS label
/// (64 hex characters > 63). Peers are authenticated by pinned key, so the name carries no
/// meaning; `.invalid` (RFC 6761) guarantees it can never be a real host.
pub const TLS_SERVER_NAME: &str = "rapport.invalid";

/// Why an identity could not be generated or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// Key or certificate generation failed (a crypto backend failure; not expected).
    #[error("could not generate a device key and certificate")]
    Generate(#[source] rcgen::Error),
    /// The stored private key is not a PKCS#8 PEM key that this build can use.
    #[error("the stored device key is unreadable (expected a PKCS#8 PEM private key)")]
    InvalidKey(#[source] rcgen::Error),
    /// The stored certificate does not carry the stored key's public key, so peers would see a
    /// different device id than this device shows.
    #[error("the stored device certificate does not belong to the stored device key")]
    CertificateMismatch,
    /// A certificate date past what X.509 can say (the system clock is far off).
    #[error("the certificate's dates are out of range: check the system clock")]
    DateOutOfRange,
}

/// This device's key pair and self-signed certificate.
///
/// Serialized as `{ key_pem, cert_der }`; the private key is in there, so store it where only
/// the user can read it. `Debug` never shows the key.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "StoredIdentity", into = "StoredIdentity")]
pub struct DeviceIdentity {
    /// PKCS#8 PEM of the private key.
    key_pem: String,
    /// DER of the self-signed certificate.
    cert_der: Vec<u8>,
    /// PKCS#8 DER of the private key (derived from `key_pem`), for TLS stacks that want DER.
    key_der: Vec<u8>,
    /// blake3 of the public key's SPKI (derived from `key_pem`).
    device_id: DeviceId,
}

/// What is persisted: the rest is recomputed (and checked) on load.
#[derive(Serialize, Deserialize)]
struct StoredIdentity {
    key_pem: String,
    cert_der: Vec<u8>,
}

impl DeviceIdentity {
    /// A fresh ECDSA P-256 key pair and a self-signed certificate for it.
    ///
    /// P-256 because every TLS 1.3 stack (rustls/ring included) supports it for both client and
    /// server authentication.
    pub fn generate() -> Result<DeviceIdentity, IdentityError> {
        let key_pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(IdentityError::Generate)?;
        let device_id = DeviceId::from_spki(&key_pair.subject_public_key_info());

        let mut params = CertificateParams::new(vec![TLS_SERVER_NAME.to_owned()])
            .map_err(IdentityError::Generate)?;
        let mut name = DistinguishedName::new();
        // Only for people reading the certificate with openssl; nothing checks it.
        name.push(
            DnType::CommonName,
            format!("Rapport device {}", device_id.short()),
        );
        params.distinguished_name = name;
        // Peers pin the key, never check dates, and there is no CA to re-issue anything: a
        // certificate that expired would only break stacks that look at dates anyway. So make it
        // valid for as long as X.509 can say (RFC 5280 allows any date in GeneralizedTime), and
        // from well before any device clock, in case a device boots with its clock reset to 1970.
        // These are rcgen's own defaults, set here so a change in rcgen cannot shorten them.
        params.not_before = rcgen::date_time_ymd(1975, 1, 1);
        params.not_after = rcgen::date_time_ymd(4096, 1, 1);

        let cert = params
            .self_signed(&key_pair)
            .map_err(IdentityError::Generate)?;
        Ok(DeviceIdentity {
            key_pem: key_pair.serialize_pem(),
            cert_der: cert.der().to_vec(),
            key_der: key_pair.serialize_der(),
            device_id,
        })
    }

    /// Rebuilds an identity from its stored parts, checking that the key parses and that the
    /// certificate carries that key's public key.
    pub fn from_parts(key_pem: String, cert_der: Vec<u8>) -> Result<DeviceIdentity, IdentityError> {
        let key_pair = KeyPair::from_pem(&key_pem).map_err(IdentityError::InvalidKey)?;
        let spki = key_pair.subject_public_key_info();
        // The certificate's TBSCertificate holds the SPKI verbatim (DER is canonical), so this is
        // exactly the key the peer's TLS stack will hash. A random EC point makes a false match
        // impossible in practice, and it avoids an X.509 parser dependency.
        if !contains(&cert_der, &spki) {
            return Err(IdentityError::CertificateMismatch);
        }
        Ok(DeviceIdentity {
            device_id: DeviceId::from_spki(&spki),
            key_der: key_pair.serialize_der(),
            key_pem,
            cert_der,
        })
    }

    /// A short-lived certificate for WebTransport, made with this device's own key (so its
    /// SPKI, and so the device id a browser could compute from it, is this device's), valid
    /// from `not_before` (Unix seconds) for `valid_for`. Browsers pin such a certificate by
    /// its SHA-256 (`serverCertificateHashes`) and accept it only if it is ECDSA P-256 and
    /// valid for at most 14 days: the caller keeps `valid_for` under that.
    pub fn short_lived_cert(
        &self,
        not_before: u64,
        valid_for: std::time::Duration,
    ) -> Result<Vec<u8>, IdentityError> {
        let key_pair = KeyPair::from_pem(&self.key_pem).map_err(IdentityError::InvalidKey)?;
        // Chromium checks no name on a hash-pinned certificate; these are for readers only.
        let names = vec![
            TLS_SERVER_NAME.to_owned(),
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ];
        let mut params = CertificateParams::new(names).map_err(IdentityError::Generate)?;
        let mut name = DistinguishedName::new();
        name.push(
            DnType::CommonName,
            format!("Rapport device {} (WebTransport)", self.device_id.short()),
        );
        params.distinguished_name = name;
        let start = i64::try_from(not_before).unwrap_or(i64::MAX);
        let seconds = i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX);
        let (Ok(from), Ok(until)) = (
            time::OffsetDateTime::from_unix_timestamp(start),
            time::OffsetDateTime::from_unix_timestamp(start.saturating_add(seconds)),
        ) else {
            return Err(IdentityError::DateOutOfRange);
        };
        params.not_before = from;
        params.not_after = until;
        let cert = params
            .self_signed(&key_pair)
            .map_err(IdentityError::Generate)?;
        Ok(cert.der().to_vec())
    }

    /// This device's id: blake3 of its public key's DER `SubjectPublicKeyInfo`.
    pub fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// The private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The private key, PKCS#8 DER (for `rustls::pki_types::PrivatePkcs8KeyDer`).
    pub fn key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// The self-signed certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

impl TryFrom<StoredIdentity> for DeviceIdentity {
    type Error = IdentityError;
    fn try_from(stored: StoredIdentity) -> Result<DeviceIdentity, IdentityError> {
        DeviceIdentity::from_parts(stored.key_pem, stored.cert_der)
    }
}

impl From<DeviceIdentity> for StoredIdentity {
    fn from(identity: DeviceIdentity) -> StoredIdentity {
        StoredIdentity {
            key_pem: identity.key_pem,
            cert_der: identity.cert_der,
        }
    }
}

impl fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("device_id", &self.device_id)
            .field("cert_der", &format_args!("<{} bytes>", self.cert_der.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// DER prefix of every P-256 SubjectPublicKeyInfo: SEQUENCE (89 bytes) { SEQUENCE {
    /// id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes) { 0 unused bits, 0x04 uncompressed...
    const P256_SPKI_PREFIX: [u8; 27] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];

    #[test]
    fn generated_identities_differ() {
        let a = DeviceIdentity::generate().unwrap();
        let b = DeviceIdentity::generate().unwrap();
        assert_ne!(a.device_id(), b.device_id());
        assert_ne!(a.key_pem(), b.key_pem());
        assert_ne!(a.cert_der(), b.cert_der());
    }

    #[test]
    fn device_id_survives_a_serde_round_trip() {
        let identity = DeviceIdentity::generate().unwrap();
        let json = serde_json::to_string(&identity).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["cert_der", "key_pem"]);

        let loaded: DeviceIdentity = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded.device_id(), identity.device_id());
        assert_eq!(loaded.key_pem(), identity.key_pem());
        assert_eq!(loaded.key_der(), identity.key_der());
        assert_eq!(loaded.cert_der(), identity.cert_der());
    }

    #[test]
    fn device_id_is_blake3_of_the_spki_in_the_certificate() {
        let identity = DeviceIdentity::generate().unwrap();
        assert!(identity
            .key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        let key_pair = KeyPair::from_pem(identity.key_pem()).unwrap();
        let spki = key_pair.subject_public_key_info();
        // The whole SPKI SEQUENCE, as webpki's `subject_public_key_info()` returns it on the
        // peer side.
        assert_eq!(spki.len(), 91);
        assert_eq!(spki[..27], P256_SPKI_PREFIX);
        assert!(contains(identity.cert_der(), &spki));
        assert_eq!(
            identity.device_id().as_bytes(),
            blake3::hash(&spki).as_bytes()
        );
        // The DER key is the same key.
        let from_der = KeyPair::try_from(identity.key_der()).unwrap();
        assert_eq!(from_der.subject_public_key_info(), spki);
    }

    #[test]
    fn certificate_names_the_fixed_server_name() {
        let identity = DeviceIdentity::generate().unwrap();
        assert!(contains(identity.cert_der(), TLS_SERVER_NAME.as_bytes()));
        // 4096 is past 2049, so it is a GeneralizedTime.
        assert!(contains(identity.cert_der(), b"40960101000000Z"));
    }

    #[test]
    fn mismatched_certificate_is_rejected() {
        let a = DeviceIdentity::generate().unwrap();
        let b = DeviceIdentity::generate().unwrap();
        let err =
            DeviceIdentity::from_parts(a.key_pem().to_owned(), b.cert_der().to_vec()).unwrap_err();
        assert!(matches!(err, IdentityError::CertificateMismatch), "{err:?}");

        let json = serde_json::json!({ "key_pem": a.key_pem(), "cert_der": b.cert_der() });
        assert!(serde_json::from_value::<DeviceIdentity>(json).is_err());
    }

    #[test]
    fn garbage_key_is_rejected() {
        let a = DeviceIdentity::generate().unwrap();
        let err =
            DeviceIdentity::from_parts("not a key".to_owned(), a.cert_der().to_vec()).unwrap_err();
        assert!(matches!(err, IdentityError::InvalidKey(_)), "{err:?}");
    }

    #[test]
    fn debug_does_not_show_the_private_key() {
        let identity = DeviceIdentity::generate().unwrap();
        let shown = format!("{identity:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(shown.contains(&identity.device_id().short()), "{shown}");
    }
}

#[cfg(test)]
mod short_lived_tests {
    use super::*;

    #[test]
    fn short_lived_cert_carries_the_device_key() {
        let id = DeviceIdentity::generate().expect("generate");
        let der = id
            .short_lived_cert(1_800_000_000, std::time::Duration::from_secs(13 * 86_400))
            .expect("cert");
        let key = KeyPair::from_pem(id.key_pem()).expect("key");
        assert!(contains(&der, &key.subject_public_key_info()));
        assert_ne!(der, id.cert_der());
    }
}
