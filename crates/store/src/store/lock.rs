//! One process per store: the store's own lock file, taken before sled is opened, so that
//! repairing sled's files before opening can never race another process that has them open.

use crate::error::StoreError;
use std::path::Path;

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

/// Whether sled failed to open because another process holds its lock. sled 0.34 reports it
/// as an I/O error with this text and no distinct kind; our own lock, taken first, makes this
/// the rare case of a process that opened sled without it.
pub(crate) fn is_lock_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
}
