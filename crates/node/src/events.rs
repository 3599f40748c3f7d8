//! What the node tells its front ends as it happens: a stream of [`NodeEvent`]s (a tokio
//! broadcast channel; a front end that falls behind misses events, never blocks the node).

use rapport_model::DeviceId;
use rapport_net::NetError;
use std::net::SocketAddr;
use std::sync::Arc;

/// How this device came to talk to a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reached {
    /// This device dialled the peer's known address.
    Dialled,
    /// The peer connected to this device.
    Accepted,
    /// Local network discovery found the peer's address.
    Lan,
}

impl Reached {
    /// How `peers` records where an address came from.
    pub fn as_str(self) -> &'static str {
        match self {
            Reached::Dialled => "dialled",
            Reached::Accepted => "accepted",
            Reached::Lan => "lan",
        }
    }
}

#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A session with `peer` began (its connection is authenticated).
    SessionStarted {
        peer: DeviceId,
        addr: SocketAddr,
        how: Reached,
    },
    /// A session with `peer` ended; `error` says why when it was not a normal end (a live
    /// session's peer hanging up is normal).
    SessionEnded {
        peer: DeviceId,
        bytes_sent: u64,
        bytes_received: u64,
        error: Option<Arc<NetError>>,
    },
    /// Changes from `peer` were made durable here, touching `records` records.
    ChangesReceived { peer: DeviceId, records: usize },
    /// `peer` was found listening at `addr`.
    PeerReached {
        peer: DeviceId,
        addr: SocketAddr,
        how: Reached,
    },
    /// A newer connection from `peer` replaced one of its older (stale) sessions.
    SessionReplaced { peer: DeviceId },
}
