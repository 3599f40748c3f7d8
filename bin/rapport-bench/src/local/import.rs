//! W1 into a fresh vault, in this process, as `rapport` itself would write it: open the store
//! that `rapport init` made, load the vault, one `batch`, one durable `Store::commit`, close.
//! Then a rough profile of where the commit's time goes, by redoing its Automerge parts alone.

use crate::proc;
use crate::w1::{self, PreparedContact};
use anyhow::{Context, Result};
use automerge::{ChangeHash, ReadDoc};
use rapport_model::{DeviceId, UnixMillis, Vault};
use rapport_store::{Store, StoreStats};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Import {
    /// `Store::open` + `load_vault` of the empty vault (not part of the import time).
    pub open: Duration,
    pub batch: Duration,
    pub commit: Duration,
    pub close: Duration,
    pub compacted: bool,
    pub change_bytes: usize,
    /// Operations and changes the import added.
    pub ops: u64,
    pub changes: u64,
    /// `Store::stats()` right after the commit.
    pub stats: StoreStats,
    /// Peak RSS above the RSS before the import (the workload was already in memory), KiB:
    /// during the batch, and over the whole import.
    pub batch_rss_delta_kib: Option<u64>,
    pub peak_rss_delta_kib: Option<u64>,
    /// This process's peak RSS after the import, KiB (includes the workload).
    pub peak_rss_kib: Option<u64>,
    heads_before: Vec<ChangeHash>,
    /// The process's peak RSS right after the batch, KiB.
    batch_hwm_kib: Option<u64>,
}

pub fn run(
    home: &Path,
    device: DeviceId,
    prepared: &[PreparedContact],
    now: UnixMillis,
) -> Result<(Import, Vault)> {
    let before = proc::self_status_kib("VmRSS").ok();
    let reset = proc::reset_peak_rss();
    let (mut imp, vault) = import(home, device, prepared, now)?;
    let peak = proc::self_status_kib("VmHWM").ok();
    let above = |hwm: Option<u64>| match (reset, before, hwm) {
        (true, Some(b), Some(p)) => Some(p.saturating_sub(b)),
        _ => None,
    };
    imp.batch_rss_delta_kib = above(imp.batch_hwm_kib);
    imp.peak_rss_delta_kib = above(peak);
    imp.peak_rss_kib = peak;
    Ok((imp, vault))
}

fn import(
    home: &Path,
    device: DeviceId,
    prepared: &[PreparedContact],
    now: UnixMillis,
) -> Result<(Import, Vault)> {
    let start = Instant::now();
    let store = Store::open(&home.join("store")).context("opening the store")?;
    let mut vault = store.load_vault(device).context("loading the new vault")?;
    let open = start.elapsed();
    let heads_before = vault.heads();
    let before = vault.doc().stats();

    let start = Instant::now();
    w1::write_batch(&mut vault, prepared, now)?;
    let batch = start.elapsed();
    let batch_hwm_kib = proc::self_status_kib("VmHWM").ok();

    let start = Instant::now();
    let touched = vault.take_touched();
    let report = store.commit(&mut vault, &touched).context("committing")?;
    let commit = start.elapsed();
    let stats = store.stats()?;

    let start = Instant::now();
    store.close()?;
    let close = start.elapsed();

    let after = vault.doc().stats();
    let imp = Import {
        open,
        batch,
        commit,
        close,
        compacted: report.compacted,
        change_bytes: report.change_bytes,
        ops: after.num_ops - before.num_ops,
        changes: after.num_changes - before.num_changes,
        stats,
        batch_hwm_kib,
        batch_rss_delta_kib: None,
        peak_rss_delta_kib: None,
        peak_rss_kib: None,
        heads_before,
    };
    Ok((imp, vault))
}

impl Import {
    pub fn total(&self) -> Duration {
        self.batch + self.commit + self.close
    }
}

/// The Automerge work inside `Store::commit`, each part redone alone on the imported vault.
#[derive(Debug)]
pub struct CommitProfile {
    /// `save_after(heads before the import)`: encoding the change chunk.
    pub save_after: Duration,
    /// `save_nocompress()`: the document that compaction compresses into a snapshot.
    pub save: Duration,
    /// The records the view update reads back: `contact(id)` and `interaction(id)` for each.
    pub read_touched: Duration,
    /// Peak RSS each of those two added, KiB.
    pub save_after_rss_kib: Option<u64>,
    pub save_rss_kib: Option<u64>,
    /// The saved document, for the load measures.
    pub saved: Vec<u8>,
}

/// Profiles the commit of `imp`, on the `vault` it returned.
pub fn profile(
    imp: &Import,
    vault: &mut Vault,
    prepared: &[PreparedContact],
) -> Result<CommitProfile> {
    let (save_after, save_after_rss_kib) = proc::peak_rss_of(|| {
        let start = Instant::now();
        let chunk = vault.doc_mut().save_after(&imp.heads_before);
        let elapsed = start.elapsed();
        drop(chunk);
        elapsed
    });
    let (save, save_rss_kib) = proc::peak_rss_of(|| {
        let start = Instant::now();
        let doc = vault.doc_mut().save_nocompress();
        let elapsed = start.elapsed();
        drop(doc);
        elapsed
    });
    // The disk baseline: what Automerge itself saves.
    let saved = vault.doc_mut().save();

    let start = Instant::now();
    for c in prepared {
        vault
            .contact(c.id)?
            .context("an imported contact is missing")?;
        for (id, _) in &c.interactions {
            vault
                .interaction(*id)?
                .context("an imported interaction is missing")?;
        }
    }
    let read_touched = start.elapsed();
    Ok(CommitProfile {
        save_after,
        save,
        read_touched,
        save_after_rss_kib,
        save_rss_kib,
        saved,
    })
}

/// Opens the store again and times one more `Store::compact` of the whole vault (what the import
/// commit did after writing its change chunk), then closes it.
pub fn compact_again(home: &Path, device: DeviceId) -> Result<Duration> {
    let store = Store::open(&home.join("store"))?;
    let mut vault = store.load_vault(device)?;
    let start = Instant::now();
    store.compact(&mut vault)?;
    let elapsed = start.elapsed();
    store.close()?;
    Ok(elapsed)
}
