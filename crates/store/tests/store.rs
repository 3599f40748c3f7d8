//! The store against its promises: what was committed loads back, the read view matches the
//! document, damage is reported (never a panic), and a second process is refused politely.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind, NewInteraction, Vault,
    VaultId,
};
use rapport_store::{Store, StoreErrorKind};
use std::path::Path;

const T0: i64 = 1_700_000_000_000;
const ME: DeviceId = device(1);

const fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn new_store(dir: &Path) -> (Store, Vault) {
    let store = Store::open(dir).unwrap();
    let mut vault = Vault::create(ME, "laptop", VaultId::from_u64(1), T0).unwrap();
    store.create_vault(&mut vault).unwrap();
    (store, vault)
}

/// `open` retried for up to two seconds: sled lets go of its file lock from background threads
/// a moment after a close.
fn retry<T>(what: &str, mut open: impl FnMut() -> Option<T>) -> T {
    (0..100)
        .find_map(|_| {
            open().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            })
        })
        .unwrap_or_else(|| panic!("{what}"))
}

fn add(store: &Store, vault: &mut Vault, n: u64) -> ContactId {
    let id = ContactId::from_u64(n);
    let patch = ContactPatch {
        name: Some(format!("Person {n}")),
        add_tags: vec!["friend".into()],
        ..Default::default()
    };
    vault.add_contact(id, &patch, T0 + n as i64).unwrap();
    vault
        .add_interaction(
            InteractionId::from_u64(n),
            &NewInteraction {
                contacts: vec![id],
                at: T0,
                kind: InteractionKind::Note,
                text: format!("note number {n}"),
                place: None,
            },
            T0,
        )
        .unwrap();
    let touched = vault.take_touched();
    store.commit(vault, &touched).unwrap();
    id
}

#[test]
fn committed_changes_load_back_with_a_consistent_view() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, mut vault) = new_store(dir.path());
        for n in 1..=20 {
            add(&store, &mut vault, n);
        }
        store.close().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(store.view_is_current().unwrap());
    // 20 chunks: applied eight at a time, so the load crosses two batch boundaries and ends
    // on a short batch.
    assert_eq!(store.stats().unwrap().change_chunks, 20);
    let vault = store.load_vault(ME).unwrap();
    let mut from_doc = vault.contacts().unwrap();
    let mut from_view = store.view().contacts().unwrap();
    from_doc.sort_by_key(|c| c.id);
    from_view.sort_by_key(|c| c.id);
    assert_eq!(from_doc.len(), 20);
    assert_eq!(from_doc, from_view);
    let timeline = store.view().timeline(ContactId::from_u64(7)).unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].text, "note number 7");
    assert_eq!(store.view().devices().unwrap().len(), 1);
}

#[test]
fn compaction_keeps_everything_and_resets_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    for n in 1..=5 {
        add(&store, &mut vault, n);
    }
    assert_eq!(store.stats().unwrap().change_chunks, 5);
    store.compact(&mut vault).unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.change_chunks, 0);
    assert!(stats.snapshot_bytes > 0);
    add(&store, &mut vault, 6);
    let mut reloaded = store.load_vault(ME).unwrap();
    assert_eq!(reloaded.contacts().unwrap().len(), 6);
    assert_eq!(reloaded.heads().len(), 1);
}

#[test]
fn a_second_open_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, _vault) = new_store(dir.path());
    let err = Store::open(dir.path()).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Locked, "{err}");
    assert!(err
        .to_string()
        .contains("in use by another rapport process"));
}

#[test]
fn an_empty_store_says_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = store.load_vault(ME).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NoVault);
    assert!(err.to_string().contains("rapport init"));
}

#[test]
fn merged_changes_update_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    let id = add(&store, &mut vault, 1);
    let mut other = vault.fork_as(device(2));
    let patch = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    other.edit_contact(id, &patch, T0 + 10).unwrap();
    let touched = vault.merge(&mut other).unwrap();
    store.commit(&mut vault, &touched).unwrap();
    let seen = store.view().contact(id).unwrap().unwrap();
    assert_eq!(seen.contact.org.as_deref(), Some("Acme"));
}

#[test]
fn a_lost_acknowledged_change_is_reported_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        store.close().unwrap();
    }
    // Simulate sled losing the tail of its log: acknowledge a change the store never got.
    let ack = std::fs::read(dir.path().join("acknowledged")).unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let mut vault = store.load_vault(ME).unwrap();
        let patch = ContactPatch {
            org: Some("Acme".into()),
            ..Default::default()
        };
        vault
            .edit_contact(ContactId::from_u64(1), &patch, T0)
            .unwrap();
        let touched = vault.take_touched();
        store.commit(&mut vault, &touched).unwrap();
        store.close().unwrap();
    }
    let newer_ack = std::fs::read(dir.path().join("acknowledged")).unwrap();
    assert_ne!(ack, newer_ack);
    // Put the old database back under the newer acknowledgement.
    let copy = tempfile::tempdir().unwrap();
    {
        let (store, mut vault) = new_store(copy.path());
        add(&store, &mut vault, 1);
        store.close().unwrap();
    }
    std::fs::write(copy.path().join("acknowledged"), &newer_ack).unwrap();
    let store = Store::open(copy.path()).unwrap();
    let err = store.load_vault(ME).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
}

/// sled 0.34.7 reads an unfinished `snap.*.generating` file left by a process killed while
/// writing it, and refuses to open (sled issues 1527/1533; our crash test hit it).
#[test]
fn an_unfinished_sled_snapshot_left_by_a_kill_does_not_block_opening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        store.close().unwrap();
    }
    let junk = dir
        .path()
        .join("sled")
        .join("snap.7FFFFFFFFFFFFFFF.generating");
    std::fs::write(&junk, b"half a snapshot").unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.load_vault(ME).unwrap().contacts().unwrap().len(), 1);
    assert!(!junk.exists());
}

#[test]
fn a_second_process_cannot_touch_sled_files_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, _vault) = new_store(dir.path());
    let junk = dir
        .path()
        .join("sled")
        .join("snap.7FFFFFFFFFFFFFFF.generating");
    std::fs::write(&junk, b"being written by the owner").unwrap();
    assert_eq!(
        Store::open(dir.path()).unwrap_err().kind(),
        StoreErrorKind::Locked
    );
    assert!(
        junk.exists(),
        "a refused open must not have removed the owner's file"
    );
}

/// Every contact's record, timeline and provenance, as the view shows them.
fn view_snapshot(
    store: &Store,
    ids: &[ContactId],
) -> Vec<(
    Option<rapport_model::Contact>,
    Vec<rapport_model::Interaction>,
    Vec<rapport_model::Origin>,
)> {
    let view = store.view();
    ids.iter()
        .map(|id| {
            let found = view.contact(*id).unwrap();
            (
                found.as_ref().map(|f| f.contact.clone()),
                found.map(|f| f.timeline).unwrap_or_default(),
                view.provenance(*id).unwrap(),
            )
        })
        .collect()
}

#[test]
fn interactions_moved_by_a_merge_leave_the_old_timeline_as_a_rebuild_would() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    // Ids in different buckets and in the same one (the top bits pick the bucket).
    let ids: Vec<ContactId> = [1u64, 2, 1 << 63, (1 << 63) + 5]
        .into_iter()
        .map(|n| add(&store, &mut vault, n))
        .collect();
    vault
        .add_interaction(
            InteractionId::from_u64(99),
            &NewInteraction {
                contacts: vec![ids[0], ids[2]],
                at: T0 + 1,
                kind: InteractionKind::Call,
                text: "shared call".into(),
                place: None,
            },
            T0 + 1,
        )
        .unwrap();
    let touched = vault.take_touched();
    store.commit(&mut vault, &touched).unwrap();
    vault.merge_contacts(ids[3], ids[0], T0 + 2).unwrap();
    vault.merge_contacts(ids[1], ids[2], T0 + 3).unwrap();
    vault
        .edit_interaction_text(InteractionId::from_u64(99), "edited", T0 + 4)
        .unwrap();
    let touched = vault.take_touched();
    store.commit(&mut vault, &touched).unwrap();
    assert!(store.view_is_current().unwrap());

    let incremental = view_snapshot(&store, &ids);
    // The merged-away contacts kept no interaction; the survivors got them.
    assert!(incremental[0].1.is_empty() && incremental[2].1.is_empty());
    assert!(incremental[3].1.iter().any(|i| i.text == "edited"));
    assert!(incremental[1].1.iter().any(|i| i.text == "edited"));
    store.rebuild_view(&mut vault).unwrap();
    assert_eq!(incremental, view_snapshot(&store, &ids));
}

#[test]
fn a_damaged_view_bucket_is_reported_as_view_damage() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    let id = add(&store, &mut vault, 3);
    store.close().unwrap();
    {
        // The raw value of the bucket that holds contact 3, with one bit flipped.
        let db = retry("sled reopens", || {
            sled::Config::new()
                .path(dir.path().join("sled"))
                .open()
                .ok()
        });
        let key = b"view/cb/00".to_vec();
        let mut bytes = db
            .get(&key)
            .unwrap()
            .expect("the contact's bucket")
            .to_vec();
        bytes[2] ^= 1;
        db.insert(key, bytes).unwrap();
        db.flush().unwrap();
    }
    let store = retry("the store reopens", || Store::open(dir.path()).ok());
    let err = store.view().contacts().unwrap_err();
    assert!(
        matches!(err, rapport_store::StoreError::ViewDamaged { .. }),
        "{err}"
    );
    assert!(store.view().contact(id).is_err());
    // A rebuild from the document repairs it.
    let mut vault = store.load_vault(ME).unwrap();
    store.rebuild_view(&mut vault).unwrap();
    assert_eq!(store.view().contact(id).unwrap().unwrap().contact.id, id);
}

/// Bucket files are written without an fsync (they are caches): a power cut may leave them
/// empty. That must read as view damage, never block a commit, and be rebuilt.
#[test]
fn bucket_files_a_power_cut_emptied_are_rebuilt_by_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    let first = add(&store, &mut vault, 3);
    store.close().unwrap();
    let mut emptied = 0;
    for entry in std::fs::read_dir(dir.path().join("buckets")).unwrap() {
        std::fs::write(entry.unwrap().path(), b"").unwrap();
        emptied += 1;
    }
    assert!(emptied > 0, "the store wrote no bucket files");
    let store = retry("the store reopens", || Store::open(dir.path()).ok());
    assert!(matches!(
        store.view().contacts().unwrap_err(),
        rapport_store::StoreError::ViewDamaged { .. }
    ));
    let mut vault = store.load_vault(ME).unwrap();
    let second = add(&store, &mut vault, 4);
    let ids: Vec<ContactId> = store
        .view()
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(ids.contains(&first) && ids.contains(&second), "{ids:?}");
}

#[test]
fn contacts_matching_skips_only_contacts_that_cannot_match() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    for n in 1..=20 {
        add(&store, &mut vault, n);
    }
    let names = |needle: &str, also: &[u64]| -> Vec<String> {
        let also = also.iter().map(|n| ContactId::from_u64(*n)).collect();
        let mut names: Vec<String> = store
            .view()
            .contacts_matching(needle, &also)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        names.sort();
        names
    };
    // Case-insensitive, on any stored text; `also` adds contacts matched elsewhere.
    assert_eq!(names("PERSON 2", &[]), ["Person 2", "Person 20"]);
    assert_eq!(
        names("person 2", &[7]),
        ["Person 2", "Person 20", "Person 7"]
    );
    assert_eq!(names("FRIEND", &[]).len(), 20);
    assert!(names("nobody-has-this", &[]).is_empty());
    // Non-ASCII needles are not prefiltered (their case folding is not bytewise).
    assert_eq!(names("ä", &[]).len(), 20);
}

#[test]
fn a_change_chunk_that_passes_its_checksum_but_does_not_load_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, mut vault) = new_store(dir.path());
        for n in 1..=3 {
            add(&store, &mut vault, n);
        }
        store.close().unwrap();
    }
    {
        let db = retry("sled reopens", || {
            sled::Config::new()
                .path(dir.path().join("sled"))
                .open()
                .ok()
        });
        // Chunk 1 replaced by bytes that are no Automerge change, sealed as the store seals
        // (payload, then blake3 of the key's length, the key and the payload).
        let mut key = b"doc/change/".to_vec();
        key.extend_from_slice(&1u64.to_be_bytes());
        assert!(
            db.get(&key).unwrap().is_some(),
            "the store's key layout changed"
        );
        let payload = b"not an automerge change".to_vec();
        let mut h = blake3::Hasher::new();
        h.update(&(key.len() as u64).to_le_bytes());
        h.update(&key);
        h.update(&payload);
        let mut sealed = payload;
        sealed.extend_from_slice(h.finalize().as_bytes());
        db.insert(key, sealed).unwrap();
        db.flush().unwrap();
    }
    let store = retry("the store reopens", || Store::open(dir.path()).ok());
    let err = store.load_vault(ME).unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Corrupt, "{err}");
}

/// A commit touching thousands of records (an import) compacts at once, and everything in it
/// loads back, view included.
#[test]
fn a_bulk_commit_compacts_directly_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let n = 5_100u64;
    {
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        vault
            .batch("import test", T0, |v| {
                for i in 10..10 + n {
                    let patch = ContactPatch {
                        name: Some(format!("Imported {i}")),
                        ..Default::default()
                    };
                    v.add_contact(ContactId::from_u64(i), &patch, T0)?;
                }
                Ok::<(), rapport_model::EditError>(())
            })
            .unwrap();
        let touched = vault.take_touched();
        let report = store.commit(&mut vault, &touched).unwrap();
        assert!(report.compacted, "{report:?}");
        assert_eq!(store.stats().unwrap().change_chunks, 0);
        store.close().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert!(store.view_is_current().unwrap());
    assert_eq!(store.view().contacts().unwrap().len() as u64, n + 1);
    let vault = store.load_vault(ME).unwrap();
    assert_eq!(vault.contacts().unwrap().len() as u64, n + 1);
}

#[test]
fn a_commit_that_touched_many_records_folds_into_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut vault) = new_store(dir.path());
    // One contact and its note: a chunk, replayed by the next load.
    add(&store, &mut vault, 1);
    assert_eq!(store.stats().unwrap().change_chunks, 1);
    // Seventeen contacts in one commit: no chunk to replay, everything in the snapshot.
    for n in 100..117 {
        let patch = ContactPatch {
            name: Some(format!("Person {n}")),
            ..Default::default()
        };
        vault
            .add_contact(ContactId::from_u64(n), &patch, T0)
            .unwrap();
    }
    let touched = vault.take_touched();
    store.commit(&mut vault, &touched).unwrap();
    assert_eq!(store.stats().unwrap().change_chunks, 0);
    let reloaded = store.load_vault(ME).unwrap();
    assert_eq!(reloaded.contacts().unwrap().len(), 18);
}
