//! Replays every input the fuzz targets (`fuzz/fuzz_targets/import_*.rs`) found a crash with,
//! kept in `fixtures/fuzz/import_vcard/` and `fixtures/fuzz/import_csv/`, through the same
//! checks: parse or refuse without a panic; whatever imports exports to vCard that parses back
//! to as many cards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rapport_formats::{linkedin, plan, table, vcard_in, vcard_out, Limits, Parsed};
use rapport_model::{ContactId, DeviceId, InteractionId, Vault, VaultId};
use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn limits() -> Limits {
    Limits {
        max_bytes: 64 * 1024,
        max_records: 200,
    }
}

/// Imports into a fresh vault and checks that the vCard export parses back.
fn import_and_reexport(parsed: Parsed, what: &Path) {
    let mut v = Vault::create(DeviceId::from_bytes([1; 32]), "t", VaultId::from_u64(1), 0).unwrap();
    let mut n = 0;
    let p = plan::plan(&v, parsed, || {
        n += 1;
        ContactId::from_u64(n)
    })
    .unwrap();
    plan::apply(
        &mut v,
        &p,
        "replay",
        0,
        || InteractionId::from_u64(1),
        &mut |_| {},
    )
    .unwrap();
    let contacts = v.contacts().unwrap();
    if contacts.is_empty() {
        return;
    }
    let pairs: Vec<_> = contacts
        .iter()
        .map(|c| (c, v.contact_extras(c.id).unwrap().unwrap_or_default()))
        .collect();
    let mut out = Vec::new();
    vcard_out::write_all(&mut out, pairs.iter().map(|(c, e)| (*c, e))).unwrap();
    let again = vcard_in::parse(&out[..], "", Limits::default())
        .unwrap_or_else(|e| panic!("{}: the export does not parse: {e}", what.display()));
    assert_eq!(again.candidates.len(), contacts.len(), "{}", what.display());
}

#[test]
fn vcard_crashers_replay_cleanly() {
    let files = inputs("import_vcard");
    assert!(!files.is_empty(), "the crash inputs are missing");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        if let Ok(parsed) = vcard_in::parse(&bytes[..], "", limits()) {
            import_and_reexport(parsed, &f);
        }
    }
}

#[test]
fn csv_crashers_replay_cleanly() {
    for f in inputs("import_csv") {
        let bytes = std::fs::read(&f).unwrap();
        for parsed in [
            linkedin::parse(&bytes[..], limits()),
            table::parse(&bytes[..], &[], limits()),
        ]
        .into_iter()
        .flatten()
        {
            import_and_reexport(parsed, &f);
        }
    }
}
