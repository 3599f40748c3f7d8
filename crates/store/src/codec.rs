//! How the store encodes values: postcard records sealed with their key (see `chunk`), the
//! heads and counters of `meta/`, and the errors a value that does not decode becomes. One
//! module for all of it, so that the view, its annotations, the history index and the local
//! state share the encoding without importing each other.

use crate::chunk;
use crate::error::StoreError;
use rapport_model::automerge::ChangeHash;
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;

/// The postcard bytes of a value (a bucket entry, or the payload of a sealed value).
pub(crate) fn plain<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(value).map_err(|e| StoreError::Encode(e.to_string()))
}

/// A value sealed under `key`, ready to store there.
pub(crate) fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    Ok(chunk::seal(key, &plain(value)?))
}

/// A value of the read view or the history index. Damage to it is damage to a cache of the
/// document (`ViewDamaged`): it is rebuilt, never a reason to refuse a write.
pub(crate) fn decode_cached<T: DeserializeOwned>(
    path: &Path,
    key: &[u8],
    sealed: &[u8],
) -> Result<T, StoreError> {
    let payload = chunk::open(key, sealed).ok_or_else(|| damaged(path, key))?;
    postcard::from_bytes(payload).map_err(|_| damaged(path, key))
}

/// A value that is not a cache (device-local state): damage to it is damage to the store.
pub(crate) fn decode_kept<T: DeserializeOwned>(
    path: &Path,
    key: &[u8],
    sealed: &[u8],
) -> Result<T, StoreError> {
    let payload = chunk::open(key, sealed).ok_or_else(|| failed_checksum(path, key))?;
    postcard::from_bytes(payload).map_err(|_| failed_checksum(path, key))
}

/// Damage to a cache of the document (the read view or the history index).
pub(crate) fn damaged(path: &Path, key: &[u8]) -> StoreError {
    StoreError::ViewDamaged {
        path: path.to_owned(),
        key: String::from_utf8_lossy(key).into_owned(),
    }
}

/// Damage to a value that is not a cache, named by its key (a change chunk by its number).
pub(crate) fn failed_checksum(path: &Path, key: &[u8]) -> StoreError {
    let name = match key.strip_prefix(crate::keys::CHANGE_PREFIX) {
        Some(seq) if seq.len() == 8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(seq);
            format!("change chunk {} failed its checksum", u64::from_be_bytes(a))
        }
        _ => format!("`{}` failed its checksum", String::from_utf8_lossy(key)),
    };
    StoreError::corrupt(path, name)
}

/// Heads as stored: 32 bytes each, in the caller's order.
pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

pub(crate) fn decode_heads(bytes: &[u8]) -> Option<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    bytes
        .chunks(32)
        .map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

/// The change chunks since the last snapshot: how many, and their bytes.
pub(crate) fn encode_stats(chunks: u64, bytes: u64) -> Vec<u8> {
    let mut out = chunks.to_le_bytes().to_vec();
    out.extend_from_slice(&bytes.to_le_bytes());
    out
}

pub(crate) fn decode_stats(bytes: &[u8]) -> Option<(u64, u64)> {
    let (c, n) = bytes.split_first_chunk::<8>()?;
    let n = <[u8; 8]>::try_from(n).ok()?;
    Some((u64::from_le_bytes(*c), u64::from_le_bytes(n)))
}

/// Every value under `prefix`, decoded as kept state (see `decode_kept`), with its key.
pub(crate) fn scan_kept<T: DeserializeOwned>(
    tree: &sled::Tree,
    path: &Path,
    prefix: &[u8],
) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
    let mut out = Vec::new();
    for item in tree.scan_prefix(prefix) {
        let (k, v) = item.map_err(|e| StoreError::from_sled(path, "read", e))?;
        let value = decode_kept(path, &k, &v)?;
        out.push((k.to_vec(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_and_stats_round_trip_and_malformed_bytes_are_refused() {
        let heads = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
        assert_eq!(decode_heads(&encode_heads(&heads)), Some(heads));
        assert_eq!(decode_heads(&[0; 33]), None);
        assert_eq!(decode_heads(&[]), Some(Vec::new()));
        assert_eq!(decode_stats(&encode_stats(3, 4096)), Some((3, 4096)));
        assert_eq!(decode_stats(&[0; 15]), None);
        assert_eq!(decode_stats(&[0; 17]), None);
    }

    #[test]
    fn a_damaged_cache_value_and_a_damaged_kept_value_are_told_apart() {
        use crate::keys;
        let path = Path::new("/store");
        let (one, two) = (
            keys::view(keys::VIEW_GROUP, 1),
            keys::view(keys::VIEW_GROUP, 2),
        );
        let sealed = encode(&one, &"group").unwrap();
        assert_eq!(
            decode_cached::<String>(path, &one, &sealed).unwrap(),
            "group"
        );
        assert!(matches!(
            decode_cached::<String>(path, &two, &sealed),
            Err(StoreError::ViewDamaged { .. })
        ));
        assert!(matches!(
            decode_kept::<String>(path, &two, &sealed),
            Err(StoreError::Corrupt { .. })
        ));
        let chunk = crate::keys::change(7);
        let e = failed_checksum(path, &chunk).to_string();
        assert!(e.contains("change chunk 7 failed its checksum"), "{e}");
    }
}
