//! Provenance: which device last set each key of a record, and when. The device is the actor
//! of the operation that holds the value; the time is that of the change that carries it.
//! Nothing extra is stored in the document: history already knows.

use super::Vault;
use crate::error::ReadError;
use crate::{ContactId, DeviceId, UnixMillis};
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, Value};
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
        let ids: Vec<ContactId> = self
            .doc
            .map_range(&self.contacts, ..)
            .filter_map(|i| i.key.parse().ok())
            .collect();
        let mut times = ChangeTimes::default();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(o) = self.contact_origins_with(id, &mut times)? {
                out.push((id, o));
            }
        }
        Ok(out)
    }

    fn contact_origins_with(
        &mut self,
        id: ContactId,
        times: &mut ChangeTimes,
    ) -> Result<Option<ContactOrigins>, ReadError> {
        let obj = match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Ok(None),
        };
        let keys: Vec<(String, ObjId, bool)> = self
            .doc
            .map_range(&obj, ..)
            .map(|i| (i.key.to_string(), i.id(), i.conflict))
            .collect();
        let mut origins = Vec::with_capacity(keys.len());
        let mut ops = Vec::with_capacity(keys.len());
        for (key, op, conflict) in keys {
            ops.push((counter_of(&op), conflict));
            origins.push(Origin {
                key,
                device: super::read::device_of(&op),
                at: times.time_of(&mut self.doc, &op),
            });
        }
        let map = super::read::device_of(&obj).map(|d| (counter_of(&obj), d));
        Ok(Some(ContactOrigins { map, origins, ops }))
    }
}

fn counter_of(op: &ObjId) -> u64 {
    match op {
        ObjId::Id(counter, _, _) => *counter,
        ObjId::Root => 0,
    }
}
