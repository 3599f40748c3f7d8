//! What several network test files share: a replica held in memory (a vault and the sync state
//! per peer; nothing is persisted, so `persist` does nothing).

use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Touched, Vault, VaultId};
use rapport_net::Replica;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Debug)]
pub struct MemReplica {
    pub vault: Vault,
    vault_id: VaultId,
    states: BTreeMap<DeviceId, Vec<u8>>,
}

impl MemReplica {
    /// `vault` as a replica of `vault_id`, shared with the tasks that sync it.
    pub fn shared(vault: Vault, vault_id: VaultId) -> Arc<Mutex<MemReplica>> {
        Arc::new(Mutex::new(MemReplica {
            vault,
            vault_id,
            states: BTreeMap::new(),
        }))
    }
}

impl Replica for MemReplica {
    type Error = std::convert::Infallible;
    fn doc(&mut self) -> Result<&mut AutoCommit, Self::Error> {
        Ok(self.vault.doc_mut())
    }
    fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    fn device(&self) -> DeviceId {
        self.vault.device()
    }
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>> {
        self.states.get(&peer).cloned()
    }
    fn persist(&mut self, _: DeviceId, _: &Touched) -> Result<(), Self::Error> {
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), Self::Error> {
        self.states.insert(peer, state.to_vec());
        Ok(())
    }
}
