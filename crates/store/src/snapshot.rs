//! Snapshots live outside sled, as files named by their blake3 hash, holding exactly what
//! `AutoCommit::save` wrote (so any Automerge implementation can open one). sled holds only a
//! small reference (hash and length) to the current one.
//!
//! Why: sled 0.34 stores a large value inside a tree node, and rewrites that node (all 9 MB of
//! a W1 snapshot) whenever a neighbouring small key changes, leaving old copies until its
//! garbage collector runs; disk use grew by a snapshot every few edits.
//!
//! Write order: the file is written and fsynced under a temporary name, renamed, and the
//! folder fsynced, before the sled batch that points at it. A crash in between leaves an
//! unreferenced file, removed at the next compaction.

use crate::error::StoreError;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

const DIR: &str = "snapshots";
const EXT: &str = "automerge";

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
        store
            .join(DIR)
            .join(format!("{}.{EXT}", blake3::Hash::from(self.hash).to_hex()))
    }
}

/// Writes `bytes` durably as a snapshot file and returns its reference.
pub(crate) fn write(store: &Path, bytes: &[u8]) -> Result<SnapshotRef, StoreError> {
    let r = SnapshotRef {
        hash: *blake3::hash(bytes).as_bytes(),
        len: bytes.len() as u64,
    };
    let dir = store.join(DIR);
    let io = |e| StoreError::from_io(store, "write a snapshot in", e);
    fs::create_dir_all(&dir).map_err(io)?;
    let path = r.path(store);
    if path.exists() && read(store, &r).is_ok() {
        return Ok(r);
    }
    let tmp = dir.join(format!("{}.tmp", blake3::Hash::from(r.hash).to_hex()));
    let mut f = File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, &path).map_err(io)?;
    File::open(&dir).and_then(|d| d.sync_all()).map_err(io)?;
    File::open(store).and_then(|d| d.sync_all()).map_err(io)?;
    Ok(r)
}

/// Reads a snapshot file and checks it against its reference.
pub(crate) fn read(store: &Path, r: &SnapshotRef) -> Result<Vec<u8>, StoreError> {
    let path = r.path(store);
    let bytes = fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StoreError::corrupt(
            store,
            format!("the vault snapshot {} is missing", path.display()),
        ),
        _ => StoreError::from_io(store, "read", e),
    })?;
    if bytes.len() as u64 != r.len || blake3::hash(&bytes).as_bytes() != &r.hash {
        return Err(StoreError::corrupt(
            store,
            format!("the vault snapshot {} failed its checksum", path.display()),
        ));
    }
    Ok(bytes)
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
        .filter(|e| e.path().extension().is_some_and(|x| x == EXT))
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
