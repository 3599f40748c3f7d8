//! Device-local state for the guard against mass deletion and for provenance in `status`.
//! None of it is vault data (it never syncs): it is what this device decided or noticed.
//!
//! - `local/q/<c|g><id>`: a quarantined deletion. While it is here, the read view shows the
//!   record as live *if* its `deleted` value is still the one quarantined: a later trash (a
//!   new value) or a restore (no value) makes the entry moot without touching it, so local
//!   writes need no hook.
//! - `local/qpolicy`: the thresholds (`QuarantinePolicy`), when not the default.
//! - `local/in/<device hex>`: how many changes each device sent since the last `status`.

use crate::chunk;
use crate::error::StoreError;
use crate::store::Store;
use crate::view::ReadView;
use rapport_model::{Contact, Deletion, DeviceId, Group, QuarantinePolicy, RecordRef, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const QUARANTINE_PREFIX: &str = "local/q/";
const POLICY: &[u8] = b"local/qpolicy";
const INCOMING_PREFIX: &str = "local/in/";

/// A deletion held back, and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub deletion: Deletion,
    pub received: UnixMillis,
}

fn key(record: RecordRef) -> Vec<u8> {
    match record {
        RecordRef::Contact(id) => format!("{QUARANTINE_PREFIX}c{id}").into_bytes(),
        RecordRef::Group(id) => format!("{QUARANTINE_PREFIX}g{id}").into_bytes(),
    }
}

fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    let payload = postcard::to_allocvec(value).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(chunk::seal(key, &payload))
}

fn scan<T: serde::de::DeserializeOwned>(
    tree: &sled::Tree,
    path: &std::path::Path,
    prefix: &str,
) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
    let mut out = Vec::new();
    for item in tree.scan_prefix(prefix.as_bytes()) {
        let (k, v) = item.map_err(|e| StoreError::from_sled(path, "read", e))?;
        let bad = || {
            StoreError::corrupt(
                path,
                format!("`{}` failed its checksum", String::from_utf8_lossy(&k)),
            )
        };
        let payload = chunk::open(&k, &v).ok_or_else(bad)?;
        out.push((
            k.to_vec(),
            postcard::from_bytes(payload).map_err(|_| bad())?,
        ));
    }
    Ok(out)
}

impl Store {
    /// The deletions held back, oldest first by record.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>, StoreError> {
        Ok(scan(self.db(), self.path(), QUARANTINE_PREFIX)?
            .into_iter()
            .map(|(_, q)| q)
            .collect())
    }

    /// Holds deletions back, durably (before the changes that carry them are committed, so a
    /// crash in between can only leave an entry that matches nothing yet).
    pub fn quarantine(&self, entries: &[Quarantined]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for q in entries {
            let k = key(q.deletion.record);
            batch.insert(k.clone(), encode(&k, q)?);
        }
        self.apply_local(batch)
    }

    /// Forgets quarantine entries (after the user accepted or rejected them).
    pub fn release(&self, records: &[RecordRef]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.remove(key(*r));
        }
        self.apply_local(batch)
    }

    pub fn quarantine_policy(&self) -> Result<QuarantinePolicy, StoreError> {
        Ok(
            scan::<QuarantinePolicy>(self.db(), self.path(), "local/qpolicy")?
                .into_iter()
                .find(|(k, _)| k == POLICY)
                .map(|(_, p)| p)
                .unwrap_or_default(),
        )
    }

    pub fn set_quarantine_policy(&self, policy: &QuarantinePolicy) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(POLICY, encode(POLICY, policy)?);
        self.apply_local(batch)
    }

    /// Adds to the count of changes received from each device.
    pub fn count_incoming(&self, counts: &BTreeMap<DeviceId, u64>) -> Result<(), StoreError> {
        if counts.is_empty() {
            return Ok(());
        }
        let before = self.incoming()?;
        let mut batch = sled::Batch::default();
        for (device, n) in counts {
            let k = format!("{INCOMING_PREFIX}{}", device.to_hex()).into_bytes();
            let total = before.get(device).copied().unwrap_or(0) + n;
            batch.insert(k.clone(), encode(&k, &total)?);
        }
        // Not fsynced on its own: losing a count costs a less precise `status`, not data; the
        // commit that follows syncs it anyway.
        self.db()
            .apply_batch(batch)
            .map_err(|e| StoreError::from_sled(self.path(), "write", e))
    }

    /// Changes received from each device since the counts were last reset.
    pub fn incoming(&self) -> Result<BTreeMap<DeviceId, u64>, StoreError> {
        let mut out = BTreeMap::new();
        for (k, n) in scan::<u64>(self.db(), self.path(), INCOMING_PREFIX)? {
            let hex = String::from_utf8_lossy(&k[INCOMING_PREFIX.len()..]).into_owned();
            if let Ok(d) = DeviceId::from_hex(&hex) {
                out.insert(d, n);
            }
        }
        Ok(out)
    }

    /// Resets the counts of `incoming` (after `status` showed them).
    pub fn reset_incoming(&self) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for k in self.db().scan_prefix(INCOMING_PREFIX.as_bytes()).keys() {
            batch.remove(k.map_err(|e| StoreError::from_sled(self.path(), "read", e))?);
        }
        self.apply_local(batch)
    }

    fn apply_local(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.db()
            .apply_batch(batch)
            .map_err(|e| StoreError::from_sled(self.path(), "write", e))?;
        self.sync()
    }
}

impl ReadView<'_> {
    /// The quarantined deletions by record, for masking.
    fn masks(&self) -> Result<BTreeMap<RecordRef, UnixMillis>, StoreError> {
        Ok(
            scan::<Quarantined>(self.tree, self.path, QUARANTINE_PREFIX)?
                .into_iter()
                .map(|(_, q)| (q.deletion.record, q.deletion.deleted_at))
                .collect(),
        )
    }

    /// Shows quarantined contacts as live.
    pub(crate) fn unmask_contacts(&self, contacts: &mut [Contact]) -> Result<(), StoreError> {
        let masks = self.masks()?;
        if masks.is_empty() {
            return Ok(());
        }
        for c in contacts {
            if c.deleted.is_some() && masks.get(&RecordRef::Contact(c.id)) == c.deleted.as_ref() {
                c.deleted = None;
            }
        }
        Ok(())
    }

    /// Shows quarantined groups as live.
    pub(crate) fn unmask_groups(&self, groups: &mut [Group]) -> Result<(), StoreError> {
        let masks = self.masks()?;
        if masks.is_empty() {
            return Ok(());
        }
        for g in groups {
            if g.deleted.is_some() && masks.get(&RecordRef::Group(g.id)) == g.deleted.as_ref() {
                g.deleted = None;
            }
        }
        Ok(())
    }
}
