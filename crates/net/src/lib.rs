//! The network edge of Rapport: QUIC (quinn) with mutual TLS 1.3 pinned to device ids on the
//! LAN, iroh (hole punching and relays, `WanNode`) beyond it, and the async driver that pumps a
//! sans-IO `rapport_sync::Session` over a stream of either.
//!
//! This is the only crate that knows quinn and iroh, and it hands out none of their types: callers get
//! a [`PeerConnection`] (which knows the device it authenticated), an [`IncomingPeer`], a
//! [`CloseCode`] and typed [`NetError`]s. It knows nothing of sled: the vault and its
//! persistence come in through the [`Replica`] trait, which rapport-node implements.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod browser;
mod browser_client;
mod close;
mod conn;
mod driver;
mod endpoint;
mod error;
mod far;
pub mod pairing;
#[cfg(feature = "test-relay")]
pub mod test_relay;
mod tls;
mod wan;
mod wt_cert;
mod wt_err;

pub use browser_client::{connect_browser, BrowserAttempt, Signer};
pub use close::CloseCode;
pub use conn::{ConnectionStats, IncomingPeer, PeerConnection, PeerStream};
pub use driver::{run_session, with_replica, Replica, SessionOptions, SessionReport, Shared};
pub use endpoint::{Node, NodeConfig};
pub use error::{NetError, Refusal, ReplicaError, TransportError};
pub use far::{EndpointTrust, LinkPath};
pub use tls::{device_id_of_cert, TrustCheck};
pub use wan::{certificates_from_pem, WanAddr, WanConfig, WanNode};
pub use wt_cert::{hex, WtCertificate, WtCertificates, CERT_VALIDITY, ROTATE_AFTER};

/// The async runtime Rapport runs its network on: two worker threads (a device syncs with a
/// handful of peers; more threads only cost memory), with I/O and timers enabled. Blocking
/// work (the replica's) goes to the blocking pool, never to these two.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
