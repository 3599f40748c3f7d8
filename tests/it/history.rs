//! History and time travel through the real binary: `log`, `show --at`, `revert`, `undo` and
//! `group restore`, on devices that sync over QUIC on loopback (daemons bind 127.0.0.1).

use crate::daemon::{clone_from, device_id, family, Daemon};
use crate::support::Home;
use serde_json::Value;
use std::time::Duration;

/// What a user sees of a contact, without the `updated` stamp, the provenance (a revert is a
/// new write, so it names the reverting device) and interaction ids' order.
fn card(home: &Home, id: &str) -> Value {
    let mut shown = home.json(&["show", id]);
    let obj = shown.as_object_mut().expect("an object");
    obj.remove("updated");
    obj.remove("provenance");
    let mut texts: Vec<String> = obj["interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .map(|i| i["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    texts.sort();
    obj.insert("interactions".into(), texts.into());
    shown
}

fn messages(log: &Value) -> Vec<String> {
    log.as_array()
        .expect("an array")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Commit times have one-second resolution: the next change must be in a later second.
fn next_second() {
    std::thread::sleep(Duration::from_millis(1_100));
}

#[test]
fn revert_to_a_time_before_three_edits_from_two_devices() {
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    let jeanne = a.id(&["add", "Jeanne Yocum", "--email", "j@x.org", "--tag", "conf"]);
    let other = a.id(&["add", "Bo Chen"]);
    a.id(&["note", &jeanne, "met at the gym"]);
    {
        let d = Daemon::start(&a);
        clone_from(&d, &a_id, b);
        d.stop();
    }
    let before = card(&a, &jeanne);
    let then = a.json(&["log", &jeanne])[0]["time"]
        .as_str()
        .expect("a time")
        .to_owned();
    next_second();
    // Three edits, from two devices, offline; then a sync.
    a.ok(&["edit", &jeanne, "--org", "Acme", "--title", "CTO"]);
    b.ok(&["tag", &jeanne, "+vip", "-conf"]);
    b.id(&["note", &jeanne, "called about the offsite"]);
    a.ok(&["edit", &other, "--org", "Elsewhere"]);
    let d = Daemon::start(&a);
    let sync = |h: &Home| {
        let run = h.run(&["sync", "--addr", &d.addr]);
        assert!(run.success(), "{}", run.describe());
    };
    sync(b);
    assert_ne!(card(b, &jeanne), before);

    // `log` lists exactly this contact's changes, newest first, with device names.
    let log = a.json(&["log", &jeanne]);
    let mut got = messages(&log);
    assert_eq!(
        got.last().map(String::as_str),
        Some("add contact Jeanne Yocum")
    );
    got.sort();
    let note_msgs = got.iter().filter(|m| m.starts_with("log note")).count();
    assert_eq!(note_msgs, 2, "{got:?}");
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(!got.iter().any(|m| m.contains("Bo Chen")), "{got:?}");
    let times: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let devices: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["device_name"].as_str())
        .collect();
    assert_eq!(devices.len(), 5, "every entry names its device: {log}");
    assert!(devices.contains(&"device 0") && devices.contains(&"test device"));
    let edit = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["message"] == "edit contact Jeanne Yocum" && e["device_name"] == "test device")
        .expect("a's edit");
    assert_eq!(edit["fields"], serde_json::json!(["org", "title"]));

    // Revert on b, to the time before the edits; sync; both devices show the old card.
    let out = b.ok(&["revert", &jeanne, "--to", &then]);
    assert!(out.starts_with("reverted"), "{out}");
    sync(b);
    assert_eq!(card(&a, &jeanne), before);
    assert_eq!(card(b, &jeanne), before);
    // The other contact's edit made in between is untouched.
    assert_eq!(a.json(&["show", &other])["org"], "Elsewhere");
    // History is kept: the edited card is still there to see.
    let edited_at = edit["change"].as_str().unwrap();
    assert_eq!(a.json(&["show", &jeanne, "--at", edited_at])["org"], "Acme");
    d.stop();
}

#[test]
fn a_group_of_forty_deleted_on_one_device_is_restored_on_another() {
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    a.id(&["group", "create", "Board", "--description", "the old board"]);
    let mut members = Vec::new();
    for n in 0..40 {
        members.push(a.id(&["add", &format!("Member {n:02}")]));
    }
    let mut args = vec!["group", "add", "Board"];
    args.extend(members.iter().map(String::as_str));
    a.ok(&args);
    let d = Daemon::start(&a);
    clone_from(&d, &a_id, b);
    a.ok(&["group", "delete", "Board"]);
    let sync = |h: &Home| {
        let run = h.run(&["sync", "--addr", &d.addr]);
        assert!(run.success(), "{}", run.describe());
    };
    sync(b);
    assert!(b.json(&["group", "list"]).as_array().unwrap().is_empty());
    let out = b.ok(&["group", "restore", "Board"]);
    assert!(out.contains("with 40 members"), "{out}");
    sync(b);
    for home in [&a, b] {
        let g = home.json(&["group", "show", "Board"]);
        assert_eq!(g["members"], 40, "{g}");
        assert_eq!(g["description"], "the old board");
        let mut ids: Vec<&str> = g["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        ids.sort();
        let mut want: Vec<&str> = members.iter().map(String::as_str).collect();
        want.sort();
        assert_eq!(ids, want);
    }
    let log = a.json(&["log", "--group", "Board"]);
    let got = messages(&log);
    assert_eq!(
        got.first().map(String::as_str),
        Some("restore group Board"),
        "{got:?}"
    );
    assert!(got.contains(&"delete group Board".to_owned()), "{got:?}");
    d.stop();
}

#[test]
fn undo_reverts_the_last_action_whatever_command_made_it() {
    let h = Home::init();
    let jeanne = h.id(&["add", "Jeanne Yocum", "--tag", "conf"]);
    h.id(&["group", "create", "Climbers"]);
    h.ok(&["group", "add", "Climbers", &jeanne]);
    let before = card(&h, &jeanne);
    let undo = |what: &str| {
        let out = h.ok(&["undo"]);
        assert!(out.starts_with(&format!("undid `{what}")), "{out}");
    };
    h.ok(&["edit", &jeanne, "--org", "Acme"]);
    undo("edit contact");
    assert_eq!(card(&h, &jeanne), before);
    h.id(&["note", &jeanne, "lunch"]);
    undo("log note");
    assert_eq!(card(&h, &jeanne), before);
    h.ok(&["tag", &jeanne, "+vip", "-conf"]);
    undo("edit contact");
    assert_eq!(card(&h, &jeanne), before);
    h.ok(&["rm", &jeanne]);
    undo("trash contact");
    assert_eq!(card(&h, &jeanne), before);
    h.ok(&["group", "delete", "Climbers"]);
    undo("delete group");
    assert_eq!(h.json(&["group", "show", "Climbers"])["members"], 1);
    let bo = h.id(&["add", "Bo Chen"]);
    undo("add contact Bo Chen");
    let trash = h.json(&["trash"]);
    assert_eq!(
        trash[0]["id"],
        bo.as_str(),
        "an undone add goes to the trash"
    );
    // Undo walks back: the next one is the membership added before all of this.
    undo("add to group Climbers");
    assert!(h.json(&["show", &jeanne])["groups"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn show_at_a_change_or_time_before_and_after_an_edit() {
    let h = Home::init();
    let jeanne = h.id(&["add", "Jeanne Yocum"]);
    let added = h.json(&["log", &jeanne])[0].clone();
    next_second();
    h.ok(&["edit", &jeanne, "--org", "Acme"]);
    let edited = h.json(&["log", &jeanne])[0].clone();
    let at = |point: &str| h.json(&["show", &jeanne, "--at", point]);
    let short = &added["change"].as_str().unwrap()[..8];
    assert_eq!(at(short)["org"], Value::Null);
    assert_eq!(at(added["time"].as_str().unwrap())["org"], Value::Null);
    assert_eq!(at(edited["change"].as_str().unwrap())["org"], "Acme");
    assert_eq!(at(edited["time"].as_str().unwrap())["org"], "Acme");
    // Before the contact existed, and a change id that is not there: exit 3, one line.
    h.fails(3, &["show", &jeanne, "--at", "2001-01-01"]);
    h.fails(3, &["show", &jeanne, "--at", "deadbeef"]);
    h.fails(2, &["show", &jeanne, "--at", "yesterday-ish"]);
}
