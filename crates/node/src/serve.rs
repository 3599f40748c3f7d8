//! [`SyncNode`]: the daemon's network half. It accepts trusted peers, keeps a live session
//! with every peer whose address it knows (the dialer), runs LAN discovery, and answers
//! one-shot syncs and pairing windows on the same replica. Start it, watch its events and
//! status, and stop it by resolving the `shutdown` future given to [`SyncNode::run`].

use crate::dialer::{self, DialerCmd};
use crate::events::{NodeEvent, Reached};
use crate::host::Host;
use crate::replica::StoreReplica;
use crate::sessions::{SessionStatus, Sessions};
use crate::NodeError;
use rapport_model::DeviceId;
use rapport_net::{
    run_session, with_replica, CloseCode, NetError, Node, NodeConfig, PeerConnection,
    SessionOptions, SessionReport, Shared,
};
use rapport_sync::Role;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, Semaphore};

/// How the node serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Announce and browse on the local network.
    pub discovery: bool,
    /// Sessions open at once, in all (handshakes included); more are turned away.
    pub max_sessions: usize,
    /// Sessions open at once with one device; a new one replaces its oldest.
    pub max_sessions_per_peer: usize,
    /// How often an idle live session re-announces its heads (anti-entropy): a backstop for a
    /// change whose wake-up was lost, or a peer that went back in time (a restored backup).
    pub resync_every: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            discovery: true,
            max_sessions: 64,
            max_sessions_per_peer: 3,
            resync_every: Duration::from_secs(300),
        }
    }
}

/// What the node is doing now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeStatus {
    pub addr: SocketAddr,
    pub sessions: Vec<SessionStatus>,
}

pub(crate) struct Ctx<H> {
    pub(crate) replica: Shared<StoreReplica<H>>,
    pub(crate) node: Arc<Node>,
    pub(crate) roster: crate::Roster,
    pub(crate) sessions: Sessions,
    pub(crate) events: broadcast::Sender<NodeEvent>,
    pub(crate) options: ServeOptions,
    pub(crate) dialer: mpsc::UnboundedSender<DialerCmd>,
    slots: Arc<Semaphore>,
}

/// The sync node of one device. Cheap to clone; every clone is the same node.
pub struct SyncNode<H> {
    ctx: Arc<Ctx<H>>,
    dialer_rx: Arc<std::sync::Mutex<Option<mpsc::UnboundedReceiver<DialerCmd>>>>,
}

impl<H> Clone for SyncNode<H> {
    fn clone(&self) -> Self {
        SyncNode {
            ctx: self.ctx.clone(),
            dialer_rx: self.dialer_rx.clone(),
        }
    }
}

impl<H> std::fmt::Debug for SyncNode<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncNode")
            .field("addr", &self.ctx.node.local_addr().ok())
            .finish()
    }
}

impl<H: Host> SyncNode<H> {
    /// Binds `listen` for this replica (trusting its roster). Must run inside the runtime.
    pub async fn start(
        replica: Shared<StoreReplica<H>>,
        listen: SocketAddr,
        options: ServeOptions,
    ) -> Result<SyncNode<H>, NodeError> {
        let (identity, roster, events) = with_replica(&replica, |r| {
            (
                r.home.identity().clone(),
                r.roster.clone(),
                r.event_sender(),
            )
        })
        .await?;
        let node = Node::bind(listen, identity, roster.check(), &NodeConfig::default())?;
        let (dialer, dialer_rx) = mpsc::unbounded_channel();
        Ok(SyncNode {
            ctx: Arc::new(Ctx {
                replica,
                node: Arc::new(node),
                roster,
                sessions: Sessions::default(),
                events,
                slots: Arc::new(Semaphore::new(options.max_sessions)),
                options,
                dialer,
            }),
            dialer_rx: Arc::new(std::sync::Mutex::new(Some(dialer_rx))),
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, NodeError> {
        Ok(self.ctx.node.local_addr()?)
    }

    /// The replica the node syncs (commands run on it too, through `with_replica`).
    pub fn replica(&self) -> &Shared<StoreReplica<H>> {
        &self.ctx.replica
    }

    /// Every event from now on.
    pub fn events(&self) -> broadcast::Receiver<NodeEvent> {
        self.ctx.events.subscribe()
    }

    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            addr: self
                .ctx
                .node
                .local_addr()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0))),
            sessions: self.ctx.sessions.status(),
        }
    }

    /// Accepts peers, dials known ones and (if enabled) runs LAN discovery until `shutdown`
    /// resolves; then closes every connection and returns. Every change a peer sends is
    /// durable before this device acknowledges it, so stopping at any moment loses nothing
    /// that was acknowledged.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
        let dialer_rx = self
            .dialer_rx
            .lock()
            .ok()
            .and_then(|mut rx| rx.take())
            .ok_or(NodeError::AlreadyRunning)?;
        let discovery = match self.ctx.options.discovery {
            true => crate::lan::vault_discovery(self.ctx.clone()).await?,
            false => None,
        };
        let discovery = async move {
            match discovery {
                Some(d) => d.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = accept_loop(self.ctx.clone()) => {}
            () = dialer::run(self.ctx.clone(), dialer_rx) => {}
            // Dropping the discovery (when another branch wins) sends mDNS goodbyes.
            () = discovery => {}
            () = shutdown => {}
        }
        self.ctx.node.shutdown().await;
        Ok(())
    }

    /// Syncs once with the device at `addr` on this node's endpoint, beside the live sessions
    /// (a `rapport sync` forwarded to the daemon).
    pub async fn sync_with(&self, addr: SocketAddr) -> Result<SessionReport, NodeError> {
        let report = crate::oneshot::sync_on(&self.ctx.node, &self.ctx.replica, addr).await?;
        if let Some(peer) = report.peer {
            let _ = self.ctx.dialer.send(DialerCmd::Learned { peer, addr });
        }
        Ok(report)
    }
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
        tracing::info!(peer = %peer.short(), %addr, how = how.as_str(), "connected");
        self.emit(NodeEvent::SessionStarted { peer, addr, how });
        let changes = with_replica(&self.replica, |r| r.subscribe_changes()).await?;
        let options = SessionOptions {
            live: true,
            vault_changed: Some(changes),
            resync_every: Some(self.options.resync_every),
            ..SessionOptions::default()
        };
        // A live session ends the moment its peer is revoked (here, or by a change that
        // arrives from any other device): the TLS check only runs at the handshake.
        let result = tokio::select! {
            result = run_session(&conn, role, self.replica.clone(), options) => result,
            () = self.roster.until_untrusted(peer) => {
                tracing::info!(peer = %peer.short(), "no longer trusted (revoked): session closed");
                conn.close(CloseCode::Revoked);
                Err(NetError::Closed(CloseCode::Revoked))
            }
        };
        self.sessions.remove(peer, id);
        let _ = self.dialer.send(DialerCmd::Ended { peer });
        self.record(peer, addr, how, &result).await;
        result
    }

    /// Remembers the peer's address and when it was seen and synced, logs the outcome and
    /// tells the event stream.
    async fn record(
        &self,
        peer: DeviceId,
        addr: SocketAddr,
        how: Reached,
        result: &Result<SessionReport, NetError>,
    ) {
        let dialable = how != Reached::Accepted;
        let synced = matches!(result, Ok(r) if r.equal);
        let _ = with_replica(&self.replica, move |r| {
            crate::peers::record(r.home.store(), peer, Some(addr), dialable, synced)
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

async fn accept_loop<H: Host>(ctx: Arc<Ctx<H>>) {
    while let Some(incoming) = ctx.node.accept().await {
        // Bounded: a fixed number of sessions in all (counting handshakes); anything over is
        // turned away before any TLS work.
        let Ok(slot) = ctx.slots.clone().try_acquire_owned() else {
            incoming.refuse();
            continue;
        };
        let ctx = ctx.clone();
        // Each handshake on its own task: a slow or abandoned one never holds up the next.
        tokio::spawn(async move {
            let Ok(conn) = incoming.authenticate().await else {
                return;
            };
            let _ = ctx
                .live_session(conn, Role::Responder, Reached::Accepted)
                .await;
            drop(slot);
        });
    }
}
