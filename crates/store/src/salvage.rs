//! Salvage: read whatever is intact out of a damaged store, for `rapport repair`. Every chunk
//! that passes its checksum and loads is kept; the rest is listed, never silently dropped.

use crate::chunk;
use crate::error::StoreError;
use crate::keys;
use crate::snapshot::{self, SnapshotRef};
use rapport_model::automerge::AutoCommit;
use rapport_model::guarded;
use std::path::Path;

/// What could be read out of a damaged store.
#[derive(Debug)]
pub struct Salvage {
    pub doc: AutoCommit,
    /// The device identity, if it was intact.
    pub identity: Option<Vec<u8>>,
    /// The device's iroh endpoint key, if it was there and intact (format 3).
    pub endpoint_key: Option<Vec<u8>>,
    /// What was left behind, one line each (for the user).
    pub skipped: Vec<String>,
}

/// Reads the store at `dir` without trusting it. Works even when sled cannot open its
/// database at all: the snapshot files alone still hold the vault as of the last compaction.
pub fn salvage(dir: &Path) -> Result<Salvage, StoreError> {
    let _lock = crate::store::lock_store(dir)?;
    crate::store::remove_unfinished_sled_snapshots(&dir.join("sled"));
    let config = sled::Config::new()
        .path(dir.join("sled"))
        .cache_capacity(crate::store::CACHE_BYTES);
    let mut skipped = Vec::new();
    let db = match guarded(|| config.open()) {
        Ok(Ok(db)) => Some(db),
        Ok(Err(sled::Error::Io(io))) if crate::store::is_lock_error(&io) => {
            return Err(StoreError::Locked {
                path: dir.to_owned(),
            })
        }
        _ => {
            skipped.push(
                "the database (the device identity and every change since the last compaction)"
                    .to_owned(),
            );
            None
        }
    };
    let read = |key: &[u8]| -> Option<Vec<u8>> {
        let db = db.as_ref()?;
        let value = guarded(|| db.get(key)).ok()?.ok()??;
        chunk::open(key, &value).map(<[u8]>::to_vec)
    };
    let identity = read(keys::IDENTITY);
    let endpoint_key = read(keys::ENDPOINT_KEY);
    // The referenced snapshot if it is intact; otherwise the newest snapshot file that loads.
    let referenced = read(keys::SNAPSHOT)
        .and_then(|r| SnapshotRef::decode(&r))
        .and_then(|r| snapshot::read(dir, &r).ok());
    let candidates = referenced.into_iter().chain(
        snapshot::all(dir)
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(snapshot::decode),
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
    // Chunk keys, stopping at the first unreadable page: sled returns the same error forever
    // from an iterator positioned on a damaged page.
    let mut keys: Vec<Vec<u8>> = Vec::new();
    if let Some(db) = &db {
        let listed = guarded(|| {
            let mut out = Vec::new();
            let mut complete = true;
            for k in db.scan_prefix(keys::CHANGE_PREFIX).keys() {
                match k {
                    Ok(k) => out.push(k.to_vec()),
                    Err(_) => {
                        complete = false;
                        break;
                    }
                }
            }
            (out, complete)
        });
        match listed {
            Ok((found, complete)) => {
                keys = found;
                if !complete {
                    skipped.push("change chunks after an unreadable part of the database".into());
                }
            }
            Err(_) => skipped.push("the list of change chunks".to_owned()),
        }
    }
    for key in keys {
        let label = match <[u8; 8]>::try_from(&key[keys::CHANGE_PREFIX.len()..]) {
            Ok(seq) => format!("change chunk {}", u64::from_be_bytes(seq)),
            Err(_) => format!("change chunk {}", String::from_utf8_lossy(&key)),
        };
        let before = doc.get_heads();
        match read(&key) {
            Some(bytes) if matches!(guarded(|| doc.load_incremental(&bytes)), Ok(Ok(_))) => {
                // Intact, but if it builds on a lost change Automerge only queues it: it is
                // not in the vault either, and is named as such.
                if doc.get_heads() == before {
                    skipped.push(format!("{label} (it builds on a change that was lost)"));
                }
            }
            _ => skipped.push(label),
        }
    }
    // Everything acknowledged to the user must be there; say so plainly if it is not.
    if let Ok(acknowledged) = crate::ack::read(dir) {
        let lost = acknowledged
            .iter()
            .filter(|h| doc.get_change_by_hash(h).is_none())
            .count();
        if lost > 0 {
            skipped.push(format!(
                "{lost} acknowledged change(s) at the tip of the history (the last edits made on this device before the damage)"
            ));
        }
    }
    Ok(Salvage {
        doc,
        identity,
        endpoint_key,
        skipped,
    })
}
