//! Measure 3, one new note, live: A and B hold live sessions over QUIC (as `serve` does on both
//! ends); A logs a note and ticks its watch channel; the latency is from that tick to the end of
//! B's `persist` with the note in `touched`. Then the same with B's `persist` doing a durable
//! `Store::commit`. Bytes per note are QUIC's UDP payload both ways (from the connections'
//! statistics, after the exchange settles), and the exact frames from the same exchange replayed
//! in memory (`sansio`).

use super::edits::Editor;
use super::quic::{self, Peer};
use super::raw;
use super::replica::{Happened, Shared};
use super::sansio;
use anyhow::{bail, Context, Result};
use rapport_model::automerge::sync::State;
use rapport_model::{touched_between, DeviceId};
use rapport_store::Store;
use rapport_sync::Role;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// Longest to wait for one note to arrive or for a session to settle.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct LiveNotes {
    /// Tick to B's persist returning, per note: no-op persist, then durable.
    pub volatile: Vec<Duration>,
    pub durable: Vec<Duration>,
    /// A's `add_interaction` (the write itself, before the tick), per note.
    pub write: Vec<Duration>,
    /// UDP payload both ways per note, once the exchange settled.
    pub udp: Vec<u64>,
    /// The same exchange in memory: frames and frame bytes per note, and flights.
    pub frames: u64,
    pub frame_bytes: u64,
    pub flights: u32,
    /// Automerge's own sync of one note between the same two documents in memory (states kept
    /// in memory, as a live connection keeps them): time per note, bytes and messages per note.
    pub base: Vec<Duration>,
    pub base_bytes: u64,
    pub base_messages: u64,
    /// Bytes of one note's Automerge change (`save_after` the heads before it).
    pub change_bytes: u64,
    /// B's side of one note, in memory: apply + `touched_between` (a full diff, what the
    /// session does) against apply with Automerge's patch log on + the indexed diff
    /// (`update_diff_cursor` before, `diff_incremental` after), alternating notes.
    pub apply_full_diff: Vec<Duration>,
    pub apply_indexed_diff: Vec<Duration>,
    /// Creating B's store (`Store::create_vault`), not part of any latency.
    pub store_create: Duration,
}

pub async fn run(
    a_peer: &Peer,
    a: &Shared,
    b_peer: &Peer,
    b: &Shared,
    notes: usize,
    seed: u64,
    store_dir: &Path,
) -> Result<LiveNotes> {
    let mut out = LiveNotes::default();
    let contacts = Editor::contact_ids(a.lock().await.vault()?)?;
    let mut editor = Editor::new(seed, contacts, 1_760_000_000_000);
    let mut a_events = a.lock().await.watch();
    let mut b_events = b.lock().await.watch();
    let live = quic::live(a_peer, a.clone(), b_peer, b.clone()).await?;
    // The sessions' first exchange, from whatever states the replicas had (best effort: the
    // drain before each note discards whatever it reports late).
    let first = Duration::from_secs(10);
    let _ = tokio::time::timeout(first, settle(&mut a_events, b_peer.id)).await;
    let _ = tokio::time::timeout(first, settle(&mut b_events, a_peer.id)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    for durable in [false, true] {
        if durable {
            let mut guard = b.lock().await;
            let start = Instant::now();
            let store = Store::open(store_dir)?;
            store.create_vault(guard.vault()?)?;
            guard.store = Some(store);
            out.store_create = start.elapsed();
        }
        for _ in 0..notes {
            drain(&mut a_events);
            drain(&mut b_events);
            let udp_before = live.udp_bytes();
            let (note, write) = {
                let mut guard = a.lock().await;
                let start = Instant::now();
                let touched = editor.note(guard.vault()?)?;
                let write = start.elapsed();
                let note = *touched.interactions.first().context("no note")?;
                (note, write)
            };
            let tick = Instant::now();
            live.a_changed.send_modify(|n| *n += 1);
            let arrived = loop {
                match tokio::time::timeout(WAIT, b_events.recv()).await {
                    Ok(Some(Happened::Persisted { at, touched }))
                        if touched.interactions.contains(&note) =>
                    {
                        break at
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => bail!("the note did not reach B"),
                }
            };
            let latency = arrived.duration_since(tick);
            settle(&mut a_events, b_peer.id).await?;
            settle(&mut b_events, a_peer.id).await?;
            // Delayed acknowledgements (quinn waits up to 25 ms) belong to this note too.
            tokio::time::sleep(Duration::from_millis(60)).await;
            out.udp.push(live.udp_bytes() - udp_before);
            out.write.push(write);
            if durable {
                out.durable.push(latency);
            } else {
                out.volatile.push(latency);
            }
        }
    }
    live.close().await;
    let mut guard = b.lock().await;
    guard.store = None;
    guard.unwatch();
    drop(guard);
    a.lock().await.unwatch();

    // The same exchange in memory, from the states the live sessions saved.
    let mut ga = a.lock().await;
    let mut gb = b.lock().await;
    let vault_id = ga.vault()?.vault_id()?;
    let a_state = ga.states.get(&b_peer.id).cloned();
    let b_state = gb.states.get(&a_peer.id).cloned();
    let mut sa = sansio::session(
        Role::Initiator,
        vault_id,
        a_peer.id,
        b_peer.id,
        a_state.as_deref(),
        true,
    );
    let mut sb = sansio::session(
        Role::Responder,
        vault_id,
        b_peer.id,
        a_peer.id,
        b_state.as_deref(),
        true,
    );
    sansio::pump(&mut sa, ga.automerge(), &mut sb, gb.automerge())?;
    let before = (sa.stats(), sb.stats());
    let n = 10u32;
    let mut flights = 0;
    for _ in 0..n {
        editor.note(ga.vault()?)?;
        sa.handle_local_change(ga.automerge(), 0);
        flights += sansio::pump(&mut sa, ga.automerge(), &mut sb, gb.automerge())?;
    }
    let after = (sa.stats(), sb.stats());
    let frames =
        (after.0.frames_sent - before.0.frames_sent) + (after.1.frames_sent - before.1.frames_sent);
    let bytes =
        (after.0.bytes_sent - before.0.bytes_sent) + (after.1.bytes_sent - before.1.bytes_sent);
    out.frames = frames / u64::from(n);
    out.frame_bytes = bytes / u64::from(n);
    out.flights = flights / n;

    let (mut raw_a, mut raw_b) = (State::new(), State::new());
    raw::sync(ga.automerge(), &mut raw_a, gb.automerge(), &mut raw_b)?;
    let mut total = raw::RawSync::default();
    for _ in 0..n {
        editor.note(ga.vault()?)?;
        let one = raw::sync(ga.automerge(), &mut raw_a, gb.automerge(), &mut raw_b)?;
        out.base.push(one.elapsed);
        total.add(one);
    }
    out.base_bytes = total.bytes / u64::from(n);
    out.base_messages = total.messages / u64::from(n);

    for i in 0..2 * n {
        let before = ga.vault()?.heads();
        editor.note(ga.vault()?)?;
        out.change_bytes = ga.automerge().save_after(&before).len() as u64;
        let change = ga.automerge().get_changes(&before);
        let b_doc = gb.automerge();
        let b_before = b_doc.get_heads();
        if i % 2 == 0 {
            let start = Instant::now();
            b_doc.apply_changes(change)?;
            let after = b_doc.get_heads();
            let touched = touched_between(b_doc, &b_before, &after);
            out.apply_full_diff.push(start.elapsed());
            drop(touched);
        } else {
            b_doc.update_diff_cursor();
            let start = Instant::now();
            b_doc.apply_changes(change)?;
            let patches = b_doc.diff_incremental();
            out.apply_indexed_diff.push(start.elapsed());
            b_doc.reset_diff_cursor();
            drop(patches);
        }
    }
    Ok(out)
}

/// Waits until the replica's session saved its sync state for `peer` (it does when it settles).
async fn settle(events: &mut UnboundedReceiver<Happened>, peer: DeviceId) -> Result<()> {
    loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(Happened::StateSaved { peer: p })) if p == peer => return Ok(()),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => bail!("the live session did not settle"),
        }
    }
}

fn drain(events: &mut UnboundedReceiver<Happened>) {
    while events.try_recv().is_ok() {}
}
