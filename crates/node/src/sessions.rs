//! The sessions the daemon runs, per device. A device's newest authenticated connection
//! always gets in: when the device already has as many sessions as allowed, its oldest ones
//! are closed (`CloseCode::Replaced`), as Syncthing replaces a device's old connection. A
//! process killed mid-sync, or a laptop that slept, leaves a session that only the idle
//! timeout would end; refusing the device until then would lock it out. The limit bounds the
//! work a device can make us do at once, never whether it can reconnect.

use crate::events::Reached;
use rapport_model::DeviceId;
use rapport_net::{CloseCode, PeerConnection};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One running session, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionStatus {
    pub peer: String,
    pub addr: SocketAddr,
    pub how: Reached,
    #[serde(skip)]
    pub age: Duration,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    conn: PeerConnection,
    since: Instant,
    how: Reached,
}

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_peer: Mutex<BTreeMap<DeviceId, Vec<Entry>>>,
    next: AtomicU64,
}

impl Sessions {
    /// Registers a session on `conn`; if its device already has `limit` sessions, closes the
    /// oldest until there is room. Returns the session's id and how many were replaced.
    pub(crate) fn admit(&self, conn: &PeerConnection, how: Reached, limit: usize) -> (u64, usize) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let Ok(mut map) = self.by_peer.lock() else {
            return (id, 0);
        };
        let list = map.entry(conn.peer()).or_default();
        let mut replaced = 0;
        while list.len() >= limit.max(1) {
            // Sorted by age: the first is the oldest.
            let old = list.remove(0);
            old.conn.close(CloseCode::Replaced);
            replaced += 1;
        }
        list.push(Entry {
            id,
            conn: conn.clone(),
            since: Instant::now(),
            how,
        });
        (id, replaced)
    }

    pub(crate) fn remove(&self, peer: DeviceId, id: u64) {
        if let Ok(mut map) = self.by_peer.lock() {
            if let Some(list) = map.get_mut(&peer) {
                list.retain(|e| e.id != id);
                if list.is_empty() {
                    map.remove(&peer);
                }
            }
        }
    }

    /// Whether this device has a session with `peer` now (either direction).
    pub(crate) fn has(&self, peer: DeviceId) -> bool {
        self.by_peer
            .lock()
            .map(|m| m.contains_key(&peer))
            .unwrap_or(false)
    }

    pub(crate) fn status(&self) -> Vec<SessionStatus> {
        let Ok(map) = self.by_peer.lock() else {
            return Vec::new();
        };
        map.iter()
            .flat_map(|(peer, list)| {
                list.iter().map(move |e| SessionStatus {
                    peer: peer.to_string(),
                    addr: e.conn.remote_address(),
                    how: e.how,
                    age: e.since.elapsed(),
                })
            })
            .collect()
    }
}
