//! Device-local state that never syncs (see `quarantine`): quarantined deletions, the
//! quarantine thresholds, and counts of incoming changes per device.

use super::Store;
use crate::codec;
use crate::error::StoreError;
use crate::keys;
use crate::quarantine::{self, Quarantined};
use rapport_model::{DeviceId, QuarantinePolicy, RecordRef};
use std::collections::BTreeMap;

impl Store {
    /// The deletions held back, oldest first by record.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>, StoreError> {
        quarantine::all(&self.db, &self.path)
    }

    /// Holds deletions back, durably (before the changes that carry them are committed, so a
    /// crash in between can only leave an entry that matches nothing yet).
    pub fn quarantine(&self, entries: &[Quarantined]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for q in entries {
            let k = quarantine::key(q.deletion.record);
            batch.insert(k.clone(), codec::encode(&k, q)?);
        }
        self.apply_local(batch)?;
        let records: Vec<RecordRef> = entries.iter().map(|q| q.deletion.record).collect();
        self.log_masks(&records);
        Ok(())
    }

    /// Forgets quarantine entries (after the user accepted or rejected them).
    pub fn release(&self, records: &[RecordRef]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for r in records {
            batch.remove(quarantine::key(*r));
        }
        self.apply_local(batch)?;
        self.log_masks(records);
        Ok(())
    }

    pub fn quarantine_policy(&self) -> Result<QuarantinePolicy, StoreError> {
        let policy = self
            .db
            .get(keys::QUARANTINE_POLICY)
            .map_err(|e| self.read_error(e))?;
        match policy {
            Some(sealed) => codec::decode_kept(&self.path, keys::QUARANTINE_POLICY, &sealed),
            None => Ok(QuarantinePolicy::default()),
        }
    }

    pub fn set_quarantine_policy(&self, policy: &QuarantinePolicy) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let key = keys::QUARANTINE_POLICY;
        batch.insert(key, codec::encode(key, policy)?);
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
            let k = keys::incoming(&device.to_hex());
            let total = before.get(device).copied().unwrap_or(0) + n;
            batch.insert(k.clone(), codec::encode(&k, &total)?);
        }
        // Not fsynced on its own: losing a count costs a less precise `status`, not data; the
        // commit that follows syncs it anyway.
        self.apply(batch)
    }

    /// Changes received from each device since the counts were last reset.
    pub fn incoming(&self) -> Result<BTreeMap<DeviceId, u64>, StoreError> {
        let mut out = BTreeMap::new();
        let prefix = keys::INCOMING_PREFIX.as_bytes();
        for (k, n) in codec::scan_kept::<u64>(&self.db, &self.path, prefix)? {
            let hex = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if let Ok(d) = DeviceId::from_hex(&hex) {
                out.insert(d, n);
            }
        }
        Ok(out)
    }

    /// Resets the counts of `incoming` (after `status` showed them).
    pub fn reset_incoming(&self) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for k in self.db.scan_prefix(keys::INCOMING_PREFIX.as_bytes()).keys() {
            batch.remove(k.map_err(|e| self.read_error(e))?);
        }
        self.apply_local(batch)
    }

    /// Applies a batch of local state and makes it durable.
    /// The WebTransport certificates this device serves browsers with (opaque bytes), if any
    /// were saved.
    pub fn browser_certs(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed = self
            .db
            .get(keys::BROWSER_CERTS)
            .map_err(|e| self.read_error(e))?;
        match sealed {
            Some(sealed) => codec::decode_kept(&self.path, keys::BROWSER_CERTS, &sealed).map(Some),
            None => Ok(None),
        }
    }

    /// Saves the WebTransport certificates (durably: a browser pins their hashes).
    pub fn set_browser_certs(&self, bytes: &[u8]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        let key = keys::BROWSER_CERTS;
        batch.insert(key, codec::encode(key, &bytes.to_vec())?);
        self.apply_local(batch)
    }

    fn apply_local(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.apply(batch)?;
        self.sync()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{device, open};
    use std::collections::BTreeMap;

    #[test]
    fn incoming_counts_add_up_until_reset() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let counts: BTreeMap<_, _> = [(device(2), 3), (device(3), 1)].into_iter().collect();
        store.count_incoming(&counts).unwrap();
        store.count_incoming(&counts).unwrap();
        let seen = store.incoming().unwrap();
        assert_eq!(seen.get(&device(2)), Some(&6));
        assert_eq!(seen.get(&device(3)), Some(&2));
        store.reset_incoming().unwrap();
        assert!(store.incoming().unwrap().is_empty());
    }
}
