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
