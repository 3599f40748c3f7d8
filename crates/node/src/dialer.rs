//! Keeps a live session open with every roster device whose listening address is known, or
//! (when this device runs iroh) whose roster record names a relay, reconnecting with
//! [`Backoff`] when it drops. The LAN address is tried first (quinn), then iroh: direct if
//! hole punching succeeds, through the relay otherwise.
//!
//! Event and timer driven: the dialer reads the store only when the roster changes, and
//! otherwise learns what it needs from messages (a session ended, an address was learnt by
//! LAN discovery or a `sync`), sleeping until the next peer is due. It never polls.

use crate::backoff::Backoff;
use crate::ctx::{Ctx, DialerCmd};
use crate::events::Reached;
use crate::host::Host;
use rapport_model::DeviceId;
use rapport_net::{with_replica, WanAddr};
use rapport_sync::Role;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

#[derive(Debug)]
struct Target {
    /// The peer's LAN address, when known.
    addr: Option<SocketAddr>,
    /// How to dial the peer over iroh, when both ends run it.
    wan: Option<WanAddr>,
    backoff: Backoff,
    due: Instant,
    dialling: bool,
}

pub(crate) async fn run<H: Host>(ctx: Arc<Ctx<H>>, mut rx: mpsc::UnboundedReceiver<DialerCmd>) {
    let mut targets: BTreeMap<DeviceId, Target> = BTreeMap::new();
    let mut roster = ctx.roster.subscribe();
    roster.borrow_and_update();
    reload(&ctx, &mut targets).await;
    loop {
        let now = Instant::now();
        for (peer, t) in targets.iter_mut() {
            if t.dialling || t.due > now {
                continue;
            }
            if ctx.sessions.has(*peer) {
                // Connected already (it dialled us): look again when that session ends.
                t.due = far_future();
                continue;
            }
            t.dialling = true;
            tokio::spawn(dial(ctx.clone(), *peer, t.addr, t.wan.clone()));
        }
        let next = targets
            .values()
            .filter(|t| !t.dialling)
            .map(|t| t.due)
            .min()
            .unwrap_or_else(far_future);
        tokio::select! {
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return };
                handle(&mut targets, cmd);
            }
            changed = roster.changed() => {
                if changed.is_err() {
                    return;
                }
                reload(&ctx, &mut targets).await;
            }
            () = tokio::time::sleep_until(next) => {}
        }
    }
}

fn handle(targets: &mut BTreeMap<DeviceId, Target>, cmd: DialerCmd) {
    let now = Instant::now();
    match cmd {
        DialerCmd::Learned { peer, addr } => {
            let t = targets
                .entry(peer)
                .or_insert_with(|| new_target(Some(addr), None));
            if t.addr != Some(addr) {
                t.addr = Some(addr);
                t.backoff.reset();
                t.due = now;
            }
        }
        DialerCmd::Ended { peer } => {
            if let Some(t) = targets.get_mut(&peer) {
                if !t.dialling {
                    t.due = now + t.backoff.next_delay();
                }
            }
        }
        DialerCmd::Dialled { peer, connected } => {
            if let Some(t) = targets.get_mut(&peer) {
                t.dialling = false;
                if connected {
                    // It was reachable: retry soon after a drop, and back off from there.
                    t.backoff.reset();
                }
                t.due = now + t.backoff.next_delay();
            }
        }
    }
}

fn new_target(addr: Option<SocketAddr>, wan: Option<WanAddr>) -> Target {
    Target {
        addr,
        wan,
        backoff: Backoff::dialer(),
        due: Instant::now(),
        dialling: false,
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(24 * 3600)
}

/// Re-reads which trusted devices have a dialable address (a sled read, off the workers),
/// and which can be dialled over iroh (their roster record names an endpoint and a relay).
async fn reload<H: Host>(ctx: &Arc<Ctx<H>>, targets: &mut BTreeMap<DeviceId, Target>) {
    let ids = ctx.roster.ids();
    let lan = with_replica(&ctx.replica, move |r| {
        ids.into_iter()
            .filter_map(|peer| {
                let info = crate::peers::get(r.home.store(), peer);
                info.addr.filter(|_| info.dialable).map(|a| (peer, a))
            })
            .collect::<BTreeMap<DeviceId, SocketAddr>>()
    })
    .await
    .unwrap_or_default();
    let wan: BTreeMap<DeviceId, WanAddr> = match &ctx.wan {
        Some(_) => ctx
            .roster
            .ids()
            .into_iter()
            .filter_map(|peer| {
                let reach = ctx.roster.reach(peer)?;
                reach.relay.as_ref()?;
                Some((
                    peer,
                    WanAddr {
                        endpoint: Some(reach.endpoint),
                        relay: reach.relay,
                        direct: Vec::new(),
                    },
                ))
            })
            .collect(),
        None => BTreeMap::new(),
    };
    targets.retain(|peer, _| lan.contains_key(peer) || wan.contains_key(peer));
    let peers: std::collections::BTreeSet<DeviceId> =
        lan.keys().chain(wan.keys()).copied().collect();
    for peer in peers {
        let (addr, far) = (lan.get(&peer).copied(), wan.get(&peer).cloned());
        let t = targets
            .entry(peer)
            .or_insert_with(|| new_target(addr, far.clone()));
        t.addr = addr;
        t.wan = far;
    }
}

/// One attempt: the LAN address first, then iroh.
async fn dial<H: Host>(
    ctx: Arc<Ctx<H>>,
    peer: DeviceId,
    addr: Option<SocketAddr>,
    wan: Option<WanAddr>,
) {
    let mut conn = None;
    if let Some(addr) = addr {
        match ctx.node.connect(addr, peer).await {
            Ok(c) => conn = Some(c),
            Err(e) => {
                tracing::debug!(peer = %peer.short(), %addr, error = %e, "could not reach on the LAN")
            }
        }
    }
    if let (None, Some(node), Some(to)) = (&conn, &ctx.wan, &wan) {
        match node.connect(to, peer).await {
            Ok(c) => conn = Some(c),
            Err(e) => {
                tracing::debug!(peer = %peer.short(), error = %e, "could not reach over iroh")
            }
        }
    }
    let connected = match conn {
        Some(conn) => {
            let _ = ctx
                .live_session(conn, Role::Initiator, Reached::Dialled)
                .await;
            true
        }
        None => false,
    };
    let _ = ctx.dialer.send(DialerCmd::Dialled { peer, connected });
}
