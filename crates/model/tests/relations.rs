//! Schema 2: cadences, follow-ups, introductions and the migration from schema 1, tested the
//! way they are used: one device, or two forks edited concurrently and merged.
#![allow(clippy::unwrap_used)]

use rapport_model::automerge::transaction::Transactable;
use rapport_model::automerge::{AutoCommit, ObjType, ROOT};
use rapport_model::{
    ContactField, ContactId, ContactPatch, DeviceId, FollowUpState, GroupId, InteractionId,
    InteractionKind, NewInteraction, Period, Vault, VaultId,
};

const T0: i64 = 1_780_000_000_000; // 2026-05-28
const DAY: i64 = 86_400_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn vault() -> Vault {
    Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap()
}

fn add(v: &mut Vault, n: u64, name: &str) -> ContactId {
    let id = ContactId::from_u64(n);
    let patch = ContactPatch {
        name: Some(name.into()),
        ..Default::default()
    };
    v.add_contact(id, &patch, T0).unwrap();
    id
}

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn note_with_follow_up(v: &mut Vault, n: u64, c: ContactId, due: &str) -> InteractionId {
    let id = InteractionId::from_u64(n);
    let new = NewInteraction {
        contacts: vec![c],
        at: T0,
        kind: InteractionKind::Note,
        text: "Send the deck".into(),
        place: None,
    };
    v.add_note_with_follow_up(id, &new, date(due), T0).unwrap();
    id
}

#[test]
fn a_cadence_set_on_two_devices_at_once_converges_and_shows_as_a_conflict() {
    let mut a = vault();
    let jeanne = add(&mut a, 1, "Jeanne");
    let mut b = a.fork_as(device(2));
    let set = |p: &str| ContactPatch {
        cadence: Some(p.parse().unwrap()),
        ..Default::default()
    };
    a.edit_contact(jeanne, &set("90d"), T0 + 1).unwrap();
    b.edit_contact(jeanne, &set("1mo"), T0 + 2).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let (ca, cb) = (
        a.contact(jeanne).unwrap().unwrap(),
        b.contact(jeanne).unwrap().unwrap(),
    );
    assert!(ca.cadence.is_some());
    assert_eq!(ca.cadence, cb.cadence);
    assert_eq!(
        a.field_values(jeanne, ContactField::Cadence).unwrap().len(),
        2
    );
    assert!(a.conflicts().unwrap().iter().any(|c| c.field == "cadence"));
}

#[test]
fn a_follow_up_closed_on_one_device_and_snoozed_on_the_other_ends_closed() {
    for merge_order in [false, true] {
        let mut a = vault();
        let jeanne = add(&mut a, 1, "Jeanne");
        let f = note_with_follow_up(&mut a, 10, jeanne, "2026-06-01");
        let mut b = a.fork_as(device(2));
        assert!(a.close_follow_up(jeanne, f, T0 + DAY).unwrap());
        b.snooze_follow_up(jeanne, f, date("2026-07-01"), T0 + 2 * DAY)
            .unwrap();
        if merge_order {
            a.merge(&mut b).unwrap();
            b.merge(&mut a).unwrap();
        } else {
            b.merge(&mut a).unwrap();
            a.merge(&mut b).unwrap();
        }
        for v in [&a, &b] {
            let fu = v.contact(jeanne).unwrap().unwrap().follow_ups[&f];
            assert_eq!(fu.state(date("2026-06-02")), FollowUpState::Done);
            assert_eq!(fu.snoozed_until, Some(date("2026-07-01")));
        }
        // And a closed follow-up refuses a later snooze.
        assert!(a
            .snooze_follow_up(jeanne, f, date("2026-08-01"), T0 + 3 * DAY)
            .is_err());
    }
}

#[test]
fn a_note_with_a_follow_up_is_one_commit_and_undo_of_done_reopens_it() {
    let mut v = vault();
    let jeanne = add(&mut v, 1, "Jeanne");
    let before = v.changes().len();
    let f = note_with_follow_up(&mut v, 10, jeanne, "2026-06-01");
    assert_eq!(v.changes().len(), before + 1);
    assert_eq!(v.interactions_of(jeanne).unwrap().len(), 1);
    v.close_follow_up(jeanne, f, T0 + DAY).unwrap();
    assert!(!v.close_follow_up(jeanne, f, T0 + DAY).unwrap());
    let last = v.last_undoable_change().unwrap();
    v.undo_change(last.hash, T0 + 2 * DAY, "undo").unwrap();
    let fu = v.contact(jeanne).unwrap().unwrap().follow_ups[&f];
    assert_eq!(fu.done, None);
    // The past is readable (`show --at`) and revertible like any key.
    let heads_then = v.heads_at_time(T0 + DAY);
    let then = v.contact_at(jeanne, &heads_then).unwrap().unwrap();
    assert!(then.follow_ups[&f].done.is_some());
    v.revert_contact(jeanne, &heads_then, "then", T0 + 3 * DAY)
        .unwrap();
    assert!(v.contact(jeanne).unwrap().unwrap().follow_ups[&f]
        .done
        .is_some());
}

#[test]
fn snoozing_a_contact_defers_its_reminder_and_open_follow_ups_in_one_commit() {
    let mut v = vault();
    let jeanne = add(&mut v, 1, "Jeanne");
    let open = note_with_follow_up(&mut v, 10, jeanne, "2026-06-01");
    let closed = note_with_follow_up(&mut v, 11, jeanne, "2026-06-02");
    v.close_follow_up(jeanne, closed, T0).unwrap();
    let before = v.changes().len();
    let deferred = v
        .snooze_contact(jeanne, date("2026-06-20"), T0 + DAY)
        .unwrap();
    assert_eq!(deferred, [open]);
    assert_eq!(v.changes().len(), before + 1);
    let c = v.contact(jeanne).unwrap().unwrap();
    assert_eq!(c.snoozed_until, Some(date("2026-06-20")));
    assert_eq!(c.follow_ups[&open].effective_due(), date("2026-06-20"));
    assert_eq!(c.follow_ups[&closed].snoozed_until, None);
}

#[test]
fn group_and_tag_cadences_are_set_cleared_and_undone() {
    let mut v = vault();
    let g = GroupId::from_u64(5);
    v.create_group(g, "Investors", None, T0).unwrap();
    assert!(v.set_group_cadence(g, Some(Period::Days(30)), T0).unwrap());
    assert!(!v.set_group_cadence(g, Some(Period::Days(30)), T0).unwrap());
    assert_eq!(v.group(g).unwrap().unwrap().cadence, Some(Period::Days(30)));
    assert!(v
        .set_tag_cadence("Climbing", Some(Period::Months(6)), T0)
        .unwrap());
    assert_eq!(v.tag_cadences().unwrap()["climbing"], Period::Months(6));
    let last = v.last_undoable_change().unwrap();
    assert!(last.message.contains("tag climbing"));
    v.undo_change(last.hash, T0 + 1, "undo").unwrap();
    assert!(v.tag_cadences().unwrap().is_empty());
    v.set_group_cadence(g, None, T0 + 2).unwrap();
    assert_eq!(v.group(g).unwrap().unwrap().cadence, None);
}

/// A vault as rapport wrote it before schema 2: no `tag_cadences`, version 1.
fn schema_1_vault() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(rapport_model::vault_actor(device(1)));
    doc.put(ROOT, "schema_version", 1u64).unwrap();
    doc.put(ROOT, "vault_id", "0000000000000007").unwrap();
    doc.put(ROOT, "created", T0).unwrap();
    for key in ["contacts", "interactions", "groups", "devices", "revoked"] {
        doc.put_object(ROOT, key, ObjType::Map).unwrap();
    }
    doc.commit();
    doc
}

#[test]
fn an_older_vault_opens_and_is_migrated_once() {
    let mut v = Vault::open(schema_1_vault(), device(1)).unwrap();
    assert_eq!(v.schema_version(), 1);
    let jeanne = add(&mut v, 1, "Jeanne");
    assert!(v.migrate(T0).unwrap());
    assert_eq!(v.schema_version(), 2);
    assert!(!v.migrate(T0).unwrap());
    assert!(v
        .changes()
        .iter()
        .any(|c| c.message == "migrate schema 1 to 2"));
    v.set_tag_cadence("vip", Some(Period::Weeks(2)), T0)
        .unwrap();
    assert_eq!(v.contact(jeanne).unwrap().unwrap().name, "Jeanne");
    // A newer schema is refused, not misread.
    let mut doc = v.into_doc();
    doc.put(ROOT, "schema_version", 3u64).unwrap();
    doc.commit();
    assert!(Vault::open(doc, device(1)).is_err());
}

#[test]
fn two_devices_migrating_at_once_lose_no_tag_cadence() {
    let mut a = Vault::open(schema_1_vault(), device(1)).unwrap();
    let mut b = a.fork_as(device(2));
    a.migrate(T0).unwrap();
    b.migrate(T0).unwrap();
    a.set_tag_cadence("vip", Some(Period::Weeks(2)), T0 + 1)
        .unwrap();
    b.set_tag_cadence("climbing", Some(Period::Months(6)), T0 + 2)
        .unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    for v in [&a, &b] {
        let t = v.tag_cadences().unwrap();
        assert_eq!(t.get("vip"), Some(&Period::Weeks(2)));
        assert_eq!(t.get("climbing"), Some(&Period::Months(6)));
        assert_eq!(v.schema_version(), 2);
    }
    // A write after the merge reaches every copy, so clearing really clears.
    a.set_tag_cadence("vip", None, T0 + 3).unwrap();
    assert!(!a.tag_cadences().unwrap().contains_key("vip"));
}

#[test]
fn introduce_is_one_intro_interaction_and_sets_introduced_by_only_when_asked() {
    let mut v = vault();
    let ann = add(&mut v, 1, "Ann");
    let bob = add(&mut v, 2, "Bob");
    let before = v.changes().len();
    let i = InteractionId::from_u64(9);
    v.introduce(i, ann, bob, T0, None, false, T0).unwrap();
    assert_eq!(v.changes().len(), before + 1);
    let intro = v.interaction(i).unwrap().unwrap();
    assert_eq!(intro.kind, InteractionKind::Intro);
    assert_eq!(intro.contacts, [ann, bob]);
    assert_eq!(intro.text, "Introduced Ann and Bob");
    assert_eq!(v.contact(bob).unwrap().unwrap().introduced_by, None);
    v.introduce(
        InteractionId::from_u64(10),
        ann,
        bob,
        T0,
        Some("coffee"),
        true,
        T0,
    )
    .unwrap();
    assert_eq!(v.changes().len(), before + 2);
    assert_eq!(v.contact(bob).unwrap().unwrap().introduced_by, Some(ann));
    assert_eq!(v.contact(ann).unwrap().unwrap().introduced_by, None);
    assert!(v
        .introduce(InteractionId::from_u64(11), ann, ann, T0, None, false, T0)
        .is_err());
}

#[test]
fn a_merge_carries_cadence_and_follow_ups_to_the_survivor() {
    let mut v = vault();
    let keep = add(&mut v, 1, "Jeanne");
    let gone = add(&mut v, 2, "Jeanne Y");
    let p = ContactPatch {
        cadence: Some(Period::Days(45)),
        ..Default::default()
    };
    v.edit_contact(gone, &p, T0).unwrap();
    let f = note_with_follow_up(&mut v, 10, gone, "2026-06-01");
    let g = note_with_follow_up(&mut v, 11, gone, "2026-06-03");
    v.snooze_follow_up(gone, f, date("2026-06-10"), T0).unwrap();
    v.close_follow_up(gone, g, T0).unwrap();
    v.merge_contacts(keep, gone, T0 + DAY).unwrap();
    let c = v.contact(keep).unwrap().unwrap();
    assert_eq!(c.cadence, Some(Period::Days(45)));
    assert_eq!(c.follow_ups[&f].snoozed_until, Some(date("2026-06-10")));
    assert!(c.follow_ups[&g].done.is_some());
    // The note moved with them.
    assert_eq!(v.interaction(f).unwrap().unwrap().contacts, [keep]);
}
