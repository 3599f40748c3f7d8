//! Snapshots live outside sled, as files named by their blake3 hash: a standard zstd frame of
//! what `AutoCommit::save_nocompress` wrote (so `zstd -d` gives a document any Automerge
//! implementation can open). sled holds only a small reference (hash and length) to the
//! current one. Files written before snapshots were compressed (plain `save()` output) are
//! still read.
//!
//! Why zstd over Automerge's own compression: on W1, `save()` deflates each column and comes
//! to 8.5 MiB; zstd over the uncompressed columns (level 9) comes to 6.3 MiB, and decoding it
//! plus the load of uncompressed columns is a quarter faster than loading `save()`.
//!
//! Why: sled 0.34 stores a large value inside a tree node, and rewrites that node (all 9 MB of
//! a W1 snapshot) whenever a neighbouring small key changes, leaving old copies until its
//! garbage collector runs; disk use grew by a snapshot every few edits.
//!
//! Write order: the file is written and fsynced under a temporary name, renamed, and the
//! folder fsynced, before the sled batch that points at it. A crash in between leaves an
//! unreferenced file, removed at the next compaction.

use crate::durable::DirSync;
use crate::error::StoreError;
use std::fs;
use std::path::{Path, PathBuf};

const DIR: &str = "snapshots";
/// Files are `<hash>.automerge.zst`; older ones `<hash>.automerge`.
const EXT: &str = "automerge.zst";
const OLD_EXT: &str = "automerge";
/// zstd level 3: on W1's 25.6 MB of columns, 7.7 MB against level 9's 6.7 MB, compressed
/// about six times faster (measured with `zstd -b1 -e9` on that snapshot). Level 9 was ~45 %
/// of a clone's CPU (issue #15). Any level decodes the same way: no format change.
pub(crate) const LEVEL: i32 = 3;
/// The largest document a snapshot may claim to hold (a damaged header must not allocate
/// wildly; the file's hash was checked, so only a hostile file could say more).
const MAX_DOC: u64 = 1 << 32;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A reference to a snapshot file: its blake3 hash and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SnapshotRef {
    pub hash: [u8; 32],
    pub len: u64,
}

impl SnapshotRef {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.hash.to_vec();
        out.extend_from_slice(&self.len.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<SnapshotRef> {
        if bytes.len() != 40 {
            return None;
        }
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[..32]);
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[32..]);
        Some(SnapshotRef {
            hash,
            len: u64::from_le_bytes(len),
        })
    }

    fn path(&self, store: &Path) -> PathBuf {
        let hex = blake3::Hash::from(self.hash).to_hex();
        let path = store.join(DIR).join(format!("{hex}.{EXT}"));
        let old = store.join(DIR).join(format!("{hex}.{OLD_EXT}"));
        if !path.exists() && old.exists() {
            return old;
        }
        path
    }
}

/// Compresses a document (`save_nocompress` output) and writes it durably as a snapshot file;
/// returns its reference.
pub(crate) fn write(store: &Path, doc: &[u8]) -> Result<SnapshotRef, StoreError> {
    let io = |e| StoreError::from_io(store, "write a snapshot in", e);
    // Refused here rather than written and then refused by `decode`.
    if doc.len() as u64 > MAX_DOC {
        return Err(StoreError::Encode(
            "the vault is larger than the 4 GiB a snapshot may hold".to_owned(),
        ));
    }
    let bytes = zstd::bulk::compress(doc, LEVEL).map_err(io)?;
    write_compressed(store, &bytes)
}

/// Whether `bytes` starts as a zstd frame (what `write_compressed` takes).
pub(crate) fn is_compressed(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

/// Writes a zstd frame of a document, at any level, durably as a snapshot file; returns its
/// reference. `write` compresses, then comes here.
pub(crate) fn write_compressed(store: &Path, bytes: &[u8]) -> Result<SnapshotRef, StoreError> {
    let io = |e| StoreError::from_io(store, "write a snapshot in", e);
    let r = SnapshotRef {
        hash: *blake3::hash(bytes).as_bytes(),
        len: bytes.len() as u64,
    };
    let path = r.path(store);
    let dir = store.join(DIR);
    if !(path.exists() && read(store, &r).is_ok()) {
        let name = format!("{}.{EXT}", blake3::Hash::from(r.hash).to_hex());
        crate::durable::write_atomically(&dir.join(name), bytes, DirSync::Later).map_err(io)?;
    }
    // Also when the file was already there: an earlier write may have stopped before this.
    crate::durable::sync_dir_and_parent(&dir).map_err(io)?;
    Ok(r)
}

/// Reads a snapshot file, checks it against its reference, and returns the document bytes.
pub(crate) fn read(store: &Path, r: &SnapshotRef) -> Result<Vec<u8>, StoreError> {
    let path = r.path(store);
    let bytes = crate::durable::read_expecting(&path, r.len).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StoreError::corrupt(
            store,
            format!("the vault snapshot {} is missing", path.display()),
        ),
        _ => StoreError::from_io(store, "read", e),
    })?;
    let Some(bytes) = bytes else {
        return Err(StoreError::corrupt(
            store,
            format!("the vault snapshot {} has the wrong length", path.display()),
        ));
    };
    if blake3::hash(&bytes).as_bytes() != &r.hash {
        return Err(StoreError::corrupt(
            store,
            format!("the vault snapshot {} failed its checksum", path.display()),
        ));
    }
    decode(bytes).ok_or_else(|| {
        StoreError::corrupt(
            store,
            format!("the vault snapshot {} does not decompress", path.display()),
        )
    })
}

/// The document bytes in a snapshot file's bytes: a zstd frame, or (older files) the document
/// itself. Streamed, so that a damaged header cannot make it reserve more than the frame
/// yields: salvage decodes files whose hash it could not check.
pub(crate) fn decode(bytes: Vec<u8>) -> Option<Vec<u8>> {
    use std::io::Read;
    if !bytes.starts_with(&ZSTD_MAGIC) {
        return Some(bytes);
    }
    let decoder = zstd::stream::read::Decoder::with_buffer(&bytes[..]).ok()?;
    // A W1 document is ~4x its compressed size: usually one allocation.
    let mut doc = Vec::with_capacity(bytes.len().saturating_mul(4));
    decoder.take(MAX_DOC + 1).read_to_end(&mut doc).ok()?;
    (doc.len() as u64 <= MAX_DOC).then_some(doc)
}

/// Removes every snapshot file except `keep` (and stray temporary files). Best effort: a file
/// left behind only costs disk until the next compaction.
pub(crate) fn remove_others(store: &Path, keep: &SnapshotRef) {
    let keep = keep.path(store);
    let Ok(entries) = fs::read_dir(store.join(DIR)) else {
        return;
    };
    for e in entries.flatten() {
        if e.path() != keep {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Every snapshot file, newest first (for salvage).
pub(crate) fn all(store: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(store.join(DIR)) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(&format!(".{EXT}")) || name.ends_with(&format!(".{OLD_EXT}"))
        })
        .map(|e| {
            let t = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (t, e.path())
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.into_iter().map(|(_, p)| p).collect()
}
