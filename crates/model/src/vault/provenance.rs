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
        self.contact_provenance_with(id, &mut ChangeTimes::default())
    }

    /// Provenance of every contact, in id order (one scan; for rebuilding a cache).
    pub fn all_provenance(&mut self) -> Result<Vec<(ContactId, Vec<Origin>)>, ReadError> {
        let ids: Vec<ContactId> = self
            .doc
            .map_range(&self.contacts, ..)
            .filter_map(|i| i.key.parse().ok())
            .collect();
        let mut times = ChangeTimes::default();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push((id, self.contact_provenance_with(id, &mut times)?));
        }
        Ok(out)
    }

    fn contact_provenance_with(
        &mut self,
        id: ContactId,
        times: &mut ChangeTimes,
    ) -> Result<Vec<Origin>, ReadError> {
        let obj = match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Ok(Vec::new()),
        };
        let keys: Vec<(String, ObjId)> = self
            .doc
            .map_range(&obj, ..)
            .map(|i| (i.key.to_string(), i.id()))
            .collect();
        Ok(keys
            .into_iter()
            .map(|(key, op)| Origin {
                key,
                device: super::read::device_of(&op),
                at: times.time_of(&mut self.doc, &op),
            })
            .collect())
    }
}
