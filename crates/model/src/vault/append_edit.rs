//! An edit of one contact written without loading the document: what a one-shot `rapport tag`
//! or `rapport edit` does, as `append` does for a new interaction.
//!
//! An edit overwrites or deletes values, so besides the document's `Tip` its change needs the
//! operation ids of the values it replaces (each new operation's predecessors) and the id of
//! the contact's map. The read view keeps both beside the record (`ContactOrigins`, which the
//! provenance of `show` already read from the same operations). A key with concurrent values
//! (a conflict) has predecessors that only the document knows, and a membership also touches
//! its group's history: for those, and for a map some other program wrote, the caller loads the
//! document. Otherwise the change is byte for byte the one `Vault::edit_contact` commits (a test
//! below compares them on random patches), so no device can tell how it was written.
//!
//! One difference is allowed on purpose: "unchanged" is decided on the record as the view
//! reads it. A value another program stored in a form that reads the same as the new one (a
//! date without leading zeros) is left as it is, where the document path would rewrite it.

use super::append::{AppendedChange, Tip};
use super::provenance::{ContactOrigins, Origin};
use super::read::{is_edited_field, member_set, read_edited_field, split_member};
use super::write::{validate_patch_with, ValidPatch};
use crate::error::EditError;
use crate::schema::contact as ck;
use crate::vault::conflicts::RecordRef;
use crate::{Contact, ContactId, ContactPatch, UnixMillis};
use automerge::legacy::{Key, ObjectId, Op, OpId, OpType, SortedVec};
use automerge::ActorId;
use automerge::ScalarValue;
use std::collections::{BTreeMap, BTreeSet};

/// What `append_contact_edit` made of an edit.
#[derive(Debug)]
pub enum EditAppend {
    /// The contact already looked like that: nothing to write (as `edit_contact` returns false).
    Unchanged,
    /// The change, and what the store files of it.
    Appended(Box<AppendedEdit>),
    /// The edit needs the document (see the module); nothing was built.
    NeedsDocument,
}

/// A change that edits one contact, with the contact as the document now reads it.
#[derive(Debug, Clone)]
pub struct AppendedEdit {
    pub written: AppendedChange,
    pub contact: Contact,
    /// Its map's origins as the document now reads them.
    pub origins: ContactOrigins,
}

/// One key of the contact's map as the edit sees it: the operation holding its value (counter
/// and actor), the value when it is text, and its provenance.
#[derive(Clone)]
struct Held {
    op: (u64, ActorId),
    text: Option<String>,
    origin: Origin,
}

/// The change `Vault::edit_contact(contact.id, patch, now)` would commit on the document at
/// `tip`, as written by `tip.device`. `contact` and `origins` are the contact as the read view
/// holds them (without quarantine masks); `exists` says whether a contact the patch names (an
/// introducer) exists in the view.
pub fn append_contact_edit(
    tip: &Tip,
    contact: &Contact,
    origins: &ContactOrigins,
    patch: &ContactPatch,
    exists: impl Fn(ContactId) -> bool,
    now: UnixMillis,
) -> Result<EditAppend, EditError> {
    if patch.is_empty() {
        return Err(EditError::NothingToDo);
    }
    if !patch.add_groups.is_empty() || !patch.remove_groups.is_empty() {
        return Ok(EditAppend::NeedsDocument);
    }
    if patch.introduced_by == Some(contact.id) {
        return Err(crate::validate::InvalidValue::SelfIntroduction.into());
    }
    let valid = validate_patch_with(
        patch,
        |c| {
            if exists(c) {
                Ok(())
            } else {
                Err(EditError::NoSuchContact(c))
            }
        },
        // Memberships were sent to the document above.
        |g| Err(EditError::NoSuchGroup(g)),
    )?;
    let Some(map) = origins.map else {
        return Ok(EditAppend::NeedsDocument);
    };
    let Some(mut held) = held_keys(contact, origins) else {
        return Ok(EditAppend::NeedsDocument);
    };
    let mut writes = Writes {
        ops: Vec::new(),
        obj: ObjectId::Id(OpId(map.0, ActorId::from(map.1.as_bytes().as_slice()))),
        actor: ActorId::from(tip.device.as_bytes().as_slice()),
        start: tip.max_op + 1,
        written_by: Origin {
            key: String::new(),
            device: Some(tip.device),
            at: Some(now.div_euclid(1000).saturating_mul(1000)),
        },
    };
    writes.patch(&mut held, &valid);
    if writes.ops.is_empty() {
        return Ok(EditAppend::Unchanged);
    }
    writes.put(&mut held, ck::UPDATED, ScalarValue::Int(now));

    let mut after = contact.clone();
    let mut fields = BTreeSet::new();
    for op in &writes.ops {
        let Key::Map(key) = &op.key else {
            return Ok(EditAppend::NeedsDocument);
        };
        let value = match &op.action {
            OpType::Put(v) => Some(v),
            _ => None,
        };
        if !apply_to_record(&mut after, key, value) {
            return Ok(EditAppend::NeedsDocument);
        }
        if key != ck::UPDATED {
            fields.insert(key.to_string());
        }
    }
    // `finish_contact_edit` names the contact as it was before the edit.
    let name = origin_of(origins, "name").map_or("", |_| contact.name.as_str());
    let records = BTreeMap::from([(RecordRef::Contact(contact.id), fields)]);
    let message = format!("edit contact {name}");
    let written = AppendedChange::build(tip, writes.ops, message, now, records)?;
    Ok(EditAppend::Appended(Box::new(AppendedEdit {
        written,
        contact: after,
        origins: ContactOrigins {
            map: origins.map,
            origins: held.values().map(|h| h.origin.clone()).collect(),
            ops: held.values().map(|h| (h.op.0, false)).collect(),
        },
    })))
}

fn origin_of<'a>(origins: &'a ContactOrigins, key: &str) -> Option<&'a Origin> {
    origins.origins.iter().find(|o| o.key == key)
}

/// The keys of the contact's map with the operation that holds each, or `None` when the edit
/// needs the document: a key with concurrent values, or one another program wrote (its actor
/// is not a device id, so the view cannot name its operation).
fn held_keys(contact: &Contact, origins: &ContactOrigins) -> Option<BTreeMap<String, Held>> {
    if origins.origins.len() != origins.ops.len() {
        return None;
    }
    let mut held = BTreeMap::new();
    for (origin, (counter, conflict)) in origins.origins.iter().zip(&origins.ops) {
        let device = origin.device.filter(|_| !conflict)?;
        let op = (*counter, ActorId::from(device.as_bytes().as_slice()));
        let text = field_text(contact, &origin.key);
        let origin = origin.clone();
        held.insert(origin.key.clone(), Held { op, text, origin });
    }
    Some(held)
}

/// The operations of an edit, in the order `Vault::apply_patch` writes them.
struct Writes {
    ops: Vec<Op>,
    obj: ObjectId,
    actor: ActorId,
    start: u64,
    /// The provenance of what this change writes (its key left blank).
    written_by: Origin,
}

impl Writes {
    /// As `apply_patch`: each operation only where it changes what the contact reads, judged
    /// on the keys as the earlier operations of the same patch left them.
    fn patch(&mut self, held: &mut BTreeMap<String, Held>, v: &ValidPatch) {
        for (key, value) in &v.set {
            let current = held.get(*key).and_then(|h| h.text.as_deref());
            if current != Some(value.as_str()) {
                self.put(held, key, ScalarValue::Str(value.as_str().into()));
            }
        }
        for key in &v.clear {
            if held.contains_key(*key) {
                self.delete(held, key);
            }
        }
        for key in &v.add {
            if !held.contains_key(key) {
                self.put(held, key, ScalarValue::Boolean(true));
            }
        }
        for key in &v.remove {
            if held.contains_key(key) {
                self.delete(held, key);
            }
        }
    }

    fn next_op(&self) -> (u64, ActorId) {
        (self.start + self.ops.len() as u64, self.actor.clone())
    }

    fn push(&mut self, held: &BTreeMap<String, Held>, key: &str, action: OpType) {
        let pred = held
            .get(key)
            .map(|h| OpId(h.op.0, h.op.1.clone()))
            .into_iter()
            .collect::<Vec<_>>();
        self.ops.push(Op {
            action,
            obj: self.obj.clone(),
            key: Key::from(key),
            pred: SortedVec::from(pred),
            insert: false,
        });
    }

    fn put(&mut self, held: &mut BTreeMap<String, Held>, key: &str, value: ScalarValue) {
        let op = self.next_op();
        let text = value.as_str().map(str::to_owned);
        self.push(held, key, OpType::Put(value));
        let origin = Origin {
            key: key.to_owned(),
            ..self.written_by.clone()
        };
        held.insert(key.to_owned(), Held { op, text, origin });
    }

    fn delete(&mut self, held: &mut BTreeMap<String, Held>, key: &str) {
        self.push(held, key, OpType::Delete);
        held.remove(key);
    }
}

/// The text a field key holds as `Vault::str_at` would read it, from the record the view keeps
/// (`None` for a set member, a number, or an absent field).
fn field_text(c: &Contact, key: &str) -> Option<String> {
    let day = |d: &Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    match key {
        "name" => Some(c.name.clone()),
        "org" => c.org.clone(),
        "title" => c.title.clone(),
        "notes" => c.notes.clone(),
        "met_at" => c.met_at.clone(),
        "met_context" => c.met_context.clone(),
        "trust" => c.trust.map(|t| t.as_str().to_owned()),
        "met_on" => day(&c.met_on),
        "connected_on" => day(&c.connected_on),
        "introduced_by" => c.introduced_by.map(|i| i.to_string()),
        ck::CADENCE => c.cadence.map(|p| p.to_string()),
        _ => None,
    }
}

/// Applies one written key to the record as `read_contact` would read it (with the same
/// readers): `value` is the new value, `None` a deletion. Returns false for a key an edit never
/// writes, or text that does not read as its field.
fn apply_to_record(c: &mut Contact, key: &str, value: Option<&ScalarValue>) -> bool {
    if key == ck::UPDATED {
        let Some(ScalarValue::Int(at)) = value else {
            return false;
        };
        c.updated = *at;
        return true;
    }
    if let Some((prefix, member)) = split_member(key) {
        let Some(set) = member_set(c, prefix) else {
            return false;
        };
        match value {
            Some(_) => set.insert(member.to_owned()),
            None => set.remove(member),
        };
        return true;
    }
    is_edited_field(key) && read_edited_field(c, key, value.and_then(|v| v.as_str())).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Vault;
    use crate::{ContactField, DeviceId, Period, TrustLevel, VaultId};
    use proptest::prelude::*;

    const NOW: UnixMillis = 1_765_000_000_123;

    fn me() -> DeviceId {
        DeviceId::from_bytes([7; 32])
    }

    /// A vault with contacts 1 and 2; contact 1 was also edited on another device (so its
    /// keys hold operations of two actors).
    fn vault() -> Vault {
        let mut vault = Vault::create(me(), "laptop", VaultId::from_u64(5), NOW).unwrap();
        for (i, name) in [(1, "Ada"), (2, "Bob")] {
            let patch = ContactPatch {
                name: Some(name.into()),
                org: Some("Acme".into()),
                add_tags: vec!["vip".into()],
                add_emails: vec!["ada@example.org".into()],
                met_on: Some("2024-01-05".into()),
                ..Default::default()
            };
            vault
                .add_contact(ContactId::from_u64(i), &patch, NOW)
                .unwrap();
        }
        let mut phone = vault.fork_as(DeviceId::from_bytes([9; 32]));
        let patch = ContactPatch {
            title: Some("CTO".into()),
            trust: Some(TrustLevel::Met),
            add_tags: vec!["x".into()],
            ..Default::default()
        };
        phone
            .edit_contact(ContactId::from_u64(1), &patch, NOW + 1_000)
            .unwrap();
        vault.merge(&mut phone).unwrap();
        vault
    }

    fn pick<T: Clone + std::fmt::Debug + 'static>(values: Vec<T>) -> impl Strategy<Value = T> {
        proptest::sample::select(values)
    }

    fn some_of(values: &[&'static str]) -> impl Strategy<Value = Vec<String>> {
        proptest::sample::subsequence(values.to_vec(), 0..=values.len())
            .prop_map(|v| v.into_iter().map(str::to_owned).collect())
    }

    prop_compose! {
        fn patches()(
            name in pick(vec![None, Some("Ada"), Some("Eve"), Some("")]),
            org in pick(vec![None, Some("Acme"), Some("Beta")]),
            title in pick(vec![None, Some("CTO"), Some("CEO")]),
            trust in pick(vec![None, Some(TrustLevel::Met), Some(TrustLevel::Trusted)]),
            met_on in pick(vec![None, Some("2024-01-05"), Some("2024-1-6"), Some("soon")]),
            cadence in pick(vec![None, Some(Period::Months(1))]),
            introduced_by in pick(vec![None, Some(1u64), Some(2), Some(99)]),
            clear in proptest::sample::subsequence(
                vec![ContactField::Org, ContactField::Title, ContactField::Trust,
                     ContactField::MetOn, ContactField::Cadence, ContactField::IntroducedBy,
                     ContactField::MetAt, ContactField::ConnectedOn],
                0..=2,
            ),
            add_tags in some_of(&["vip", "x", "New Tag"]),
            remove_tags in some_of(&["vip", "x", "absent"]),
            add_emails in some_of(&["ada@example.org", "Eve@Example.org"]),
            remove_emails in some_of(&["ada@example.org", "eve@example.org"]),
            add_phones in some_of(&["+33 6 12 34 56 78"]),
            notes in pick(vec![None, Some("met at the \"corner\" café")]),
            met_at in pick(vec![None, Some("Lyon"), Some("  Lyon ")]),
            connected_on in pick(vec![None, Some("2023-12-31")]),
            add_links in some_of(&["https://example.org/ada"]),
            remove_phones in some_of(&["+33 6 12 34 56 78", "+1 555"]),
        ) -> ContactPatch {
            ContactPatch {
                name: name.map(str::to_owned),
                org: org.map(str::to_owned),
                title: title.map(str::to_owned),
                trust,
                met_on: met_on.map(str::to_owned),
                cadence,
                introduced_by: introduced_by.map(ContactId::from_u64),
                clear,
                add_tags,
                remove_tags,
                add_emails,
                remove_emails,
                add_phones,
                notes: notes.map(str::to_owned),
                met_at: met_at.map(str::to_owned),
                connected_on: connected_on.map(str::to_owned),
                add_links,
                remove_phones,
                ..Default::default()
            }
        }
    }

    /// Edits contact `id` both ways and compares everything the store files.
    fn compare(vault: &mut Vault, id: ContactId, patch: &ContactPatch, now: UnixMillis) {
        let tip = vault.tip(None).unwrap();
        let contact = vault.contact(id).unwrap().unwrap();
        let origins = vault.contact_origins(id).unwrap().unwrap();
        let exists = |c: ContactId| [1, 2].map(ContactId::from_u64).contains(&c);
        let appended = append_contact_edit(&tip, &contact, &origins, patch, exists, now);
        let edited = vault.edit_contact(id, patch, now);
        match (appended, edited) {
            (Err(a), Err(e)) => assert_eq!(a.to_string(), e.to_string()),
            (Ok(EditAppend::Unchanged), Ok(false)) => {}
            (Ok(EditAppend::Appended(a)), Ok(true)) => {
                let written = vault.doc.get_last_local_change().unwrap().clone();
                assert_eq!(written.raw_bytes(), a.written.change.raw_bytes());
                assert_eq!(vault.contact(id).unwrap().unwrap(), a.contact);
                assert_eq!(vault.contact_origins(id).unwrap().unwrap(), a.origins);
                assert_eq!(vault.tip(Some(&tip)).unwrap(), a.written.tip);
                let attributed = vault.attribute_changes(&tip.heads(), None);
                assert_eq!(attributed, vec![a.written.attributed]);
            }
            (a, e) => panic!("appended {a:?}, the vault's edit {e:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn the_appended_edit_is_the_one_edit_contact_commits(
            first in patches(),
            second in patches(),
            on_two in any::<bool>(),
        ) {
            let mut vault = vault();
            let id = ContactId::from_u64(if on_two { 2 } else { 1 });
            if !first.is_empty() {
                compare(&mut vault, id, &first, NOW + 60_000);
            }
            if !second.is_empty() {
                compare(&mut vault, id, &second, NOW + 120_500);
            }
        }
    }

    #[test]
    fn an_empty_patch_is_refused_as_edit_contact_refuses_it() {
        let mut vault = vault();
        let id = ContactId::from_u64(1);
        let tip = vault.tip(None).unwrap();
        let (c, o) = (
            vault.contact(id).unwrap().unwrap(),
            vault.contact_origins(id).unwrap().unwrap(),
        );
        let empty = ContactPatch::default();
        let err = append_contact_edit(&tip, &c, &o, &empty, |_| true, NOW).unwrap_err();
        assert!(matches!(err, EditError::NothingToDo));
    }

    #[test]
    fn a_conflicted_key_or_a_membership_needs_the_document() {
        let mut vault = vault();
        let id = ContactId::from_u64(1);
        let mut phone = vault.fork_as(DeviceId::from_bytes([9; 32]));
        let org = |o: &str| ContactPatch {
            org: Some(o.into()),
            ..Default::default()
        };
        vault.edit_contact(id, &org("Laptop Inc"), NOW).unwrap();
        phone.edit_contact(id, &org("Phone Inc"), NOW).unwrap();
        vault.merge(&mut phone).unwrap();
        let tip = vault.tip(None).unwrap();
        let (c, o) = (
            vault.contact(id).unwrap().unwrap(),
            vault.contact_origins(id).unwrap().unwrap(),
        );
        assert!(o.ops.iter().any(|(_, conflict)| *conflict));
        let tag = ContactPatch {
            add_tags: vec!["new".into()],
            ..Default::default()
        };
        let got = append_contact_edit(&tip, &c, &o, &tag, |_| true, NOW).unwrap();
        assert!(matches!(got, EditAppend::NeedsDocument));

        let other = ContactId::from_u64(2);
        let (c, o) = (
            vault.contact(other).unwrap().unwrap(),
            vault.contact_origins(other).unwrap().unwrap(),
        );
        let join = ContactPatch {
            add_groups: vec![crate::GroupId::from_u64(3)],
            ..Default::default()
        };
        let got = append_contact_edit(&tip, &c, &o, &join, |_| true, NOW).unwrap();
        assert!(matches!(got, EditAppend::NeedsDocument));
        // Without the conflict, the same tag is appended.
        let got = append_contact_edit(&tip, &c, &o, &tag, |_| true, NOW).unwrap();
        assert!(matches!(got, EditAppend::Appended(_)));
    }
}
