//! The `Replica` the suite syncs through: a document in memory (a bare one while cloning, as
//! `rapport clone` does, or a `Vault`), per-peer sync states in a map, and a `persist` that is a
//! no-op or a real durable `Store::commit`. It reports what the driver made it do, with the time,
//! so that a measure can wait for "B has applied the note".

use anyhow::{bail, Context, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Touched, Vault, VaultId};
use rapport_net::Replica;
use rapport_store::Store;
use rapport_sync::CLONE_VAULT;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Mutex};

/// The document a replica holds.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // both variants hold a whole document; boxing buys nothing.
pub enum Doc {
    /// A device fetching its first copy: an empty document with the device's actor.
    Cloning(AutoCommit),
    Vault(Vault),
}

/// What the driver did to a replica, and when.
#[derive(Debug)]
pub enum Happened {
    /// `persist` returned (after the store commit, if there is a store).
    Persisted { at: Instant, touched: Touched },
    /// The session settled (or ended) and saved its sync state for `peer`.
    StateSaved { peer: DeviceId },
}

#[derive(Debug)]
pub struct BenchReplica {
    pub doc: Doc,
    vault_id: VaultId,
    device: DeviceId,
    pub states: BTreeMap<DeviceId, Vec<u8>>,
    /// When set, `persist` commits durably through it (the vault must be in it already).
    pub store: Option<Store>,
    events: Option<mpsc::UnboundedSender<Happened>>,
}

pub type Shared = Arc<Mutex<BenchReplica>>;

impl BenchReplica {
    /// A device about to clone: an empty document, vault id 0.
    pub fn cloning(device: DeviceId) -> BenchReplica {
        let doc = AutoCommit::new().with_actor(rapport_model::vault_actor(device));
        BenchReplica {
            doc: Doc::Cloning(doc),
            vault_id: CLONE_VAULT,
            device,
            states: BTreeMap::new(),
            store: None,
            events: None,
        }
    }

    pub fn with_vault(vault: Vault) -> Result<BenchReplica> {
        let vault_id = vault.vault_id().context("the vault has no id")?;
        let device = vault.device();
        Ok(BenchReplica {
            doc: Doc::Vault(vault),
            vault_id,
            device,
            states: BTreeMap::new(),
            store: None,
            events: None,
        })
    }

    pub fn shared(self) -> Shared {
        Arc::new(Mutex::new(self))
    }

    /// Reports every persist and saved state to the returned receiver from now on.
    pub fn watch(&mut self) -> mpsc::UnboundedReceiver<Happened> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.events = Some(tx);
        rx
    }

    pub fn unwatch(&mut self) {
        self.events = None;
    }

    pub fn vault(&mut self) -> Result<&mut Vault> {
        match &mut self.doc {
            Doc::Vault(v) => Ok(v),
            Doc::Cloning(_) => bail!("this replica is still cloning"),
        }
    }

    pub fn automerge(&mut self) -> &mut AutoCommit {
        match &mut self.doc {
            Doc::Vault(v) => v.doc_mut(),
            Doc::Cloning(d) => d,
        }
    }

    /// Turns a finished clone into a vault replica (as `clone` does before storing it), keeping
    /// the sync states it saved.
    pub fn finish_clone(&mut self) -> Result<()> {
        if let Doc::Cloning(doc) = &mut self.doc {
            let doc = std::mem::take(doc);
            let vault = Vault::open(doc, self.device).context("the clone is not a vault")?;
            self.vault_id = vault.vault_id()?;
            self.doc = Doc::Vault(vault);
        }
        Ok(())
    }

    /// The vault, out of the replica.
    pub fn into_vault(self) -> Result<Vault> {
        match self.doc {
            Doc::Vault(v) => Ok(v),
            Doc::Cloning(_) => bail!("this replica is still cloning"),
        }
    }

    fn tell(&self, what: Happened) {
        if let Some(tx) = &self.events {
            let _ = tx.send(what);
        }
    }
}

impl Replica for BenchReplica {
    type Error = rapport_store::StoreError;
    fn doc(&mut self) -> Result<&mut AutoCommit, Self::Error> {
        Ok(self.automerge())
    }
    fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    fn device(&self) -> DeviceId {
        self.device
    }
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>> {
        self.states.get(&peer).cloned()
    }
    fn persist(&mut self, _peer: DeviceId, touched: &Touched) -> Result<(), Self::Error> {
        if let (Some(store), Doc::Vault(vault)) = (&self.store, &mut self.doc) {
            store.commit(vault, touched)?;
        }
        self.tell(Happened::Persisted {
            at: Instant::now(),
            touched: touched.clone(),
        });
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), Self::Error> {
        self.states.insert(peer, state.to_vec());
        self.tell(Happened::StateSaved { peer });
        Ok(())
    }
}
