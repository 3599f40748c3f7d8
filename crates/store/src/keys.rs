//! The key layout of the store's one sled tree. Everything lives in one tree so that a change
//! chunk, the new heads and the read view are written by one atomic batch.

pub(crate) const FORMAT: &[u8] = b"meta/format";
pub(crate) const HEADS: &[u8] = b"meta/heads";
pub(crate) const NEXT_CHUNK: &[u8] = b"meta/next_chunk";
pub(crate) const IDENTITY: &[u8] = b"meta/identity";
pub(crate) const SNAPSHOT: &[u8] = b"doc/snapshot";
pub(crate) const CHANGE_PREFIX: &[u8] = b"doc/change/";
pub(crate) const PEER_PREFIX: &[u8] = b"peer/";
pub(crate) const VIEW_PREFIX: &[u8] = b"view/";
pub(crate) const VIEW_FORMAT: &[u8] = b"view/format";
pub(crate) const VIEW_HEADS: &[u8] = b"view/heads";
/// Contacts, timelines and provenance are bucketed by contact id (see `bucket`).
pub(crate) const VIEW_CONTACTS: &str = "view/cb/";
pub(crate) const VIEW_TIMELINES: &str = "view/tb/";
pub(crate) const VIEW_PROVENANCE: &str = "view/pb/";
/// Each contact's history entries, bucketed like the view (see `history`).
pub(crate) const HIST_CONTACTS: &str = "hist/cb/";
pub(crate) const VIEW_GROUP: &str = "view/g/";
pub(crate) const VIEW_DEVICE: &str = "view/d/";
pub(crate) const VIEW_CONFLICT: &str = "view/x/";
/// Schema 2's tag cadences (one small map).
pub(crate) const VIEW_TAG_CADENCES: &[u8] = b"view/tc";

pub(crate) fn change(seq: u64) -> Vec<u8> {
    let mut k = CHANGE_PREFIX.to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub(crate) fn peer(device_hex: &str) -> Vec<u8> {
    let mut k = PEER_PREFIX.to_vec();
    k.extend_from_slice(device_hex.as_bytes());
    k
}

pub(crate) fn view(prefix: &str, id: impl std::fmt::Display) -> Vec<u8> {
    format!("{prefix}{id}").into_bytes()
}

pub(crate) const CHUNK_STATS: &[u8] = b"meta/chunk_stats";
pub(crate) const SNAPSHOT_LEN: &[u8] = b"meta/snapshot_len";

pub(crate) fn peer_info(device_hex: &str) -> Vec<u8> {
    format!("peerinfo/{device_hex}").into_bytes()
}
