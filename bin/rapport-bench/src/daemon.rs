//! `daemon`: real `rapport serve` processes, as users run them. On the device that STACK-NOTES
//! warns about (B: filled by sync, then merged concurrent edits) it measures B's memory over
//! 1,000 local commits made through it (`rapport note` from the CLI, forwarded to the daemon),
//! the time of those `note` processes, and the live latency of a note from B's CLI until A's
//! daemon shows it. Issue #3 asks that B's RSS stay within 1.2× of its value with W1 loaded;
//! issue #17 asks that `note` through the daemon, the live latency and the RSS do not regress.
//!
//! Two setups run side by side, each its own A and B: "ours" (the `rapport` next to this
//! benchmark) and a baseline, which is another binary (`--baseline-bin`, e.g. the release build
//! of an older commit) or, without one, the same binary with B's daemon on glibc's default
//! malloc arenas (the daemon uses one; see `bin/rapport/src/alloc.rs`). All four daemons run at
//! once and the measures alternate between the setups note by note, so the machine's load
//! falls on both alike.

use crate::proc::{status_kib, Stdout};
use crate::rapport_cli::Rapport;
use crate::serve::{device_id, fill, output, Daemon};
use crate::table::{self, Table};
use crate::SuiteArgs;
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Notes each side logs while offline, before the merge.
const OFFLINE_EDITS: usize = 20;
const COMMITS: usize = 1_000;
const SAMPLE_EVERY: usize = 100;
/// Live notes timed from B's CLI to A's daemon, per setup.
const LIVE_NOTES: usize = 30;
/// How long a live note may take to reach A before the suite gives up.
const LIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// The suite's own option: which binary is the baseline.
#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// A second `rapport` binary to compare with (e.g. a release build of the commit before a
    /// change), run side by side with ours. Without it, the baseline is ours with glibc's
    /// default malloc arenas.
    #[arg(long, value_name = "PATH")]
    pub baseline_bin: Option<PathBuf>,
}

/// One setup: a binary, the environment of its B daemon, and what was measured on it.
struct Setup {
    name: String,
    rapport: Rapport,
    _tmp: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    da: Daemon,
    db: Daemon,
    contacts: Vec<String>,
    clone: Duration,
    start_rss: u64,
    origin_rss: u64,
    series: Vec<u64>,
    notes: Vec<Duration>,
    live: Vec<Duration>,
}

pub fn run(args: &DaemonArgs) -> Result<Table> {
    let suite = &args.suite;
    let ours = Rapport::locate()?;
    let (base, base_env, base_name) = match &args.baseline_bin {
        Some(path) => (
            Rapport::at(path)?,
            Vec::new(),
            format!("`{}`", path.display()),
        ),
        None => {
            // glibc's default arena limit is 8 per core on 64-bit targets.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let env = vec![("MALLOC_ARENA_MAX", (8 * cores).to_string())];
            (Rapport::locate()?, env, "glibc's default arenas".to_owned())
        }
    };
    progress("ours: setting up A and B");
    let mut ours = setup("ours".to_owned(), ours, suite, &[])?;
    progress(&format!("baseline ({base_name}): setting up A and B"));
    let mut base = setup(base_name, base, suite, &base_env)?;

    // Let the live sessions the daemons open to each other settle before the first reading.
    std::thread::sleep(Duration::from_secs(2));
    for s in [&mut ours, &mut base] {
        s.start_rss = rss(&s.db)?;
        s.origin_rss = rss(&s.da)?;
    }
    progress(&format!(
        "{COMMITS} notes through each B's daemon, alternating"
    ));
    let mut rng = StdRng::seed_from_u64(suite.seed);
    for i in 0..COMMITS {
        for s in [&mut ours, &mut base] {
            let c = s.contacts[rng.gen_range(0..s.contacts.len())].clone();
            let t = Instant::now();
            note(
                &s.rapport,
                &s.b,
                &c,
                &format!("note {i}: called about the offsite"),
            )?;
            s.notes.push(t.elapsed());
            if (i + 1) % SAMPLE_EVERY == 0 {
                s.series.push(rss(&s.db)?);
            }
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    let ends = [rss(&ours.db)?, rss(&base.db)?];
    let peaks = [
        status_kib(&ours.db.pid().to_string(), "VmHWM")?,
        status_kib(&base.db.pid().to_string(), "VmHWM")?,
    ];
    progress(&format!(
        "{LIVE_NOTES} live notes from B's CLI to A's daemon, alternating"
    ));
    for i in 0..LIVE_NOTES {
        for s in [&mut ours, &mut base] {
            let c = s.contacts[rng.gen_range(0..s.contacts.len())].clone();
            let d = live_note(s, &c, &format!("live note {i} {:08x}", rng.gen::<u32>()))?;
            s.live.push(d);
        }
    }
    Ok(report(suite, &ours, &base, ends, peaks))
}

fn report(suite: &SuiteArgs, ours: &Setup, base: &Setup, ends: [u64; 2], peaks: [u64; 2]) -> Table {
    let mib = |kib: u64| format!("{:.0} MiB", kib as f64 / 1024.0);
    let grown = |end: u64, s: &Setup| end as f64 / s.start_rss as f64;
    let b = &base.name;
    let w = suite.workload().label();
    let mut t = Table::new(format!(
        "rapport-bench daemon — real `rapport serve` on 127.0.0.1, {w} (seed {}); baseline: {b}",
        suite.seed
    ));
    t.row(
        format!("B's daemon RSS with {w} loaded, after the merge (B filled by sync)"),
        mib(ours.start_rss),
        mib(base.start_rss),
        table::ratio(ours.start_rss as f64, base.start_rss as f64),
        "—",
    );
    t.row(
        format!("B's daemon RSS after {COMMITS} `rapport note`s through it"),
        format!("{} ({:.2}× loaded)", mib(ends[0]), grown(ends[0], ours)),
        format!("{} ({:.2}× loaded)", mib(ends[1]), grown(ends[1], base)),
        table::ratio(ends[0] as f64, ends[1] as f64),
        "≤ 1.0× baseline; ≤ 1.2× loaded",
    );
    t.row(
        "B's daemon peak RSS (VmHWM) over its whole life",
        mib(peaks[0]),
        mib(peaks[1]),
        table::ratio(peaks[0] as f64, peaks[1] as f64),
        "—",
    );
    let med = |v: &[Duration]| table::median(v);
    t.row(
        "`rapport note` through the daemon (whole CLI process): median (p90)",
        format!(
            "{} ({})",
            table::time(med(&ours.notes)),
            table::time(table::p90(&ours.notes))
        ),
        format!(
            "{} ({})",
            table::time(med(&base.notes)),
            table::time(table::p90(&base.notes))
        ),
        table::dur_ratio(med(&ours.notes), med(&base.notes)),
        "≤ 1.0×",
    );
    t.row(
        "Live note: B's `rapport note` start until A's daemon shows it: median (p90)",
        format!(
            "{} ({})",
            table::time(med(&ours.live)),
            table::time(table::p90(&ours.live))
        ),
        format!(
            "{} ({})",
            table::time(med(&base.live)),
            table::time(table::p90(&base.live))
        ),
        table::dur_ratio(med(&ours.live), med(&base.live)),
        "≤ 1.0×",
    );
    t.note(format!(
        "{w} = {} contacts × 10 interactions, written on A in one batch; B cloned it in {} ms \
         (baseline {} ms); each side then logged {OFFLINE_EDITS} notes offline before B's \
         daemon merged. The 'loaded' ratio is B's RSS after the notes over its RSS with the \
         vault loaded, in the same run.",
        table::count(suite.workload().contacts() as u64),
        ours.clone.as_millis(),
        base.clone.as_millis()
    ));
    t.note(format!(
        "Live note: timed from the start of `rapport note` on B until `rapport show --json` on \
         A (polled back to back, each a whole process through A's daemon) prints it; so it \
         includes B's note process and up to one poll. {LIVE_NOTES} notes per setup, after \
         the {COMMITS}."
    ));
    for s in [ours, base] {
        t.note(format!(
            "B's RSS every {SAMPLE_EVERY} notes, {}: {}; A's daemon (live with B, applying each \
             note) {} at the start.",
            s.name,
            s.series
                .iter()
                .map(|k| mib(*k))
                .collect::<Vec<_>>()
                .join(", "),
            mib(s.origin_rss),
        ));
    }
    t.note(format!(
        "Binaries: ours `{}`, baseline `{}`. RSS is `VmRSS` of the daemon process from /proc.",
        ours.rapport.path().display(),
        base.rapport.path().display()
    ));
    t
}

/// A with the workload serving, B cloned from it over QUIC, concurrent offline notes on both,
/// then B's daemon (started with `env`) merged with A.
fn setup(
    name: String,
    rapport: Rapport,
    suite: &SuiteArgs,
    env: &[(&str, String)],
) -> Result<Setup> {
    let tmp = tempfile::tempdir()?;
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let mut rng = StdRng::seed_from_u64(suite.seed);

    progress(&format!("{} on device A", suite.workload().label()));
    rapport.run(&a, &["init", "--name", "a"], Stdout::Discard)?;
    let a_id = device_id(&rapport, &a)?;
    fill(&a, a_id, suite.seed, suite.workload().contacts())?;
    let a_id = a_id.to_string();
    let b_id = device_id(&rapport, &b)?.to_string();
    output(rapport.command(&a, &["devices", "add", &b_id, "--name", "b"]))?;
    let da = Daemon::start(&rapport, &a, &tmp.path().join("a.log"))?;

    progress("B clones from A over QUIC");
    let clone_start = Instant::now();
    output(rapport.command(&b, &["clone", &da.addr, "--id", &a_id, "--name", "b"]))?;
    let clone = clone_start.elapsed();
    let contacts = contact_ids(&rapport, &b)?;

    progress("concurrent offline notes on A (its daemon) and B (no daemon)");
    for i in 0..OFFLINE_EDITS {
        for (home, who) in [(&a, "A"), (&b, "B")] {
            let c = &contacts[rng.gen_range(0..contacts.len())];
            note(&rapport, home, c, &format!("offline note {i} from {who}"))?;
        }
    }

    progress("B's daemon starts and merges A's notes");
    let db = Daemon::start_with_env(&rapport, &b, &tmp.path().join("b.log"), env)?;
    output(rapport.command(&b, &["sync", "--addr", &da.addr]))
        .context("B could not sync with A")?;
    Ok(Setup {
        name,
        rapport,
        _tmp: tmp,
        a,
        b,
        da,
        db,
        contacts,
        clone,
        start_rss: 0,
        origin_rss: 0,
        series: Vec::new(),
        notes: Vec::new(),
        live: Vec::new(),
    })
}

/// From the start of a note on B until A's daemon shows it in the contact's timeline.
fn live_note(s: &Setup, contact: &str, text: &str) -> Result<Duration> {
    let start = Instant::now();
    note(&s.rapport, &s.b, contact, text)?;
    while start.elapsed() < LIVE_TIMEOUT {
        let shown = output(s.rapport.command(&s.a, &["show", contact, "--json"]))?;
        if shown.contains(text) {
            return Ok(start.elapsed());
        }
    }
    bail!(
        "`{text}`, noted on B, did not reach A within {LIVE_TIMEOUT:?} ({}: see {})",
        s.name,
        s.da.log.display()
    )
}

fn rss(d: &Daemon) -> Result<u64> {
    status_kib(&d.pid().to_string(), "VmRSS")
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
