//! What this device remembers about each peer: where it was last reached and when it last
//! synced. Kept in the store per peer (a hint, not vault data: it does not sync). Every
//! function here reads or writes sled: call them from blocking code.

use rapport_model::DeviceId;
use rapport_net::LinkPath;
use rapport_store::Store;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PeerInfo {
    /// The address this device last reached the peer at (dialled or accepted from).
    pub addr: Option<SocketAddr>,
    /// Whether `addr` is one the peer listens on (we dialled it), so the daemon can dial it.
    #[serde(default)]
    pub dialable: bool,
    pub last_seen_ms: Option<i64>,
    pub last_synced_ms: Option<i64>,
    /// Where `addr` was learned: `lan` (found by mDNS discovery), `dialled` (given with
    /// `--addr`, or dialled by the daemon), `accepted` (the peer connected from it). Absent
    /// in records written before discovery existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// How the peer was last reached: `lan` (quinn on the local network), `direct` (iroh,
    /// hole punched) or `relay` (iroh, through the relay). Absent before iroh existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

pub fn get(store: &Store, peer: DeviceId) -> PeerInfo {
    store
        .peer_info(peer)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Records a contact with `peer`. Failures are ignored: this is a hint, and the sync itself
/// has already been made durable.
pub fn record(
    store: &Store,
    peer: DeviceId,
    addr: Option<SocketAddr>,
    dialable: bool,
    synced: bool,
    via: LinkPath,
) {
    let mut info = get(store, peer);
    info.via = Some(via.as_str().to_owned());
    let now = now_ms();
    if let Some(addr) = addr {
        if dialable || !info.dialable {
            if info.addr != Some(addr) {
                let how = if dialable { "dialled" } else { "accepted" };
                info.source = Some(how.to_owned());
            }
            info.addr = Some(addr);
            info.dialable = dialable;
        }
    }
    info.last_seen_ms = Some(now);
    if synced {
        info.last_synced_ms = Some(now);
    }
    if let Ok(bytes) = serde_json::to_vec(&info) {
        let _ = store.set_peer_info(peer, &bytes);
    }
}

/// Records that a live session with `peer` just settled with equal heads.
pub fn mark_synced(store: &Store, peer: DeviceId) {
    let mut info = get(store, peer);
    let now = now_ms();
    info.last_seen_ms = Some(now);
    info.last_synced_ms = Some(now);
    if let Ok(bytes) = serde_json::to_vec(&info) {
        let _ = store.set_peer_info(peer, &bytes);
    }
}

/// Records an address where local network discovery found `peer` listening (it answered
/// there with its certificate), so the daemon dials it there.
pub fn record_discovered(store: &Store, peer: DeviceId, addr: SocketAddr) {
    let mut info = get(store, peer);
    info.addr = Some(addr);
    info.dialable = true;
    info.source = Some("lan".to_owned());
    info.last_seen_ms = Some(now_ms());
    if let Ok(bytes) = serde_json::to_vec(&info) {
        let _ = store.set_peer_info(peer, &bytes);
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
