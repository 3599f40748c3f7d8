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
