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

/// Writes `bytes` as `dir/name` so that the name never holds a partial file: under a
/// temporary name, fsynced, then renamed over. The caller fsyncs `dir` (once, for several
/// files) before anything durable refers to the name.
pub(crate) fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    // Unique, so that two threads writing the same name never share a temporary file.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(dir)?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{name}.{}.{n}.tmp", std::process::id()));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}

/// The bytes of the file at `path` if it is `len` bytes long, or `None` if it is not (checked
/// before reading, so that a foreign or damaged file is never read whole).
pub(crate) fn read_expecting(path: &Path, len: u64) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut file = File::open(path)?;
    if file.metadata()?.len() != len {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 == len).then_some(bytes))
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

/// Free bytes for an unprivileged writer on the filesystem that holds `path`.
// `statvfs`'s field types differ between platforms (u32 on some), hence the conversions.
#[allow(unsafe_code, clippy::useless_conversion)]
pub(crate) fn available_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero `statvfs` is a valid value of this plain C struct.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out-pointer for the whole call.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| u64::from(st.f_bavail).saturating_mul(u64::from(st.f_frsize)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn files_removed_during_the_walk_are_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        std::fs::create_dir(&blobs).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        // What sled does to blob files: write a new one, remove an older one, all the time.
        let churn = {
            let (blobs, stop) = (blobs.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    std::fs::write(blobs.join(n.to_string()), b"value").unwrap();
                    if n >= 8 {
                        std::fs::remove_file(blobs.join((n - 8).to_string())).unwrap();
                    }
                    n += 1;
                }
                n
            })
        };
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
