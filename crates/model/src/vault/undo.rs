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
use std::collections::{BTreeSet, HashSet};

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
        let mut plan: Vec<(ObjId, String, Option<ScalarValue>)> = Vec::new();
        let mut report = UndoReport::default();
        let mut touched_contacts: BTreeSet<ObjId> = BTreeSet::new();
        for (obj_str, key) in &targets {
            if created.contains(obj_str) || key == ck::UPDATED {
                continue;
            }
            let Ok(obj) = self.doc.import_obj(obj_str) else {
                continue;
            };
            let wrote = self.doc.get_at(&obj, key.as_str(), &[hash])?;
            let current = self.doc.get(&obj, key.as_str())?;
            if !same(&current, &wrote) {
                report.kept += 1;
                continue;
            }
            let before = self.doc.get_at(&obj, key.as_str(), &parents)?;
            let write = match (before, current) {
                (None, None) => continue,
                (Some((Value::Scalar(s), _)), _) => {
                    Some((obj.clone(), key.clone(), Some(s.into_owned())))
                }
                // The change replaced or removed an object: there is no value to put back.
                (Some((Value::Object(_), _)), _) => {
                    report.kept += 1;
                    continue;
                }
                (None, Some((Value::Object(_), record))) if obj == self.contacts => {
                    touched_contacts.insert(record.clone());
                    Some((record, ck::DELETED.to_owned(), Some(now.into())))
                }
                (None, Some((Value::Object(_), record))) if obj == self.groups => {
                    Some((record, gk::DELETED.to_owned(), Some(now.into())))
                }
                (None, Some(_)) => Some((obj.clone(), key.clone(), None)),
            };
            if let Some(w) = write {
                self.note_touched(&w.0, &w.1);
                if self.parent_is(&w.0, &self.contacts) {
                    touched_contacts.insert(w.0.clone());
                }
                plan.push(w);
                report.restored += 1;
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
            return Some(c);
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

    /// Whether `obj` is a record directly inside the collection `collection`.
    fn parent_is(&self, obj: &ObjId, collection: &ObjId) -> bool {
        self.doc
            .parents(obj)
            .ok()
            .and_then(|mut p| p.next())
            .is_some_and(|p| p.obj == *collection)
    }
}

/// Whether two reads hold the same value: equal scalars (whoever wrote them, so that an
/// undo of an undo's effect still counts as untouched), the same object, or both absent.
fn same(a: &Option<(Value<'_>, ObjId)>, b: &Option<(Value<'_>, ObjId)>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some((Value::Scalar(x), _)), Some((Value::Scalar(y), _))) => x == y,
        (Some((Value::Object(_), x)), Some((Value::Object(_), y))) => x == y,
        _ => false,
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
