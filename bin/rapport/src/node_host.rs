//! The data folder as the sync node sees it: `rapport_node::Host` for `Home`. One small file,
//! so it moves with `Home` wherever `Home` goes.

use crate::home::Home;
use rapport_identity::DeviceIdentity;
use rapport_model::{Touched, Vault};
use rapport_node::HostError;
use rapport_store::{Store, StoreError};

/// The replica a process's sessions and commands share.
pub type Replica = rapport_node::StoreReplica<Home>;
pub type SharedReplica = rapport_node::SharedReplica<Home>;

impl rapport_node::Host for Home {
    fn store(&self) -> &Store {
        &self.store
    }
    fn identity(&self) -> &DeviceIdentity {
        &self.identity
    }
    fn vault(&mut self) -> Result<&mut Vault, HostError> {
        self.vault_mut().map_err(host_error)
    }
    fn commit_applied(&mut self, touched: &Touched) -> Result<(), HostError> {
        crate::guard::check_incoming(self, touched).map_err(host_error)?;
        self.commit_loaded(touched).map_err(host_error)
    }
    fn write(
        &mut self,
        change: &dyn Fn(&mut Vault) -> Result<(), HostError>,
    ) -> Result<(), HostError> {
        Home::write(self, |vault, _| Ok(change(vault)?)).map_err(host_error)
    }
}

/// Keeps the store's error (and the node's own) typed through the application's `anyhow`.
fn host_error(e: anyhow::Error) -> HostError {
    let e = match e.downcast::<HostError>() {
        Ok(h) => return h,
        Err(e) => e,
    };
    match e.downcast::<StoreError>() {
        Ok(s) => HostError::Store(s),
        Err(e) => HostError::Other(e.into()),
    }
}
