//! Sessions that end: `sync` (until both hold the same changes), `clone` and the vault fetch
//! that follows `join`, and telling peers that this device left.

use crate::host::{Host, HostError};
use crate::replica::{CloneReplica, StoreReplica};
use crate::NodeError;
use rapport_identity::{DeviceIdentity, EndpointKey};
use rapport_model::{DeviceId, EndpointId, Vault, VaultId};
use rapport_net::{
    run_session, with_replica, CloseCode, NetError, Node, NodeConfig, PeerConnection,
    SessionOptions, SessionReport, Shared,
};
use rapport_store::Store;
use rapport_sync::Role;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Syncs once with the device at `addr` (any device in the roster) from its own endpoint,
/// until both hold the same changes (`rapport sync` without a daemon).
pub async fn sync_once<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    addr: SocketAddr,
) -> Result<SessionReport, NodeError> {
    let (identity, trust) =
        with_replica(replica, |r| (r.home.identity().clone(), r.roster.check())).await?;
    let node = Node::bind(
        unspecified_like(addr),
        identity,
        trust,
        &NodeConfig::default(),
    )?;
    let result = sync_on(&node, replica, addr).await;
    node.shutdown().await;
    result
}

/// Syncs once with `peer` over iroh, dialling it by the endpoint id and relay of its roster
/// record (`rapport sync DEVICE` for a device never reached on the LAN). The endpoint binds
/// `bind` (the unspecified address: every interface).
pub async fn sync_once_iroh<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    peer: DeviceId,
    bind: std::net::IpAddr,
) -> Result<SessionReport, NodeError> {
    let (key, check, reach, relay) = with_replica(replica, move |r| {
        let relay = r.home.vault().and_then(|v| Ok(v.relay()?));
        (
            r.home.endpoint_key().clone(),
            r.roster.endpoint_check(),
            r.roster.reach(peer),
            relay,
        )
    })
    .await?;
    let unreachable = || NodeError::NoReach { device: peer };
    let reach = reach.ok_or_else(unreachable)?;
    let relay = relay?.or_else(|| reach.relay.clone());
    let config = rapport_net::WanConfig {
        bind: match bind.is_unspecified() {
            true => Vec::new(),
            false => vec![SocketAddr::new(bind, 0)],
        },
        relay,
        relay_only: false,
        relay_roots: crate::relay_ca::relay_roots(),
    };
    let wan = rapport_net::WanNode::bind(&key, check, &config).await?;
    let to = rapport_net::WanAddr {
        endpoint: Some(reach.endpoint),
        relay: reach.relay,
        direct: Vec::new(),
    };
    let result = async {
        let conn = wan.connect(&to, peer).await?;
        let report = run_session(
            &conn,
            Role::Initiator,
            replica.clone(),
            SessionOptions::default(),
        )
        .await?;
        let path = conn.path();
        conn.close(CloseCode::Done);
        let equal = report.equal;
        with_replica(replica, move |r| {
            crate::peers::record(r.home.store(), peer, None, false, equal, path)
        })
        .await?;
        if !equal {
            return Err(NodeError::NotEqual {
                addr: conn.remote_address(),
            });
        }
        Ok(report)
    }
    .await;
    wan.close_for_exit().await;
    result
}

/// Syncs once with the device at `addr` over `node`.
pub(crate) async fn sync_on<H: Host>(
    node: &Node,
    replica: &Shared<StoreReplica<H>>,
    addr: SocketAddr,
) -> Result<SessionReport, NodeError> {
    let trust = with_replica(replica, |r| r.roster.check()).await?;
    let conn = node.connect_trusting(addr, trust).await?;
    let peer = conn.peer();
    let report = run_session(
        &conn,
        Role::Initiator,
        replica.clone(),
        SessionOptions::default(),
    )
    .await?;
    conn.close(CloseCode::Done);
    let equal = report.equal;
    with_replica(replica, move |r| {
        crate::peers::record(
            r.home.store(),
            peer,
            Some(addr),
            true,
            equal,
            rapport_net::LinkPath::Lan,
        )
    })
    .await?;
    if !equal {
        return Err(NodeError::NotEqual { addr });
    }
    Ok(report)
}

/// Fetches the vault from `peer` at `addr` into an empty store.
pub async fn clone_vault(
    identity: &DeviceIdentity,
    store: &Store,
    addr: SocketAddr,
    peer: DeviceId,
) -> Result<(Vault, SessionReport), NodeError> {
    let me = identity.device_id();
    let node = Node::bind(
        unspecified_like(addr),
        identity.clone(),
        Arc::new(move |id| *id == peer),
        &NodeConfig::default(),
    )?;
    let conn = match node.connect(addr, peer).await {
        Ok(conn) => conn,
        Err(e) => {
            node.shutdown().await;
            // Whatever failed, the likeliest cause is that the device was not added there.
            return Err(NodeError::NotAdded {
                device: me,
                source: e,
            });
        }
    };
    let result = receive_vault(store, me, &conn, Some(addr), None).await;
    conn.close(CloseCode::Done);
    node.shutdown().await;
    result
}

/// Where to fetch a vault from beyond the LAN: the device's endpoint id and the relay both use.
#[derive(Debug, Clone)]
pub struct FarSource {
    pub peer: DeviceId,
    pub endpoint: EndpointId,
    pub relay: String,
    /// Every packet through the relay, none directly (hides this device's IP addresses).
    pub relay_only: bool,
}

/// Fetches the vault from `from` over iroh (hole punched, or through the relay) into an empty
/// store: `clone --endpoint`. The other device must have added this one with its endpoint id.
pub async fn clone_vault_far(
    identity: &DeviceIdentity,
    key: &EndpointKey,
    store: &Store,
    from: &FarSource,
) -> Result<(Vault, SessionReport, rapport_net::LinkPath), NodeError> {
    let me = identity.device_id();
    let (peer, endpoint) = (from.peer, from.endpoint);
    let config = rapport_net::WanConfig {
        bind: Vec::new(),
        relay: Some(from.relay.clone()),
        relay_only: from.relay_only,
        relay_roots: crate::relay_ca::relay_roots(),
    };
    // Only the device named on the command line is accepted, as `clone ADDR --id` pins it.
    let trust: rapport_net::EndpointTrust =
        Arc::new(move |e: &EndpointId| (*e == endpoint).then_some(peer));
    let wan = rapport_net::WanNode::bind(key, trust, &config).await?;
    let to = rapport_net::WanAddr {
        endpoint: Some(endpoint),
        relay: Some(from.relay.clone()),
        direct: Vec::new(),
    };
    let result = async {
        // A refusal, at the handshake or once the session starts, means the other device has
        // not added this one with its endpoint id: say how.
        let far = |e: NodeError| match e {
            NodeError::NotAdded { device, source } => NodeError::NotAddedFar {
                device,
                endpoint: key.endpoint_id(),
                source,
            },
            other => other,
        };
        let conn = wan
            .connect(&to, peer)
            .await
            .map_err(|e| far(not_added(e, me)))?;
        tracing::debug!(path = ?conn.path(), "clone: connected");
        let received = receive_vault(store, me, &conn, None, None)
            .await
            .map_err(far);
        let path = conn.path();
        tracing::debug!(?path, "clone: vault received and stored");
        conn.close(CloseCode::Done);
        received.map(|(vault, report)| (vault, report, path))
    }
    .await;
    wan.close_for_exit().await;
    tracing::debug!("clone: endpoint closed");
    result
}

/// A refusal while fetching a vault most often means the other device has not added this one.
fn not_added(e: NetError, me: DeviceId) -> NodeError {
    if e.is_refusal() {
        NodeError::NotAdded {
            device: me,
            source: e,
        }
    } else {
        e.into()
    }
}

/// Fetches the vault from the peer of `conn` into an empty store (used by `clone`, and by
/// `join`, which fetches over its pairing connection). `addr` is remembered as where the peer
/// syncs; `join` passes `None`, since a pairing window's address closes with it.
pub async fn receive_vault(
    store: &Store,
    me: DeviceId,
    conn: &PeerConnection,
    addr: Option<SocketAddr>,
    paired_for: Option<VaultId>,
) -> Result<(Vault, SessionReport), NodeError> {
    let peer = conn.peer();
    let replica = Arc::new(tokio::sync::Mutex::new(CloneReplica::new(me)));
    let report = run_session(
        conn,
        Role::Initiator,
        replica.clone(),
        SessionOptions::default(),
    )
    .await
    .map_err(|e| not_added(e, me))?;
    if !report.equal {
        return Err(NodeError::CloneIncomplete);
    }
    // The stages of a fresh device, for `RUST_LOG=rapport_node=debug` (issue #15).
    tracing::debug!(
        ms = report.elapsed.as_millis() as u64,
        bytes = report.bytes_received,
        "clone: transfer and apply (the sync session)"
    );
    let (doc, peer_state, snapshot) = with_replica(&replica, |r| {
        let snapshot = r.take_snapshot();
        (std::mem::take(&mut r.doc), r.peer_state.take(), snapshot)
    })
    .await?;
    // Loading and storing a whole vault blocks (Automerge, fsyncs): off the async workers.
    tokio::task::block_in_place(|| {
        let started = std::time::Instant::now();
        let mut vault = Vault::open(doc, me).map_err(NodeError::NotAVault)?;
        // After pairing, check before anything is stored, so a refused vault leaves the home
        // empty and `join` can simply be run again.
        if let Some(expected) = paired_for {
            if vault.vault_id().map_err(HostError::from)? != expected {
                return Err(NodeError::WrongVault);
            }
            if !vault
                .devices()
                .map_err(HostError::from)?
                .iter()
                .any(|d| d.id == me)
            {
                return Err(NodeError::NotInRoster);
            }
        }
        let opened = started.elapsed();
        // The document as the peer sent it is already a snapshot (`whole.rs` in rapport-sync):
        // kept as it is, it spares saving and compressing 76 MB of columns on W30.
        store
            .create_vault_from(&mut vault, snapshot)
            .map_err(HostError::from)?;
        tracing::debug!(
            open_ms = opened.as_millis() as u64,
            store_ms = (started.elapsed() - opened).as_millis() as u64,
            "clone: stored durably (snapshot on one core, view on the other, then fsyncs)"
        );
        if let Some((peer, state)) = &peer_state {
            store
                .set_peer_state(*peer, state)
                .map_err(HostError::from)?;
        }
        crate::peers::record(store, peer, addr, true, true, rapport_net::LinkPath::Lan);
        Ok((vault, report))
    })
}

/// Tells every device in `peers` (best effort, a few seconds each) what this replica holds:
/// used by `devices leave`, so the news does not wait for this device to sync again (it never
/// will: it trusts nobody now). Returns how many heard it.
pub async fn tell_peers<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    peers: &[(DeviceId, SocketAddr)],
) -> Result<usize, NodeError> {
    let identity = with_replica(replica, |r| r.home.identity().clone()).await?;
    let mut told = 0;
    for &(peer, addr) in peers {
        let Ok(node) = Node::bind(
            unspecified_like(addr),
            identity.clone(),
            Arc::new(move |id| *id == peer),
            &NodeConfig::default(),
        ) else {
            continue;
        };
        let attempt = async {
            let conn = node.connect(addr, peer).await?;
            let r = run_session(
                &conn,
                Role::Initiator,
                replica.clone(),
                SessionOptions::default(),
            )
            .await;
            conn.close(CloseCode::Done);
            r
        };
        match tokio::time::timeout(Duration::from_secs(5), attempt).await {
            Ok(Ok(_)) => told += 1,
            // The peer closing on us because it just learnt we left is the news arriving.
            Ok(Err(e)) if e.is_refusal() => told += 1,
            _ => {}
        }
        node.shutdown().await;
    }
    Ok(told)
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
