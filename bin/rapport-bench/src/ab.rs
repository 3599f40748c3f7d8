//! `ab` (issue #15): the whole-process figures a user feels, for this build and a baseline build
//! (`--baseline-bin`, e.g. the release `rapport` of an older commit), interleaved run by run so
//! the machine's load falls on both alike:
//!
//! - `import linkedin` of the workload's LinkedIn export into a fresh vault, durable;
//! - cold `list --json`, `search WORD`, `show CONTACT`, and a daemonless durable `note`, `tag`
//!   and `edit`, each binary on its own copy of one home holding the workload;
//! - `clone` from a `rapport serve` of that home (this build's daemon), against Automerge's own
//!   sync of the same document into an empty one in memory (the yardstick of the issue), and,
//!   with `--samod-bin`, samod 0.16 fetching the same document (`bench/samod-fetch`).
//!
//! Without `--baseline-bin` the baseline column is this build again (a noise check).

use crate::local::commands::{first_contact, search_word};
use crate::proc::{Measured, Stdout};
use crate::rapport_cli::Rapport;
use crate::serve::{device_id, output, write, Daemon};
use crate::sync::raw;
use crate::table::{self, Table};
use crate::{w1, SuiteArgs};
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::automerge::sync::State;
use rapport_model::automerge::AutoCommit;
use rapport_store::Store;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct AbArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// The `rapport` binary to compare with (default: this build's, as a noise check).
    #[arg(long, value_name = "PATH")]
    pub baseline_bin: Option<PathBuf>,
    /// Leave out the clone measures (they take the longest).
    #[arg(long)]
    pub no_clone: bool,
    /// Only the import rows (no home is filled, no reads, no clone).
    #[arg(long)]
    pub import_only: bool,
    /// The `samod-fetch` harness (`bench/samod-fetch`): samod 0.16 fetching the same document
    /// over loopback TCP, timed in the same run as a yardstick for `clone`.
    #[arg(long, value_name = "PATH")]
    pub samod_bin: Option<PathBuf>,
}

/// The two binaries and their medians, row by row.
struct Pair {
    ours: Rapport,
    base: Rapport,
}

pub fn run(args: &AbArgs) -> Result<Table> {
    let suite = &args.suite;
    let runs = suite.runs as usize;
    let wl = suite.workload();
    let pair = Pair {
        ours: Rapport::locate()?,
        base: match &args.baseline_bin {
            Some(p) => Rapport::at(p)?,
            None => Rapport::locate()?,
        },
    };
    let mut tmp = tempfile::Builder::new()
        .prefix("rapport-bench-ab-")
        .tempdir()?;
    // RAPPORT_BENCH_KEEP=1 keeps the homes and the LinkedIn export for profiling by hand.
    if std::env::var_os("RAPPORT_BENCH_KEEP").is_some() {
        tmp.disable_cleanup(true);
        progress(&format!("keeping the homes in {}", tmp.path().display()));
    }
    let mut rng = StdRng::seed_from_u64(suite.seed);
    let mut t = Table::new(format!(
        "ab: {} whole processes, this build (ours) against {} (median of {runs}; seed {}; load {})",
        wl.label(),
        args.baseline_bin
            .as_ref()
            .map_or("this build".to_owned(), |p| format!("`{}`", p.display())),
        suite.seed,
        crate::load_average()
    ));

    progress(&format!(
        "generating {} and its LinkedIn export",
        wl.label()
    ));
    let w = wl.generate(suite.seed);
    let csv = tmp.path().join("Connections.csv");
    std::fs::write(&csv, rapport_workload::linkedin_csv(&w))?;
    let csv_arg = csv.to_string_lossy().into_owned();

    progress("import linkedin into fresh vaults");
    let mut n = 0;
    let (ours, base) = pair.alternate(runs, |r| {
        n += 1;
        let home = tmp.path().join(format!("import-{n}"));
        r.run(&home, &["init", "--name", "bench"], Stdout::Discard)?;
        let m = r.run(&home, &["import", "linkedin", &csv_arg], Stdout::Discard)?;
        std::fs::remove_dir_all(&home)?;
        Ok(m)
    })?;
    row(
        &mut t,
        &format!("`import linkedin`, {} rows, durable", w.contacts.len()),
        &ours,
        &base,
        "≤ 1.2 s (10k) / ≤ 3 s (30k)",
    );

    if args.import_only {
        t.note("Every figure is one whole process timed from spawn to exit (peak RSS from `wait4`); ours and the baseline alternate run by run.");
        return Ok(t);
    }
    progress(&format!("{} into a home, in-process", wl.label()));
    let origin = tmp.path().join("origin");
    pair.ours
        .run(&origin, &["init", "--name", "origin"], Stdout::Discard)?;
    let device = device_id(&pair.ours, &origin)?;
    let prepared = w1::prepare(&w, &mut rng)?;
    write(&origin, device, &prepared, |_| Ok(()))?;
    drop(prepared);
    let (word, _) = search_word(&w, &mut rng)?;
    drop(w);
    let contact = first_contact(&pair.ours, &origin)?;
    let homes = [tmp.path().join("reads-ours"), tmp.path().join("reads-base")];
    for h in &homes {
        copy_dir(&origin, h)?;
    }

    let reads: [(&str, Vec<&str>, &str); 4] = [
        (
            "cold `list --json`",
            vec!["list", "--json"],
            "≤ 120 ms at W30",
        ),
        (
            "cold `search WORD`",
            vec!["search", &word],
            "≤ 50 ms at W30",
        ),
        ("cold `show CONTACT`", vec!["show", &contact], "≤ 20 ms"),
        (
            "`note` without a daemon, durable",
            vec!["note", &contact, "called about the offsite"],
            "≤ 150 ms W1 / ≤ 300 ms W30",
        ),
    ];
    for (what, argv, target) in reads {
        progress(what);
        let (ours, base) =
            pair.alternate_on(runs, &homes, |r, home| r.run(home, &argv, Stdout::Discard))?;
        row(&mut t, what, &ours, &base, target);
    }
    // Each run writes something new (a tag or a title the contact did not have), so that every
    // run commits: an unchanged edit writes nothing.
    let edits = [
        ("`tag +NEW` without a daemon, durable", "tag"),
        ("`edit --title NEW` without a daemon, durable", "edit"),
    ];
    for (what, command) in edits {
        progress(what);
        let n = std::cell::Cell::new(0);
        let (ours, base) = pair.alternate_on(runs, &homes, |r, home| {
            n.set(n.get() + 1);
            let (tag, title) = (format!("+bench-{}", n.get()), format!("Title {}", n.get()));
            let argv = match command {
                "tag" => vec!["tag", &contact, &tag],
                _ => vec!["edit", &contact, "--title", &title],
            };
            r.run(home, &argv, Stdout::Discard)
        })?;
        row(&mut t, what, &ours, &base, "≤ 150 ms W1 / ≤ 300 ms W30");
    }

    if !args.no_clone {
        clone_rows(
            &mut t,
            &pair,
            tmp.path(),
            &origin,
            runs,
            args.samod_bin.as_deref(),
        )?;
    }
    t.note("Every figure is one whole process timed from spawn to exit (peak RSS from `wait4`); ours and the baseline alternate run by run.");
    Ok(t)
}

/// `clone` from this build's daemon on `origin`, by both binaries, against raw Automerge sync.
fn clone_rows(
    t: &mut Table,
    pair: &Pair,
    dir: &Path,
    origin: &Path,
    runs: usize,
    samod: Option<&Path>,
) -> Result<()> {
    progress("raw Automerge sync of the same document, in memory");
    let saved = {
        let store = Store::open(&origin.join("store"))?;
        let device = rapport_model::DeviceId::from_bytes([0; 32]);
        let mut vault = store.load_vault(device)?;
        let bytes = vault.doc_mut().save();
        store.close()?;
        bytes
    };
    let origin_id = device_id(&pair.ours, origin)?.to_string();
    // Each build clones from a daemon of the same build: a build's protocol version may be one
    // that the other refuses (version 3 added whole documents as zstd frames), and the serving
    // side's cost is part of what a fresh device waits for. Same device, same vault.
    let base_origin = dir.join("origin-base");
    copy_dir(origin, &base_origin)?;
    let daemon = Daemon::start(&pair.ours, origin, &dir.join("origin.log"))?;
    let base_daemon = Daemon::start(&pair.base, &base_origin, &dir.join("origin-base.log"))?;
    let mut raws = Vec::new();
    let mut n = 0;
    let (ours, base) = pair.alternate(runs, |r| {
        let (daemon, origin) = if std::ptr::eq(r, &pair.ours) {
            (&daemon, origin)
        } else {
            (&base_daemon, base_origin.as_path())
        };
        let mut doc = AutoCommit::load(&saved).context("the saved document does not load")?;
        let mut empty = AutoCommit::new();
        let got = raw::sync(&mut doc, &mut State::new(), &mut empty, &mut State::new())?;
        raws.push(got.elapsed);
        n += 1;
        let home = dir.join(format!("clone-{n}"));
        let id = device_id(r, &home)?.to_string();
        output(r.command(origin, &["devices", "add", &id, "--name", &format!("c{n}")]))?;
        let m = r.run(
            &home,
            &["clone", &daemon.addr, "--id", &origin_id, "--name", "c"],
            Stdout::Discard,
        )?;
        std::fs::remove_dir_all(&home)?;
        Ok(m)
    })?;
    drop((daemon, base_daemon));
    let raw_median = table::median(&raws);
    let wall = |m: &[Measured]| table::median(&m.iter().map(|x| x.wall).collect::<Vec<_>>());
    row(
        t,
        "`clone` from a daemon, start to exit",
        &ours,
        &base,
        "≤ 1.3× raw sync",
    );
    t.row(
        "`clone` against raw Automerge sync in memory (same run)",
        table::time(wall(&ours)),
        table::time(raw_median),
        table::dur_ratio(wall(&ours), raw_median),
        "≤ 1.3×",
    );
    t.row(
        "baseline's `clone` against raw Automerge sync",
        table::time(wall(&base)),
        table::time(raw_median),
        table::dur_ratio(wall(&base), raw_median),
        "",
    );
    if let Some(bin) = samod {
        progress("samod 0.16 fetching the same document over loopback TCP");
        let doc = dir.join("saved.automerge");
        std::fs::write(&doc, &saved)?;
        let fetched = samod_fetch(bin, &doc, runs)?;
        t.row(
            "`clone` against samod 0.16 fetching the same document (loopback TCP, same run)",
            table::time(wall(&ours)),
            table::time(fetched),
            table::dur_ratio(wall(&ours), fetched),
            "ahead of samod",
        );
    }
    Ok(())
}

/// The median fetch time the `samod-fetch` harness prints (its last stdout line is JSON).
fn samod_fetch(bin: &Path, doc: &Path, runs: usize) -> Result<std::time::Duration> {
    let out = std::process::Command::new(bin)
        .arg("--doc")
        .arg(doc)
        .args(["--runs", &runs.to_string()])
        .output()
        .with_context(|| format!("could not run {}", bin.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "samod-fetch failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap_or(""))
        .context("samod-fetch printed no JSON line")?;
    anyhow::ensure!(json["heads_equal"] == true, "samod-fetch: heads differ");
    let ms = json["median_ms"]
        .as_f64()
        .context("samod-fetch printed no median_ms")?;
    Ok(std::time::Duration::from_secs_f64(ms / 1000.0))
}

impl Pair {
    /// `runs` rounds of `f` on each binary, alternating which goes first.
    fn alternate(
        &self,
        runs: usize,
        mut f: impl FnMut(&Rapport) -> Result<Measured>,
    ) -> Result<(Vec<Measured>, Vec<Measured>)> {
        let (mut ours, mut base) = (Vec::new(), Vec::new());
        for i in 0..runs {
            if i % 2 == 0 {
                ours.push(f(&self.ours)?);
                base.push(f(&self.base)?);
            } else {
                base.push(f(&self.base)?);
                ours.push(f(&self.ours)?);
            }
        }
        Ok((ours, base))
    }

    /// The same, each binary on its own home (`homes[0]` ours, `homes[1]` the baseline's).
    fn alternate_on(
        &self,
        runs: usize,
        homes: &[PathBuf; 2],
        f: impl Fn(&Rapport, &Path) -> Result<Measured>,
    ) -> Result<(Vec<Measured>, Vec<Measured>)> {
        // One untimed run each first: a read that repairs a cache does it here, not in a figure.
        f(&self.ours, &homes[0])?;
        f(&self.base, &homes[1])?;
        let (mut ours, mut base) = (Vec::new(), Vec::new());
        for i in 0..runs {
            if i % 2 == 0 {
                ours.push(f(&self.ours, &homes[0])?);
                base.push(f(&self.base, &homes[1])?);
            } else {
                base.push(f(&self.base, &homes[1])?);
                ours.push(f(&self.ours, &homes[0])?);
            }
        }
        Ok((ours, base))
    }
}

fn row(t: &mut Table, what: &str, ours: &[Measured], base: &[Measured], target: &str) {
    let wall = |m: &[Measured]| table::median(&m.iter().map(|x| x.wall).collect::<Vec<_>>());
    let rss = |m: &[Measured]| m.iter().map(|x| x.max_rss_kib).max().unwrap_or(0);
    t.row(
        format!("{what}: wall"),
        table::time(wall(ours)),
        table::time(wall(base)),
        table::dur_ratio(wall(ours), wall(base)),
        target,
    );
    t.row(
        format!("{what}: peak RSS"),
        table::kib(rss(ours)),
        table::kib(rss(base)),
        table::ratio(rss(ours) as f64, rss(base) as f64),
        "",
    );
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn progress(what: &str) {
    eprintln!("rapport-bench ab: {what}…");
}
