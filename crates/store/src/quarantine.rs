//! Device-local state for the guard against mass deletion and for provenance in `status`.
//! None of it is vault data (it never syncs): it is what this device decided or noticed.
//!
//! - `local/q/<c|g><id>`: a quarantined deletion. While it is here, the read view shows the
//!   record as live *if* its `deleted` value is still the one quarantined: a later trash (a
//!   new value) or a restore (no value) makes the entry moot without touching it, so local
//!   writes need no hook.
//! - `local/qpolicy`: the thresholds (`QuarantinePolicy`), when not the default.
//! - `local/in/<device hex>`: how many changes each device sent since the last `status`.
//!
//! This module holds the records and the masks the read view applies; `Store`'s methods that
//! write them are in `store/local.rs`.

use crate::codec;
use crate::error::StoreError;
use crate::keys;
use rapport_model::{Contact, Deletion, Group, RecordRef, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A deletion held back, and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub deletion: Deletion,
    pub received: UnixMillis,
}

/// The key of a record's quarantine entry.
pub(crate) fn key(record: RecordRef) -> Vec<u8> {
    match record {
        RecordRef::Contact(id) => keys::view(keys::QUARANTINE_PREFIX, format!("c{id}")),
        RecordRef::Group(id) => keys::view(keys::QUARANTINE_PREFIX, format!("g{id}")),
    }
}

/// Every quarantined deletion, by key order.
pub(crate) fn all(tree: &sled::Tree, path: &Path) -> Result<Vec<Quarantined>, StoreError> {
    Ok(
        codec::scan_kept::<Quarantined>(tree, path, keys::QUARANTINE_PREFIX.as_bytes())?
            .into_iter()
            .map(|(_, q)| q)
            .collect(),
    )
}

/// The quarantined deletions by record: the `deleted` value each one holds back.
#[derive(Debug, Default)]
pub(crate) struct Masks(BTreeMap<RecordRef, UnixMillis>);

impl Masks {
    pub(crate) fn read(tree: &sled::Tree, path: &Path) -> Result<Masks, StoreError> {
        Ok(Masks(
            all(tree, path)?
                .into_iter()
                .map(|q| (q.deletion.record, q.deletion.deleted_at))
                .collect(),
        ))
    }

    /// Shows quarantined contacts as live.
    pub(crate) fn unmask_contacts(&self, contacts: &mut [Contact]) {
        for c in contacts {
            if c.deleted.is_some() && self.0.get(&RecordRef::Contact(c.id)) == c.deleted.as_ref() {
                c.deleted = None;
            }
        }
    }

    /// Shows quarantined groups as live.
    pub(crate) fn unmask_groups(&self, groups: &mut [Group]) {
        for g in groups {
            if g.deleted.is_some() && self.0.get(&RecordRef::Group(g.id)) == g.deleted.as_ref() {
                g.deleted = None;
            }
        }
    }
}
