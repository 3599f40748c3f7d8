//! Per-contact values grouped into compressed buckets, each a file of its own.
//!
//! A vault of 10k contacts had 10k keys per family (contacts, timelines, provenance, history)
//! plus 100k keys filing interactions: reading them cost sled ~10k page lookups per family,
//! and the live values were 3× the `save()` size. Instead, the contacts of one family are
//! grouped by the top bits of their id into `BUCKETS` values, each compressed.
//!
//! The buckets live outside sled, as files named by their blake3 hash under `buckets/`; sled
//! holds only a sealed reference (hash and length) at the bucket's key, written in the same
//! atomic batch as the change the bucket reflects. sled 0.34 kept two to three times its live
//! bytes on disk (old copies of rewritten values wait for its segment cleaner), which for
//! ~10 MB of buckets was most of the store; a file is replaced exactly.
//!
//! Write order (as for snapshots): new files are written and fsynced, then their folder, then
//! the sled batch that references them is made durable, and only then are the files it
//! replaced removed. A crash in between leaves unreferenced files, which `remove_unreferenced`
//! deletes (at the next compaction or view rebuild); it never leaves a reference to a file
//! that is not whole.
//!
//! A bucket's plain bytes are entries sorted by id, each `id: u64 LE || len: u32 LE || bytes`,
//! where `bytes` is the postcard encoding of that contact's value. The file holds them in
//! blocks, each compressed and checksummed on its own, so that one contact is read without the
//! rest (`blocks`).

mod blocks;
mod scan;

pub(crate) use scan::{for_each, map_each};

use crate::chunk;
use crate::codec::damaged;
use crate::error::StoreError;
use rapport_model::ContactId;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Bits of a contact id that choose its bucket: 128 buckets keep a bucket of W1's timelines
/// near 150 KB plain (a note rewrites one) and a list reads 128 files instead of 10k values.
const BUCKET_BITS: u32 = 7;
/// The relate index has 32 buckets per family: it is only ever read whole, so fewer files cost
/// its reads nothing, and they spare a clone or import 192 file creations (0.7 ms each on the
/// benchmark machine, where they made a W1 clone 1.1× slower). A note rewrites a bucket four
/// times larger, still a few hundred KB at W30.
const RELATE_BUCKET_BITS: u32 = 5;

/// The folder, under the store, that holds the bucket files.
const DIR: &str = "buckets";
/// Named when the files were zstd frames, and kept: a file's name comes from its reference,
/// so every existing store's references name `.zst` files.
const EXT: &str = "zst";

/// A bucket's plain bytes may not exceed this (a damaged length must not allocate wildly).
const MAX_PLAIN: usize = 1 << 30;

/// Every family whose values are bucket files (for `remove_unreferenced`).
pub(crate) const FAMILIES: [&str; 6] = [
    crate::keys::VIEW_CONTACTS,
    crate::keys::VIEW_TIMELINES,
    crate::keys::VIEW_PROVENANCE,
    crate::keys::VIEW_RELATE,
    crate::keys::VIEW_RELATE_GRAPH,
    crate::keys::HIST_CONTACTS,
];

/// The bucket of `family` that holds `id`: the top bits of the id, so buckets (and entries
/// within them) come out of a scan in id order.
pub(crate) fn bucket_of(family: &str, id: ContactId) -> u8 {
    let bits = if family == crate::keys::VIEW_RELATE || family == crate::keys::VIEW_RELATE_GRAPH {
        RELATE_BUCKET_BITS
    } else {
        BUCKET_BITS
    };
    (id.as_u64() >> (64 - bits)) as u8
}

pub(crate) fn key(family: &str, bucket: u8) -> Vec<u8> {
    format!("{family}{bucket:02x}").into_bytes()
}

pub(crate) fn key_of(family: &str, id: ContactId) -> Vec<u8> {
    key(family, bucket_of(family, id))
}

/// What sled holds at a bucket's key: the file's blake3 hash and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FileRef {
    hash: [u8; 32],
    len: u64,
}

impl FileRef {
    /// The sealed value stored at `key`.
    pub(crate) fn seal(&self, key: &[u8]) -> Vec<u8> {
        let mut payload = self.hash.to_vec();
        payload.extend_from_slice(&self.len.to_le_bytes());
        chunk::seal(key, &payload)
    }

    /// The reference in a sealed value, or `None` if it fails its checksum.
    fn open(key: &[u8], sealed: &[u8]) -> Option<FileRef> {
        let payload = chunk::open(key, sealed)?;
        let (hash, len) = payload.split_first_chunk::<32>()?;
        let len = <[u8; 8]>::try_from(len).ok()?;
        Some(FileRef {
            hash: *hash,
            len: u64::from_le_bytes(len),
        })
    }

    fn name(&self) -> String {
        format!("{}.{EXT}", blake3::Hash::from(self.hash).to_hex())
    }

    fn path(&self, store: &Path) -> PathBuf {
        store.join(DIR).join(self.name())
    }
}

/// The plain bytes of a bucket of entries (sorted by id, as a `BTreeMap` gives them).
pub(crate) fn plain<'a>(entries: impl IntoIterator<Item = (ContactId, &'a [u8])>) -> Vec<u8> {
    let mut plain = Vec::new();
    for (id, bytes) in entries {
        plain.extend_from_slice(&id.as_u64().to_le_bytes());
        // A contact's value is far below 4 GiB: the vault's own limits bound every field.
        plain.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        plain.extend_from_slice(bytes);
    }
    plain
}

/// Writes a bucket's plain bytes as a file, without an fsync: buckets are caches checked by
/// checksums on every read (see `durable::write_cache_file`).
pub(crate) fn write_file(store: &Path, plain: &[u8]) -> Result<FileRef, StoreError> {
    let io = |e| StoreError::from_io(store, "write the read cache in", e);
    // Refused here rather than written and then refused as damage on every read.
    if plain.len() > MAX_PLAIN {
        return Err(StoreError::Encode(
            "a bucket of the read view is over 1 GiB".to_owned(),
        ));
    }
    let bytes = blocks::encode(plain);
    let r = FileRef {
        hash: *blake3::hash(&bytes).as_bytes(),
        len: bytes.len() as u64,
    };
    let path = store.join(DIR).join(r.name());
    crate::durable::write_cache_file(&path, &bytes).map_err(io)?;
    Ok(r)
}

/// A bucket's key and plain bytes, to be written as a file.
pub(crate) type PlainBucket = (Vec<u8>, Vec<u8>);

/// Writes many buckets' files (`(key, plain bytes)`), compressing on up to four threads: a
/// rebuild of W1's view compresses 28 MB. Returns their references in the same order.
pub(crate) fn write_files(
    store: &Path,
    plains: &[PlainBucket],
) -> Result<Vec<FileRef>, StoreError> {
    let threads = threads();
    let per_thread = plains.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = plains
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, plain)| write_file(store, plain))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut files = Vec::with_capacity(plains.len());
        for worker in workers {
            let part = worker.join().map_err(|_| {
                StoreError::Encode("a bucket of the read view could not be compressed".into())
            })??;
            files.extend(part);
        }
        Ok(files)
    })
}

/// Threads for work on many buckets at once: every core, up to four.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// fsyncs the bucket folder (creating it if nothing was written yet), so that the files
/// written since are in it.
pub(crate) fn sync_dir(store: &Path) -> Result<(), StoreError> {
    let io = |e| StoreError::from_io(store, "sync", e);
    let dir = store.join(DIR);
    fs::create_dir_all(&dir).map_err(io)?;
    crate::durable::sync_dir_and_parent(&dir).map_err(io)
}

/// Reads the bucket whose sealed reference is `sealed` (stored at `key`) into `plain`.
/// A reference, file or frame that does not check out is view damage; a disk that fails to
/// read is an I/O error.
pub(crate) fn read_into(
    store: &Path,
    key: &[u8],
    sealed: &[u8],
    plain: &mut Vec<u8>,
) -> Result<(), StoreError> {
    Reader::new(store).read_into(key, sealed, plain)
}

/// Reads bucket files. A zstd context is made at the first zstd block and then reused: a scan
/// of 128 zstd buckets spent a tenth of a cold `list` creating a context per file, and files
/// written since LZ4 need none.
///
/// The compressed file's buffer is kept and reused too, as scans reuse the plain one: no
/// allocation per file.
pub(crate) struct Reader<'a> {
    store: &'a Path,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
    file: Vec<u8>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(store: &'a Path) -> Self {
        Reader {
            store,
            zstd: None,
            file: Vec::new(),
        }
    }

    /// Reads the bucket whose sealed reference is `sealed` (stored at `key`) into `plain`, a
    /// buffer the caller reuses.
    pub(crate) fn read_into(
        &mut self,
        key: &[u8],
        sealed: &[u8],
        plain: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        let mut bytes = std::mem::take(&mut self.file);
        let read = self.read_file_into(key, sealed, &mut bytes, plain);
        self.file = bytes;
        read
    }

    fn read_file_into(
        &mut self,
        key: &[u8],
        sealed: &[u8],
        bytes: &mut Vec<u8>,
        plain: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        let index = self.file(key, sealed, bytes)?;
        if index.plain_len > MAX_PLAIN {
            return Err(damaged(self.store, key));
        }
        plain.clear();
        plain.reserve(index.plain_len);
        for block in &index.blocks {
            self.decompress_onto(key, bytes, block, plain)?;
        }
        Ok(())
    }

    /// The value of `id` in the bucket whose sealed reference is `sealed`, decompressing only
    /// the block that can hold it.
    pub(crate) fn find(
        &mut self,
        key: &[u8],
        sealed: &[u8],
        id: ContactId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut bytes = Vec::new();
        let index = self.file(key, sealed, &mut bytes)?;
        let Some(block) = blocks::block_for(&index.blocks, id.as_u64()) else {
            return Ok(None);
        };
        if block.plain_len > MAX_PLAIN {
            return Err(damaged(self.store, key));
        }
        let mut plain = Vec::with_capacity(block.plain_len);
        self.decompress_onto(key, &bytes, block, &mut plain)?;
        Ok(entries(&plain)
            .ok_or_else(|| damaged(self.store, key))?
            .into_iter()
            .find(|(i, _)| *i == id)
            .map(|(_, b)| b.to_vec()))
    }

    /// Reads the file `sealed` refers to into `bytes` and returns its index. A file with
    /// checksums has had its index checked (each block is checked as it is decompressed); an
    /// older one is checked whole against its hash.
    fn file(
        &self,
        key: &[u8],
        sealed: &[u8],
        bytes: &mut Vec<u8>,
    ) -> Result<blocks::Index, StoreError> {
        let store = self.store;
        let r = FileRef::open(key, sealed).ok_or_else(|| damaged(store, key))?;
        match crate::durable::read_expecting_into(&r.path(store), r.len, bytes) {
            Ok(true) => {}
            Ok(false) => return Err(damaged(store, key)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(damaged(store, key)),
            Err(e) => return Err(StoreError::from_io(store, "read", e)),
        }
        let index = blocks::index(bytes).ok_or_else(|| damaged(store, key))?;
        if !index.checked && blake3::hash(bytes).as_bytes() != &r.hash {
            return Err(damaged(store, key));
        }
        Ok(index)
    }

    /// Decompresses `block` of the file `bytes` onto the end of `plain`, once its frame passes
    /// its checksum (if the file has them). A zstd frame goes into room only reserved: zeroing
    /// the room first (a slice to write into) made a cold `search` at W30 1.15× slower, since
    /// its buffers are reused and hold 100 MB over the scan. LZ4's decoder needs a slice, and
    /// is still the faster (`blocks`).
    fn decompress_onto(
        &mut self,
        key: &[u8],
        bytes: &[u8],
        block: &blocks::Block,
        plain: &mut Vec<u8>,
    ) -> Result<(), StoreError> {
        let frame = bytes
            .get(block.frame.clone())
            .ok_or_else(|| damaged(self.store, key))?;
        if block.crc.is_some_and(|crc| crc32fast::hash(frame) != crc) {
            return Err(damaged(self.store, key));
        }
        let start = plain.len();
        let decoded = match block.codec {
            blocks::Codec::Lz4 => {
                plain.resize(start + block.plain_len, 0);
                lz4_flex::block::decompress_into(frame, &mut plain[start..]).ok()
            }
            blocks::Codec::Zstd => {
                let decoder = match &mut self.zstd {
                    Some(d) => d,
                    None => self.zstd.insert(
                        zstd::bulk::Decompressor::new()
                            .map_err(|e| StoreError::from_io(self.store, "read", e))?,
                    ),
                };
                let mut out = std::io::Cursor::new(&mut *plain);
                out.set_position(start as u64);
                decoder.decompress_to_buffer(frame, &mut out).ok()
            }
        };
        if decoded == Some(block.plain_len) && plain.len() == start + block.plain_len {
            Ok(())
        } else {
            plain.truncate(start);
            Err(damaged(self.store, key))
        }
    }
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("store", &self.store)
            .finish()
    }
}

/// How many entries `plain` holds (`None` if it is not a bucket's plain bytes), without
/// collecting them.
pub(crate) fn count(plain: &[u8]) -> Option<usize> {
    let mut n = 0;
    let mut rest = plain;
    while !rest.is_empty() {
        let (_, r) = rest.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        rest = r.get(len..)?;
        n += 1;
    }
    Some(n)
}

/// The entries of a bucket's plain bytes, in stored order, or `None` if they are malformed.
pub(crate) fn entries(plain: &[u8]) -> Option<Vec<(ContactId, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = plain;
    while !rest.is_empty() {
        let (id, r) = rest.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if r.len() < len {
            return None;
        }
        let (bytes, r) = r.split_at(len);
        out.push((ContactId::from_u64(u64::from_le_bytes(*id)), bytes));
        rest = r;
    }
    Some(out)
}

/// The value of one contact in the bucket at `key`, if the bucket exists and holds it.
pub(crate) fn find(
    tree: &sled::Tree,
    store: &Path,
    key: &[u8],
    id: ContactId,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(sealed) = tree
        .get(key)
        .map_err(|e| StoreError::from_sled(store, "read", e))?
    else {
        return Ok(None);
    };
    Reader::new(store).find(key, &sealed, id)
}

/// Files that a durable batch no longer references, to remove once it is on disk.
#[derive(Debug, Default)]
#[must_use = "the replaced files stay on disk unless removed after the batch is durable"]
pub(crate) struct Replaced(Vec<FileRef>);

impl Replaced {
    pub(crate) fn extend(&mut self, other: Replaced) {
        self.0.extend(other.0);
    }

    /// Removes the files. Best effort: one left behind only costs disk until the next
    /// `remove_unreferenced`.
    pub(crate) fn remove(self, store: &Path) {
        for r in self.0 {
            let _ = fs::remove_file(r.path(store));
        }
    }
}

/// Removes every bucket file that no bucket key references (left by a crash between writing
/// files and committing the batch, or between committing it and removing what it replaced),
/// and stray temporary files.
pub(crate) fn remove_unreferenced(tree: &sled::Tree, store: &Path) -> Result<(), StoreError> {
    let mut keep = BTreeSet::new();
    for family in FAMILIES {
        for item in tree.scan_prefix(family.as_bytes()) {
            let (k, v) = item.map_err(|e| StoreError::from_sled(store, "read", e))?;
            // A damaged reference keeps nothing alive; its file is unreadable through it.
            if let Some(r) = FileRef::open(&k, &v) {
                keep.insert(r.name());
            }
        }
    }
    let Ok(files) = fs::read_dir(store.join(DIR)) else {
        return Ok(());
    };
    for f in files.flatten() {
        if !keep.contains(f.file_name().to_string_lossy().as_ref()) {
            let _ = fs::remove_file(f.path());
        }
    }
    Ok(())
}

/// Read-modify-write of buckets during one commit: every bucket is read once from the tree
/// (as it was before the commit), changed in memory, and written once.
#[derive(Debug)]
pub(crate) struct Buckets<'a> {
    tree: &'a sled::Tree,
    path: &'a Path,
    loaded: BTreeMap<(&'static str, u8), Loaded>,
    dirty: BTreeSet<(&'static str, u8)>,
}

#[derive(Debug, Default)]
struct Loaded {
    /// The file the bucket was read from, if there was one.
    file: Option<FileRef>,
    entries: BTreeMap<ContactId, Vec<u8>>,
}

impl<'a> Buckets<'a> {
    pub(crate) fn new(tree: &'a sled::Tree, path: &'a Path) -> Self {
        Buckets {
            tree,
            path,
            loaded: BTreeMap::new(),
            dirty: BTreeSet::new(),
        }
    }

    fn load(
        &mut self,
        family: &'static str,
        bucket: u8,
    ) -> Result<&mut BTreeMap<ContactId, Vec<u8>>, StoreError> {
        let slot = (family, bucket);
        if !self.loaded.contains_key(&slot) {
            let k = key(family, bucket);
            let mut loaded = Loaded::default();
            if let Some(sealed) = self
                .tree
                .get(&k)
                .map_err(|e| StoreError::from_sled(self.path, "read", e))?
            {
                let mut plain = Vec::new();
                read_into(self.path, &k, &sealed, &mut plain)?;
                for (id, bytes) in entries(&plain).ok_or_else(|| damaged(self.path, &k))? {
                    loaded.entries.insert(id, bytes.to_vec());
                }
                loaded.file = FileRef::open(&k, &sealed);
            }
            self.loaded.insert(slot, loaded);
        }
        self.loaded
            .get_mut(&slot)
            .map(|l| &mut l.entries)
            .ok_or_else(|| damaged(self.path, &key(family, bucket)))
    }

    /// The current (possibly already changed) value of `id` in `family`.
    pub(crate) fn get(
        &mut self,
        family: &'static str,
        id: ContactId,
    ) -> Result<Option<&[u8]>, StoreError> {
        Ok(self
            .load(family, bucket_of(family, id))?
            .get(&id)
            .map(Vec::as_slice))
    }

    /// The current value of `id` in `family`, decoded, or the default if it has none.
    pub(crate) fn get_decoded<T: serde::de::DeserializeOwned + Default>(
        &mut self,
        family: &'static str,
        id: ContactId,
    ) -> Result<T, StoreError> {
        let path = self.path;
        match self.get(family, id)? {
            Some(bytes) => {
                postcard::from_bytes(bytes).map_err(|_| damaged(path, &key_of(family, id)))
            }
            None => Ok(T::default()),
        }
    }

    /// Sets (or with `None` removes) the value of `id` in `family`. A bucket is rewritten only
    /// if a value in it changed: a note sets its contact's relate graph entry to what it was
    /// (usually none), and rewriting that bucket's file cost a file creation per note.
    pub(crate) fn set(
        &mut self,
        family: &'static str,
        id: ContactId,
        value: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        let bucket = bucket_of(family, id);
        let map = self.load(family, bucket)?;
        let changed = match value {
            Some(v) if map.get(&id) == Some(&v) => false,
            Some(v) => {
                map.insert(id, v);
                true
            }
            None => map.remove(&id).is_some(),
        };
        if changed {
            self.dirty.insert((family, bucket));
        }
        Ok(())
    }

    /// Writes the changed buckets' files (durably) and adds their references to `batch` (an
    /// emptied bucket's key is removed). Returns the files the batch stops referencing.
    pub(crate) fn write(self, batch: &mut sled::Batch) -> Result<Replaced, StoreError> {
        let mut replaced = Replaced::default();
        let mut wrote = false;
        for slot in &self.dirty {
            let k = key(slot.0, slot.1);
            let Some(loaded) = self.loaded.get(slot) else {
                continue;
            };
            let new = if loaded.entries.is_empty() {
                batch.remove(k);
                None
            } else {
                let plain = plain(loaded.entries.iter().map(|(id, v)| (*id, v.as_slice())));
                let r = write_file(self.path, &plain)?;
                batch.insert(k.clone(), r.seal(&k));
                wrote = true;
                Some(r)
            };
            if let Some(old) = loaded.file.filter(|old| Some(*old) != new) {
                replaced.0.push(old);
            }
        }
        if wrote {
            sync_dir(self.path)?;
        }
        Ok(replaced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store folder with a temporary sled database (also for `scan`'s tests).
    pub(super) fn tree() -> (tempfile::TempDir, sled::Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path().join("sled"))
            .temporary(true)
            .open()
            .unwrap();
        (dir, db)
    }

    fn put(db: &sled::Db, store: &Path, key: &[u8], entries: &[(ContactId, &[u8])]) -> FileRef {
        let r = write_file(store, &plain(entries.iter().copied())).unwrap();
        db.insert(key, r.seal(key)).unwrap();
        r
    }

    /// Stores `bytes` as they are (a file an older build wrote) as the bucket at `key`.
    fn put_file(db: &sled::Db, store: &Path, key: &[u8], bytes: &[u8]) -> FileRef {
        let r = FileRef {
            hash: *blake3::hash(bytes).as_bytes(),
            len: bytes.len() as u64,
        };
        fs::create_dir_all(store.join(DIR)).unwrap();
        fs::write(r.path(store), bytes).unwrap();
        db.insert(key, r.seal(key)).unwrap();
        r
    }

    #[test]
    fn a_bucket_round_trips_and_rejects_damage() {
        let (dir, db) = tree();
        let store = dir.path();
        let (a, b) = (ContactId::from_u64(1), ContactId::from_u64(u64::MAX));
        let r = put(&db, store, b"k", &[(a, b"alpha"), (b, b"")]);
        assert_eq!(find(&db, store, b"k", b).unwrap(), Some(Vec::new()));
        assert_eq!(find(&db, store, b"k", a).unwrap(), Some(b"alpha".to_vec()));
        assert_eq!(
            find(&db, store, b"k", ContactId::from_u64(7)).unwrap(),
            None
        );
        assert_eq!(find(&db, store, b"none", a).unwrap(), None);

        // The reference is bound to its key.
        let sealed = db.get(b"k").unwrap().unwrap();
        db.insert(b"other", sealed.clone()).unwrap();
        assert!(matches!(
            find(&db, store, b"other", a),
            Err(StoreError::ViewDamaged { .. })
        ));
        // Any flipped byte of the file is caught.
        let path = r.path(store);
        let good = fs::read(&path).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            fs::write(&path, &bad).unwrap();
            assert!(
                matches!(
                    find(&db, store, b"k", a),
                    Err(StoreError::ViewDamaged { .. })
                ),
                "byte {i}"
            );
        }
        // So is a missing file.
        fs::remove_file(&path).unwrap();
        assert!(matches!(
            find(&db, store, b"k", a),
            Err(StoreError::ViewDamaged { .. })
        ));
    }

    #[test]
    fn a_bucket_of_many_blocks_reads_one_contact_or_all() {
        let (dir, db) = tree();
        let store = dir.path();
        let values: Vec<(ContactId, Vec<u8>)> = (0..600u64)
            .map(|i| {
                let text =
                    format!("contact {i} met Ada at the offsite; ").repeat(i as usize % 50 + 1);
                (ContactId::from_u64((i + 1) << 40), text.into_bytes())
            })
            .collect();
        let entries_in: Vec<(ContactId, &[u8])> =
            values.iter().map(|(id, v)| (*id, v.as_slice())).collect();
        let r = put(&db, store, b"k", &entries_in);
        let blocks = blocks::index(&fs::read(r.path(store)).unwrap())
            .unwrap()
            .blocks;
        assert!(blocks.len() >= 4, "{} blocks", blocks.len());

        // Each contact alone, whichever block holds it, and ids between and around them.
        let mut reader = Reader::new(store);
        let sealed = db.get(b"k").unwrap().unwrap();
        for (id, v) in &values {
            assert_eq!(reader.find(b"k", &sealed, *id).unwrap().as_ref(), Some(v));
            let between = ContactId::from_u64(id.as_u64() + 1);
            assert_eq!(reader.find(b"k", &sealed, between).unwrap(), None);
        }
        assert_eq!(
            find(&db, store, b"k", ContactId::from_u64(0)).unwrap(),
            None
        );
        let mut all = Vec::new();
        reader.read_into(b"k", &sealed, &mut all).unwrap();
        assert_eq!(all, plain(entries_in.iter().copied()));

        // A damaged block is caught by whatever reads it, and only by that: a lookup in an
        // intact block still answers.
        let path = r.path(store);
        let mut bad = fs::read(&path).unwrap();
        bad[blocks[2].frame.start + 5] ^= 0x10;
        fs::write(&path, &bad).unwrap();
        let in_block = |b: &blocks::Block| {
            values
                .iter()
                .find(|(id, _)| blocks::block_for(&blocks, id.as_u64()) == Some(b))
                .unwrap()
        };
        let (intact, value) = in_block(&blocks[0]);
        assert_eq!(
            reader.find(b"k", &sealed, *intact).unwrap().as_ref(),
            Some(value)
        );
        let (hit, _) = in_block(&blocks[2]);
        for damaged_read in [
            reader.find(b"k", &sealed, *hit).map(drop),
            reader.read_into(b"k", &sealed, &mut all),
        ] {
            assert!(matches!(damaged_read, Err(StoreError::ViewDamaged { .. })));
        }
    }

    #[test]
    fn a_bucket_file_from_before_checksums_is_checked_by_its_hash() {
        let (dir, db) = tree();
        let store = dir.path();
        let values: Vec<(ContactId, Vec<u8>)> = (0..400u64)
            .map(|i| (ContactId::from_u64((i + 1) << 40), vec![b'a'; 1_000]))
            .collect();
        let entries_in: Vec<(ContactId, &[u8])> =
            values.iter().map(|(id, v)| (*id, v.as_slice())).collect();
        let old = blocks::encode_unchecked(&plain(entries_in.iter().copied()));
        let r = put_file(&db, store, b"k", &old);
        let (first, value) = &values[0];
        assert_eq!(
            find(&db, store, b"k", *first).unwrap().as_ref(),
            Some(value)
        );
        // Without checksums of its own, a flipped byte anywhere fails the whole file.
        let mut bad = old.clone();
        *bad.last_mut().unwrap() ^= 0x10;
        fs::write(r.path(store), &bad).unwrap();
        assert!(matches!(
            find(&db, store, b"k", *first),
            Err(StoreError::ViewDamaged { .. })
        ));
    }

    #[test]
    fn a_bucket_file_from_before_blocks_still_reads() {
        let (dir, db) = tree();
        let store = dir.path();
        let a = ContactId::from_u64(3);
        let plain_bytes = plain([(a, &b"alpha"[..])]);
        let mut old = (plain_bytes.len() as u32).to_le_bytes().to_vec();
        old.extend(zstd::bulk::compress(&plain_bytes, 3).unwrap());
        put_file(&db, store, b"k", &old);
        assert_eq!(find(&db, store, b"k", a).unwrap(), Some(b"alpha".to_vec()));
        let mut all = Vec::new();
        read_into(store, b"k", &db.get(b"k").unwrap().unwrap(), &mut all).unwrap();
        assert_eq!(all, plain_bytes);
    }

    #[test]
    fn malformed_entries_are_refused_not_read_past_their_end() {
        let a = ContactId::from_u64(1);
        let plain = plain([(a, &b"alpha"[..])]);
        assert_eq!(entries(&plain).unwrap(), vec![(a, &b"alpha"[..])]);
        assert_eq!(entries(&plain[..plain.len() - 1]), None);
        assert_eq!(entries(&plain[..3]), None);
        assert_eq!(count(&plain), Some(1));
        assert_eq!(count(&plain[..plain.len() - 1]), None);
        assert_eq!(count(&plain[..3]), None);
        assert_eq!(count(&[]), Some(0));
    }

    #[test]
    fn rewriting_a_bucket_replaces_its_file_and_strays_are_removed() {
        let (dir, db) = tree();
        let store = dir.path();
        let a = ContactId::from_u64(1);
        let first = put(
            &db,
            store,
            &key_of(crate::keys::VIEW_CONTACTS, a),
            &[(a, b"one")],
        );
        // A file no key references, as a crash before the batch would leave.
        let stray = write_file(store, b"stray").unwrap();

        let mut buckets = Buckets::new(&db, store);
        assert_eq!(
            buckets.get(crate::keys::VIEW_CONTACTS, a).unwrap(),
            Some(&b"one"[..])
        );
        buckets
            .set(crate::keys::VIEW_CONTACTS, a, Some(b"two".to_vec()))
            .unwrap();
        let mut batch = sled::Batch::default();
        let replaced = buckets.write(&mut batch).unwrap();
        db.apply_batch(batch).unwrap();
        replaced.remove(store);
        assert!(!first.path(store).exists(), "the replaced file is gone");
        let k = key_of(crate::keys::VIEW_CONTACTS, a);
        assert_eq!(find(&db, store, &k, a).unwrap(), Some(b"two".to_vec()));

        assert!(stray.path(store).exists());
        remove_unreferenced(&db, store).unwrap();
        assert!(!stray.path(store).exists(), "the stray file is gone");
        assert_eq!(find(&db, store, &k, a).unwrap(), Some(b"two".to_vec()));
        assert_eq!(fs::read_dir(store.join(DIR)).unwrap().count(), 1);
    }

    #[test]
    fn setting_what_a_bucket_already_holds_rewrites_nothing() {
        let (dir, db) = tree();
        let store = dir.path();
        let (a, absent) = (ContactId::from_u64(1), ContactId::from_u64(2));
        let k = key_of(crate::keys::VIEW_CONTACTS, a);
        put(&db, store, &k, &[(a, b"one")]);
        let files = || fs::read_dir(store.join(DIR)).unwrap().count();
        let before = files();

        let mut buckets = Buckets::new(&db, store);
        let family = crate::keys::VIEW_CONTACTS;
        buckets.set(family, a, Some(b"one".to_vec())).unwrap();
        buckets.set(family, absent, None).unwrap();
        assert!(buckets.dirty.is_empty(), "{:?}", buckets.dirty);
        let replaced = buckets.write(&mut sled::Batch::default()).unwrap();
        assert!(replaced.0.is_empty());
        assert_eq!(files(), before);

        // A real change still marks its bucket.
        let mut buckets = Buckets::new(&db, store);
        buckets.set(family, absent, Some(b"two".to_vec())).unwrap();
        assert_eq!(buckets.dirty.len(), 1);
    }

    #[test]
    fn buckets_follow_id_order() {
        let ids = [0u64, 1 << 56, 1 << 57, u64::MAX >> 1, u64::MAX];
        let buckets: Vec<u8> = ids
            .iter()
            .map(|i| bucket_of(crate::keys::VIEW_TIMELINES, ContactId::from_u64(*i)))
            .collect();
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        assert_eq!(buckets.last(), Some(&((1u8 << BUCKET_BITS) - 1)));
        let relate = bucket_of(crate::keys::VIEW_RELATE, ContactId::from_u64(u64::MAX));
        assert_eq!(relate, (1u8 << RELATE_BUCKET_BITS) - 1);
    }
}
