//! `backup` and `restore-backup`: the vault as a standard Automerge document (the bytes of
//! `save()`, schema in docs/SCHEMA.md), written atomically, and merged back — never replaced.

use crate::home::Home;
use anyhow::{Context, Result};
use rapport_app::AppError;
use rapport_model::automerge::AutoCommit;
use std::path::Path;

/// A backup larger than this is refused before it is read: W1 (10k contacts, 100k
/// interactions) saves to ~6 MB, so this is room for a vault two orders of magnitude larger.
const MAX_BACKUP_BYTES: u64 = 1 << 30;

pub fn backup(home: &Home, path: &Path) -> Result<()> {
    let mut vault = home.store.load_vault(home.device)?;
    let bytes = vault.doc_mut().save();
    let contacts = vault.contacts()?.iter().filter(|c| !c.is_trashed()).count();
    write_atomically(path, &bytes)?;
    crate::out!(
        "wrote a backup of {contacts} contacts to {} ({} bytes); merge it back with `rapport restore-backup`",
        path.display(),
        bytes.len()
    );
    Ok(())
}

pub fn restore(home: &Home, path: &Path) -> Result<()> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("could not read {}: check the path", path.display()))?
        .len();
    if size > MAX_BACKUP_BYTES {
        return Err(AppError::BadInput(format!(
            "{} is {size} bytes, over the {MAX_BACKUP_BYTES}-byte limit for a backup: check that it is a file written by `rapport backup`",
            path.display()
        ))
        .into());
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("could not read {}: check the path", path.display()))?;
    let not_a_backup = || {
        AppError::BadInput(format!(
            "{} is not an Automerge document: give a file written by `rapport backup`",
            path.display()
        ))
    };
    if bytes.is_empty() {
        return Err(not_a_backup().into());
    }
    let doc = AutoCommit::load(&bytes).map_err(|_| not_a_backup())?;
    let touched = super::write(home, |vault, _| {
        vault.merge_backup(doc.clone()).map_err(|e| {
            AppError::BadInput(format!("{} cannot be restored here: {e}", path.display())).into()
        })
    })?;
    if touched.is_empty() {
        crate::out!("the vault already holds everything in {}", path.display());
    } else {
        crate::out!(
            "merged {}: {} contacts, {} interactions and {} groups changed",
            path.display(),
            touched.contacts.len(),
            touched.interactions.len(),
            touched.groups.len()
        );
    }
    Ok(())
}

/// Writes `bytes` to `path` so that it holds either the old content or all of the new, even
/// after a crash or power cut (the store's one atomic write).
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    rapport_store::write_atomically(path, bytes, rapport_store::DirSync::Now).with_context(|| {
        format!(
            "could not write {}: check the folder exists and is writable",
            path.display()
        )
    })
}
