//! Loading the document: the snapshot, then every change chunk, each checked against its seal;
//! then a check that the result holds exactly what was acknowledged.

use super::Store;
use crate::chunk;
use crate::error::StoreError;
use crate::keys;
use crate::snapshot::{self, SnapshotRef};
use rapport_model::automerge::{AutoCommit, ChangeHash};
use rapport_model::guarded;
use rapport_model::{DeviceId, Vault};

/// How many change chunks one `load_incremental` applies (see `load_doc`).
const CHUNKS_PER_APPLY: usize = 8;

impl Store {
    /// Whether this store holds a vault.
    pub fn has_vault(&self) -> Result<bool, StoreError> {
        self.db
            .contains_key(keys::SNAPSHOT)
            .map_err(|e| self.read_error(e))
    }

    /// Loads the vault: the snapshot, then every change chunk, each verified against its
    /// checksum; then checks that the result has exactly the heads that were acknowledged.
    pub fn load_vault(&self, device: DeviceId) -> Result<Vault, StoreError> {
        let doc = self.load_doc()?;
        Vault::open(doc, device).map_err(|e| match e {
            rapport_model::OpenError::TooNew { found, supported } => StoreError::TooNew {
                path: self.path.clone(),
                found: found as u32,
                supported: supported as u32,
            },
            other => StoreError::corrupt(&self.path, other.to_string()),
        })
    }

    /// The document alone, verified as `load_vault` does.
    pub fn load_doc(&self) -> Result<AutoCommit, StoreError> {
        let reference = self
            .get_checked(keys::SNAPSHOT)?
            .ok_or_else(|| StoreError::NoVault {
                path: self.path.clone(),
            })?;
        let reference =
            SnapshotRef::decode(&reference).ok_or_else(|| self.bad_key(keys::SNAPSHOT))?;
        let snapshot = snapshot::read(&self.path, &reference)?;
        let load_snapshot = || match guarded(|| AutoCommit::load(&snapshot)) {
            Ok(Ok(doc)) => Ok(doc),
            _ => Err(StoreError::corrupt(
                &self.path,
                "the vault snapshot does not load",
            )),
        };
        let mut doc = load_snapshot()?;
        // Every chunk is checked, then they are applied `CHUNKS_PER_APPLY` at a time. Automerge
        // 0.12 makes a pass over the whole document per `load_incremental` (~30 ms on W1), so
        // one call per chunk made every edit slower by the number of chunks since the last
        // compaction; but one call for all of them holds a copy of the op set's columns per
        // change until the call ends (73 chunks on W1: 820 MB at the peak, measured with
        // heaptrack). Eight at a time: a daemonless `note` on that store peaks at 303 MB, not
        // 963 MB, and is no slower (2.1 s against 2.5 s, medians of 3, same run).
        let mut chunks: Vec<(sled::IVec, sled::IVec)> = Vec::new();
        let mut payloads: Vec<std::ops::Range<usize>> = Vec::new();
        for item in self.db.scan_prefix(keys::CHANGE_PREFIX) {
            let (k, v) = item.map_err(|e| self.read_error(e))?;
            let payload = chunk::open(&k, &v).ok_or_else(|| self.bad_key(&k))?;
            payloads.push(0..payload.len());
            chunks.push((k, v));
        }
        let applied = chunks
            .chunks(CHUNKS_PER_APPLY)
            .zip(payloads.chunks(CHUNKS_PER_APPLY))
            .all(|(batch, ranges)| {
                let mut changes = Vec::new();
                for ((_, v), range) in batch.iter().zip(ranges) {
                    changes.extend_from_slice(&v[range.clone()]);
                }
                matches!(guarded(|| doc.load_incremental(&changes)), Ok(Ok(_)))
            });
        if !applied {
            // Name the chunk that does not load: apply them one by one to a fresh copy.
            let mut doc = load_snapshot()?;
            for (k, v) in &chunks {
                let payload = chunk::open(k, v).ok_or_else(|| self.bad_key(k))?;
                if !matches!(guarded(|| doc.load_incremental(payload)), Ok(Ok(_))) {
                    return Err(self.bad_key(k));
                }
            }
            return Err(StoreError::corrupt(
                &self.path,
                "the stored changes do not load together",
            ));
        }
        let saved = self.saved_heads()?;
        let mut heads = doc.get_heads();
        heads.sort();
        // Two checks against silent loss: the document has exactly the heads sled recorded with
        // it, and it contains every change acknowledged to the user (the `acknowledged` file is
        // written outside sled, so a log that sled truncated on recovery is caught too).
        let acknowledged = crate::ack::read(&self.path)?;
        let missing = acknowledged
            .iter()
            .any(|h| doc.get_change_by_hash(h).is_none());
        if heads != saved || missing {
            return Err(StoreError::corrupt(
                &self.path,
                "acknowledged changes are missing from the stored document",
            ));
        }
        Ok(doc)
    }

    /// The heads of the stored document (sorted), without loading it.
    pub fn heads(&self) -> Result<Vec<ChangeHash>, StoreError> {
        self.saved_heads()
    }

    /// Checks, without loading the document when it can, that sled still holds every change
    /// acknowledged to the user: sled's own recovery may cut a damaged log short without an
    /// error. Cheap when the acknowledged heads are sled's heads (the usual case); otherwise the
    /// document is loaded and checked, and the acknowledgement brought up to date.
    pub fn verify_acknowledged(&self) -> Result<(), StoreError> {
        let mut acknowledged = crate::ack::read(&self.path)?;
        acknowledged.sort();
        if acknowledged == self.saved_heads()? {
            return Ok(());
        }
        self.load_doc()?;
        crate::ack::write(&self.path, &self.saved_heads()?)
    }
}
