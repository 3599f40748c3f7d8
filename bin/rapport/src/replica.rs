//! The store-backed side of sync: which devices this device trusts, and the `Replica` through
//! which sync sessions (and, in the daemon, forwarded commands) read and durably write the
//! vault; plus the bare document a new device fills while cloning.

use crate::home::Home;
use anyhow::Result;
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Touched, Vault, VaultId};
use rapport_net::{Replica, TrustCheck};
use rapport_sync::CLONE_VAULT;
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

/// The devices this device accepts: the vault's roster minus every revoked device, refreshed
/// whenever the roster changes, so a device added (or revoked) on another replica is trusted
/// (or refused) as soon as that change syncs here. The second field wakes live sessions on
/// every refresh, so a connection to a device that just became untrusted is closed.
#[derive(Debug, Clone, Default)]
pub struct Roster(
    pub Arc<RwLock<BTreeSet<DeviceId>>>,
    pub Arc<tokio::sync::Notify>,
);

impl Roster {
    pub fn refresh(&self, vault: &Vault, me: DeviceId) -> Result<()> {
        let revoked = vault.revoked()?;
        // A device that left (or was revoked) trusts nobody any more.
        let ids: BTreeSet<DeviceId> = if revoked.contains(&me) {
            BTreeSet::new()
        } else {
            vault
                .devices()?
                .into_iter()
                .map(|d| d.id)
                .filter(|id| *id != me && !revoked.contains(id))
                .collect()
        };
        if let Ok(mut set) = self.0.write() {
            *set = ids;
        }
        self.1.notify_waiters();
        Ok(())
    }

    /// Resolves once `peer` is no longer trusted (revoked, or this device left).
    pub async fn until_untrusted(&self, peer: DeviceId) {
        loop {
            let notified = self.1.notified();
            tokio::pin!(notified);
            // Registered before the check, so a refresh in between is not missed.
            notified.as_mut().enable();
            if !self.0.read().map(|s| s.contains(&peer)).unwrap_or(false) {
                return;
            }
            notified.await;
        }
    }

    pub fn check(&self) -> TrustCheck {
        let set = self.0.clone();
        Arc::new(move |id| set.read().map(|s| s.contains(id)).unwrap_or(false))
    }
}

/// A device's home with its loaded vault, as sync sessions (and, in the daemon, commands
/// forwarded from the CLI) see it. One per process; sessions share it behind a mutex.
#[derive(Debug)]
pub struct StoreReplica {
    pub home: Home,
    pub vault_id: VaultId,
    pub device: DeviceId,
    pub roster: Roster,
    /// Ticks after every local change, so live sessions send it at once.
    pub local_changes: tokio::sync::watch::Sender<u64>,
}

impl StoreReplica {
    pub fn open(mut home: Home) -> Result<(StoreReplica, rapport_identity::DeviceIdentity)> {
        let device = home.device;
        let vault = home.vault_mut()?;
        let vault_id = vault.vault_id()?;
        let roster = Roster::default();
        roster.refresh(vault, device)?;
        let identity = home.identity.clone();
        let (local_changes, _) = tokio::sync::watch::channel(0);
        Ok((
            StoreReplica {
                home,
                vault_id,
                device,
                roster,
                local_changes,
            },
            identity,
        ))
    }

    /// Called after a local write: refreshes trust and wakes live sessions.
    pub fn changed_locally(&mut self) -> Result<()> {
        let device = self.device;
        let vault = self.home.vault_mut()?;
        self.roster.refresh(vault, device)?;
        self.local_changes.send_modify(|n| *n += 1);
        Ok(())
    }
}

impl Replica for StoreReplica {
    fn doc(&mut self) -> Result<&mut AutoCommit, String> {
        self.home
            .vault_mut()
            .map(Vault::doc_mut)
            .map_err(|e| e.to_string())
    }
    fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    fn device(&self) -> DeviceId {
        self.device
    }
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>> {
        self.home.store.peer_state(peer).ok().flatten()
    }
    fn persist(&mut self, touched: &Touched) -> Result<(), String> {
        crate::guard::check_incoming(&mut self.home, touched).map_err(|e| e.to_string())?;
        self.home
            .commit_loaded(touched)
            .map_err(|e| e.to_string())?;
        if touched.devices || touched.other {
            let device = self.device;
            let vault = self.home.vault_mut().map_err(|e| e.to_string())?;
            self.roster
                .refresh(vault, device)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), String> {
        self.home
            .store
            .set_peer_state(peer, state)
            .map_err(|e| e.to_string())
    }
}

/// A device fetching its first copy of a vault: an empty document until the sync finishes.
#[derive(Debug)]
pub(crate) struct CloneReplica {
    pub(crate) doc: AutoCommit,
    pub(crate) device: DeviceId,
    pub(crate) peer_state: Option<(DeviceId, Vec<u8>)>,
}

impl Replica for CloneReplica {
    fn doc(&mut self) -> Result<&mut AutoCommit, String> {
        Ok(&mut self.doc)
    }
    fn vault_id(&self) -> VaultId {
        CLONE_VAULT
    }
    fn device(&self) -> DeviceId {
        self.device
    }
    fn sync_state(&self, _peer: DeviceId) -> Option<Vec<u8>> {
        None
    }
    fn persist(&mut self, _touched: &Touched) -> Result<(), String> {
        // Nothing to persist until the whole vault has arrived; `clone` stores it then.
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), String> {
        self.peer_state = Some((peer, state.to_vec()));
        Ok(())
    }
}

impl rapport_net::pairing::Admit for StoreReplica {
    /// Adds a device that just paired to the roster, durably, before it is told so.
    fn admit(&mut self, device: DeviceId, name: &str) -> Result<(), String> {
        let me = self.device;
        let name = if name.trim().is_empty() {
            format!("device {}", device.short())
        } else {
            name.trim().to_owned()
        };
        crate::cmd::write(&self.home, |vault, _| {
            if vault.revoked()?.contains(&device) {
                anyhow::bail!(
                    "device {} was revoked and cannot pair again: pair it with a fresh home",
                    device.short()
                );
            }
            let now = crate::time::now_ms();
            let entry = rapport_model::Device {
                id: device,
                name: name.clone(),
                added_at: now,
                added_by: Some(me),
            };
            vault.add_device(&entry, now)?;
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        self.changed_locally().map_err(|e| e.to_string())
    }
}
