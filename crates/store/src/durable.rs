//! Making sled's writes survive a power cut. sled 0.34's `flush` writes with
//! `sync_file_range`, which does not flush the file's metadata or the disk cache; we fsync every
//! file and directory under the database folder after it. This costs a few milliseconds per
//! commit and is the floor of a durable edit.

use std::fs::File;
use std::io;
use std::path::Path;

/// fsyncs every regular file and directory under `dir`, and `dir` itself.
///
/// sled deletes files of its own while we walk (a large value lives in a blob file of its own,
/// and the blob of a value's previous version is removed once no reader can see it). A file
/// that is gone by the time we open it needs no fsync: its removal is in its directory, which
/// is synced after it. Anything else that fails is an error.
pub(crate) fn sync_tree(dir: &Path) -> io::Result<()> {
    sync_entries(dir)?;
    File::open(dir)?.sync_all()
}

fn sync_entries(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let synced = match entry.file_type() {
            Ok(kind) if kind.is_dir() => sync_entries(&path).and_then(|()| sync_one(&path)),
            Ok(kind) if kind.is_file() => sync_one(&path),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match synced {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

fn sync_one(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// When `write_atomically` fsyncs the folder that holds the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirSync {
    /// Before returning: the file is durable under its name when the call returns.
    Now,
    /// Not at all: the caller fsyncs the folder itself (once, for several files) before
    /// anything durable refers to the name.
    Later,
}

/// Writes `bytes` as `path` so that the name never holds a partial file, even after a crash
/// or a power cut: under a temporary name in the same folder, fsynced, then renamed over; then
/// the folder is fsynced if `dir_sync` says so. The store's one way of writing a whole file
/// (snapshots, `acknowledged`), also used by the binary for backups.
pub fn write_atomically(path: &Path, bytes: &[u8], dir_sync: DirSync) -> io::Result<()> {
    let dir = replace_file(path, bytes, true)?;
    match dir_sync {
        DirSync::Now => File::open(dir)?.sync_all(),
        DirSync::Later => Ok(()),
    }
}

/// `write_atomically` WITHOUT any fsync: for the read view's and the history index's bucket
/// files only. They are caches whose every read checks what it reads (a bucket file's length
/// against its reference in sled, then its index's and each block's CRC-32; a file from before
/// the checksums, its whole blake3 hash), so a file that a power cut left empty or torn reads
/// as damage and is rebuilt from the document, which is fsynced as before. A kill -9 loses
/// nothing: the page cache survives the process. The rename still keeps an existing file of
/// the same name whole while its replacement is written. This spares one fsync per bucket:
/// 500-600 of them on a clone or an import.
pub(crate) fn write_cache_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_file(path, bytes, false).map(|_| ())
}

/// Writes `bytes` under a temporary name in `path`'s folder (fsynced if `sync`) and renames it
/// over `path`; returns the folder.
fn replace_file<'p>(path: &'p Path, bytes: &[u8], sync: bool) -> io::Result<&'p Path> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    // Unique, so that two threads writing the same name never share a temporary file.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a file name is needed"))?;
    std::fs::create_dir_all(dir)?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // Hidden, so that one left by a crash in a user's folder (a backup) stays out of the way;
    // the store's own folders delete files nothing refers to.
    let tmp = dir.join(format!(
        ".{}.{}.{n}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        Ok(())
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(dir)
}

/// Removes the temporary files that `write_atomically(path, ..)` leaves when the process dies
/// before its rename. Only for a path no other process writes (the caller holds a lock).
pub(crate) fn remove_temporaries_of(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The bytes of the file at `path` if it is `len` bytes long, or `None` if it is not (checked
/// before reading, so that a foreign or damaged file is never read whole).
pub(crate) fn read_expecting(path: &Path, len: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    Ok(read_expecting_into(path, len, &mut bytes)?.then_some(bytes))
}

/// `read_expecting` into `bytes`, a buffer the caller reuses (its old contents are dropped):
/// whether the file had `len` bytes.
pub(crate) fn read_expecting_into(path: &Path, len: u64, bytes: &mut Vec<u8>) -> io::Result<bool> {
    use std::io::Read;
    bytes.clear();
    let mut file = File::open(path)?;
    if file.metadata()?.len() != len {
        return Ok(false);
    }
    bytes.reserve(usize::try_from(len).unwrap_or(0));
    file.read_to_end(bytes)?;
    Ok(bytes.len() as u64 == len)
}

/// fsyncs `dir` and its parent: the files renamed into `dir`, and `dir` itself, are then on
/// disk.
pub(crate) fn sync_dir_and_parent(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()?;
    match dir.parent() {
        Some(parent) => File::open(parent)?.sync_all(),
        None => Ok(()),
    }
}

/// Free bytes for an unprivileged writer on the filesystem that holds `path`, or `None` if
/// the filesystem will not say.
pub(crate) fn available_bytes(path: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("file");
        write_atomically(&path, b"first", DirSync::Now).unwrap();
        write_atomically(&path, b"second", DirSync::Later).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("file")]);
        // A folder in the way of the rename fails, and takes its temporary file with it.
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        std::fs::write(dir.path().join("taken").join("x"), b"").unwrap();
        assert!(write_atomically(&dir.path().join("taken"), b"x", DirSync::Now).is_err());
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 2, "only `sub` and `taken` remain");
    }

    #[test]
    fn temporaries_left_by_a_crash_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acknowledged");
        for name in [".acknowledged.12.0.tmp", "acknowledged", ".other.12.0.tmp"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_temporaries_of(&path);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".other.12.0.tmp", "acknowledged"]);
    }

    #[test]
    fn free_space_is_reported_for_an_existing_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(available_bytes(dir.path()).is_some());
        assert_eq!(available_bytes(&dir.path().join("missing")), None);
    }

    #[test]
    fn files_removed_during_the_walk_are_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        std::fs::create_dir(&blobs).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        // What sled does to blob files: write a new one, remove an older one, all the time.
        let churn = {
            let (blobs, stop, written) = (blobs.clone(), stop.clone(), written.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    std::fs::write(blobs.join(n.to_string()), b"value").unwrap();
                    if n >= 8 {
                        std::fs::remove_file(blobs.join((n - 8).to_string())).unwrap();
                    }
                    n += 1;
                    written.store(n, Ordering::Relaxed);
                }
                n
            })
        };
        // On a loaded machine the churn may not have run yet: the walks must race removals.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while written.load(Ordering::Relaxed) <= 8 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        for _ in 0..300 {
            sync_tree(dir.path()).unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(
            churn.join().unwrap() > 8,
            "the churn thread never removed a file"
        );
    }
}
