//! What the node needs from the device's data folder, and nothing more. The application layer
//! (the binary's `Home` today) implements [`Host`]; the node never sees how the folder is laid
//! out, how commands write, or how errors are shown.

use rapport_identity::{DeviceIdentity, EndpointKey};
use rapport_model::{DeviceId, Touched, Vault};
use rapport_store::{Store, StoreError};

/// The data folder as the sync node uses it. Every method may block (sled, fsync, loading a
/// big document): the node calls them only from blocking threads.
pub trait Host: Send + 'static {
    /// The store: per-peer sync state and peer records (addresses), read and written here.
    fn store(&self) -> &Store;
    /// This device's key pair and certificate.
    fn identity(&self) -> &DeviceIdentity;
    /// This device's Ed25519 key for iroh (sync beyond the LAN).
    fn endpoint_key(&self) -> &EndpointKey;
    fn device(&self) -> DeviceId {
        self.identity().device_id()
    }
    /// The loaded vault (loaded on first use and kept).
    fn vault(&mut self) -> Result<&mut Vault, HostError>;
    /// Makes durable what sync just applied to the loaded vault (after whatever checks the
    /// application runs on incoming changes, such as the mass-deletion guard).
    fn commit_applied(&mut self, touched: &Touched) -> Result<(), HostError>;
    /// Changes the vault locally and commits durably (admitting a paired device, giving an old
    /// vault its LAN secret). `change` may be run twice if a damaged cache had to be rebuilt.
    fn write(
        &mut self,
        change: &dyn Fn(&mut Vault) -> Result<(), HostError>,
    ) -> Result<(), HostError>;
}

/// What the data folder failed with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The store refused (a full disk, a damaged file, a lock): kept whole so the front end
    /// can give its exit code and sentence.
    #[error("{0}")]
    Store(#[source] StoreError),
    #[error(transparent)]
    Read(#[from] rapport_model::ReadError),
    #[error(transparent)]
    Edit(#[from] rapport_model::EditError),
    /// A device that may not join: the sentence says what to do.
    #[error("{0}")]
    Refused(String),
    /// Anything else the application failed with (its own error, whole).
    #[error("{0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl From<StoreError> for HostError {
    fn from(e: StoreError) -> HostError {
        HostError::Store(e)
    }
}
