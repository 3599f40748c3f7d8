//! `wan`: sync beyond the LAN (issue #14), with the real `rapport` processes on loopback and a
//! relay this suite runs (the same server code as `iroh-relay`, plain HTTP on 127.0.0.1).
//!
//! - A fresh device fetching the vault as a whole `rapport clone` process: over quinn on the
//!   LAN (the baseline), over iroh (`--endpoint --relay`; on loopback iroh finds the direct
//!   path) and with every packet through the relay (`--relay-only`). The three alternate run
//!   by run, so drift on a noisy machine hits them alike.
//! - A live note between two running daemons through the relay (`RAPPORT_RELAY_ONLY=1` on the
//!   receiving daemon) against the same between two daemons on the LAN: from `rapport note` on
//!   one until `rapport show` on the other lists it, both polled the same way.

use crate::rapport_cli::Rapport;
use crate::serve::{device_id, fill, output, Daemon};
use crate::table::{self, Table};
use crate::SuiteArgs;
use anyhow::{bail, Context, Result};
use rapport_net::test_relay::TestRelay;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(args: &SuiteArgs) -> Result<Table> {
    let rapport = Rapport::locate()?;
    let contacts = args.workload.map_or(10_000, crate::WorkloadName::contacts);
    let relay = TestRelay::start().context("starting the loopback relay")?;
    let tmp = tempfile::tempdir()?;
    let home = |name: &str| tmp.path().join(name);

    progress(&format!(
        "a {contacts}-contact vault on device A, relay set"
    ));
    let a = home("a");
    rapport.run(&a, &["init", "--name", "a"], crate::proc::Stdout::Discard)?;
    let a_id = device_id(&rapport, &a)?.to_string();
    fill(&a, device_id(&rapport, &a)?, args.seed, contacts)?;
    output(rapport.command(&a, &["relay", "set", relay.url()]))?;
    let a_endpoint = endpoint_id(&rapport, &a)?;
    let da = Daemon::start(&rapport, &a, &tmp.path().join("a.log"))?;

    let far = vec![
        "clone",
        "--id",
        &a_id,
        "--endpoint",
        &a_endpoint,
        "--relay",
        relay.url(),
    ];
    let relay_only = [far.as_slice(), &["--relay-only"]].concat();
    let ways: [(&str, Vec<&str>); 3] = [
        ("lan", vec!["clone", &da.addr, "--id", &a_id]),
        ("iroh", far),
        ("relay", relay_only),
    ];
    let mut times: [Vec<Duration>; 3] = Default::default();
    let mut paths: [Vec<String>; 3] = Default::default();
    for run in 0..args.runs {
        for (k, (name, clone_args)) in ways.iter().enumerate() {
            progress(&format!(
                "fresh device over {name}, run {}/{}",
                run + 1,
                args.runs
            ));
            let c = home(&format!("{name}{run}"));
            let c_id = device_id(&rapport, &c)?.to_string();
            let c_endpoint = endpoint_id(&rapport, &c)?;
            output(rapport.command(&a, &["devices", "add", &c_id, "--endpoint", &c_endpoint]))?;
            let start = Instant::now();
            let out = output(rapport.command(&c, clone_args))?;
            times[k].push(start.elapsed());
            paths[k].push(reported_path(&out));
            std::fs::remove_dir_all(&c)?;
        }
    }

    progress("a live note: A and B on the LAN, A and R through the relay");
    let ports = Ports {
        lan_udp: port_of(&da.addr)?,
        relay_tcp: port_of(relay.url())?,
    };
    let notes = live_notes(&rapport, tmp.path(), &a, &ways, args.runs, &ports)?;
    let (lan_note, relay_note) = (notes.lan, notes.relayed);
    drop(da);

    let mut t = Table::new(format!(
        "Sync beyond the LAN (loopback, {contacts} contacts × 10 interactions, relay in this process)"
    ));
    let lan = table::median(&times[0]);
    for (k, label, target) in [
        (
            1,
            "fresh device, `clone --endpoint` over iroh (process, median)",
            "≤ 1.3× LAN",
        ),
        (
            2,
            "fresh device, `clone --relay-only` through the relay (process, median)",
            "≤ 3× LAN",
        ),
    ] {
        let ours = table::median(&times[k]);
        t.row(
            label,
            table::time(ours),
            table::time(lan),
            table::dur_ratio(ours, lan),
            target,
        );
    }
    let (r, l) = (table::median(&relay_note), table::median(&lan_note));
    t.row(
        "live note through the relay, `note` → listed on the other device (median)",
        table::time(r),
        table::time(l),
        table::dur_ratio(r, l),
        "—",
    );
    match notes.bytes {
        Some((lan_bytes, relay_bytes)) => t.row(
            "live note through the relay: bytes on the wire per note (both legs, relay framing, TCP/IP headers)",
            table::bytes(relay_bytes),
            table::bytes(lan_bytes),
            table::ratio(relay_bytes as f64, lan_bytes as f64),
            "LAN push 262 B of frames",
        ),
        None => t.note("bytes on the wire not measured: needs root and `nft` (nftables counters on loopback)"),
    }
    if let Some((lan_idle, relay_idle)) = notes.idle {
        t.row(
            "the same ports with no note, over a window as long as each path's median note",
            table::bytes(relay_idle),
            table::bytes(lan_idle),
            table::ratio(relay_idle as f64, lan_idle.max(1) as f64),
            "—",
        );
    }
    t.note(format!(
        "baseline of the clones: `rapport clone HOST:PORT --id A` over quinn on loopback, alternated run by run; LAN p90 {}, iroh p90 {}, relay p90 {}",
        table::time(table::p90(&times[0])),
        table::time(table::p90(&times[1])),
        table::time(table::p90(&times[2])),
    ));
    t.note(format!(
        "path each clone reported: iroh {:?}; relay-only {:?}",
        paths[1], paths[2]
    ));
    t.note("baseline of the live note: the same note between two daemons on the LAN (quinn); both polled with `rapport show` every 20 ms, so the figure includes up to one poll");
    t.note("the relay runs in the benchmark process (TestRelay: iroh-relay's server code, plain HTTP on 127.0.0.1); it adds one loopback hop each way, not an internet round trip");
    Ok(t)
}

/// Median time for a note made on A's daemon to be listed on another running daemon: B,
/// cloned on the LAN, and R, cloned through the relay and serving with every packet through it.
/// Where the live notes travel: A's quinn port (B dials it), and the relay's HTTP port (A and
/// R each hold a TCP connection to it; with `--relay-only` every packet crosses it twice).
struct Ports {
    lan_udp: u16,
    relay_tcp: u16,
}

struct LiveNotes {
    lan: Vec<Duration>,
    relayed: Vec<Duration>,
    /// Mean bytes on the wire per note (LAN, relay), when nftables could count them.
    bytes: Option<(u64, u64)>,
    /// The same over windows as long as each path's median note, with no note.
    idle: Option<(u64, u64)>,
}

fn live_notes(
    rapport: &Rapport,
    dir: &Path,
    a: &Path,
    ways: &[(&str, Vec<&str>); 3],
    runs: u32,
    ports: &Ports,
) -> Result<LiveNotes> {
    let b = dir.join("live-lan");
    let r = dir.join("live-relay");
    for (home, way) in [(&b, &ways[0].1), (&r, &ways[2].1)] {
        let id = device_id(rapport, home)?.to_string();
        let endpoint = endpoint_id(rapport, home)?;
        output(rapport.command(a, &["devices", "add", &id, "--endpoint", &endpoint]))?;
        output(rapport.command(home, way))?;
    }
    let db = Daemon::start(rapport, &b, &dir.join("b.log"))?;
    let dr = Daemon::start_with_env(
        rapport,
        &r,
        &dir.join("r.log"),
        &[("RAPPORT_RELAY_ONLY", "1".to_owned())],
    )?;
    let contact = output(rapport.command(a, &["add", "Live Note Target"]))?
        .trim()
        .to_owned();
    // Both daemons hold a session with A before anything is timed.
    wait_listed(rapport, &b, &contact, None)?;
    wait_listed(rapport, &r, &contact, None)?;
    let (mut lan, mut relayed) = (Vec::new(), Vec::new());
    let lan_counter = WireCounter::start("lan", "udp", ports.lan_udp);
    let relay_counter = WireCounter::start("relay", "tcp", ports.relay_tcp);
    let mut wire = [0u64; 2];
    for i in 0..runs {
        for (k, (home, out)) in [(&b, &mut lan), (&r, &mut relayed)].into_iter().enumerate() {
            let counter = [&lan_counter, &relay_counter][k];
            let before = counter.as_ref().map(WireCounter::bytes).transpose()?;
            let text = format!("live note {i} for {}", home.display());
            let start = Instant::now();
            let id = output(rapport.command(a, &["note", &contact, &text]))?
                .trim()
                .to_owned();
            wait_listed(rapport, home, &contact, Some(&id))?;
            out.push(start.elapsed());
            if let (Some(c), Some(before)) = (counter, before) {
                wire[k] += c.bytes()? - before;
            }
        }
    }
    // The same windows with no note: what the ports carry anyway (keep-alives, iroh's own
    // traffic through the relay), so the note's share can be told apart.
    let mut quiet = [0u64; 2];
    for _ in 0..runs {
        for (k, window) in [table::median(&lan), table::median(&relayed)]
            .into_iter()
            .enumerate()
        {
            if let Some(c) = [&lan_counter, &relay_counter][k] {
                let before = c.bytes()?;
                std::thread::sleep(window);
                quiet[k] += c.bytes()? - before;
            }
        }
    }
    drop((db, dr));
    let per_note = |w: [u64; 2]| (w[0] / u64::from(runs), w[1] / u64::from(runs));
    let (bytes, idle) = match (&lan_counter, &relay_counter) {
        (Some(_), Some(_)) => (Some(per_note(wire)), Some(per_note(quiet))),
        _ => (None, None),
    };
    Ok(LiveNotes {
        lan,
        relayed,
        bytes,
        idle,
    })
}

/// An nftables counter of loopback traffic matching a rule (a table of its own, deleted on
/// drop). `None` without root or `nft`: the suite then says the bytes were not measured.
struct WireCounter {
    table: String,
}

impl WireCounter {
    /// Counts packets from or to `port` of `proto` (each loopback packet passes `output` once).
    fn start(name: &str, proto: &str, port: u16) -> Option<WireCounter> {
        let table = format!("rapport_bench_{name}_{}", std::process::id());
        let mut script = format!(
            "add table inet {table}\nadd chain inet {table} out {{ type filter hook output priority 0; }}\n"
        );
        for dir in ["sport", "dport"] {
            script.push_str(&format!(
                "add rule inet {table} out {proto} {dir} {port} counter\n"
            ));
        }
        let ok = std::process::Command::new("nft")
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .map(|mut s| s.write_all(script.as_bytes()))
                    .transpose()?;
                child.wait()
            })
            .is_ok_and(|s| s.success());
        ok.then_some(WireCounter { table })
    }

    /// Bytes counted so far by every rule of the table.
    fn bytes(&self) -> Result<u64> {
        let out = output({
            let mut c = std::process::Command::new("nft");
            c.args(["list", "table", "inet", &self.table]);
            c
        })?;
        let words: Vec<&str> = out.split_whitespace().collect();
        Ok(words
            .windows(2)
            .filter(|w| w[0] == "bytes")
            .filter_map(|w| w[1].parse::<u64>().ok())
            .sum())
    }
}

impl Drop for WireCounter {
    fn drop(&mut self) {
        let _ = std::process::Command::new("nft")
            .args(["delete", "table", "inet", &self.table])
            .status();
    }
}

/// The port of "HOST:PORT" or "http://HOST:PORT".
fn port_of(addr: &str) -> Result<u16> {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .with_context(|| format!("no port in {addr}"))
}

/// Waits (at most 60 s) until `home` shows `contact`, and with `note`, that note on it.
fn wait_listed(rapport: &Rapport, home: &Path, contact: &str, note: Option<&str>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(shown) = rapport.json(home, &["show", contact, "--json"]) {
            let listed = match note {
                None => true,
                Some(id) => shown["interactions"]
                    .as_array()
                    .is_some_and(|all| all.iter().any(|i| i["id"].as_str() == Some(id))),
            };
            if listed {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("{} never showed {contact} {note:?}", home.display())
}

fn endpoint_id(rapport: &Rapport, home: &Path) -> Result<String> {
    let json = rapport.json(home, &["device", "--json"])?;
    Ok(json["endpoint"]
        .as_str()
        .context("`rapport device --json` printed no endpoint id")?
        .to_owned())
}

/// The path `clone` says it took: "via direct", "via relay", or "at HOST:PORT" on the LAN.
fn reported_path(out: &str) -> String {
    match out.split(" via ").nth(1) {
        Some(rest) => rest.split(':').next().unwrap_or("?").to_owned(),
        None => "lan".to_owned(),
    }
}

fn progress(what: &str) {
    eprintln!("[wan] {what}");
}
