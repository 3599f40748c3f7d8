//! Merge behaviour of the vault, tested the way it happens: fork a vault, edit both forks as
//! two devices, merge, and look at the result.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    ContactField, ContactId, ContactPatch, DeviceId, GroupId, InteractionId, InteractionKind,
    NewInteraction, TrustLevel, Vault, VaultId,
};

const T0: i64 = 1_700_000_000_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn vault_with_jeanne() -> (Vault, ContactId) {
    let mut v = Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap();
    let id = ContactId::from_u64(1);
    let patch = ContactPatch {
        name: Some("Jeanne Yocum".into()),
        add_emails: vec!["jeanne@example.org".into()],
        add_tags: vec!["climbing".into()],
        ..Default::default()
    };
    v.add_contact(id, &patch, T0).unwrap();
    (v, id)
}

fn tags(v: &Vault, id: ContactId) -> Vec<String> {
    v.contact(id).unwrap().unwrap().tags.into_iter().collect()
}

#[test]
fn concurrent_tag_adds_both_survive() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    let add = |t: &str| ContactPatch {
        add_tags: vec![t.into()],
        ..Default::default()
    };
    a.edit_contact(id, &add("vip"), T0 + 1).unwrap();
    b.edit_contact(id, &add("investor"), T0 + 2).unwrap();
    // The same tag added on both sides is still one tag.
    a.edit_contact(id, &add("rust"), T0 + 3).unwrap();
    b.edit_contact(id, &add("rust"), T0 + 4).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(tags(&a, id), ["climbing", "investor", "rust", "vip"]);
    assert_eq!(tags(&a, id), tags(&b, id));
}

#[test]
fn concurrent_tag_add_and_remove_of_different_tags_both_apply() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    let remove = ContactPatch {
        remove_tags: vec!["climbing".into()],
        ..Default::default()
    };
    let add = ContactPatch {
        add_tags: vec!["vip".into()],
        ..Default::default()
    };
    a.edit_contact(id, &remove, T0 + 1).unwrap();
    b.edit_contact(id, &add, T0 + 1).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(tags(&a, id), ["vip"]);
}

#[test]
fn concurrent_edits_of_different_fields_both_survive() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    let org = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    let trust = ContactPatch {
        trust: Some(TrustLevel::WorkedWith),
        add_phones: vec!["+44 20 7946 0123".into()],
        ..Default::default()
    };
    a.edit_contact(id, &org, T0 + 1).unwrap();
    b.edit_contact(id, &trust, T0 + 1).unwrap();
    a.merge(&mut b).unwrap();
    let c = a.contact(id).unwrap().unwrap();
    assert_eq!(c.org.as_deref(), Some("Acme"));
    assert_eq!(c.trust, Some(TrustLevel::WorkedWith));
    assert!(c.phones.contains("+442079460123"));
}

#[test]
fn concurrent_scalar_edit_is_deterministic_and_keeps_the_loser() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    let title = |t: &str| ContactPatch {
        title: Some(t.into()),
        ..Default::default()
    };
    a.edit_contact(id, &title("CTO"), T0 + 1).unwrap();
    b.edit_contact(id, &title("Founder"), T0 + 1).unwrap();
    let mut b2 = b.fork_as(device(3));
    a.merge(&mut b).unwrap();
    b2.merge(&mut a).unwrap();
    let winner_a = a.contact(id).unwrap().unwrap().title;
    let winner_b = b2.contact(id).unwrap().unwrap().title;
    assert_eq!(winner_a, winner_b, "both replicas pick the same winner");
    let values = a.field_values(id, ContactField::Title).unwrap();
    assert_eq!(
        values.len(),
        2,
        "the losing value stays visible: {values:?}"
    );
    assert_eq!(Some(values[0].value.clone()), winner_a);
    let devices: Vec<_> = values.iter().filter_map(|v| v.device).collect();
    assert!(devices.contains(&device(1)) && devices.contains(&device(2)));
}

#[test]
fn concurrent_interactions_on_one_contact_are_both_kept() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    let note = |text: &str| NewInteraction {
        contacts: vec![id],
        at: T0,
        kind: InteractionKind::Call,
        text: text.into(),
        place: None,
    };
    a.add_interaction(
        InteractionId::from_u64(10),
        &note("talked about climbing"),
        T0,
    )
    .unwrap();
    b.add_interaction(
        InteractionId::from_u64(11),
        &note("asked about the grant"),
        T0,
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let texts: Vec<String> = a
        .interactions_of(id)
        .unwrap()
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(texts.len(), 2);
    assert!(texts.contains(&"talked about climbing".to_owned()));
    assert!(texts.contains(&"asked about the grant".to_owned()));
    let by_device: Vec<DeviceId> = a.interactions().unwrap().iter().map(|i| i.device).collect();
    assert!(by_device.contains(&device(1)) && by_device.contains(&device(2)));
}

#[test]
fn concurrent_edit_of_one_note_keeps_the_losing_version_visible() {
    let (mut a, id) = vault_with_jeanne();
    let nid = InteractionId::from_u64(10);
    let new = NewInteraction {
        contacts: vec![id],
        at: T0,
        kind: InteractionKind::Note,
        text: "first draft".into(),
        place: Some("Lisbon".into()),
    };
    a.add_interaction(nid, &new, T0).unwrap();
    let mut b = a.fork_as(device(2));
    a.edit_interaction_text(nid, "edited on the laptop", T0 + 1)
        .unwrap();
    b.edit_interaction_text(nid, "edited on the phone", T0 + 1)
        .unwrap();
    a.merge(&mut b).unwrap();
    let versions = a.interaction_versions(nid).unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let winner = a.interaction(nid).unwrap().unwrap();
    assert_eq!(versions[0], winner);
    let texts: Vec<&str> = versions.iter().map(|v| v.text.as_str()).collect();
    assert!(texts.contains(&"edited on the laptop") && texts.contains(&"edited on the phone"));
    assert_eq!(winner.place.as_deref(), Some("Lisbon"));
}

/// Documented rule: trash is a flag, so an edit racing a delete is kept; the contact stays in
/// the trash (the deletion wins the visibility question) and a restore shows the edit.
#[test]
fn edit_racing_a_trash_is_kept_and_shows_after_restore() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    a.trash_contact(id, T0 + 1).unwrap();
    let patch = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    b.edit_contact(id, &patch, T0 + 2).unwrap();
    a.merge(&mut b).unwrap();
    let c = a.contact(id).unwrap().unwrap();
    assert!(c.is_trashed());
    assert_eq!(c.org.as_deref(), Some("Acme"));
    a.restore_contact(id, T0 + 3).unwrap();
    let c = a.contact(id).unwrap().unwrap();
    assert!(!c.is_trashed());
    assert_eq!(c.org.as_deref(), Some("Acme"));
}

#[test]
fn deleted_group_restores_with_its_members() {
    let (mut a, id) = vault_with_jeanne();
    let g = GroupId::from_u64(5);
    a.create_group(g, "Climbers", Some("Tuesday nights"), T0)
        .unwrap();
    let join = ContactPatch {
        add_groups: vec![g],
        ..Default::default()
    };
    a.edit_contact(id, &join, T0).unwrap();
    a.delete_group(g, T0 + 1).unwrap();
    assert!(a.group(g).unwrap().unwrap().deleted.is_some());
    a.restore_group(g, T0 + 2).unwrap();
    assert!(a.group(g).unwrap().unwrap().deleted.is_none());
    assert!(a.contact(id).unwrap().unwrap().groups.contains(&g));
}

#[test]
fn invalid_input_changes_nothing() {
    let (mut a, id) = vault_with_jeanne();
    let heads = a.heads();
    let bad = ContactPatch {
        org: Some("Acme".into()),
        add_emails: vec!["not-an-email".into()],
        ..Default::default()
    };
    assert!(a.edit_contact(id, &bad, T0 + 1).is_err());
    let bad_date = ContactPatch {
        name: Some("X".into()),
        met_on: Some("yesterday".into()),
        ..Default::default()
    };
    assert!(a
        .add_contact(ContactId::from_u64(2), &bad_date, T0)
        .is_err());
    assert_eq!(a.heads(), heads);
    assert_eq!(a.contact(id).unwrap().unwrap().org, None);
    assert!(a.contact(ContactId::from_u64(2)).unwrap().is_none());
}

#[test]
fn each_action_is_one_commit_with_a_message_and_time() {
    let (mut a, _) = vault_with_jeanne();
    let changes = a.doc_mut().get_changes(&[]);
    // create vault, add contact
    assert_eq!(changes.len(), 2);
    assert_eq!(
        changes[1].message().map(|m| m.to_string()).as_deref(),
        Some("add contact Jeanne Yocum")
    );
    assert_eq!(changes[1].timestamp(), T0 / 1000);
}

#[test]
fn batch_is_one_commit_and_rolls_back_on_error() {
    let (mut a, id) = vault_with_jeanne();
    let heads = a.heads();
    let result: Result<(), rapport_model::EditError> = a.batch("import 2", T0, |v| {
        let p = ContactPatch {
            name: Some("Ada".into()),
            ..Default::default()
        };
        v.add_contact(ContactId::from_u64(3), &p, T0)?;
        v.edit_contact(ContactId::from_u64(99), &p, T0)?;
        Ok(())
    });
    assert!(result.is_err());
    assert_eq!(a.heads(), heads);
    assert!(a.contact(ContactId::from_u64(3)).unwrap().is_none());
    a.batch("import 2", T0, |v| {
        for n in [3, 4] {
            let p = ContactPatch {
                name: Some(format!("Person {n}")),
                ..Default::default()
            };
            v.add_contact(ContactId::from_u64(n), &p, T0)?;
        }
        Ok::<_, rapport_model::EditError>(())
    })
    .unwrap();
    assert_eq!(a.doc_mut().get_changes(&heads).len(), 1);
    assert_eq!(a.contacts().unwrap().len(), 3);
    let _ = id;
}

#[test]
fn touched_between_reports_merged_records() {
    let (mut a, id) = vault_with_jeanne();
    let mut b = a.fork_as(device(2));
    let p = ContactPatch {
        org: Some("Acme".into()),
        ..Default::default()
    };
    b.edit_contact(id, &p, T0 + 1).unwrap();
    b.add_interaction(
        InteractionId::from_u64(9),
        &NewInteraction {
            contacts: vec![id],
            at: T0,
            kind: InteractionKind::Met,
            text: "hello".into(),
            place: None,
        },
        T0,
    )
    .unwrap();
    let touched = a.merge(&mut b).unwrap();
    assert!(touched.contacts.contains(&id));
    assert!(touched.interactions.contains(&InteractionId::from_u64(9)));
    assert!(!touched.other);
}

/// A new contact is written without reading first (`write_new_contact`); what it holds must be
/// exactly what applying the same patch to an existing contact gives.
#[test]
fn a_new_contact_holds_what_the_same_patch_gives_an_existing_one() {
    let patch = ContactPatch {
        name: Some("Ada Lovelace".into()),
        org: Some("Analytical Engines".into()),
        title: Some("Countess".into()),
        trust: Some(TrustLevel::Trusted),
        clear: vec![ContactField::Title],
        add_emails: vec!["ada@example.org".into(), "old@example.org".into()],
        remove_emails: vec!["old@example.org".into()],
        add_tags: vec!["math".into(), "poetry".into()],
        remove_tags: vec!["poetry".into()],
        ..Default::default()
    };
    let (mut v, _) = vault_with_jeanne();
    let fresh = ContactId::from_u64(10);
    v.add_contact(fresh, &patch, T0).unwrap();
    let edited = ContactId::from_u64(11);
    let name_only = ContactPatch {
        name: Some("placeholder".into()),
        ..Default::default()
    };
    v.add_contact(edited, &name_only, T0).unwrap();
    v.edit_contact(edited, &patch, T0).unwrap();

    let a = v.contact(fresh).unwrap().unwrap();
    let b = v.contact(edited).unwrap().unwrap();
    assert_eq!(a.name, "Ada Lovelace");
    assert_eq!(a.title, None, "set and cleared ends absent");
    assert_eq!(a.emails, b.emails);
    assert_eq!(
        a.emails.iter().collect::<Vec<_>>(),
        vec!["ada@example.org"],
        "added and removed ends absent"
    );
    assert_eq!(a.tags, b.tags);
    assert_eq!((a.org, a.trust), (b.org, b.trust));
}

/// Inside a batch, an interaction with a contact the batch added skips the lookup; the batch's
/// memory of what it added must not outlive it (a rolled-back contact does not exist).
#[test]
fn a_batch_forgets_the_contacts_it_added_when_it_ends() {
    let (mut v, _) = vault_with_jeanne();
    let ada = ContactId::from_u64(20);
    let note = |c: ContactId| NewInteraction {
        contacts: vec![c],
        at: T0,
        kind: InteractionKind::Note,
        text: "hello".into(),
        place: None,
    };
    let failed: Result<(), rapport_model::EditError> = v.batch("import", T0, |v| {
        let p = ContactPatch {
            name: Some("Ada".into()),
            ..Default::default()
        };
        v.add_contact(ada, &p, T0)?;
        v.add_interaction(InteractionId::from_u64(1), &note(ada), T0)?;
        v.edit_contact(ContactId::from_u64(99), &p, T0)?;
        Ok(())
    });
    assert!(failed.is_err());
    assert!(v.contact(ada).unwrap().is_none());
    assert!(matches!(
        v.add_interaction(InteractionId::from_u64(2), &note(ada), T0),
        Err(rapport_model::EditError::NoSuchContact(_))
    ));
    // Unknown contacts are still refused inside a batch.
    let unknown: Result<(), rapport_model::EditError> = v.batch("import", T0, |v| {
        v.add_interaction(
            InteractionId::from_u64(3),
            &note(ContactId::from_u64(77)),
            T0,
        )
    });
    assert!(matches!(
        unknown,
        Err(rapport_model::EditError::NoSuchContact(_))
    ));
}
