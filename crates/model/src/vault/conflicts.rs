//! Conflicts you can see: scalar fields that two devices set concurrently. Automerge settles
//! them with a deterministic winner but keeps every losing value (`get_all`); this module lists
//! them with who wrote each value and when, and writes the change that settles one for good.
//!
//! What is *not* a conflict: set members (`tag:x`, `email:y`, ... = `true`: concurrent adds of
//! one member are the same fact), text objects (they merge character by character), and the
//! bookkeeping keys `created`, `updated`, `deleted` (two devices trashing a contact at once
//! agree on what matters).

use super::provenance::ChangeTimes;
use super::Vault;
use crate::error::{EditError, ReadError};
use crate::schema::group as gk;
use crate::{ContactField, ContactId, ContactPatch, DeviceId, GroupId, UnixMillis};
use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

/// Which record a conflict (or a deletion) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecordRef {
    Contact(ContactId),
    Group(GroupId),
}

/// One value of a conflicting field: what it is, which device wrote it, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub value: String,
    /// `None` when the writer's actor is not a device id (another program wrote it).
    pub device: Option<DeviceId>,
    /// The time of the change that holds the value (Unix milliseconds, second precision).
    pub at: Option<UnixMillis>,
}

/// A field whose concurrent values Automerge settled on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub record: RecordRef,
    /// The record's name as it reads now (for people).
    pub name: String,
    /// The key in the record's map, e.g. `name`, `org`, `description`.
    pub field: String,
    /// The value every device shows.
    pub winner: Written,
    /// The values that lost the merge, most recent op first.
    pub others: Vec<Written>,
}

/// Contact keys that hold one user-visible scalar each.
fn contact_scalar(key: &str) -> bool {
    ContactField::ALL.iter().any(|f| f.key() == key)
}

fn group_scalar(key: &str) -> bool {
    key == gk::NAME || key == gk::DESCRIPTION || key == gk::CADENCE
}

impl Vault {
    /// Every conflict in the vault: contacts in id order, then groups. One pass over each
    /// record's keys; `get_all` only for the keys that Automerge flags as conflicted.
    pub fn conflicts(&mut self) -> Result<Vec<Conflict>, ReadError> {
        let mut times = ChangeTimes::default();
        let mut out = Vec::new();
        let contacts: Vec<(String, ObjId)> = self
            .doc
            .map_range(&self.contacts, ..)
            .map(|i| (i.key.to_string(), i.id()))
            .collect();
        for (key, obj) in contacts {
            if let Ok(id) = key.parse() {
                out.extend(self.conflicts_in(RecordRef::Contact(id), &obj, &mut times)?);
            }
        }
        let groups: Vec<(String, ObjId)> = self
            .doc
            .map_range(&self.groups, ..)
            .map(|i| (i.key.to_string(), i.id()))
            .collect();
        for (key, obj) in groups {
            if let Ok(id) = key.parse() {
                out.extend(self.conflicts_in(RecordRef::Group(id), &obj, &mut times)?);
            }
        }
        Ok(out)
    }

    /// The conflicts of one record (empty if it has none or does not exist).
    pub fn record_conflicts(&mut self, record: RecordRef) -> Result<Vec<Conflict>, ReadError> {
        let (parent, key) = match record {
            RecordRef::Contact(id) => (self.contacts.clone(), id.to_string()),
            RecordRef::Group(id) => (self.groups.clone(), id.to_string()),
        };
        match self.doc.get(&parent, key)? {
            Some((Value::Object(ObjType::Map), obj)) => {
                self.conflicts_in(record, &obj, &mut ChangeTimes::default())
            }
            _ => Ok(Vec::new()),
        }
    }

    fn conflicts_in(
        &mut self,
        record: RecordRef,
        obj: &ObjId,
        times: &mut ChangeTimes,
    ) -> Result<Vec<Conflict>, ReadError> {
        let scalar = match record {
            RecordRef::Contact(_) => contact_scalar,
            RecordRef::Group(_) => group_scalar,
        };
        let keys: Vec<String> = self
            .doc
            .map_range(obj, ..)
            .filter(|i| i.conflict && scalar(&i.key))
            .map(|i| i.key.to_string())
            .collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let name = self.str_at(obj, "name").unwrap_or_default();
        let mut out = Vec::new();
        for key in keys {
            // Text objects merge character by character: they are not conflicts.
            let all: Vec<(String, ObjId)> = self
                .doc
                .get_all(obj, key.as_str())?
                .into_iter()
                .filter_map(|(value, op)| match value {
                    Value::Scalar(s) => Some((
                        s.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| s.to_string()),
                        op,
                    )),
                    Value::Object(_) => None,
                })
                .collect();
            let mut values = Vec::new();
            for (value, op) in all {
                values.push(Written {
                    value,
                    device: super::read::device_of(&op),
                    at: times.time_of(&mut self.doc, &op),
                });
            }
            // get_all lists values in op order; the winner is the last one.
            let Some(winner) = values.pop() else { continue };
            if values.is_empty() {
                continue;
            }
            values.reverse();
            out.push(Conflict {
                record,
                name: name.clone(),
                field: key,
                winner,
                others: values,
            });
        }
        Ok(out)
    }

    /// Settles a conflict on a contact field: one change whose operation supersedes every
    /// concurrent value, so that after a sync every device holds one value. `patch` sets
    /// that field (and nothing else); it is validated as `edit` validates it, and its value need
    /// not be one of the conflicting values.
    pub fn resolve_conflict(
        &mut self,
        id: ContactId,
        field: ContactField,
        patch: &ContactPatch,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let obj = self.contact_obj(id)?;
        let name = self
            .str_at(&obj, ContactField::Name.key())
            .unwrap_or_default();
        self.batch(&format!("resolve {field} of {name}"), now, |v| {
            // Validates and writes the value if it differs from the winner...
            v.edit_contact(id, patch, now)?;
            // ...and if the winner already was that value, one put of it still supersedes the
            // losers: a put's predecessors are every value the key holds.
            if v.doc.get_all(&obj, field.key())?.len() > 1 {
                let winner = v.str_at(&obj, field.key()).unwrap_or_default();
                v.doc.put(&obj, field.key(), winner)?;
                v.doc.put(&obj, crate::schema::contact::UPDATED, now)?;
            }
            v.touched.contacts.insert(id);
            Ok(())
        })
    }
}
