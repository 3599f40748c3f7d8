//! The replica's one error type.

use rapport_model::{EditError, OpenError, ReadError};

/// Why a replica call failed. Each message is one sentence the app can show as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicaError {
    #[error("the stored vault does not load ({0}): the browser's copy is damaged; pair this device again")]
    Damaged(String),
    #[error("the stored data is not a vault this app understands: {0}")]
    Open(#[from] OpenError),
    #[error("{0}")]
    Edit(#[from] EditError),
    #[error("the vault could not be read: {0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    BadInput(String),
}

/// Why a step of the network side (proof of key, pairing, sync) failed. Each message is one
/// sentence the app shows in its sync status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("that device named a WebTransport certificate this browser did not pin: reload the app on that device's address to learn its certificates")]
    Unpinned,
    #[error("that device sent a malformed message ({0}): check both run the same Rapport version")]
    Malformed(String),
    #[error("that device is not a trusted device of this vault: pair this browser with it")]
    UntrustedDaemon,
    #[error("the vault fetch ended before the whole vault arrived: pair again")]
    Incomplete,
    #[error("the fetched vault is not the one this browser paired with: pair again")]
    WrongVault,
    #[error("the fetched vault does not list this browser as a device: pair again")]
    NotInRoster,
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Pair(#[from] rapport_sync::pairing::PairError),
    #[error("sync stopped: {0}")]
    Session(#[from] rapport_sync::SessionError),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}
