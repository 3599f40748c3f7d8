//! Compaction: folding the change chunks appended since the last snapshot into a new snapshot
//! file, and deciding when. Loading applies every chunk after the snapshot, so chunks cost
//! every later load; a snapshot costs one save of the whole document.

use super::Store;
use crate::bucket;
use crate::chunk;
use crate::codec;
use crate::error::StoreError;
use crate::keys;
use crate::snapshot::{self, SnapshotRef};
use rapport_model::automerge::ChangeHash;
use rapport_model::Vault;

/// Compaction folds change chunks into a new snapshot once there are this many chunks...
const COMPACT_CHUNKS: u64 = 128;
/// ...or once they hold this share of the snapshot's size (and at least `COMPACT_MIN_BYTES`).
const COMPACT_RATIO: u64 = 4;
const COMPACT_MIN_BYTES: u64 = 1 << 20;

/// The change chunks since the last snapshot, and the snapshot's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pending {
    pub chunks: u64,
    pub chunk_bytes: u64,
    pub snapshot_bytes: u64,
}

impl Pending {
    /// Whether a commit that would append a chunk of `new_bytes` compacts instead.
    pub(super) fn compacts_with(&self, new_bytes: u64) -> bool {
        self.chunks + 1 >= COMPACT_CHUNKS
            || self.chunk_bytes + new_bytes
                >= COMPACT_MIN_BYTES.max(self.snapshot_bytes / COMPACT_RATIO)
    }
}

impl Store {
    /// Folds all change chunks into a fresh snapshot.
    pub fn compact(&self, vault: &mut Vault) -> Result<(), StoreError> {
        let snapshot = vault.doc_mut().save_nocompress();
        let mut heads = vault.heads();
        heads.sort();
        let mut batch = sled::Batch::default();
        self.remove_change_chunks(&mut batch)?;
        self.write_snapshot(&mut batch, &snapshot, &heads)?;
        self.apply_durably(batch)?;
        self.drop_unreferenced_files();
        Ok(())
    }

    pub(super) fn pending(&self) -> Result<Pending, StoreError> {
        let (chunks, chunk_bytes) = self.chunk_stats()?;
        Ok(Pending {
            chunks,
            chunk_bytes,
            snapshot_bytes: self.snapshot_len()?,
        })
    }

    /// Writes the snapshot file and adds its reference (and the heads it holds) to `batch`.
    pub(super) fn write_snapshot(
        &self,
        batch: &mut sled::Batch,
        doc: &[u8],
        heads: &[ChangeHash],
    ) -> Result<(), StoreError> {
        let reference = snapshot::write(&self.path, doc)?;
        self.reference_snapshot(batch, reference, heads);
        Ok(())
    }

    /// Adds to `batch` the removal of every change chunk (a new snapshot holds them).
    pub(super) fn remove_change_chunks(&self, batch: &mut sled::Batch) -> Result<(), StoreError> {
        for k in self.db.scan_prefix(keys::CHANGE_PREFIX).keys() {
            batch.remove(k.map_err(|e| self.read_error(e))?);
        }
        Ok(())
    }

    /// Adds to `batch` the reference to a written snapshot file and the heads it holds; the
    /// change chunks it folds in are the caller's to remove.
    pub(super) fn reference_snapshot(
        &self,
        batch: &mut sled::Batch,
        reference: SnapshotRef,
        heads: &[ChangeHash],
    ) {
        let mut heads = heads.to_vec();
        heads.sort();
        batch.insert(
            keys::SNAPSHOT,
            chunk::seal(keys::SNAPSHOT, &reference.encode()),
        );
        batch.insert(
            keys::HEADS,
            chunk::seal(keys::HEADS, &codec::encode_heads(&heads)),
        );
        batch.insert(
            keys::CHUNK_STATS,
            chunk::seal(keys::CHUNK_STATS, &codec::encode_stats(0, 0)),
        );
        batch.insert(
            keys::SNAPSHOT_LEN,
            chunk::seal(keys::SNAPSHOT_LEN, &reference.len.to_le_bytes()),
        );
    }

    /// After a batch that references a new snapshot or a new view is durable, older snapshot
    /// files go, and so do bucket files no key refers to (replaced by a view rebuild, or left
    /// by a crash). Best effort: a file left behind only costs disk until the next time.
    pub(super) fn drop_unreferenced_files(&self) {
        if let Ok(Some(bytes)) = self.get_checked(keys::SNAPSHOT) {
            if let Some(reference) = SnapshotRef::decode(&bytes) {
                snapshot::remove_others(&self.path, &reference);
            }
        }
        let _ = bucket::remove_unreferenced(&self.db, &self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{add, files_in, keys_under, new_store, open, ME};

    #[test]
    fn compaction_is_due_by_chunk_count_or_by_bytes_relative_to_the_snapshot() {
        let idle = Pending {
            chunks: 0,
            chunk_bytes: 0,
            snapshot_bytes: 100 << 20,
        };
        assert!(!idle.compacts_with(1_000));
        let many = Pending {
            chunks: COMPACT_CHUNKS - 1,
            ..idle
        };
        assert!(many.compacts_with(1), "the 128th chunk compacts");
        // A quarter of a 100 MiB snapshot is the bar; below 4 MiB, 1 MiB is.
        assert!(!idle.compacts_with((25 << 20) - 1));
        assert!(idle.compacts_with(25 << 20));
        let small = Pending {
            snapshot_bytes: 1_000,
            ..idle
        };
        assert!(!small.compacts_with(COMPACT_MIN_BYTES - 1));
        assert!(small.compacts_with(COMPACT_MIN_BYTES));
    }

    #[test]
    fn compaction_folds_every_chunk_into_one_new_snapshot_file() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        for n in 1..=3 {
            add(&store, &mut vault, n);
        }
        assert_eq!(keys_under(&store, keys::CHANGE_PREFIX).len(), 3);
        let before = files_in(&store, "snapshots");
        assert_eq!(before.len(), 1);

        store.compact(&mut vault).unwrap();
        assert!(keys_under(&store, keys::CHANGE_PREFIX).is_empty());
        let stats = store.stats().unwrap();
        assert_eq!((stats.change_chunks, stats.change_bytes), (0, 0));
        let after = files_in(&store, "snapshots");
        assert_eq!(after.len(), 1, "the old snapshot file is gone");
        assert_ne!(after, before);
        assert!(stats.snapshot_bytes > 0);

        // Nothing was lost, and appending goes on after the new snapshot.
        add(&store, &mut vault, 4);
        store.close().unwrap();
        let store = open(dir.path());
        let vault = store.load_vault(ME).unwrap();
        assert_eq!(vault.contacts().unwrap().len(), 4);
        assert_eq!(store.stats().unwrap().change_chunks, 1);
    }

    #[test]
    fn an_unreferenced_snapshot_left_by_a_crash_is_removed_at_the_next_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        // A snapshot written but never referenced: a crash before its batch.
        snapshot::write(store.path(), b"not referenced").unwrap();
        assert_eq!(files_in(&store, "snapshots").len(), 2);
        add(&store, &mut vault, 1);
        store.compact(&mut vault).unwrap();
        assert_eq!(files_in(&store, "snapshots").len(), 1);
        assert_eq!(store.load_vault(ME).unwrap().contacts().unwrap().len(), 1);
    }
}
