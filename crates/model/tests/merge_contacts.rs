//! `Vault::merge_contacts`: the survivor gains everything, interactions and introductions move,
//! the merged contact stays (trashed, `merged_into`) and its id resolves to the survivor.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    resolve_contact, ContactExtras, ContactId, ContactPatch, DeviceId, EditError, GroupId,
    InteractionId, InteractionKind, NewInteraction, TrustLevel, Vault, VaultId,
};

const T0: i64 = 1_700_000_000_000;

fn vault() -> Vault {
    Vault::create(
        DeviceId::from_bytes([1; 32]),
        "laptop",
        VaultId::from_u64(7),
        T0,
    )
    .unwrap()
}

fn add(v: &mut Vault, id: u64, patch: ContactPatch) -> ContactId {
    let id = ContactId::from_u64(id);
    v.add_contact(id, &patch, T0).unwrap();
    id
}

fn note(v: &mut Vault, id: u64, contacts: Vec<ContactId>) -> InteractionId {
    let iid = InteractionId::from_u64(id);
    let new = NewInteraction {
        contacts,
        at: T0,
        kind: InteractionKind::Call,
        text: format!("call {id}"),
        place: None,
    };
    v.add_interaction(iid, &new, T0).unwrap();
    iid
}

#[test]
fn merge_unites_fields_moves_interactions_and_keeps_the_old_id_resolvable() {
    let mut v = vault();
    let g1 = GroupId::from_u64(1);
    let g2 = GroupId::from_u64(2);
    v.create_group(g1, "climbing", None, T0).unwrap();
    v.create_group(g2, "work", None, T0).unwrap();
    let a = add(
        &mut v,
        1,
        ContactPatch {
            name: Some("Jeanne Yocum".into()),
            add_emails: vec!["jeanne@example.org".into()],
            add_groups: vec![g1],
            notes: Some("likes tea".into()),
            ..Default::default()
        },
    );
    let b = add(
        &mut v,
        2,
        ContactPatch {
            name: Some("Jeanne Y.".into()),
            org: Some("Yocum & Partners".into()),
            trust: Some(TrustLevel::Trusted),
            add_emails: vec!["jeanne@example.org".into(), "jy@work.example".into()],
            add_phones: vec!["+44 20 7946 0123".into()],
            add_tags: vec!["vip".into()],
            add_groups: vec![g2],
            notes: Some("met in Leeds".into()),
            ..Default::default()
        },
    );
    let c = add(
        &mut v,
        3,
        ContactPatch {
            name: Some("Omar".into()),
            introduced_by: Some(b),
            ..Default::default()
        },
    );
    v.set_contact_extras(
        b,
        &ContactExtras {
            birthday: Some("1980-04-15".into()),
            vcard_extra: Some("NICKNAME:JY\r\n".into()),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    let only_b = note(&mut v, 10, vec![b]);
    let both = note(&mut v, 11, vec![a, b, c]);
    let heads = v.heads();

    let report = v.merge_contacts(a, b, T0 + 1).unwrap();

    // One commit for the whole merge.
    assert_eq!(v.doc_mut().get_changes(&heads).len(), 1);
    let keep = v.contact(a).unwrap().unwrap();
    assert_eq!(
        keep.name, "Jeanne Yocum",
        "the survivor keeps its own values"
    );
    assert_eq!(keep.org.as_deref(), Some("Yocum & Partners"));
    assert_eq!(keep.trust, Some(TrustLevel::Trusted));
    assert_eq!(keep.notes.as_deref(), Some("likes tea\n\nmet in Leeds"));
    assert_eq!(keep.emails.len(), 2);
    assert!(keep.phones.contains("+442079460123"));
    assert!(keep.tags.contains("vip"));
    assert_eq!(keep.groups, [g1, g2].into_iter().collect());
    let extras = v.contact_extras(a).unwrap().unwrap();
    assert_eq!(extras.birthday.as_deref(), Some("1980-04-15"));
    assert_eq!(extras.vcard_extra.as_deref(), Some("NICKNAME:JY\r\n"));
    assert_eq!(v.interaction(only_b).unwrap().unwrap().contacts, vec![a]);
    assert_eq!(v.interaction(both).unwrap().unwrap().contacts, vec![a, c]);
    assert_eq!(report.interactions_moved.len(), 2);
    assert_eq!(v.contact(c).unwrap().unwrap().introduced_by, Some(a));

    let gone = v.contact(b).unwrap().unwrap();
    assert_eq!(gone.merged_into, Some(a));
    assert!(gone.is_trashed());
    let all = v.contacts().unwrap();
    assert_eq!(resolve_contact(&b.to_string(), &all).unwrap().id, a);
    // The merged contact never makes a name ambiguous.
    assert_eq!(resolve_contact("jeanne", &all).unwrap().id, a);

    assert!(matches!(
        v.merge_contacts(c, b, T0 + 2),
        Err(EditError::AlreadyMerged(_, _))
    ));
    assert!(matches!(
        v.merge_contacts(a, a, T0 + 2),
        Err(EditError::MergeSelf)
    ));
}

#[test]
fn a_chain_of_merges_resolves_to_the_last_survivor() {
    let mut v = vault();
    let name = |n: &str| ContactPatch {
        name: Some(n.into()),
        ..Default::default()
    };
    let a = add(&mut v, 1, name("Ann"));
    let b = add(&mut v, 2, name("Ann B"));
    let c = add(&mut v, 3, name("Ann C"));
    v.merge_contacts(b, c, T0).unwrap();
    v.merge_contacts(a, b, T0).unwrap();
    let all = v.contacts().unwrap();
    assert_eq!(resolve_contact(&c.to_string(), &all).unwrap().id, a);
}
