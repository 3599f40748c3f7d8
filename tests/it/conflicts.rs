//! Conflicts you can see, provenance and the guard against mass deletion, end to end: two
//! homes that edit offline and sync over QUIC on loopback (127.0.0.1 only).

use crate::support::Home;
use serde_json::Value;

/// A `rapport serve` on 127.0.0.1, killed when dropped.
use crate::daemon::{device_id, Daemon};

/// Device A with a vault, and device B (called `phone` in A's roster) cloned from it; A's
/// daemon is running (B syncs with it, and A's commands are forwarded to it).
fn pair(setup: impl Fn(&Home)) -> (Home, Home, Daemon) {
    let a = Home::init();
    let b = Home::empty();
    let b_id = device_id(&b);
    a.ok(&["devices", "add", &b_id, "--name", "phone"]);
    setup(&a);
    let d = Daemon::start(&a);
    let a_id = device_id(&a);
    let run = b.run(&["clone", &d.addr, "--id", &a_id, "--name", "phone"]);
    assert!(run.success(), "{}", run.describe());
    (a, b, d)
}

fn sync(b: &Home, d: &Daemon) {
    let run = b.run(&["sync", "--addr", &d.addr]);
    assert!(run.success(), "{}", run.describe());
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strs(values: &[&Value], key: &str) -> Vec<String> {
    values
        .iter()
        .map(|w| w[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn concurrent_name_edit_is_listed_with_both_devices_and_resolve_settles_it_everywhere() {
    let (a, b, d) = pair(|a| {
        a.id(&["add", "Jeanne Yocum"]);
    });
    let (a_id, b_id) = (device_id(&a), device_id(&b));
    // B edits offline while A edits through its daemon: concurrent.
    b.ok(&["edit", "Jeanne", "--name", "Jeanne B"]);
    a.ok(&["edit", "Jeanne", "--name", "Jeanne A"]);
    assert_eq!(a.json(&["conflicts"]), serde_json::json!([]));
    sync(&b, &d);
    for home in [&a, &b] {
        let list = home.json(&["conflicts"]);
        let list = list.as_array().expect("array");
        assert_eq!(list.len(), 1, "{list:?}");
        let c = &list[0];
        assert_eq!(c["record"], "contact");
        assert_eq!(c["field"], "name");
        let written: Vec<&Value> = std::iter::once(&c["winner"])
            .chain(c["others"].as_array().expect("others"))
            .collect();
        assert_eq!(sorted(strs(&written, "value")), ["Jeanne A", "Jeanne B"]);
        assert_eq!(
            sorted(strs(&written, "device")),
            sorted(vec![a_id.clone(), b_id.clone()])
        );
        assert!(written.iter().all(|w| w["at"].is_string()), "{c}");
        let shown = home.json(&["show", c["id"].as_str().expect("id")]);
        assert_eq!(shown["name"], c["winner"]["value"]);
    }
    let text = a.ok(&["conflicts"]);
    assert!(
        text.contains("phone") && text.contains("this device"),
        "{text}"
    );
    // B settles it; after a sync no device lists it and both show B's choice.
    let run = b.run(&["resolve", "Jeanne", "name", "Jeanne Yocum"]);
    assert!(run.success(), "{}", run.describe());
    assert_eq!(b.json(&["conflicts"]), serde_json::json!([]));
    sync(&b, &d);
    assert_eq!(a.json(&["conflicts"]), serde_json::json!([]));
    for home in [&a, &b] {
        assert_eq!(home.json(&["list"])[0]["name"], "Jeanne Yocum");
    }
    // Nothing left to resolve: a clear error, exit 3.
    let err = b.fails(3, &["resolve", "Jeanne", "name", "X"]);
    assert!(err.contains("no conflict"), "{err}");
    // Provenance: A's `show` names B for the name and for B's interaction.
    b.id(&["note", "Jeanne", "coffee at the conference"]);
    sync(&b, &d);
    let shown = a.json(&["show", "Jeanne"]);
    assert_eq!(shown["provenance"]["name"]["device"], b_id.as_str());
    assert_eq!(shown["provenance"]["name"]["device_name"], "phone");
    assert_eq!(shown["provenance"]["created"]["device"], a_id.as_str());
    let text = a.ok(&["show", "Jeanne"]);
    assert!(text.contains("Jeanne Yocum  · phone, "), "{text}");
    assert!(text.contains("[from phone]"), "{text}");
    // Status counts what B sent since the last look, then starts again from zero.
    let status = a.json(&["status"]);
    let phone = &status.as_array().expect("rows")[0];
    assert_eq!(phone["name"], "phone");
    assert!(
        phone["changes_since_last_look"].as_u64().unwrap_or(0) >= 3,
        "{status}"
    );
    assert_eq!(a.json(&["status"])[0]["changes_since_last_look"], 0);
}

fn live_count(home: &Home) -> usize {
    home.json(&["list"]).as_array().expect("array").len()
}

fn add_people(a: &Home, n: usize) {
    for i in 0..n {
        a.id(&["add", &format!("Person {i:02}")]);
    }
}

#[test]
fn a_peer_trashing_50_contacts_is_quarantined_and_reject_restores_them_everywhere() {
    let (a, b, d) = pair(|a| add_people(a, 60));
    let b_id = device_id(&b);
    for i in 0..50 {
        b.ok(&["rm", &format!("Person {i:02}")]);
    }
    assert_eq!(live_count(&b), 10);
    sync(&b, &d);
    // The sync completed, but A keeps all 60 visible until its user decides.
    assert_eq!(live_count(&a), 60);
    assert_eq!(a.json(&["trash"]), serde_json::json!([]));
    let status = a.ok(&["status"]);
    assert!(status.contains("QUARANTINED: 50"), "{status}");
    let held = a.json(&["quarantine", "show"]);
    let held = held.as_array().expect("array");
    assert_eq!(held.len(), 50);
    assert!(held
        .iter()
        .all(|h| h["by"] == b_id.as_str() && h["by_name"] == "phone"));
    assert!(held.iter().any(|h| h["name"] == "Person 07"));
    let run = a.run(&["quarantine", "reject"]);
    assert!(run.success(), "{}", run.describe());
    assert!(run.stdout.contains("restored 50"), "{}", run.describe());
    assert_eq!(a.json(&["quarantine", "show"]), serde_json::json!([]));
    sync(&b, &d);
    for home in [&a, &b] {
        assert_eq!(live_count(home), 60);
        assert_eq!(home.json(&["trash"]), serde_json::json!([]));
    }
    // The restore arrived on B as an ordinary change: nothing held back there.
    assert_eq!(b.json(&["quarantine", "show"]), serde_json::json!([]));
}

#[test]
fn deletions_below_the_threshold_pass_and_accept_applies_a_held_one() {
    // 12 live contacts: the limit is min(20, max(3, 10 % of 12)) = 3 at once.
    let (a, b, d) = pair(|a| add_people(a, 12));
    b.ok(&["rm", "Person 00"]);
    b.ok(&["rm", "Person 01"]);
    sync(&b, &d);
    assert_eq!(live_count(&a), 10, "two deletions pass through");
    assert_eq!(a.json(&["quarantine", "show"]), serde_json::json!([]));
    for i in 2..7 {
        b.ok(&["rm", &format!("Person {i:02}")]);
    }
    sync(&b, &d);
    assert_eq!(live_count(&a), 10, "five at once are held back");
    assert_eq!(
        a.json(&["quarantine", "show"]).as_array().map(Vec::len),
        Some(5)
    );
    let run = a.run(&["quarantine", "accept"]);
    assert!(run.success(), "{}", run.describe());
    assert_eq!(live_count(&a), 5);
    assert_eq!(a.json(&["trash"]).as_array().map(Vec::len), Some(7));
    // The threshold is configurable: with a floor of 10, ten at once pass.
    a.ok(&["quarantine", "threshold", "--floor", "10"]);
    for i in 7..12 {
        b.ok(&["rm", &format!("Person {i:02}")]);
    }
    sync(&b, &d);
    assert_eq!(live_count(&a), 0);
    assert_eq!(a.json(&["quarantine", "show"]), serde_json::json!([]));
}
