//! The browser as a full device (issue 16's tests 1 and 3, and test 4 for a revoked browser),
//! in Debian's headless Chromium driven by tests/browser/sync.mjs: a mistyped code is refused
//! and burns that code; with a new code it pairs with a real `rapport serve` over WebTransport
//! and shows the vault's contacts; an edit on each side crosses the live session; then, with
//! the network cut and the daemon stopped, both sides edit (the same contact's trust on each: a
//! conflict); back online, `list --json`, `show --json` and `conflicts --json` on the laptop and
//! the browser's own view agree. Last, the laptop revokes the phone: its session is cut, it is
//! refused from then on, and no edit crosses.
//!
//! Needs Chromium, Node and the WebAssembly module (scripts/wasm-build.sh): where one is
//! missing it says SKIPPED loudly, except under `CI=true`, where it fails.

use crate::phone::{browser_replica_tools_or_skip, rapport_for_node};
use crate::support::Home;
use crate::web::{artefacts, run_node};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

/// It takes about 15 s here.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

/// A loopback port free right now (TCP for the web app, UDP for WebTransport), so the daemon
/// can be restarted on the same origin.
fn free_port(udp: bool) -> u16 {
    if udp {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
        s.local_addr().expect("bound").port()
    } else {
        let s = std::net::TcpListener::bind("127.0.0.1:0").expect("a TCP port");
        s.local_addr().expect("bound").port()
    }
}

fn texts(v: &Value) -> Vec<String> {
    let mut t: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    t.sort();
    t
}

/// (name, field, winner, sorted losers) of each conflict, as both sides list them.
fn conflict_keys(list: &Value) -> Vec<(String, String, String, Vec<String>)> {
    let mut out: Vec<_> = list
        .as_array()
        .expect("a list of conflicts")
        .iter()
        .map(|c| {
            let mut others: Vec<String> = c["others"]
                .as_array()
                .expect("others")
                .iter()
                .map(|w| w["value"].as_str().unwrap_or_default().to_owned())
                .collect();
            others.sort();
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["field"].as_str().unwrap_or_default().to_owned(),
                c["winner"]["value"].as_str().unwrap_or_default().to_owned(),
                others,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_browser_pairs_by_code_and_its_offline_edits_merge_with_the_daemons() {
    let Some(dir) = browser_replica_tools_or_skip("the browser sync test") else {
        return;
    };
    let home = Home::init();
    home.ok(&["add", "Ada Lovelace", "--email", "ada@example.org"]);
    home.ok(&["add", "Charles Babbage"]);
    // { bin, home, env } and the fixed addresses.
    let mut config = rapport_for_node(&home);
    config["ui"] = format!("127.0.0.1:{}", free_port(false)).into();
    config["browser"] = format!("127.0.0.1:{}", free_port(true)).into();
    config["artefacts"] = Value::from(artefacts().to_str().expect("utf-8 path"));
    let mut node = Command::new("node");
    node.arg(dir.join("sync.mjs"))
        .current_dir(&dir)
        .env("RAPPORT_SYNC", config.to_string());
    let run = run_node(node, BROWSER_TIMEOUT, "the browser sync flow");
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(r#""ok":true"#))
        .unwrap_or_else(|| panic!("the flow reported no result:\n{}", run.describe()));
    let said: Value = serde_json::from_str(line).expect("one JSON line");
    let browser = &said["browser"];

    // The laptop's store (the daemon is stopped) against what the browser shows.
    let listed = home.json(&["list"]);
    let mut laptop: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for c in listed.as_array().expect("a list") {
        let id = c["id"].as_str().expect("an id").to_owned();
        let shown = home.json(&["show", &id]);
        laptop.insert(
            id,
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                texts(&shown["interactions"]),
            ),
        );
    }
    let mut phone: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for c in browser["contacts"].as_array().expect("contacts") {
        let mut t: Vec<String> = c["interactions"]
            .as_array()
            .expect("texts")
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        t.sort();
        phone.insert(
            c["id"].as_str().expect("an id").to_owned(),
            (c["name"].as_str().unwrap_or_default().to_owned(), t),
        );
    }
    // Made on the laptop after it revoked the phone: the one contact the phone must not have.
    let before = laptop.len();
    laptop.retain(|_, (name, _)| name != "After Revocation");
    assert_eq!(
        laptop.len(),
        before - 1,
        "the laptop's own edit after the revocation"
    );
    assert_eq!(phone, laptop, "the browser and the laptop differ");
    let names: Vec<&str> = laptop.values().map(|(n, _)| n.as_str()).collect();
    for want in [
        "Ada Lovelace",
        "Alan Turing",
        "Charles Babbage",
        "Grace Hopper",
    ] {
        assert!(names.contains(&want), "{want} is missing: {names:?}");
    }
    let all: Vec<&String> = laptop.values().flat_map(|(_, t)| t).collect();
    for want in [
        "talked engines at the event",
        "owes me a demo",
        "called about the engine",
    ] {
        assert!(
            all.iter().any(|t| t.as_str() == want),
            "{want:?} is missing: {all:?}"
        );
    }
    let theirs = conflict_keys(&home.json(&["conflicts"]));
    assert_eq!(theirs, conflict_keys(&browser["conflicts"]));
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0].1, "trust", "{theirs:?}");
    let mut values = vec![theirs[0].2.clone()];
    values.extend(theirs[0].3.clone());
    values.sort();
    assert_eq!(values, ["met", "trusted"], "{theirs:?}");
}
