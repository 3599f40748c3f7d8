//! The `history` suite, on W1 plus 10 rounds of edits from 3 devices (see `history::build`):
//! `log CONTACT`, `show CONTACT --at TIME`, `revert CONTACT --to TIME` and `undo`, each as the
//! user runs it, against a plain `show` of the same contact measured in the same run:
//!
//! - **cold**: a new `rapport` process per run, no daemon (the page cache warm). `log` reads
//!   the store's per-record history index; `show --at` and `revert` load the document first.
//! - **daemon**: the same commands while `rapport serve` runs on the home; the CLI forwards
//!   them over the daemon's socket and the daemon runs them on its loaded vault (the same code
//!   path, without the load).
//! - **in-process**: the store opened and the vault loaded once, then the code paths the
//!   commands run, called directly; and the generic `undo_change` of the whole W1 import
//!   (what `import undo` will run), checked to leave no live contact.
//!
//! The target is 200 ms wall for `log`, `show --at` and `revert`. `log` reads the store's
//! per-record history index, so it meets it cold; `show --at` and `revert` need the document,
//! whose load alone takes about a second on W1, so cold they cost what any cold write (`note`)
//! costs, and meet the target through the daemon.

mod build;
mod inproc;

use crate::proc::Stdout;
use crate::rapport_cli::Rapport;
use crate::table::{self, Table};
use crate::SuiteArgs;
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::DeviceId;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TARGET: Duration = Duration::from_millis(200);

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let runs = args.runs as usize;
    let rapport = Rapport::locate()?;
    let tmp = tempfile::Builder::new()
        .prefix("rapport-bench-history-")
        .tempdir()?;
    let home = tmp.path().join("home");
    let now: i64 = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_millis()
        .try_into()?;
    progress("rapport init, W1, and 10 rounds of edits from 3 devices");
    rapport.run(&home, &["init", "--name", "laptop"], Stdout::Discard)?;
    let device = device_id(&rapport, &home)?;
    let w = args.workload().generate(args.seed);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let start = Instant::now();
    let built = build::build(&home, device, &w, &mut rng, now)?;
    let build_time = start.elapsed();
    drop(w);
    let target = built.target.to_string();
    let other = built.other.to_string();
    let early = rfc3339(built.marks[2]);
    let late = rfc3339(built.marks[7]);

    progress("checking what log prints");
    let log = rapport.json(&home, &["log", &target, "--json"])?;
    let listed = log.as_array().map(Vec::len).unwrap_or(0);
    if listed != built.target_changes {
        bail!(
            "`rapport log` listed {listed} changes of the target, expected {}",
            built.target_changes
        );
    }

    progress("cold processes");
    let cold_show = repeat(&rapport, &home, runs, |_| {
        vec!["show".into(), target.clone(), "--json".into()]
    })?;
    let cold_log = repeat(&rapport, &home, runs, |_| {
        vec!["log".into(), target.clone(), "--json".into()]
    })?;
    let cold_log_all = repeat(&rapport, &home, runs, |_| {
        vec!["log".into(), "--limit".into(), "50".into(), "--json".into()]
    })?;
    let cold_at = repeat(&rapport, &home, runs, |_| {
        vec![
            "show".into(),
            target.clone(),
            "--at".into(),
            early.clone(),
            "--json".into(),
        ]
    })?;
    let alternate = |i: usize| {
        if i.is_multiple_of(2) {
            early.clone()
        } else {
            late.clone()
        }
    };
    let cold_revert = repeat(&rapport, &home, runs, |i| {
        vec!["revert".into(), target.clone(), "--to".into(), alternate(i)]
    })?;
    let cold_note = repeat(&rapport, &home, runs, |i| {
        vec!["note".into(), other.clone(), format!("benchmark note {i}")]
    })?;

    progress("the same commands through a running daemon");
    let mut daemon = Daemon::start(&rapport, &home)?;
    // The first history read loads the daemon's vault; not measured.
    rapport.run(&home, &["show", &target, "--at", &early], Stdout::Discard)?;
    let d_show = repeat(&rapport, &home, runs, |_| {
        vec!["show".into(), target.clone(), "--json".into()]
    })?;
    let d_log = repeat(&rapport, &home, runs, |_| {
        vec!["log".into(), target.clone(), "--json".into()]
    })?;
    let d_at = repeat(&rapport, &home, runs, |_| {
        vec![
            "show".into(),
            target.clone(),
            "--at".into(),
            late.clone(),
            "--json".into(),
        ]
    })?;
    let d_revert = repeat(&rapport, &home, runs, |i| {
        vec![
            "revert".into(),
            target.clone(),
            "--to".into(),
            alternate(i + 1),
        ]
    })?;
    let d_undo = repeat(&rapport, &home, runs, |_| vec!["undo".into()])?;
    let d_note = repeat(&rapport, &home, runs, |i| {
        vec!["note".into(), other.clone(), format!("daemon note {i}")]
    })?;
    daemon.stop();

    progress("the same code paths in-process, on a loaded vault");
    let inproc = inproc::in_process(&home, device, built.target, &built.marks, runs)?;
    drop(tmp);

    let mut t = Table::new(format!(
        "history: W1 + {} rounds × 3 devices ({} changes; seed {}, {} runs, median (p90))",
        build::ROUNDS,
        built.changes,
        args.seed,
        runs
    ));
    let cell = |d: &[Duration]| {
        format!(
            "{} ({})",
            table::time(table::median(d)),
            table::time(table::p90(d))
        )
    };
    let target_cell = |d: &[Duration]| {
        let ok = table::median(d) <= TARGET;
        format!("≤ 200 ms: {}", if ok { "met" } else { "MISSED" })
    };
    let mut row = |name: &str, ours: &[Duration], base: &[Duration], base_name: &str| {
        t.row(
            name,
            cell(ours),
            format!("{} {base_name}", cell(base)),
            table::dur_ratio(table::median(ours), table::median(base)),
            target_cell(ours),
        );
    };
    row("cold `log CONTACT`", &cold_log, &cold_show, "cold `show`");
    row(
        "cold `log --limit 50` (whole vault)",
        &cold_log_all,
        &cold_show,
        "cold `show`",
    );
    row("cold `show --at TIME`", &cold_at, &cold_show, "cold `show`");
    row(
        "cold `revert --to TIME`",
        &cold_revert,
        &cold_note,
        "cold `note`",
    );
    row("daemon `log CONTACT`", &d_log, &d_show, "daemon `show`");
    row("daemon `show --at TIME`", &d_at, &d_show, "daemon `show`");
    row(
        "daemon `revert --to TIME`",
        &d_revert,
        &d_note,
        "daemon `note`",
    );
    row("daemon `undo`", &d_undo, &d_note, "daemon `note`");
    let p = &inproc;
    row(
        "in-process `log` (index read)",
        &p.log,
        &p.show,
        "in-process `show` read",
    );
    row(
        "in-process `show --at` (heads, contact, timeline)",
        &p.at,
        &p.show,
        "in-process `show` read",
    );
    row(
        "in-process `revert` (+ durable commit)",
        &p.revert,
        &p.note,
        "in-process note + commit",
    );
    t.note(format!(
        "in-process `undo_change` of the whole W1 import (what `import undo` will run): {} for {} values (every contact trashed, every interaction removed), then its durable commit {}; against the vault's load {}",
        table::time(p.undo_import),
        p.undo_import_restored,
        table::time(p.undo_import_commit),
        table::time(p.load)
    ));
    t.note(format!(
        "in-process: the store opened and the vault loaded once ({}), as a daemon holds it",
        table::time(p.load)
    ));
    t.note(format!(
        "build (import + {} rounds, in-process): {}; `log` lists {listed} changes of the target (checked)",
        build::ROUNDS,
        table::time(build_time)
    ));
    t.note(
        "cold `show --at` and `revert` load the whole document first (what cold `note`, any \
         cold write, also pays); the daemon keeps it loaded, so the same code path there is the \
         history work alone",
    );
    Ok(t)
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}

/// RFC 3339 UTC of Unix milliseconds, to the second (what `--at`/`--to` accept).
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
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

/// `runs` runs of one command (a new process each), their wall times.
fn repeat(
    rapport: &Rapport,
    home: &Path,
    runs: usize,
    args_for: impl Fn(usize) -> Vec<String>,
) -> Result<Vec<Duration>> {
    (0..runs)
        .map(|i| {
            let args = args_for(i);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            Ok(rapport.run(home, &args, Stdout::Discard)?.wall)
        })
        .collect()
}

/// `rapport serve` on 127.0.0.1, without discovery; killed when stopped or dropped.
struct Daemon {
    child: Option<Child>,
}

impl Daemon {
    fn start(rapport: &Rapport, home: &Path) -> Result<Daemon> {
        let mut child = rapport
            .command(
                home,
                &["serve", "--listen", "127.0.0.1:0", "--no-discovery"],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("could not start `rapport serve`")?;
        let stdout = child.stdout.take().context("no stdout from the daemon")?;
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first)?;
        if first.is_empty() {
            let _ = child.kill();
            bail!("`rapport serve` exited before it served");
        }
        Ok(Daemon { child: Some(child) })
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}
