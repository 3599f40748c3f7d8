//! `scale` (issue #15): the `local` suite at W1 and at W30, one after the other, and the W30/W1
//! ratio of every figure. Cost must grow linearly: W30 is 3× W1, so every ratio should be at
//! most 3.3×. The fresh device (`clone`) is the `sync` suite's (run it with `--workload w30`).

use super::{measure, Figures};
use crate::table::{self, Table};
use crate::{SuiteArgs, WorkloadName};
use anyhow::Result;

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let at = |w: WorkloadName| SuiteArgs {
        seed: args.seed,
        runs: args.runs,
        out: None,
        workload: Some(w),
    };
    super::progress("scale: the local suite at W1");
    let w1 = measure(&at(WorkloadName::W1))?;
    super::progress("scale: the local suite at W30");
    let w30 = measure(&at(WorkloadName::W30))?;
    Ok(table(args, &w1, &w30))
}

/// One figure: its name, how to show it, and its value at a workload.
type Figure = (&'static str, fn(f64) -> String, fn(&Figures) -> f64);

fn ms(v: f64) -> String {
    table::time(std::time::Duration::from_secs_f64(v / 1e3))
}

fn kib(v: f64) -> String {
    table::kib(v as u64)
}

fn bytes(v: f64) -> String {
    table::bytes(v as u64)
}

const FIGURES: [Figure; 12] = [
    ("Import (batch + durable commit + close)", ms, |f| {
        f.imp.total().as_secs_f64() * 1e3
    }),
    ("`AutoCommit::load` of the vault (median)", ms, |f| {
        table::median(&f.load).as_secs_f64() * 1e3
    }),
    ("Cold `rapport device --json` (median)", ms, |f| {
        f.device_runs.median().as_secs_f64() * 1e3
    }),
    ("Cold `rapport list --json` (median)", ms, |f| {
        f.list.median().as_secs_f64() * 1e3
    }),
    ("Cold `rapport search WORD` (median)", ms, |f| {
        f.search.median().as_secs_f64() * 1e3
    }),
    ("Durable `rapport note`, no daemon (median)", ms, |f| {
        f.note.median().as_secs_f64() * 1e3
    }),
    ("`rapport check`", ms, |f| f.check.wall.as_secs_f64() * 1e3),
    ("Disk after the import", bytes, |f| {
        f.disk_import.total as f64
    }),
    ("`save()` size", bytes, |f| f.prof.saved.len() as f64),
    ("Peak RSS: `rapport list`", kib, |f| {
        f.list.max_rss_kib as f64
    }),
    ("Peak RSS: `rapport search`", kib, |f| {
        f.search.max_rss_kib as f64
    }),
    ("Peak RSS: `rapport note`", kib, |f| {
        f.note.max_rss_kib as f64
    }),
];

fn table(args: &SuiteArgs, w1: &Figures, w30: &Figures) -> Table {
    let mut t = Table::new(format!(
        "rapport-bench scale — W30 ÷ W1 of the local suite (seed {}, {} runs, medians)",
        args.seed, args.runs
    ));
    let mut over = Vec::new();
    for (name, show, value) in FIGURES {
        let (a, b) = (value(w1), value(w30));
        let r = table::ratio(b, a);
        if r.is_some_and(|r| r > 3.3) {
            over.push(name);
        }
        t.row(name, show(b), format!("{} (W1)", show(a)), r, "≤ 3.3×");
    }
    t.note(format!(
        "\"ours\" is W30 ({} contacts, {} interactions), the baseline W1 ({} contacts, {} \
         interactions), measured one after the other in this run.",
        table::count(w30.contacts as u64),
        table::count(w30.interactions as u64),
        table::count(w1.contacts as u64),
        table::count(w1.interactions as u64),
    ));
    if !over.is_empty() {
        t.note(format!("Over 3.3×: {}.", over.join("; ")));
    }
    t
}
