//! Store errors. Each says, in one sentence, what happened and what the user can do.

use std::path::PathBuf;

/// What went wrong, for callers that branch on it (exit codes, retries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// Another process holds the store.
    Locked,
    /// Stored bytes failed their checksum or could not be decoded.
    Corrupt,
    /// The disk refused a read or write (full, read-only, I/O error).
    Io,
    /// There is no vault in this store yet.
    NoVault,
    /// The store was written by a newer rapport.
    TooNew,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("the store at {path} is in use by another rapport process (is `rapport serve` running?): stop it, or run the command while it runs once the daemon can take it")]
    Locked { path: PathBuf },
    #[error("the store at {path} is damaged ({what}): run `rapport repair` to salvage what is intact, or move the folder aside and restore from another device or a backup")]
    Corrupt { path: PathBuf, what: String },
    #[error("the read cache of the store at {path} is damaged (at {key}): it is rebuilt from the vault automatically; if this repeats, run `rapport repair`")]
    ViewDamaged { path: PathBuf, key: String },
    #[error("could not encode a record for the store: {0}")]
    Encode(String),
    #[error("the disk is full while writing {path}: free some space and run the command again (nothing was saved)")]
    DiskFull { path: PathBuf },
    #[error("could not {action} {path}: {source}; check the folder's permissions and free space")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("there is no vault at {path} yet: run `rapport init` to create one")]
    NoVault { path: PathBuf },
    #[error("the store at {path} has format {found}, newer than this rapport understands ({supported}): upgrade rapport")]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

impl StoreError {
    pub fn kind(&self) -> StoreErrorKind {
        match self {
            StoreError::Locked { .. } => StoreErrorKind::Locked,
            StoreError::Corrupt { .. } | StoreError::ViewDamaged { .. } | StoreError::Encode(_) => {
                StoreErrorKind::Corrupt
            }
            StoreError::DiskFull { .. } | StoreError::Io { .. } => StoreErrorKind::Io,
            StoreError::NoVault { .. } => StoreErrorKind::NoVault,
            StoreError::TooNew { .. } => StoreErrorKind::TooNew,
        }
    }

    pub(crate) fn corrupt(path: &std::path::Path, what: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: path.to_owned(),
            what: what.into(),
        }
    }

    /// Maps a sled error, telling a full disk and a damaged file apart from other I/O.
    pub(crate) fn from_sled(
        path: &std::path::Path,
        action: &'static str,
        e: sled::Error,
    ) -> StoreError {
        match e {
            // A file of the database that is missing or shorter than sled expects is damage,
            // not a disk problem.
            sled::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::InvalidData
                ) =>
            {
                StoreError::corrupt(
                    path,
                    format!("a database file is missing or cut short ({io})"),
                )
            }
            sled::Error::Io(io) => StoreError::from_io(path, action, io),
            sled::Error::Corruption { .. } => StoreError::corrupt(path, "sled reports corruption"),
            other => StoreError::corrupt(path, format!("sled: {other}")),
        }
    }

    pub(crate) fn from_io(
        path: &std::path::Path,
        action: &'static str,
        io: std::io::Error,
    ) -> StoreError {
        if io.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error())
            || io.kind() == std::io::ErrorKind::StorageFull
        {
            StoreError::DiskFull {
                path: path.to_owned(),
            }
        } else {
            StoreError::Io {
                action,
                path: path.to_owned(),
                source: io,
            }
        }
    }
}
