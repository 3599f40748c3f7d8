//! The network edge of Rapport: QUIC (quinn) with mutual TLS 1.3 pinned to device ids, and the
//! async driver that pumps a sans-IO `rapport_sync::Session` over a QUIC stream.
//!
//! This is the only crate that knows quinn and tokio. It knows nothing of sled: the vault and
//! its persistence come in through the [`Replica`] trait, which the binary implements.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod driver;
mod endpoint;
pub mod pairing;
mod tls;

pub use driver::{run_session, Replica, SessionOptions, SessionReport};
pub use endpoint::{authenticate, device_of_connection, Node, NodeConfig};
pub use tls::{device_id_of_cert, TrustCheck};

/// A QUIC connection to a peer (re-exported so that callers need not depend on quinn).
pub use quinn::Connection;

use rapport_sync::SessionError;

/// The async runtime Rapport runs its network on: two worker threads (a device syncs with a
/// handful of peers; more threads only cost memory), with I/O and timers enabled.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Errors of the transport and the session driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("could not reach {addr}: {reason}")]
    Connect {
        addr: std::net::SocketAddr,
        reason: String,
    },
    #[error("the peer refused this device, or is not the device expected: {0}")]
    Refused(String),
    #[error("the connection broke: {0}")]
    Connection(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("could not save what the peer sent: {0}")]
    Persist(String),
    #[error("the peer closed the stream before the sync finished")]
    PeerClosed,
    #[error("the sync finished but the two devices do not hold the same changes")]
    NotEqual,
    #[error(transparent)]
    Pair(#[from] rapport_sync::pairing::PairError),
}
