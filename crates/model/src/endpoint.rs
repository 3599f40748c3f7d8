//! Where a device can be reached beyond the local network: its iroh endpoint id (an Ed25519
//! public key, separate from the P-256 key its device id names) and its home relay.
//!
//! Both live in the device's own roster record, which the device itself writes; the vault-level
//! relay setting is a root key. Nothing here is trusted on its own: a connection is admitted
//! because the endpoint id belongs to a trusted device of the roster, and iroh's TLS proves the
//! peer holds that key.

use data_encoding::HEXLOWER;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An iroh endpoint id: the 32 bytes of an Ed25519 public key, stored as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointId([u8; 32]);

/// Why a string is not an endpoint id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseEndpointIdError {
    #[error("an endpoint id is 64 hex digits; check that it was copied whole")]
    Malformed,
}

impl EndpointId {
    pub const fn from_bytes(bytes: [u8; 32]) -> EndpointId {
        EndpointId(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0)
    }

    /// Parses exactly 64 hex digits (either case).
    pub fn from_hex(hex: &str) -> Result<EndpointId, ParseEndpointIdError> {
        let lower = hex.to_ascii_lowercase();
        let bytes = HEXLOWER
            .decode(lower.as_bytes())
            .map_err(|_| ParseEndpointIdError::Malformed)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| ParseEndpointIdError::Malformed)?;
        Ok(EndpointId(bytes))
    }

    /// The first 8 hex digits, for logs and tables.
    pub fn short(&self) -> String {
        self.to_hex()[..8].to_owned()
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EndpointId({})", self.short())
    }
}

impl Serialize for EndpointId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for EndpointId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EndpointId, D::Error> {
        let text = String::deserialize(deserializer)?;
        EndpointId::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// How a device can be dialed beyond the LAN, as its own roster record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    pub endpoint: EndpointId,
    /// The relay the device uses (its home relay), when the vault names one.
    pub relay: Option<String>,
}

/// The longest relay URL the vault keeps (a URL is a short string; a longer one is a mistake).
pub const MAX_RELAY_URL: usize = 512;

/// Checks that `url` looks like a relay URL: `https://` or `http://` and a host, no spaces.
/// Full parsing is the network crate's; this keeps garbage out of every device's vault.
pub fn validate_relay_url(url: &str) -> Result<(), crate::EditError> {
    let bad = || crate::validate::InvalidValue::RelayUrl(url.to_owned());
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    if url.len() > MAX_RELAY_URL
        || rest.is_empty()
        || rest.starts_with('/')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad().into());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_id_hex_round_trips() {
        let id = EndpointId::from_bytes([7; 32]);
        assert_eq!(EndpointId::from_hex(&id.to_hex()).unwrap(), id);
        assert_eq!(
            EndpointId::from_hex(&id.to_hex().to_uppercase()).unwrap(),
            id
        );
        assert!(EndpointId::from_hex("abc").is_err());
        assert!(EndpointId::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn relay_urls_are_checked() {
        assert!(validate_relay_url("https://relay.example.org").is_ok());
        assert!(validate_relay_url("http://127.0.0.1:3340").is_ok());
        assert!(validate_relay_url("relay.example.org").is_err());
        assert!(validate_relay_url("https://").is_err());
        assert!(validate_relay_url("https://a b").is_err());
    }
}
