//! How any error ends a front end's run: the one sentence it shows and the exit code the README
//! promises for it. Both walk the error's whole chain of causes, because an error reaches the
//! front end wrapped by the layers it crossed: a full disk during a sync's persist arrives
//! inside the node's and the network's errors, and still exits 6.

use crate::error::store_kind;
use crate::wire::{Failure, Remote};
use crate::AppError;
use rapport_model::{EditError, ResolveError};
use rapport_node::pairing::BadInvitation;
use rapport_node::NodeError;
use rapport_store::StoreError;
use std::error::Error;

/// The error and each cause under it, outermost first.
pub fn chain<'a>(
    e: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> + 'a {
    std::iter::successors(Some(e), |&e| e.source())
}

/// The error and its causes as one line; a cause whose words the line already holds is not
/// repeated (a wrapper that prints its source's message).
pub fn sentence(e: &(dyn Error + 'static)) -> String {
    let mut out = e.to_string();
    for cause in chain(e).skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// The README's exit code for an error: the store's kind wins wherever it sits in the chain
/// (locked 4, damaged 5, disk 6); then the outermost error that has a kind decides; else 1.
pub fn code(e: &(dyn Error + 'static)) -> u8 {
    if let Some(s) = chain(e).find_map(|c| c.downcast_ref::<StoreError>()) {
        return store_kind(s).exit_code();
    }
    chain(e).find_map(own_code).unwrap_or(GENERIC)
}

/// Any error as the daemon sends it: the sentence and exit code a local run would show.
pub fn failure(e: &(dyn Error + 'static)) -> Failure {
    Failure {
        message: sentence(e),
        exit_code: code(e),
    }
}

const GENERIC: u8 = 1;
const BAD_INPUT: u8 = 2;
const NOT_FOUND: u8 = 3;

/// The exit code this one error carries, if it carries one.
fn own_code(e: &(dyn Error + 'static)) -> Option<u8> {
    if e.is::<ResolveError>()
        || e.downcast_ref::<NodeError>()
            .is_some_and(NodeError::is_not_found)
    {
        return Some(NOT_FOUND);
    }
    if let Some(edit) = e.downcast_ref::<EditError>() {
        return Some(match edit {
            EditError::NoSuchContact(_)
            | EditError::NoSuchGroup(_)
            | EditError::NoSuchInteraction(_) => NOT_FOUND,
            _ => BAD_INPUT,
        });
    }
    if let Some(Remote(failure)) = e.downcast_ref::<Remote>() {
        return Some(failure.exit_code);
    }
    if let Some(app) = e.downcast_ref::<AppError>() {
        return Some(app.exit_code());
    }
    e.is::<BadInvitation>().then_some(BAD_INPUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the sync failed")]
    struct Outer(#[source] StoreError);

    #[test]
    fn a_store_error_anywhere_decides_and_a_sentence_joins_the_causes() {
        let wrapped = Outer(StoreError::DiskFull {
            path: "/home/me/.rapport/store".into(),
        });
        assert_eq!(code(&wrapped), 6);
        let s = sentence(&wrapped);
        assert!(s.starts_with("the sync failed: "), "{s}");
        assert!(s.contains("the disk is full"), "{s}");
    }

    #[test]
    fn the_outermost_kind_decides_and_a_daemon_failure_keeps_its_code() {
        let remote = Remote(Failure {
            message: "no contact matches".into(),
            exit_code: 3,
        });
        assert_eq!(code(&remote), 3);
        assert_eq!(code(&AppError::BadInput("no".into())), 2);
        assert_eq!(code(&std::io::Error::other("plain")), GENERIC);
    }
}
