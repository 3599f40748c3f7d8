//! What the node's tasks share: the replica, the endpoint, the roster, the sessions, the
//! event stream, and the dialer's inbox; and how one live session runs.

use crate::events::{NodeEvent, Reached};
use crate::host::Host;
use crate::options::ServeOptions;
use crate::replica::StoreReplica;
use crate::sessions::Sessions;
use rapport_model::DeviceId;
use rapport_net::{
    run_session, with_replica, CloseCode, LinkPath, NetError, Node, PeerConnection, SessionOptions,
    SessionReport, Shared, WanNode,
};
use rapport_sync::Role;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, Semaphore};

/// How often a live session looks whether its connection changed path (relay to direct).
const PATH_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// What the dialer is told.
#[derive(Debug)]
pub(crate) enum DialerCmd {
    /// `peer` listens at `addr` (found on the LAN, or given to `sync`).
    Learned { peer: DeviceId, addr: SocketAddr },
    /// A session with `peer` ended (either direction).
    Ended { peer: DeviceId },
    /// An attempt to dial `peer` finished; `connected` if a session ran.
    Dialled { peer: DeviceId, connected: bool },
}

pub(crate) struct Ctx<H> {
    pub(crate) replica: Shared<StoreReplica<H>>,
    pub(crate) node: Arc<Node>,
    /// The iroh endpoint, when the vault names a relay (sync beyond the LAN).
    pub(crate) wan: Option<Arc<WanNode>>,
    /// The WebTransport endpoint for browser devices, when served.
    pub(crate) browser: Option<Arc<crate::browser_side::BrowserSide>>,
    pub(crate) roster: crate::Roster,
    pub(crate) sessions: Sessions,
    pub(crate) events: broadcast::Sender<NodeEvent>,
    pub(crate) options: ServeOptions,
    pub(crate) dialer: mpsc::UnboundedSender<DialerCmd>,
    pub(crate) slots: Arc<Semaphore>,
}

impl<H: Host> Ctx<H> {
    pub(crate) fn emit(&self, event: NodeEvent) {
        let _ = self.events.send(event);
    }

    /// Runs a live session on `conn` until it ends, the peer is revoked, or a newer
    /// connection from the same device replaces it; records how it went.
    pub(crate) async fn live_session(
        self: &Arc<Self>,
        conn: PeerConnection,
        role: Role,
        how: Reached,
    ) -> Result<SessionReport, NetError> {
        let peer = conn.peer();
        let addr = conn.remote_address();
        let path = conn.path();
        let limit = match how {
            Reached::Accepted => self.options.max_sessions_per_peer,
            // This device chose to dial: the dialer already runs one at a time per peer.
            Reached::Dialled | Reached::Lan => usize::MAX,
        };
        let (id, replaced) = self.sessions.admit(&conn, how, limit);
        for _ in 0..replaced {
            tracing::info!(peer = %peer.short(), "a newer connection replaced a stale session");
            self.emit(NodeEvent::SessionReplaced { peer });
        }
        tracing::info!(peer = %peer.short(), %addr, how = how.as_str(), via = path.as_str(), "connected");
        self.emit(NodeEvent::SessionStarted { peer, addr, how });
        // `status` says how each device was reached while the session runs, not only after.
        let lan_addr = (path == LinkPath::Lan).then_some(addr);
        let dialable = how != Reached::Accepted;
        let _ = with_replica(&self.replica, move |r| {
            crate::peers::record(r.home.store(), peer, lan_addr, dialable, false, path)
        })
        .await;
        let changes = with_replica(&self.replica, |r| r.subscribe_changes()).await?;
        let options = SessionOptions {
            live: true,
            vault_changed: Some(changes),
            resync_every: Some(self.options.resync_every),
            ..SessionOptions::default()
        };
        // A live session ends the moment its peer is revoked (here, or by a change that
        // arrives from any other device): the TLS check only runs at the handshake.
        // iroh starts on the relay and moves to a direct path once a hole is punched: keep
        // `status` up to date while the session lasts.
        let path_watch = async {
            let mut shown = path;
            loop {
                tokio::time::sleep(PATH_CHECK_EVERY).await;
                let now = conn.path();
                if now != shown {
                    shown = now;
                    tracing::info!(peer = %peer.short(), via = now.as_str(), "path changed");
                    let _ = with_replica(&self.replica, move |r| {
                        crate::peers::record(r.home.store(), peer, None, dialable, false, now)
                    })
                    .await;
                }
            }
        };
        let result = tokio::select! {
            result = run_session(&conn, role, self.replica.clone(), options) => result,
            () = path_watch => unreachable!("the path watch loops until the session ends"),
            () = self.roster.until_untrusted(peer) => {
                tracing::info!(peer = %peer.short(), "no longer trusted (revoked): session closed");
                conn.close(CloseCode::Revoked);
                Err(NetError::Closed(CloseCode::Revoked))
            }
        };
        self.sessions.remove(peer, id);
        let _ = self.dialer.send(DialerCmd::Ended { peer });
        // An iroh connection may have moved from the relay to a direct path meanwhile.
        self.record(peer, addr, how, conn.path(), &result).await;
        result
    }

    /// Remembers the peer's address and when it was seen and synced, logs the outcome and
    /// tells the event stream.
    async fn record(
        &self,
        peer: DeviceId,
        addr: SocketAddr,
        how: Reached,
        path: LinkPath,
        result: &Result<SessionReport, NetError>,
    ) {
        let dialable = how != Reached::Accepted;
        let synced = matches!(result, Ok(r) if r.equal);
        // Only a LAN address is one to dial again on the LAN; iroh dials by endpoint id.
        let addr = (path == LinkPath::Lan).then_some(addr);
        let _ = with_replica(&self.replica, move |r| {
            crate::peers::record(r.home.store(), peer, addr, dialable, synced, path)
        })
        .await;
        let (sent, received, error) = match result {
            Ok(report) => {
                tracing::info!(
                    peer = %peer.short(),
                    bytes_in = report.bytes_received,
                    bytes_out = report.bytes_sent,
                    resyncs = report.resyncs,
                    "session ended"
                );
                (report.bytes_sent, report.bytes_received, None)
            }
            // A live session has no closing handshake: the peer hanging up is how it ends.
            Err(NetError::Connection(_) | NetError::PeerClosed | NetError::Closed(_)) => {
                tracing::info!(peer = %peer.short(), "disconnected");
                (0, 0, None)
            }
            Err(e) => {
                tracing::warn!(peer = %peer.short(), error = %e, "session failed");
                (0, 0, Some(Arc::new(clone_error(e))))
            }
        };
        self.emit(NodeEvent::SessionEnded {
            peer,
            bytes_sent: sent,
            bytes_received: received,
            error,
        });
    }
}

/// `NetError` is not `Clone` (its sources are not); the event carries its sentence instead.
fn clone_error(e: &NetError) -> NetError {
    match e {
        NetError::Closed(code) => NetError::Closed(*code),
        NetError::PeerClosed => NetError::PeerClosed,
        NetError::NotEqual => NetError::NotEqual,
        NetError::Session(s) => NetError::Session(s.clone()),
        other => NetError::Persist(other.to_string().into()),
    }
}
