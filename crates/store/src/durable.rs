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
