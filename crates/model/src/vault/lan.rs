//! The vault's LAN secret: 32 random bytes that every device of the vault holds (it syncs
//! with the vault) and nobody else does. Devices announce beacons keyed with it on the local
//! network, so only the vault's own devices can recognise each other there.
//!
//! Why not the vault id: it is 64 bits (too few for a key that strangers can attack offline
//! at leisure, since every beacon is public), and it is not secret: it is printed by `init`
//! and `serve`, shown in logs and sent in every sync `Hello`.
//!
//! `init` writes one. An older vault gets one from the first device that needs it; two devices
//! doing so at once write two values to one key. Automerge keeps both (`get_all`) and picks
//! the same winner everywhere, so devices announce the winner and recognise every value.

use super::Vault;
use crate::error::{EditError, ReadError};
use crate::UnixMillis;
use automerge::transaction::Transactable;
use automerge::{ReadDoc, ScalarValue, Value, ROOT};

/// Root key of the LAN secret (bytes, 32 of them). See `docs/SCHEMA.md`.
pub const LAN_SECRET: &str = "lan_secret";

impl Vault {
    /// Every LAN secret the vault holds: usually one, more after concurrent creation. Values
    /// of the wrong type or length (another program, a damaged peer) are skipped, never fatal.
    pub fn lan_secrets(&self) -> Result<Vec<[u8; 32]>, ReadError> {
        Ok(self
            .doc
            .get_all(ROOT, LAN_SECRET)?
            .into_iter()
            .filter_map(|(value, _)| secret_of(&value))
            .collect())
    }

    /// The secret this device announces: Automerge's winning value, the same on every device
    /// that has seen the same changes; `None` if the vault has no usable one yet.
    pub fn lan_secret(&self) -> Result<Option<[u8; 32]>, ReadError> {
        let winner = self
            .doc
            .get(ROOT, LAN_SECRET)?
            .and_then(|(v, _)| secret_of(&v));
        Ok(match winner {
            Some(s) => Some(s),
            None => self.lan_secrets()?.into_iter().next(),
        })
    }

    /// Gives the vault a LAN secret if it has no usable one, from the caller's `random` bytes
    /// (the model draws no randomness itself). Returns whether it wrote one (one commit).
    pub fn ensure_lan_secret(
        &mut self,
        random: [u8; 32],
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        if self.lan_secret()?.is_some() {
            return Ok(false);
        }
        if let Err(e) = self
            .doc
            .put(ROOT, LAN_SECRET, ScalarValue::Bytes(random.to_vec()))
        {
            self.abort();
            return Err(e.into());
        }
        self.finish(|| "add LAN discovery secret".to_owned(), now);
        Ok(true)
    }
}

impl Vault {
    /// Replaces every LAN secret with `random`: after a device is revoked, so that it can no
    /// longer recognise the vault's beacons (it never receives the new one: the other devices
    /// refuse it at the TLS layer). One commit.
    pub fn rotate_lan_secret(
        &mut self,
        random: [u8; 32],
        now: UnixMillis,
    ) -> Result<(), EditError> {
        if let Err(e) = self
            .doc
            .put(ROOT, LAN_SECRET, ScalarValue::Bytes(random.to_vec()))
        {
            self.abort();
            return Err(e.into());
        }
        self.finish(|| "rotate LAN discovery secret".to_owned(), now);
        Ok(())
    }
}

fn secret_of(value: &Value<'_>) -> Option<[u8; 32]> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Bytes(b) => b.as_slice().try_into().ok(),
            _ => None,
        },
        Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeviceId, VaultId};

    fn device(n: u8) -> DeviceId {
        DeviceId::from_bytes([n; 32])
    }

    fn vault() -> Vault {
        Vault::create(device(1), "laptop", VaultId::from_u64(42), 1_000).unwrap()
    }

    #[test]
    fn a_vault_without_a_secret_gets_one_once() {
        let mut v = vault();
        assert_eq!(v.lan_secret().unwrap(), None);
        assert!(v.ensure_lan_secret([5; 32], 2_000).unwrap());
        assert!(
            !v.ensure_lan_secret([6; 32], 3_000).unwrap(),
            "never replaced"
        );
        assert_eq!(v.lan_secret().unwrap(), Some([5; 32]));
        assert_eq!(v.lan_secrets().unwrap(), vec![[5; 32]]);
    }

    #[test]
    fn the_secret_syncs_to_other_devices() {
        let mut a = vault();
        let mut b = a.fork_as(device(2));
        a.ensure_lan_secret([5; 32], 2_000).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(b.lan_secret().unwrap(), Some([5; 32]));
        assert!(!b.ensure_lan_secret([6; 32], 3_000).unwrap());
    }

    #[test]
    fn concurrent_secrets_are_all_kept_and_every_device_announces_the_same_winner() {
        let mut a = vault();
        let mut b = a.fork_as(device(2));
        a.ensure_lan_secret([5; 32], 2_000).unwrap();
        b.ensure_lan_secret([6; 32], 2_000).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        let mut all = a.lan_secrets().unwrap();
        all.sort();
        assert_eq!(all, vec![[5; 32], [6; 32]]);
        assert_eq!(a.lan_secret().unwrap(), b.lan_secret().unwrap());
        assert!(a.lan_secret().unwrap().is_some());
    }

    #[test]
    fn a_rotation_replaces_every_value_including_concurrent_ones() {
        let mut a = vault();
        let mut b = a.fork_as(device(2));
        a.ensure_lan_secret([5; 32], 2_000).unwrap();
        b.ensure_lan_secret([6; 32], 2_000).unwrap();
        a.merge(&mut b).unwrap();
        a.rotate_lan_secret([9; 32], 3_000).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(b.lan_secrets().unwrap(), vec![[9; 32]]);
        assert_eq!(b.lan_secret().unwrap(), Some([9; 32]));
    }

    #[test]
    fn a_malformed_secret_is_ignored_and_replaced() {
        let mut v = vault();
        v.doc
            .put(ROOT, LAN_SECRET, ScalarValue::Bytes(vec![1, 2, 3]))
            .unwrap();
        v.doc.commit();
        assert_eq!(v.lan_secrets().unwrap(), Vec::<[u8; 32]>::new());
        assert!(v.ensure_lan_secret([7; 32], 2_000).unwrap());
        assert_eq!(v.lan_secret().unwrap(), Some([7; 32]));
    }
}
