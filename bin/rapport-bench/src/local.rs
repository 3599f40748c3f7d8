//! The `local` suite, on workload W1: import (against raw Automerge written field by field),
//! load, cold `list`/`search`/`note` processes (against the load), disk (against `save()`) and
//! peak memory (against what one Automerge load of the same document takes).

pub mod commands;
mod disk;
mod import;
mod report;
pub mod scale;

use crate::proc::{self, Measured, Stdout};
use crate::rapport_cli::Rapport;
use crate::table::Table;
use crate::{baseline, w1, SuiteArgs};
use anyhow::{Context, Result};
use automerge::AutoCommit;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::DeviceId;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub fn run(args: &SuiteArgs) -> Result<Table> {
    Ok(report::table(&measure(args)?))
}

/// Everything the suite measures, for its table or for `scale`.
pub fn measure(args: &SuiteArgs) -> Result<Figures> {
    let runs = args.runs as usize;
    let rapport = Rapport::locate()?;
    let mut tmp = tempfile::Builder::new()
        .prefix("rapport-bench-")
        .tempdir()?;
    // RAPPORT_BENCH_KEEP=1 keeps the W1 home for profiling by hand; its path is printed.
    if std::env::var_os("RAPPORT_BENCH_KEEP").is_some() {
        tmp.disable_cleanup(true);
        progress(&format!("keeping the W1 home in {}", tmp.path().display()));
    }
    let home = tmp.path().join("home");
    let store_dir = home.join("store");
    let mut rng = StdRng::seed_from_u64(args.seed);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_millis()
        .try_into()?;

    progress("generating W1");
    let start = Instant::now();
    let w = args.workload().generate(args.seed);
    let generate = start.elapsed();
    let prepared = w1::prepare(&w, &mut rng)?;
    let n_interactions: usize = prepared.iter().map(|c| c.interactions.len()).sum();

    progress("rapport init and device");
    let init = rapport.run(&home, &["init", "--name", "bench"], Stdout::Discard)?;
    let device = device_id(&rapport, &home)?;

    progress("importing W1 into the vault: one batch, one durable commit");
    let (imp, mut vault) = import::run(&home, device, &prepared, now)?;
    let disk_import = disk::usage(&store_dir);
    progress("profiling the commit's Automerge work");
    let prof = import::profile(&imp, &mut vault, &prepared)?;
    drop(prepared);

    progress("baseline: raw Automerge, field by field, one commit per contact");
    let (base, base_rss) = proc::peak_rss_of(|| baseline::build(&w, &mut rng, now));
    let base = base?;

    progress("Automerge load of both documents");
    let (load, load_rss) = load_runs(&prof.saved, runs)?;
    let (base_load, _) = load_runs(&base.saved, runs)?;
    // The vault is on disk and no longer needed in memory.
    drop(vault);

    progress("cold rapport list / search / note / check");
    let (word, word_hits) = commands::search_word(&w, &mut rng)?;
    let device_runs = commands::repeat(&rapport, &home, runs, |_| {
        vec!["device".into(), "--json".into()]
    })?;
    let list = commands::repeat(&rapport, &home, runs, |_| {
        vec!["list".into(), "--json".into()]
    })?;
    let search = commands::repeat(&rapport, &home, runs, |_| {
        vec!["search".into(), word.clone()]
    })?;
    let contact = commands::first_contact(&rapport, &home)?;
    let note = commands::repeat(&rapport, &home, runs, |i| {
        vec![
            "note".into(),
            contact.clone(),
            format!("benchmark note {i}: called about the offsite"),
        ]
    })?;
    let check = rapport.run(&home, &["check", "--json"], Stdout::Capture)?;
    let check_json: serde_json::Value =
        serde_json::from_slice(&check.stdout).context("`rapport check --json` printed no JSON")?;
    let disk_after = disk::usage(&store_dir);
    progress("one more compaction, in-process");
    let compact = import::compact_again(&home, device)?;
    let live = disk::live(&store_dir)?;
    drop(tmp);

    Ok(Figures {
        seed: args.seed,
        runs,
        rapport: rapport.path().to_owned(),
        contacts: w.contacts.len(),
        interactions: n_interactions,
        text_bytes: rapport_workload::approx_text_bytes(&w),
        generate,
        init: init.wall,
        imp,
        prof,
        base,
        base_rss,
        load,
        load_rss,
        base_load,
        word,
        word_hits,
        contact,
        device_runs,
        list,
        search,
        note,
        check,
        check_json,
        disk_import,
        disk_after,
        compact,
        live,
    })
}

/// Everything the suite measured, for `report` and `scale`.
#[derive(Debug)]
pub struct Figures {
    seed: u64,
    runs: usize,
    rapport: PathBuf,
    contacts: usize,
    interactions: usize,
    text_bytes: usize,
    generate: Duration,
    init: Duration,
    imp: import::Import,
    prof: import::CommitProfile,
    base: baseline::Baseline,
    base_rss: Option<u64>,
    load: Vec<Duration>,
    load_rss: Option<u64>,
    base_load: Vec<Duration>,
    word: String,
    word_hits: usize,
    contact: String,
    device_runs: commands::Runs,
    list: commands::Runs,
    search: commands::Runs,
    note: commands::Runs,
    check: Measured,
    check_json: serde_json::Value,
    disk_import: disk::Usage,
    disk_after: disk::Usage,
    compact: Duration,
    live: Vec<(String, u64, u64)>,
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}

fn device_id(rapport: &Rapport, home: &Path) -> Result<DeviceId> {
    let json = rapport.json(home, &["device", "--json"])?;
    let id = json
        .get("id")
        .and_then(|v| v.as_str())
        .context("`rapport device --json` printed no id")?;
    id.parse::<DeviceId>()
        .with_context(|| format!("`{id}` is not a device id"))
}

/// `runs` timed loads of `bytes`; the peak RSS a load adds, from the first one.
fn load_runs(bytes: &[u8], runs: usize) -> Result<(Vec<Duration>, Option<u64>)> {
    let mut times = Vec::with_capacity(runs);
    let mut rss = None;
    for i in 0..runs {
        let timed = || -> Result<Duration> {
            let start = Instant::now();
            let doc = AutoCommit::load(bytes).context("the saved document does not load")?;
            let elapsed = start.elapsed();
            drop(doc);
            Ok(elapsed)
        };
        if i == 0 {
            let (elapsed, peak) = proc::peak_rss_of(timed);
            times.push(elapsed?);
            rss = peak;
        } else {
            times.push(timed()?);
        }
    }
    Ok((times, rss))
}
