//! Wiring this device to the network: the daemon (`serve`: accept, dial with backoff, live
//! sessions), `sync_once` and `clone_vault`. The protocol lives in rapport-sync, the transport
//! in rapport-net, and the store-backed replica in `replica`.

use crate::home::Home;
use crate::replica::CloneReplica;
pub use crate::replica::StoreReplica;
use anyhow::{bail, Context, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Vault};
use rapport_net::{run_session, Node, NodeConfig, SessionOptions, SessionReport};
use rapport_sync::Role;
use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Mutex;

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    rapport_net::runtime().context("could not start the async runtime")
}

/// Accepts trusted peers and keeps a live session with each until `shutdown` resolves; also
/// dials every known peer at its last address, with backoff. Every change a peer sends is
/// durable before this device acknowledges it, so stopping at any moment loses nothing that
/// was acknowledged.
pub async fn serve(
    replica: Arc<Mutex<StoreReplica>>,
    node: Arc<Node>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let active: Arc<std::sync::Mutex<BTreeSet<DeviceId>>> = Arc::default();
    let per_peer: Arc<std::sync::Mutex<std::collections::BTreeMap<DeviceId, usize>>> =
        Arc::default();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SESSIONS));
    let accept = {
        let (replica, node, active) = (replica.clone(), node.clone(), active.clone());
        async move {
            while let Some(incoming) = node.accept().await {
                // Bounded: a fixed number of sessions in all (counting handshakes), and a few
                // per device (a live one plus a one-shot `sync`); anything over is refused.
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    incoming.refuse();
                    continue;
                };
                let (replica, active, per_peer) =
                    (replica.clone(), active.clone(), per_peer.clone());
                // Each handshake on its own task: a slow or abandoned one never holds up the
                // next peer.
                tokio::spawn(async move {
                    let Some((conn, peer)) = rapport_net::authenticate(incoming).await else {
                        return;
                    };
                    if !take_peer_slot(&per_peer, peer) {
                        conn.close(1u32.into(), b"too many sessions from this device");
                        return;
                    }
                    let addr = conn.remote_address();
                    mark(&active, peer, true);
                    tracing_line(&format!("{} connected", peer.short()));
                    let result = live_session(&conn, Role::Responder, replica.clone()).await;
                    mark(&active, peer, false);
                    release_peer_slot(&per_peer, peer);
                    drop(slot);
                    report(&replica, peer, Some(addr), false, result).await;
                });
            }
        }
    };
    let dial = dial_known_peers(replica.clone(), node.clone(), active);
    tokio::select! {
        () = accept => {}
        () = dial => {}
        () = shutdown => {}
    }
    node.shutdown().await;
    Ok(())
}

/// Sessions open at once, in all and per device.
const MAX_SESSIONS: usize = 64;
const MAX_SESSIONS_PER_PEER: usize = 3;

type PeerCounts = std::sync::Mutex<std::collections::BTreeMap<DeviceId, usize>>;

fn take_peer_slot(counts: &PeerCounts, peer: DeviceId) -> bool {
    let Ok(mut map) = counts.lock() else {
        return false;
    };
    let n = map.entry(peer).or_insert(0);
    if *n >= MAX_SESSIONS_PER_PEER {
        return false;
    }
    *n += 1;
    true
}

fn release_peer_slot(counts: &PeerCounts, peer: DeviceId) {
    if let Ok(mut map) = counts.lock() {
        if let Some(n) = map.get_mut(&peer) {
            *n = n.saturating_sub(1);
        }
    }
}

fn mark(active: &std::sync::Mutex<BTreeSet<DeviceId>>, peer: DeviceId, on: bool) {
    if let Ok(mut set) = active.lock() {
        if on {
            set.insert(peer);
        } else {
            set.remove(&peer);
        }
    }
}

async fn live_session(
    conn: &rapport_net::Connection,
    role: Role,
    replica: Arc<Mutex<StoreReplica>>,
) -> Result<SessionReport, rapport_net::NetError> {
    let (changes, roster) = {
        let r = replica.lock().await;
        (r.local_changes.subscribe(), r.roster.clone())
    };
    let options = SessionOptions {
        live: true,
        local_changes: Some(changes),
        ..SessionOptions::default()
    };
    let Some(peer) = rapport_net::device_of_connection(conn) else {
        return Err(rapport_net::NetError::Refused(
            "the peer has no device certificate".into(),
        ));
    };
    // A live session ends the moment its peer is revoked (here, or by a change that arrives
    // from any other device): the TLS check only runs at the handshake.
    tokio::select! {
        result = run_session(conn, role, replica, options) => result,
        () = roster.until_untrusted(peer) => {
            conn.close(2u32.into(), b"this device was revoked");
            Err(rapport_net::NetError::Refused(format!("{} is no longer trusted (revoked)", peer.short())))
        }
    }
}

async fn report(
    replica: &Arc<Mutex<StoreReplica>>,
    peer: DeviceId,
    addr: Option<SocketAddr>,
    dialable: bool,
    result: Result<SessionReport, rapport_net::NetError>,
) {
    let r = replica.lock().await;
    match result {
        Ok(report) => {
            crate::peers::record(&r.home.store, peer, addr, dialable, report.equal);
            tracing_line(&format!(
                "synced with {} ({} B in, {} B out)",
                peer.short(),
                report.bytes_received,
                report.bytes_sent
            ));
        }
        // A live session has no closing handshake: the peer hanging up is how it ends.
        Err(rapport_net::NetError::Connection(_) | rapport_net::NetError::PeerClosed) => {
            crate::peers::record(&r.home.store, peer, addr, dialable, false);
            tracing_line(&format!("{} disconnected", peer.short()));
        }
        Err(e) => {
            crate::peers::record(&r.home.store, peer, addr, dialable, false);
            tracing_line(&format!("session with {} failed: {e}", peer.short()));
        }
    }
}

/// Keeps a live session open with every roster device whose address we know, reconnecting
/// with exponential backoff (1 s doubling to 60 s) when it drops.
async fn dial_known_peers(
    replica: Arc<Mutex<StoreReplica>>,
    node: Arc<Node>,
    active: Arc<std::sync::Mutex<BTreeSet<DeviceId>>>,
) {
    let mut backoff: std::collections::BTreeMap<DeviceId, (std::time::Instant, u32)> =
        Default::default();
    loop {
        let targets: Vec<(DeviceId, SocketAddr)> = {
            let r = replica.lock().await;
            let roster = r.roster.0.read().map(|s| s.clone()).unwrap_or_default();
            roster
                .into_iter()
                .filter_map(|peer| {
                    let info = crate::peers::get(&r.home.store, peer);
                    info.addr.filter(|_| info.dialable).map(|a| (peer, a))
                })
                .collect()
        };
        for (peer, addr) in targets {
            let busy = active.lock().map(|s| s.contains(&peer)).unwrap_or(true);
            let waiting = backoff
                .get(&peer)
                .is_some_and(|(until, _)| std::time::Instant::now() < *until);
            if busy || waiting {
                continue;
            }
            mark(&active, peer, true);
            let attempt = backoff.get(&peer).map(|(_, n)| *n).unwrap_or(0);
            let delay = std::time::Duration::from_secs((1u64 << attempt.min(6)).min(60));
            backoff.insert(peer, (std::time::Instant::now() + delay, attempt + 1));
            let (replica, node, active) = (replica.clone(), node.clone(), active.clone());
            tokio::spawn(async move {
                match node.connect(addr, peer).await {
                    Ok(conn) => {
                        tracing_line(&format!("connected to {}", peer.short()));
                        let result = live_session(&conn, Role::Initiator, replica.clone()).await;
                        report(&replica, peer, Some(addr), true, result).await;
                    }
                    Err(e) => {
                        tracing_line(&format!("could not reach {} at {addr}: {e}", peer.short()))
                    }
                }
                mark(&active, peer, false);
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
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
    let (conn, peer) = node.connect_trusting(addr, trust).await?;
    let report = run_session(
        &conn,
        Role::Initiator,
        replica.clone(),
        SessionOptions::default(),
    )
    .await?;
    conn.close(0u32.into(), b"done");
    crate::peers::record(
        &replica.lock().await.home.store,
        peer,
        Some(addr),
        true,
        report.equal,
    );
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
    let result = receive_vault(home, &conn, Some(addr), peer, None).await;
    conn.close(0u32.into(), b"done");
    node.shutdown().await;
    result
}

/// Fetches the vault from `peer` over an open connection into an empty home (used by `clone`
/// and by `join`, which fetches over its pairing connection). `addr` is remembered as where the
/// peer syncs; `join` passes `None`, since a pairing window's address closes with it.
pub async fn receive_vault(
    home: &Home,
    conn: &rapport_net::Connection,
    addr: Option<SocketAddr>,
    peer: DeviceId,
    paired_for: Option<rapport_model::VaultId>,
) -> Result<(Vault, SessionReport)> {
    let replica = Arc::new(Mutex::new(CloneReplica {
        doc: AutoCommit::new().with_actor(rapport_model::vault_actor(home.device)),
        device: home.device,
        peer_state: None,
    }));
    let report = run_session(
        conn,
        Role::Initiator,
        replica.clone(),
        SessionOptions::default(),
    )
    .await
    .map_err(|e| match e {
        rapport_net::NetError::Refused(_) => anyhow::anyhow!(
            "{e}; on that device, run `rapport devices add {}` first",
            home.device
        ),
        other => other.into(),
    })?;
    if !report.equal {
        bail!("the vault did not arrive completely: run `rapport clone` again");
    }
    let mut guard = replica.lock().await;
    let doc = std::mem::take(&mut guard.doc);
    let mut vault = Vault::open(doc, home.device)
        .context("the peer sent something that is not a Rapport vault")?;
    // After pairing, check before anything is stored, so a refused vault leaves the home empty
    // and `join` can simply be run again.
    if let Some(expected) = paired_for {
        if vault.vault_id()? != expected {
            bail!("the pairing device sent another vault than the one it paired for: run `rapport pair` again");
        }
        if !vault.devices()?.iter().any(|d| d.id == home.device) {
            bail!("the vault arrived but this device is not in its roster: run `rapport pair` and `rapport join` again");
        }
    }
    home.store.create_vault(&mut vault)?;
    if let Some((peer, state)) = &guard.peer_state {
        home.store.set_peer_state(*peer, state)?;
    }
    crate::peers::record(&home.store, peer, addr, true, true);
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
