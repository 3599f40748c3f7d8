//! Import, export, backup and duplicates through the real binary: summaries, idempotence,
//! dry runs, broken files that change nothing, round trips between homes, merging a backup,
//! and `dedupe`/`merge` with a merged id that still resolves.

use crate::support::{assert_no_panic, Home};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/import")
        .join(name);
    assert!(path.is_file(), "missing fixture {}", path.display());
    path.to_string_lossy().into_owned()
}

/// The list without the fields that differ between two homes holding the same people.
fn people(list: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = list
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|c| {
            let mut c = c.clone();
            let obj = c.as_object_mut().expect("a contact object");
            for k in ["id", "created", "updated"] {
                obj.remove(k);
            }
            c
        })
        .collect();
    out.sort_by_key(|c| c.to_string());
    out
}

fn names(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|c| c["name"].as_str().expect("a name").to_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn linkedin_import_prints_a_summary_and_a_second_import_changes_nothing() {
    let home = Home::init();
    let file = fixture("linkedin-connections.csv");
    let out = home.ok(&["import", "linkedin", &file]);
    assert!(
        out.contains("4 created, 0 updated, 0 unchanged, 1 skipped"),
        "{out}"
    );
    assert!(out.contains("skipped line 8: it has no name"), "{out}");
    assert!(
        out.contains("line 9: left out email `not-an-email`"),
        "{out}"
    );
    let list = home.json(&["list"]);
    assert_eq!(list.as_array().unwrap().len(), 4);
    let jeanne = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Jeanne Yocum")
        .unwrap();
    assert_eq!(jeanne["org"], "Yocum & Partners, LLC");
    assert_eq!(jeanne["connected_on"], "2020-10-05");
    let shown = home.json(&["show", jeanne["id"].as_str().unwrap()]);
    assert_eq!(shown["interactions"][0]["text"], "Connected on LinkedIn");

    let again = home.ok(&["import", "linkedin", &file]);
    assert!(again.contains("nothing to change; 4 unchanged"), "{again}");
    assert!(
        again.contains("matched 4 existing contacts by profile URL"),
        "{again}"
    );
    assert_eq!(home.json(&["list"]), list);
}

#[test]
fn a_dry_run_shows_the_summary_and_writes_nothing() {
    let home = Home::init();
    let out = home.ok(&["import", "vcard", &fixture("contacts-v3.vcf"), "--dry-run"]);
    assert!(out.contains("dry run"), "{out}");
    assert!(out.contains("would create 3"), "{out}");
    assert_eq!(home.json(&["list"]), serde_json::json!([]));
}

#[test]
fn broken_files_give_one_clear_error_and_change_nothing() {
    let home = Home::init();
    home.ok(&["import", "csv", &fixture("spreadsheet.csv")]);
    let before = home.json(&["list"]);
    let cases = [
        ("linkedin", "broken-linkedin-quoting.csv", "line 6"),
        (
            "linkedin",
            "broken-linkedin-latin1.csv",
            "line 5 is not valid UTF-8",
        ),
        ("linkedin", "broken-binary-junk.csv", "not text"),
        ("csv", "broken-spreadsheet-fields.csv", "line 3"),
        ("vcard", "broken-binary-junk.vcf", "not text"),
        ("vcard", "broken-vcard-no-name.vcf", "card 1 (line 1)"),
        ("vcard", "broken-vcard-unterminated.vcf", "card 2 (line 6)"),
        ("linkedin", "contacts-v3.vcf", "no LinkedIn header"),
    ];
    for (kind, file, expected) in cases {
        let err = home.fails(2, &["import", kind, &fixture(file)]);
        assert!(err.contains(expected), "{file}: {err}");
        assert!(err.contains(file), "the error names the file: {err}");
    }
    assert_eq!(
        home.json(&["list"]),
        before,
        "a refused import changed the vault"
    );
}

#[test]
fn a_200_mb_file_is_refused_before_it_is_read() {
    let home = Home::init();
    let big = home.path().join("huge.csv");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(200 << 20).unwrap(); // sparse: no 200 MB written to the test machine's disk
    let err = home.fails(2, &["import", "linkedin", big.to_str().unwrap()]);
    assert!(err.contains("over the import limit"), "{err}");
}

#[test]
fn vcard_export_reimports_to_the_same_contacts_in_another_home() {
    let a = Home::init();
    a.ok(&["import", "vcard", &fixture("contacts-v3.vcf")]);
    a.ok(&["import", "vcard", &fixture("contacts-v4.vcf")]);
    a.ok(&["import", "linkedin", &fixture("linkedin-connections.csv")]);
    let exported = a.path().join("out.vcf");
    let out = a.ok(&["export", "vcard", "--out", exported.to_str().unwrap()]);
    assert!(out.starts_with("wrote "), "{out}");
    let b = Home::init();
    b.ok(&["import", "vcard", exported.to_str().unwrap()]);
    assert_eq!(people(&a.json(&["list"])), people(&b.json(&["list"])));
    // And exporting again gives the same file.
    let again = b.path().join("again.vcf");
    b.ok(&["export", "vcard", "--out", again.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&exported).unwrap(),
        std::fs::read_to_string(&again).unwrap()
    );
}

#[test]
fn json_export_is_the_list_shape_plus_interactions_and_csv_reimports() {
    let home = Home::init();
    home.ok(&["import", "linkedin", &fixture("linkedin-connections.csv")]);
    let run = home.run(&["export", "json"]);
    assert!(run.success(), "{}", run.describe());
    let exported: Value = run.json();
    let list = home.json(&["list"]);
    let mut stripped = exported.clone();
    let mut logged = 0;
    assert_eq!(exported["groups"], serde_json::json!([]));
    assert_eq!(exported["tag_cadences"], serde_json::json!({}));
    for c in stripped["contacts"].as_array_mut().unwrap() {
        let interactions = c.as_object_mut().unwrap().remove("interactions").unwrap();
        logged += interactions.as_array().unwrap().len();
    }
    assert_eq!(logged, 3, "one per contact with a Connected On date");
    assert_eq!(stripped["contacts"], list);

    let csv = home.path().join("out.csv");
    home.ok(&["export", "csv", "--out", csv.to_str().unwrap()]);
    let other = Home::init();
    let out = other.ok(&["import", "csv", csv.to_str().unwrap()]);
    assert!(out.contains("4 created"), "{out}");
    assert_eq!(names(&other.json(&["list"])), names(&list));
}

#[test]
fn restore_backup_merges_and_never_removes() {
    let home = Home::init();
    let jeanne = home.id(&["add", "Jeanne Yocum", "--email", "jeanne@example.org"]);
    let backup = home.path().join("vault.automerge");
    let out = home.ok(&["backup", backup.to_str().unwrap()]);
    assert!(out.contains("1 contacts"), "{out}");
    // The backup is a plain Automerge document (magic bytes 85 6f 4a 83).
    let bytes = std::fs::read(&backup).unwrap();
    assert_eq!(&bytes[..4], &[0x85, 0x6f, 0x4a, 0x83]);
    let omar = home.id(&["add", "Omar Haddad"]);
    home.ok(&["rm", &jeanne]);
    let out = home.ok(&["restore-backup", backup.to_str().unwrap()]);
    assert!(out.contains("already holds everything"), "{out}");
    let list = names(&home.json(&["list"]));
    assert_eq!(list, ["Omar Haddad"], "the trash and later adds are kept");
    assert!(!omar.is_empty());

    // A backup of another vault, and a file that is not a backup, are refused.
    let other = Home::init();
    other.ok(&["add", "Someone Else"]);
    let foreign = other.path().join("other.automerge");
    other.ok(&["backup", foreign.to_str().unwrap()]);
    let err = home.fails(2, &["restore-backup", foreign.to_str().unwrap()]);
    assert!(err.contains("another vault"), "{err}");
    let junk = fixture("contacts-v3.vcf");
    let err = home.fails(2, &["restore-backup", &junk]);
    assert!(err.contains("not an Automerge document"), "{err}");
    assert_eq!(names(&home.json(&["list"])), ["Omar Haddad"]);
}

#[test]
fn restore_backup_brings_back_what_only_the_backup_holds() {
    let a = Home::init();
    a.ok(&["add", "Jeanne Yocum"]);
    let backup = a.path().join("a.automerge");
    a.ok(&["backup", backup.to_str().unwrap()]);
    // The same vault as it was at the first backup (a copy of the home), which never saw
    // what was added later.
    let b = Home::copy_of(&a);
    a.ok(&["add", "Omar Haddad"]);
    let later = a.path().join("later.automerge");
    a.ok(&["backup", later.to_str().unwrap()]);
    let out = b.ok(&["restore-backup", later.to_str().unwrap()]);
    assert!(out.contains("merged"), "{out}");
    assert_eq!(names(&b.json(&["list"])), ["Jeanne Yocum", "Omar Haddad"]);
}

#[test]
fn dedupe_lists_reasons_applies_certain_merges_and_merged_ids_resolve() {
    let home = Home::init();
    let a = home.id(&["add", "Jeanne Yocum", "--email", "jeanne@example.org"]);
    let b = home.id(&[
        "add",
        "Jeanne Y.",
        "--email",
        "jeanne@example.org",
        "--phone",
        "+44 20 7946 0123",
        "--tag",
        "vip",
    ]);
    home.id(&["note", &b, "Coffee in Leeds"]);
    let c = home.id(&["add", "Omar Haddad", "--org", "Acme"]);
    let d = home.id(&["add", "Omar Hadad", "--org", "Acme"]);
    let found = home.json(&["dedupe"]);
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0]["keep"]["id"], a.as_str());
    assert_eq!(found[0]["merge"]["id"], b.as_str());
    assert_eq!(found[0]["certain"], true);
    assert_eq!(found[0]["reasons"][0], "same email jeanne@example.org");
    assert_eq!(found[1]["certain"], false);
    assert!(found[1]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("close names"));

    let out = home.ok(&["dedupe", "--apply"]);
    assert!(out.contains("1 contacts merged"), "{out}");
    let shown = home.json(&["show", &b]);
    assert_eq!(
        shown["id"],
        a.as_str(),
        "the merged id resolves to the survivor"
    );
    assert_eq!(shown["phones"][0], "+442079460123");
    assert_eq!(shown["tags"][0], "vip");
    assert_eq!(shown["interactions"][0]["text"], "Coffee in Leeds");
    assert_eq!(names(&home.json(&["list"])).len(), 3);

    let out = home.ok(&["merge", &c, &d]);
    assert!(out.contains("merged"), "{out}");
    assert_eq!(home.json(&["show", &d])["id"], c.as_str());
    assert_eq!(home.json(&["dedupe"]), serde_json::json!([]));
    let run = home.run(&["merge", &c, &c]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert_no_panic(&run);
}

#[test]
fn every_corpus_card_imports_through_the_cli() {
    // The shared corpus lives beside the repository (see crates/formats/tests/import.rs).
    let found = std::env::var_os("RAPPORT_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")])
        .map(|base| base.join("vcard-syncevolution"))
        .find(|dir| dir.is_dir());
    let Some(dir) = found else {
        // CI runs beside a copy of shared/, which holds the corpus: missing there is a failure.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the vCard corpus is not beside the repository (../shared/corpus) in CI; set RAPPORT_CORPUS"
        );
        eprintln!("skipped: the vCard corpus is not here (set RAPPORT_CORPUS)");
        return;
    };
    let home = Home::init();
    let out = home.ok(&["import", "vcard", dir.to_str().unwrap()]);
    assert!(
        out.starts_with("imported vcard vcard-syncevolution: "),
        "{out}"
    );
    // Cards that repeat a UID, URL or email of an earlier card are skipped, naming the card.
    for line in out.lines().filter(|l| l.contains("skipped card")) {
        assert!(line.contains(".vcf line "), "{line}");
    }
    assert!(names(&home.json(&["list"])).len() >= 20, "{out}");
}

#[test]
fn import_undo_reverts_the_last_import_and_keeps_what_was_there_before() {
    let home = Home::init();
    let kept = home.id(&["add", "Keep Me", "--org", "Before"]);
    home.ok(&["import", "linkedin", &fixture("linkedin-connections.csv")]);
    assert_eq!(home.json(&["list"]).as_array().unwrap().len(), 5);
    // An unrelated action after the import: `import undo` skips it and finds the import.
    home.ok(&["tag", &kept, "friend"]);

    let out = home.ok(&["import", "undo"]);
    assert!(out.contains("undid `import linkedin"), "{out}");
    let list = home.json(&["list"]);
    assert_eq!(names(&list), ["Keep Me"], "{list}");
    assert_eq!(list[0]["tags"][0], "friend", "the later tag stays: {list}");
    // The import's contacts are in the trash, where `restore` can bring one back.
    assert_eq!(home.json(&["trash"]).as_array().unwrap().len(), 4);

    let error = home.fails(3, &["import", "undo"]);
    assert!(
        error.contains("no import on this device is left to undo"),
        "{error}"
    );
}

#[test]
fn a_relative_path_means_the_users_folder_when_the_daemon_runs_the_command() {
    let home = Home::init();
    let work = tempfile::tempdir().expect("a temp dir");
    std::fs::copy(
        fixture("linkedin-connections.csv"),
        work.path().join("Connections.csv"),
    )
    .expect("copy the fixture");
    let daemon = crate::daemon::Daemon::start(&home);
    let args = ["import", "linkedin", "Connections.csv"];
    let mut cmd = home.command(&args);
    cmd.current_dir(work.path());
    let run = crate::support::run_command(cmd, crate::support::owned(&args));
    assert!(run.success(), "{}", run.describe());
    assert!(run.stdout.contains("4 created"), "{}", run.describe());

    let args = ["export", "vcard", "--out", "out.vcf"];
    let mut cmd = home.command(&args);
    cmd.current_dir(work.path());
    let run = crate::support::run_command(cmd, crate::support::owned(&args));
    assert!(run.success(), "{}", run.describe());
    let exported = std::fs::read_to_string(work.path().join("out.vcf")).expect("the export");
    assert_eq!(exported.matches("BEGIN:VCARD").count(), 4, "{exported}");
    daemon.stop();
}
