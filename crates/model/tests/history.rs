//! History and time travel: reading the past, reverting, restoring groups and undoing, with
//! forked vaults standing in for devices.
#![allow(clippy::unwrap_used)]

use rapport_model::{
    undone_by, ContactId, ContactPatch, DeviceId, GroupId, HistoryError, InteractionId,
    InteractionKind, NewInteraction, RecordRef, Vault, VaultId,
};

const T0: i64 = 1_700_000_000_000;
const SEC: i64 = 1_000;

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

fn vault() -> Vault {
    Vault::create(device(1), "laptop", VaultId::from_u64(7), T0).unwrap()
}

fn add(v: &mut Vault, n: u64, name: &str, at: i64) -> ContactId {
    let id = ContactId::from_u64(n);
    let patch = ContactPatch {
        name: Some(name.into()),
        add_emails: vec![format!(
            "{}@example.org",
            name.to_lowercase().replace(' ', ".")
        )],
        add_tags: vec!["climbing".into()],
        ..Default::default()
    };
    v.add_contact(id, &patch, at).unwrap();
    id
}

fn note(v: &mut Vault, n: u64, c: ContactId, text: &str, at: i64) -> InteractionId {
    let id = InteractionId::from_u64(n);
    let new = NewInteraction {
        contacts: vec![c],
        at,
        kind: InteractionKind::Note,
        text: text.into(),
        place: None,
    };
    v.add_interaction(id, &new, at).unwrap();
    id
}

fn patch(f: impl FnOnce(&mut ContactPatch)) -> ContactPatch {
    let mut p = ContactPatch::default();
    f(&mut p);
    p
}

/// Everything the user sees of a contact, without the `updated` stamp.
fn card(v: &Vault, id: ContactId) -> (rapport_model::Contact, Vec<(InteractionId, String)>) {
    let mut c = v.contact(id).unwrap().unwrap();
    c.updated = 0;
    let timeline = v
        .interactions_of(id)
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.text))
        .collect();
    (c, timeline)
}

#[test]
fn revert_to_a_time_before_three_edits_from_two_devices() {
    let mut a = vault();
    let id = add(&mut a, 1, "Jeanne Yocum", T0 + SEC);
    note(&mut a, 1, id, "met at the climbing gym", T0 + SEC);
    let before = card(&a, id);
    let mut b = a.fork_as(device(2));
    // Edit 1 (device a): org and a new email.
    a.edit_contact(
        id,
        &patch(|p| {
            p.org = Some("Acme".into());
            p.add_emails = vec!["jy@acme.example".into()];
        }),
        T0 + 10 * SEC,
    )
    .unwrap();
    // Edit 2 (device b): tag removed, title, a trashing and a note.
    b.edit_contact(
        id,
        &patch(|p| {
            p.remove_tags = vec!["climbing".into()];
            p.title = Some("CTO".into());
        }),
        T0 + 20 * SEC,
    )
    .unwrap();
    note(&mut b, 2, id, "called about the offsite", T0 + 21 * SEC);
    // Edit 3 (device a): the contact goes to the trash.
    a.trash_contact(id, T0 + 30 * SEC).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let edited = b.contact(id).unwrap().unwrap();
    assert!(edited.is_trashed() && edited.org.is_some() && edited.title.is_some());

    let heads = b.heads_at_time(T0 + 5 * SEC);
    assert_eq!(b.contact_at(id, &heads).unwrap().unwrap().org, None);
    b.revert_contact(id, &heads, "then", T0 + 40 * SEC).unwrap();
    assert_eq!(card(&b, id), before);
    // Synced back, the revert is the same on the other device.
    a.merge(&mut b).unwrap();
    assert_eq!(card(&a, id), before);
    // History is kept: the edited state is still readable at its heads.
    let later = a.heads_at_time(T0 + 35 * SEC);
    assert_eq!(
        a.contact_at(id, &later).unwrap().unwrap().org.as_deref(),
        Some("Acme")
    );
    // Reverting again to the same point has nothing to do.
    assert!(matches!(
        a.revert_contact(id, &heads, "then", T0 + 50 * SEC),
        Err(HistoryError::NothingToRevert)
    ));
}

#[test]
fn show_at_reads_a_contact_before_and_after_an_edit() {
    let mut v = vault();
    let id = add(&mut v, 1, "Ana Lima", T0 + SEC);
    let added = v.heads();
    v.edit_contact(id, &patch(|p| p.org = Some("Acme".into())), T0 + 60 * SEC)
        .unwrap();
    let edited = v.heads();
    assert_eq!(v.contact_at(id, &added).unwrap().unwrap().org, None);
    assert_eq!(
        v.contact_at(id, &edited).unwrap().unwrap().org.as_deref(),
        Some("Acme")
    );
    assert_eq!(v.heads_at_time(T0 + 30 * SEC), added);
    let empty = v.heads_at_time(T0);
    assert_eq!(v.contact_at(id, &empty).unwrap(), None);
    // A change prefix finds the change.
    let prefix = &edited[0].to_string()[..8];
    assert_eq!(v.find_change(prefix).unwrap(), edited[0]);
    assert!(matches!(
        v.find_change("zz"),
        Err(HistoryError::ChangeTooShort(_))
    ));
}

#[test]
fn undo_reverts_the_last_action_of_each_kind() {
    let mut v = vault();
    let id = add(&mut v, 1, "Ana Lima", T0 + SEC);
    let g = GroupId::from_u64(9);
    v.create_group(g, "Climbers", None, T0 + 2 * SEC).unwrap();
    v.edit_contact(id, &patch(|p| p.add_groups = vec![g]), T0 + 3 * SEC)
        .unwrap();
    let now = T0 + 10 * SEC;
    let undo_last = |v: &mut Vault| {
        let last = v.last_undoable_change().unwrap();
        v.undo_change(last.hash, now + SEC, &format!("undo {}", last.summary()))
            .unwrap();
    };

    // edit
    let before = card(&v, id);
    v.edit_contact(id, &patch(|p| p.org = Some("Acme".into())), now)
        .unwrap();
    undo_last(&mut v);
    assert_eq!(card(&v, id), before);
    // tag
    v.edit_contact(id, &patch(|p| p.add_tags = vec!["vip".into()]), now)
        .unwrap();
    undo_last(&mut v);
    assert_eq!(card(&v, id), before);
    // note
    note(&mut v, 5, id, "lunch", now);
    undo_last(&mut v);
    assert_eq!(card(&v, id), before);
    assert!(v.interaction(InteractionId::from_u64(5)).unwrap().is_none());
    // rm
    v.trash_contact(id, now).unwrap();
    undo_last(&mut v);
    assert_eq!(card(&v, id), before);
    // group delete
    v.delete_group(g, now).unwrap();
    undo_last(&mut v);
    assert_eq!(v.group(g).unwrap().unwrap().deleted, None);
    // add: the new contact goes to the trash, restorable.
    let other = add(&mut v, 2, "Bo Chen", now);
    undo_last(&mut v);
    assert!(v.contact(other).unwrap().unwrap().is_trashed());
    assert_eq!(card(&v, id), before);
}

#[test]
fn repeated_undo_walks_back_and_never_undoes_an_undo() {
    let mut v = vault();
    let id = add(&mut v, 1, "Ana Lima", T0 + SEC);
    v.edit_contact(id, &patch(|p| p.org = Some("One".into())), T0 + 2 * SEC)
        .unwrap();
    v.edit_contact(id, &patch(|p| p.org = Some("Two".into())), T0 + 3 * SEC)
        .unwrap();
    for (i, expected) in [Some("One"), None].into_iter().enumerate() {
        let last = v.last_undoable_change().unwrap();
        let report = v
            .undo_change(last.hash, T0 + (10 + i as i64) * SEC, "undo")
            .unwrap();
        assert_eq!(report.restored, 1);
        assert_eq!(v.contact(id).unwrap().unwrap().org.as_deref(), expected);
        let made = v.change(&report.change.unwrap()).unwrap();
        assert_eq!(undone_by(&made), Some(last.hash));
    }
    // Next comes the add itself; after it, only the vault's creation is left.
    let last = v.last_undoable_change().unwrap();
    assert!(last.summary().starts_with("add contact"));
    v.undo_change(last.hash, T0 + 20 * SEC, "undo").unwrap();
    assert!(v.last_undoable_change().is_none());
}

#[test]
fn undo_keeps_values_written_since_on_another_device() {
    let mut a = vault();
    let id = add(&mut a, 1, "Ana Lima", T0 + SEC);
    a.edit_contact(
        id,
        &patch(|p| {
            p.org = Some("Acme".into());
            p.title = Some("CTO".into());
        }),
        T0 + 2 * SEC,
    )
    .unwrap();
    let edit = a.heads()[0];
    let mut b = a.fork_as(device(2));
    b.edit_contact(id, &patch(|p| p.org = Some("Beta".into())), T0 + 3 * SEC)
        .unwrap();
    a.merge(&mut b).unwrap();
    let report = a.undo_change(edit, T0 + 4 * SEC, "undo edit").unwrap();
    assert_eq!((report.restored, report.kept), (1, 1));
    let c = a.contact(id).unwrap().unwrap();
    assert_eq!(c.org.as_deref(), Some("Beta"));
    assert_eq!(c.title, None);
    // Undoing it again finds nothing left to undo.
    assert!(matches!(
        a.undo_change(edit, T0 + 5 * SEC, "undo edit"),
        Err(HistoryError::AllChangedSince { .. })
    ));
}

#[test]
fn a_group_deleted_long_ago_comes_back_with_all_forty_members() {
    let mut a = vault();
    let g = GroupId::from_u64(40);
    a.create_group(g, "Board", Some("the old board"), T0 + SEC)
        .unwrap();
    let members: Vec<ContactId> = (1..=40)
        .map(|n| add(&mut a, n, &format!("Member {n}"), T0 + 2 * SEC))
        .collect();
    a.batch("add to group Board", T0 + 3 * SEC, |v| {
        for c in &members {
            v.edit_contact(*c, &patch(|p| p.add_groups = vec![g]), T0 + 3 * SEC)?;
        }
        Ok::<_, rapport_model::EditError>(())
    })
    .unwrap();
    let mut b = a.fork_as(device(2));
    a.delete_group(g, T0 + 4 * SEC).unwrap();
    // Long after: memberships lost on some contacts (another program, or a revert).
    for c in &members[..15] {
        a.edit_contact(*c, &patch(|p| p.remove_groups = vec![g]), T0 + 100 * SEC)
            .unwrap();
    }
    b.merge(&mut a).unwrap();
    let restored = b.restore_group_as_before(g, T0 + 200 * SEC).unwrap();
    assert_eq!((restored.members_readded, restored.members), (15, 40));
    a.merge(&mut b).unwrap();
    let group = a.group(g).unwrap().unwrap();
    assert_eq!(group.deleted, None);
    assert_eq!(group.description.as_deref(), Some("the old board"));
    for c in &members {
        assert!(a.contact(*c).unwrap().unwrap().groups.contains(&g), "{c}");
    }
    assert!(matches!(
        a.restore_group_as_before(g, T0 + 300 * SEC),
        Err(HistoryError::GroupNotDeleted)
    ));
}

#[test]
fn attribution_lists_each_change_of_a_contact_with_its_fields() {
    let mut a = vault();
    let id = add(&mut a, 1, "Ana Lima", T0 + SEC);
    let other = add(&mut a, 2, "Bo Chen", T0 + SEC);
    let mut b = a.fork_as(device(2));
    b.edit_contact(id, &patch(|p| p.title = Some("CTO".into())), T0 + 2 * SEC)
        .unwrap();
    note(&mut a, 3, id, "lunch", T0 + 3 * SEC);
    a.edit_contact(other, &patch(|p| p.org = Some("X".into())), T0 + 4 * SEC)
        .unwrap();
    a.merge(&mut b).unwrap();
    let all = a.attribute_changes(&[], None);
    let of_ana: Vec<_> = all
        .iter()
        .filter_map(|c| {
            c.records
                .get(&RecordRef::Contact(id))
                .map(|f| (c.info.summary().to_owned(), c.info.device, f.clone()))
        })
        .collect();
    assert_eq!(of_ana.len(), 3, "{of_ana:?}");
    assert!(of_ana.iter().any(|(m, d, f)| m.starts_with("add contact")
        && *d == Some(device(1))
        && f.contains("name")));
    assert!(of_ana
        .iter()
        .any(|(_, d, f)| *d == Some(device(2)) && f.contains("title")));
    assert!(of_ana
        .iter()
        .any(|(_, _, f)| f.contains(&format!("interaction:{}", InteractionId::from_u64(3)))));
}

#[test]
fn revert_among_candidates_matches_the_full_scan() {
    let mut a = vault();
    let id = add(&mut a, 1, "Jeanne Yocum", T0 + SEC);
    let kept = note(&mut a, 1, id, "kept", T0 + SEC);
    let then = a.heads();
    a.edit_contact(id, &patch(|p| p.org = Some("Acme".into())), T0 + 2 * SEC)
        .unwrap();
    let added = note(&mut a, 2, id, "added later", T0 + 3 * SEC);
    a.edit_interaction_text(kept, "kept, edited", T0 + 4 * SEC)
        .unwrap();
    let mut b = a.fork_as(device(2));
    let full = a.revert_contact(id, &then, "then", T0 + 5 * SEC).unwrap();
    let ids = [kept, added].into_iter().collect();
    let among = b
        .revert_contact_among(id, &then, "then", T0 + 5 * SEC, Some(&ids))
        .unwrap();
    assert_eq!(full, among);
    assert_eq!((full.keys, full.interactions), (1, 2));
    assert_eq!(card(&a, id), card(&b, id));
    assert_eq!(
        b.interactions_of_at_among(id, &then, &ids).unwrap(),
        b.interactions_of_at(id, &then).unwrap()
    );
}

#[test]
fn undo_of_an_import_trashes_its_contacts_and_keeps_later_edits() {
    let mut a = vault();
    let before = a.heads();
    a.batch("import 100 contacts", T0 + SEC, |v| {
        for n in 1..=100 {
            add(v, n, &format!("Person {n}"), T0 + SEC);
            note(v, n, ContactId::from_u64(n), "imported note", T0 + SEC);
        }
        Ok::<_, rapport_model::EditError>(())
    })
    .unwrap();
    let import = a.heads()[0];
    assert_ne!(vec![import], before);
    // Later, on another device: one imported note is edited.
    let mut b = a.fork_as(device(2));
    b.edit_interaction_text(InteractionId::from_u64(7), "edited since", T0 + 2 * SEC)
        .unwrap();
    a.merge(&mut b).unwrap();
    a.take_touched();
    let report = a
        .undo_change(import, T0 + 3 * SEC, "undo import 100 contacts")
        .unwrap();
    assert_eq!((report.restored, report.kept), (199, 1));
    assert!(a.contacts().unwrap().iter().all(|c| c.is_trashed()));
    let left: Vec<_> = a
        .interactions()
        .unwrap()
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(left, ["edited since"]);
    let touched = a.take_touched();
    assert_eq!(
        (touched.contacts.len(), touched.interactions.len()),
        (100, 99)
    );
}
