//! The guard against mass deletion, in its pure part: which records a set of incoming changes
//! trashed, and whether that is more than a device should accept without asking its user.
//! Where the answer is kept (a local quarantine) is the store's business; this module decides.

use super::conflicts::RecordRef;
use super::Vault;
use crate::error::ReadError;
use crate::schema::contact as ck;
use crate::{DeviceId, Touched, UnixMillis};
use automerge::{ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

/// A record that incoming changes moved to the trash (a contact) or deleted (a group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub record: RecordRef,
    pub name: String,
    /// The record's `deleted` value: it identifies this deletion (a later trash writes another).
    pub deleted_at: UnixMillis,
    /// The device whose operation wrote `deleted` (`None`: not a device's actor).
    pub by: Option<DeviceId>,
}

/// When incoming deletions are held back. A batch trips the guard when it deletes more than
/// `limit(live)` records of one kind, where `live` is how many were live before it:
/// `min(max_count, max(floor, percent % of live))`.
///
/// Why this shape: the issue asks for "20 contacts or 10 % of the vault". On a large vault
/// 10 % is thousands, so the count must cap it (min). On a small vault 10 % is below one, and
/// tripping on a single `rm` would teach people to accept blindly, so a floor keeps a handful
/// of deletions always passing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinePolicy {
    pub max_count: u32,
    pub percent: u32,
    pub floor: u32,
}

impl Default for QuarantinePolicy {
    fn default() -> Self {
        QuarantinePolicy {
            max_count: 20,
            percent: 10,
            floor: 3,
        }
    }
}

impl QuarantinePolicy {
    /// The most deletions of one kind that pass through, given how many records were live.
    pub fn limit(&self, live: usize) -> usize {
        let share = live.saturating_mul(self.percent as usize) / 100;
        share.max(self.floor as usize).min(self.max_count as usize)
    }

    /// Whether `deleted` deletions out of `live` live records must be held back.
    pub fn trips(&self, deleted: usize, live: usize) -> bool {
        deleted > self.limit(live)
    }
}

impl Vault {
    /// The touched records that are now trashed (contacts) or deleted (groups) and that
    /// `was_live` says were live before the changes. Records removed from the document
    /// outright are not listed: rapport never removes them, and there is nothing to un-trash.
    pub fn deletions_in(
        &self,
        touched: &Touched,
        was_live: impl Fn(RecordRef) -> bool,
    ) -> Result<Vec<Deletion>, ReadError> {
        let mut out = Vec::new();
        for id in &touched.contacts {
            let record = RecordRef::Contact(*id);
            if was_live(record) {
                out.extend(self.deletion_of(record, &self.contacts, &id.to_string())?);
            }
        }
        for id in &touched.groups {
            let record = RecordRef::Group(*id);
            if was_live(record) {
                out.extend(self.deletion_of(record, &self.groups, &id.to_string())?);
            }
        }
        Ok(out)
    }

    fn deletion_of(
        &self,
        record: RecordRef,
        parent: &automerge::ObjId,
        key: &str,
    ) -> Result<Option<Deletion>, ReadError> {
        let obj = match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Ok(None),
        };
        // `deleted` is the same key in contact and group maps.
        let Some((Value::Scalar(s), op)) = self.doc.get(&obj, ck::DELETED)? else {
            return Ok(None);
        };
        let deleted_at = match s.as_ref() {
            automerge::ScalarValue::Int(i) | automerge::ScalarValue::Timestamp(i) => *i,
            automerge::ScalarValue::Uint(u) => i64::try_from(*u).unwrap_or(i64::MAX),
            _ => return Ok(None),
        };
        Ok(Some(Deletion {
            record,
            name: self.str_at(&obj, "name").unwrap_or_default(),
            deleted_at,
            by: super::read::device_of(&op),
        }))
    }

    /// Writes one change that takes every listed record out of the trash (or restores the
    /// group) if it is still deleted by that same deletion; returns how many it restored.
    /// This is how a device rejects a quarantined mass deletion for every device.
    pub fn undo_deletions(
        &mut self,
        deletions: &[Deletion],
        now: UnixMillis,
    ) -> Result<usize, crate::EditError> {
        let still: Vec<&Deletion> = deletions
            .iter()
            .filter(|d| self.current_deletion(d.record) == Some(d.deleted_at))
            .collect();
        if still.is_empty() {
            return Ok(0);
        }
        let message = format!(
            "restore {} records from a rejected mass deletion",
            still.len()
        );
        self.batch(&message, now, |v| {
            for d in &still {
                match d.record {
                    RecordRef::Contact(id) => v.restore_contact(id, now)?,
                    RecordRef::Group(id) => v.restore_group(id, now)?,
                }
            }
            Ok(still.len())
        })
    }

    fn current_deletion(&self, record: RecordRef) -> Option<UnixMillis> {
        match record {
            RecordRef::Contact(id) => self.contact(id).ok().flatten()?.deleted,
            RecordRef::Group(id) => self.group(id).ok().flatten()?.deleted,
        }
    }
}

/// Used by callers that count live records of each kind.
pub fn count_kinds(deletions: &[Deletion]) -> (usize, usize) {
    let contacts = deletions
        .iter()
        .filter(|d| matches!(d.record, RecordRef::Contact(_)))
        .count();
    (contacts, deletions.len() - contacts)
}
