//! The `formats` suite: the real `rapport` binary importing a 10,000-row LinkedIn export and
//! 10,000 vCards into a fresh vault (each including its durable commit), and exporting W1 to
//! vCard; wall time and peak RSS of each process. Baselines, measured the same way (a child
//! process, through the measurer) on the same input: the raw `csv` parse of the file, the raw
//! `calcard` parse of the file, and load + `save()` of the W1 vault.

use crate::proc::{self, Measured, Stdout};
use crate::rapport_cli::Rapport;
use crate::table::{self, Table};
use crate::{w1, SuiteArgs};
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::DeviceId;
use rapport_store::Store;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The hidden subcommand that runs one baseline in a child process.
pub const BASELINE_SUBCOMMAND: &str = "__formats-baseline";

/// `__formats-baseline csv|vcard|save PATH`.
#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    kind: String,
    path: PathBuf,
}

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let runs = (args.runs as usize).clamp(1, 5);
    let rapport = Rapport::locate()?;
    let tmp = tempfile::Builder::new()
        .prefix("rapport-bench-formats-")
        .tempdir()?;
    progress("generating W1 and its LinkedIn export");
    let w = args.workload().generate(args.seed);
    let csv_path = tmp.path().join("Connections.csv");
    std::fs::write(&csv_path, rapport_workload::linkedin_csv(&w))?;
    let rows = w.contacts.len();

    let fresh = |n: usize| -> Result<PathBuf> {
        let home = tmp.path().join(format!("home-{n}"));
        rapport.run(&home, &["init", "--name", "bench"], Stdout::Discard)?;
        Ok(home)
    };
    let mut n = 0;
    let mut import = |kind: &str, file: &Path| -> Result<(Vec<Measured>, PathBuf)> {
        let mut all = Vec::new();
        let mut last = PathBuf::new();
        for _ in 0..runs {
            n += 1;
            let home = fresh(n)?;
            let file = file.to_string_lossy().into_owned();
            all.push(rapport.run(&home, &["import", kind, &file], Stdout::Capture)?);
            last = home;
        }
        Ok((all, last))
    };

    progress("importing the LinkedIn export into fresh vaults");
    let (linkedin, home) = import("linkedin", &csv_path)?;
    let summary = |m: &[Measured]| {
        m.last()
            .map(|m| String::from_utf8_lossy(&m.stdout).into_owned())
            .unwrap_or_default()
    };
    let linkedin_summary = summary(&linkedin);
    let contacts = count_contacts(&rapport, &home)?;
    if contacts + 10 < rows {
        bail!("the LinkedIn import made {contacts} contacts from {rows} rows: {linkedin_summary}");
    }
    let csv_base = baseline(runs, "csv", &csv_path)?;

    progress("exporting those contacts to vCard, and importing the vCards into fresh vaults");
    let vcf_path = tmp.path().join("contacts.vcf");
    let vcf = vcf_path.to_string_lossy().into_owned();
    rapport.run(&home, &["export", "vcard", "--out", &vcf], Stdout::Discard)?;
    let (vcards, home) = import("vcard", &vcf_path)?;
    let imported = contacts;
    let contacts = count_contacts(&rapport, &home)?;
    if contacts != imported {
        bail!(
            "the vCard import made {contacts} contacts from {imported} cards: {}",
            summary(&vcards)
        );
    }
    let vcard_base = baseline(runs, "vcard", &vcf_path)?;

    progress("writing W1 into a vault (one batch, one durable commit)");
    let w1_home = fresh(0)?;
    write_w1(&rapport, &w1_home, &w, args.seed)?;
    drop(w);
    progress("exporting W1 to vCard");
    let out = tmp.path().join("w1.vcf");
    let out_arg = out.to_string_lossy().into_owned();
    let mut export = Vec::new();
    for _ in 0..runs {
        export.push(rapport.run(
            &w1_home,
            &["export", "vcard", "--out", &out_arg],
            Stdout::Discard,
        )?);
    }
    let export_bytes = std::fs::metadata(&out)?.len();
    let save_base = baseline(runs, "save", &w1_home.join("store"))?;

    let mut t = Table::new(format!(
        "formats: import and export ({rows} LinkedIn rows; median of {runs} runs; seed {})",
        args.seed
    ));
    let csv_bytes = std::fs::metadata(&csv_path)?.len();
    let vcf_bytes = std::fs::metadata(&vcf_path)?.len();
    add_rows(
        &mut t,
        &format!(
            "`import linkedin`, {rows} rows ({}), fresh vault, durable",
            table::bytes(csv_bytes)
        ),
        &linkedin,
        "raw `csv` parse of the file",
        &csv_base,
        "≤ 3 s",
    );
    add_rows(
        &mut t,
        &format!(
            "`import vcard`, {imported} cards ({}), fresh vault, durable",
            table::bytes(vcf_bytes)
        ),
        &vcards,
        "raw `calcard` parse of the file",
        &vcard_base,
        "",
    );
    add_rows(
        &mut t,
        &format!("`export vcard` of W1 ({})", table::bytes(export_bytes)),
        &export,
        "load + `save()` of the same vault",
        &save_base,
        "",
    );
    if let Some(first) = linkedin_summary.lines().next() {
        t.note(format!("LinkedIn import summary: {first}"));
    }
    for line in linkedin_summary
        .lines()
        .filter(|l| l.starts_with("  skipped "))
        .take(3)
    {
        t.note(format!("LinkedIn import: {}", line.trim()));
    }
    t.note("Every figure is one process (the `rapport` binary, or a baseline child of this bench), timed from spawn to exit; RSS is the process's peak (`wait4`).");
    t.note("An import parses and checks the whole file first, then writes one Automerge commit, then commits durably (sled + fsync) and updates the read view.");
    t.note(format!(
        "Import limits: {} MiB and {} records per import.",
        rapport_formats::Limits::default().max_bytes >> 20,
        rapport_formats::Limits::default().max_records
    ));
    Ok(t)
}

fn add_rows(
    t: &mut Table,
    what: &str,
    ours: &[Measured],
    base_what: &str,
    base: &[Measured],
    target: &str,
) {
    let wall = |m: &[Measured]| table::median(&m.iter().map(|x| x.wall).collect::<Vec<Duration>>());
    let rss = |m: &[Measured]| m.iter().map(|x| x.max_rss_kib).max().unwrap_or(0);
    t.row(
        format!("{what}: wall (baseline: {base_what})"),
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

fn baseline(runs: usize, kind: &str, path: &Path) -> Result<Vec<Measured>> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg(BASELINE_SUBCOMMAND).arg(kind).arg(path);
    (0..runs)
        .map(|_| proc::measure(&cmd, Stdout::Discard))
        .collect()
}

/// One baseline, in this (child) process.
pub fn baseline_main(args: &BaselineArgs) -> Result<()> {
    match args.kind.as_str() {
        "csv" => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_path(&args.path)?;
            let mut rows = Vec::new();
            for r in reader.records() {
                rows.push(r?);
            }
            println!("{}", rows.len());
        }
        "vcard" => {
            let text = std::fs::read_to_string(&args.path)?;
            let mut parser = calcard::Parser::new(&text);
            let mut cards = Vec::new();
            loop {
                match parser.entry() {
                    calcard::Entry::VCard(c) => cards.push(c),
                    calcard::Entry::Eof => break,
                    _ => {}
                }
            }
            println!("{}", cards.len());
        }
        "save" => {
            let store = Store::open(&args.path)?;
            let device = DeviceId::from_bytes([0; 32]);
            let mut vault = store.load_vault(device)?;
            let bytes = vault.doc_mut().save();
            println!("{}", bytes.len());
            store.close()?;
        }
        other => bail!("unknown baseline {other}"),
    }
    Ok(())
}

/// W1 into the home's vault as the local suite does it: one batch, one durable commit.
fn write_w1(
    rapport: &Rapport,
    home: &Path,
    w: &rapport_workload::Workload,
    seed: u64,
) -> Result<()> {
    let json = rapport.json(home, &["device", "--json"])?;
    let device: DeviceId = json
        .get("id")
        .and_then(|v| v.as_str())
        .context("`rapport device --json` printed no id")?
        .parse()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_millis()
        .try_into()?;
    let prepared = w1::prepare(w, &mut StdRng::seed_from_u64(seed))?;
    let store = Store::open(&home.join("store"))?;
    let mut vault = store.load_vault(device)?;
    w1::write_batch(&mut vault, &prepared, now)?;
    let touched = vault.take_touched();
    store.commit(&mut vault, &touched)?;
    store.close()?;
    Ok(())
}

fn count_contacts(rapport: &Rapport, home: &Path) -> Result<usize> {
    let list = rapport.json(home, &["list", "--json"])?;
    Ok(list.as_array().map_or(0, Vec::len))
}

fn progress(what: &str) {
    eprintln!("rapport-bench: {what}…");
}
