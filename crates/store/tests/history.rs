//! The per-record history index: written with each commit (local or merged), newest first,
//! and kept across a view rebuild.
#![allow(clippy::unwrap_used)]

use rapport_model::{ContactId, ContactPatch, DeviceId, RecordRef, Vault, VaultId};
use rapport_store::Store;

const T0: i64 = 1_700_000_000_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

#[test]
fn commits_index_local_and_merged_changes_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(1), T0).unwrap();
    store.create_vault(&mut a).unwrap();
    assert!(store.history_is_current().unwrap());
    let id = ContactId::from_u64(7);
    let other = ContactId::from_u64(8);
    let commit = |v: &mut Vault| {
        let touched = v.take_touched();
        store.commit(v, &touched).unwrap();
    };
    let named = |n: &str| ContactPatch {
        name: Some(n.into()),
        ..Default::default()
    };
    a.add_contact(id, &named("Ana Lima"), T0 + 1_000).unwrap();
    commit(&mut a);
    a.add_contact(other, &named("Bo Chen"), T0 + 2_000).unwrap();
    commit(&mut a);
    let mut b = a.fork_as(device(2));
    let org = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    b.edit_contact(id, &org, T0 + 3_000).unwrap();
    b.edit_contact(other, &org, T0 + 3_000).unwrap();
    let touched = a.merge(&mut b).unwrap();
    store.commit(&mut a, &touched).unwrap();
    a.trash_contact(id, T0 + 4_000).unwrap();
    commit(&mut a);
    assert!(store.history_is_current().unwrap());

    let log = store.view().history(RecordRef::Contact(id), None).unwrap();
    let got: Vec<(String, Option<DeviceId>, Vec<String>)> = log
        .iter()
        .map(|e| (e.summary().to_owned(), e.device, e.fields.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "trash contact Ana Lima".into(),
                Some(device(1)),
                vec!["deleted".into()]
            ),
            (
                "edit contact Ana Lima".into(),
                Some(device(2)),
                vec!["org".into()]
            ),
            (
                "add contact Ana Lima".into(),
                Some(device(1)),
                vec!["created".into(), "name".into()]
            ),
        ]
    );
    assert_eq!(
        store
            .view()
            .history(RecordRef::Contact(id), Some(1))
            .unwrap()
            .len(),
        1
    );
    // The whole vault's log: every change, newest first, naming the records it touched.
    let all = store.view().vault_history(None).unwrap();
    let summaries: Vec<&str> = all.iter().map(|e| e.summary()).collect();
    assert_eq!(summaries.len(), 6, "{summaries:?}");
    assert_eq!(summaries[0], "trash contact Ana Lima");
    assert_eq!(summaries[5], "create vault");
    assert_eq!(all[0].fields, vec![format!("contact:{id}")]);
    // A view rebuild leaves the index alone.
    store.rebuild_view(&mut a).unwrap();
    assert_eq!(
        store.view().history(RecordRef::Contact(id), None).unwrap(),
        log
    );
    // Catching up an index that is current changes nothing.
    store.index_history(&mut a).unwrap();
    assert_eq!(
        store.view().history(RecordRef::Contact(id), None).unwrap(),
        log
    );
}

/// Bucket files are caches: with every one of them gone, a commit still succeeds (the view is
/// rebuilt; the history index goes stale), and `index_history` rebuilds the index whole.
#[test]
fn missing_bucket_files_never_block_a_commit_and_the_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut v = Vault::create(device(1), "laptop", VaultId::from_u64(1), T0).unwrap();
    store.create_vault(&mut v).unwrap();
    let id = ContactId::from_u64(7);
    let named = ContactPatch {
        name: Some("Ana".into()),
        ..Default::default()
    };
    v.add_contact(id, &named, T0 + 1000).unwrap();
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    assert!(store.history_is_current().unwrap());
    for f in std::fs::read_dir(dir.path().join("buckets")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }

    let org = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    v.edit_contact(id, &org, T0 + 2000).unwrap();
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    assert!(store.view_is_current().unwrap());
    assert_eq!(
        store.view().contacts().unwrap()[0].org.as_deref(),
        Some("Acme")
    );
    assert!(!store.history_is_current().unwrap());

    // The same again with the view intact and only a history bucket missing.
    for f in std::fs::read_dir(dir.path().join("buckets")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    store.rebuild_view(&mut v).unwrap();
    store.index_history(&mut v).unwrap();
    assert!(store.history_is_current().unwrap());
    let hist_files: Vec<_> = std::fs::read_dir(dir.path().join("buckets"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    for f in &hist_files {
        std::fs::remove_file(f).unwrap();
    }
    store.rebuild_view(&mut v).unwrap();
    let renamed = ContactPatch {
        name: Some("Ana Lima".into()),
        ..Default::default()
    };
    assert!(v.edit_contact(id, &renamed, T0 + 3000).unwrap());
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    assert!(!store.history_is_current().unwrap());
    store.index_history(&mut v).unwrap();
    assert!(store.history_is_current().unwrap());
    let log = store.view().history(RecordRef::Contact(id), None).unwrap();
    assert_eq!(log.len(), 3, "{log:?}");
}
