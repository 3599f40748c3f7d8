//! Pumps a sans-IO sync session over one QUIC bidirectional stream.
//!
//! Order matters for durability: when the peer's changes are applied, the replica persists them
//! (durably) before the session's answer, which tells the peer we have them, is sent.
//!
//! Nothing here blocks an async worker: every step that touches the replica (an Automerge
//! apply, a durable commit with its fsyncs, a sled read of the sync state) runs on tokio's
//! blocking pool through [`with_replica`], which takes the replica's lock there. The session
//! state machine moves into that job and back; only the socket I/O stays on the workers.

use crate::conn::PeerConnection;
use crate::error::ReplicaError;
use crate::NetError;
use rapport_model::automerge::{AutoCommit, ChangeHash};
use rapport_model::{DeviceId, Touched, VaultId};
use rapport_sync::{Event, Hello, Limits, Role, Session, SessionError, PROTOCOL_VERSION};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Mutex};

/// What the driver needs from the device's replica. The node implements it over the store.
pub trait Replica: Send + 'static {
    /// What loading or saving the vault fails with (kept whole as the source of
    /// [`NetError::Persist`], so a full disk stays a full disk).
    type Error: std::error::Error + Send + Sync + 'static;
    /// The document being synced (a vault, or an empty document while cloning). Fails only if
    /// the replica cannot load its vault.
    fn doc(&mut self) -> Result<&mut AutoCommit, Self::Error>;
    fn vault_id(&self) -> VaultId;
    fn device(&self) -> DeviceId;
    /// The sync state saved at the end of the last session with `peer`.
    fn sync_state(&self, peer: DeviceId) -> Option<Vec<u8>>;
    /// Makes the changes `peer` just sent durable (and updates any read view).
    fn persist(&mut self, peer: DeviceId, touched: &Touched) -> Result<(), Self::Error>;
    fn save_sync_state(&mut self, peer: DeviceId, state: &[u8]) -> Result<(), Self::Error>;
    /// A live session settled with both sides holding the same heads (so `status` and
    /// `devices` can show when a device that stays connected last synced). A hint: the default
    /// remembers nothing.
    fn settled_equal(&mut self, _peer: DeviceId) {}
    /// The whole document the peer just sent this empty replica, as the zstd frame it came in
    /// (`Event::WholeDocument`): a replica that keeps snapshots in that form (a `clone`) may
    /// keep these bytes instead of saving and compressing the document again. The default
    /// drops them.
    fn whole_document(&mut self, _compressed: Vec<u8>, _heads: Vec<ChangeHash>) {}
}

/// A replica shared by the sessions and commands of one process. Lock it only from blocking
/// code ([`with_replica`], or `blocking_lock` inside `spawn_blocking`): the work done under
/// the lock blocks.
pub type Shared<R> = Arc<Mutex<R>>;

/// Runs `f` on the replica on tokio's blocking pool, holding its lock there, so neither the
/// work nor the wait for the lock ever stalls an async worker.
pub async fn with_replica<R, T>(
    replica: &Shared<R>,
    f: impl FnOnce(&mut R) -> T + Send + 'static,
) -> Result<T, NetError>
where
    R: Send + 'static,
    T: Send + 'static,
{
    let replica = replica.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = replica.blocking_lock();
        f(&mut guard)
    })
    .await
    .map_err(NetError::Worker)
}

/// How to run a session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Stay connected after settling, and send changes as the vault gains them.
    pub live: bool,
    pub limits: Limits,
    /// In a live session: ticks whenever the vault gained changes, whatever their source (a
    /// local write, another peer's session, an import, a restored backup), so that this peer
    /// hears of them at once and a device relays what it receives.
    pub vault_changed: Option<watch::Receiver<u64>>,
    /// In a live session: re-announce this side's heads this often when idle (anti-entropy,
    /// see `Session::resync`); `None` never does.
    pub resync_every: Option<Duration>,
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
    /// Anti-entropy rounds this session started.
    pub resyncs: u64,
    pub elapsed: Duration,
}

/// What one replica step of a session produced, handed back from the blocking pool.
struct Step {
    session: Session,
    touched: Vec<Touched>,
    equal: Option<bool>,
    /// The vault's heads right after this session applied the peer's changes.
    applied_heads: Option<Vec<ChangeHash>>,
    failure: Option<SessionError>,
    persist: Option<ReplicaError>,
}

/// Feeds received bytes to the session with the replica's document, and persists what it
/// applied before anything is answered.
fn receive<R: Replica>(
    r: &mut R,
    mut session: Session,
    peer: DeviceId,
    bytes: &[u8],
    now: u64,
) -> Step {
    let mut touched = Vec::new();
    let mut equal = None;
    let mut persist: Option<ReplicaError> = None;
    let doc = match r.doc() {
        Ok(doc) => doc,
        Err(e) => {
            return Step {
                session,
                touched,
                equal,
                applied_heads: None,
                failure: None,
                persist: Some(Box::new(e)),
            }
        }
    };
    let result = session.handle_bytes(doc, bytes, now);
    let mut applied = false;
    while let Some(event) = session.poll_event() {
        let saved = match event {
            Event::Applied(t) => {
                applied = true;
                let saved = r.persist(peer, &t);
                touched.push(t);
                saved
            }
            Event::Finished { equal: e } => {
                equal = Some(e);
                Ok(())
            }
            Event::Quiet { equal: e } => {
                equal = Some(e);
                if e {
                    r.settled_equal(peer);
                }
                // A live session may run for days: keep the saved state current so a
                // reconnect (or `status`) starts from here.
                r.save_sync_state(peer, &session.encoded_sync_state())
            }
            Event::WholeDocument { compressed, heads } => {
                r.whole_document(compressed, heads);
                Ok(())
            }
            Event::Connected { .. } => Ok(()),
        };
        if let Err(e) = saved {
            persist = Some(Box::new(e));
            break;
        }
    }
    let applied_heads = if applied {
        r.doc().ok().map(|d| d.get_heads())
    } else {
        None
    };
    Step {
        session,
        touched,
        equal,
        applied_heads,
        failure: result.err(),
        persist,
    }
}

/// Runs one session on `conn`. The initiator opens the stream; the responder accepts it.
pub async fn run_session<R: Replica>(
    conn: &PeerConnection,
    role: Role,
    replica: Shared<R>,
    mut options: SessionOptions,
) -> Result<SessionReport, NetError> {
    let started = Instant::now();
    let now_ms = move || started.elapsed().as_millis() as u64;
    let peer = conn.peer();
    let mut stream = match role {
        Role::Initiator => conn.open_stream().await?,
        Role::Responder => conn.accept_stream().await?,
    };
    let (live, limits) = (options.live, options.limits);
    let mut session = with_replica(&replica, move |r| {
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
            live,
            limits,
            now_ms(),
        );
        let doc = r.doc().map_err(|e| NetError::Persist(Box::new(e)))?;
        session.start(doc, now_ms());
        Ok::<_, NetError>(session)
    })
    .await??;
    let mut report = SessionReport {
        peer: Some(peer),
        ..SessionReport::default()
    };
    let mut resync = options.resync_every.filter(|_| live).map(|every| {
        let mut timer = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        timer
    });
    let mut applied_heads: Option<Vec<ChangeHash>> = None;
    let mut buf = vec![0u8; 64 << 10];
    let mut failure: Option<NetError> = None;
    loop {
        while let Some(bytes) = session.poll_transmit() {
            stream.write_all(&bytes).await?;
        }
        if let Some(e) = failure.take() {
            // Let the Error frame reach the peer before the caller closes the connection
            // (closing drops unsent stream data); bounded, so a silent peer cannot hold us.
            stream.finish();
            stream.stopped_within(Duration::from_secs(2)).await;
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
            match options.vault_changed.as_mut() {
                Some(rx) => rx.changed().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        let resync_due = async {
            match resync.as_mut() {
                Some(timer) => {
                    timer.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read(&mut buf) => match read? {
                Some(n) => {
                    let bytes = buf[..n].to_vec();
                    let now = now_ms();
                    let step = with_replica(&replica, move |r| receive(r, session, peer, &bytes, now)).await?;
                    session = step.session;
                    for t in step.touched {
                        report.touched.extend(t);
                    }
                    if let Some(equal) = step.equal {
                        report.equal = equal;
                    }
                    if step.applied_heads.is_some() {
                        applied_heads = step.applied_heads;
                    }
                    if let Some(e) = step.persist {
                        return Err(NetError::Persist(e));
                    }
                    failure = step.failure.map(NetError::from);
                }
                None => {
                    if session.is_closed() {
                        break;
                    }
                    return Err(NetError::PeerClosed);
                }
            },
            _ = tokio::time::sleep(wait) => {
                if let Err(e) = session.handle_timeout(now_ms()) {
                    failure = Some(e.into());
                }
            }
            alive = changed => {
                if alive {
                    let (now, ours) = (now_ms(), applied_heads.clone());
                    session = with_replica(&replica, move |r| {
                        if let Ok(doc) = r.doc() {
                            // The change this session itself just applied is not news to the
                            // peer that sent it.
                            if ours.as_deref() != Some(&doc.get_heads()[..]) {
                                session.handle_local_change(doc, now);
                            }
                        }
                        session
                    })
                    .await?;
                } else {
                    options.vault_changed = None;
                }
            }
            () = resync_due => {
                let now = now_ms();
                report.resyncs += 1;
                session = with_replica(&replica, move |r| {
                    if let Ok(doc) = r.doc() {
                        session.resync(doc, now);
                    }
                    session
                })
                .await?;
            }
        }
    }
    let state = session.encoded_sync_state();
    with_replica(&replica, move |r| r.save_sync_state(peer, &state))
        .await?
        .map_err(|e| NetError::Persist(Box::new(e)))?;
    stream.finish();
    // Wait for the peer to finish its side too, so our last frame (Done) is not cut off by a
    // close; bounded, since a misbehaving peer must not hold us.
    let drain = async {
        let mut sink = vec![0u8; 4096];
        while let Ok(Some(_)) = stream.read(&mut sink).await {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
    report.peer_vault = session.peer_vault();
    let stats = session.stats();
    report.bytes_sent = stats.bytes_sent;
    report.bytes_received = stats.bytes_received;
    report.elapsed = started.elapsed();
    Ok(report)
}
