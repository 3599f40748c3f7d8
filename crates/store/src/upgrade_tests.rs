//! A store of format 1 (plain `save()` snapshots, history entries per contact in sled) opens
//! upgraded, with nothing lost.
#![allow(clippy::unwrap_used)]

use crate::snapshot::SnapshotRef;
use crate::{chunk, keys, Store, STORE_FORMAT};
use rapport_model::{ContactId, ContactPatch, DeviceId, RecordRef, Vault, VaultId};
use std::path::Path;

const ME: DeviceId = DeviceId::from_bytes([1; 32]);
const T0: i64 = 1_700_000_000_000;

fn add(store: &Store, vault: &mut Vault, n: u64) {
    let patch = ContactPatch {
        name: Some(format!("Person {n}")),
        ..Default::default()
    };
    vault
        .add_contact(ContactId::from_u64(n), &patch, T0 + n as i64)
        .unwrap();
    let touched = vault.take_touched();
    store.commit(vault, &touched).unwrap();
}

/// Rewrites a closed store as format 1 left it: the snapshot as a plain `save()` file, the
/// format number 1, and a history entry under format 1's per-contact key.
fn downgrade_to_format_1(dir: &Path, saved: &[u8]) {
    let db = sled::Config::new().path(dir.join("sled")).open().unwrap();
    let hash = *blake3::hash(saved).as_bytes();
    let snapshots = dir.join("snapshots");
    for f in std::fs::read_dir(&snapshots).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let name = format!("{}.automerge", blake3::Hash::from(hash).to_hex());
    std::fs::write(snapshots.join(name), saved).unwrap();
    let reference = SnapshotRef {
        hash,
        len: saved.len() as u64,
    };
    db.insert(
        keys::SNAPSHOT,
        chunk::seal(keys::SNAPSHOT, &reference.encode()),
    )
    .unwrap();
    db.insert(keys::FORMAT, chunk::seal(keys::FORMAT, &1u32.to_le_bytes()))
        .unwrap();
    // Format 1's view was format 4 (LZ4 buckets in sled).
    db.insert(
        keys::VIEW_FORMAT,
        chunk::seal(keys::VIEW_FORMAT, &4u32.to_le_bytes()),
    )
    .unwrap();
    let old_key = b"hist/c/0000000000000001/00".to_vec();
    db.insert(old_key.clone(), chunk::seal(&old_key, b"format 1 entry"))
        .unwrap();
    db.flush().unwrap();
}

#[test]
fn a_format_1_store_opens_upgraded_and_keeps_its_vault() {
    let dir = tempfile::tempdir().unwrap();
    let saved = {
        let store = Store::open(dir.path()).unwrap();
        let mut vault = Vault::create(ME, "laptop", VaultId::from_u64(1), T0).unwrap();
        store.create_vault(&mut vault).unwrap();
        add(&store, &mut vault, 1);
        store.compact(&mut vault).unwrap();
        let saved = vault.doc_mut().save();
        store.close().unwrap();
        saved
    };
    downgrade_to_format_1(dir.path(), &saved);

    let store = Store::open(dir.path()).unwrap();
    let format = store.db().get(keys::FORMAT).unwrap().unwrap();
    let format = chunk::open(keys::FORMAT, &format).unwrap();
    assert_eq!(format, STORE_FORMAT.to_le_bytes());
    // The old history index is gone, so it is rebuilt rather than misread.
    assert!(store.db().scan_prefix(b"hist/").next().is_none());
    assert!(!store.history_is_current().unwrap());
    // The plain snapshot still loads, and the view is rebuilt from it.
    let mut vault = store.load_vault(ME).unwrap();
    assert_eq!(vault.contacts().unwrap().len(), 1);
    assert!(!store.view_is_current().unwrap());
    store.rebuild_view(&mut vault).unwrap();
    store.index_history(&mut vault).unwrap();
    let history = store
        .view()
        .history(RecordRef::Contact(ContactId::from_u64(1)), None)
        .unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(store.view().contacts().unwrap().len(), 1);

    // New writes use the new format; the next compaction replaces the plain snapshot.
    add(&store, &mut vault, 2);
    store.compact(&mut vault).unwrap();
    let files: Vec<String> = std::fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.len() == 1 && files[0].ends_with(".automerge.zst"),
        "{files:?}"
    );
    store.close().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.load_vault(ME).unwrap().contacts().unwrap().len(), 2);
}
