//! Salvage: read whatever is intact out of a damaged store, for `rapport repair`. Every chunk
//! that passes its checksum and loads is kept; the rest is listed, never silently dropped.

use crate::chunk;
use crate::error::StoreError;
use crate::guard::guarded;
use crate::keys;
use crate::snapshot::{self, SnapshotRef};
use rapport_model::automerge::AutoCommit;
use std::path::Path;

/// What could be read out of a damaged store.
#[derive(Debug)]
pub struct Salvage {
    pub doc: AutoCommit,
    /// The device identity, if it was intact.
    pub identity: Option<Vec<u8>>,
    /// What was left behind, one line each (for the user).
    pub skipped: Vec<String>,
}

/// Reads the store at `dir` without trusting it.
pub fn salvage(dir: &Path) -> Result<Salvage, StoreError> {
    let config = sled::Config::new()
        .path(dir.join("sled"))
        .cache_capacity(64 << 20);
    let db = match guarded(|| config.open()) {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => return Err(StoreError::from_sled(dir, "open", e)),
        Err(_) => {
            return Err(StoreError::corrupt(
                dir,
                "sled cannot open the database at all, so nothing can be salvaged here",
            ))
        }
    };
    let mut skipped = Vec::new();
    let read = |key: &[u8]| -> Option<Vec<u8>> {
        let value = guarded(|| db.get(key)).ok()?.ok()??;
        chunk::open(key, &value).map(<[u8]>::to_vec)
    };
    let identity = read(keys::IDENTITY);
    // The referenced snapshot if it is intact; otherwise the newest snapshot file that loads.
    let referenced = read(keys::SNAPSHOT)
        .and_then(|r| SnapshotRef::decode(&r))
        .and_then(|r| snapshot::read(dir, &r).ok());
    let candidates = referenced.into_iter().chain(
        snapshot::all(dir)
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok()),
    );
    let mut doc = None;
    for bytes in candidates {
        if let Ok(Ok(d)) = guarded(|| AutoCommit::load(&bytes)) {
            doc = Some(d);
            break;
        }
    }
    let mut doc = doc.unwrap_or_else(|| {
        skipped.push("the vault snapshot".to_owned());
        AutoCommit::new()
    });
    let keys: Vec<Vec<u8>> = match guarded(|| {
        db.scan_prefix(keys::CHANGE_PREFIX)
            .keys()
            .filter_map(Result::ok)
            .map(|k| k.to_vec())
            .collect()
    }) {
        Ok(keys) => keys,
        Err(_) => {
            skipped.push("the list of change chunks".to_owned());
            Vec::new()
        }
    };
    for key in keys {
        let label = format!(
            "change chunk {}",
            String::from_utf8_lossy(&key[keys::CHANGE_PREFIX.len()..]).escape_default()
        );
        match read(&key) {
            Some(bytes) if matches!(guarded(|| doc.load_incremental(&bytes)), Ok(Ok(_))) => {}
            _ => skipped.push(label),
        }
    }
    Ok(Salvage {
        doc,
        identity,
        skipped,
    })
}
