//! The device identity: opaque bytes the binary keeps in the store (its key and certificate).

use super::Store;
use crate::error::StoreError;
use crate::keys;

impl Store {
    /// The device identity the binary stored here (opaque to the store).
    pub fn identity(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(keys::IDENTITY)
    }

    /// Stores the device identity, durably.
    pub fn set_identity(&self, bytes: &[u8]) -> Result<(), StoreError> {
        self.insert(keys::IDENTITY, bytes)?;
        self.sync()
    }
}
