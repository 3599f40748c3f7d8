//! Keeps a live session open with every roster device whose listening address is known,
//! reconnecting with [`Backoff`] when it drops.
//!
//! Event and timer driven: the dialer reads the store only when the roster changes, and
//! otherwise learns what it needs from messages (a session ended, an address was learnt by
//! LAN discovery or a `sync`), sleeping until the next peer is due. It never polls.

use crate::backoff::Backoff;
use crate::ctx::{Ctx, DialerCmd};
use crate::events::Reached;
use crate::host::Host;
use rapport_model::DeviceId;
use rapport_net::with_replica;
use rapport_sync::Role;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

#[derive(Debug)]
struct Target {
    addr: SocketAddr,
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
            tokio::spawn(dial(ctx.clone(), *peer, t.addr));
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
            let t = targets.entry(peer).or_insert_with(|| new_target(addr));
            if t.addr != addr {
                t.addr = addr;
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

fn new_target(addr: SocketAddr) -> Target {
    Target {
        addr,
        backoff: Backoff::dialer(),
        due: Instant::now(),
        dialling: false,
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(24 * 3600)
}

/// Re-reads which trusted devices have a dialable address (a sled read, off the workers).
async fn reload<H: Host>(ctx: &Arc<Ctx<H>>, targets: &mut BTreeMap<DeviceId, Target>) {
    let ids = ctx.roster.ids();
    let known = with_replica(&ctx.replica, move |r| {
        ids.into_iter()
            .filter_map(|peer| {
                let info = crate::peers::get(r.home.store(), peer);
                info.addr.filter(|_| info.dialable).map(|a| (peer, a))
            })
            .collect::<BTreeMap<DeviceId, SocketAddr>>()
    })
    .await
    .unwrap_or_default();
    targets.retain(|peer, _| known.contains_key(peer));
    for (peer, addr) in known {
        let t = targets.entry(peer).or_insert_with(|| new_target(addr));
        t.addr = addr;
    }
}

async fn dial<H: Host>(ctx: Arc<Ctx<H>>, peer: DeviceId, addr: SocketAddr) {
    let connected = match ctx.node.connect(addr, peer).await {
        Ok(conn) => {
            let _ = ctx
                .live_session(conn, Role::Initiator, Reached::Dialled)
                .await;
            true
        }
        Err(e) => {
            tracing::debug!(peer = %peer.short(), %addr, error = %e, "could not reach");
            false
        }
    };
    let _ = ctx.dialer.send(DialerCmd::Dialled { peer, connected });
}
