//! The relationship layer end to end: cadences, follow-ups, `due`, `intro`, `introduce` and
//! `brief` through the real binary, read back with `--json`, and their history (`log`,
//! `show --at`, `undo`).

use crate::support::Home;
use serde_json::Value;

fn items(due: &Value) -> &Vec<Value> {
    due["items"].as_array().expect("an items array")
}

#[test]
fn a_follow_up_is_due_then_done_and_a_cadence_makes_a_contact_due() {
    let home = Home::init();
    let jeanne = home.id(&["add", "Jeanne Yocum", "--met-on", "2020-01-01"]);
    home.id(&["add", "Ada Lovelace", "--tag", "climbing"]);
    let note = home.id(&[
        "note",
        "Jeanne Yocum",
        "Send the deck",
        "--follow-up",
        "2020-02-01",
    ]);
    let due = home.json(&["due"]);
    assert_eq!(items(&due).len(), 1, "{due:#}");
    assert_eq!(items(&due)[0]["kind"], "follow-up");
    assert_eq!(items(&due)[0]["follow_up"], note.as_str());
    assert_eq!(items(&due)[0]["text"], "Send the deck");
    let text = home.ok(&["due"]);
    assert!(text.contains("follow-up due 2020-02-01"), "{text}");
    assert!(text.contains(&note), "{text}");
    assert!(home.ok(&["done", &note]).contains("done"));
    assert!(home.ok(&["done", &note]).contains("already done"));
    assert!(home.ok(&["due"]).contains("Nothing is due."));
    let shown = home.json(&["show", &jeanne]);
    assert!(shown["follow_ups"][&note]["done"].is_number(), "{shown:#}");

    // Jeanne's last interaction is the note (today): a 30-day cadence is not due yet but
    // falls due within 5 weeks.
    assert!(home
        .ok(&["cadence", "jeanne", "30d"])
        .contains("every 30 days"));
    assert!(home.ok(&["due"]).contains("Nothing is due."));
    let within = home.json(&["due", "--within", "5w"]);
    assert_eq!(items(&within).len(), 1, "{within:#}");
    assert_eq!(items(&within)[0]["kind"], "keep-in-touch");
    assert!(home
        .ok(&["cadence", "jeanne", "--clear"])
        .contains("cleared"));
    assert!(home
        .ok(&["due", "--within", "5w"])
        .contains("Nothing is due within 5w."));
}

#[test]
fn cadence_usage_errors_are_one_sentence() {
    let home = Home::init();
    home.id(&["add", "Jeanne Yocum"]);
    let err = home.fails(2, &["cadence", "jeanne"]);
    assert!(err.contains("rapport cadence CONTACT PERIOD"), "{err}");
    let err = home.fails(2, &["cadence", "jeanne", "soon"]);
    assert!(err.contains("not a period"), "{err}");
    let err = home.fails(3, &["done", "0123456789abcdef"]);
    assert!(err.contains("no follow-up"), "{err}");
}

#[test]
fn group_and_tag_cadences_apply_the_shortest_and_snooze_defers() {
    let home = Home::init();
    let ada = home.id(&[
        "add",
        "Ada Lovelace",
        "--tag",
        "climbing",
        "--met-on",
        "2020-01-01",
    ]);
    home.id(&["group", "create", "Investors"]);
    home.ok(&["group", "add", "Investors", &ada]);
    home.ok(&["cadence", "--tag", "climbing", "6mo"]);
    home.ok(&["cadence", "--group", "Investors", "30d"]);
    let due = home.json(&["due"]);
    let item = &items(&due)[0];
    assert_eq!(item["cadence"], "30d", "{due:#}");
    assert_eq!(item["cadence_from"]["from"], "group", "{due:#}");
    let reason = item["reason"].as_str().unwrap();
    assert!(
        reason
            .starts_with("met 2020-01-01 (no interaction since), every 30 days (group Investors)"),
        "{reason}"
    );
    home.ok(&["cadence", "--group", "Investors", "--clear"]);
    let due = home.json(&["due"]);
    assert_eq!(items(&due)[0]["cadence"], "6mo", "{due:#}");
    assert!(home.ok(&["snooze", "ada", "2w"]).contains("snoozed until"));
    assert!(home.ok(&["due"]).contains("Nothing is due."));
    assert_eq!(items(&home.json(&["due", "--within", "3w"])).len(), 1);
    // The iCalendar export has the item as an all-day event.
    let ics = home.ok(&["due", "--within", "3w", "--ics"]);
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(
        ics.contains("SUMMARY:Get in touch with Ada Lovelace"),
        "{ics}"
    );
    assert!(ics.contains("DTSTART;VALUE=DATE:"), "{ics}");
}

#[test]
fn introduce_then_intro_finds_the_path_through_the_introduction() {
    let home = Home::init();
    let ann = home.id(&["add", "Ann Smith", "--trust", "trusted"]);
    let bob = home.id(&["add", "Bob Stone"]);
    let tess = home.id(&["add", "Tess Target"]);
    home.id(&["add", "Carl Far", "--trust", "met"]);
    home.id(&[
        "introduce",
        &ann,
        &bob,
        "--set-introduced-by",
        "--at",
        "2026-01-05",
    ]);
    home.id(&[
        "note",
        &bob,
        "Board meeting",
        "--kind",
        "meeting",
        "--with",
        &tess,
        "--at",
        "2026-02-01",
    ]);
    home.id(&[
        "note",
        "carl",
        "Lunch",
        "--with",
        &tess,
        "--at",
        "2025-01-01",
    ]);
    let shown = home.json(&["show", &bob]);
    assert_eq!(shown["introduced_by"], ann.as_str(), "{shown:#}");
    let intro = home.json(&["intro", &tess]);
    let paths = intro["paths"].as_array().unwrap();
    let firsts: Vec<&str> = paths
        .iter()
        .map(|p| p["first"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(firsts, ["Ann Smith", "Carl Far", "Bob Stone"], "{intro:#}");
    let hops = paths[0]["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[1]["why"], "both at meeting, 2026-02-01");
    let text = home.ok(&["intro", &tess]);
    assert!(text.contains("Ask Ann Smith (trusted)"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // One hop is not enough to go through Bob.
    let short = home.json(&["intro", &tess, "--max-hops", "1"]);
    assert_eq!(short["paths"].as_array().unwrap().len(), 2, "{short:#}");
    let graph = home.json(&["intro", "--graph"]);
    assert_eq!(graph["edges"].as_array().unwrap().len(), 2, "{graph:#}");
}

#[test]
fn brief_fits_80_columns_and_has_the_story() {
    let home = Home::init();
    let ann = home.id(&["add", "Ann Smith"]);
    let long = "A very long context ".repeat(20);
    let jeanne = home.id(&[
        "add",
        "Jeanne Yocum",
        "--org",
        "Acme Corporation of Extremely Long Names Incorporated Worldwide",
        "--title",
        "Chief Executive Officer",
        "--introduced-by",
        &ann,
        "--met-on",
        "2024-03-01",
        "--met-context",
        &long,
        "--trust",
        "trusted",
    ]);
    for n in 1..=7 {
        home.id(&[
            "note",
            &jeanne,
            &format!("call number {n} ").repeat(10),
            "--kind",
            "call",
            "--at",
            &format!("2026-0{n}-01"),
        ]);
    }
    home.id(&[
        "note",
        &jeanne,
        "Send the deck",
        "--follow-up",
        "2026-12-20",
    ]);
    let text = home.ok(&["brief", "jeanne"]);
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(text.contains("introduced by Ann Smith"), "{text}");
    assert!(text.contains("Last interactions (5 of 8)"), "{text}");
    assert!(text.contains("Send the deck"), "{text}");
    assert!(text.contains("test device"), "{text}");
    let b = home.json(&["brief", &jeanne]);
    assert_eq!(b["introduced_by"]["name"], "Ann Smith");
    assert_eq!(b["last_interactions"].as_array().unwrap().len(), 5);
    assert_eq!(b["follow_ups"].as_array().unwrap().len(), 1);
    assert_eq!(b["devices"].as_array().unwrap().len(), 1);
}

#[test]
fn cadence_and_follow_ups_appear_in_log_show_at_and_undo() {
    let home = Home::init();
    let jeanne = home.id(&["add", "Jeanne Yocum"]);
    home.ok(&["cadence", &jeanne, "90d"]);
    let log = home.ok(&["log", &jeanne]);
    assert!(log.contains("cadence"), "{log}");
    home.ok(&["undo"]);
    let shown = home.json(&["show", &jeanne]);
    assert!(shown.get("cadence").is_none(), "{shown:#}");
    let note = home.id(&[
        "note",
        &jeanne,
        "Send the deck",
        "--follow-up",
        "2026-12-20",
    ]);
    let shown = home.ok(&["show", &jeanne]);
    assert!(
        shown.contains(&format!("due 2026-12-20 open [{note}]")),
        "{shown}"
    );
    let now = home.ok(&["show", &jeanne, "--at", "2100-01-01"]);
    assert!(now.contains("follow-up"), "{now}");
}

#[test]
fn the_json_export_carries_cadences_and_follow_ups() {
    let home = Home::init();
    let jeanne = home.id(&["add", "Jeanne Yocum"]);
    home.ok(&["cadence", &jeanne, "90d"]);
    let note = home.id(&[
        "note",
        &jeanne,
        "Send the deck",
        "--follow-up",
        "2026-12-20",
    ]);
    home.ok(&["group", "create", "Investors"]);
    home.ok(&["group", "add", "Investors", &jeanne]);
    home.ok(&["cadence", "--group", "Investors", "30d"]);
    home.ok(&["cadence", "--tag", "climbing", "6mo"]);
    let out = home.ok(&["export", "json"]);
    let exported: Value = serde_json::from_str(&out).expect("JSON");
    let c = &exported["contacts"][0];
    assert_eq!(c["cadence"], "90d", "{exported:#}");
    assert_eq!(c["follow_ups"][&note]["due"], "2026-12-20", "{exported:#}");
    let group = &exported["groups"][0];
    assert_eq!(group["name"], "Investors", "{exported:#}");
    assert_eq!(group["cadence"], "30d", "{exported:#}");
    assert_eq!(group["members"], 1, "{exported:#}");
    assert_eq!(exported["tag_cadences"]["climbing"], "6mo", "{exported:#}");
}

/// `intro` and `brief` first read the contacts without their emails when named by id (see
/// `Loaded::read_to_find`): an email, and an id that does not name a live contact, must still
/// resolve as `find_contact` does.
#[test]
fn intro_and_brief_find_a_contact_by_email_as_by_id() {
    let home = Home::init();
    let ann = home.id(&["add", "Ann Smith", "--email", "ann@example.org"]);
    let bob = home.id(&["add", "Bob Stone", "--introduced-by", &ann]);
    let by_id = home.json(&["intro", &ann]);
    assert_eq!(by_id["paths"][0]["first"]["id"], bob.as_str(), "{by_id:#}");
    assert_eq!(home.json(&["intro", "ann@example.org"]), by_id);
    let brief = home.ok(&["brief", &ann]);
    assert!(brief.contains("ann@example.org"), "{brief}");
    assert_eq!(home.ok(&["brief", "ann@example.org"]), brief);
    home.ok(&["rm", &bob]);
    home.fails(3, &["intro", &bob]);
    home.fails(3, &["brief", &bob]);
}
