//! Merging a backup: another copy of this vault's document, as `rapport backup` wrote it.

use super::{Touched, Vault};
use crate::error::OpenError;
use automerge::AutoCommit;

impl Vault {
    /// Merges `backup` into this vault. It must be a copy of this same vault (same `vault_id`):
    /// a document of another vault would bring a second set of root maps, and one of the two
    /// would lose the merge. What changed is reported by `take_touched`, like a local write,
    /// and returned. Merging never removes anything the vault holds.
    pub fn merge_backup(&mut self, backup: AutoCommit) -> Result<Touched, MergeBackupError> {
        let mut other = Vault::open(backup, self.device)?;
        let ours = self.vault_id()?;
        let theirs = other.vault_id()?;
        if ours != theirs {
            return Err(MergeBackupError::OtherVault { ours, theirs });
        }
        let touched = self.merge(&mut other)?;
        self.touched.extend(touched.clone());
        Ok(touched)
    }
}

/// Why a backup cannot be merged into this vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeBackupError {
    #[error("{0}")]
    NotAVault(#[from] OpenError),
    #[error("the backup is of another vault ({theirs}, this one is {ours}): restore it into a device of that vault")]
    OtherVault {
        ours: crate::VaultId,
        theirs: crate::VaultId,
    },
    #[error(transparent)]
    Read(#[from] crate::ReadError),
    #[error("automerge error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}
