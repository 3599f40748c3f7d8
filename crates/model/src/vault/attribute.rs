//! Which contacts and groups each change touched, and which of their keys: what a per-record
//! history index (the store's `hist/` keys) is built from, so that `rapport log CONTACT` reads
//! a few keys instead of walking every change of the document.
//!
//! A change is read from its own operations (`Change::decode`), so attributing it costs what
//! the change is worth, not what the vault is. An interaction change is attributed to every
//! contact the interaction names (before or after the change). A membership (`group:<id>` on
//! a contact) is attributed to the contact and to the group.

use super::history::ChangeInfo;
use super::write::StoredInteraction;
use super::Vault;
use crate::schema::contact as ck;
use crate::{ContactId, Touched};
use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ChangeHash, ReadDoc, ScalarValue, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A change larger than this many operations is a bulk change (an import): when the caller
/// knows what it touched (a local commit), that is used instead of decoding it, and its
/// fields are not listed.
pub const BULK_OPS: u64 = 5_000;

/// A record whose history is indexed (the same reference conflicts and deletions use).
pub use super::conflicts::RecordRef;

/// One change and what it did to each record it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributedChange {
    pub info: ChangeInfo,
    /// The keys it wrote in each record (`name`, `tag:vip`, `interaction:<id>`,
    /// `member:<contact id>` for a group, ...); empty for a bulk change.
    pub records: BTreeMap<RecordRef, BTreeSet<String>>,
    /// Whether the change was too large to list its fields.
    pub bulk: bool,
}

impl Vault {
    /// The changes after `since`, each with the records it touched. `local` is what the
    /// caller's own writes touched since `since` (`take_touched`), used for a lone bulk change
    /// instead of decoding it.
    pub fn attribute_changes(
        &mut self,
        since: &[ChangeHash],
        local: Option<&Touched>,
    ) -> Vec<AttributedChange> {
        let mut changes = self.changes_after(since);
        if let ([info], Some(t)) = (changes.as_slice(), local) {
            if info.ops > BULK_OPS {
                let mut records = BTreeMap::new();
                for c in &t.contacts {
                    records.insert(RecordRef::Contact(*c), BTreeSet::new());
                }
                for g in &t.groups {
                    records.insert(RecordRef::Group(*g), BTreeSet::new());
                }
                return vec![AttributedChange {
                    info: changes.remove(0),
                    records,
                    bulk: true,
                }];
            }
        }
        // One pass over the operations for all of them (`get_change_by_hash` per change would
        // walk each one's operation range again).
        let full: HashMap<ChangeHash, automerge::Change> = self
            .doc
            .get_changes(since)
            .into_iter()
            .map(|c| (c.hash(), c))
            .collect();
        let mut objects: HashMap<String, Option<RecordRef>> = HashMap::new();
        let mut out = Vec::with_capacity(changes.len());
        for info in changes {
            let records = match full.get(&info.hash) {
                Some(change) => self.attribute_one(&info, change, &mut objects),
                None => BTreeMap::new(),
            };
            out.push(AttributedChange {
                bulk: info.ops > BULK_OPS,
                info,
                records,
            });
        }
        out
    }

    /// The contact or group whose map is the object `obj` (`counter@actor`), if any.
    fn record_of_object(&self, obj: &str) -> Option<RecordRef> {
        let exid = self.doc.import_obj(obj).ok()?;
        let parent = self.doc.parents(&exid).ok()?.next()?;
        let automerge::Prop::Map(key) = parent.prop else {
            return None;
        };
        if parent.obj == self.contacts {
            key.parse().ok().map(RecordRef::Contact)
        } else if parent.obj == self.groups {
            key.parse().ok().map(RecordRef::Group)
        } else {
            None
        }
    }

    fn attribute_one(
        &self,
        info: &ChangeInfo,
        change: &automerge::Change,
        objects: &mut HashMap<String, Option<RecordRef>>,
    ) -> BTreeMap<RecordRef, BTreeSet<String>> {
        let mut records: BTreeMap<RecordRef, BTreeSet<String>> = BTreeMap::new();
        let (contacts, groups, interactions) = (
            self.contacts.to_string(),
            self.groups.to_string(),
            self.interactions.to_string(),
        );
        let mut note = |r: RecordRef, field: String| {
            records.entry(r).or_default().insert(field);
        };
        for op in change.decode().operations {
            let (ObjectId::Id(obj), Key::Map(key)) = (&op.obj, &op.key) else {
                continue;
            };
            let obj = obj.to_string();
            let key = key.to_string();
            if obj == contacts {
                if let Ok(id) = key.parse() {
                    note(RecordRef::Contact(id), "created".into());
                }
            } else if obj == groups {
                if let Ok(id) = key.parse() {
                    note(RecordRef::Group(id), "created".into());
                }
            } else if obj == interactions {
                let field = format!("interaction:{key}");
                let mut named: BTreeSet<ContactId> = BTreeSet::new();
                if let OpType::Put(ScalarValue::Str(json)) = &op.action {
                    named.extend(contacts_in(json.as_str()));
                }
                // The version it replaced or deleted, for contacts that were dropped from it.
                if let Ok(Some((Value::Scalar(s), _))) =
                    self.doc
                        .get_at(&self.interactions, key.as_str(), &info.deps)
                {
                    if let Some(json) = s.as_str() {
                        named.extend(contacts_in(json));
                    }
                }
                for c in named {
                    note(RecordRef::Contact(c), field.clone());
                }
            } else if let Some(record) = *objects
                .entry(obj.clone())
                .or_insert_with(|| self.record_of_object(&obj))
            {
                if key == ck::UPDATED || key == ck::CREATED {
                    note(record, String::new());
                    continue;
                }
                if let (RecordRef::Contact(c), Some(g)) = (record, key.strip_prefix(ck::GROUP)) {
                    if let Ok(g) = g.parse() {
                        note(RecordRef::Group(g), format!("member:{c}"));
                    }
                }
                note(record, key);
            }
        }
        // The empty marker only made sure a record whose only write was `updated` is listed.
        for fields in records.values_mut() {
            fields.remove("");
        }
        records
    }
}

fn contacts_in(json: &str) -> Vec<ContactId> {
    serde_json::from_str::<StoredInteraction>(json)
        .map(|s| s.contacts)
        .unwrap_or_default()
}
