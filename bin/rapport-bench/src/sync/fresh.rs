//! Measure 1, a fresh device gets W1 over QUIC on loopback (as `rapport clone` does: an empty
//! document, vault id 0, `persist` a no-op until the end), against Automerge's own sync between
//! an empty document and the origin in memory; and measure 4, the reconnect that follows, with
//! nothing new, from the sync states both sides saved.

use super::quic::{self, Peer};
use super::raw::{self, RawSync};
use super::replica::{BenchReplica, Happened, Shared};
use super::sansio;
use anyhow::{Context, Result};
use rapport_model::automerge::sync::State;
use rapport_model::automerge::AutoCommit;
use rapport_model::touched_between;
use rapport_sync::Role;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Fresh {
    /// From `connect` to the end of the initiator's session, per run.
    pub ours: Vec<Duration>,
    pub handshake: Vec<Duration>,
    /// From `connect` to the end of the clone's `persist` of what it applied (the origin's
    /// `save()`, the transfer, the load and the session's diff of everything).
    pub applied: Vec<Duration>,
    /// Frames both ways (the initiator's SessionReport), and UDP payload both ways.
    pub bytes: u64,
    pub udp_bytes: u64,
    pub udp_datagrams: u64,
    /// Automerge's sync in memory, per run, and its messages.
    pub base: Vec<Duration>,
    pub base_sync: RawSync,
    /// The origin's `save()`: size and time, and what one load of it and one diff of everything
    /// (the session's `touched_between` after applying a whole document) take.
    pub save_bytes: u64,
    pub save: Duration,
    pub load: Duration,
    pub diff_all: Duration,
}

/// Clones `origin` into a new replica on `fresh`, `runs` times, alternating with the raw
/// baseline; returns the figures and the last clone (a vault replica, with its sync state).
pub async fn run(
    origin_peer: &Peer,
    origin: &Shared,
    fresh_peer: &Peer,
    runs: usize,
) -> Result<(Fresh, Shared)> {
    let mut f = Fresh::default();
    let mut last = None;
    for i in 0..runs {
        super::progress(&format!(
            "fresh clone of W1 over QUIC, run {}/{runs}",
            i + 1
        ));
        // A new device each time as far as the origin knows: no saved state for it.
        origin.lock().await.states.clear();
        let mut replica = BenchReplica::cloning(fresh_peer.id);
        let mut events = replica.watch();
        let clone = replica.shared();
        let start = Instant::now();
        let shot = quic::one_shot(fresh_peer, clone.clone(), origin_peer, origin.clone()).await?;
        clone.lock().await.unwatch();
        while let Some(e) = events.recv().await {
            if let Happened::Persisted { at, .. } = e {
                f.applied.push(at.duration_since(start));
                break;
            }
        }
        f.ours.push(shot.elapsed);
        f.handshake.push(shot.connect);
        f.bytes = shot.report.bytes_sent + shot.report.bytes_received;
        f.udp_bytes = shot.udp_bytes;
        f.udp_datagrams = shot.udp_datagrams;
        drop(last.take());
        last = Some(clone);

        let mut guard = origin.lock().await;
        let doc = guard.automerge();
        let mut empty = AutoCommit::new();
        let base = raw::sync(&mut empty, &mut State::new(), doc, &mut State::new())?;
        drop(empty);
        f.base.push(base.elapsed);
        f.base_sync = base;
    }
    let clone = last.context("no run")?;
    clone.lock().await.finish_clone()?;

    super::progress("fresh clone: save, load and diff of W1 alone");
    let mut guard = origin.lock().await;
    let doc = guard.automerge();
    let start = Instant::now();
    let saved = doc.save();
    f.save = start.elapsed();
    f.save_bytes = saved.len() as u64;
    drop(guard);
    let start = Instant::now();
    let mut loaded = AutoCommit::load(&saved)?;
    f.load = start.elapsed();
    let heads = loaded.get_heads();
    let start = Instant::now();
    let touched = touched_between(&mut loaded, &[], &heads);
    f.diff_all = start.elapsed();
    drop((touched, loaded, saved));
    Ok((f, clone))
}

/// Measure 4: a second one-shot session after the clone, nothing new on either side.
#[derive(Debug, Default)]
pub struct Reconnect {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub elapsed: Duration,
    pub handshake: Duration,
    pub udp_bytes: u64,
    pub udp_datagrams: u64,
    /// From the same saved states, in memory: frames each way and flights (one-way trips).
    pub frames_initiator: u64,
    pub frames_responder: u64,
    pub frame_bytes: u64,
    pub flights: u32,
    /// Flights that brought the initiator something: the round trips it waited for.
    pub round_trips: u32,
    /// Automerge's own reconnect in memory, from the states `encode` keeps.
    pub base: RawSync,
    pub state_bytes: usize,
}

pub async fn reconnect(
    origin_peer: &Peer,
    origin: &Shared,
    clone_peer: &Peer,
    clone: &Shared,
) -> Result<Reconnect> {
    let mut r = Reconnect::default();
    // What each side saved at the end of the clone, for the in-memory replay.
    let clone_state = clone
        .lock()
        .await
        .states
        .get(&origin_peer.id)
        .cloned()
        .context("the clone saved no sync state")?;
    let origin_state = origin
        .lock()
        .await
        .states
        .get(&clone_peer.id)
        .cloned()
        .context("the origin saved no sync state")?;
    r.state_bytes = clone_state.len();

    let shot = quic::one_shot(clone_peer, clone.clone(), origin_peer, origin.clone()).await?;
    r.bytes_sent = shot.report.bytes_sent;
    r.bytes_received = shot.report.bytes_received;
    r.elapsed = shot.elapsed;
    r.handshake = shot.connect;
    r.udp_bytes = shot.udp_bytes;
    r.udp_datagrams = shot.udp_datagrams;

    let mut c = clone.lock().await;
    let mut o = origin.lock().await;
    let vault_id = c.vault()?.vault_id()?;
    let mut init = sansio::session(
        Role::Initiator,
        vault_id,
        clone_peer.id,
        origin_peer.id,
        Some(&clone_state),
        false,
    );
    let mut resp = sansio::session(
        Role::Responder,
        vault_id,
        origin_peer.id,
        clone_peer.id,
        Some(&origin_state),
        true,
    );
    // As `run_session` does: the initiator's first sync message rides with its hello.
    init.start(c.automerge(), 0);
    (r.flights, r.round_trips) =
        sansio::pump_trips(&mut init, c.automerge(), &mut resp, o.automerge())?;
    let (si, sr) = (init.stats(), resp.stats());
    r.frames_initiator = si.frames_sent;
    r.frames_responder = sr.frames_sent;
    r.frame_bytes = si.bytes_sent + sr.bytes_sent;

    let mut cs = State::decode(&clone_state)?;
    let mut os = State::decode(&origin_state)?;
    r.base = raw::sync(c.automerge(), &mut cs, o.automerge(), &mut os)?;
    Ok(r)
}
