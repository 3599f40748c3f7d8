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
use rapport_model::Reach;
use rapport_net::{with_replica, Node, NodeConfig, SessionReport, Shared, WanConfig, WanNode};
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
        let wan = match options.iroh {
            true => bind_wan(&replica, listen).await?,
            false => None,
        };
        let browser = match options.browser {
            Some(addr) => {
                crate::browser_side::bind(&replica, addr, options.app_url.clone()).await?
            }
            None => None,
        };
        let (dialer, dialer_rx) = mpsc::unbounded_channel();
        Ok(SyncNode {
            ctx: Arc::new(Ctx {
                replica,
                node: Arc::new(node),
                wan,
                browser,
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
        let wan_accept = async {
            match &self.ctx.wan {
                Some(wan) => accept_wan(self.ctx.clone(), wan.clone()).await,
                None => std::future::pending().await,
            }
        };
        let browsers = async {
            match &self.ctx.browser {
                Some(side) => {
                    tokio::join!(
                        crate::browser::accept(self.ctx.clone(), side.clone()),
                        crate::browser::rotate(self.ctx.clone(), side.clone())
                    );
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = accept_loop(self.ctx.clone()) => {}
            () = wan_accept => {}
            () = browsers => {}
            () = dialer::run(self.ctx.clone(), dialer_rx) => {}
            // Dropping the discovery (when another branch wins) sends mDNS goodbyes.
            () = discovery => {}
            () = shutdown => {}
        }
        self.ctx.node.shutdown().await;
        if let Some(wan) = &self.ctx.wan {
            wan.shutdown().await;
        }
        if let Some(side) = &self.ctx.browser {
            side.endpoint.shutdown().await;
        }
        Ok(())
    }

    /// Syncs once with `peer` over this node's iroh endpoint, by its roster record (a
    /// `rapport sync DEVICE` forwarded to the daemon for a device never reached on the LAN).
    pub async fn sync_device(
        &self,
        peer: rapport_model::DeviceId,
    ) -> Result<SessionReport, NodeError> {
        let Some(wan) = &self.ctx.wan else {
            return Err(NodeError::NoReach { device: peer });
        };
        let reach = self
            .ctx
            .roster
            .reach(peer)
            .ok_or(NodeError::NoReach { device: peer })?;
        let to = rapport_net::WanAddr {
            endpoint: Some(reach.endpoint),
            relay: reach.relay,
            direct: Vec::new(),
        };
        let conn = wan.connect(&to, peer).await?;
        let report = rapport_net::run_session(
            &conn,
            Role::Initiator,
            self.ctx.replica.clone(),
            rapport_net::SessionOptions::default(),
        )
        .await?;
        conn.close(rapport_net::CloseCode::Done);
        Ok(report)
    }

    /// Where browsers reach this device and which certificate hashes they pin, when it serves
    /// WebTransport (the web app's `/webtransport.json`, and what pairing tells a browser).
    pub fn browser_info(&self) -> Option<crate::BrowserInfo> {
        self.ctx.browser.as_ref()?.info()
    }

    /// This device's iroh endpoint id, when the node runs iroh (the vault names a relay).
    pub fn endpoint_id(&self) -> Option<rapport_model::EndpointId> {
        self.ctx.wan.as_ref().map(|w| w.endpoint_id())
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

/// Writes this device's reach into its roster record, then binds its iroh endpoint if the
/// vault names a relay. No relay, no iroh: nothing is ever sent to a relay by default. A
/// failure to bind iroh is logged and the LAN goes on alone.
async fn bind_wan<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    listen: SocketAddr,
) -> Result<Option<Arc<WanNode>>, NodeError> {
    let (reach, key, check) = with_replica(replica, |r| {
        let reach = r.ensure_own_reach();
        (
            reach,
            r.home.endpoint_key().clone(),
            r.roster.endpoint_check(),
        )
    })
    .await?;
    let relay = match reach? {
        Some(Reach {
            relay: Some(relay), ..
        }) => relay,
        _ => return Ok(None),
    };
    let config = WanConfig {
        bind: match listen.ip().is_unspecified() {
            true => Vec::new(),
            false => vec![SocketAddr::new(listen.ip(), 0)],
        },
        relay: Some(relay.clone()),
        relay_only: crate::relay_ca::relay_only(),
        relay_roots: crate::relay_ca::relay_roots(),
    };
    match WanNode::bind(&key, check, &config).await {
        Ok(wan) => {
            tracing::info!(endpoint = %wan.endpoint_id().short(), %relay, "iroh endpoint up");
            Ok(Some(Arc::new(wan)))
        }
        Err(e) => {
            tracing::warn!(error = %e, %relay, "could not start iroh: syncing on the LAN only");
            Ok(None)
        }
    }
}

/// Accepts iroh connections; the roster check already ran in the handshake hook.
async fn accept_wan<H: Host>(ctx: Arc<Ctx<H>>, wan: Arc<WanNode>) {
    while let Some(incoming) = wan.accept().await {
        let Ok(slot) = ctx.slots.clone().try_acquire_owned() else {
            incoming.refuse();
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let conn = match incoming.authenticate().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::debug!(error = %e, "iroh handshake refused or failed");
                    return;
                }
            };
            let _ = ctx
                .live_session(conn, Role::Responder, Reached::Accepted)
                .await;
            drop(slot);
        });
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
