//! Revocation is monotonic: no merge, in any order, makes a revoked device trusted again.
#![allow(clippy::unwrap_used)]

use rapport_model::automerge::transaction::Transactable;
use rapport_model::automerge::ROOT;
use rapport_model::{ContactId, ContactPatch, Device, DeviceId, Vault, VaultId};

const T0: i64 = 1_700_000_000_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn add_contact(v: &mut Vault, n: u64) {
    let patch = ContactPatch {
        name: Some(format!("person {n}")),
        ..Default::default()
    };
    v.add_contact(ContactId::from_u64(n), &patch, T0).unwrap();
}

fn roster_device(id: DeviceId) -> Device {
    Device {
        id,
        name: "phone".into(),
        added_at: T0,
        added_by: Some(device(1)),
    }
}

#[test]
fn revocation_survives_a_concurrent_re_add() {
    let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap();
    a.add_device(&roster_device(device(3)), T0).unwrap();
    let mut b = a.fork_as(device(2));
    a.revoke_device(device(3), T0 + 1).unwrap();
    // B, not knowing, adds the device again (a fresh roster entry).
    b.add_device(&roster_device(device(3)), T0 + 2).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    for v in [&a, &b] {
        assert!(v.revoked().unwrap().contains(&device(3)));
    }
    // And a later re-add, after hearing of the revocation, does not undo it either.
    b.add_device(&roster_device(device(3)), T0 + 3).unwrap();
    assert!(b.revoked().unwrap().contains(&device(3)));
}

#[test]
fn revocations_in_two_concurrently_created_maps_both_count() {
    let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap();
    // A vault from before revocation existed has no `revoked` map.
    a.doc_mut().delete(ROOT, "revoked").unwrap();
    a.doc_mut().commit();
    let mut b = a.fork_as(device(2));
    a.revoke_device(device(3), T0 + 1).unwrap();
    b.revoke_device(device(4), T0 + 1).unwrap();
    a.merge(&mut b).unwrap();
    let revoked = a.revoked().unwrap();
    assert!(
        revoked.contains(&device(3)) && revoked.contains(&device(4)),
        "{revoked:?}"
    );
}

#[test]
fn changes_the_revoker_had_not_seen_are_counted() {
    let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap();
    a.add_device(&roster_device(device(3)), T0).unwrap();
    let mut c = a.fork_as(device(3));
    add_contact(&mut c, 1);
    a.merge(&mut c).unwrap(); // A has seen C's first change
    a.revoke_device(device(3), T0 + 5).unwrap();
    add_contact(&mut c, 2);
    add_contact(&mut c, 3);
    a.merge(&mut c).unwrap(); // relayed later: two changes A had not seen
    assert_eq!(
        a.changes_after_revocation().unwrap().get(&device(3)),
        Some(&2)
    );
    // They are kept in the history.
    assert!(a.contact(ContactId::from_u64(3)).unwrap().is_some());
    let entry = a.revocations().unwrap();
    assert_eq!(entry[0].by, Some(device(1)));
    assert!(!entry[0].left);
}

#[test]
fn leaving_is_a_self_revocation() {
    let mut a = Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap();
    let mut b = a.fork_as(device(2));
    b.revoke_device(device(2), T0).unwrap();
    a.merge(&mut b).unwrap();
    let r = a.revocations().unwrap();
    assert_eq!((r[0].device, r[0].left), (device(2), true));
    assert!(a.changes_after_revocation().unwrap().is_empty());
}
