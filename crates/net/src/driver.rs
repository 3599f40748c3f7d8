//! Pumps a sans-IO sync session over one QUIC bidirectional stream.
//!
//! Order matters for durability: when the peer's changes are applied, the replica persists them
//! (durably) before the session's answer, which tells the peer we have them, is sent.

use crate::endpoint::device_of_connection;
use crate::NetError;
use quinn::Connection;
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Touched, VaultId};
use rapport_sync::{Event, Hello, Limits, Role, Session, PROTOCOL_VERSION};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Mutex};

/// What the driver needs from the device's replica. The binary implements it over the store.
pub trait Replica: Send + 'static {
    /// The document being synced (a vault, or an empty document while cloning). Fails only if
    /// the replica cannot load its vault.
    fn doc(&mut self) -> Result<&mut AutoCommit, String>;
    fn vault_id(&self) -> VaultId;
    fn device(&self) -> DeviceId;
    /// The sync state saved at the end of the last session with `peer`.
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>>;
    /// Makes the changes just applied durable (and updates any read view).
    fn persist(&mut self, touched: &Touched) -> Result<(), String>;
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), String>;
}

/// How to run a session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Stay connected after settling, and send local changes as they happen.
    pub live: bool,
    pub limits: Limits,
    /// In a live session: ticks whenever the vault changed locally.
    pub local_changes: Option<watch::Receiver<u64>>,
}

/// What a session did.
#[derive(Debug, Clone, Default)]
pub struct SessionReport {
    pub peer: Option<DeviceId>,
    /// The vault the peer holds (learnt when cloning).
    pub peer_vault: Option<VaultId>,
    /// Both sides ended with the same heads (one-shot sessions).
    pub equal: bool,
    /// Records changed by the peer's changes.
    pub touched: Touched,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub elapsed: Duration,
}

/// Runs one session on `conn`. The initiator opens the stream; the responder accepts it.
pub async fn run_session<R: Replica>(
    conn: &Connection,
    role: Role,
    replica: Arc<Mutex<R>>,
    mut options: SessionOptions,
) -> Result<SessionReport, NetError> {
    let started = Instant::now();
    let now_ms = || started.elapsed().as_millis() as u64;
    let peer = device_of_connection(conn)
        .ok_or_else(|| NetError::Refused("the peer has no device certificate".into()))?;
    let (mut send, mut recv) = match role {
        Role::Initiator => conn.open_bi().await,
        Role::Responder => conn.accept_bi().await,
    }
    .map_err(|e| connection_error(&e.to_string()))?;
    let mut session = {
        let mut r = replica.lock().await;
        let hello = Hello {
            version: PROTOCOL_VERSION,
            vault: r.vault_id(),
            device: r.device(),
        };
        let state = r.sync_state(peer);
        let mut session = Session::new(
            role,
            hello,
            Some(peer),
            state.as_deref(),
            options.live,
            options.limits,
            now_ms(),
        );
        session.start(r.doc().map_err(NetError::Persist)?, now_ms());
        session
    };
    let mut report = SessionReport {
        peer: Some(peer),
        ..SessionReport::default()
    };
    let mut buf = vec![0u8; 64 << 10];
    let mut failure: Option<NetError> = None;
    loop {
        while let Some(bytes) = session.poll_transmit() {
            send.write_all(&bytes).await.map_err(|e| match e {
                quinn::WriteError::ConnectionLost(inner) => connection_error(&inner.to_string()),
                other => connection_error(&other.to_string()),
            })?;
        }
        if let Some(e) = failure.take() {
            // Let the Error frame reach the peer before the caller closes the connection
            // (closing drops unsent stream data); bounded, so a silent peer cannot hold us.
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_secs(2), send.stopped()).await;
            return Err(e);
        }
        if session.is_closed() {
            break;
        }
        let wait = session
            .poll_timeout()
            .map(|t| Duration::from_millis(t.saturating_sub(now_ms())))
            .unwrap_or(Duration::from_secs(3600));
        let changed = async {
            match options.local_changes.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = recv.read(&mut buf) => match read {
                Ok(Some(n)) => {
                    let mut r = replica.lock().await;
                    let result = session.handle_bytes(r.doc().map_err(NetError::Persist)?, &buf[..n], now_ms());
                    while let Some(event) = session.poll_event() {
                        match event {
                            Event::Applied(touched) => {
                                r.persist(&touched).map_err(NetError::Persist)?;
                                report.touched.extend(touched);
                            }
                            Event::Finished { equal } => report.equal = equal,
                            Event::Quiet { equal } => {
                                report.equal = equal;
                                // A live session may run for days: keep the saved state
                                // current so a reconnect (or `status`) starts from here.
                                r.save_sync_state(peer, &session.encoded_sync_state())
                                    .map_err(NetError::Persist)?;
                            }
                            Event::Connected { .. } => {}
                        }
                    }
                    if let Err(e) = result {
                        failure = Some(e.into());
                    }
                }
                Ok(None) => {
                    if session.is_closed() {
                        break;
                    }
                    return Err(NetError::PeerClosed);
                }
                Err(quinn::ReadError::ConnectionLost(inner)) => {
                    return Err(connection_error(&inner.to_string()))
                }
                Err(e) => return Err(connection_error(&e.to_string())),
            },
            _ = tokio::time::sleep(wait) => {
                if let Err(e) = session.handle_timeout(now_ms()) {
                    failure = Some(e.into());
                }
            }
            alive = changed => {
                if alive {
                    let mut r = replica.lock().await;
                    session.handle_local_change(r.doc().map_err(NetError::Persist)?, now_ms());
                } else {
                    options.local_changes = None;
                }
            }
        }
    }
    {
        let mut r = replica.lock().await;
        r.save_sync_state(peer, &session.encoded_sync_state())
            .map_err(NetError::Persist)?;
    }
    let _ = send.finish();
    // Wait for the peer to finish its side too, so our last frame (Done) is not cut off by a
    // close; bounded, since a misbehaving peer must not hold us.
    let drain = async {
        let mut sink = vec![0u8; 4096];
        while let Ok(Some(_)) = recv.read(&mut sink).await {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
    report.peer_vault = session.peer_vault();
    let stats = session.stats();
    report.bytes_sent = stats.bytes_sent;
    report.bytes_received = stats.bytes_received;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// With TLS 1.3 a client learns that the server refused its certificate only after the
/// handshake "succeeded", when the first stream fails; name that case for what it is.
pub(crate) fn connection_error(text: &str) -> NetError {
    if text.contains("handshake failed") || text.contains("certificate") {
        NetError::Refused(text.to_owned())
    } else {
        NetError::Connection(text.to_owned())
    }
}
