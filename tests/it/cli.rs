//! The command line end to end: each test drives the real binary in its own home, reads the
//! results back through `--json`, and checks errors the way a script sees them (exit code,
//! stderr, an empty stdout).

use crate::support::{self, assert_clean_error, Home};
use serde_json::{json, Value};

/// The names in a JSON list of contacts, in the order printed.
fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|c| c["name"].as_str().expect("a contact name"))
        .collect()
}

/// The contact with `id` in a JSON list.
fn by_id<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no contact {id} in {list:#}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

// ---- init, devices, check ----

#[test]
fn init_then_list_json_is_empty_and_check_passes() {
    let home = Home::init();
    assert_eq!(home.json(&["list"]), json!([]));
    assert_eq!(home.json(&["trash"]), json!([]));
    let check = home.json(&["check"]);
    assert_eq!(check["ok"], true, "{check:#}");
    assert_eq!(check["contacts"], 0, "{check:#}");
    assert!(home.ok(&["check"]).contains("intact"));
}

#[test]
fn devices_json_lists_this_device() {
    let home = Home::init();
    let device = home.json(&["device"]);
    assert_eq!(device["name"], "test device", "{device:#}");
    assert_eq!(device["has_vault"], true, "{device:#}");
    let devices = home.json(&["devices"]);
    let devices = devices.as_array().expect("an array");
    assert_eq!(devices.len(), 1, "{devices:#?}");
    assert_eq!(devices[0]["id"], device["id"]);
    assert_eq!(devices[0]["name"], "test device");
    assert_eq!(devices[0]["this_device"], true);
}

#[test]
fn check_counts_contacts_and_interactions() {
    let home = Home::init();
    home.id(&["add", "Ada Lovelace"]);
    home.id(&["add", "Grace Hopper"]);
    home.id(&["note", "ada", "talked about engines"]);
    let check = home.json(&["check"]);
    assert_eq!(check["ok"], true, "{check:#}");
    assert_eq!(check["contacts"], 2, "{check:#}");
    assert_eq!(check["interactions"], 1, "{check:#}");
}

#[test]
fn init_twice_fails_clearly_and_keeps_the_vault() {
    let home = Home::init();
    let id = home.id(&["add", "Ada Lovelace"]);
    let before = home.json(&["device"]);
    let err = home.fails(1, &["init"]);
    assert!(err.contains("already holds a vault"), "{err}");
    assert_eq!(home.json(&["device"]), before);
    assert_eq!(names(&home.json(&["list"])), ["Ada Lovelace"]);
    assert_eq!(home.json(&["list"])[0]["id"], id);
}

#[test]
fn commands_on_a_home_without_init_say_to_run_rapport_init() {
    let home = Home::empty();
    for args in [
        &["list"][..],
        &["add", "Ada Lovelace"],
        &["show", "ada"],
        &["check"],
        &["devices", "--json"],
    ] {
        let run = home.run(args);
        assert_clean_error(&run);
        assert!(
            run.stderr.contains("rapport init"),
            "the error should say to run `rapport init`:\n{}",
            run.describe()
        );
    }
    // A device identity alone (from `rapport device`) is not a vault either.
    let home = Home::empty();
    home.ok(&["device"]);
    for args in [&["list"][..], &["add", "Ada Lovelace"], &["check"]] {
        let run = home.run(args);
        assert_clean_error(&run);
        assert!(
            run.stderr.contains("rapport init"),
            "the error should say to run `rapport init`:\n{}",
            run.describe()
        );
    }
    home.ok(&["init"]);
    assert_eq!(home.json(&["list"]), json!([]));
}

#[test]
fn home_flag_and_rapport_home_env_both_work_and_the_flag_wins() {
    let by_flag = Home::init();
    by_flag.id(&["add", "Flag Person"]);
    let by_env = Home::init();
    by_env.id(&["add", "Env Person"]);

    let sandbox = tempfile::tempdir().expect("a temporary directory");
    let mut cmd = support::command(sandbox.path());
    cmd.env("RAPPORT_HOME", by_env.path())
        .args(["list", "--json"]);
    let run = support::run_command(cmd, support::owned(&["list", "--json"]));
    assert!(run.success(), "{}", run.describe());
    assert_eq!(names(&run.json()), ["Env Person"]);

    // A write through the environment lands in that home.
    let mut cmd = support::command(sandbox.path());
    cmd.env("RAPPORT_HOME", by_env.path())
        .args(["add", "Second Env Person"]);
    let run = support::run_command(cmd, support::owned(&["add", "Second Env Person"]));
    assert!(run.success(), "{}", run.describe());
    assert_eq!(
        names(&by_env.json(&["list"])),
        ["Env Person", "Second Env Person"]
    );

    // --home beats RAPPORT_HOME.
    let mut cmd = by_flag.command(&["list", "--json"]);
    cmd.env("RAPPORT_HOME", by_env.path());
    let run = support::run_command(cmd, support::owned(&["list", "--json"]));
    assert!(run.success(), "{}", run.describe());
    assert_eq!(names(&run.json()), ["Flag Person"]);
}

#[test]
fn list_while_another_process_holds_the_store_exits_4_in_use() {
    let home = Home::init();
    let id = home.id(&["add", "Ada Lovelace"]);
    let before = home.json(&["list"]);
    let held = rapport_store::Store::open(&home.store()).expect("opening the store in the test");
    for args in [&["list"][..], &["add", "Grace Hopper"], &["check"]] {
        // A command waits 30 s for a held store by default (tests/it/daemon.rs); not here.
        let mut cmd = home.command(args);
        cmd.env("RAPPORT_WAIT_FOR_STORE", "0");
        let run = support::run_command(cmd, support::owned(args));
        assert_eq!(run.code(), Some(4), "{}", run.describe());
        assert_clean_error(&run);
        assert!(run.stderr.contains("in use"), "{}", run.describe());
    }
    drop(held);
    let after = home.json(&["list"]);
    assert_eq!(after, before, "a refused command changed the vault");
    assert_eq!(after[0]["id"], id);
}

// ---- contacts ----

#[test]
fn add_with_every_option_then_list_json_has_every_field() {
    let home = Home::init();
    let intro = home.id(&["add", "Ivy Introducer"]);
    let id = home.id(&[
        "add",
        "Jeanne Yocum",
        "--email",
        "Jeanne@Example.ORG",
        "--email",
        "jy@work.example.com",
        "--phone",
        "+1 (555) 010-2030",
        "--url",
        "https://www.linkedin.com/in/jeanne",
        "--org",
        "Acme Corp",
        "--title",
        "CTO",
        "--tag",
        "VIP",
        "--tag",
        "board",
        "--trust",
        "worked-with",
        "--met-on",
        "2023-04-05",
        "--met-at",
        "RustConf",
        "--met-context",
        "hallway track",
        "--introduced-by",
        "ivy",
        "--connected-on",
        "2023-04-06",
        "--notes",
        "likes sailing",
    ]);
    let list = home.json(&["list"]);
    assert_eq!(names(&list), ["Ivy Introducer", "Jeanne Yocum"]);
    let c = by_id(&list, &id);
    assert_eq!(c["name"], "Jeanne Yocum");
    let mut emails = strings(&c["emails"]);
    emails.sort_unstable();
    assert_eq!(emails, ["jeanne@example.org", "jy@work.example.com"]);
    assert_eq!(strings(&c["phones"]), ["+15550102030"]);
    assert_eq!(strings(&c["links"]), ["https://www.linkedin.com/in/jeanne"]);
    assert_eq!(c["org"], "Acme Corp");
    assert_eq!(c["title"], "CTO");
    let mut tags = strings(&c["tags"]);
    tags.sort_unstable();
    assert_eq!(tags, ["board", "vip"]);
    assert_eq!(c["groups"], json!([]));
    assert_eq!(c["trust"], "worked-with");
    assert_eq!(c["met_on"], "2023-04-05");
    assert_eq!(c["met_at"], "RustConf");
    assert_eq!(c["met_context"], "hallway track");
    assert_eq!(c["introduced_by"], intro.as_str());
    assert_eq!(c["connected_on"], "2023-04-06");
    assert_eq!(c["notes"], "likes sailing");
    assert!(c.get("deleted").is_none(), "{c:#}");
    // show --json is the same card, plus the (empty) timeline.
    let shown = home.json(&["show", &id]);
    for field in [
        "name", "emails", "phones", "org", "title", "tags", "trust", "notes",
    ] {
        assert_eq!(shown[field], c[field], "field {field}");
    }
    assert_eq!(shown["interactions"], json!([]));
}

#[test]
fn note_then_show_json_has_the_interaction() {
    let home = Home::init();
    let ada = home.id(&["add", "Ada Lovelace"]);
    let grace = home.id(&["add", "Grace Hopper"]);
    let first = home.id(&["note", "ada", "lunch: talked about the engine"]);
    let second = home.id(&[
        "note",
        "ada",
        "call about the conference",
        "--kind",
        "call",
        "--at",
        "2024-03-01",
        "--place",
        "Zoom",
        "--with",
        "grace",
    ]);
    assert_ne!(first, second);
    let shown = home.json(&["show", "ada"]);
    let timeline = shown["interactions"].as_array().expect("interactions");
    assert_eq!(timeline.len(), 2, "{shown:#}");
    // Oldest first: the call was dated in 2024, the note is from now.
    let call = &timeline[0];
    assert_eq!(call["id"], second.as_str());
    assert_eq!(call["kind"], "call");
    assert_eq!(call["text"], "call about the conference");
    assert_eq!(call["at"], "2024-03-01T12:00:00Z");
    assert_eq!(call["place"], "Zoom");
    let mut with = strings(&call["contacts"]);
    with.sort_unstable();
    let mut expected = vec![ada.as_str(), grace.as_str()];
    expected.sort_unstable();
    assert_eq!(with, expected);
    let note = &timeline[1];
    assert_eq!(note["id"], first.as_str());
    assert_eq!(note["kind"], "note");
    assert_eq!(note["text"], "lunch: talked about the engine");
    assert!(
        note["at"]
            .as_str()
            .is_some_and(|at| at.len() >= 20 && at > "2024-03-01"),
        "{note:#}"
    );
    // The shared call is on Grace's timeline too, and only that.
    let grace_view = home.json(&["show", &grace]);
    let ids: Vec<&Value> = grace_view["interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&json!(second)]);
}

#[test]
fn edit_sets_and_clears_fields_and_adds_and_removes_emails_phones_urls() {
    let home = Home::init();
    let intro = home.id(&["add", "Ivy Introducer"]);
    let id = home.id(&[
        "add",
        "Jeanne Yocum",
        "--email",
        "old@example.org",
        "--phone",
        "555 0100",
        "--url",
        "https://old.example.org/j",
        "--org",
        "Old Corp",
        "--notes",
        "first notes",
    ]);
    let out = home.ok(&[
        "edit",
        "jeanne",
        "--name",
        "Jeanne Y. Yocum",
        "--title",
        "CEO",
        "--trust",
        "trusted",
        "--met-on",
        "2022-01-02",
        "--met-at",
        "Lisbon",
        "--met-context",
        "a meetup",
        "--introduced-by",
        "ivy",
        "--connected-on",
        "2022-01-03",
        "--email",
        "new@example.org",
        "--remove-email",
        "old@example.org",
        "--phone",
        "+44 20 7946 0123",
        "--remove-phone",
        "555-0100",
        "--url",
        "https://new.example.org/j",
        "--remove-url",
        "https://old.example.org/j",
        "--clear",
        "org",
        "--clear",
        "notes",
    ]);
    assert!(out.starts_with("updated"), "{out}");
    let c = home.json(&["show", &id]);
    assert_eq!(c["name"], "Jeanne Y. Yocum");
    assert_eq!(strings(&c["emails"]), ["new@example.org"]);
    assert_eq!(strings(&c["phones"]), ["+442079460123"]);
    assert_eq!(strings(&c["links"]), ["https://new.example.org/j"]);
    assert_eq!(c["org"], Value::Null);
    assert_eq!(c["notes"], Value::Null);
    assert_eq!(c["title"], "CEO");
    assert_eq!(c["trust"], "trusted");
    assert_eq!(c["met_on"], "2022-01-02");
    assert_eq!(c["met_at"], "Lisbon");
    assert_eq!(c["met_context"], "a meetup");
    assert_eq!(c["introduced_by"], intro.as_str());
    assert_eq!(c["connected_on"], "2022-01-03");

    // Every clearable field clears.
    let mut args = vec!["edit", id.as_str()];
    for field in [
        "title",
        "trust",
        "met-on",
        "met-at",
        "met-context",
        "introduced-by",
        "connected-on",
    ] {
        args.extend(["--clear", field]);
    }
    home.ok(&args);
    let c = home.json(&["show", &id]);
    for field in [
        "org",
        "title",
        "notes",
        "trust",
        "met_on",
        "met_at",
        "met_context",
        "introduced_by",
        "connected_on",
    ] {
        assert_eq!(c[field], Value::Null, "{field} was not cleared: {c:#}");
    }
    assert_eq!(c["name"], "Jeanne Y. Yocum");
    assert_eq!(strings(&c["emails"]), ["new@example.org"]);
}

#[test]
fn tag_adds_plus_tags_and_removes_minus_tags() {
    let home = Home::init();
    let id = home.id(&["add", "Jeanne Yocum", "--tag", "old", "--tag", "b"]);
    let out = home.ok(&["tag", "jeanne", "+a", "-b", "fresh"]);
    assert!(out.contains("#a") && !out.contains("#b"), "{out}");
    let c = home.json(&["show", &id]);
    let mut tags = strings(&c["tags"]);
    tags.sort_unstable();
    assert_eq!(tags, ["a", "fresh", "old"]);
    home.ok(&["tag", &id, "-old", "-fresh"]);
    assert_eq!(strings(&home.json(&["show", &id])["tags"]), ["a"]);
}

#[test]
fn rm_moves_a_contact_to_the_trash_and_restore_brings_it_back() {
    let home = Home::init();
    let ada = home.id(&["add", "Ada Lovelace"]);
    home.id(&["add", "Grace Hopper"]);
    home.id(&["note", "ada", "remember this"]);
    let out = home.ok(&["rm", "ada"]);
    assert!(out.contains(&ada), "{out}");
    assert_eq!(names(&home.json(&["list"])), ["Grace Hopper"]);
    let trash = home.json(&["trash"]);
    assert_eq!(names(&trash), ["Ada Lovelace"]);
    assert_eq!(trash[0]["id"], ada.as_str());
    assert!(trash[0]["deleted"].is_string(), "{trash:#}");
    // A trashed contact is not found by search, and a live-only command does not see it.
    assert_eq!(home.json(&["search", "lovelace"]), json!([]));
    home.fails(3, &["note", "ada", "more"]);

    home.ok(&["restore", "ada"]);
    assert_eq!(home.json(&["trash"]), json!([]));
    let list = home.json(&["list"]);
    assert_eq!(names(&list), ["Ada Lovelace", "Grace Hopper"]);
    let shown = home.json(&["show", &ada]);
    assert!(shown.get("deleted").is_none(), "{shown:#}");
    assert_eq!(shown["interactions"][0]["text"], "remember this");
}

// ---- groups ----

#[test]
fn group_create_add_remove_delete_restore_list_and_show() {
    let home = Home::init();
    let ada = home.id(&["add", "Ada Lovelace"]);
    let grace = home.id(&["add", "Grace Hopper"]);
    home.id(&["add", "Alan Turing"]);
    let group = home.id(&[
        "group",
        "create",
        "Pioneers",
        "--description",
        "the first ones",
    ]);
    home.ok(&["group", "add", "pioneers", "ada", "grace"]);

    let groups = home.json(&["group", "list"]);
    assert_eq!(groups.as_array().map(Vec::len), Some(1), "{groups:#}");
    assert_eq!(groups[0]["id"], group.as_str());
    assert_eq!(groups[0]["name"], "Pioneers");
    assert_eq!(groups[0]["description"], "the first ones");
    assert_eq!(groups[0]["members"], 2);
    let shown = home.json(&["group", "show", "Pioneers"]);
    assert_eq!(names(&shown["contacts"]), ["Ada Lovelace", "Grace Hopper"]);
    let list = home.json(&["list"]);
    assert_eq!(strings(&by_id(&list, &ada)["groups"]), ["Pioneers"]);
    assert_eq!(
        names(&home.json(&["list", "--group", "pioneers"])),
        ["Ada Lovelace", "Grace Hopper"]
    );

    home.ok(&["group", "remove", "Pioneers", "grace"]);
    assert_eq!(
        names(&home.json(&["list", "--group", "Pioneers"])),
        ["Ada Lovelace"]
    );
    assert_eq!(by_id(&home.json(&["list"]), &grace)["groups"], json!([]));
    home.ok(&["group", "add", "Pioneers", &grace]);

    home.ok(&["group", "delete", "pioneers"]);
    assert_eq!(home.json(&["group", "list"]), json!([]));
    let deleted = home.json(&["group", "list", "--deleted"]);
    assert_eq!(deleted[0]["id"], group.as_str());
    assert!(deleted[0]["deleted"].is_string(), "{deleted:#}");
    assert_eq!(by_id(&home.json(&["list"]), &ada)["groups"], json!([]));
    home.fails(3, &["list", "--group", "Pioneers"]);

    let out = home.ok(&["group", "restore", "Pioneers"]);
    assert!(out.contains("2 members"), "{out}");
    assert_eq!(
        names(&home.json(&["list", "--group", "Pioneers"])),
        ["Ada Lovelace", "Grace Hopper"]
    );
    assert_eq!(
        strings(&by_id(&home.json(&["list"]), &ada)["groups"]),
        ["Pioneers"]
    );
    assert_eq!(home.json(&["group", "list"])[0]["members"], 2);
}

#[test]
fn unknown_group_exits_3() {
    let home = Home::init();
    home.id(&["add", "Ada Lovelace"]);
    let err = home.fails(3, &["group", "add", "nobody-group", "ada"]);
    assert!(err.contains("nobody-group"), "{err}");
    home.fails(3, &["list", "--group", "nobody-group"]);
    home.fails(3, &["group", "restore", "nobody-group"]);
}

// ---- reading: filters and search ----

#[test]
fn list_filters_by_tag_group_and_trust() {
    let home = Home::init();
    home.id(&["add", "Ada Lovelace", "--tag", "math", "--trust", "trusted"]);
    home.id(&["add", "Grace Hopper", "--tag", "navy", "--trust", "met"]);
    home.id(&[
        "add",
        "Alan Turing",
        "--tag",
        "math",
        "--trust",
        "acquainted",
    ]);
    home.id(&["add", "Nobody Known"]);
    home.id(&["group", "create", "Friends"]);
    home.ok(&["group", "add", "friends", "grace", "alan"]);

    assert_eq!(
        names(&home.json(&["list", "--tag", "math"])),
        ["Ada Lovelace", "Alan Turing"]
    );
    assert_eq!(
        names(&home.json(&["list", "--tag", "MATH"])),
        ["Ada Lovelace", "Alan Turing"]
    );
    assert_eq!(
        names(&home.json(&["list", "--group", "Friends"])),
        ["Alan Turing", "Grace Hopper"]
    );
    assert_eq!(
        names(&home.json(&["list", "--trust-at-least", "met"])),
        ["Ada Lovelace", "Grace Hopper"]
    );
    assert_eq!(
        names(&home.json(&["list", "--trust-at-least", "stranger"])),
        ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    );
    assert_eq!(
        names(&home.json(&["list", "--tag", "math", "--group", "friends"])),
        ["Alan Turing"]
    );
    assert_eq!(home.json(&["list", "--tag", "nothing"]), json!([]));
    assert_eq!(
        names(&home.json(&["list"])),
        [
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Nobody Known"
        ]
    );
}

#[test]
fn search_finds_by_name_org_email_tag_and_interaction_text() {
    let home = Home::init();
    let ada = home.id(&["add", "Ada Lovelace", "--org", "Analytical Engines Ltd"]);
    let grace = home.id(&["add", "Grace Hopper", "--email", "grace@navy.example.mil"]);
    let alan = home.id(&["add", "Alan Turing", "--tag", "codebreaker"]);
    let kat = home.id(&["add", "Katherine Johnson"]);
    home.id(&[
        "note",
        "katherine",
        "discussed orbital trajectories over coffee",
    ]);

    let hit = |query: &str| -> Vec<String> {
        let hits = home.json(&["search", query]);
        hits.as_array()
            .expect("an array")
            .iter()
            .map(|h| h["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    assert_eq!(hit("lovelace"), [ada.as_str()], "by name");
    assert_eq!(hit("ANALYTICAL"), [ada], "by org, case-insensitively");
    assert_eq!(hit("navy.example"), [grace], "by email");
    assert_eq!(hit("codebreaker"), [alan], "by tag");
    assert_eq!(hit("trajector"), [kat.as_str()], "by interaction text");
    assert!(hit("zzz-nothing-matches").is_empty());
    let hits = home.json(&["search", "orbital"]);
    let matched = hits[0]["matched"].to_string();
    assert!(matched.contains("orbital"), "{hits:#}");
    assert_eq!(hits[0]["id"], kat.as_str());
}

// ---- contact references ----

#[test]
fn contact_references_resolve_by_id_prefix_email_and_part_of_a_name() {
    let home = Home::init();
    let id = home.id(&["add", "Jeanne Yocum", "--email", "jy@example.org"]);
    home.id(&["add", "Grace Hopper"]);
    let shown_id = |reference: &str| -> String {
        home.json(&["show", reference])["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    };
    assert_eq!(shown_id(&id), id, "by id");
    assert_eq!(shown_id(&id[..8]), id, "by id prefix");
    assert_eq!(shown_id("jy@example.org"), id, "by exact email");
    assert_eq!(shown_id("jeanne"), id, "by part of the name, any case");
    assert_eq!(shown_id("YOCUM"), id, "by part of the name, any case");
    assert_eq!(shown_id("Jeanne Yocum"), id, "by the whole name");
    // The same references work for writes.
    home.ok(&["tag", &id[..6], "+by-prefix"]);
    home.ok(&["tag", "jy@example.org", "+by-email"]);
    let mut tags = strings(&home.json(&["show", &id])["tags"])
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    tags.sort_unstable();
    assert_eq!(tags, ["by-email", "by-prefix"]);
}

#[test]
fn ambiguous_reference_exits_3_and_lists_both_candidates() {
    let home = Home::init();
    let jeanne = home.id(&["add", "Jeanne Yocum"]);
    let jean = home.id(&["add", "Jean Paul"]);
    let before = home.json(&["list"]);
    for args in [
        &["show", "jean"][..],
        &["note", "jean", "hello"],
        &["rm", "jean"],
    ] {
        let run = home.run(args);
        assert_eq!(run.code(), Some(3), "{}", run.describe());
        assert_clean_error(&run);
        for (id, name) in [(&jeanne, "Jeanne Yocum"), (&jean, "Jean Paul")] {
            assert!(
                run.stderr.contains(id.as_str()) && run.stderr.contains(name),
                "the candidate {name} ({id}) is not listed:\n{}",
                run.describe()
            );
        }
    }
    assert_eq!(home.json(&["list"]), before);
    // The whole name is exact, so it is not ambiguous.
    assert_eq!(home.json(&["show", "Jean Paul"])["id"], jean.as_str());
}

#[test]
fn unknown_contact_exits_3() {
    let home = Home::init();
    home.id(&["add", "Ada Lovelace"]);
    let before = home.json(&["list"]);
    for args in [
        &["show", "nobody"][..],
        &["edit", "nobody", "--org", "X Corp"],
        &["note", "nobody", "hello"],
        &["tag", "nobody", "+x"],
        &["rm", "nobody"],
        &["restore", "ada"],
        &["add", "Grace Hopper", "--introduced-by", "nobody"],
        &["note", "ada", "hello", "--with", "nobody"],
        &["show", "0123456789abcdef"],
    ] {
        let err = home.fails(3, args);
        assert!(err.starts_with("error: "), "{err}");
    }
    assert_eq!(home.json(&["list"]), before);
}

// ---- bad input ----

#[test]
fn bad_input_exits_2_with_one_error_line_and_changes_nothing() {
    let home = Home::init();
    let ada = home.id(&["add", "Ada Lovelace", "--email", "ada@example.org"]);
    home.id(&["note", "ada", "first"]);
    let list_before = home.json(&["list"]);
    let show_before = home.json(&["show", &ada]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["add", "Grace Hopper", "--email", "not-an-email"],
            "not-an-email",
        ),
        (
            &["add", "Grace Hopper", "--email", "grace@localhost"],
            "grace@localhost",
        ),
        (
            &["add", "Grace Hopper", "--met-on", "2024-13-01"],
            "2024-13-01",
        ),
        (
            &["add", "Grace Hopper", "--connected-on", "yesterday"],
            "yesterday",
        ),
        (
            &["add", "Grace Hopper", "--trust", "best-friend"],
            "best-friend",
        ),
        (&["add", "Grace Hopper", "--phone", "call me"], "call me"),
        (
            &["add", "Grace Hopper", "--url", "www.no-scheme.org"],
            "www.no-scheme.org",
        ),
        (&["add", "Grace Hopper", "--tag", "two words"], "two words"),
        (&["add", "   "], "name"),
        // One bad value rejects the whole add, even after good ones.
        (
            &[
                "add",
                "Grace Hopper",
                "--org",
                "Navy",
                "--email",
                "g@navy.mil",
                "--email",
                "bad",
            ],
            "bad",
        ),
        (&["edit", "ada", "--email", "still bad"], "still bad"),
        (&["edit", "ada", "--met-on", "05/04/2023"], "05/04/2023"),
        (&["edit", "ada", "--trust", "BFF"], "BFF"),
        (&["edit", "ada", "--clear", "shoe-size"], "shoe-size"),
        (
            &[
                "edit",
                "ada",
                "--org",
                "New Org",
                "--connected-on",
                "2023-02-30",
            ],
            "2023-02-30",
        ),
        (&["tag", "ada", "+two words"], "two words"),
        (
            &["note", "ada", "hello", "--at", "next tuesday"],
            "next tuesday",
        ),
        (
            &["note", "ada", "hello", "--kind", "telepathy"],
            "telepathy",
        ),
        (&["note", "ada", "   "], "text"),
        (&["list", "--trust-at-least", "soulmate"], "soulmate"),
        (&["search", "  "], "empty"),
    ];
    for (args, mentions) in cases {
        let err = home.fails(2, args);
        assert!(
            err.contains(mentions),
            "`rapport {}`: the error should mention `{mentions}`: {err}",
            args.join(" ")
        );
    }
    assert_eq!(home.json(&["list"]), list_before);
    assert_eq!(home.json(&["show", &ada]), show_before);
    assert_eq!(home.json(&["trash"]), json!([]));
    assert_eq!(home.json(&["check"])["interactions"], 1);
}

#[test]
fn usage_errors_exit_2_without_touching_stdout() {
    let home = Home::init();
    for args in [
        &["frobnicate"][..],
        &["add"],
        &["tag", "ada"],
        &["list", "--bogus"],
    ] {
        let run = home.run(args);
        assert_eq!(run.code(), Some(2), "{}", run.describe());
        assert_no_panic_and_quiet_stdout(&run);
    }
}

fn assert_no_panic_and_quiet_stdout(run: &support::Run) {
    support::assert_no_panic(run);
    assert!(run.stdout.is_empty(), "{}", run.describe());
    assert!(run.stderr.starts_with("error: "), "{}", run.describe());
}

/// The README describes what the binary does: nothing it ships is still "planned" (pairing
/// with a code was, long after `rapport pair` existed).
#[test]
fn readme_calls_no_shipped_command_planned() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("reading README.md");
    let help = Home::empty().ok(&["--help"]);
    for paragraph in readme.split("\n\n").filter(|p| p.contains("planned")) {
        let lower = paragraph.to_lowercase();
        let shipped: Vec<&str> = help
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|cmd| cmd.len() > 2 && lower.contains(cmd))
            .collect();
        assert!(
            shipped.is_empty() && !lower.contains("pairing"),
            "README calls something planned that `rapport` already does ({shipped:?}): {paragraph}"
        );
    }
}
