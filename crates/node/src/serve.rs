//! [`SyncNode`]: the daemon's network half. It accepts trusted peers, keeps a live session
//! with every peer whose address it knows (the dialer), runs LAN discovery, and answers
//! one-shot syncs and pairing windows on the same replica. Start it, watch its events and
//! status, and stop it by resolving the `shutdown` future given to [`SyncNode::run`].

use crate::ctx::{Ctx, DialerCmd};
use crate::dialer;
use crate::events::{NodeEvent, Reached};
use crate::host::Host;
use crate::options::ServeOptions;
use crate::replica::StoreReplica;
use crate::sessions::{SessionStatus, Sessions};
use crate::NodeError;
use rapport_net::{with_replica, Node, NodeConfig, SessionReport, Shared};
use rapport_sync::Role;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, Semaphore};

/// What the node is doing now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeStatus {
    pub addr: SocketAddr,
    pub sessions: Vec<SessionStatus>,
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
