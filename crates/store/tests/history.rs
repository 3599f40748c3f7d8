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
