//! The `web` suite (issue #12): the web app of a real `rapport serve`, measured in Debian's
//! headless Chromium by tests/browser/bench-web.mjs, on W1 and W30 (10,000 and 30,000 contacts
//! × 10 interactions; one of them with `--workload`), plus one contact with 100 interactions:
//! - the contacts page's first contentful paint (a fresh tab, cache off) and its weight;
//! - the server time of a search-as-you-type request, against a cold `rapport search` of the
//!   same vault in the same run (what the CLI user waits for the same answer);
//! - the card with 100 interactions;
//! - the daemon's RSS over 1,000 actions (a note through the card's form, then a search).
//!
//! It needs Node, /usr/bin/chromium and `npm ci` in tests/browser, as the browser test does.

use crate::local::commands;
use crate::proc::Stdout;
use crate::rapport_cli::Rapport;
use crate::serve::{device_id, fill, output, write, Daemon};
use crate::table::{self, Table};
use crate::{w1, SuiteArgs, WorkloadName};
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The figure is over 1,000 actions; `RAPPORT_BENCH_WEB_ACTIONS` takes fewer for a
/// quick run (each action is a durable commit, and at W30 a second or more).
const ACTIONS: usize = 1_000;

fn actions() -> usize {
    std::env::var("RAPPORT_BENCH_WEB_ACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ACTIONS)
}

/// What bench-web.mjs prints.
#[derive(Debug, Deserialize)]
struct Measured {
    first_paint_ms: Vec<f64>,
    load_ms: Vec<f64>,
    search_ms: Vec<f64>,
    card_ms: Vec<f64>,
    rss_kib: Vec<u64>,
    page_bytes: Option<u64>,
    js_bytes: Option<u64>,
}

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let rapport = Rapport::locate()?;
    let script = browser_dir()?.join("bench-web.mjs");
    let mut t = Table::new("web app in headless Chromium (issue #12)");
    // Both sizes unless `--workload` names one: the targets differ between them.
    let workloads = match args.workload {
        Some(w) => vec![w],
        None => vec![WorkloadName::W1, WorkloadName::W30],
    };
    for workload in workloads {
        let contacts = workload.contacts();
        let label = workload.label();
        let tmp = tempfile::Builder::new()
            .prefix("rapport-bench-web-")
            .tempdir()?;
        let home = tmp.path().join("home");
        eprintln!("web {label}: filling the vault");
        rapport.run(&home, &["init", "--name", "bench"], Stdout::Discard)?;
        let device = device_id(&rapport, &home)?;
        fill(&home, device, args.seed, contacts)?;
        let card = hundred_interactions(&home, device, args.seed)?;
        let w = rapport_workload::generate(args.seed, contacts, 10);
        let words = prefixes(&w, 5);

        eprintln!("web {label}: cold `rapport search` (the baseline)");
        let (word, _) = commands::search_word(&w, &mut StdRng::seed_from_u64(args.seed))?;
        let search_cli = commands::repeat(&rapport, &home, args.runs as usize, |_| {
            vec!["search".into(), word.clone()]
        })?;

        eprintln!("web {label}: `rapport note` 100 ms after `serve` starts");
        let (note_wall, ready) =
            note_as_the_daemon_starts(&rapport, &home, &card, &tmp.path().join("start.log"))?;
        t.row(
            format!("{label}: `note` sent 100 ms after `serve` starts (whole process)"),
            table::time(note_wall),
            format!("the daemon's start to its address {}", table::time(ready)),
            table::dur_ratio(note_wall, ready),
            "exit 0 (issue #15)",
        );

        eprintln!("web {label}: the daemon and the browser");
        let serve_log = tmp.path().join("serve.log");
        let (daemon, ui) = Daemon::start_with_ui(&rapport, &home, &serve_log, &[heap_log()])?;
        let signin = output(rapport.command(&home, &["ui", "--no-open"]))?;
        let config = serde_json::json!({
            "signin": signin.trim(),
            "base": format!("http://{ui}"),
            "words": words,
            "card": format!("/contacts/{card}"),
            "pid": daemon.pid(),
            "runs": args.runs,
            "actions": actions(),
        });
        let m = browser(&script, &config)?;
        drop(daemon);
        rows(&mut t, label, &m, &search_cli.walls);
        heap_rows(&mut t, label, &heap_samples(&serve_log)?);
        // Print as it goes: a W30 run takes long, and W1's figures are worth having first.
        eprint!("{}", t.to_markdown());
    }
    t.note(format!(
        "Search: the server time of `/contacts?q=PREFIX&partial=1` as the page's script \
         fetches it (5 name prefixes × {} runs), against a whole cold `rapport search WORD` \
         process on the same vault. First paint: first-contentful-paint of /contacts in a \
         fresh tab with the cache off, after sign-in. Memory: the daemon's VmRSS before and \
         after {} actions (a note through the card's form and a search each).",
        args.runs,
        actions()
    ));
    Ok(t)
}

fn rows(t: &mut Table, label: &str, m: &Measured, search_cli: &[Duration]) {
    let ms = |v: &[f64]| -> Option<Duration> {
        let d: Vec<Duration> = v
            .iter()
            .map(|x| Duration::from_secs_f64(x / 1000.0))
            .collect();
        (!d.is_empty()).then(|| table::median(&d))
    };
    let show = |d: Option<Duration>| d.map_or_else(|| "not reported".to_owned(), table::time);
    let cli = table::median(search_cli);
    let search = ms(&m.search_ms);
    let (search_target, paint_target) = if label == "W1" {
        ("≤ 20 ms", "—")
    } else {
        ("≤ 40 ms", "≤ 300 ms")
    };
    t.row(
        format!("{label}: search as you type, server time (median)"),
        show(search),
        format!("`rapport search` cold {}", table::time(cli)),
        search.and_then(|s| table::dur_ratio(s, cli)),
        search_target,
    );
    t.row(
        format!("{label}: contacts page, first contentful paint (median)"),
        show(ms(&m.first_paint_ms)),
        format!("load event {}", show(ms(&m.load_ms))),
        None,
        paint_target,
    );
    t.row(
        format!("{label}: card with 100 interactions (median)"),
        show(ms(&m.card_ms)),
        "—",
        None,
        "≤ 50 ms",
    );
    t.row(
        format!("{label}: contacts page weight / its JavaScript"),
        format!(
            "{} / {}",
            m.page_bytes.map_or("?".into(), table::bytes),
            m.js_bytes.map_or("?".into(), table::bytes)
        ),
        "—",
        None,
        "≤ 150 KB / ≤ 50 KB",
    );
    let (first, last) = (
        m.rss_kib.first().copied().unwrap_or(0),
        m.rss_kib.last().copied().unwrap_or(0),
    );
    let peak = m.rss_kib.iter().copied().max().unwrap_or(0);
    let series: Vec<String> = m.rss_kib.iter().map(|&k| format!("{}", k / 1024)).collect();
    t.note(format!(
        "{label}: the daemon's RSS in MiB, at the start and after every 100 actions: {}.",
        series.join(", ")
    ));
    t.row(
        format!("{label}: daemon RSS after {} actions (peak)", actions()),
        format!("{} ({})", table::kib(last), table::kib(peak)),
        format!("at the start {}", table::kib(first)),
        table::ratio(last as f64, first as f64),
        "≤ 1.2×",
    );
}

/// The daemon's log filter with its heap figures on (see `rapport`'s `alloc::HEAP_TARGET`):
/// after each periodic trim (every 5 s) it logs what the heap holds.
fn heap_log() -> (&'static str, String) {
    (
        "RUST_LOG",
        "off,rapport=info,rapport_node=info,rapport_net=info,rapport::heap=debug".to_owned(),
    )
}

/// One heap figure the daemon logged: bytes in use, and bytes free inside the heap.
#[derive(Debug, Clone, Copy)]
struct HeapSample {
    in_use: u64,
    free_in_heap: u64,
}

/// The daemon's heap figures, in the order it logged them (none on a platform whose
/// allocator does not report them).
fn heap_samples(log: &Path) -> Result<Vec<HeapSample>> {
    let text = std::fs::read_to_string(log)
        .with_context(|| format!("could not read the daemon's log {}", log.display()))?;
    let field = |line: &str, name: &str| -> Option<u64> {
        let at = line.find(&format!(" {name}="))? + name.len() + 2;
        let digits: String = line[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    Ok(text
        .lines()
        .filter(|l| l.contains("heap after trim"))
        .filter_map(|l| {
            Some(HeapSample {
                in_use: field(l, "in_use")?,
                free_in_heap: field(l, "free_in_heap")?,
            })
        })
        .collect())
}

/// Memory in use against the RSS: RSS that grows while the bytes in use stay flat is memory
/// the allocator holds (fragmentation), not a leak.
fn heap_rows(t: &mut Table, label: &str, samples: &[HeapSample]) {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        t.note(format!("{label}: the daemon logged no heap figures."));
        return;
    };
    let peak = samples.iter().map(|s| s.in_use).max().unwrap_or(0);
    t.row(
        format!("{label}: daemon heap in use, last sample (peak)"),
        format!("{} ({})", table::bytes(last.in_use), table::bytes(peak)),
        format!("first sample {}", table::bytes(first.in_use)),
        table::ratio(last.in_use as f64, first.in_use as f64),
        "flat",
    );
    let step = samples.len().div_ceil(12).max(1);
    let series: Vec<String> = samples
        .iter()
        .step_by(step)
        .map(|s| format!("{}/{}", s.in_use >> 20, s.free_in_heap >> 20))
        .collect();
    t.note(format!(
        "{label}: the daemon's heap at one trim in {} (a trim every 5 s unless \
         RAPPORT_MALLOC_TRIM_SECS says otherwise; MiB in use / MiB free inside the heap): {}.",
        step,
        series.join(", ")
    ));
}

/// Issue #15: a command sent while the daemon still loads the vault waits for it and runs
/// (it used to fail with "in use" when the load took over 2 s). Returns the command's whole
/// process time (it fails the bench if the command fails) and the daemon's time to announce
/// its address. The daemon is then killed: the note was acknowledged, so it is durable.
fn note_as_the_daemon_starts(
    rapport: &Rapport,
    home: &Path,
    card: &str,
    log: &Path,
) -> Result<(Duration, Duration)> {
    use std::io::BufRead;
    let start = Instant::now();
    let mut serve = rapport
        .command(
            home,
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-discovery",
                "--no-ui",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log)?)
        .spawn()?;
    let stdout = serve.stdout.take().context("piped stdout")?;
    let ready = std::thread::spawn(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(100));
    let note = rapport.run(
        home,
        &["note", card, "sent as the daemon started"],
        Stdout::Discard,
    );
    let ready = ready
        .join()
        .map_err(|_| anyhow::anyhow!("the reader of serve's output panicked"))?;
    let _ = serve.kill();
    let _ = serve.wait();
    Ok((note?.wall, ready?))
}

/// Adds one contact with 100 interactions (in-process, before the daemon starts); its id.
fn hundred_interactions(home: &Path, device: rapport_model::DeviceId, seed: u64) -> Result<String> {
    let w = rapport_workload::generate(seed ^ 0x100, 1, 100);
    let prepared = w1::prepare(&w, &mut StdRng::seed_from_u64(seed ^ 0x100))?;
    write(home, device, &prepared, |_| Ok(()))?;
    let id = prepared.first().context("the workload has one contact")?.id;
    Ok(id.to_string())
}

/// The first `n` distinct 4-letter prefixes of last names: what a person types before the
/// list narrows down.
fn prefixes(w: &rapport_workload::Workload, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let stride = (w.contacts.len() / (n * 20)).max(1);
    for c in w.contacts.iter().step_by(stride) {
        let last = c.name.rsplit(' ').next().unwrap_or(&c.name).to_lowercase();
        let prefix: String = last.chars().take(4).collect();
        if prefix.chars().count() == 4 && !out.contains(&prefix) {
            out.push(prefix);
        }
        if out.len() == n {
            break;
        }
    }
    out
}

fn browser_dir() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    if !Path::new("/usr/bin/chromium").exists() {
        bail!("/usr/bin/chromium is missing: install it (`apt-get install chromium`) first");
    }
    if !dir.join("node_modules/playwright-core").exists() {
        bail!(
            "playwright-core is missing: run `npm ci` in {} first",
            dir.display()
        );
    }
    Ok(dir)
}

fn browser(script: &Path, config: &serde_json::Value) -> Result<Measured> {
    let out = Command::new("node")
        .arg(script)
        .env("RAPPORT_WEB_BENCH", config.to_string())
        .stdin(Stdio::null())
        .output()
        .context("could not run node")?;
    if !out.status.success() {
        bail!(
            "the browser run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("bench-web.mjs printed {last:?}"))
}
