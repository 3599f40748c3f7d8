//! Imports against a real vault: round trips, idempotent re-imports, one commit per import,
//! broken files, and the real-world vCard corpus (`../shared/corpus/vcard-syncevolution/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{rngs::StdRng, RngCore, SeedableRng};
use rapport_formats::plan::{self, Action};
use rapport_formats::{linkedin, table, vcard_in, vcard_out, ImportError, Limits, Parsed};
use rapport_model::{Contact, ContactExtras, ContactId, DeviceId, InteractionId, Vault, VaultId};
use std::io::Read;
use std::path::{Path, PathBuf};

const NOW: i64 = 1_700_000_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/import").join(name)
}

/// The shared real-world corpus: `RAPPORT_CORPUS` (a folder holding `vcard-syncevolution/`),
/// else `../shared/corpus` beside the repository as the workplace lays it out. A checkout
/// without it skips the corpus tests and says so, except under `CI=true`, where it fails.
fn corpus() -> Option<PathBuf> {
    let candidates = std::env::var_os("RAPPORT_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain([root().join("../shared/corpus")]);
    for base in candidates {
        let dir = base.join("vcard-syncevolution");
        if dir.is_dir() {
            return Some(dir);
        }
    }
    // CI runs beside a copy of shared/, which holds the corpus: missing there is a failure.
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the vCard corpus is not beside the repository (../shared/corpus) in CI; set RAPPORT_CORPUS"
    );
    eprintln!(
        "skipped: the vCard corpus is not here (set RAPPORT_CORPUS to the folder holding vcard-syncevolution/)"
    );
    None
}

fn vault() -> Vault {
    Vault::create(
        DeviceId::from_bytes([1; 32]),
        "test",
        VaultId::from_u64(9),
        NOW,
    )
    .unwrap()
}

fn open(path: &Path) -> std::fs::File {
    std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_vcard(path: &Path) -> Parsed {
    vcard_in::parse(open(path), "", Limits::default()).unwrap()
}

/// Plans and applies `parsed`; returns the plan.
fn import(v: &mut Vault, parsed: Parsed, source: &str) -> plan::Plan {
    // Each import draws other ids (a real import draws them at random).
    static SEED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let seed = SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rng = StdRng::seed_from_u64(seed);
    let p = plan::plan(v, parsed, || ContactId::random(&mut rng)).unwrap();
    let mut rng = StdRng::seed_from_u64(seed + 1_000_000);
    plan::apply(
        v,
        &p,
        source,
        NOW,
        || InteractionId::from_u64(rng.next_u64()),
        &mut |_| {},
    )
    .unwrap();
    p
}

/// What a vault holds about its live contacts, without ids and times: equal for two vaults
/// that hold the same people.
fn content(v: &Vault) -> Vec<(Contact, ContactExtras)> {
    let mut out: Vec<(Contact, ContactExtras)> = v
        .contacts()
        .unwrap()
        .into_iter()
        .filter(|c| !c.is_trashed())
        .map(|mut c| {
            let extras = v.contact_extras(c.id).unwrap().unwrap();
            c.id = ContactId::from_u64(0);
            c.created = 0;
            c.updated = 0;
            (c, extras)
        })
        .collect();
    out.sort_by_key(|a| format!("{a:?}"));
    out
}

fn export(v: &Vault) -> String {
    let contacts = v.contacts().unwrap();
    let mut pairs = Vec::new();
    for c in contacts.iter().filter(|c| !c.is_trashed()) {
        pairs.push((c, v.contact_extras(c.id).unwrap().unwrap()));
    }
    let mut out = Vec::new();
    vcard_out::write_all(&mut out, pairs.iter().map(|(c, e)| (*c, e))).unwrap();
    String::from_utf8(out).unwrap()
}

/// vCard -> vault -> vCard -> vault: the two vaults hold the same, and the two exports are
/// the same text.
fn assert_round_trip(path: &Path) -> Vault {
    let mut first = vault();
    import(&mut first, parse_vcard(path), "vcard test");
    let exported = export(&first);
    let mut second = vault();
    let parsed = vcard_in::parse_str(&exported, "", Limits::default()).unwrap();
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    import(&mut second, parsed, "vcard test");
    let (a, b) = (content(&first), content(&second));
    assert_eq!(a.len(), b.len(), "{}", path.display());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "{}: the round trip changed a contact", path.display());
    }
    // Export order follows ids, which differ between the two vaults: compare the cards.
    let cards = |text: &str| {
        let mut cards: Vec<String> = text.split("BEGIN:VCARD").map(str::to_owned).collect();
        cards.sort();
        cards
    };
    let (a, b) = (cards(&exported), cards(&export(&second)));
    let differ = a.iter().zip(&b).find(|(x, y)| x != y);
    assert!(
        a.len() == b.len() && differ.is_none(),
        "{}: exporting the re-imported vault gave other cards: {differ:?}",
        path.display()
    );
    first
}

fn find(v: &Vault, name: &str) -> Contact {
    v.contacts()
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no contact named {name}"))
}

#[test]
fn vcard_fixtures_round_trip_to_the_same_vault() {
    let v = assert_round_trip(&fixture("contacts-v3.vcf"));
    let jean = find(&v, "Dr. Jean Pierre Dupont");
    assert_eq!(jean.emails.len(), 2);
    assert_eq!(jean.phones.len(), 2);
    assert_eq!(jean.org.as_deref(), Some("Société Générale, SA, Direction"));
    assert_eq!(jean.title.as_deref(), Some("Directeur, Innovation"));
    assert_eq!(
        jean.notes.as_deref(),
        Some("Met at the Lyon conference; talked about CRDTs, sync and offline-first design. Follow up in spring.")
    );
    let tags: Vec<&str> = jean.tags.iter().map(String::as_str).collect();
    assert_eq!(tags, ["conference-contacts", "vip", "work"]);
    let extras = v.contact_extras(jean.id).unwrap().unwrap();
    assert_eq!(extras.birthday.as_deref(), Some("1975-06-21"));
    let kept = extras.vcard_extra.unwrap();
    for prop in [
        "ADR;TYPE=WORK",
        "X-SOCIALPROFILE",
        "NICKNAME:JP",
        "UID:2b6f1f2e",
    ] {
        assert!(kept.contains(prop), "{prop} not kept in {kept:?}");
    }
    // A TEL Rapport cannot store is kept verbatim instead of being lost.
    let haruki = find(&v, "中村 春樹");
    let kept = v
        .contact_extras(haruki.id)
        .unwrap()
        .unwrap()
        .vcard_extra
        .unwrap();
    assert!(kept.contains("TEL:not a number"), "{kept}");
    assert!(
        kept.contains("X-CUSTOM-FIELD:kept verbatim\\, with a comma"),
        "{kept}"
    );
    assert!(find(&v, "Σοφία Σωκράτους")
        .notes
        .unwrap()
        .contains("must be folded"));

    let v = assert_round_trip(&fixture("contacts-v4.vcf"));
    let ana = find(&v, "Ana María López-García");
    assert_eq!(
        ana.notes.as_deref(),
        Some("Línea uno\nLínea dos with comma, semicolon; and backslash\\ end")
    );
    assert!(ana.phones.contains("+34600123456"));
    let extras = v.contact_extras(ana.id).unwrap().unwrap();
    assert_eq!(extras.anniversary.as_deref(), Some("--06-12"));
    assert_eq!(extras.birthday.as_deref(), Some("1980-04-15"));
}

#[test]
fn every_corpus_card_imports_or_is_skipped_naming_it_and_round_trips() {
    let Some(corpus) = corpus() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vcf"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let mut names = Vec::new();
    let mut notes = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let cards = text.matches("BEGIN:VCARD").count();
        let parsed = parse_vcard(path);
        for s in &parsed.skipped {
            assert!(s.record.starts_with("card "), "{}: {s:?}", path.display());
        }
        assert_eq!(
            parsed.candidates.len() + parsed.skipped.len(),
            cards,
            "{}: every card is imported or skipped",
            path.display()
        );
        let v = assert_round_trip(path);
        for c in v.contacts().unwrap() {
            names.push(c.name.clone());
            notes.extend(c.notes.clone());
        }
    }
    // Non-ASCII (vCard 2.1 quoted-printable) and escaped punctuation survive.
    assert!(names.iter().any(|n| n == "Umlaut Ä Ö Ü ß"), "{names:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("semicolon ; semicolon") && n.contains("backslash \\ backslash")),
        "escaped punctuation lost: {notes:#?}"
    );
}

#[test]
fn reimporting_the_same_vcard_file_changes_nothing() {
    let mut v = vault();
    import(&mut v, parse_vcard(&fixture("contacts-v3.vcf")), "vcard a");
    let before = content(&v);
    let heads = v.heads();
    let again = import(&mut v, parse_vcard(&fixture("contacts-v3.vcf")), "vcard a");
    assert_eq!((again.created(), again.updated()), (0, 0));
    assert_eq!(again.unchanged(), 3);
    assert_eq!(
        v.heads(),
        heads,
        "a re-import that changes nothing writes nothing"
    );
    assert_eq!(content(&v), before);
}

#[test]
fn linkedin_import_is_one_commit_and_reimport_updates_without_duplicating() {
    let mut v = vault();
    let parse = |text: &str| linkedin::parse(text.as_bytes(), Limits::default()).unwrap();
    let text = std::fs::read_to_string(fixture("linkedin-connections.csv")).unwrap();
    let heads = v.heads();
    let first = import(&mut v, parse(&text), "linkedin Connections.csv");
    assert_eq!(first.created(), 4);
    assert_eq!(first.skipped.len(), 1, "{:?}", first.skipped);
    assert_eq!(first.skipped[0].record, "line 8");
    let changes = v.doc_mut().get_changes(&heads);
    assert_eq!(changes.len(), 1, "an import is exactly one commit");
    assert_eq!(
        changes[0].message().map(|m| m.to_string()).as_deref(),
        Some("import linkedin Connections.csv: 4 created, 0 updated")
    );
    let jeanne = find(&v, "Jeanne Yocum");
    assert_eq!(jeanne.org.as_deref(), Some("Yocum & Partners, LLC"));
    assert_eq!(jeanne.title.as_deref(), Some("Managing Director"));
    assert_eq!(jeanne.connected_on.unwrap().to_string(), "2020-10-05");
    assert!(jeanne
        .links
        .contains("https://www.linkedin.com/in/jeanne-yocum"));
    let timeline = v.interactions_of(jeanne.id).unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].text, linkedin::CONNECTED_TEXT);
    assert_eq!(
        find(&v, "Björn Ærøe").title.as_deref(),
        Some("Engineer, \"Platform\"")
    );
    assert_eq!(find(&v, "Zhāng Wěi").org.as_deref(), Some("北京科技"));

    let heads = v.heads();
    let again = import(&mut v, parse(&text), "linkedin Connections.csv");
    assert_eq!(
        (again.created(), again.updated(), again.unchanged()),
        (0, 0, 4)
    );
    assert_eq!(v.heads(), heads);

    // A new job: the same person (same profile URL) is updated, not duplicated.
    let moved = text.replace("\"Yocum & Partners, LLC\",Managing Director", "Acme,CEO");
    let third = import(&mut v, parse(&moved), "linkedin Connections.csv");
    assert_eq!((third.created(), third.updated()), (0, 1));
    assert_eq!(v.contacts().unwrap().len(), 4);
    let jeanne = v.contact(jeanne.id).unwrap().unwrap();
    assert_eq!(jeanne.org.as_deref(), Some("Acme"));
    assert_eq!(v.interactions_of(jeanne.id).unwrap().len(), 1);
}

#[test]
fn an_old_linkedin_export_without_urls_matches_by_email_and_says_so() {
    let mut v = vault();
    let new = linkedin::parse(
        open(&fixture("linkedin-connections.csv")),
        Limits::default(),
    );
    import(&mut v, new.unwrap(), "linkedin new");
    let old =
        linkedin::parse(open(&fixture("linkedin-old-no-url.csv")), Limits::default()).unwrap();
    assert!(old
        .key_note
        .as_deref()
        .unwrap()
        .contains("matched by email"));
    let p = import(&mut v, old, "linkedin old");
    assert_eq!(p.created(), 1, "Omar is new");
    assert_eq!(p.matched_by(), vec![("email", 1)]);
    let again = linkedin::parse(open(&fixture("linkedin-old-no-url.csv")), Limits::default());
    let p = import(&mut v, again.unwrap(), "linkedin old");
    assert_eq!(p.created(), 0, "no email: matched by name and company");
}

#[test]
fn a_dry_run_plan_writes_nothing() {
    let mut v = vault();
    let heads = v.heads();
    let parsed = parse_vcard(&fixture("contacts-v4.vcf"));
    let mut n = 0;
    let p = plan::plan(&v, parsed, || {
        n += 1;
        ContactId::from_u64(n)
    })
    .unwrap();
    assert_eq!(p.created(), 2);
    assert!(matches!(p.items[0].action, Action::Create(_)));
    assert_eq!(v.heads(), heads);
    assert!(v.contacts().unwrap().is_empty());
}

#[test]
fn generic_csv_maps_headers_and_round_trips_through_csv_export() {
    let parsed = table::parse(open(&fixture("spreadsheet.csv")), &[], Limits::default()).unwrap();
    assert!(parsed.warnings[0].contains("favourite colour"));
    let mut v = vault();
    import(&mut v, parsed, "csv spreadsheet.csv");
    let grace = find(&v, "Grace Hopper");
    assert_eq!(grace.emails.len(), 2);
    assert_eq!(grace.tags.len(), 2);
    assert_eq!(grace.org.as_deref(), Some("US Navy"));
    let maps = table::parse_maps(&["Favourite Colour=notes".to_owned()]).unwrap();
    let parsed = table::parse(open(&fixture("spreadsheet.csv")), &maps, Limits::default());
    let p = import(&mut v, parsed.unwrap(), "csv spreadsheet.csv");
    assert_eq!((p.created(), p.updated()), (0, 2));
    assert_eq!(find(&v, "Grace Hopper").notes.as_deref(), Some("blue"));
    assert!(matches!(
        table::parse_maps(&["x=nonsense".to_owned()]),
        Err(ImportError::BadMap(_))
    ));

    let contacts = v.contacts().unwrap();
    let mut out = Vec::new();
    rapport_formats::csv_out::write_all(&mut out, &contacts, &Default::default()).unwrap();
    let mut w = vault();
    let back = table::parse(&out[..], &[], Limits::default()).unwrap();
    assert!(
        back.warnings.iter().all(|w| w.contains("groups")),
        "{:?}",
        back.warnings
    );
    import(&mut w, back, "csv export");
    assert_eq!(content(&v), content(&w));
}

#[test]
fn broken_files_are_refused_naming_the_line() {
    let lim = Limits::default();
    let err = |r: Result<Parsed, ImportError>| r.expect_err("a broken file must be refused");
    let e = err(linkedin::parse(
        open(&fixture("broken-linkedin-quoting.csv")),
        lim,
    ));
    assert!(matches!(e, ImportError::FieldCount { line: 6, .. }), "{e}");
    let e = err(linkedin::parse(
        open(&fixture("broken-linkedin-latin1.csv")),
        lim,
    ));
    assert!(matches!(e, ImportError::Encoding { line: 5 }), "{e}");
    let e = err(linkedin::parse(
        open(&fixture("broken-binary-junk.csv")),
        lim,
    ));
    assert!(matches!(e, ImportError::Binary { .. }), "{e}");
    let e = err(table::parse(
        open(&fixture("broken-binary-junk.csv")),
        &[],
        lim,
    ));
    assert!(matches!(e, ImportError::Binary { .. }), "{e}");
    let e = err(table::parse(
        open(&fixture("broken-spreadsheet-fields.csv")),
        &[],
        lim,
    ));
    assert!(
        matches!(
            e,
            ImportError::FieldCount {
                line: 3,
                found: 4,
                expected: 3
            }
        ),
        "{e}"
    );
    let e = err(vcard_in::parse(
        open(&fixture("broken-binary-junk.vcf")),
        "",
        lim,
    ));
    assert!(matches!(e, ImportError::Binary { .. }), "{e}");
    let e = err(vcard_in::parse(
        open(&fixture("broken-vcard-unterminated.vcf")),
        "",
        lim,
    ));
    assert!(e.to_string().contains("card 2 (line 6)"), "{e}");
    let e = err(
        vcard_in::parse(open(&fixture("broken-vcard-no-name.vcf")), "", lim)
            .and_then(Parsed::require_some),
    );
    let msg = e.to_string();
    assert!(
        msg.contains("card 1 (line 1)") && msg.contains("no name"),
        "{e}"
    );
    let e = err(vcard_in::parse(&b"hello\nworld\n"[..], "", lim));
    assert!(matches!(e, ImportError::NoCards), "{e}");
    // Each message is one sentence on one line.
    assert!(!msg.contains('\n'));
}

#[test]
fn oversized_input_is_refused_without_reading_it_all() {
    let small = Limits {
        max_bytes: 1 << 20,
        max_records: 100,
    };
    let e = linkedin::parse(std::io::repeat(b'a').take(200 << 20), small).unwrap_err();
    assert!(
        matches!(
            e,
            ImportError::NoLinkedInHeader | ImportError::TooLarge { .. }
        ),
        "{e}"
    );
    let mut csv = String::from("name,email\n");
    while csv.len() < (2 << 20) {
        csv.push_str("Someone,someone@example.org\n");
    }
    let e = table::parse(csv.as_bytes(), &[], small).unwrap_err();
    assert!(matches!(e, ImportError::TooManyRecords { max: 100 }), "{e}");
    let many = Limits {
        max_bytes: 1 << 20,
        max_records: 1_000_000,
    };
    let e = table::parse(csv.as_bytes(), &[], many).unwrap_err();
    assert!(matches!(e, ImportError::TooLarge { .. }), "{e}");
    let e = vcard_in::parse(std::io::repeat(b'a').take(200 << 20), "", small).unwrap_err();
    assert!(matches!(e, ImportError::TooLarge { .. }), "{e}");
}

#[test]
fn reimport_after_trash_and_merge_creates_nothing() {
    let mut v = vault();
    let parse = || {
        linkedin::parse(
            open(&fixture("linkedin-connections.csv")),
            Limits::default(),
        )
    };
    import(&mut v, parse().unwrap(), "linkedin a");
    let jeanne = find(&v, "Jeanne Yocum");
    let bjorn = find(&v, "Björn Ærøe");
    let zhang = find(&v, "Zhāng Wěi");
    v.trash_contact(jeanne.id, NOW).unwrap();
    v.merge_contacts(zhang.id, bjorn.id, NOW).unwrap();
    let p = import(&mut v, parse().unwrap(), "linkedin a");
    assert_eq!(p.created(), 0, "{:?}", p.items);
    let trashed: Vec<_> = p
        .skipped
        .iter()
        .filter(|s| s.reason.contains("in the trash"))
        .collect();
    assert_eq!(trashed.len(), 1, "{:?}", p.skipped);
    assert!(trashed[0].reason.contains(&jeanne.id.to_string()));
    // Björn's row (matched by his profile URL) now lands on the contact he was merged into.
    let on_survivor = p.items.iter().any(|i| match i.action {
        Action::Unchanged(id) | Action::Create(id) => {
            id == zhang.id && i.candidate.name == "Björn Ærøe"
        }
        Action::Update { id, .. } => id == zhang.id && i.candidate.name == "Björn Ærøe",
    });
    assert!(on_survivor, "{:?}", p.items);
    assert_eq!(
        v.contact(zhang.id).unwrap().unwrap().name,
        "Zhāng Wěi",
        "not renamed"
    );
}

#[test]
fn a_cadence_round_trips_through_vcard_as_x_rapport_cadence() {
    let mut first = vault();
    let patch = rapport_model::ContactPatch {
        name: Some("Jeanne Yocum".into()),
        cadence: Some(rapport_model::Period::Months(6)),
        ..Default::default()
    };
    first
        .add_contact(ContactId::from_u64(1), &patch, 1_780_000_000_000)
        .unwrap();
    let exported = export(&first);
    assert!(exported.contains("X-RAPPORT-CADENCE:6mo"), "{exported}");
    let mut second = vault();
    let parsed = vcard_in::parse_str(&exported, "", Limits::default()).unwrap();
    import(&mut second, parsed, "vcard test");
    assert_eq!(
        find(&second, "Jeanne Yocum").cadence,
        Some(rapport_model::Period::Months(6))
    );
    // A cadence rapport cannot read is reported, not imported, and the card still is.
    let bad = exported.replace("X-RAPPORT-CADENCE:6mo", "X-RAPPORT-CADENCE:often");
    let parsed = vcard_in::parse_str(&bad, "", Limits::default()).unwrap();
    assert_eq!(parsed.candidates.len(), 1);
    assert!(parsed.warnings.iter().any(|w| w.contains("cadence")));
}
