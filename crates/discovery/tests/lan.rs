//! mDNS discovery between hosts of a private LAN made of network namespaces (see
//! `support/netns.rs`): multicast never reaches the machine's real interfaces. Each host runs
//! `rapport-lan-probe`, bounded by `timeout`. Without root or `ip`, the tests say "skipped"
//! and why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/netns.rs"]
mod netns;

use netns::{NetnsHost, NetnsLan};
use std::process::{Child, Output, Stdio};

const PROBE: &str = env!("CARGO_BIN_EXE_rapport-lan-probe");
const SECRET: &str = "5c2a1f0e9d8b7a6958473625140312f0e1d2c3b4a5968778695a4b3c2d1e0f01";
const STRANGER_SECRET: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn probe(host: &NetnsHost, args: &[&str]) -> Child {
    host.command("timeout")
        .arg("20")
        .arg(PROBE)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

struct Seen {
    label: String,
    host: String,
    verdict: String,
    addrs: String,
    ms: u64,
}

fn finish(child: Child) -> (Output, Vec<String>, Vec<Seen>) {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let announced = text
        .lines()
        .filter_map(|l| l.strip_prefix("announced "))
        .map(str::to_owned)
        .collect();
    let seen = text
        .lines()
        .filter_map(|l| l.strip_prefix("seen "))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            Seen {
                label: f[0].to_owned(),
                host: f[1].to_owned(),
                verdict: f[2].to_owned(),
                addrs: f[3].to_owned(),
                ms: f[4].parse().unwrap(),
            }
        })
        .collect();
    (out, announced, seen)
}

fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn lan_or_skip(hosts: usize) -> Option<NetnsLan> {
    match NetnsLan::create(hosts) {
        Ok(lan) => Some(lan),
        // `.ci/run` installs iproute2, so in CI a missing LAN is a failure, not a skip.
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("cannot build a private LAN of network namespaces in CI: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: cannot build a private LAN of network namespaces: {reason}");
            None
        }
    }
}

#[test]
fn two_devices_of_a_vault_find_each_other_and_a_stranger_cannot_recognise_them() {
    let Some(lan) = lan_or_skip(3) else { return };
    let [a, b, stranger] = [&lan.hosts[0], &lan.hosts[1], &lan.hosts[2]];
    let watching = probe(
        stranger,
        &["--secret", STRANGER_SECRET, "--browse-ms", "4000"],
    );
    let device = |port: &str| {
        [
            "--secret",
            SECRET,
            "--announce-port",
            port,
            "--browse-ms",
            "4000",
            "--until-found",
            "--hold-ms",
            "3000",
        ]
        .map(str::to_owned)
    };
    let a_run = probe(a, &device("7447").each_ref().map(String::as_str));
    let b_run = probe(b, &device("7448").each_ref().map(String::as_str));
    let (a_out, a_labels, a_seen) = finish(a_run);
    let (b_out, b_labels, b_seen) = finish(b_run);
    let (s_out, _, s_seen) = finish(watching);
    assert!(a_out.status.success(), "device A: {}", describe(&a_out));
    assert!(b_out.status.success(), "device B: {}", describe(&b_out));
    assert!(s_out.status.success(), "stranger: {}", describe(&s_out));

    let found = |seen: &[Seen], addr: String| {
        seen.iter()
            .find(|s| s.verdict == "key=0")
            .filter(|s| s.addrs.split(',').any(|x| x == addr))
            .map(|s| s.ms)
    };
    let a_found = found(&a_seen, format!("{}:7448", b.ip));
    let b_found = found(&b_seen, format!("{}:7447", a.ip));
    assert!(a_found.is_some(), "A did not find B: {}", describe(&a_out));
    assert!(b_found.is_some(), "B did not find A: {}", describe(&b_out));
    eprintln!("found each other after {a_found:?} / {b_found:?} ms (from each probe's start)");

    // The stranger saw both announcements, with addresses, but recognised neither.
    let (a_label, b_label) = (&a_labels[0], &b_labels[0]);
    assert_ne!(
        a_label, b_label,
        "two devices of one vault announce unlinkable names"
    );
    for label in [a_label, b_label] {
        let sighting = s_seen.iter().find(|s| &s.label == label);
        let sighting =
            sighting.unwrap_or_else(|| panic!("stranger missed {label}: {}", describe(&s_out)));
        assert_eq!(sighting.verdict, "unrecognised", "{}", describe(&s_out));
    }
    assert!(
        s_seen.iter().all(|s| !s.verdict.starts_with("key=")),
        "{}",
        describe(&s_out)
    );
    // Nothing names the machine: host names are random per announcement.
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    for s in &s_seen {
        let host = s.host.trim_end_matches('.').trim_end_matches(".local");
        assert!(
            !machine.trim().is_empty() && !s.host.contains(machine.trim()),
            "host name {} names the machine",
            s.host
        );
        assert_eq!(host.len(), 13, "a random 13-letter host name: {}", s.host);
        assert!(!a_label.contains(host) && !b_label.contains(host));
    }
    let hosts: std::collections::BTreeSet<&str> = s_seen.iter().map(|s| s.host.as_str()).collect();
    assert!(hosts.len() >= 2, "each device its own host name: {hosts:?}");
}

#[test]
fn a_pairing_window_is_found_by_its_nameplate_only() {
    let Some(lan) = lan_or_skip(3) else { return };
    let [pairing, joiner, other] = [&lan.hosts[0], &lan.hosts[1], &lan.hosts[2]];
    let announcing = probe(
        pairing,
        &[
            "--nameplate",
            "7",
            "--announce-port",
            "9000",
            "--hold-ms",
            "4000",
        ],
    );
    // Another nameplate finds nothing; the right one finds the pairing device (through
    // `Lan::find`, as `rapport join` does).
    let wrong = probe(other, &["--nameplate", "8", "--find-ms", "2500"]);
    let joining = probe(joiner, &["--nameplate", "7", "--find-ms", "4000"]);
    let (j_out, _, _) = finish(joining);
    let (w_out, _, _) = finish(wrong);
    let (p_out, _, _) = finish(announcing);
    assert!(p_out.status.success(), "pairing side: {}", describe(&p_out));
    assert_eq!(
        w_out.status.code(),
        Some(3),
        "nameplate 8: {}",
        describe(&w_out)
    );
    assert!(
        j_out.status.success(),
        "joiner found nothing: {}",
        describe(&j_out)
    );
    let text = String::from_utf8_lossy(&j_out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("found ")).unwrap();
    let (addrs, ms) = line.split_once(' ').unwrap();
    assert_eq!(addrs, format!("{}:9000", pairing.ip));
    eprintln!("pairing beacon found after {ms} ms");
}
