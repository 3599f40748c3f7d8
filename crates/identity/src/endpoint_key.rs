//! The device's second key: an Ed25519 key for iroh, the transport beyond the LAN.
//!
//! iroh authenticates endpoints by raw Ed25519 public keys (TLS with raw public keys), so the
//! P-256 key that names the device cannot serve; each device gets this key beside it. The
//! public half, the iroh *endpoint id*, goes into the device's own roster record, and a device
//! admits an iroh connection only from an endpoint id of a trusted device of the roster.
//!
//! The key is the 32-byte Ed25519 seed (RFC 8032), which is what iroh's `SecretKey` holds, so
//! the network crate hands these bytes to iroh unchanged. ring derives the public key here, so
//! this crate needs no iroh.

use rapport_model::EndpointId;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::fmt;

/// An Ed25519 secret key (its 32-byte seed) and the endpoint id it proves.
#[derive(Clone)]
pub struct EndpointKey {
    seed: [u8; 32],
    endpoint: EndpointId,
}

/// Why an endpoint key could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointKeyError {
    #[error("the system's random number generator failed")]
    Random,
    #[error("the stored endpoint key is not 32 bytes: the store is damaged; run `rapport repair`")]
    Length,
}

impl EndpointKey {
    /// A fresh key from the system's random number generator.
    pub fn generate() -> Result<EndpointKey, EndpointKeyError> {
        let mut seed = [0u8; 32];
        SystemRandom::new()
            .fill(&mut seed)
            .map_err(|_| EndpointKeyError::Random)?;
        Ok(EndpointKey::from_seed(seed))
    }

    /// The key whose seed is `seed` (any 32 bytes are a valid Ed25519 seed).
    pub fn from_seed(seed: [u8; 32]) -> EndpointKey {
        // `from_seed_unchecked` only fails on a seed of the wrong length, which the type rules out.
        let public = Ed25519KeyPair::from_seed_unchecked(&seed)
            .map(|pair| {
                let mut out = [0u8; 32];
                out.copy_from_slice(pair.public_key().as_ref());
                out
            })
            .unwrap_or([0; 32]);
        EndpointKey {
            seed,
            endpoint: EndpointId::from_bytes(public),
        }
    }

    /// The key as stored: its 32-byte seed.
    pub fn from_bytes(bytes: &[u8]) -> Result<EndpointKey, EndpointKeyError> {
        let seed: [u8; 32] = bytes.try_into().map_err(|_| EndpointKeyError::Length)?;
        Ok(EndpointKey::from_seed(seed))
    }

    /// The 32-byte seed (secret: store it where only the user can read it).
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key: this device's iroh endpoint id.
    pub fn endpoint_id(&self) -> EndpointId {
        self.endpoint
    }
}

impl fmt::Debug for EndpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointKey")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 8032, section 7.1, TEST 1: the public key of this seed.
    #[test]
    fn the_endpoint_id_is_the_rfc_8032_public_key_of_the_seed() {
        let seed: [u8; 32] =
            hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = EndpointKey::from_seed(seed);
        assert_eq!(
            key.endpoint_id().to_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            EndpointKey::from_bytes(key.seed()).unwrap().endpoint_id(),
            key.endpoint_id()
        );
        assert!(EndpointKey::from_bytes(&[1, 2, 3]).is_err());
    }

    #[test]
    fn generated_keys_differ_and_debug_hides_the_seed() {
        let a = EndpointKey::generate().unwrap();
        let b = EndpointKey::generate().unwrap();
        assert_ne!(a.endpoint_id(), b.endpoint_id());
        let shown = format!("{a:?}");
        assert!(!shown.contains(&format!("{:?}", a.seed())), "{shown}");
    }

    fn hex(text: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
