//! Schema 2 in the read view: cadences, follow-ups and tag cadences are readable without
//! loading the document, kept current by each commit and by a rebuild.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    ContactId, ContactPatch, DeviceId, GroupId, InteractionId, InteractionKind, NewInteraction,
    Period, Vault, VaultId,
};
use rapport_store::Store;

const T0: i64 = 1_780_000_000_000;

#[test]
fn the_view_carries_cadences_follow_ups_and_tag_cadences_through_commits_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let me = DeviceId::from_bytes([1; 32]);
    let mut v = Vault::create(me, "laptop", VaultId::from_u64(1), T0).unwrap();
    store.create_vault(&mut v).unwrap();
    let jeanne = ContactId::from_u64(1);
    let patch = ContactPatch {
        name: Some("Jeanne".into()),
        cadence: Some(Period::Days(90)),
        ..Default::default()
    };
    v.add_contact(jeanne, &patch, T0).unwrap();
    let g = GroupId::from_u64(2);
    v.create_group(g, "Investors", None, T0).unwrap();
    v.set_group_cadence(g, Some(Period::Days(30)), T0).unwrap();
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    v.set_tag_cadence("climbing", Some(Period::Months(6)), T0)
        .unwrap();
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    let note = InteractionId::from_u64(3);
    let new = NewInteraction {
        contacts: vec![jeanne],
        at: T0,
        kind: InteractionKind::Note,
        text: "Send the deck".into(),
        place: None,
    };
    v.add_note_with_follow_up(note, &new, "2026-06-01".parse().unwrap(), T0)
        .unwrap();
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    let check = |store: &Store| {
        let view = store.view();
        let c = view.contact(jeanne).unwrap().unwrap();
        assert_eq!(c.contact.cadence, Some(Period::Days(90)));
        assert!(c.contact.follow_ups.contains_key(&note));
        assert_eq!(c.timeline.len(), 1);
        assert_eq!(view.groups().unwrap()[0].cadence, Some(Period::Days(30)));
        assert_eq!(
            view.tag_cadences().unwrap().get("climbing"),
            Some(&Period::Months(6))
        );
        assert_eq!(view.interactions().unwrap().len(), 1);
    };
    assert!(store.view_is_current().unwrap());
    check(&store);
    store.rebuild_view(&mut v).unwrap();
    check(&store);
}

#[test]
fn the_relate_index_keeps_newest_shared_and_follow_up_notes_through_commits_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let me = DeviceId::from_bytes([1; 32]);
    let mut v = Vault::create(me, "laptop", VaultId::from_u64(1), T0).unwrap();
    store.create_vault(&mut v).unwrap();
    let (ann, bob) = (ContactId::from_u64(1), ContactId::from_u64(u64::MAX - 1));
    for (id, name) in [(ann, "Ann"), (bob, "Bob")] {
        let patch = ContactPatch {
            name: Some(name.into()),
            notes: Some("a long note nobody ranks by".into()),
            add_emails: vec![format!("{}@example.org", name.to_lowercase())],
            ..Default::default()
        };
        v.add_contact(id, &patch, T0).unwrap();
    }
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();
    let log = |v: &mut Vault, id: u64, contacts: Vec<ContactId>, at: i64, text: &str| {
        let new = NewInteraction {
            contacts,
            at,
            kind: InteractionKind::Meeting,
            text: text.into(),
            place: Some("the office".into()),
        };
        v.add_interaction(InteractionId::from_u64(id), &new, T0)
            .unwrap();
        let t = v.take_touched();
        store.commit(v, &t).unwrap();
    };
    log(&mut v, 10, vec![ann], T0 - 3_000, "old, alone");
    log(&mut v, 11, vec![ann, bob], T0 - 2_000, "both at lunch");
    log(&mut v, 12, vec![ann], T0 - 1_000, "Ann's newest");
    let deck = NewInteraction {
        contacts: vec![bob],
        at: T0 - 5_000,
        kind: InteractionKind::Note,
        text: "Send the deck".into(),
        place: None,
    };
    v.add_note_with_follow_up(
        InteractionId::from_u64(13),
        &deck,
        "2026-06-01".parse().unwrap(),
        T0,
    )
    .unwrap();
    let t = v.take_touched();
    store.commit(&mut v, &t).unwrap();

    let check = |store: &Store| {
        let book = store.view().relate_book().unwrap();
        let mut ids: Vec<u64> = book.interactions.iter().map(|i| i.id.as_u64()).collect();
        ids.sort();
        // 10 is neither anyone's newest nor shared; 11 is shared (and Bob's newest).
        assert_eq!(ids, vec![11, 12, 13]);
        let text = |id: u64| {
            let i = book.interactions.iter().find(|i| i.id.as_u64() == id);
            i.unwrap().text.clone()
        };
        assert_eq!(text(13), "Send the deck");
        assert_eq!(text(11), "");
        assert_eq!(book.contacts.len(), 2);
        assert!(book.contacts.iter().all(|c| c.notes.is_none()));
        assert!(book.contacts.iter().all(|c| c.emails.len() == 1));
    };
    check(&store);
    store.rebuild_view(&mut v).unwrap();
    check(&store);
}
