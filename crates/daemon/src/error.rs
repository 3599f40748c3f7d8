//! What starting or running the daemon can fail with. Each variant keeps its cause whole, so
//! the CLI's exit code (`rapport_app::exit::code`) still sees a full disk or a locked store.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    #[error(
        "could not open the local socket {path}: {source}; check that the data folder is writable"
    )]
    Socket {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "could not write {path}: {source}; check the data folder's permissions and free space"
    )]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not talk to the running daemon")]
    Talk(#[source] std::io::Error),
    #[error("the running daemon did not answer")]
    Unanswered(#[source] std::io::Error),
    #[error("could not start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{0}")]
    Host(#[from] rapport_node::HostError),
    #[error("{0}")]
    Node(#[from] rapport_node::NodeError),
    #[error("{0}")]
    Web(#[from] rapport_web::ServeError),
    #[error("{0}")]
    Token(#[from] rapport_web::auth::TokenError),
    #[error("{0}")]
    Wire(#[from] rapport_app::wire::WireError),
    /// Starting `rapport serve` for `rapport ui` failed; the sentence says what to do.
    #[error("{0}")]
    Launch(String),
    #[error("the daemon's output failed: {0}")]
    Io(#[from] std::io::Error),
}

impl DaemonError {
    pub(crate) fn file(path: PathBuf) -> impl FnOnce(std::io::Error) -> DaemonError {
        move |source| DaemonError::File { path, source }
    }
}
