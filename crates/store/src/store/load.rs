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

/// How many changes one `load_incremental` applies (see `load_doc`).
const CHANGES_PER_APPLY: usize = 8;

/// The first bytes of every Automerge chunk (its binary format's magic).
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The Automerge chunks that `save_after` concatenated into `payload`, one slice each: a header
/// (the magic, a 4-byte checksum, a type byte, the data's length as unsigned LEB128) and its
/// data. Anything that does not parse as such is kept whole, as one piece, for Automerge itself
/// to accept or refuse.
fn automerge_chunks(payload: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let Some(len) = automerge_chunk_len(rest) else {
            return vec![payload];
        };
        let (piece, after) = rest.split_at(len);
        pieces.push(piece);
        rest = after;
    }
    pieces
}

/// The length of the Automerge chunk at the start of `bytes`, header included.
fn automerge_chunk_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(..4)? != AUTOMERGE_MAGIC {
        return None;
    }
    // Magic, checksum, type; then the length.
    let mut at = 9;
    let mut data_len: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        data_len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let total = at.checked_add(usize::try_from(data_len).ok()?)?;
            return (total <= bytes.len()).then_some(total);
        }
    }
    None
}

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
        // Every chunk is checked, then its changes are applied `CHANGES_PER_APPLY` at a time.
        // Automerge 0.12 makes a pass over the whole document per `load_incremental` (~30 ms on
        // W1), so one call per change made every edit slower by the number of changes since the
        // last compaction; but one call for all of them holds a copy of the op set's columns
        // per change until the call ends (W1 with 100 changes since the last compaction: 820 MB
        // at the peak, measured with heaptrack). Eight at a time: a daemonless `note` on such a
        // store peaks at 303 MB, not 963 MB, and is no slower (2.1 s against 2.5 s, medians of
        // 3, same run). One sync or one bulk write can put many changes in one chunk, so the
        // batches are of changes, not of chunks.
        let mut chunks: Vec<(sled::IVec, sled::IVec)> = Vec::new();
        let mut payload_lens = Vec::new();
        for item in self.db.scan_prefix(keys::CHANGE_PREFIX) {
            let (k, v) = item.map_err(|e| self.read_error(e))?;
            payload_lens.push(chunk::open(&k, &v).ok_or_else(|| self.bad_key(&k))?.len());
            chunks.push((k, v));
        }
        let mut changes: Vec<&[u8]> = Vec::new();
        for ((_, v), len) in chunks.iter().zip(payload_lens) {
            changes.extend(automerge_chunks(&v[..len]));
        }
        let applied = changes.chunks(CHANGES_PER_APPLY).all(|batch| {
            let bytes = batch.concat();
            matches!(guarded(|| doc.load_incremental(&bytes)), Ok(Ok(_)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::automerge::transaction::Transactable;
    use rapport_model::automerge::ReadDoc;
    use rapport_model::automerge::ROOT;

    #[test]
    fn saved_changes_split_into_chunks_that_each_load() {
        let mut doc = AutoCommit::new();
        let start = doc.get_heads();
        for n in 0..5_i64 {
            doc.put(ROOT, format!("key{n}"), n).unwrap();
            doc.commit();
        }
        let saved = doc.save_after(&start);
        let pieces = automerge_chunks(&saved);
        assert_eq!(pieces.len(), 5);
        assert_eq!(pieces.concat(), saved);
        let mut copy = AutoCommit::new();
        copy.put(ROOT, "other", 1_i64).unwrap();
        copy.commit();
        for piece in pieces {
            copy.load_incremental(piece).unwrap();
        }
        assert_eq!(
            copy.get(ROOT, "key4").unwrap().map(|(v, _)| v.as_i64()),
            Some(Some(4))
        );
    }

    #[test]
    fn bytes_that_are_not_chunks_stay_whole() {
        assert_eq!(
            automerge_chunks(b"not automerge"),
            vec![&b"not automerge"[..]]
        );
        // A header that claims more data than there is.
        let mut short = AUTOMERGE_MAGIC.to_vec();
        short.extend([0, 0, 0, 0, 1, 0x7f, 1, 2]);
        assert_eq!(automerge_chunks(&short), vec![&short[..]]);
        assert!(automerge_chunks(&[]).is_empty());
    }
}
