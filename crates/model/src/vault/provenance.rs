//! Provenance: which device last set each key of a record, and when. The device is the actor
//! of the operation that holds the value; the time is that of the change that carries it.
//! Nothing extra is stored in the document: history already knows.

use super::Vault;
use crate::error::ReadError;
use crate::{ContactId, DeviceId, UnixMillis};
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, Value, ValueRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Who set one key of a record, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The key in the record's map (`name`, `org`, `email:a@b.org`, `deleted`...).
    pub key: String,
    /// `None` when the writer's actor is not a device id (another program wrote it).
    pub device: Option<DeviceId>,
    /// The time of the change that holds the value (Unix milliseconds, second precision).
    pub at: Option<UnixMillis>,
}

/// Who set each key of a contact's map, and with which operation: what a change that edits the
/// contact without loading the document needs (`append_contact_edit`), kept by the store's read
/// view beside the record. An operation id is a counter and an actor, and a device's actor is
/// its id, so `device` and the counter name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactOrigins {
    /// The contact's map: the counter and device of the operation that made it (`None` when
    /// another program made it).
    pub map: Option<(u64, DeviceId)>,
    /// Who last set each key, and when, in key order.
    pub origins: Vec<Origin>,
    /// Beside each of `origins`: the counter of the operation that holds the value, and
    /// whether other values of the key are concurrently visible (a conflict, whose other
    /// operations only the document knows).
    pub ops: Vec<(u64, bool)>,
}

/// Change times by change hash, so that a scan asks Automerge once per change, not once per
/// operation (one `add contact` change holds a dozen keys). Asking for a change's metadata
/// makes `AutoCommit` close an open transaction, so provenance and conflicts are never read
/// inside `Vault::batch` (nothing in the model does).
#[derive(Debug, Default)]
pub(crate) struct ChangeTimes {
    by_hash: HashMap<ChangeHash, Option<UnixMillis>>,
}

/// The time of every change of a document, read once so that a scan of the whole vault can
/// date operations through a shared reference (`Vault::all_origins_dated`), on another thread
/// than the one reading the interactions: Automerge hands out change metadata only through
/// `&mut AutoCommit`.
#[derive(Debug, Default)]
pub struct AllChangeTimes(ChangeTimes);

impl AllChangeTimes {
    fn time_of(&self, doc: &AutoCommit, op: &ObjId) -> Option<UnixMillis> {
        let hash = doc.hash_for_opid(op)?;
        self.0.by_hash.get(&hash).copied().flatten()
    }
}

impl ChangeTimes {
    /// The time of the change that carries `op`: `None` for an operation Automerge cannot
    /// place (the root, or one still in an open transaction).
    pub(crate) fn time_of(&mut self, doc: &mut AutoCommit, op: &ObjId) -> Option<UnixMillis> {
        let hash = doc.hash_for_opid(op)?;
        *self.by_hash.entry(hash).or_insert_with(|| {
            doc.get_change_meta_by_hash(&hash)
                .map(|m| m.timestamp.saturating_mul(1000))
        })
    }
}

impl Vault {
    /// Who last set each key of a contact, and when, in key order. Empty if there is no such
    /// contact.
    pub fn contact_provenance(&mut self, id: ContactId) -> Result<Vec<Origin>, ReadError> {
        Ok(self
            .contact_origins(id)?
            .map(|o| o.origins)
            .unwrap_or_default())
    }

    /// Provenance of every contact, in id order (one scan; for rebuilding a cache).
    pub fn all_provenance(&mut self) -> Result<Vec<(ContactId, Vec<Origin>)>, ReadError> {
        Ok(self
            .all_origins()?
            .into_iter()
            .map(|(id, o)| (id, o.origins))
            .collect())
    }

    /// A contact's map as a change that edits it without the document needs it (see
    /// `append_contact_edit`): its object id and, beside each key's provenance, the operation
    /// that set the value and whether other values are concurrently visible. `None` if there is
    /// no such contact.
    pub fn contact_origins(&mut self, id: ContactId) -> Result<Option<ContactOrigins>, ReadError> {
        self.contact_origins_with(id, &mut ChangeTimes::default())
    }

    /// `contact_origins` of every contact, in id order (one scan; for rebuilding a cache).
    pub fn all_origins(&mut self) -> Result<Vec<(ContactId, ContactOrigins)>, ReadError> {
        let times = self.all_change_times();
        Ok(self.all_origins_dated(&times))
    }

    /// The time of every change, for [`Vault::all_origins_dated`].
    pub fn all_change_times(&mut self) -> AllChangeTimes {
        let by_hash = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| (m.hash, Some(m.timestamp.saturating_mul(1000))))
            .collect();
        AllChangeTimes(ChangeTimes { by_hash })
    }

    /// `all_origins` through a shared reference, with the change times read beforehand (a
    /// view rebuild runs it beside the scan of the interactions).
    pub fn all_origins_dated(&self, times: &AllChangeTimes) -> Vec<(ContactId, ContactOrigins)> {
        // The contacts' maps straight from the scan: a lookup by key for each of them was a
        // fifth of a W30 view rebuild.
        self.doc
            .map_range(&self.contacts, ..)
            .filter(|i| matches!(i.value, ValueRef::Object(ObjType::Map)))
            .filter_map(|i| Some((i.key.parse().ok()?, i.id())))
            .map(|(id, obj)| {
                let keys = map_keys(&self.doc, &obj);
                (
                    id,
                    origins_of(&obj, keys, |op| times.time_of(&self.doc, op)),
                )
            })
            .collect()
    }

    fn contact_origins_with(
        &mut self,
        id: ContactId,
        times: &mut ChangeTimes,
    ) -> Result<Option<ContactOrigins>, ReadError> {
        match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => {
                let keys = map_keys(&self.doc, &obj);
                let doc = &mut self.doc;
                Ok(Some(origins_of(&obj, keys, |op| times.time_of(doc, op))))
            }
            _ => Ok(None),
        }
    }
}

/// Each key of a map, with the operation that holds its value and whether other values are
/// concurrently visible.
fn map_keys(doc: &AutoCommit, obj: &ObjId) -> Vec<(String, ObjId, bool)> {
    doc.map_range(obj, ..)
        .map(|i| (i.key.to_string(), i.id(), i.conflict))
        .collect()
}

/// A contact map's origins from its keys (`map_keys`), dated by `time_of`.
fn origins_of(
    obj: &ObjId,
    keys: Vec<(String, ObjId, bool)>,
    mut time_of: impl FnMut(&ObjId) -> Option<UnixMillis>,
) -> ContactOrigins {
    let mut origins = Vec::with_capacity(keys.len());
    let mut ops = Vec::with_capacity(keys.len());
    for (key, op, conflict) in keys {
        ops.push((counter_of(&op), conflict));
        origins.push(Origin {
            key,
            device: super::read::device_of(&op),
            at: time_of(&op),
        });
    }
    let map = super::read::device_of(obj).map(|d| (counter_of(obj), d));
    ContactOrigins { map, origins, ops }
}

fn counter_of(op: &ObjId) -> u64 {
    match op {
        ObjId::Id(counter, _, _) => *counter,
        ObjId::Root => 0,
    }
}
