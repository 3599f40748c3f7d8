//! `relate`: the relationship layer's read commands (issue #13) as a user runs them, cold
//! whole processes (spawn to exit, a new process each run, release build) on a prepared home:
//! `rapport due`, `rapport intro TARGET` and `rapport brief CONTACT`, each also with `--json`,
//! against `rapport list --json` measured in the same rounds. The commands take turns, one run
//! each per round, so a burst of load on this shared machine hits them all alike.
//!
//! The home holds the workload (its introductions graph included), a cadence on every tenth
//! contact and on three tags, and a follow-up on fifty contacts, so that `due` has a real list
//! to rank. The targets (≤ 50 ms at W1, ≤ 120 ms at W30) are for commands that read the
//! store's read view and never load the Automerge document.

use crate::local::commands::{self, Runs};
use crate::rapport_cli::Rapport;
use crate::serve::{device_id, now_ms};
use crate::table::{self, Table};
use crate::{proc::Stdout, w1, SuiteArgs, WorkloadName};
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::{InteractionId, InteractionKind, NewInteraction, Period, Vault};
use rapport_workload::Workload;
use std::path::Path;

/// Contacts with a cadence of their own: one in this many.
const CADENCE_EVERY: usize = 10;
const FOLLOW_UPS: usize = 50;
const TAG_CADENCES: [(&str, &str); 3] = [("friend", "30d"), ("investor", "90d"), ("mentor", "60d")];

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let rapport = Rapport::locate()?;
    let workload = args.workload();
    let mut tmp = tempfile::Builder::new()
        .prefix("rapport-bench-relate-")
        .tempdir()?;
    // RAPPORT_BENCH_KEEP=1 keeps the home for profiling by hand; its path is printed.
    if std::env::var_os("RAPPORT_BENCH_KEEP").is_some() {
        tmp.disable_cleanup(true);
        progress(&format!("keeping the home in {}", tmp.path().display()));
    }
    let home = tmp.path().join("home");
    progress(&format!("generating {} and writing it", workload.label()));
    let w = workload.generate(args.seed);
    let prepared = w1::prepare(&w, &mut StdRng::seed_from_u64(args.seed))?;
    let (target, hub) = (intro_target(&w), hub(&w));
    let (target_id, hub_id) = (
        prepared[target].id.to_string(),
        prepared[hub].id.to_string(),
    );
    rapport.run(&home, &["init", "--name", "bench"], Stdout::Discard)?;
    let device = device_id(&rapport, &home)?;
    let mut prepared = prepared;
    for c in prepared.iter_mut().step_by(CADENCE_EVERY) {
        c.patch.cadence = Some("90d".parse()?);
    }
    crate::serve::write(&home, device, &prepared, |vault| {
        relations(vault, &prepared)
    })?;
    drop(w);

    let commands: Vec<(String, Vec<String>)> = [
        ("list --json (baseline)", vec!["list", "--json"]),
        ("due", vec!["due"]),
        ("due --json", vec!["due", "--json"]),
        ("intro TARGET", vec!["intro", &target_id]),
        ("intro TARGET --json", vec!["intro", &target_id, "--json"]),
        ("brief CONTACT", vec!["brief", &hub_id]),
        ("brief CONTACT --json", vec!["brief", &hub_id, "--json"]),
    ]
    .into_iter()
    .map(|(name, a)| (name.to_owned(), a.into_iter().map(str::to_owned).collect()))
    .collect();
    let sizes = output_sizes(&rapport, &home, &commands)?;
    progress(&format!(
        "{} rounds of {} cold commands",
        args.runs,
        commands.len()
    ));
    let runs = rounds(&rapport, &home, &commands, args.runs as usize)?;
    Ok(report(args, workload, &commands, &runs, &sizes))
}

/// The cadences, tag cadences and follow-ups, each its own commit as a user would make them.
fn relations(vault: &mut Vault, prepared: &[w1::PreparedContact]) -> Result<()> {
    let now = now_ms();
    for (tag, every) in TAG_CADENCES {
        vault.set_tag_cadence(tag, Some(every.parse::<Period>()?), now)?;
    }
    let mut rng = StdRng::seed_from_u64(0xf0_11_0a);
    let step = (prepared.len() / FOLLOW_UPS).max(1);
    for (i, c) in prepared.iter().step_by(step).take(FOLLOW_UPS).enumerate() {
        let note = NewInteraction {
            contacts: vec![c.id],
            at: now,
            kind: InteractionKind::Note,
            text: format!("Send the deck and the notes from our call ({i})"),
            place: None,
        };
        // Half are overdue, half due within the next weeks.
        let days = i64::try_from(i % 60).unwrap_or(0) - 30;
        let due = chrono::Utc::now()
            .date_naive()
            .checked_add_signed(chrono::TimeDelta::days(days))
            .context("a follow-up date out of range")?;
        vault.add_note_with_follow_up(InteractionId::random(&mut rng), &note, due, now)?;
    }
    Ok(())
}

/// A late contact with an introducer and people met with it: the paths to it go through the
/// graph, not straight to it.
fn intro_target(w: &Workload) -> usize {
    let with = |i: usize| -> usize {
        w.contacts[i]
            .interactions
            .iter()
            .map(|x| x.with.len())
            .sum()
    };
    (0..w.contacts.len())
        .rev()
        .find(|i| w.contacts[*i].introduced_by.is_some() && with(*i) >= 2)
        .unwrap_or(w.contacts.len().saturating_sub(1))
}

/// The contact who introduced the most others: a brief with many people in common.
fn hub(w: &Workload) -> usize {
    let mut counts = vec![0usize; w.contacts.len()];
    for j in w.contacts.iter().filter_map(|c| c.introduced_by) {
        counts[j] += 1;
    }
    (0..counts.len()).max_by_key(|i| counts[*i]).unwrap_or(0)
}

/// Bytes each command prints (one run each, captured): what the cold runs render.
fn output_sizes(
    rapport: &Rapport,
    home: &Path,
    commands: &[(String, Vec<String>)],
) -> Result<Vec<usize>> {
    commands
        .iter()
        .map(|(_, a)| {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            Ok(rapport.run(home, &a, Stdout::Capture)?.stdout.len())
        })
        .collect()
}

/// `runs` rounds; in each, every command once, in order.
fn rounds(
    rapport: &Rapport,
    home: &Path,
    commands: &[(String, Vec<String>)],
    runs: usize,
) -> Result<Vec<Runs>> {
    let mut all: Vec<Runs> = commands
        .iter()
        .map(|_| Runs {
            walls: Vec::new(),
            max_rss_kib: 0,
        })
        .collect();
    for _ in 0..runs {
        for ((_, a), r) in commands.iter().zip(&mut all) {
            let one = commands::repeat(rapport, home, 1, |_| a.clone())?;
            r.walls.extend(one.walls);
            r.max_rss_kib = r.max_rss_kib.max(one.max_rss_kib);
        }
    }
    Ok(all)
}

fn report(
    args: &SuiteArgs,
    workload: WorkloadName,
    commands: &[(String, Vec<String>)],
    runs: &[Runs],
    sizes: &[usize],
) -> Table {
    let target = match workload {
        WorkloadName::W1 => "≤ 50 ms",
        WorkloadName::W30 => "≤ 120 ms",
    };
    let mut t = Table::new(format!(
        "rapport-bench relate — {} ({} runs each, cold whole processes, median (p90))",
        workload.label(),
        args.runs
    ));
    let base = runs[0].median();
    for (i, ((name, _), r)) in commands.iter().zip(runs).enumerate() {
        t.row(
            format!("`rapport {name}`"),
            format!("{} ({})", table::time(r.median()), table::time(r.p90())),
            format!("{} (`list --json`)", table::time(base)),
            table::dur_ratio(r.median(), base),
            if i == 0 { "—" } else { target },
        );
    }
    t.note(
        commands
            .iter()
            .zip(runs)
            .zip(sizes)
            .map(|(((name, _), r), size)| {
                format!(
                    "`{name}` printed {} and peaked at {}",
                    table::bytes(*size as u64),
                    table::kib(r.max_rss_kib)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    );
    t.note(format!(
        "Home: {} contacts, a cadence of 90d on one in {CADENCE_EVERY}, tag cadences {}, \
         {FOLLOW_UPS} follow-ups (due from 30 days ago to 30 days ahead). TARGET is the last \
         contact with an introducer and people met with them; CONTACT the one who introduced \
         the most others.",
        table::count(workload.contacts() as u64),
        TAG_CADENCES
            .iter()
            .map(|(t, p)| format!("{t} {p}"))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    t
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}
