//! The CLI's side of the daemon's socket: while `rapport serve` holds the store, a command is
//! sent there as a typed `Call` (framed and versioned by `rapport_app::wire`) and its typed
//! reply is rendered here exactly as a local run renders it. The daemon's side is `daemon`.

use crate::cli::Command;
use anyhow::{Context, Result};
use rapport_app::wire::{self, Failure, Reply, WireError};
use rapport_app::Request;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    pub timeout: std::time::Duration,
    pub no_discovery: bool,
}

/// An error the daemon reported: main prints it as any error, with its exit code.
#[derive(Debug)]
pub struct Remote(pub Failure);
impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}
impl std::error::Error for Remote {}

/// Any error as the daemon sends it: the sentence and exit code a local run would show.
pub fn failure(e: &anyhow::Error) -> Failure {
    Failure {
        message: crate::render::error_chain(e),
        exit_code: crate::exit_code(e),
    }
}

pub fn socket_path(home: &Path) -> PathBuf {
    home.join("daemon.sock")
}

/// Sends `call` to the daemon of `home`, if one is listening, and returns its final reply;
/// pairing events on the way are given to `on_event`.
pub fn send(
    home: &Path,
    call: &Call,
    mut on_event: impl FnMut(&rapport_node::pairing::PairingEvent),
) -> Result<Option<Reply>> {
    use std::io::Write;
    let path = socket_path(home);
    // A daemon that is starting holds the store a moment before its socket answers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let retry = rapport_node::Backoff::new(
        std::time::Duration::from_millis(5),
        std::time::Duration::from_millis(50),
    );
    let Ok(mut stream) =
        { retry }.retry_until(deadline, || std::os::unix::net::UnixStream::connect(&path))
    else {
        return Ok(None);
    };
    stream
        .write_all(&wire::client_frame(call)?)
        .context("could not talk to the running daemon")?;
    let mut reader = std::io::BufReader::new(stream);
    loop {
        let body = wire::read_frame(&mut reader, wire::MAX_REPLY).map_err(unanswered)?;
        match wire::decode_reply(&body)? {
            Reply::Pairing(event) => on_event(&event),
            reply => return Ok(Some(reply)),
        }
    }
}

fn unanswered(e: WireError) -> anyhow::Error {
    match e {
        WireError::Io(io) => anyhow::Error::new(io).context("the running daemon did not answer"),
        other => other.into(),
    }
}

/// The store is held by another process; if it is this home's daemon, it runs the command and
/// its typed answer is rendered here, as a local run renders it.
pub fn forward(dir: &Path, locked: anyhow::Error, command: Command) -> Result<()> {
    let (call, json) = match command {
        Command::Pair {
            timeout,
            json,
            listen,
            no_discovery,
        } => (
            Call::Pair(PairWindow {
                listen,
                timeout,
                no_discovery,
            }),
            json,
        ),
        Command::Sync { addr, device } => (Call::Sync { addr, device }, false),
        mut command => {
            // The daemon runs in its own folder; the user meant theirs.
            if let Ok(cwd) = std::env::current_dir() {
                command.resolve_paths(&cwd);
            }
            match crate::request::from_command(command)? {
                crate::request::Routed::App(request, json) => (Call::App(request), json),
                // Commands that need the store to themselves (init, repair, clone, join...).
                crate::request::Routed::Bin => anyhow::bail!(
                    "`rapport serve` is running on this home and holds its store: stop it (Ctrl-C) before running this command"
                ),
            }
        }
    };
    let reply = match send(dir, &call, |e| crate::cmd::pair::show_pairing(e, json))? {
        Some(reply) => reply,
        None => return Err(locked),
    };
    let remote = |f| anyhow::Error::new(Remote(f));
    match reply {
        Reply::App { result, notes } => {
            for note in notes {
                crate::note!("{note}");
            }
            crate::render::response(&result.map_err(remote)?, json)
        }
        Reply::Paired(done) => {
            println!("{}", done.map_err(remote)?.sentence());
            Ok(())
        }
        Reply::Synced(synced) => {
            println!("{}", synced.map_err(remote)?.line());
            Ok(())
        }
        Reply::Refused(f) => Err(remote(f)),
        // A reply this version cannot show (the protocol version says it knows them all).
        _ => anyhow::bail!("rapport cannot show the daemon's answer: please report it"),
    }
}
