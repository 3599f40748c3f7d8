//! Per-contact view values grouped into compressed buckets.
//!
//! A vault of 10k contacts had 10k keys per family (contacts, timelines, provenance) plus 100k
//! keys filing interactions: reading them cost sled ~10k page lookups and 10k checksums per
//! family, and the live values were 3× the `save()` size. Instead, the contacts of one family
//! are grouped by the top bits of their id into `BUCKETS` values, each compressed with LZ4 (it
//! decodes at gigabytes per second, so a search decompresses every timeline in a few ms) and
//! sealed like every other value (one blake3 over the compressed bytes, bound to the key).
//!
//! A bucket's plain bytes are entries sorted by id, each `id: u64 LE || len: u32 LE || bytes`,
//! where `bytes` is the postcard encoding of that contact's value. Compressed, the stored value
//! is `plain len: u32 LE || lz4 block`, then the 32-byte seal (see `chunk`).

use crate::chunk;
use crate::error::StoreError;
use rapport_model::ContactId;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Buckets per family. 128 keeps a bucket of W1's timelines near 150 KB (a note rewrites one)
/// and a list reads 128 values instead of 10k.
const BUCKET_BITS: u32 = 7;

/// A bucket's plain bytes may not exceed this (a damaged length must not allocate wildly).
const MAX_PLAIN: usize = 1 << 30;

/// The bucket that holds `id`: the top bits of the id, so buckets (and entries within them)
/// come out of a scan in id order.
pub(crate) fn bucket_of(id: ContactId) -> u8 {
    (id.as_u64() >> (64 - BUCKET_BITS)) as u8
}

pub(crate) fn key(family: &str, bucket: u8) -> Vec<u8> {
    format!("{family}{bucket:02x}").into_bytes()
}

pub(crate) fn key_of(family: &str, id: ContactId) -> Vec<u8> {
    key(family, bucket_of(id))
}

/// Compresses and seals a bucket of entries (sorted by id, as a `BTreeMap` gives them).
pub(crate) fn seal<'a>(
    key: &[u8],
    entries: impl IntoIterator<Item = (ContactId, &'a [u8])>,
) -> Vec<u8> {
    let mut plain = Vec::new();
    for (id, bytes) in entries {
        plain.extend_from_slice(&id.as_u64().to_le_bytes());
        // A contact's value is far below 4 GiB: the vault's own limits bound every field.
        plain.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        plain.extend_from_slice(bytes);
    }
    let mut payload = (plain.len() as u32).to_le_bytes().to_vec();
    payload.extend_from_slice(&lz4_flex::block::compress(&plain));
    chunk::seal(key, &payload)
}

/// The plain bytes of a sealed bucket, or `None` if it fails its checksum or does not decode.
pub(crate) fn open(key: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let mut plain = Vec::new();
    open_into(key, sealed, &mut plain).map(|()| plain)
}

/// Like `open`, into a buffer the caller reuses: a scan of 128 buckets of ~150 KB would
/// otherwise map and fault in fresh pages for each one.
pub(crate) fn open_into(key: &[u8], sealed: &[u8], plain: &mut Vec<u8>) -> Option<()> {
    let payload = chunk::open(key, sealed)?;
    let (len, block) = payload.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > MAX_PLAIN {
        return None;
    }
    plain.clear();
    plain.resize(len, 0);
    let written = lz4_flex::block::decompress_into(block, plain).ok()?;
    (written == len).then_some(())
}

/// The entries of a bucket's plain bytes, in stored order, or `None` if they are malformed.
pub(crate) fn entries(plain: &[u8]) -> Option<Vec<(ContactId, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = plain;
    while !rest.is_empty() {
        let (id, r) = rest.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if r.len() < len {
            return None;
        }
        let (bytes, r) = r.split_at(len);
        out.push((ContactId::from_u64(u64::from_le_bytes(*id)), bytes));
        rest = r;
    }
    Some(out)
}

/// The value of one contact in a sealed bucket.
pub(crate) fn find(key: &[u8], sealed: &[u8], id: ContactId) -> Option<Option<Vec<u8>>> {
    let plain = open(key, sealed)?;
    let found = entries(&plain)?
        .into_iter()
        .find(|(i, _)| *i == id)
        .map(|(_, b)| b.to_vec());
    Some(found)
}

/// Read-modify-write of buckets during one commit: every bucket is read once from the tree
/// (as it was before the commit), changed in memory, and written once into the batch.
#[derive(Debug)]
pub(crate) struct Buckets<'a> {
    tree: &'a sled::Tree,
    path: &'a Path,
    loaded: BTreeMap<(&'static str, u8), BTreeMap<ContactId, Vec<u8>>>,
    dirty: BTreeSet<(&'static str, u8)>,
}

impl<'a> Buckets<'a> {
    pub(crate) fn new(tree: &'a sled::Tree, path: &'a Path) -> Self {
        Buckets {
            tree,
            path,
            loaded: BTreeMap::new(),
            dirty: BTreeSet::new(),
        }
    }

    fn load(
        &mut self,
        family: &'static str,
        bucket: u8,
    ) -> Result<&mut BTreeMap<ContactId, Vec<u8>>, StoreError> {
        let slot = (family, bucket);
        if !self.loaded.contains_key(&slot) {
            let k = key(family, bucket);
            let mut map = BTreeMap::new();
            if let Some(sealed) = self
                .tree
                .get(&k)
                .map_err(|e| StoreError::from_sled(self.path, "read", e))?
            {
                let plain = open(&k, &sealed).ok_or_else(|| damaged(self.path, &k))?;
                for (id, bytes) in entries(&plain).ok_or_else(|| damaged(self.path, &k))? {
                    map.insert(id, bytes.to_vec());
                }
            }
            self.loaded.insert(slot, map);
        }
        self.loaded
            .get_mut(&slot)
            .ok_or_else(|| damaged(self.path, &key(family, bucket)))
    }

    /// The current (possibly already changed) value of `id` in `family`.
    pub(crate) fn get(
        &mut self,
        family: &'static str,
        id: ContactId,
    ) -> Result<Option<&[u8]>, StoreError> {
        Ok(self
            .load(family, bucket_of(id))?
            .get(&id)
            .map(Vec::as_slice))
    }

    /// Sets (or with `None` removes) the value of `id` in `family`.
    pub(crate) fn set(
        &mut self,
        family: &'static str,
        id: ContactId,
        value: Option<Vec<u8>>,
    ) -> Result<(), StoreError> {
        let bucket = bucket_of(id);
        let map = self.load(family, bucket)?;
        match value {
            Some(v) => map.insert(id, v),
            None => map.remove(&id),
        };
        self.dirty.insert((family, bucket));
        Ok(())
    }

    /// Adds the changed buckets to `batch` (an emptied bucket is removed).
    pub(crate) fn write(self, batch: &mut sled::Batch) {
        for slot in self.dirty {
            let k = key(slot.0, slot.1);
            match self.loaded.get(&slot) {
                Some(map) if !map.is_empty() => {
                    let sealed = seal(&k, map.iter().map(|(id, v)| (*id, v.as_slice())));
                    batch.insert(k, sealed);
                }
                _ => batch.remove(k),
            }
        }
    }
}

pub(crate) fn damaged(path: &Path, key: &[u8]) -> StoreError {
    StoreError::ViewDamaged {
        path: path.to_owned(),
        key: String::from_utf8_lossy(key).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_round_trips_and_rejects_damage() {
        let a = ContactId::from_u64(1);
        let b = ContactId::from_u64(u64::MAX);
        let sealed = seal(b"k", [(a, &b"alpha"[..]), (b, &b""[..])]);
        let plain = open(b"k", &sealed).unwrap();
        assert_eq!(
            entries(&plain).unwrap(),
            vec![(a, &b"alpha"[..]), (b, &b""[..])]
        );
        assert_eq!(find(b"k", &sealed, b), Some(Some(Vec::new())));
        assert_eq!(find(b"k", &sealed, ContactId::from_u64(7)), Some(None));
        assert_eq!(open(b"other", &sealed), None);
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x10;
            assert_eq!(open(b"k", &bad), None, "byte {i}");
        }
        // Entries cut short are refused, not read past their end.
        assert_eq!(entries(&plain[..plain.len() - 1]), None);
        assert_eq!(entries(&plain[..3]), None);
    }

    #[test]
    fn buckets_follow_id_order() {
        let ids = [0u64, 1 << 56, 1 << 57, u64::MAX >> 1, u64::MAX];
        let buckets: Vec<u8> = ids
            .iter()
            .map(|i| bucket_of(ContactId::from_u64(*i)))
            .collect();
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        assert_eq!(buckets.last(), Some(&((1u8 << BUCKET_BITS) - 1)));
    }
}
