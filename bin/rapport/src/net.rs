//! Wiring the store to the network: the `Replica` that sync sessions persist through, and the
//! `serve`, `sync` and `clone` jobs. The protocol lives in rapport-sync and the transport in
//! rapport-net; this module only connects them to this device's store.

use crate::home::Home;
use anyhow::{bail, Context, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Touched, Vault, VaultId};
use rapport_net::{
    run_session, Node, NodeConfig, Replica, SessionOptions, SessionReport, TrustCheck,
};
use rapport_store::Store;
use rapport_sync::{Role, CLONE_VAULT};
use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tokio::sync::Mutex;

/// The devices this device accepts: the vault's roster, refreshed whenever the roster changes,
/// so a device added on another replica is trusted as soon as that change syncs here.
#[derive(Debug, Clone, Default)]
pub struct Roster(Arc<RwLock<BTreeSet<DeviceId>>>);

impl Roster {
    pub fn refresh(&self, vault: &Vault, me: DeviceId) -> Result<()> {
        let ids: BTreeSet<DeviceId> = vault
            .devices()?
            .into_iter()
            .map(|d| d.id)
            .filter(|id| *id != me)
            .collect();
        if let Ok(mut set) = self.0.write() {
            *set = ids;
        }
        Ok(())
    }

    pub fn check(&self) -> TrustCheck {
        let set = self.0.clone();
        Arc::new(move |id| set.read().map(|s| s.contains(id)).unwrap_or(false))
    }
}

/// A device's store and loaded vault, as sync sessions see it.
#[derive(Debug)]
pub struct StoreReplica {
    pub store: Store,
    pub vault: Vault,
    pub vault_id: VaultId,
    pub device: DeviceId,
    pub roster: Roster,
}

impl StoreReplica {
    pub fn open(home: Home) -> Result<(StoreReplica, rapport_identity::DeviceIdentity)> {
        let vault = home.store.load_vault(home.device)?;
        let vault_id = vault.vault_id()?;
        let roster = Roster::default();
        roster.refresh(&vault, home.device)?;
        Ok((
            StoreReplica {
                store: home.store,
                vault,
                vault_id,
                device: home.device,
                roster,
            },
            home.identity,
        ))
    }
}

impl Replica for StoreReplica {
    fn doc(&mut self) -> &mut AutoCommit {
        self.vault.doc_mut()
    }
    fn vault_id(&self) -> VaultId {
        self.vault_id
    }
    fn device(&self) -> DeviceId {
        self.device
    }
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>> {
        self.store.peer_state(peer).ok().flatten()
    }
    fn persist(&mut self, touched: &Touched) -> Result<(), String> {
        self.store
            .commit(&mut self.vault, touched)
            .map_err(|e| e.to_string())?;
        if touched.devices || touched.other {
            self.roster
                .refresh(&self.vault, self.device)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), String> {
        self.store
            .set_peer_state(peer, state)
            .map_err(|e| e.to_string())
    }
}

/// A device fetching its first copy of a vault: an empty document until the sync finishes.
#[derive(Debug)]
struct CloneReplica {
    doc: AutoCommit,
    device: DeviceId,
    peer_state: Option<(DeviceId, Vec<u8>)>,
}

impl Replica for CloneReplica {
    fn doc(&mut self) -> &mut AutoCommit {
        &mut self.doc
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

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// Accepts trusted peers and answers their sync sessions until `shutdown` resolves. Every
/// change a peer sends is durable before this device acknowledges it, so stopping at any
/// moment loses nothing that was acknowledged.
pub async fn serve(
    replica: Arc<Mutex<StoreReplica>>,
    node: Arc<Node>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let accept = async {
        while let Some((conn, peer)) = node.accept().await {
            let replica = replica.clone();
            tokio::spawn(async move {
                let options = SessionOptions {
                    live: true,
                    ..SessionOptions::default()
                };
                match run_session(&conn, Role::Responder, replica, options).await {
                    Ok(report) => tracing_line(&format!(
                        "synced with {} ({} B in, {} B out)",
                        peer.short(),
                        report.bytes_received,
                        report.bytes_sent
                    )),
                    Err(e) => tracing_line(&format!("session with {} ended: {e}", peer.short())),
                }
            });
        }
    };
    tokio::select! {
        () = accept => {}
        () = shutdown => {}
    }
    node.shutdown().await;
    Ok(())
}

fn tracing_line(msg: &str) {
    eprintln!("rapport: {msg}");
}

/// Binds a node for this replica: accepts the roster.
pub fn bind(
    replica: &StoreReplica,
    identity: rapport_identity::DeviceIdentity,
    listen: SocketAddr,
) -> Result<Node> {
    Ok(Node::bind(
        listen,
        identity,
        replica.roster.check(),
        &NodeConfig::default(),
    )?)
}

/// Syncs once with the device at `addr` (any device in the roster), until both hold the same
/// changes.
pub async fn sync_once(
    replica: Arc<Mutex<StoreReplica>>,
    node: &Node,
    addr: SocketAddr,
) -> Result<SessionReport> {
    let trust = replica.lock().await.roster.check();
    let (conn, _peer) = node.connect_trusting(addr, trust).await?;
    let report = run_session(&conn, Role::Initiator, replica, SessionOptions::default()).await?;
    conn.close(0u32.into(), b"done");
    if !report.equal {
        bail!("the sync with {addr} ended before both devices held the same changes: run `rapport sync` again");
    }
    Ok(report)
}

/// Fetches the vault from `peer` at `addr` into an empty home.
pub async fn clone_vault(
    home: &Home,
    addr: SocketAddr,
    peer: DeviceId,
) -> Result<(Vault, SessionReport)> {
    let node = Node::bind(
        unspecified_like(addr),
        home.identity.clone(),
        Arc::new(move |id| *id == peer),
        &NodeConfig::default(),
    )?;
    let conn = node.connect(addr, peer).await.map_err(|e| {
        anyhow::anyhow!(
            "{e}; on that device, run `rapport devices add {}` first",
            home.device
        )
    })?;
    let replica = Arc::new(Mutex::new(CloneReplica {
        doc: AutoCommit::new().with_actor(rapport_model::vault_actor(home.device)),
        device: home.device,
        peer_state: None,
    }));
    let report = run_session(
        &conn,
        Role::Initiator,
        replica.clone(),
        SessionOptions::default(),
    )
    .await?;
    conn.close(0u32.into(), b"done");
    node.shutdown().await;
    if !report.equal {
        bail!("the vault did not arrive completely: run `rapport clone` again");
    }
    let mut guard = replica.lock().await;
    let doc = std::mem::take(&mut guard.doc);
    let mut vault = Vault::open(doc, home.device)
        .context("the peer sent something that is not a Rapport vault")?;
    home.store.create_vault(&mut vault)?;
    if let Some((peer, state)) = &guard.peer_state {
        home.store.set_peer_state(*peer, state)?;
    }
    Ok((vault, report))
}

/// A local address of the same family as `addr`, on any port: where to dial from.
pub fn unspecified_like(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_loopback() {
        SocketAddr::new(addr.ip(), 0)
    } else if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    }
}
