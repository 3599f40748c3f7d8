//! The store-backed side of sync: which devices this device trusts ([`Roster`]), and the
//! [`StoreReplica`] through which sync sessions (and, in the daemon, forwarded commands) read
//! and durably write the vault; plus the bare document a new device fills while cloning.

use crate::events::NodeEvent;
use crate::host::{Host, HostError};
use rapport_model::automerge::{AutoCommit, ChangeHash};
use rapport_model::{DeviceId, EndpointId, Reach, Touched, Vault, VaultId};
use rapport_net::{EndpointTrust, Replica, TrustCheck};
use rapport_sync::CLONE_VAULT;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use tokio::sync::{broadcast, watch};

/// The devices this device accepts: the vault's roster minus every revoked device, refreshed
/// whenever the roster changes, so a device added (or revoked) on another replica is trusted
/// (or refused) as soon as that change syncs here. Every refresh ticks a version, which wakes
/// live sessions (to close one whose peer just became untrusted) and the dialer.
#[derive(Debug, Clone)]
pub struct Roster {
    ids: Arc<RwLock<BTreeSet<DeviceId>>>,
    /// How each trusted device says it can be reached beyond the LAN (its own roster record):
    /// the iroh admission check and the dialer read it.
    reaches: Arc<RwLock<BTreeMap<DeviceId, Reach>>>,
    version: Arc<watch::Sender<u64>>,
}

impl Default for Roster {
    fn default() -> Self {
        Roster {
            ids: Arc::default(),
            reaches: Arc::default(),
            version: Arc::new(watch::channel(0).0),
        }
    }
}

impl Roster {
    pub fn refresh(&self, vault: &Vault, me: DeviceId) -> Result<(), HostError> {
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
        let reaches: BTreeMap<DeviceId, Reach> = vault
            .reaches()?
            .into_iter()
            .filter(|(id, _)| ids.contains(id))
            .collect();
        if let Ok(mut set) = self.ids.write() {
            *set = ids;
        }
        if let Ok(mut map) = self.reaches.write() {
            *map = reaches;
        }
        self.version.send_modify(|v| *v += 1);
        Ok(())
    }

    /// The trusted devices now.
    pub fn ids(&self) -> BTreeSet<DeviceId> {
        self.ids.read().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn contains(&self, peer: DeviceId) -> bool {
        self.ids.read().map(|s| s.contains(&peer)).unwrap_or(false)
    }

    /// Ticks on every refresh.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Resolves once `peer` is no longer trusted (revoked, or this device left).
    pub async fn until_untrusted(&self, peer: DeviceId) {
        let mut changes = self.subscribe();
        // Marked seen before the check, so a refresh in between is not missed.
        changes.borrow_and_update();
        while self.contains(peer) {
            if changes.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// How a trusted device can be reached beyond the LAN, as its roster record says.
    pub fn reach(&self, peer: DeviceId) -> Option<Reach> {
        self.reaches.read().ok()?.get(&peer).cloned()
    }

    /// The iroh admission check: the trusted, non-revoked device whose roster record carries
    /// this endpoint id, if any. Read on every iroh handshake.
    pub fn endpoint_check(&self) -> EndpointTrust {
        let reaches = self.reaches.clone();
        Arc::new(move |endpoint| {
            let map = reaches.read().ok()?;
            map.iter()
                .find(|(_, reach)| reach.endpoint == *endpoint)
                .map(|(id, _)| *id)
        })
    }

    pub fn check(&self) -> TrustCheck {
        let set = self.ids.clone();
        Arc::new(move |id| set.read().map(|s| s.contains(id)).unwrap_or(false))
    }
}

/// A device's data folder with its loaded vault, as sync sessions (and, in the daemon,
/// commands forwarded from the CLI) see it. One per process; shared behind a lock that only
/// blocking code takes (`rapport_net::with_replica`).
#[derive(Debug)]
pub struct StoreReplica<H> {
    pub home: H,
    pub vault_id: VaultId,
    pub device: DeviceId,
    pub roster: Roster,
    /// Ticks after every change the vault gains, whatever its source, so live sessions pass
    /// it on at once (this is what lets a device relay changes between two others).
    changed: watch::Sender<u64>,
    events: broadcast::Sender<NodeEvent>,
    /// While a pairing window is open: where the WebTransport accept loop sends browsers that
    /// proved their key and asked to pair (`None`: browsers asking to pair are refused).
    pub(crate) browser_pairing:
        Option<tokio::sync::mpsc::Sender<rapport_net::browser::BrowserPairing>>,
}

impl<H: Host> StoreReplica<H> {
    /// Loads the vault (blocking: call it before the runtime starts, or from blocking code).
    pub fn open(mut home: H) -> Result<StoreReplica<H>, HostError> {
        let device = home.device();
        let vault = home.vault()?;
        let vault_id = vault.vault_id()?;
        let roster = Roster::default();
        roster.refresh(vault, device)?;
        Ok(StoreReplica {
            home,
            vault_id,
            device,
            roster,
            changed: watch::channel(0).0,
            events: broadcast::channel(256).0,
            browser_pairing: None,
        })
    }

    /// Called after the vault changed outside sync (a command, an import, a restored backup):
    /// refreshes trust and wakes live sessions, so every peer hears of it now.
    pub fn changed_locally(&mut self) -> Result<(), HostError> {
        let device = self.device;
        let vault = self.home.vault()?;
        self.roster.refresh(vault, device)?;
        self.changed.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Writes this device's own reach into its roster record (its iroh endpoint id, and the
    /// vault's relay as its home relay) when the record says otherwise: a device made before
    /// iroh, a joiner whose pairing added it without one, or a relay changed on another
    /// device. The change syncs to the others like any edit. Returns the reach written or
    /// already there; `None` when this device is not in the roster (it left).
    pub fn ensure_own_reach(&mut self) -> Result<Option<Reach>, HostError> {
        let me = self.device;
        let endpoint = self.home.endpoint_key().endpoint_id();
        let vault = self.home.vault()?;
        if !vault.devices()?.iter().any(|d| d.id == me) {
            return Ok(None);
        }
        let want = Reach {
            endpoint,
            relay: vault.relay()?,
        };
        if vault.reaches()?.get(&me) == Some(&want) {
            return Ok(Some(want));
        }
        let now = crate::peers::now_ms();
        let written = want.clone();
        self.home.write(&|v| {
            v.set_reach(me, &written, now)?;
            Ok(())
        })?;
        self.changed_locally()?;
        Ok(Some(want))
    }

    /// Ticks after every change the vault gains.
    pub fn subscribe_changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// What the node does, as it happens.
    pub fn events(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    pub(crate) fn event_sender(&self) -> broadcast::Sender<NodeEvent> {
        self.events.clone()
    }

    pub(crate) fn emit(&self, event: NodeEvent) {
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(event);
    }
}

impl<H: Host> Replica for StoreReplica<H> {
    type Error = HostError;
    fn doc(&mut self) -> Result<&mut AutoCommit, HostError> {
        self.home.vault().map(Vault::doc_mut)
    }
    fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    fn device(&self) -> DeviceId {
        self.device
    }
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>> {
        self.home.store().peer_state(peer).ok().flatten()
    }
    fn persist(&mut self, peer: DeviceId, touched: &Touched) -> Result<(), HostError> {
        self.home.commit_applied(touched)?;
        if touched.devices || touched.other {
            let device = self.device;
            let vault = self.home.vault()?;
            self.roster.refresh(vault, device)?;
        }
        // Every other live session passes it on (the one that applied it skips it).
        self.changed.send_modify(|n| *n += 1);
        self.emit(NodeEvent::ChangesReceived {
            peer,
            records: touched.contacts.len() + touched.interactions.len() + touched.groups.len(),
        });
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), HostError> {
        Ok(self.home.store().set_peer_state(peer, state)?)
    }

    /// A live peer (a browser's sessions, above all, end by being cut rather than by a
    /// clean `Done`) counts as synced each time an exchange with it settles equal.
    fn settled_equal(&mut self, peer: DeviceId) {
        crate::peers::mark_synced(self.home.store(), peer);
    }
}

impl<H: Host> rapport_net::pairing::Admit for StoreReplica<H> {
    /// Adds a device that just paired to the roster, durably, before it is told so: with the
    /// iroh endpoint id it announced (its home relay is the vault's), and this device's own
    /// reach written too, so either can reach the other beyond the LAN before they sync again.
    fn admit(
        &mut self,
        device: DeviceId,
        name: &str,
        endpoint: Option<EndpointId>,
    ) -> Result<(), HostError> {
        let me = self.device;
        let own_endpoint = self.home.endpoint_key().endpoint_id();
        let name = if name.trim().is_empty() {
            format!("device {}", device.short())
        } else {
            name.trim().to_owned()
        };
        self.home.write(&|vault| {
            if vault.revoked()?.contains(&device) {
                return Err(HostError::Refused(format!(
                    "device {} was revoked and cannot pair again: pair it with a fresh home",
                    device.short()
                )));
            }
            let now = crate::peers::now_ms();
            let entry = rapport_model::Device {
                id: device,
                name: name.clone(),
                added_at: now,
                added_by: Some(me),
            };
            vault.add_device(&entry, now)?;
            let relay = vault.relay()?;
            if let Some(endpoint) = endpoint {
                let reach = Reach {
                    endpoint,
                    relay: relay.clone(),
                };
                vault.set_reach(device, &reach, now)?;
            }
            let own = Reach {
                endpoint: own_endpoint,
                relay,
            };
            vault.set_reach(me, &own, now)?;
            Ok(())
        })?;
        self.changed_locally()
    }
}

/// A device fetching its first copy of a vault: an empty document until the sync finishes.
#[derive(Debug)]
pub(crate) struct CloneReplica {
    pub(crate) doc: AutoCommit,
    pub(crate) device: DeviceId,
    pub(crate) peer_state: Option<(DeviceId, Vec<u8>)>,
    /// The whole document as the peer sent it (a zstd frame) and the heads it loaded to:
    /// stored as the snapshot if nothing arrived after it.
    pub(crate) whole: Option<(Vec<u8>, Vec<ChangeHash>)>,
}

impl CloneReplica {
    pub(crate) fn new(device: DeviceId) -> CloneReplica {
        CloneReplica {
            doc: AutoCommit::new().with_actor(rapport_model::vault_actor(device)),
            device,
            peer_state: None,
            whole: None,
        }
    }

    /// The received snapshot bytes, if they hold exactly what `doc` holds now.
    pub(crate) fn take_snapshot(&mut self) -> Option<Vec<u8>> {
        let (bytes, heads) = self.whole.take()?;
        let mut now = self.doc.get_heads();
        let mut then = heads;
        now.sort();
        then.sort();
        (now == then).then_some(bytes)
    }
}

impl Replica for CloneReplica {
    type Error = std::convert::Infallible;
    fn doc(&mut self) -> Result<&mut AutoCommit, Self::Error> {
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
    fn persist(&mut self, _peer: DeviceId, _touched: &Touched) -> Result<(), Self::Error> {
        // Nothing to persist until the whole vault has arrived; `clone` stores it then.
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), Self::Error> {
        self.peer_state = Some((peer, state.to_vec()));
        Ok(())
    }
    fn whole_document(&mut self, compressed: Vec<u8>, heads: Vec<ChangeHash>) {
        self.whole = Some((compressed, heads));
    }
}
