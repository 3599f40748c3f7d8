//! Undoing one change: the primitive behind `rapport undo` (the last local action) and
//! `rapport import undo` (an import is one change whose message starts with `import `).
//!
//! `Vault::undo_change(hash, now, message)` reverts exactly the effect of one change, as ONE
//! new change; history is never rewritten. For every map key the change wrote (read from the
//! change's own operations, so the cost follows the size of the change, not of the vault):
//! - if the key still holds the value that change wrote (an equal value, or still absent if
//!   the change deleted it), it is put back to its value at the change's
//!   parents: re-put, or deleted if it did not exist then;
//! - otherwise a later change (from this or another device) wrote it, and it is kept: an undo
//!   never clobbers later work;
//! - a record the change created is not deleted: a contact goes to the trash and a group is
//!   marked deleted (both stay restorable); an interaction or roster entry is removed.
//!
//! Contacts it touches get `updated = now`. The undo's message is `message` followed by a
//! trailer line `undoes <hash>`, which `last_undoable_change` reads so that repeated undos walk
//! back through a device's actions instead of undoing the undo.

use super::history::{ChangeInfo, HistoryError};
use super::revert::apply;
use super::Vault;
use crate::schema::{self, contact as ck, group as gk};
use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ChangeHash, ObjId, ReadDoc, ScalarValue, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The trailer an undo's message carries, followed by the hash of the change it undid.
pub const UNDOES: &str = "undoes ";

/// What an undo wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoReport {
    /// Keys put back as they were before the change.
    pub restored: usize,
    /// Keys the change wrote that later changes have written since, left as they are.
    pub kept: usize,
    /// The hash of the new change.
    pub change: Option<ChangeHash>,
}

impl Vault {
    /// Reverts exactly the effect of the change `hash` (see the module documentation), as one
    /// commit whose message is `message` plus the `undoes <hash>` trailer. Errors, writing
    /// nothing, when the change is unknown, created the vault, or every value it wrote has
    /// been changed since.
    pub fn undo_change(
        &mut self,
        hash: ChangeHash,
        now: crate::UnixMillis,
        message: &str,
    ) -> Result<UndoReport, HistoryError> {
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or_else(|| HistoryError::NoSuchChange(hash.to_string()))?;
        let parents = change.deps().to_vec();
        if parents.is_empty() {
            return Err(HistoryError::Genesis);
        }
        let start = change.start_op().get();
        let actor = change.actor_id().clone();
        let expanded = change.decode();
        // Objects this change made: their contents are undone by undoing their creation.
        let mut created: HashSet<String> = HashSet::new();
        let mut targets: BTreeSet<(String, String)> = BTreeSet::new();
        for (i, op) in expanded.operations.iter().enumerate() {
            if matches!(op.action, OpType::Make(_)) {
                created.insert(format!("{}@{}", start + i as u64, actor));
            }
            if let (ObjectId::Id(obj), Key::Map(key)) = (&op.obj, &op.key) {
                targets.insert((obj.to_string(), key.to_string()));
            } else if let (ObjectId::Root, Key::Map(key)) = (&op.obj, &op.key) {
                targets.insert(("_root".to_owned(), key.to_string()));
            }
        }
        let mut by_obj: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (obj, key) in targets {
            if !created.contains(&obj) && key != ck::UPDATED {
                by_obj.entry(obj).or_default().push(key);
            }
        }
        let mut plan: Vec<(ObjId, String, Option<ScalarValue>)> = Vec::new();
        let mut report = UndoReport::default();
        let mut touched_contacts: BTreeSet<ObjId> = BTreeSet::new();
        for (obj_str, keys) in &by_obj {
            let Ok(obj) = self.doc.import_obj(obj_str) else {
                continue;
            };
            let collection = [
                &self.contacts,
                &self.interactions,
                &self.groups,
                &self.devices,
            ]
            .contains(&&obj);
            let in_contact = !collection && self.parent_is(&obj, &self.contacts);
            for (key, (current, wrote, before)) in
                keys.iter().zip(self.reads(&obj, keys, hash, &parents)?)
            {
                if current != wrote {
                    report.kept += 1;
                    continue;
                }
                let write = match (before, current) {
                    (None, None) => continue,
                    (Some(Slot::Scalar(s)), _) => Some((obj.clone(), key.clone(), Some(s))),
                    // The change replaced or removed an object: there is no value to put back.
                    (Some(Slot::Object(_)), _) => {
                        report.kept += 1;
                        continue;
                    }
                    (None, Some(Slot::Object(record))) if obj == self.contacts => {
                        touched_contacts.insert(record.clone());
                        Some((record, ck::DELETED.to_owned(), Some(now.into())))
                    }
                    (None, Some(Slot::Object(record))) if obj == self.groups => {
                        Some((record, gk::DELETED.to_owned(), Some(now.into())))
                    }
                    (None, Some(_)) => Some((obj.clone(), key.clone(), None)),
                };
                if let Some(w) = write {
                    self.note_touched(&w.0, &w.1);
                    if in_contact {
                        touched_contacts.insert(w.0.clone());
                    }
                    plan.push(w);
                    report.restored += 1;
                }
            }
        }
        if plan.is_empty() {
            return Err(HistoryError::AllChangedSince { kept: report.kept });
        }
        for c in touched_contacts {
            plan.push((c, ck::UPDATED.to_owned(), Some(now.into())));
        }
        let message = format!("{message}\n\n{UNDOES}{hash}");
        let result = apply(&mut self.doc, &plan).map(|()| true);
        self.finish_or_abort(result, || message, now)?;
        if self.batch_depth == 0 {
            report.change = self.doc.get_last_local_change().map(|c| c.hash());
        }
        Ok(report)
    }

    /// The last change this device made that is not an undo and has not been undone: what
    /// `rapport undo` reverts. Repeated undos walk back through the device's actions.
    pub fn last_undoable_change(&mut self) -> Option<ChangeInfo> {
        self.last_undoable_change_where(|_| true)
    }

    /// The newest local change accepted by `wanted` that is not an undo and has not been undone
    /// (`rapport import undo` asks for the last import).
    pub fn last_undoable_change_where(
        &mut self,
        wanted: impl Fn(&ChangeInfo) -> bool,
    ) -> Option<ChangeInfo> {
        let me = self.device;
        let mut mine: Vec<ChangeInfo> = self
            .changes()
            .into_iter()
            .filter(|c| c.device == Some(me))
            .collect();
        mine.sort_by_key(|c| std::cmp::Reverse(c.seq));
        let mut undone: HashSet<ChangeHash> = HashSet::new();
        for c in mine {
            if let Some(target) = undone_by(&c) {
                undone.insert(target);
                continue;
            }
            if undone.contains(&c.hash) {
                continue;
            }
            if c.deps.is_empty() {
                return None;
            }
            if wanted(&c) {
                return Some(c);
            }
        }
        None
    }

    /// Records in the touched set the record that a write to (obj, key) changes.
    fn note_touched(&mut self, obj: &ObjId, key: &str) {
        let collections = [
            (self.contacts.clone(), schema::CONTACTS),
            (self.interactions.clone(), schema::INTERACTIONS),
            (self.groups.clone(), schema::GROUPS),
            (self.devices.clone(), schema::DEVICES),
        ];
        let mut place: Option<(&str, String)> = collections
            .iter()
            .find(|(c, _)| c == obj)
            .map(|(_, name)| (*name, key.to_owned()));
        if place.is_none() {
            if let Ok(mut parents) = self.doc.parents(obj) {
                if let Some(p) = parents.next() {
                    if let automerge::Prop::Map(k) = p.prop {
                        place = collections
                            .iter()
                            .find(|(c, _)| *c == p.obj)
                            .map(|(_, name)| (*name, k));
                    }
                }
            }
        }
        let in_tag_cadences = self
            .doc
            .parents(obj)
            .ok()
            .and_then(|mut p| p.next())
            .is_some_and(|p| {
                p.obj == automerge::ROOT
                    && p.prop == automerge::Prop::Map(schema::TAG_CADENCES.into())
            });
        if place.is_none() && in_tag_cadences {
            self.touched.tag_cadences = true;
            return;
        }
        match place {
            Some((schema::CONTACTS, k)) => match k.parse() {
                Ok(id) => drop(self.touched.contacts.insert(id)),
                Err(_) => self.touched.other = true,
            },
            Some((schema::INTERACTIONS, k)) => match k.parse() {
                Ok(id) => drop(self.touched.interactions.insert(id)),
                Err(_) => self.touched.other = true,
            },
            Some((schema::GROUPS, k)) => match k.parse() {
                Ok(id) => drop(self.touched.groups.insert(id)),
                Err(_) => self.touched.other = true,
            },
            Some((schema::DEVICES, _)) => self.touched.devices = true,
            _ => self.touched.other = true,
        }
    }

    /// For each of `keys` in `obj`: its value now, right after the change `hash`, and at the
    /// change's `parents`. Many keys of one object (an import's interactions) are read with
    /// three passes over the map instead of three lookups per key.
    fn reads(
        &self,
        obj: &ObjId,
        keys: &[String],
        hash: ChangeHash,
        parents: &[ChangeHash],
    ) -> Result<Vec<Reads>, automerge::AutomergeError> {
        const PASS_ABOVE: usize = 64;
        if keys.len() <= PASS_ABOVE {
            return keys
                .iter()
                .map(|k| {
                    Ok((
                        slot(self.doc.get(obj, k.as_str())?),
                        slot(self.doc.get_at(obj, k.as_str(), &[hash])?),
                        slot(self.doc.get_at(obj, k.as_str(), parents)?),
                    ))
                })
                .collect();
        }
        let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let pass = |items: automerge::iter::MapRange<'_>| -> HashMap<String, Slot> {
            items
                .filter(|item| wanted.contains(item.key.as_ref()))
                .map(|item| {
                    let id = item.id();
                    (item.key.to_string(), slot_of(item.value.into_value(), id))
                })
                .collect()
        };
        let mut now = pass(self.doc.map_range(obj, ..));
        let mut wrote = pass(self.doc.map_range_at(obj, .., &[hash]));
        let mut before = pass(self.doc.map_range_at(obj, .., parents));
        Ok(keys
            .iter()
            .map(|k| (now.remove(k), wrote.remove(k), before.remove(k)))
            .collect())
    }

    /// Whether `obj` is a record directly inside the collection `collection`.
    fn parent_is(&self, obj: &ObjId, collection: &ObjId) -> bool {
        self.doc
            .parents(obj)
            .ok()
            .and_then(|mut p| p.next())
            .is_some_and(|p| p.obj == *collection)
    }
}

/// A value as undo compares it: equal scalars are the same whoever wrote them (so that an
/// undo of an undo's effect still counts as untouched); objects are the same object.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Scalar(ScalarValue),
    Object(ObjId),
}

/// A key's value now, right after the change, and before it.
type Reads = (Option<Slot>, Option<Slot>, Option<Slot>);

fn slot(read: Option<(Value<'_>, ObjId)>) -> Option<Slot> {
    read.map(|(value, id)| slot_of(value, id))
}

fn slot_of(value: Value<'_>, id: ObjId) -> Slot {
    match value {
        Value::Scalar(s) => Slot::Scalar(s.into_owned()),
        Value::Object(_) => Slot::Object(id),
    }
}

/// The change an undo undid, from its message's trailer.
pub fn undone_by(change: &ChangeInfo) -> Option<ChangeHash> {
    change
        .message
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(UNDOES))
        .and_then(|h| h.trim().parse().ok())
}
