//! The key layout of the store's one sled tree, and every key prefix the store uses. Everything
//! lives in one tree so that a change chunk, the new heads and the read view are written by one
//! atomic batch. The architecture test (`tests/it/architecture.rs`) fails if a key prefix is
//! defined anywhere else in the crate: two modules that each invent a prefix can collide.
//!
//! Families, by first segment:
//! - `meta/`: the store's own bookkeeping (format, heads, chunk counter, identity, sizes);
//! - `doc/`: the document (the snapshot reference and the change chunks);
//! - `view/`: the read view, a cache of the document (see `view`);
//! - `hist/`: the per-record history index, a cache that survives view rebuilds (see `history`);
//! - `local/`: device-local state that never syncs (see `quarantine`);
//! - `peer/`, `peerinfo/`: per-peer sync state and what the binary remembers of a peer.

pub(crate) const FORMAT: &[u8] = b"meta/format";
pub(crate) const HEADS: &[u8] = b"meta/heads";
pub(crate) const NEXT_CHUNK: &[u8] = b"meta/next_chunk";
pub(crate) const IDENTITY: &[u8] = b"meta/identity";
/// Format 3: the device's Ed25519 key for iroh (opaque bytes to the store).
pub(crate) const ENDPOINT_KEY: &[u8] = b"meta/endpoint_key";
pub(crate) const CHUNK_STATS: &[u8] = b"meta/chunk_stats";
pub(crate) const SNAPSHOT_LEN: &[u8] = b"meta/snapshot_len";
/// What a change needs of the document, for writing one without loading it (see `append`);
/// a cache: valid only while its heads are `HEADS`. A new key since `Tip` gained `last` (this
/// device's last change, before `interactions`): a build from before reads `OLD_TIP`, and
/// postcard decoded the new layout as the old one with a wrong interactions map whenever the
/// bytes happened to fit, so such a build appended a change the document cannot load.
pub(crate) const TIP: &[u8] = b"meta/tip2";
/// Where builds before `Tip::last` keep their tip, in their layout. Every write of the tip
/// removes it, so that such a build, run on this store, finds none and loads the document;
/// this build never reads it.
pub(crate) const OLD_TIP: &[u8] = b"meta/tip";

pub(crate) const SNAPSHOT: &[u8] = b"doc/snapshot";
pub(crate) const CHANGE_PREFIX: &[u8] = b"doc/change/";

pub(crate) const PEER_PREFIX: &[u8] = b"peer/";
pub(crate) const PEER_INFO_PREFIX: &str = "peerinfo/";

pub(crate) const VIEW_PREFIX: &[u8] = b"view/";
pub(crate) const VIEW_FORMAT: &[u8] = b"view/format";
pub(crate) const VIEW_HEADS: &[u8] = b"view/heads";
/// Contacts, timelines and provenance are bucketed by contact id (see `bucket`).
pub(crate) const VIEW_CONTACTS: &str = "view/cb/";
pub(crate) const VIEW_TIMELINES: &str = "view/tb/";
pub(crate) const VIEW_PROVENANCE: &str = "view/pb/";
pub(crate) const VIEW_GROUP: &str = "view/g/";
pub(crate) const VIEW_DEVICE: &str = "view/d/";
pub(crate) const VIEW_CONFLICT: &str = "view/x/";
/// The relate index's two families (see `relate_index`): bucketed like the families above,
/// but each bucket is a sled value, not a file.
pub(crate) const VIEW_RELATE: &str = "view/rb/";
pub(crate) const VIEW_RELATE_GRAPH: &str = "view/rg/";
/// Schema 2's tag cadences (one small map).
pub(crate) const VIEW_TAG_CADENCES: &[u8] = b"view/tc";

pub(crate) const HIST_PREFIX: &[u8] = b"hist/";
/// The document heads the history index covers.
pub(crate) const HIST_HEADS: &[u8] = b"hist/heads";
/// Each contact's history entries, bucketed like the view (see `history`).
pub(crate) const HIST_CONTACTS: &str = "hist/cb/";
pub(crate) const HIST_GROUP: &str = "hist/g/";
/// Every change of the vault, for `rapport log` without a record.
pub(crate) const HIST_ALL: &str = "hist/a/";
/// Format 1 kept each contact's history entries under this prefix in sled (see `upgrade`).
#[cfg(test)]
pub(crate) const FORMAT_1_HIST_CONTACT: &str = "hist/c/";

/// A quarantined deletion, by record (see `quarantine`).
pub(crate) const QUARANTINE_PREFIX: &str = "local/q/";
/// The quarantine thresholds, when not the default.
pub(crate) const QUARANTINE_POLICY: &[u8] = b"local/qpolicy";
/// How many changes each device sent since the last `status`.
pub(crate) const INCOMING_PREFIX: &str = "local/in/";
/// The WebTransport certificates (current and next), kept so the hashes browsers pinned stay
/// valid across restarts; opaque to the store (`rapport_net::WtCertificates::to_bytes`).
pub(crate) const BROWSER_CERTS: &[u8] = b"local/wtcerts";

/// Not a sled key: the name the `acknowledged` file's contents are sealed under (see `ack`).
pub(crate) const ACKNOWLEDGED: &[u8] = b"acknowledged";

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

pub(crate) fn peer_info(device_hex: &str) -> Vec<u8> {
    format!("{PEER_INFO_PREFIX}{device_hex}").into_bytes()
}

pub(crate) fn view(prefix: &str, id: impl std::fmt::Display) -> Vec<u8> {
    format!("{prefix}{id}").into_bytes()
}

pub(crate) fn incoming(device_hex: &str) -> Vec<u8> {
    format!("{INCOMING_PREFIX}{device_hex}").into_bytes()
}
