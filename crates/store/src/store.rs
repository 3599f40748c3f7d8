//! `Store`: one device's sled database.

use crate::bucket::{self, Replaced};
use crate::chunk;
use crate::durable;
use crate::error::StoreError;
use crate::keys;
use crate::snapshot::{self, SnapshotRef};
use crate::view::{self, ReadView, VIEW_FORMAT};
use rapport_model::automerge::{AutoCommit, ChangeHash};
use rapport_model::guarded;
use rapport_model::{DeviceId, Touched, Vault};
use std::path::{Path, PathBuf};

/// The on-disk format of the store (key layout and value encoding). Bumped on any change that
/// an older rapport could misread; see ARCHITECTURE.md for the migration rule.
/// 2: zstd snapshots; view buckets and contact histories in files outside sled.
pub const STORE_FORMAT: u32 = 2;

/// Compaction folds change chunks into a new snapshot once there are this many chunks...
const COMPACT_CHUNKS: u64 = 128;
/// ...or once they hold this share of the snapshot's size (and at least `COMPACT_MIN_BYTES`).
const COMPACT_RATIO: u64 = 4;
const COMPACT_MIN_BYTES: u64 = 1 << 20;
/// sled's page cache. Its default is 1 GiB; the view and the document are read once per command,
/// so a small cache loses nothing.
const CACHE_BYTES: u64 = 64 << 20;

/// What a commit wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// Bytes of Automerge changes appended (0 if the document did not change); for a commit
    /// that compacted, the bytes of the document it saved (before zstd).
    pub change_bytes: usize,
    /// Whether the commit also compacted the document into a new snapshot.
    pub compacted: bool,
}

/// Sizes, for `rapport status` and the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub snapshot_bytes: u64,
    pub change_chunks: u64,
    pub change_bytes: u64,
    /// Bytes of every file under the store folder.
    pub disk_bytes: u64,
}

/// One device's store. Only one process can hold it open.
#[derive(Debug)]
pub struct Store {
    /// Held for as long as the store is open (see `lock_store`).
    _lock: std::fs::File,
    db: sled::Db,
    /// Written since the last fsync (so `close` can skip a redundant one).
    dirty: std::sync::atomic::AtomicBool,
    /// The store folder: `sled/` (the database) and `acknowledged` (see `ack`).
    path: PathBuf,
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
            dirty: std::sync::atomic::AtomicBool::new(false),
            path: dir.to_owned(),
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
            Some(found) if found > STORE_FORMAT => {
                return Err(StoreError::TooNew {
                    path: dir.to_owned(),
                    found,
                    supported: STORE_FORMAT,
                })
            }
            Some(1) => store.upgrade_from_1()?,
            Some(_) => {}
        }
        Ok(store)
    }

    /// Format 1 to 2. Format-1 snapshots are still read as they are, and the view is rebuilt
    /// on its next use (its format is older); the history index is dropped, to be rebuilt by
    /// `index_history` (its contact entries moved into bucket files).
    fn upgrade_from_1(&self) -> Result<(), StoreError> {
        self.drop_history_index()?;
        self.insert(keys::FORMAT, &STORE_FORMAT.to_le_bytes())?;
        self.sync()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The device identity the binary stored here (opaque to the store).
    pub fn identity(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(keys::IDENTITY)
    }

    /// Stores the device identity, durably.
    pub fn set_identity(&self, bytes: &[u8]) -> Result<(), StoreError> {
        self.insert(keys::IDENTITY, bytes)?;
        self.sync()
    }

    /// Whether this store holds a vault.
    pub fn has_vault(&self) -> Result<bool, StoreError> {
        self.db
            .contains_key(keys::SNAPSHOT)
            .map_err(|e| StoreError::from_sled(&self.path, "read", e))
    }

    /// Stores a vault for the first time (after `init`, or after fetching it from a peer).
    pub fn create_vault(&self, vault: &mut Vault) -> Result<CommitReport, StoreError> {
        let snapshot = vault.doc_mut().save_nocompress();
        self.ensure_room(snapshot.len() as u64 * 2)?;
        let heads = vault.heads();
        let mut batch = sled::Batch::default();
        self.write_snapshot(&mut batch, &snapshot, &heads)?;
        batch.remove(keys::VIEW_HEADS);
        vault.take_touched();
        self.apply_durably(batch)?;
        let ops = view::rebuild(&self.db, &self.path, vault)?;
        self.write_view(ops, &heads)?;
        self.drop_unreferenced_files();
        if crate::history::index_on_create(vault) {
            self.index_history(vault)?;
        }
        Ok(CommitReport {
            change_bytes: snapshot.len(),
            compacted: true,
        })
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
        // Every chunk is checked, then all are applied in one `load_incremental`: Automerge
        // 0.12 makes a pass over the whole document per call (~30 ms on W1), so applying them
        // one by one made every edit slower by the number of chunks since the last compaction.
        let mut chunks: Vec<(sled::IVec, sled::IVec)> = Vec::new();
        let mut changes = Vec::new();
        for item in self.db.scan_prefix(keys::CHANGE_PREFIX) {
            let (k, v) = item.map_err(|e| StoreError::from_sled(&self.path, "read", e))?;
            changes.extend_from_slice(chunk::open(&k, &v).ok_or_else(|| self.bad_key(&k))?);
            chunks.push((k, v));
        }
        if !changes.is_empty() && !matches!(guarded(|| doc.load_incremental(&changes)), Ok(Ok(_))) {
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

    /// Persists everything new in `vault` since the last commit, and updates the read view for
    /// the records in `touched`, in one atomic batch; returns once it is on disk.
    pub fn commit(&self, vault: &mut Vault, touched: &Touched) -> Result<CommitReport, StoreError> {
        let saved = self.saved_heads()?;
        let mut heads = vault.heads();
        heads.sort();
        if heads == saved && touched.is_empty() {
            return Ok(CommitReport::default());
        }
        // A commit that touched thousands of records (an import) compacts without encoding
        // its change chunk first: on W1 that chunk took 0.2 s and 90 MiB only to be measured.
        let bulk = touched.contacts.len() + touched.interactions.len() > view::REBUILD_ABOVE;
        let bytes = if bulk {
            Vec::new()
        } else {
            vault.doc_mut().save_after(&saved)
        };
        let (chunks, chunk_bytes) = self.chunk_stats()?;
        let snapshot_bytes = self.snapshot_len()?;
        self.ensure_room(bytes.len() as u64 + snapshot_bytes)?;
        let compact = bulk
            || chunks + 1 >= COMPACT_CHUNKS
            || chunk_bytes + bytes.len() as u64
                >= COMPACT_MIN_BYTES.max(snapshot_bytes / COMPACT_RATIO);
        let mut batch = sled::Batch::default();
        let mut saved_bytes = bytes.len();
        let mut replaced = Replaced::default();
        let rebuild = if compact {
            // Folding now costs one save and spares writing (and later deleting) a large
            // chunk: an import of 100k records writes a 30 MB change chunk otherwise.
            let doc = vault.doc_mut().save_nocompress();
            self.ensure_room(doc.len() as u64)?;
            saved_bytes = doc.len();
            self.remove_change_chunks(&mut batch)?;
            // The snapshot is compressed and written on a second core while the view and the
            // history index are brought up to date: on W1's import, 0.3 s of a 1.4 s commit.
            let (written, rebuild) = std::thread::scope(|scope| {
                let written = scope.spawn(|| snapshot::write(&self.path, &doc));
                let rebuild =
                    self.update_indexes(&mut batch, vault, touched, &saved, &mut replaced);
                (written.join(), rebuild)
            });
            let reference = written.map_err(|_| {
                StoreError::Encode("the snapshot could not be compressed".to_owned())
            })??;
            self.reference_snapshot(&mut batch, reference, &heads);
            rebuild?
        } else {
            if !bytes.is_empty() {
                let seq = self.get_u64(keys::NEXT_CHUNK)?.unwrap_or(0);
                let key = keys::change(seq);
                batch.insert(key.clone(), chunk::seal(&key, &bytes));
                batch.insert(
                    keys::NEXT_CHUNK,
                    chunk::seal(keys::NEXT_CHUNK, &(seq + 1).to_le_bytes()),
                );
                let stats = encode_stats(chunks + 1, chunk_bytes + bytes.len() as u64);
                batch.insert(keys::CHUNK_STATS, chunk::seal(keys::CHUNK_STATS, &stats));
                batch.insert(keys::HEADS, chunk::seal(keys::HEADS, &encode_heads(&heads)));
            }
            self.update_indexes(&mut batch, vault, touched, &saved, &mut replaced)?
        };
        match &rebuild {
            // The view is rewritten after the change is durable; until then it is marked stale.
            Some(_) => batch.remove(keys::VIEW_HEADS),
            None => batch.insert(
                keys::VIEW_HEADS,
                chunk::seal(keys::VIEW_HEADS, &encode_heads(&heads)),
            ),
        }
        self.apply_durably(batch)?;
        replaced.remove(&self.path);
        let rebuilt = rebuild.is_some();
        if let Some(ops) = rebuild {
            self.write_view(ops, &heads)?;
        }
        // A new snapshot replaced the old one, or a new view the old view's files.
        if compact || rebuilt {
            self.drop_unreferenced_files();
        }
        Ok(CommitReport {
            change_bytes: saved_bytes,
            compacted: compact,
        })
    }

    /// Adds to `batch` the read view's and the history index's updates for `touched` (the
    /// bucket files they replace go to `replaced`), or returns the writes of a whole new view
    /// when it must be rebuilt instead.
    fn update_indexes(
        &self,
        batch: &mut sled::Batch,
        vault: &mut Vault,
        touched: &Touched,
        saved: &[ChangeHash],
        replaced: &mut Replaced,
    ) -> Result<Option<Vec<view::ViewOp>>, StoreError> {
        // The view is updated from where it stands, so it must reflect `saved`; a stale one
        // (after a crash mid-rebuild, or a format change) is rebuilt instead, and so is one
        // whose buckets turn out damaged: a damaged cache must never block a write.
        let rebuild = if self.view_is_current()? {
            match view::update(&self.db, &self.path, batch, vault, touched, saved, replaced) {
                Ok(rebuild) => rebuild,
                // What `update` already added to the batch is overwritten by the rebuild,
                // which the caller writes after marking the view stale.
                Err(StoreError::ViewDamaged { .. }) => {
                    Some(view::rebuild(&self.db, &self.path, vault)?)
                }
                Err(e) => return Err(e),
            }
        } else {
            Some(view::rebuild(&self.db, &self.path, vault)?)
        };
        match crate::history::update(&self.db, &self.path, batch, vault, saved, touched, replaced) {
            Ok(()) => {}
            // A damaged bucket is found before `update` adds anything to the batch. The index
            // goes stale (no heads), to be dropped and rebuilt by `index_history`.
            Err(StoreError::ViewDamaged { .. }) => batch.remove(crate::history::HIST_HEADS),
            Err(e) => return Err(e),
        }
        Ok(rebuild)
    }

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

    /// Whether the read view reflects the stored document. It may not after a crash between
    /// versions, a view format change, or damage; then `rebuild_view` fixes it.
    pub fn view_is_current(&self) -> Result<bool, StoreError> {
        let format = self.get_u32(keys::VIEW_FORMAT).unwrap_or(None);
        let view_heads = self.get_checked(keys::VIEW_HEADS).unwrap_or(None);
        let saved = self.get_checked(keys::HEADS)?;
        Ok(format == Some(VIEW_FORMAT) && view_heads.is_some() && view_heads == saved)
    }

    /// Rewrites the read view from the document.
    pub fn rebuild_view(&self, vault: &mut Vault) -> Result<(), StoreError> {
        let mut heads = vault.heads();
        heads.sort();
        let ops = view::rebuild(&self.db, &self.path, vault)?;
        self.write_view(ops, &heads)?;
        // The files of the view this one replaced.
        bucket::remove_unreferenced(&self.db, &self.path)
    }

    /// Writes a rebuilt view in bounded batches, marked stale until its heads are written last:
    /// a crash part-way leaves a view that the next command rebuilds, never a wrong one.
    fn write_view(&self, ops: Vec<view::ViewOp>, heads: &[ChangeHash]) -> Result<(), StoreError> {
        const CHUNK: usize = 4_096;
        let write = |e| StoreError::from_sled(&self.path, "write", e);
        self.db.remove(keys::VIEW_HEADS).map_err(write)?;
        for chunk in ops.chunks(CHUNK) {
            let mut batch = sled::Batch::default();
            for (key, value) in chunk {
                match value {
                    Some(v) => batch.insert(key.as_slice(), v.as_slice()),
                    None => batch.remove(key.as_slice()),
                }
            }
            self.db.apply_batch(batch).map_err(write)?;
        }
        self.insert_raw(
            keys::VIEW_HEADS,
            &chunk::seal(keys::VIEW_HEADS, &encode_heads(heads)),
        )?;
        self.sync()
    }

    /// Whether the per-record history index covers every stored change. It may not after the
    /// vault was fetched from a peer or written by an older rapport; `index_history` fixes it.
    pub fn history_is_current(&self) -> Result<bool, StoreError> {
        Ok(crate::history::indexed_heads(&self.db).as_deref() == Some(&self.saved_heads()?[..]))
    }

    /// Brings the per-record history index up to `vault` (which must be the stored vault):
    /// attributes every change the index does not cover yet, in bounded batches, then records
    /// the heads it covers. Costs one decode of those changes; commits keep it current after.
    /// An index with no heads (never built, or marked stale after damage) or with a damaged
    /// bucket is dropped and built afresh.
    pub fn index_history(&self, vault: &mut Vault) -> Result<(), StoreError> {
        let Some(since) = crate::history::indexed_heads(&self.db) else {
            self.drop_history_index()?;
            return self.index_history_since(vault, &[]);
        };
        match self.index_history_since(vault, &since) {
            Err(StoreError::ViewDamaged { .. }) => {
                self.drop_history_index()?;
                self.index_history_since(vault, &[])
            }
            other => other,
        }
    }

    fn index_history_since(
        &self,
        vault: &mut Vault,
        since: &[ChangeHash],
    ) -> Result<(), StoreError> {
        const CHUNK: usize = 4_096;
        let changes = vault.attribute_changes(since, None);
        let heads = vault.heads();
        let mut buckets = bucket::Buckets::new(&self.db, &self.path);
        let writes = crate::history::writes(&changes, &heads, &mut buckets)?;
        let write = |e| StoreError::from_sled(&self.path, "write", e);
        // The contacts' buckets first, then the other entries with the heads entry last, so a
        // crash part-way leaves the index stale (caught up again later, which is idempotent),
        // never claiming changes it lacks.
        let mut batch = sled::Batch::default();
        let replaced = buckets.write(&mut batch)?;
        self.db.apply_batch(batch).map_err(write)?;
        for chunk in writes.chunks(CHUNK) {
            let mut batch = sled::Batch::default();
            for (k, v) in chunk {
                batch.insert(k.as_slice(), v.as_slice());
            }
            self.db.apply_batch(batch).map_err(write)?;
        }
        self.sync()?;
        replaced.remove(&self.path);
        Ok(())
    }

    /// Forgets the per-record history index (after damage to it): `index_history` rebuilds it
    /// from the document. The index only describes the document, so nothing is lost.
    pub fn drop_history_index(&self) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for k in self.db.scan_prefix(crate::history::HIST_PREFIX).keys() {
            batch.remove(k.map_err(|e| StoreError::from_sled(&self.path, "read", e))?);
        }
        self.db
            .apply_batch(batch)
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))?;
        self.sync()?;
        bucket::remove_unreferenced(&self.db, &self.path)
    }

    /// The read view. Check `view_is_current` first.
    pub fn view(&self) -> ReadView<'_> {
        ReadView {
            tree: &self.db,
            path: &self.path,
        }
    }

    /// The sync state last saved for a peer (Automerge's `sync::State::encode`).
    pub fn peer_state(&self, peer: DeviceId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(&keys::peer(&peer.to_hex()))
    }

    /// Saves a peer's sync state. Not fsynced: losing it costs one larger sync, not data.
    pub fn set_peer_state(&self, peer: DeviceId, state: &[u8]) -> Result<(), StoreError> {
        self.insert(&keys::peer(&peer.to_hex()), state)?;
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))
    }

    /// What the binary remembers about a peer (addresses, last seen): opaque to the store.
    pub fn peer_info(&self, peer: DeviceId) -> Result<Option<Vec<u8>>, StoreError> {
        self.get_checked(&keys::peer_info(&peer.to_hex()))
    }

    /// Saves a peer's info. Not fsynced: it is a hint, rebuilt by the next contact.
    pub fn set_peer_info(&self, peer: DeviceId, info: &[u8]) -> Result<(), StoreError> {
        self.insert(&keys::peer_info(&peer.to_hex()), info)?;
        self.db
            .flush()
            .map(|_| ())
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))
    }

    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let (change_chunks, change_bytes) = self.chunk_stats()?;
        Ok(StoreStats {
            snapshot_bytes: self.snapshot_len()?,
            change_chunks,
            change_bytes,
            disk_bytes: dir_size(&self.path),
        })
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
        if self.dirty.load(std::sync::atomic::Ordering::Relaxed) {
            return self.sync();
        }
        self.db
            .flush()
            .map(drop)
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))
    }

    // ---- helpers ----

    /// Writes the snapshot file and adds its reference (and the heads it holds) to `batch`.
    fn write_snapshot(
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
    fn remove_change_chunks(&self, batch: &mut sled::Batch) -> Result<(), StoreError> {
        for k in self.db.scan_prefix(keys::CHANGE_PREFIX).keys() {
            batch.remove(k.map_err(|e| StoreError::from_sled(&self.path, "read", e))?);
        }
        Ok(())
    }

    /// Adds to `batch` the reference to a written snapshot file and the heads it holds; the
    /// change chunks it folds in are the caller's to remove.
    fn reference_snapshot(
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
        batch.insert(keys::HEADS, chunk::seal(keys::HEADS, &encode_heads(&heads)));
        batch.insert(
            keys::CHUNK_STATS,
            chunk::seal(keys::CHUNK_STATS, &encode_stats(0, 0)),
        );
        batch.insert(
            keys::SNAPSHOT_LEN,
            chunk::seal(keys::SNAPSHOT_LEN, &reference.len.to_le_bytes()),
        );
    }

    /// After a batch that references a new snapshot or a new view is durable, older snapshot
    /// files go, and so do bucket files no key refers to (replaced by a view rebuild, or left
    /// by a crash). Best effort: a file left behind only costs disk until the next time.
    fn drop_unreferenced_files(&self) {
        if let Ok(Some(bytes)) = self.get_checked(keys::SNAPSHOT) {
            if let Some(reference) = SnapshotRef::decode(&bytes) {
                snapshot::remove_others(&self.path, &reference);
            }
        }
        let _ = bucket::remove_unreferenced(&self.db, &self.path);
    }

    /// Refuses a write up front when the disk is nearly full. sled 0.34 does not fail cleanly
    /// when the disk fills mid-write: we saw a writer block forever on a full tmpfs. Checking
    /// first turns the common case into a clear "disk is full" before anything is written.
    fn ensure_room(&self, bytes: u64) -> Result<(), StoreError> {
        const RESERVE: u64 = 16 << 20;
        let needed = bytes.saturating_mul(4).saturating_add(RESERVE);
        match durable::available_bytes(&self.path) {
            Some(free) if free < needed => Err(StoreError::DiskFull {
                path: self.path.clone(),
            }),
            _ => Ok(()),
        }
    }

    fn apply_durably(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.db
            .apply_batch(batch)
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))?;
        self.sync()?;
        let heads = self.saved_heads()?;
        crate::ack::write(&self.path, &heads)
    }

    /// The database, for the store's other modules (quarantine state).
    pub(crate) fn db(&self) -> &sled::Db {
        &self.db
    }

    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        self.dirty
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.db
            .flush()
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))?;
        durable::sync_tree(&self.path.join("sled"))
            .map_err(|e| StoreError::from_io(&self.path, "sync", e))
    }

    fn insert_raw(&self, key: &[u8], sealed: &[u8]) -> Result<(), StoreError> {
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        self.db
            .insert(key, sealed)
            .map(|_| ())
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))
    }

    fn insert(&self, key: &[u8], payload: &[u8]) -> Result<(), StoreError> {
        self.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        self.db
            .insert(key, chunk::seal(key, payload))
            .map(|_| ())
            .map_err(|e| StoreError::from_sled(&self.path, "write", e))
    }

    fn get_checked(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = match guarded(|| self.db.get(key)) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return Err(StoreError::from_sled(&self.path, "read", e)),
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

    fn saved_heads(&self) -> Result<Vec<ChangeHash>, StoreError> {
        match self.get_checked(keys::HEADS)? {
            None => Ok(Vec::new()),
            Some(b) => decode_heads(&b).ok_or_else(|| self.bad_key(keys::HEADS)),
        }
    }

    fn chunk_stats(&self) -> Result<(u64, u64), StoreError> {
        match self.get_checked(keys::CHUNK_STATS)? {
            None => Ok((0, 0)),
            Some(b) if b.len() == 16 => {
                let (c, n) = b.split_at(8);
                let c = <[u8; 8]>::try_from(c).map_err(|_| self.bad_key(keys::CHUNK_STATS))?;
                let n = <[u8; 8]>::try_from(n).map_err(|_| self.bad_key(keys::CHUNK_STATS))?;
                Ok((u64::from_le_bytes(c), u64::from_le_bytes(n)))
            }
            Some(_) => Err(self.bad_key(keys::CHUNK_STATS)),
        }
    }

    fn snapshot_len(&self) -> Result<u64, StoreError> {
        Ok(self.get_u64(keys::SNAPSHOT_LEN)?.unwrap_or(0))
    }

    fn bad_key(&self, key: &[u8]) -> StoreError {
        let name = match key.strip_prefix(keys::CHANGE_PREFIX) {
            Some(seq) if seq.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(seq);
                format!("change chunk {} failed its checksum", u64::from_be_bytes(a))
            }
            _ => format!("`{}` failed its checksum", String::from_utf8_lossy(key)),
        };
        StoreError::corrupt(&self.path, name)
    }
}

/// Takes the store's lock file (`store/lock`), or says that another process has it.
pub(crate) fn lock_store(dir: &Path) -> Result<std::fs::File, StoreError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("lock"))
        .map_err(|e| StoreError::from_io(dir, "open the lock of", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: dir.to_owned(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::from_io(dir, "lock", e)),
    }
}

/// sled 0.34.7 writes its page-table snapshot to `snap.<lsn>.generating`, fsyncs it, then
/// renames it. On open it reads the newest `snap.*` file *including* a `.generating` one, so a
/// process killed between the write and the rename leaves a database that sled refuses as
/// corrupt (sled issues 1527 and 1533; our crash test hit it). Such a file is unfinished by
/// construction, and sled recovers from its log without it, so it is removed before opening.
pub(crate) fn remove_unfinished_sled_snapshots(sled_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(sled_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn is_lock_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}

fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn decode_heads(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    bytes
        .chunks(32)
        .map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

fn encode_stats(chunks: u64, bytes: u64) -> Vec<u8> {
    let mut out = chunks.to_le_bytes().to_vec();
    out.extend_from_slice(&bytes.to_le_bytes());
    out
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}
