//! Measure 5, daemon memory (STACK-NOTES "Memory risk to measure"): the memory of a replica that
//! was filled by sync with W1, then merged concurrent changes from its origin, then made 1,000
//! small local commits (a note or a tag each), sampled every 100 commits; the same commits on the
//! origin for comparison; and variants that each change one thing, to find what grows.
//!
//! Each variant runs in a fresh process (`rapport-bench __sync-memory`), because resident memory
//! is the process's: a variant run after another would inherit its heap. The child loads the
//! origin from the parent's `save()` of W1 (as a daemon loads its store), clones it over QUIC on
//! loopback into an empty document exactly as measure 1 does, merges, and commits.
//!
//! Besides VmRSS the child reports glibc's heap figures (`mallinfo2`): bytes in allocated chunks
//! ("heap in use") and bytes glibc holds from the system. Right after a clone the process holds
//! several times what it uses (the sync's peak, kept by the allocator), which would hide any
//! growth in RSS; so before the commits the child calls `malloc_trim(0)`, and RSS from there on
//! follows what the program really holds.

use super::edits::Editor;
use super::quic;
use super::replica::BenchReplica;
use crate::proc;
use anyhow::{bail, Context, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{touched_between, Vault};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The hidden subcommand that runs one variant.
pub const SUBCOMMAND: &str = "__sync-memory";

/// What a variant changes against the plain run (`synced`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Variant {
    /// The replica filled by sync, merged, then plain commits.
    Synced,
    /// The origin (loaded from `save()`, as the daemon loads it), merged, plain commits.
    Origin,
    /// Filled by sync, no merge, plain commits.
    SyncedNoMerge,
    /// (a) `reset_diff_cursor()` after every commit.
    SyncedResetCursor,
    /// (a) `update_diff_cursor()` after every commit.
    SyncedUpdateCursor,
    /// (b) the replica reloaded from its `save()` after the merge.
    SyncedReloaded,
    /// (b') the replica rebuilt after the merge by applying all its changes to a new document.
    SyncedRebuilt,
    /// (c) `touched_between(before, after)` after every commit.
    SyncedTouched,
    /// (d) `get_heads` + `save_after(previous heads)` after every commit.
    SyncedSaveAfter,
    /// A durable `Store::commit` of every commit, as the daemon commits.
    SyncedStore,
    /// The replica replaced by its own `fork()` (same actor) once, after the merge.
    SyncedForkOnce,
    /// The replica replaced by its own `fork()` after the merge and after every 100 commits,
    /// each followed by `malloc_trim(0)` (sampled just before each fork).
    SyncedFork,
    /// The origin as it was when it wrote W1 (built in this process, never loaded).
    Built,
    /// The minimal case, Automerge alone: `AutoCommit::load` of W1's `save()`, then commits
    /// that each put a new key (a JSON string) in the 100k-entry interactions map.
    RawLoaded,
    /// As `raw-loaded`, but each commit puts a new key in a random contact's small map.
    RawLoadedSmallMap,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Synced => "synced",
            Variant::Origin => "origin",
            Variant::SyncedNoMerge => "synced-no-merge",
            Variant::SyncedResetCursor => "synced-reset-cursor",
            Variant::SyncedUpdateCursor => "synced-update-cursor",
            Variant::SyncedReloaded => "synced-reloaded",
            Variant::SyncedRebuilt => "synced-rebuilt",
            Variant::SyncedTouched => "synced-touched",
            Variant::SyncedSaveAfter => "synced-save-after",
            Variant::SyncedStore => "synced-store",
            Variant::SyncedForkOnce => "synced-fork-once",
            Variant::SyncedFork => "synced-fork",
            Variant::Built => "built",
            Variant::RawLoaded => "raw-loaded",
            Variant::RawLoadedSmallMap => "raw-loaded-small-map",
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
    /// The workload the parent built the origin from (the `built` variant rebuilds it).
    #[arg(long, value_enum, default_value = "w1")]
    pub workload: crate::WorkloadName,
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
    /// Milliseconds: since the commits started, or what the labelled step took.
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

fn emit(label: &str, commits: u32, ms: f64) {
    let s = sample(label, commits, ms);
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The child's samples, from its stdout.
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
                ms: v
                    .get("ms")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(0.0),
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
        ((m.uordblks + m.hblkhd) as u64, (m.arena + m.hblkhd) as u64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        (0, 0)
    }
}

/// Gives the free memory glibc holds back to the system.
#[allow(unsafe_code)] // as above; malloc_trim has no safe wrapper.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only releases free memory; any pad value is valid.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// The child: one variant, start to end, one JSON line per sample on stdout.
pub fn child_main(args: &MemoryArgs) -> Result<()> {
    emit("start", 0, 0.0);
    let (mut vault, contacts) = match args.variant {
        Variant::RawLoaded | Variant::RawLoadedSmallMap => return raw_loaded(args),
        Variant::Built => {
            let ids = quic::identities(1)?;
            let w = args.workload.generate(args.seed);
            let (vault, _) = super::build_vault(&w, ids[0].device_id(), args.seed)?;
            drop(w);
            let contacts = Editor::contact_ids(&vault)?;
            emit("built", 0, 0.0);
            (vault, contacts)
        }
        _ => synced(args)?,
    };
    let variant = args.variant;
    let me = vault.device();
    let tmp = tempfile::tempdir()?;
    let store = if variant == Variant::SyncedStore {
        let store = rapport_store::Store::open(tmp.path())?;
        emit("store opened", 0, 0.0);
        let start = Instant::now();
        store.create_vault(&mut vault)?;
        emit("stored", 0, ms(start.elapsed()));
        Some(store)
    } else {
        None
    };
    match variant {
        Variant::SyncedReloaded => {
            let start = Instant::now();
            let saved = vault.doc_mut().save();
            let doc = AutoCommit::load(&saved)?;
            drop(saved);
            vault = Vault::open(doc, me)?;
            emit("reloaded", 0, ms(start.elapsed()));
        }
        Variant::SyncedRebuilt => {
            let start = Instant::now();
            let changes = vault.doc_mut().get_changes(&[]);
            let mut doc = AutoCommit::new();
            doc.apply_changes(changes)?;
            vault = Vault::open(doc, me)?;
            emit("rebuilt", 0, ms(start.elapsed()));
        }
        Variant::SyncedFork | Variant::SyncedForkOnce => {
            let start = Instant::now();
            vault = vault.fork_as(me);
            emit("forked", 0, ms(start.elapsed()));
        }
        _ => {}
    }
    emit("set up", 0, 0.0);
    trim();
    let mut editor = Editor::new(args.seed ^ 0xc, contacts, 1_900_000_000_000);
    let mut prev = vault.heads();
    let mut forks = Duration::ZERO;
    let start = Instant::now();
    emit("before commits", 0, 0.0);
    for i in 1..=args.commits {
        let touched = editor.note_or_tag(&mut vault)?;
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
        if let Some(store) = &store {
            store.commit(&mut vault, &touched)?;
        }
        if i % args.every == 0 {
            emit("commits", i, ms(start.elapsed()));
        }
        if variant == Variant::SyncedFork && i % 100 == 0 {
            let t = Instant::now();
            vault = vault.fork_as(me);
            trim();
            forks += t.elapsed();
        }
    }
    if variant == Variant::SyncedFork {
        emit("forks took", args.commits, ms(forks));
    }
    Ok(())
}

/// Loads the origin, clones it over QUIC into an empty replica, merges concurrent edits (unless
/// the variant says not to) and returns the replica the variant measures, with the contacts.
/// The other replica is dropped, so that only the measured one stays in memory.
fn synced(args: &MemoryArgs) -> Result<(Vault, Vec<rapport_model::ContactId>)> {
    let rt = quic::runtime()?;
    let bytes = std::fs::read(&args.origin).context("reading the origin")?;
    let ids = quic::identities(2)?;
    let origin = Vault::open(AutoCommit::load(&bytes)?, ids[0].device_id())?;
    drop(bytes);
    let contacts = Editor::contact_ids(&origin)?;
    emit("origin loaded", 0, 0.0);
    let a = BenchReplica::with_vault(origin)?.shared();
    let b = BenchReplica::cloning(ids[1].device_id()).shared();
    let variant = args.variant;
    rt.block_on(async {
        let peers = quic::bind(&ids)?;
        let start = Instant::now();
        quic::one_shot(&peers[1], b.clone(), &peers[0], a.clone()).await?;
        b.lock().await.finish_clone()?;
        emit("filled by sync", 0, ms(start.elapsed()));
        if variant != Variant::SyncedNoMerge {
            let now = 1_800_000_000_000;
            let mut ea = Editor::new(args.seed ^ 0xa, contacts.clone(), now);
            let mut eb = Editor::new(args.seed ^ 0xb, contacts.clone(), now);
            for _ in 0..args.concurrent {
                ea.note_or_tag(a.lock().await.vault()?)?;
                eb.note_or_tag(b.lock().await.vault()?)?;
            }
            let start = Instant::now();
            quic::one_shot(&peers[1], b.clone(), &peers[0], a.clone()).await?;
            emit("after merge", 0, ms(start.elapsed()));
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
    let Ok(replica) = std::sync::Arc::try_unwrap(target) else {
        bail!("the replica is still shared");
    };
    Ok((replica.into_inner().into_vault()?, contacts))
}

/// `raw-loaded` and `raw-loaded-small-map`: Automerge alone.
fn raw_loaded(args: &MemoryArgs) -> Result<()> {
    use rand::{Rng, SeedableRng};
    use rapport_model::automerge::transaction::Transactable;
    use rapport_model::automerge::{ObjType, ReadDoc, Value, ROOT};
    let bytes = std::fs::read(&args.origin).context("reading the origin")?;
    let start = Instant::now();
    let mut doc = AutoCommit::load(&bytes)?;
    emit("loaded", 0, ms(start.elapsed()));
    drop(bytes);
    let map = |doc: &AutoCommit, key: &str| match doc.get(ROOT, key) {
        Ok(Some((Value::Object(ObjType::Map), obj))) => Ok(obj),
        _ => Err(anyhow::anyhow!("no {key} map")),
    };
    let interactions = map(&doc, rapport_model::schema::INTERACTIONS)?;
    let contacts = map(&doc, rapport_model::schema::CONTACTS)?;
    let objs: Vec<_> = doc.map_range(&contacts, ..).map(|item| item.id()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    trim();
    let start = Instant::now();
    emit("before commits", 0, 0.0);
    for i in 1..=args.commits {
        let key = format!("{:016x}", rng.gen::<u64>());
        if args.variant == Variant::RawLoaded {
            let text = format!(r#"{{"text":"note {i} about the offsite and the budget"}}"#);
            doc.put(&interactions, key, text)?;
        } else {
            let obj = &objs[rng.gen_range(0..objs.len())];
            doc.put(obj, key, "x")?;
        }
        doc.commit();
        if i % args.every == 0 {
            emit("commits", i, ms(start.elapsed()));
        }
    }
    Ok(())
}

/// One variant's run, as the parent sees it.
#[derive(Debug)]
pub struct VariantRun {
    pub variant: Variant,
    pub samples: Vec<Sample>,
    pub wall: Duration,
    /// The child's peak RSS (from `wait4`), KiB.
    pub peak_kib: u64,
}

impl VariantRun {
    pub fn get(&self, label: &str) -> Option<&Sample> {
        self.samples.iter().find(|s| s.label == label)
    }

    /// The sample before the commits and the last one.
    pub fn span(&self) -> Option<(&Sample, &Sample)> {
        let first = self.get("before commits")?;
        let last = self.samples.iter().rev().find(|s| s.label == "commits")?;
        Some((first, last))
    }

    /// The commit samples (every 100 commits).
    pub fn commits(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(|s| s.label == "commits")
    }
}

/// Runs each variant in a fresh child process.
pub fn run_variants(
    origin: &std::path::Path,
    seed: u64,
    workload: crate::WorkloadName,
    variants: &[Variant],
) -> Result<Vec<VariantRun>> {
    let exe = std::env::current_exe()?;
    variants
        .iter()
        .map(|&variant| {
            super::progress(&format!(
                "memory: {} (a process of its own)",
                variant.name()
            ));
            let mut cmd = std::process::Command::new(&exe);
            cmd.arg(SUBCOMMAND)
                .arg("--origin")
                .arg(origin)
                .arg("--seed")
                .arg(seed.to_string())
                .arg("--workload")
                .arg(workload.label().to_lowercase())
                .arg("--variant")
                .arg(variant.name());
            let m = proc::measure(&cmd, proc::Stdout::Capture)?;
            Ok(VariantRun {
                variant,
                samples: parse(&m.stdout)?,
                wall: m.wall,
                peak_kib: m.max_rss_kib,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_parse_back_and_ignore_other_lines() {
        let out = b"noise\n{\"label\":\"commits\",\"commits\":100,\"rss_kib\":2048,\"heap_used_kib\":1024,\"heap_held_kib\":1500,\"ms\":12.5}\n";
        let s = parse(out).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].commits, s[0].rss_kib, s[0].heap_used_kib),
            (100, 2048, 1024)
        );
        assert!((s[0].ms - 12.5).abs() < 1e-9);
    }
}
