//! The view's conflict index and provenance, and the quarantine overlay: kept in step with the
//! document by commits and rebuilds, and local state that survives a reopen.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    ContactId, ContactPatch, Deletion, DeviceId, QuarantinePolicy, RecordRef, Vault, VaultId,
};
use rapport_store::{Quarantined, Store};

const T0: i64 = 1_700_000_000_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn rename(name: &str) -> ContactPatch {
    ContactPatch {
        name: Some(name.into()),
        ..Default::default()
    }
}

#[test]
fn conflict_index_and_provenance_follow_commits_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(1), T0).unwrap();
    let id = ContactId::from_u64(5);
    a.add_contact(id, &rename("Jeanne"), T0).unwrap();
    store.create_vault(&mut a).unwrap();
    assert!(store.view().conflicts().unwrap().is_empty());
    let mut b = a.fork_as(device(2));
    a.edit_contact(id, &rename("Jeanne A"), T0 + 1_000).unwrap();
    b.edit_contact(id, &rename("Jeanne B"), T0 + 2_000).unwrap();
    let mut touched = a.take_touched();
    touched.extend(a.merge(&mut b).unwrap());
    store.commit(&mut a, &touched).unwrap();
    let listed = store.view().conflicts().unwrap();
    assert_eq!(listed, a.conflicts().unwrap());
    assert_eq!(listed.len(), 1);
    let prov = store.view().provenance(id).unwrap();
    assert_eq!(prov, a.contact_provenance(id).unwrap());
    // A rebuild writes the same index.
    store.rebuild_view(&mut a).unwrap();
    assert_eq!(store.view().conflicts().unwrap(), listed);
    assert_eq!(store.view().provenance(id).unwrap(), prov);
    // Resolving removes it from the index.
    a.resolve_conflict(
        id,
        rapport_model::ContactField::Name,
        &rename("Jeanne"),
        T0 + 3_000,
    )
    .unwrap();
    let touched = a.take_touched();
    store.commit(&mut a, &touched).unwrap();
    assert!(store.view().conflicts().unwrap().is_empty());
}

#[test]
fn a_quarantined_trash_stays_visible_until_released_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = ContactId::from_u64(5);
    let deletion;
    {
        let store = Store::open(dir.path()).unwrap();
        let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(1), T0).unwrap();
        a.add_contact(id, &rename("Jeanne"), T0).unwrap();
        store.create_vault(&mut a).unwrap();
        a.trash_contact(id, T0 + 7).unwrap();
        deletion = Deletion {
            record: RecordRef::Contact(id),
            name: "Jeanne".into(),
            deleted_at: T0 + 7,
            by: Some(device(2)),
        };
        store
            .quarantine(&[Quarantined {
                deletion: deletion.clone(),
                received: T0 + 8,
            }])
            .unwrap();
        let touched = a.take_touched();
        store.commit(&mut a, &touched).unwrap();
        let policy = QuarantinePolicy {
            max_count: 5,
            percent: 50,
            floor: 1,
        };
        store.set_quarantine_policy(&policy).unwrap();
        store.close().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.quarantine_policy().unwrap().max_count, 5);
    assert_eq!(store.quarantined().unwrap()[0].deletion, deletion);
    assert_eq!(store.view().contacts().unwrap()[0].deleted, None);
    assert_eq!(
        store.view().contact(id).unwrap().unwrap().contact.deleted,
        None
    );
    // A later trash of the same contact (another `deleted` value) is not masked.
    let mut a = store.load_vault(device(1)).unwrap();
    a.restore_contact(id, T0 + 9).unwrap();
    a.trash_contact(id, T0 + 10).unwrap();
    let touched = a.take_touched();
    store.commit(&mut a, &touched).unwrap();
    assert_eq!(store.view().contacts().unwrap()[0].deleted, Some(T0 + 10));
    store.release(&[RecordRef::Contact(id)]).unwrap();
    assert!(store.quarantined().unwrap().is_empty());
}
