//! The data folder as the sync node sees it: `rapport_node::Host` for `Home`. It lives beside
//! `Home` (the orphan rule: neither the trait nor the type belongs to the binary).

use crate::home::Home;
use crate::AppError;
use rapport_identity::DeviceIdentity;
use rapport_model::{Touched, Vault};
use rapport_node::HostError;
use rapport_store::Store;
use std::cell::RefCell;

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
    fn endpoint_key(&self) -> &rapport_identity::EndpointKey {
        &self.endpoint_key
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
        // The change's own error comes out whole; `Home::write` only sees that it failed.
        let failed: RefCell<Option<HostError>> = RefCell::new(None);
        let result = Home::write(self, |vault, _| {
            change(vault).map_err(|e| {
                *failed.borrow_mut() = Some(e);
                AppError::Failed(String::new())
            })
        });
        match (result, failed.into_inner()) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(original)) => Err(original),
            (Err(e), None) => Err(host_error(e)),
        }
    }
}

/// Keeps the store's and the vault's errors typed for the node (and the exit code).
fn host_error(e: AppError) -> HostError {
    match e {
        AppError::Store(s) => HostError::Store(s),
        AppError::Edit(e) => HostError::Edit(e),
        other => HostError::Other(Box::new(other)),
    }
}
