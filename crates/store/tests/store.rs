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
