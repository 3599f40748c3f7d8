//! One error type per kind of operation. A user's bad input, a missing record and a damaged
//! document are kept apart so the CLI can say the right thing.

use crate::validate::InvalidValue;
use crate::{ContactId, GroupId, InteractionId};

/// Why a document cannot be used as a vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    #[error("the document is not a Rapport vault (it has no `{0}`): it may be empty or from another program")]
    NotAVault(&'static str),
    #[error("the vault uses schema version {found}, newer than this rapport understands ({supported}): upgrade rapport")]
    TooNew { found: u64, supported: u64 },
    #[error("the vault's `{0}` has the wrong type: the document is damaged or was written by another program")]
    WrongType(&'static str),
    #[error("automerge error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// Why a change was refused. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("no contact has id {0}: check the id with `rapport list`")]
    NoSuchContact(ContactId),
    #[error("no interaction has id {0}")]
    NoSuchInteraction(InteractionId),
    #[error("no group has id {0}: check it with `rapport group list`")]
    NoSuchGroup(GroupId),
    #[error("device {0} is not in the roster: see `rapport devices`")]
    NoSuchDevice(crate::DeviceId),
    #[error("a group named `{0}` already exists: pick another name or use that group")]
    GroupExists(String),
    #[error("an interaction must name at least one contact")]
    NoContacts,
    /// `Vault::add_contacts` was given an id the vault (or the same call) already has.
    #[error("contact {0} already exists: give each new contact a fresh id")]
    ContactExists(ContactId),
    #[error("the change would do nothing: give at least one field to set, clear, add or remove")]
    NothingToDo,
    #[error("a contact cannot be merged into itself: name two different contacts")]
    MergeSelf,
    #[error("contact {0} was already merged into {1}: merge into {1} instead")]
    AlreadyMerged(ContactId, ContactId),
    #[error("no follow-up is attached to note {0}: see `rapport due` or `rapport brief CONTACT`")]
    NoSuchFollowUp(InteractionId),
    #[error("follow-up {0} is already done: a closed follow-up cannot be snoozed")]
    FollowUpDone(InteractionId),
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Boxed: Automerge's error is large and this one is returned on every write.
    #[error("automerge error: {0}")]
    Automerge(Box<automerge::AutomergeError>),
}

impl From<automerge::AutomergeError> for EditError {
    fn from(e: automerge::AutomergeError) -> Self {
        EditError::Automerge(Box::new(e))
    }
}

/// Why a record could not be read out of the document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("record {id} has a malformed `{key}`: the document is damaged or was written by another program")]
    Malformed { id: String, key: String },
    #[error("automerge error: {0}")]
    Automerge(Box<automerge::AutomergeError>),
}

impl From<automerge::AutomergeError> for ReadError {
    fn from(e: automerge::AutomergeError) -> Self {
        ReadError::Automerge(Box::new(e))
    }
}
