//! The `acknowledged` file: the heads of the last commit that was reported as saved, written
//! outside sled (write a temporary file, fsync, rename, fsync the folder). On load every head in
//! it must be in the document; this catches a sled log that lost its tail, which sled's own
//! recovery would otherwise accept silently.

use crate::chunk;
use crate::error::StoreError;
use rapport_model::automerge::ChangeHash;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

const NAME: &str = "acknowledged";
const KEY: &[u8] = b"acknowledged";

pub(crate) fn write(dir: &Path, heads: &[ChangeHash]) -> Result<(), StoreError> {
    let payload: Vec<u8> = heads.iter().flat_map(|h| h.0).collect();
    let tmp = dir.join(format!("{NAME}.tmp"));
    let io = |e| StoreError::from_io(dir, "write", e);
    let mut f = File::create(&tmp).map_err(io)?;
    f.write_all(&chunk::seal(KEY, &payload)).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, dir.join(NAME)).map_err(io)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io)
}

pub(crate) fn read(dir: &Path) -> Result<Vec<ChangeHash>, StoreError> {
    let bytes = match fs::read(dir.join(NAME)) {
        Ok(b) => b,
        // No acknowledgement yet (a store that never committed a vault).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::from_io(dir, "read", e)),
    };
    let bad = || StoreError::corrupt(dir, "the `acknowledged` file failed its checksum");
    let payload = chunk::open(KEY, &bytes).ok_or_else(bad)?;
    if payload.len() % 32 != 0 {
        return Err(bad());
    }
    payload
        .chunks(32)
        .map(|c| ChangeHash::try_from(c).map_err(|_| bad()))
        .collect()
}
