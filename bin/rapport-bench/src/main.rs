//! `rapport-bench`: Rapport's benchmarks. Every figure is printed next to a baseline measured in
//! the same run, because the machine is noisy and only ratios hold from one run to the next.
//!
//! ```text
//! cargo run --release -p rapport-bench -- local [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- sync  [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- pair  [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- history [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- conflicts [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- formats [--seed 42] [--runs 3] [--out DIR]
//! cargo run --release -p rapport-bench -- daemon  [--seed 42] [--out DIR] [--baseline-bin PATH]
//! cargo run --release -p rapport-bench -- relate  [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- scale   [--seed 42] [--runs 7] [--out DIR]
//! cargo run --release -p rapport-bench -- ab      [--workload w30] [--baseline-bin PATH]
//! cargo run --release -p rapport-bench -- web     [--seed 42] [--runs 7] [--out DIR]
//! ```
//!
//! Every suite takes `--workload w1|w30` (default w1): W30 is 30,000 contacts × 10
//! interactions, the most connections LinkedIn allows.
//!
//! `pair` runs the real binary on loopback: `join` to a 1k-contact vault against `clone` with
//! trust set up beforehand, the pairing handshake, and a revocation reaching a third device.
//! `history` measures `log CONTACT`, `show --at`, `revert` and `undo` on W1 plus 10 rounds of
//! edits from 3 devices, as cold processes and through a running daemon (see `history`).
//!
//! `local` measures, on workload W1 (10,000 contacts × 10 interactions): the import into a fresh
//! vault with its durable commit, against raw Automerge written field by field; the load of the
//! document; cold `rapport list`, `rapport search` and `rapport note` processes; the bytes on
//! disk; and peak memory. It runs the release `rapport` binary found next to this one (and
//! builds it with cargo if it is missing), in a temporary home that it deletes afterwards. It
//! takes about two minutes on two cores.
//!
//! `sync` runs the library crates in-process over QUIC on 127.0.0.1 (real `rapport_net::Node`s
//! and `run_session`, an in-memory `Replica`), each figure against Automerge's own sync between
//! the same documents in memory: a fresh device fetching W1, 2 and 5 devices converging after
//! 1,000 offline edits each (W3), one new note over live sessions (W1 and a 1k-contact vault,
//! with and without a durable store commit), a reconnect with nothing new, and a daemon's
//! memory over 1,000 local commits with the variants that explain it (each in a process of its
//! own). It takes about three minutes on two cores.
//!
//! This is **not part of CI**: it takes minutes, and its absolute figures depend on the machine
//! and its load. Run it by hand in release mode and compare the ratios, not the milliseconds.
//!
//! Adding a suite: write a module with
//! `pub fn run(&SuiteArgs) -> anyhow::Result<Table>`, reusing `proc` (child processes and peak
//! RSS), `rapport_cli` (the binary), `w1` and `baseline`; add a variant to `Command` and one
//! line to `main`.

mod ab;
mod baseline;
mod conflicts;
mod daemon;
mod formats;
mod history;
mod local;
mod pair;
mod proc;
mod rapport_cli;
mod relate;
mod serve;
mod sync;
mod table;
mod w1;
mod wan;
mod web;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use table::Table;

/// Rapport benchmarks: Markdown tables of figures, each with a baseline from the same run.
#[derive(Debug, Parser)]
#[command(name = "rapport-bench", max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import, load, list, search, note, disk and memory on workload W1, on this machine.
    Local(SuiteArgs),
    /// Fresh clone, offline edits, live note, reconnect and daemon memory, over QUIC on
    /// loopback, each against Automerge's own sync in memory.
    Sync(SuiteArgs),
    /// `join` to a 1k-contact vault vs `clone`, the pairing handshake, and how fast a
    /// revocation reaches a third device, with the real binary on loopback.
    Pair(SuiteArgs),
    /// `log`, `show --at`, `revert` and `undo` on W1 plus 10 rounds of edits from 3 devices,
    /// cold and through a daemon, each against a plain `show` (or `note`) of the same run.
    History(SuiteArgs),
    /// `rapport conflicts` and `show` with provenance on W1 after 10 rounds of edits from 3
    /// devices, against `list` of the whole vault.
    Conflicts(SuiteArgs),
    /// Import a 10,000-row LinkedIn export and 10,000 vCards, export W1 to vCard: time and
    /// peak memory, against raw parses and `save()` of the same input.
    Formats(SuiteArgs),
    /// The real daemon's memory over 1,000 local commits, on a device that was filled by sync
    /// and then merged concurrent edits (issue #3's regression benchmark).
    Daemon(daemon::DaemonArgs),
    /// The local suite at W1 and at W30, and the W30/W1 ratio of every figure (issue #15).
    Scale(SuiteArgs),
    /// `due`, `intro` and `brief` as cold whole processes, with and without --json, against
    /// `list --json` in the same rounds (issue #13's speed targets).
    Relate(SuiteArgs),
    /// The web app in headless Chromium on 10k and 30k contacts: first paint, page weight,
    /// search and card server times (against a cold `rapport search`), memory over 1,000
    /// actions. Needs /usr/bin/chromium and `npm ci` in tests/browser.
    Web(SuiteArgs),
    /// Import, cold reads, a daemonless note, tag and edit, and `clone` as whole processes,
    /// this build against `--baseline-bin` run by run, and `clone` against raw Automerge sync
    /// (issue #15).
    Ab(ab::AbArgs),
    /// A fresh device fetching W1 with `clone` over iroh and through a relay, against the LAN,
    /// and a live note through the relay against the LAN, with the real binary and a loopback
    /// relay (issue #14's figures).
    Wan(SuiteArgs),
    /// Internal: one baseline of the formats suite, in a fresh process.
    #[command(name = formats::BASELINE_SUBCOMMAND, hide = true)]
    FormatsBaseline(formats::BaselineArgs),
    /// Internal: how every suite measures a child process (see `proc`).
    #[command(name = proc::MEASURE_SUBCOMMAND, hide = true)]
    Measure(proc::MeasureArgs),
    /// Internal: one variant of the sync suite's memory measure, in a fresh process.
    #[command(name = sync::memory::SUBCOMMAND, hide = true)]
    SyncMemory(sync::memory::MemoryArgs),
}

/// Options every suite takes.
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Seed of the workload (and of the ids and words the suite picks).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Runs of each repeated measure; medians and p90s are over these.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Also write the table to DIR/<suite>.md.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The address book the suite works on: w1 (10,000 contacts) or w30 (30,000); each with
    /// 10 interactions per contact and about 3 introductions per contact. Default: w1 (the
    /// `pair` suite's 1,000-contact vault unless given).
    #[arg(long, value_enum, value_name = "NAME")]
    pub workload: Option<WorkloadName>,
}

impl SuiteArgs {
    /// The workload asked for, W1 by default.
    pub fn workload(&self) -> WorkloadName {
        self.workload.unwrap_or(WorkloadName::W1)
    }
}

/// The named workloads of `rapport-workload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkloadName {
    W1,
    W30,
}

impl WorkloadName {
    pub fn generate(self, seed: u64) -> rapport_workload::Workload {
        match self {
            WorkloadName::W1 => rapport_workload::w1(seed),
            WorkloadName::W30 => rapport_workload::w30(seed),
        }
    }

    pub fn contacts(self) -> usize {
        match self {
            WorkloadName::W1 => 10_000,
            WorkloadName::W30 => 30_000,
        }
    }

    /// "W1" or "W30", for tables.
    pub fn label(self) -> &'static str {
        match self {
            WorkloadName::W1 => "W1",
            WorkloadName::W30 => "W30",
        }
    }
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Measure(m) => proc::measure_main(&m),
        Command::Local(args) => report("local", &args, local::run),
        Command::Sync(args) => report("sync", &args, sync::run),
        Command::Pair(args) => report("pair", &args, pair::run),
        Command::Wan(args) => report("wan", &args, wan::run),
        Command::History(args) => report("history", &args, history::run),
        Command::Conflicts(args) => report("conflicts", &args, conflicts::run),
        Command::SyncMemory(m) => sync::memory::child_main(&m),
        Command::Formats(args) => report("formats", &args, formats::run),
        Command::Web(args) => report("web", &args, web::run),
        Command::Daemon(args) => report("daemon", &args.suite, |_| daemon::run(&args)),
        Command::Relate(args) => report("relate", &args, relate::run),
        Command::Ab(args) => report("ab", &args.suite, |_| ab::run(&args)),
        Command::Scale(args) => report("scale", &args, local::scale::run),
        Command::FormatsBaseline(b) => formats::baseline_main(&b),
    }
}

/// The first line of /proc/loadavg (the machine is shared: figures are read with its load).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Runs a suite, prints its table, and writes it to `--out DIR/<name>.md` if asked.
fn report(
    name: &str,
    args: &SuiteArgs,
    suite: impl FnOnce(&SuiteArgs) -> Result<Table>,
) -> Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; run with --release for meaningful figures");
    }
    let mut table = suite(args)?;
    if (name == "pair" || name == "web" || name == "scale") && args.workload.is_none() {
        table.note(format!("Load when the suite ended: {}.", load_average()));
    } else {
        table.note(format!(
            "Workload {} ({} contacts × 10 interactions, about 3 introductions each; seed {}); \
         rows that name W1 mean this workload. Load when the suite ended: {}.",
            args.workload().label(),
            table::count(args.workload().contacts() as u64),
            args.seed,
            load_average()
        ));
    }
    let markdown = table.to_markdown();
    print!("{markdown}");
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let path = dir.join(format!("{name}.md"));
        std::fs::write(&path, &markdown)
            .with_context(|| format!("could not write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
