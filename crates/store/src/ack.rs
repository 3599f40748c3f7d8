//! The `acknowledged` file: the heads of the last commit that was reported as saved, written
//! outside sled, atomically (see `durable::write_atomically`). On load every head in it must be
//! in the document; this catches a sled log that lost its tail, which sled's own recovery would
//! otherwise accept silently.

use crate::chunk;
use crate::codec;
use crate::durable::{self, DirSync};
use crate::error::StoreError;
use crate::keys::ACKNOWLEDGED;
use rapport_model::automerge::ChangeHash;
use std::fs;
use std::path::Path;

const NAME: &str = "acknowledged";

pub(crate) fn write(dir: &Path, heads: &[ChangeHash]) -> Result<(), StoreError> {
    let sealed = chunk::seal(ACKNOWLEDGED, &codec::encode_heads(heads));
    durable::write_atomically(&dir.join(NAME), &sealed, DirSync::Now)
        .map_err(|e| StoreError::from_io(dir, "write", e))
}

/// Removes a temporary `acknowledged` left by a process killed mid-write (the store's lock is
/// held, so no other process is writing one).
pub(crate) fn remove_unfinished(dir: &Path) {
    durable::remove_temporaries_of(&dir.join(NAME));
}

pub(crate) fn read(dir: &Path) -> Result<Vec<ChangeHash>, StoreError> {
    let bytes = match fs::read(dir.join(NAME)) {
        Ok(b) => b,
        // No acknowledgement yet (a store that never committed a vault).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::from_io(dir, "read", e)),
    };
    let bad = || StoreError::corrupt(dir, "the `acknowledged` file failed its checksum");
    let payload = chunk::open(ACKNOWLEDGED, &bytes).ok_or_else(bad)?;
    codec::decode_heads(payload).ok_or_else(bad)
}
