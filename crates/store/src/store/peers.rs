//! Per-peer state: Automerge's sync state and what the binary remembers of a peer. Neither is
//! fsynced: losing it costs one larger sync or one more lookup, never data.

use super::Store;
use crate::error::StoreError;
use crate::keys;
use rapport_model::DeviceId;

impl Store {
    /// The sync state last saved for a peer (Automerge's `sync::State::encode`).
    pub fn peer_state(&self, peer: DeviceId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(&keys::peer(&peer.to_hex()))
    }

    /// Saves a peer's sync state. Not fsynced: losing it costs one larger sync, not data.
    pub fn set_peer_state(&self, peer: DeviceId, state: &[u8]) -> Result<(), StoreError> {
        self.insert(&keys::peer(&peer.to_hex()), state)?;
        self.flush()
    }

    /// What the binary remembers about a peer (addresses, last seen): opaque to the store.
    pub fn peer_info(&self, peer: DeviceId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(&keys::peer_info(&peer.to_hex()))
    }

    /// Saves a peer's info. Not fsynced: it is a hint, rebuilt by the next contact.
    pub fn set_peer_info(&self, peer: DeviceId, info: &[u8]) -> Result<(), StoreError> {
        self.insert(&keys::peer_info(&peer.to_hex()), info)?;
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{device, open};

    #[test]
    fn peer_state_and_info_are_kept_apart_per_peer_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.set_peer_state(device(2), b"state 2").unwrap();
        store.set_peer_info(device(2), b"info 2").unwrap();
        store.set_peer_state(device(3), b"state 3").unwrap();
        store.close().unwrap();
        let store = open(dir.path());
        assert_eq!(store.peer_state(device(2)).unwrap().unwrap(), b"state 2");
        assert_eq!(store.peer_info(device(2)).unwrap().unwrap(), b"info 2");
        assert_eq!(store.peer_state(device(3)).unwrap().unwrap(), b"state 3");
        assert_eq!(store.peer_info(device(3)).unwrap(), None);
    }
}
