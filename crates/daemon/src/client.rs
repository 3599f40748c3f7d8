//! The CLI's side of the daemon's socket: while `rapport serve` holds the store, a command is
//! sent there as a typed `Call` (framed and versioned by `rapport_app::wire`) and the typed
//! reply comes back for the CLI to render exactly as a local run renders it. The daemon's side
//! is `server`.

use crate::DaemonError;
use rapport_app::wire::{self, Reply, WireError};
use rapport_app::Request;
use rapport_node::pairing::PairingEvent;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the CLI asks the daemon, parsed once on the CLI's side.
#[derive(Debug, Serialize, Deserialize)]
pub enum Call {
    /// A request the application layer answers.
    App(Box<Request>),
    /// Open a pairing window beside the live sessions.
    Pair(PairWindow),
    /// Sync once, on the daemon's own endpoint.
    Sync {
        addr: Option<SocketAddr>,
        device: Option<String>,
    },
}

/// `rapport_node::pairing::Window` as it travels.
#[derive(Debug, Serialize, Deserialize)]
pub struct PairWindow {
    pub listen: SocketAddr,
    pub timeout: Duration,
    pub no_discovery: bool,
}

/// Where the daemon of `home` listens: a Unix socket inside the data folder, owner-only.
pub fn socket_path(home: &Path) -> PathBuf {
    home.join("daemon.sock")
}

/// Sends `call` to the daemon of `home`, if one is listening, and returns its final reply;
/// pairing events on the way are given to `on_event`. `None`: no daemon answers there.
pub fn send(
    home: &Path,
    call: &Call,
    mut on_event: impl FnMut(&PairingEvent),
) -> Result<Option<Reply>, DaemonError> {
    use std::io::Write;
    let path = socket_path(home);
    // A daemon that is starting holds the store a moment before its socket answers.
    let deadline = Instant::now() + Duration::from_secs(2);
    let retry = rapport_node::Backoff::new(Duration::from_millis(5), Duration::from_millis(50));
    let Ok(mut stream) =
        { retry }.retry_until(deadline, || std::os::unix::net::UnixStream::connect(&path))
    else {
        return Ok(None);
    };
    stream
        .write_all(&wire::client_frame(call)?)
        .map_err(DaemonError::Talk)?;
    let mut reader = std::io::BufReader::new(stream);
    loop {
        let body = wire::read_frame(&mut reader, wire::MAX_REPLY).map_err(unanswered)?;
        match wire::decode_reply(&body)? {
            Reply::Pairing(event) => on_event(&event),
            reply => return Ok(Some(reply)),
        }
    }
}

fn unanswered(e: WireError) -> DaemonError {
    match e {
        WireError::Io(io) => DaemonError::Unanswered(io),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_daemon_is_none_and_a_stale_socket_file_is_not_a_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let call = Call::App(Box::new(Request::Status));
        assert!(send(dir.path(), &call, |_| {}).unwrap().is_none());
        // A daemon killed with SIGKILL leaves its socket file; nothing listens on it.
        drop(std::os::unix::net::UnixListener::bind(socket_path(dir.path())).unwrap());
        assert!(send(dir.path(), &call, |_| {}).unwrap().is_none());
    }
}
