//! Conflicts you can see, provenance and the mass-deletion guard, tested as they happen: fork
//! a vault, edit both forks as two devices, merge.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    ContactField, ContactId, ContactPatch, DeviceId, GroupId, QuarantinePolicy, RecordRef, Vault,
    VaultId,
};

const T0: i64 = 1_700_000_000_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn vault_with(n: u64) -> Vault {
    let mut v = Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap();
    for i in 1..=n {
        let patch = ContactPatch {
            name: Some(format!("Person {i}")),
            add_tags: vec!["x".into()],
            ..Default::default()
        };
        v.add_contact(ContactId::from_u64(i), &patch, T0).unwrap();
    }
    v
}

fn rename(name: &str) -> ContactPatch {
    ContactPatch {
        name: Some(name.into()),
        ..Default::default()
    }
}

#[test]
fn concurrent_name_edit_is_listed_with_both_values_devices_and_times() {
    let mut a = vault_with(2);
    let id = ContactId::from_u64(1);
    let mut b = a.fork_as(device(2));
    a.edit_contact(id, &rename("Jeanne A"), T0 + 5_000).unwrap();
    b.edit_contact(id, &rename("Jeanne B"), T0 + 9_000).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let ca = a.conflicts().unwrap();
    assert_eq!(
        ca,
        b.conflicts().unwrap(),
        "both devices see the same conflict"
    );
    assert_eq!(ca.len(), 1, "{ca:?}");
    let c = &ca[0];
    assert_eq!(c.record, RecordRef::Contact(id));
    assert_eq!(c.field, "name");
    assert_eq!(c.others.len(), 1);
    let winner_name = a.contact(id).unwrap().unwrap().name;
    assert_eq!(c.winner.value, winner_name);
    assert_eq!(c.name, winner_name);
    let mut seen: Vec<(String, DeviceId, i64)> = [&c.winner, &c.others[0]]
        .iter()
        .map(|w| (w.value.clone(), w.device.unwrap(), w.at.unwrap()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("Jeanne A".to_owned(), device(1), T0 + 5_000),
            ("Jeanne B".to_owned(), device(2), T0 + 9_000)
        ]
    );
    assert_eq!(a.record_conflicts(RecordRef::Contact(id)).unwrap(), ca);
    assert!(a
        .record_conflicts(RecordRef::Contact(ContactId::from_u64(2)))
        .unwrap()
        .is_empty());
}

#[test]
fn resolve_settles_the_conflict_on_every_device_after_a_merge() {
    let mut a = vault_with(1);
    let id = ContactId::from_u64(1);
    let mut b = a.fork_as(device(2));
    a.edit_contact(id, &rename("Jeanne A"), T0 + 1).unwrap();
    b.edit_contact(id, &rename("Jeanne B"), T0 + 2).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let winner = a.contact(id).unwrap().unwrap().name;
    // Resolving to the value that already wins must still supersede the loser.
    let before = a.heads();
    a.resolve_conflict(id, ContactField::Name, &rename(&winner), T0 + 3)
        .unwrap();
    assert_ne!(a.heads(), before, "resolve writes one change");
    assert_eq!(a.take_touched().contacts.len(), 1);
    assert!(a.conflicts().unwrap().is_empty());
    b.merge(&mut a).unwrap();
    assert!(b.conflicts().unwrap().is_empty());
    assert_eq!(b.contact(id).unwrap().unwrap().name, winner);
    // Resolving to a new value works too, and an invalid value is refused.
    let mut c = b.fork_as(device(3));
    b.edit_contact(id, &rename("X"), T0 + 4).unwrap();
    c.edit_contact(id, &rename("Y"), T0 + 5).unwrap();
    b.merge(&mut c).unwrap();
    assert_eq!(b.conflicts().unwrap().len(), 1);
    assert!(b
        .resolve_conflict(id, ContactField::Name, &rename(" "), T0 + 6)
        .is_err());
    b.resolve_conflict(id, ContactField::Name, &rename("Jeanne"), T0 + 6)
        .unwrap();
    c.merge(&mut b).unwrap();
    assert!(c.conflicts().unwrap().is_empty());
    assert_eq!(c.contact(id).unwrap().unwrap().name, "Jeanne");
}

#[test]
fn set_members_and_different_fields_are_not_conflicts() {
    let mut a = vault_with(1);
    let id = ContactId::from_u64(1);
    let mut b = a.fork_as(device(2));
    let tag = ContactPatch {
        add_tags: vec!["vip".into()],
        org: Some("Acme".into()),
        ..Default::default()
    };
    let other = ContactPatch {
        add_tags: vec!["vip".into()],
        title: Some("CTO".into()),
        ..Default::default()
    };
    a.edit_contact(id, &tag, T0 + 1).unwrap();
    b.edit_contact(id, &other, T0 + 2).unwrap();
    a.merge(&mut b).unwrap();
    assert!(a.conflicts().unwrap().is_empty(), "{:?}", a.conflicts());
}

#[test]
fn concurrent_group_rename_is_a_conflict_but_concurrent_deletes_are_not() {
    use rapport_model::automerge::{transaction::Transactable, ReadDoc, ROOT};
    let mut a = vault_with(0);
    let g = GroupId::from_u64(9);
    a.create_group(g, "Climbing", None, T0).unwrap();
    let mut b = a.fork_as(device(2));
    // No command renames a group yet; another program may, so write the key directly.
    let rename_group = |v: &mut Vault, name: &str| {
        let doc = v.doc_mut();
        let groups = doc.get(ROOT, "groups").unwrap().unwrap().1;
        let obj = doc.get(&groups, g.to_string()).unwrap().unwrap().1;
        doc.put(&obj, "name", name).unwrap();
        doc.commit();
    };
    rename_group(&mut a, "Bouldering");
    rename_group(&mut b, "Climbers");
    a.delete_group(g, T0 + 1).unwrap();
    b.delete_group(g, T0 + 2).unwrap();
    a.merge(&mut b).unwrap();
    let c = a.conflicts().unwrap();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].record, RecordRef::Group(g));
    assert_eq!(c[0].field, "name");
    let mut values = vec![c[0].winner.value.clone(), c[0].others[0].value.clone()];
    values.sort();
    assert_eq!(values, ["Bouldering", "Climbers"]);
}

#[test]
fn provenance_names_the_device_and_time_of_each_field() {
    let mut a = vault_with(1);
    let id = ContactId::from_u64(1);
    let mut b = a.fork_as(device(2));
    let org = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    b.edit_contact(id, &org, T0 + 42_000).unwrap();
    a.merge(&mut b).unwrap();
    let p = a.contact_provenance(id).unwrap();
    let of = |key: &str| p.iter().find(|o| o.key == key).unwrap().clone();
    assert_eq!(of("org").device, Some(device(2)));
    assert_eq!(of("org").at, Some(T0 + 42_000));
    assert_eq!(of("name").device, Some(device(1)));
    assert_eq!(of("name").at, Some(T0));
    assert_eq!(of("tag:x").device, Some(device(1)));
    let all = a.all_provenance().unwrap();
    assert_eq!(all, vec![(id, p)]);
}

#[test]
fn policy_limits_are_the_smaller_of_count_and_share_with_a_floor() {
    let p = QuarantinePolicy::default();
    assert_eq!(p.limit(10_000), 20);
    assert_eq!(p.limit(100), 10);
    assert_eq!(p.limit(10), 3);
    assert_eq!(p.limit(0), 3);
    assert!(p.trips(50, 60));
    assert!(!p.trips(5, 60));
    assert!(!p.trips(3, 3));
    assert!(p.trips(21, 1_000_000));
}

#[test]
fn incoming_trashes_are_found_and_undone_in_one_change() {
    let mut a = vault_with(60);
    let mut b = a.fork_as(device(2));
    for i in 1..=50 {
        b.trash_contact(ContactId::from_u64(i), T0 + i as i64)
            .unwrap();
    }
    let g = GroupId::from_u64(3);
    b.create_group(g, "G", None, T0).unwrap();
    let touched = a.merge(&mut b).unwrap();
    // Everything was live before except the group, which did not exist.
    let found = a
        .deletions_in(&touched, |r| matches!(r, RecordRef::Contact(_)))
        .unwrap();
    assert_eq!(found.len(), 50);
    assert!(found.iter().all(|d| d.by == Some(device(2))));
    assert_eq!(found[0].name, "Person 1");
    assert_eq!(found[0].deleted_at, T0 + 1);
    assert!(QuarantinePolicy::default().trips(found.len(), 60));
    let changes_before = a.doc_mut().get_changes(&[]).len();
    assert_eq!(a.undo_deletions(&found, T0 + 100).unwrap(), 50);
    assert_eq!(a.doc_mut().get_changes(&[]).len(), changes_before + 1);
    b.merge(&mut a).unwrap();
    assert_eq!(
        b.contacts()
            .unwrap()
            .iter()
            .filter(|c| c.is_trashed())
            .count(),
        0
    );
    // Undoing again does nothing: those deletions are gone.
    assert_eq!(a.undo_deletions(&found, T0 + 200).unwrap(), 0);
}
