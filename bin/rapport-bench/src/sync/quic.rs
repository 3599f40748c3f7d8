//! Devices on 127.0.0.1 with real `rapport_net::Node`s (QUIC, TLS pinned to device ids), and
//! the two ways the suite runs `run_session` between them: one-shot, as `rapport sync` and
//! `rapport clone` do, and live, as `rapport serve` does.

use super::replica::Shared;
use anyhow::{anyhow, Context, Result};
use rapport_identity::DeviceIdentity;
use rapport_model::DeviceId;
use rapport_net::{
    run_session, CloseCode, Node, NodeConfig, PeerConnection as Connection, SessionOptions,
    SessionReport,
};
use rapport_sync::Role;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A device's endpoint.
#[derive(Debug, Clone)]
pub struct Peer {
    pub id: DeviceId,
    pub node: Arc<Node>,
    pub addr: SocketAddr,
}

/// The async runtime the binary uses (two workers), for the QUIC measures.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    rapport_net::runtime().context("could not start the async runtime")
}

/// New device identities (key pair and certificate each).
pub fn identities(n: usize) -> Result<Vec<DeviceIdentity>> {
    (0..n)
        .map(|_| DeviceIdentity::generate().context("generating a device identity"))
        .collect()
}

/// Binds one node per identity on 127.0.0.1, each trusting all the others. Must run inside the
/// runtime (quinn spawns its endpoint driver).
pub fn bind(identities: &[DeviceIdentity]) -> Result<Vec<Peer>> {
    let all: BTreeSet<DeviceId> = identities.iter().map(DeviceIdentity::device_id).collect();
    identities
        .iter()
        .map(|identity| {
            let id = identity.device_id();
            let others = all.clone();
            let node = Node::bind(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                identity.clone(),
                Arc::new(move |d| *d != id && others.contains(d)),
                &NodeConfig::default(),
            )?;
            let addr = node.local_addr()?;
            Ok(Peer {
                id,
                node: Arc::new(node),
                addr,
            })
        })
        .collect()
}

/// The next authenticated incoming connection.
async fn accept(node: &Node) -> Result<Connection> {
    loop {
        let incoming = node.accept().await.context("the node stopped accepting")?;
        if let Ok(conn) = incoming.authenticate().await {
            return Ok(conn);
        }
    }
}

/// One finished one-shot session.
#[derive(Debug)]
pub struct OneShot {
    /// The initiator's report (its bytes sent and received are every frame of the session).
    pub report: SessionReport,
    /// From the initiator's `connect` to the end of its `run_session`, handshake included.
    pub elapsed: Duration,
    /// The QUIC handshake alone.
    pub connect: Duration,
    /// UDP payload bytes both ways, from the initiator's connection statistics: frames plus
    /// QUIC and TLS overhead (handshake, headers, acknowledgements).
    pub udp_bytes: u64,
    pub udp_datagrams: u64,
}

/// `initiator` dials `responder` and runs a one-shot session with it (the responder answers
/// with a live session, as `serve` does, which ends when the initiator says `Done`).
pub async fn one_shot(
    initiator: &Peer,
    init_replica: Shared,
    responder: &Peer,
    resp_replica: Shared,
) -> Result<OneShot> {
    let node = responder.node.clone();
    let serving: JoinHandle<Result<Connection>> = tokio::spawn(async move {
        let conn = accept(&node).await?;
        let options = SessionOptions {
            live: true,
            ..SessionOptions::default()
        };
        run_session(&conn, Role::Responder, resp_replica, options)
            .await
            .context("the responder's session")?;
        // Kept open until the initiator has read everything.
        Ok(conn)
    });
    let (node, addr, expected) = (initiator.node.clone(), responder.addr, responder.id);
    let dialing = tokio::spawn(async move {
        let start = Instant::now();
        let conn = node.connect(addr, expected).await?;
        let connect = start.elapsed();
        let report = run_session(
            &conn,
            Role::Initiator,
            init_replica,
            SessionOptions::default(),
        )
        .await?;
        let elapsed = start.elapsed();
        let stats = conn.stats();
        conn.close(CloseCode::Done);
        anyhow::Ok(OneShot {
            report,
            elapsed,
            connect,
            udp_bytes: stats.udp_tx_bytes + stats.udp_rx_bytes,
            udp_datagrams: stats.udp_tx_datagrams + stats.udp_rx_datagrams,
        })
    });
    let shot = dialing.await.context("the initiator's task")??;
    let conn = serving.await.context("the responder's task")??;
    drop(conn);
    if !shot.report.equal {
        return Err(anyhow!("the one-shot session ended with different heads"));
    }
    Ok(shot)
}

/// A live session between two devices, both sending local changes as they happen.
#[derive(Debug)]
pub struct Live {
    /// Tick to tell A's session that A's vault changed.
    pub a_changed: watch::Sender<u64>,
    pub a_conn: Connection,
    pub b_conn: Connection,
    _b_changed: watch::Sender<u64>,
    tasks: Vec<JoinHandle<()>>,
}

/// A dials B; both run live sessions (as `serve` does on both ends).
pub async fn live(a: &Peer, a_replica: Shared, b: &Peer, b_replica: Shared) -> Result<Live> {
    let (a_changed, a_rx) = watch::channel(0u64);
    let (b_changed, b_rx) = watch::channel(0u64);
    let node = b.node.clone();
    let (b_conn_tx, b_conn_rx) = tokio::sync::oneshot::channel();
    let b_task = tokio::spawn(async move {
        let Ok(conn) = accept(&node).await else {
            return;
        };
        let _ = b_conn_tx.send(conn.clone());
        let options = SessionOptions {
            live: true,
            vault_changed: Some(b_rx),
            ..SessionOptions::default()
        };
        // A live session ends only when the connection goes: the bench closes it.
        let _ = run_session(&conn, Role::Responder, b_replica, options).await;
    });
    let a_conn = a.node.connect(b.addr, b.id).await?;
    let b_conn = b_conn_rx.await.context("B did not accept")?;
    let conn = a_conn.clone();
    let a_task = tokio::spawn(async move {
        let options = SessionOptions {
            live: true,
            vault_changed: Some(a_rx),
            ..SessionOptions::default()
        };
        let _ = run_session(&conn, Role::Initiator, a_replica, options).await;
    });
    Ok(Live {
        a_changed,
        a_conn,
        b_conn,
        _b_changed: b_changed,
        tasks: vec![a_task, b_task],
    })
}

impl Live {
    /// UDP payload bytes both devices have sent so far.
    pub fn udp_bytes(&self) -> u64 {
        self.a_conn.stats().udp_tx_bytes + self.b_conn.stats().udp_tx_bytes
    }

    pub async fn close(self) {
        self.a_conn.close(CloseCode::Done);
        self.b_conn.close(CloseCode::Done);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }
}
