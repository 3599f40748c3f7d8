//! `Vault::add_contacts` writes what one `batch` of `add_contact`, `set_contact_extras` and
//! `add_interaction` writes: the same records, extras, provenance and one change.
#![allow(clippy::unwrap_used)]

use rapport_model::automerge::ReadDoc;
use rapport_model::{
    ContactExtras, ContactId, ContactPatch, DeviceId, EditError, InteractionId, InteractionKind,
    NewContact, NewInteraction, TrustLevel, Vault, VaultId,
};

const T0: i64 = 1_700_000_000_000;
const NOW: i64 = T0 + 5_000;

fn vault() -> Vault {
    Vault::create(
        DeviceId::from_bytes([1; 32]),
        "laptop",
        VaultId::from_u64(7),
        T0,
    )
    .unwrap()
}

/// A vault with one contact already in it, and the same copy on a second vault.
fn two_vaults() -> (Vault, Vault, ContactId) {
    let mut a = vault();
    let old = ContactId::from_u64(999);
    let patch = ContactPatch {
        name: Some("Old Friend".into()),
        ..Default::default()
    };
    a.add_contact(old, &patch, T0).unwrap();
    a.take_touched();
    let b = a.fork_as(DeviceId::from_bytes([1; 32]));
    (a, b, old)
}

fn new_contacts(old: ContactId) -> Vec<NewContact> {
    (1..=20u64)
        .map(|n| {
            let id = ContactId::from_u64(n);
            let patch = ContactPatch {
                name: Some(format!("Person {n}")),
                org: (n % 2 == 0).then(|| "Acme".to_owned()),
                title: (n % 3 == 0).then(|| "Engineer".to_owned()),
                trust: (n % 4 == 0).then_some(TrustLevel::Trusted),
                connected_on: Some("2021-03-04".into()),
                add_emails: vec![format!("p{n}@example.com")],
                add_links: if n % 5 == 0 {
                    vec![format!("https://www.linkedin.com/in/p{n}")]
                } else {
                    Vec::new()
                },
                add_tags: vec!["linkedin".into()],
                ..Default::default()
            };
            let extras = (n % 3 == 1).then(|| ContactExtras {
                birthday: Some("1990-01-02".into()),
                anniversary: None,
                vcard_extra: Some(format!("X-THING:{n}")),
            });
            let mut with = vec![ContactId::from_u64(n)];
            if n % 7 == 0 {
                with.push(old);
                with.push(ContactId::from_u64(n - 1));
            }
            let interactions = vec![(
                InteractionId::from_u64(1_000 + n),
                NewInteraction {
                    contacts: with,
                    at: T0 - 86_400_000,
                    kind: InteractionKind::Note,
                    text: format!("Connected on LinkedIn ({n})"),
                    place: (n % 2 == 1).then(|| "Paris".to_owned()),
                },
            )];
            NewContact {
                id,
                patch,
                extras,
                interactions,
            }
        })
        .collect()
}

#[test]
fn add_contacts_writes_what_a_batch_of_single_writes_writes() {
    let (mut slow, mut fast, old) = two_vaults();
    let new = new_contacts(old);
    slow.batch("import test", NOW, |v| -> Result<(), EditError> {
        for c in &new {
            v.add_contact(c.id, &c.patch, NOW)?;
            if let Some(e) = c.extras.as_ref().filter(|e| !e.is_empty()) {
                v.set_contact_extras(c.id, e, NOW)?;
            }
            for (iid, i) in &c.interactions {
                v.add_interaction(*iid, i, NOW)?;
            }
        }
        Ok(())
    })
    .unwrap();
    fast.add_contacts("import test", NOW, &new).unwrap();

    assert_eq!(slow.contacts().unwrap(), fast.contacts().unwrap());
    assert_eq!(slow.interactions().unwrap(), fast.interactions().unwrap());
    for c in &new {
        assert_eq!(
            slow.contact_extras(c.id).unwrap(),
            fast.contact_extras(c.id).unwrap()
        );
    }
    assert_eq!(slow.take_touched(), fast.take_touched());
    // One change each, with the same message, time and operations.
    let (s, f) = (slow.doc_mut().stats(), fast.doc_mut().stats());
    assert_eq!((s.num_changes, s.num_ops), (f.num_changes, f.num_ops));
    let last = |v: &mut Vault| v.doc_mut().get_last_local_change().unwrap();
    let (ls, lf) = (last(&mut slow), last(&mut fast));
    assert_eq!(ls.message(), lf.message());
    assert_eq!(
        (ls.seq(), ls.start_op(), ls.len()),
        (lf.seq(), lf.start_op(), lf.len())
    );
    assert_eq!(ls.timestamp(), lf.timestamp());
    // The fast vault keeps writing as usual after it.
    let patch = ContactPatch {
        title: Some("Boss".into()),
        ..Default::default()
    };
    assert!(fast
        .edit_contact(ContactId::from_u64(3), &patch, NOW)
        .unwrap());
    assert_eq!(
        fast.contact(ContactId::from_u64(3))
            .unwrap()
            .unwrap()
            .title
            .as_deref(),
        Some("Boss")
    );
}

#[test]
fn add_contacts_refuses_an_existing_id_and_writes_nothing() {
    let (_, mut v, old) = two_vaults();
    let mut new = new_contacts(old);
    new[5].id = old;
    let before = v.doc_mut().get_heads();
    assert!(matches!(
        v.add_contacts("import test", NOW, &new),
        Err(EditError::ContactExists(id)) if id == old
    ));
    assert_eq!(v.doc_mut().get_heads(), before);
    assert!(v.take_touched().is_empty());
}

#[test]
fn add_contacts_refuses_an_interaction_with_an_unknown_contact() {
    let (_, mut v, old) = two_vaults();
    let mut new = new_contacts(old);
    new[2].interactions[0]
        .1
        .contacts
        .push(ContactId::from_u64(123_456));
    assert!(matches!(
        v.add_contacts("import test", NOW, &new),
        Err(EditError::NoSuchContact(_))
    ));
    assert!(v.contacts().unwrap().len() == 1);
}

#[test]
fn contact_count_counts_what_contacts_lists_trashed_ones_included() {
    let (mut a, _, old) = two_vaults();
    a.add_contacts("import", NOW, &new_contacts(old)).unwrap();
    a.trash_contact(ContactId::from_u64(3), NOW).unwrap();
    assert_eq!(a.contact_count(), 21);
    assert_eq!(a.contact_count(), a.contacts().unwrap().len());
}
