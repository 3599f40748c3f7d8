//! `daemon`: the memory of a real `rapport serve` process on the device that STACK-NOTES warns
//! about, a device filled by sync that then merged concurrent edits, over 1,000 local commits
//! made through it (`rapport note` from the CLI, forwarded to the daemon). Issue #3 asks that its
//! RSS stay within 1.2× of its value with W1 loaded; the `sync` suite's rows 5.* explain the
//! Automerge side of the growth in-process, and this suite is the regression benchmark of what
//! users run.
//!
//! A holds W1 and serves; B clones it over QUIC, both log notes offline, B's daemon starts and
//! syncs with A (the merge), then 1,000 notes go through B's daemon while it stays live with A.
//! The baseline is the same scenario with B's daemon on glibc's default malloc arenas (the
//! daemon uses one; see `bin/rapport/src/alloc.rs`).

use crate::proc::{status_kib, Stdout};
use crate::rapport_cli::Rapport;
use crate::serve::{device_id, fill, output, Daemon};
use crate::table::{self, Table};
use crate::SuiteArgs;
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::{Duration, Instant};

const CONTACTS: usize = 10_000;
/// Notes each side logs while offline, before the merge.
const OFFLINE_EDITS: usize = 20;
const COMMITS: usize = 1_000;
const SAMPLE_EVERY: usize = 100;

/// What one run of the scenario measured on B's daemon (RSS in KiB).
#[derive(Debug)]
struct Run {
    clone: Duration,
    start: u64,
    end: u64,
    peak: u64,
    series: Vec<u64>,
    origin: u64,
    notes: Vec<Duration>,
}

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let rapport = Rapport::locate()?;
    progress("ours: B's daemon as shipped");
    let ours = scenario(&rapport, args.seed, &[])?;
    // glibc's default arena limit is 8 per core on 64-bit targets.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let default_arenas = [("MALLOC_ARENA_MAX", (8 * cores).to_string())];
    progress("baseline: B's daemon on glibc's default malloc arenas");
    let base = scenario(&rapport, args.seed, &default_arenas)?;

    let mib = |kib: u64| format!("{:.0} MiB", kib as f64 / 1024.0);
    let grown = |r: &Run| r.end as f64 / r.start as f64;
    let mut t = Table::new(format!(
        "rapport-bench daemon — real `rapport serve` on 127.0.0.1 (seed {})",
        args.seed
    ));
    t.row(
        "B's daemon RSS with W1 loaded, after the merge (B filled by sync)",
        mib(ours.start),
        format!("{} (glibc's default arenas)", mib(base.start)),
        table::ratio(ours.start as f64, base.start as f64),
        "—",
    );
    t.row(
        format!("B's daemon RSS after {COMMITS} `rapport note`s through it, ÷ with W1 loaded"),
        format!("{} ({:.2}×)", mib(ours.end), grown(&ours)),
        format!(
            "{} ({:.2}×, glibc's default arenas)",
            mib(base.end),
            grown(&base)
        ),
        Some(grown(&ours)),
        "≤ 1.2×",
    );
    t.row(
        "B's daemon peak RSS (VmHWM) over its whole life",
        mib(ours.peak),
        format!("{} (glibc's default arenas)", mib(base.peak)),
        table::ratio(ours.peak as f64, base.peak as f64),
        "—",
    );
    t.row(
        "`rapport note` through the daemon (whole CLI process): median",
        table::time(table::median(&ours.notes)),
        format!(
            "{} (glibc's default arenas)",
            table::time(table::median(&base.notes))
        ),
        table::dur_ratio(table::median(&ours.notes), table::median(&base.notes)),
        "—",
    );
    t.note(format!(
        "W1 = {CONTACTS} contacts × 10 interactions, written on A in one batch; B cloned it in \
         {} ms (baseline run {} ms); each side then logged {OFFLINE_EDITS} notes offline before \
         B's daemon merged. The ratio with the target is B's RSS after the notes over its RSS \
         with W1 loaded, in the same run.",
        ours.clone.as_millis(),
        base.clone.as_millis()
    ));
    for (name, r) in [("ours", &ours), ("glibc's default arenas", &base)] {
        t.note(format!(
            "B's RSS every {SAMPLE_EVERY} notes, {name}: {}; A's daemon (live with B, applying \
             each note) {} at the start.",
            r.series
                .iter()
                .map(|k| mib(*k))
                .collect::<Vec<_>>()
                .join(", "),
            mib(r.origin),
        ));
    }
    t.note(
        "RSS is `VmRSS` of the daemon process from /proc. The daemon also copies its vault \
         afresh (`fork`) every 100 commits, the workaround for Automerge 0.12's column-slab \
         growth that the `sync` suite's rows 5.* show.",
    );
    Ok(t)
}

/// The whole scenario in a fresh temporary folder, B's daemon started with `env`.
fn scenario(rapport: &Rapport, seed: u64, env: &[(&str, String)]) -> Result<Run> {
    let tmp = tempfile::tempdir()?;
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let mut rng = StdRng::seed_from_u64(seed);

    progress("W1 on device A");
    rapport.run(&a, &["init", "--name", "a"], Stdout::Discard)?;
    let a_id = device_id(rapport, &a)?;
    fill(&a, a_id, seed, CONTACTS)?;
    let a_id = a_id.to_string();
    let b_id = device_id(rapport, &b)?.to_string();
    output(rapport.command(&a, &["devices", "add", &b_id, "--name", "b"]))?;
    let da = Daemon::start(rapport, &a, &tmp.path().join("a.log"))?;

    progress("B clones W1 from A over QUIC");
    let clone_start = Instant::now();
    output(rapport.command(&b, &["clone", &da.addr, "--id", &a_id, "--name", "b"]))?;
    let clone = clone_start.elapsed();
    let contacts = contact_ids(rapport, &b)?;

    progress("concurrent offline notes on A (its daemon) and B (no daemon)");
    for i in 0..OFFLINE_EDITS {
        for (home, who) in [(&a, "A"), (&b, "B")] {
            let c = &contacts[rng.gen_range(0..contacts.len())];
            note(rapport, home, c, &format!("offline note {i} from {who}"))?;
        }
    }

    progress("B's daemon starts and merges A's notes");
    let db = Daemon::start_with_env(rapport, &b, &tmp.path().join("b.log"), env)?;
    output(rapport.command(&b, &["sync", "--addr", &da.addr]))
        .context("B could not sync with A")?;
    // Let the live sessions the daemons open to each other settle before the first reading.
    std::thread::sleep(Duration::from_secs(2));
    let (pid, a_pid) = (db.pid().to_string(), da.pid().to_string());
    let rss = |pid: &str| status_kib(pid, "VmRSS");
    let (start, origin) = (rss(&pid)?, rss(&a_pid)?);

    progress("1,000 notes through B's daemon");
    let mut series = Vec::new();
    let mut notes = Vec::new();
    for i in 0..COMMITS {
        let c = &contacts[rng.gen_range(0..contacts.len())];
        let t = Instant::now();
        note(
            rapport,
            &b,
            c,
            &format!("note {i}: called about the offsite"),
        )?;
        notes.push(t.elapsed());
        if (i + 1) % SAMPLE_EVERY == 0 {
            series.push(rss(&pid)?);
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    Ok(Run {
        clone,
        start,
        end: rss(&pid)?,
        peak: status_kib(&pid, "VmHWM")?,
        series,
        origin,
        notes,
    })
}

fn note(rapport: &Rapport, home: &Path, contact: &str, text: &str) -> Result<()> {
    output(rapport.command(home, &["note", contact, text]))?;
    Ok(())
}

fn contact_ids(rapport: &Rapport, home: &Path) -> Result<Vec<String>> {
    let list = rapport.json(home, &["list", "--json"])?;
    let ids: Vec<String> = list
        .as_array()
        .context("`list --json` printed no array")?
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(!ids.is_empty(), "the cloned vault has no contacts");
    Ok(ids)
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}
