//! Making sled's writes survive a power cut. sled 0.34's `flush` writes with
//! `sync_file_range`, which does not flush the file's metadata or the disk cache; we fsync every
//! file and directory under the database folder after it. This costs a few milliseconds per
//! commit and is the floor of a durable edit.

use std::fs::File;
use std::io;
use std::path::Path;

/// fsyncs every regular file and directory under `dir`, and `dir` itself.
pub(crate) fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    File::open(dir)?.sync_all()
}
