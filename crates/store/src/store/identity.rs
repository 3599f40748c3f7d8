//! The device identity: opaque bytes the binary keeps in the store (its key and certificate),
//! and since format 3 its second key, the Ed25519 key of its iroh endpoint.

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

    /// The device's iroh endpoint key (opaque to the store); `None` in a store made before
    /// format 3 until the application gives it one.
    pub fn endpoint_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(keys::ENDPOINT_KEY)
    }

    /// Stores the device's iroh endpoint key, durably.
    pub fn set_endpoint_key(&self, bytes: &[u8]) -> Result<(), StoreError> {
        self.insert(keys::ENDPOINT_KEY, bytes)?;
        self.sync()
    }
}
