//! The `sync` suite: the library crates in-process (`rapport_net::Node` and `run_session` over
//! QUIC on 127.0.0.1, an in-memory `Replica`), each measure against Automerge's own sync
//! between the same documents in memory, from the same run.
//!
//! 1. A fresh device gets W1 (`fresh`): time and bytes, against Automerge's sync and `save()`.
//! 2. W3, 2 and 5 devices with 1,000 offline edits each, converging in a star (`w3`).
//! 3. One new note over live sessions, on W1 and on a 1k-contact vault, with B's persist a
//!    no-op and then a durable store commit (`live`).
//! 4. Reconnect with nothing new after the clone (`fresh::reconnect`).
//! 5. Daemon memory over 1,000 local commits, and variants that find what grows (`memory`;
//!    each variant in a process of its own).

mod edits;
mod fresh;
mod live;
pub mod memory;
mod quic;
pub mod raw;
mod replica;
mod report;
mod sansio;
mod w3;

use crate::table::Table;
use crate::{w1, SuiteArgs};
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::{DeviceId, UnixMillis, Vault, VaultId};
use rapport_workload::Workload;
use replica::BenchReplica;
use std::time::{Duration, Instant};

/// The time every vault is written at (the model never reads a clock).
const NOW: UnixMillis = 1_750_000_000_000;
/// Offline edits per device in W3.
const W3_EDITS: usize = 1_000;
/// The 1k vault of measure 3: contacts × interactions each.
const SMALL: (usize, usize) = (1_000, 10);

/// The memory variants the suite runs, in this order (see `memory::Variant`).
const MEMORY_VARIANTS: &[memory::Variant] = &[
    memory::Variant::Synced,
    memory::Variant::Origin,
    memory::Variant::SyncedNoMerge,
    memory::Variant::SyncedResetCursor,
    memory::Variant::SyncedUpdateCursor,
    memory::Variant::SyncedReloaded,
    memory::Variant::SyncedRebuilt,
    memory::Variant::SyncedTouched,
    memory::Variant::SyncedSaveAfter,
    memory::Variant::SyncedStore,
    memory::Variant::SyncedForkOnce,
    memory::Variant::SyncedFork,
    memory::Variant::Built,
    memory::Variant::RawLoaded,
    memory::Variant::RawLoadedSmallMap,
];

/// Everything the suite measured, for `report`.
#[derive(Debug)]
struct Figures {
    seed: u64,
    runs: usize,
    notes: usize,
    build: Duration,
    fresh: fresh::Fresh,
    reconnect: fresh::Reconnect,
    live_w1: live::LiveNotes,
    live_small: live::LiveNotes,
    w3: Vec<w3::W3>,
    memory: Vec<memory::VariantRun>,
    total: Duration,
}

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let started = Instant::now();
    let runs = args.runs as usize;
    let notes = (4 * runs).max(10);
    let tmp = tempfile::Builder::new()
        .prefix("rapport-bench-sync-")
        .tempdir()?;
    let rt = quic::runtime()?;

    progress("generating W1 and building its vault (one batch, as `local` imports it)");
    let ids = quic::identities(4)?;
    let w = args.workload().generate(args.seed);
    let (origin, build) = build_vault(&w, ids[0].device_id(), args.seed)?;
    drop(w);
    let origin = BenchReplica::with_vault(origin)?.shared();
    let origin_file = tmp.path().join("w1.automerge");

    let (fresh, reconnect, live_w1, live_small, w3) = rt.block_on(async {
        let peers = quic::bind(&ids)?;
        let (fresh, clone) = fresh::run(&peers[0], &origin, &peers[1], runs).await?;
        progress("reconnect with nothing new");
        let reconnect = fresh::reconnect(&peers[0], &origin, &peers[1], &clone).await?;
        progress(&format!(
            "one new note, live, on W1 ({notes} notes, then {notes} durable)"
        ));
        let live_w1 = live::run(
            &peers[0],
            &origin,
            &peers[1],
            &clone,
            notes,
            args.seed,
            &tmp.path().join("w1-store"),
        )
        .await?;
        drop(clone);
        let saved = origin.lock().await.automerge().save();
        std::fs::write(&origin_file, saved).context("writing W1 for the memory measure")?;

        progress(&format!(
            "one new note, live, on a {}-contact vault",
            SMALL.0
        ));
        let w = rapport_workload::generate(args.seed, SMALL.0, SMALL.1);
        let (mut a, _) = build_vault(&w, peers[2].id, args.seed)?;
        let b = a.fork_as(peers[3].id);
        let (a, b) = (
            BenchReplica::with_vault(a)?.shared(),
            BenchReplica::with_vault(b)?.shared(),
        );
        let live_small = live::run(
            &peers[2],
            &a,
            &peers[3],
            &b,
            notes,
            args.seed,
            &tmp.path().join("small-store"),
        )
        .await?;
        for p in &peers {
            p.node.shutdown().await;
        }
        let mut w3 = Vec::new();
        for devices in [2, 5] {
            w3.push(w3::run(devices, W3_EDITS, args.seed, NOW, runs).await?);
        }
        anyhow::Ok((fresh, reconnect, live_w1, live_small, w3))
    })?;
    drop(rt);
    drop(origin);

    let memory = memory::run_variants(&origin_file, args.seed, args.workload(), MEMORY_VARIANTS)?;
    drop(tmp);
    Ok(report::table(&Figures {
        seed: args.seed,
        runs,
        notes,
        build,
        fresh,
        reconnect,
        live_w1,
        live_small,
        w3,
        memory,
        total: started.elapsed(),
    }))
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}

/// A vault as its creator makes it, then the workload as one batch (as `local` imports W1).
fn build_vault(w: &Workload, device: DeviceId, seed: u64) -> Result<(Vault, Duration)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let prepared = w1::prepare(w, &mut rng)?;
    let mut vault = Vault::create(device, "origin", VaultId::random(&mut rng), NOW)
        .context("creating the vault")?;
    let start = Instant::now();
    w1::write_batch(&mut vault, &prepared, NOW)?;
    vault.take_touched();
    Ok((vault, start.elapsed()))
}
