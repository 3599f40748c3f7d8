//! `Store`: one device's sled database. This file holds the type, opening and closing, and the
//! checked reads and writes every other part uses; each of the others does one thing:
//!
//! - `lock`: the store's own lock file and the repair of sled's unfinished files before opening;
//! - `upgrade`: older store formats, brought to `STORE_FORMAT` on open;
//! - `load`: the document out of its snapshot and change chunks, checked against what was
//!   acknowledged;
//! - `commit`: a vault's new changes, the view and the history index in one durable batch;
//! - `append`: one new interaction written without loading the document, from the kept tip;
//! - `compact`: folding change chunks into a new snapshot, and when to;
//! - `view_rebuild`: whether the read view is current, and rewriting it whole;
//! - `history_index`: catching the per-record history index up, or dropping it;
//! - `local`: device-local quarantine state and incoming counts;
//! - `peers`, `identity`: small opaque values the binary keeps here;
//! - `disk`: free-space checks before a write, and sizes;
//! - `view_log`: which contacts the read view changed lately, for a front end's own index.

mod append;
mod commit;
mod compact;
mod disk;
mod history_index;
mod identity;
mod load;
mod local;
mod lock;
mod peers;
mod upgrade;
mod view_log;
mod view_rebuild;

#[cfg(test)]
pub(crate) mod testing;

use crate::chunk;
use crate::codec;
use crate::durable;
use crate::error::StoreError;
use crate::keys;
use crate::snapshot;
use crate::view::ReadView;
use rapport_model::automerge::ChangeHash;
use rapport_model::guarded;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub use commit::CommitReport;
pub use disk::StoreStats;
pub(crate) use lock::{is_lock_error, lock_store, remove_unfinished_sled_snapshots};
pub use view_log::ViewMark;

/// The on-disk format of the store (key layout and value encoding). Bumped on any change that
/// an older rapport could misread; see ARCHITECTURE.md for the migration rule.
/// 2: zstd snapshots; view buckets and contact histories in files outside sled.
pub const STORE_FORMAT: u32 = 3;

/// sled's page cache. Its default is 1 GiB; the view and the document are read once per command,
/// so a small cache loses nothing.
pub(crate) const CACHE_BYTES: u64 = 64 << 20;

/// One device's store. Only one process can hold it open.
#[derive(Debug)]
pub struct Store {
    /// Held for as long as the store is open (see `lock_store`).
    _lock: std::fs::File,
    db: sled::Db,
    /// Written since the last fsync (so `close` can skip a redundant one).
    dirty: AtomicBool,
    /// The store folder: `sled/` (the database) and `acknowledged` (see `ack`).
    path: PathBuf,
    /// What the read view changed lately, in this process (see `view_log`).
    view_log: std::sync::Mutex<view_log::ViewLog>,
}

impl Store {
    /// Opens the store in `dir`, creating an empty one if the folder has none.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let sled_dir = dir.join("sled");
        std::fs::create_dir_all(&sled_dir).map_err(|e| StoreError::from_io(dir, "create", e))?;
        // Our own lock, taken before sled is touched, so that repairing sled's files below can
        // never race another process that has the store open.
        let lock = lock_store(dir)?;
        remove_unfinished_sled_snapshots(&sled_dir);
        crate::ack::remove_unfinished(dir);
        let config = sled::Config::new()
            .path(&sled_dir)
            .cache_capacity(CACHE_BYTES)
            // We flush (and fsync) at every commit; a background flusher adds nothing.
            .flush_every_ms(None);
        let db = match guarded(|| config.open()) {
            Ok(Ok(db)) => db,
            Ok(Err(sled::Error::Io(e))) if is_lock_error(&e) => {
                return Err(StoreError::Locked {
                    path: dir.to_owned(),
                })
            }
            Ok(Err(e)) => return Err(StoreError::from_sled(dir, "open", e)),
            Err(panic) => {
                return Err(StoreError::corrupt(
                    dir,
                    format!("sled could not open it: {panic}"),
                ))
            }
        };
        let store = Store {
            _lock: lock,
            db,
            dirty: AtomicBool::new(false),
            path: dir.to_owned(),
            view_log: Default::default(),
        };
        match store.get_u32(keys::FORMAT)? {
            // An empty database beside a vault's files: the database was lost. Starting afresh
            // here would delete the snapshot that still holds the vault.
            None if dir.join("acknowledged").exists() || !snapshot::all(dir).is_empty() => {
                return Err(StoreError::corrupt(
                    dir,
                    "its database is missing but the vault's snapshot files remain",
                ));
            }
            None => {
                store.insert(keys::FORMAT, &STORE_FORMAT.to_le_bytes())?;
                store.sync()?;
            }
            Some(found) => store.upgrade(found)?,
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The read view. Check `view_is_current` first.
    pub fn view(&self) -> ReadView<'_> {
        ReadView {
            tree: &self.db,
            path: &self.path,
        }
    }

    /// Flushes and closes, waiting for sled's threads, so that a process can exit cleanly.
    pub fn close(self) -> Result<(), StoreError> {
        self.flush_for_close()?;
        drop(self.db);
        Ok(())
    }

    /// Like `close`, for a process that exits right after: leaves sled's page cache to the exit
    /// instead of freeing it node by node (a tenth of a cold `list` on W1). Nothing is lost:
    /// sled's own teardown only flushes, done here, and the locks are released with the
    /// process. Only for a process about to exit: in a longer one the store would stay locked.
    pub fn close_for_exit(self) -> Result<(), StoreError> {
        self.flush_for_close()?;
        std::mem::forget(self);
        Ok(())
    }

    /// Makes everything this process wrote reach the files: fsynced if it acknowledged edits,
    /// flushed otherwise (batches applied without a sync, such as incoming counts). Done
    /// explicitly rather than left to sled's drop, which cannot report a failure.
    fn flush_for_close(&self) -> Result<(), StoreError> {
        if self.dirty.load(Ordering::Relaxed) {
            return self.sync();
        }
        self.flush()
    }

    // ---- checked reads and writes, for the other parts of the store ----

    /// The database, for tests that look under the API.
    #[cfg(test)]
    pub(crate) fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Makes every write so far durable: sled's flush, then an fsync of its files and folders
    /// (see `durable`).
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        self.dirty.store(false, Ordering::Relaxed);
        self.flush()?;
        durable::sync_tree(&self.path.join("sled"))
            .map_err(|e| StoreError::from_io(&self.path, "sync", e))
    }

    /// sled's flush alone: survives the process being killed, not a power cut.
    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(|e| self.write_error(e))
    }

    fn write_error(&self, e: sled::Error) -> StoreError {
        StoreError::from_sled(&self.path, "write", e)
    }

    fn read_error(&self, e: sled::Error) -> StoreError {
        StoreError::from_sled(&self.path, "read", e)
    }

    /// Applies a batch, not yet durable: the caller syncs, or accepts losing it to a power cut
    /// (then `close` only flushes it).
    fn apply(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.db.apply_batch(batch).map_err(|e| self.write_error(e))
    }

    /// Stores a value that is already sealed under `key`.
    fn insert_raw(&self, key: &[u8], sealed: &[u8]) -> Result<(), StoreError> {
        self.dirty.store(true, Ordering::Relaxed);
        self.db
            .insert(key, sealed)
            .map(drop)
            .map_err(|e| self.write_error(e))
    }

    /// Seals `payload` under `key` and stores it.
    fn insert(&self, key: &[u8], payload: &[u8]) -> Result<(), StoreError> {
        self.insert_raw(key, &chunk::seal(key, payload))
    }

    /// The payload at `key`, checked against its seal. sled's panics on damaged pages are
    /// contained and reported as damage.
    fn get_checked(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = match guarded(|| self.db.get(key)) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return Err(self.read_error(e)),
            Err(panic) => return Err(StoreError::corrupt(&self.path, format!("sled: {panic}"))),
        };
        match value {
            None => Ok(None),
            Some(v) => chunk::open(key, &v)
                .map(|p| Some(p.to_vec()))
                .ok_or_else(|| self.bad_key(key)),
        }
    }

    fn get_u64(&self, key: &[u8]) -> Result<Option<u64>, StoreError> {
        match self.get_checked(key)? {
            None => Ok(None),
            Some(b) => <[u8; 8]>::try_from(b.as_slice())
                .map(|a| Some(u64::from_le_bytes(a)))
                .map_err(|_| self.bad_key(key)),
        }
    }

    fn get_u32(&self, key: &[u8]) -> Result<Option<u32>, StoreError> {
        match self.get_checked(key)? {
            None => Ok(None),
            Some(b) => <[u8; 4]>::try_from(b.as_slice())
                .map(|a| Some(u32::from_le_bytes(a)))
                .map_err(|_| self.bad_key(key)),
        }
    }

    /// The heads of the stored document, sorted (empty before the first vault).
    fn saved_heads(&self) -> Result<Vec<ChangeHash>, StoreError> {
        match self.get_checked(keys::HEADS)? {
            None => Ok(Vec::new()),
            Some(b) => codec::decode_heads(&b).ok_or_else(|| self.bad_key(keys::HEADS)),
        }
    }

    /// The change chunks since the last snapshot: how many, and their bytes.
    fn chunk_stats(&self) -> Result<(u64, u64), StoreError> {
        match self.get_checked(keys::CHUNK_STATS)? {
            None => Ok((0, 0)),
            Some(b) => codec::decode_stats(&b).ok_or_else(|| self.bad_key(keys::CHUNK_STATS)),
        }
    }

    fn snapshot_len(&self) -> Result<u64, StoreError> {
        Ok(self.get_u64(keys::SNAPSHOT_LEN)?.unwrap_or(0))
    }

    fn bad_key(&self, key: &[u8]) -> StoreError {
        codec::failed_checksum(&self.path, key)
    }
}
