//! Measure 5, daemon memory (STACK-NOTES "Memory risk to measure"): the resident memory of a
//! replica that was filled by sync with W1, then merged concurrent changes from its origin, then
//! made 1,000 small local commits, sampled every 100 commits; the same commits on the origin
//! for comparison; and variants that each change one thing, to find what grows.
//!
//! Each variant runs in a fresh process (`rapport-bench __sync-memory`), because resident memory
//! is the process's: a variant run after another would inherit its heap. The child loads the
//! origin from the parent's `save()` of W1, clones it over QUIC on loopback into an empty
//! document exactly as measure 1 does, merges, commits, and prints one JSON line per sample.
//! Besides VmRSS it reports glibc's own heap figures (`mallinfo2`), which tell memory the
//! program holds from memory the allocator keeps.

use super::edits::Editor;
use super::quic;
use super::replica::BenchReplica;
use crate::proc;
use anyhow::{Context, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{touched_between, Vault};
use std::path::PathBuf;
use std::time::Instant;

/// The hidden subcommand that runs one variant.
pub const SUBCOMMAND: &str = "__sync-memory";

/// What a variant changes against the plain run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    /// The replica filled by sync, merged, then plain commits.
    Synced,
    /// As `synced`, and `touched_between(before, after)` after every commit.
    SyncedTouched,
    /// As `synced`, and `get_heads` + `save_after(previous heads)` after every commit (what
    /// `Store::commit` does).
    SyncedSaveAfter,
    /// As `synced`, and `reset_diff_cursor()` after every commit.
    SyncedResetCursor,
    /// As `synced`, and `update_diff_cursor()` after every commit.
    SyncedUpdateCursor,
    /// As `synced`, but the replica is reloaded from its `save()` after the merge.
    SyncedReloaded,
    /// Filled by sync, no merge, plain commits.
    SyncedNoMerge,
    /// The origin (loaded from `save()`, as the daemon loads it), merged, plain commits.
    Origin,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Synced => "synced",
            Variant::SyncedTouched => "synced-touched",
            Variant::SyncedSaveAfter => "synced-save-after",
            Variant::SyncedResetCursor => "synced-reset-cursor",
            Variant::SyncedUpdateCursor => "synced-update-cursor",
            Variant::SyncedReloaded => "synced-reloaded",
            Variant::SyncedNoMerge => "synced-no-merge",
            Variant::Origin => "origin",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct MemoryArgs {
    /// The origin's `save()` of W1.
    #[arg(long)]
    pub origin: PathBuf,
    #[arg(long)]
    pub seed: u64,
    #[arg(long, value_enum)]
    pub variant: Variant,
    #[arg(long, default_value_t = 1000)]
    pub commits: u32,
    #[arg(long, default_value_t = 100)]
    pub every: u32,
    /// Concurrent edits each side makes before the merge.
    #[arg(long, default_value_t = 20)]
    pub concurrent: u32,
}

/// One sample, as the child prints it.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub label: String,
    pub commits: u32,
    pub rss_kib: u64,
    /// glibc: bytes in allocated chunks (`uordblks + hblkhd`), KiB.
    pub heap_used_kib: u64,
    /// glibc: bytes it holds from the system (`arena + hblkhd`), KiB.
    pub heap_held_kib: u64,
    /// Milliseconds since the commits started.
    pub ms: f64,
}

fn sample(label: &str, commits: u32, ms: f64) -> Sample {
    let (used, held) = malloc_figures();
    Sample {
        label: label.to_owned(),
        commits,
        rss_kib: proc::self_status_kib("VmRSS").unwrap_or(0),
        heap_used_kib: used / 1024,
        heap_held_kib: held / 1024,
        ms,
    }
}

fn print(s: &Sample) {
    println!(
        "{}",
        serde_json::json!({
            "label": s.label,
            "commits": s.commits,
            "rss_kib": s.rss_kib,
            "heap_used_kib": s.heap_used_kib,
            "heap_held_kib": s.heap_held_kib,
            "ms": s.ms,
        })
    );
}

pub fn parse(stdout: &[u8]) -> Result<Vec<Sample>> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)?;
            let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
            Ok(Sample {
                label: v
                    .get("label")
                    .and_then(|s| s.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                commits: u32::try_from(n("commits"))?,
                rss_kib: n("rss_kib"),
                heap_used_kib: n("heap_used_kib"),
                heap_held_kib: n("heap_held_kib"),
                ms: v.get("ms").and_then(serde_json::Value::as_f64).unwrap_or(0.0),
            })
        })
        .collect()
}

/// glibc's heap figures: (bytes in use, bytes held from the system).
#[allow(unsafe_code)] // the workspace denies unsafe code; mallinfo2 has no safe wrapper.
fn malloc_figures() -> (u64, u64) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments and returns a plain struct by value.
        let m = unsafe { libc::mallinfo2() };
        let (used, held) = (m.uordblks + m.hblkhd, m.arena + m.hblkhd);
        (used as u64, held as u64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        (0, 0)
    }
}

/// The child: one variant, start to end.
pub fn child_main(args: &MemoryArgs) -> Result<()> {
    let rt = quic::runtime()?;
    print(&sample("start", 0, 0.0));
    let bytes = std::fs::read(&args.origin).context("reading the origin")?;
    let ids = quic::identities(2)?;
    let (a_id, b_id) = (ids[0].device_id(), ids[1].device_id());
    let origin = Vault::open(AutoCommit::load(&bytes)?, a_id)?;
    drop(bytes);
    let contacts = Editor::contact_ids(&origin)?;
    print(&sample("origin loaded", 0, 0.0));
    let variant = args.variant;
    let a = BenchReplica::with_vault(origin)?.shared();
    let b = BenchReplica::cloning(b_id).shared();
    rt.block_on(async {
        let peers = quic::bind(&ids)?;
        quic::one_shot(&peers[1], b.clone(), &peers[0], a.clone()).await?;
        b.lock().await.finish_clone()?;
        print(&sample("filled by sync", 0, 0.0));
        if variant != Variant::SyncedNoMerge {
            let mut ea = Editor::new(args.seed ^ 0xa, contacts.clone(), 1_800_000_000_000);
            let mut eb = Editor::new(args.seed ^ 0xb, contacts.clone(), 1_800_000_000_000);
            for _ in 0..args.concurrent {
                ea.note_or_tag(a.lock().await.vault()?)?;
                eb.note_or_tag(b.lock().await.vault()?)?;
            }
            quic::one_shot(&peers[1], b.clone(), &peers[0], a.clone()).await?;
            print(&sample("after merge", 0, 0.0));
        }
        for p in &peers {
            p.node.shutdown().await;
        }
        anyhow::Ok(())
    })?;
    drop(rt);
    let (target, other) = if variant == Variant::Origin {
        (a, b)
    } else {
        (b, a)
    };
    drop(other);
    let mut replica = target.try_lock().context("the replica is still in use")?;
    // The other replica is gone from here on: only the one measured stays in memory.
    let vault = replica.vault()?;
    if variant == Variant::SyncedReloaded {
        let device = vault.device();
        let saved = vault.doc_mut().save();
        let doc = AutoCommit::load(&saved)?;
        drop(saved);
        *vault = Vault::open(doc, device)?;
        print(&sample("reloaded", 0, 0.0));
    }
    let mut editor = Editor::new(args.seed ^ 0xc, contacts, 1_900_000_000_000);
    let mut prev = vault.heads();
    let start = Instant::now();
    print(&sample("before commits", 0, 0.0));
    for i in 1..=args.commits {
        editor.note_or_tag(vault)?;
        match variant {
            Variant::SyncedTouched => {
                let after = vault.heads();
                touched_between(vault.doc_mut(), &prev, &after);
                prev = after;
            }
            Variant::SyncedSaveAfter => {
                let chunk = vault.doc_mut().save_after(&prev);
                drop(chunk);
                prev = vault.heads();
            }
            Variant::SyncedResetCursor => vault.doc_mut().reset_diff_cursor(),
            Variant::SyncedUpdateCursor => vault.doc_mut().update_diff_cursor(),
            _ => {}
        }
        if i % args.every == 0 {
            print(&sample("commits", i, start.elapsed().as_secs_f64() * 1e3));
        }
    }
    Ok(())
}
