//! Rapport's sync node: everything a device does on the network, behind a small API.
//!
//! [`SyncNode`] is the daemon's half: `start` binds, `run(shutdown)` accepts trusted peers,
//! keeps live sessions with known ones (the dialer, with [`Backoff`]), runs LAN discovery,
//! and stops when `shutdown` resolves; `status` and `events` say what it is doing. The
//! one-shot functions (`sync_once`, `clone_vault`, `receive_vault`, `tell_peers`) and pairing
//! windows (`pairing::run`) serve the commands that run without a daemon.
//!
//! The node reaches the data folder only through the [`Host`] trait (store, identity, loaded
//! vault, durable commit of what sync applied); it knows nothing of commands or front ends.
//! Everything that blocks (Automerge loads, sled, fsync) runs on tokio's blocking pool under
//! the replica's lock (`rapport_net::with_replica`), never on the two async workers.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod advertise;
mod backoff;
mod browser;
mod browser_side;
mod ctx;
mod dialer;
mod events;
mod host;
mod lan;
mod oneshot;
mod options;
pub mod pairing;
pub mod peers;
pub mod relay_ca;
mod replica;
mod serve;
mod sessions;

pub use backoff::Backoff;
pub use browser_side::{BrowserInfo, DEFAULT_BROWSER_PORT};
pub use events::{NodeEvent, Reached};
pub use host::{Host, HostError};
pub use lan::{announce_pairing, find_pairing, LanAnnouncement, OFF_VAR};
pub use oneshot::{
    clone_vault, clone_vault_far, receive_vault, sync_once, sync_once_iroh, tell_peers,
    unspecified_like, FarSource,
};
pub use options::ServeOptions;
pub use replica::{Roster, StoreReplica};
pub use serve::{NodeStatus, SyncNode};
pub use sessions::SessionStatus;

/// The replica the node and the commands of one process share.
pub type SharedReplica<H> = rapport_net::Shared<StoreReplica<H>>;

/// The async runtime the node runs on (`rapport_net::runtime`: two workers).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    rapport_net::runtime()
}

/// Errors of the node's operations; each says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    #[error(transparent)]
    Net(#[from] rapport_net::NetError),
    #[error(transparent)]
    Host(#[from] HostError),
    #[error("the sync with {addr} ended before both devices held the same changes: run `rapport sync` again")]
    NotEqual { addr: std::net::SocketAddr },
    #[error("{source}; on that device, run `rapport devices add {device}` first")]
    NotAdded {
        device: rapport_model::DeviceId,
        #[source]
        source: rapport_net::NetError,
    },
    #[error(
        "{source}; on that device, run `rapport devices add {device} --endpoint {endpoint}` first"
    )]
    NotAddedFar {
        device: rapport_model::DeviceId,
        endpoint: rapport_model::EndpointId,
        #[source]
        source: rapport_net::NetError,
    },
    #[error("device {} has no iroh endpoint in the roster yet: sync with it once on the LAN (`rapport sync --addr HOST:PORT`), or let it run `rapport serve` with the relay set", device.short())]
    NoReach { device: rapport_model::DeviceId },
    #[error("the vault did not arrive completely: run `rapport clone` again")]
    CloneIncomplete,
    #[error("the peer sent something that is not a Rapport vault")]
    NotAVault(#[source] rapport_model::OpenError),
    #[error("the pairing device sent another vault than the one it paired for: run `rapport pair` again")]
    WrongVault,
    #[error("the vault arrived but this device is not in its roster: run `rapport pair` and `rapport join` again")]
    NotInRoster,
    #[error("local network discovery is turned off ({OFF_VAR} is set): pass --addr ADDR")]
    DiscoveryOff,
    #[error("could not use the local network ({0}): pass --addr ADDR with the other device's address instead")]
    Discovery(#[source] rapport_discovery::LanError),
    #[error("no device showing a code that starts with {nameplate} answered on this network within {seconds} s: check the code, check that `rapport pair` is still waiting on the same network, or pass --addr HOST:PORT as it shows")]
    NoPairingWindow { nameplate: u16, seconds: u64 },
    #[error("the pairing window stopped unexpectedly: run `rapport pair` again")]
    PairingStopped,
    #[error("could not start a thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("this node is already running")]
    AlreadyRunning,
}

impl NodeError {
    /// The search for something came back empty (for the "not found" exit code).
    pub fn is_not_found(&self) -> bool {
        matches!(self, NodeError::NoPairingWindow { .. })
    }
}
