//! The CLI's side of the daemon: while `rapport serve` holds the store, a command is sent to it
//! as a typed `Call` (`rapport_daemon::client`) and its typed reply is rendered here exactly as
//! a local run renders it.

use crate::cli::Command;
use anyhow::Result;
use rapport_app::wire::{Remote, Reply};
use rapport_daemon::client::{send, Call, PairWindow};
use std::path::Path;

/// The store is held by another process; if it is this home's daemon, it runs the command and
/// its typed answer is rendered here, as a local run renders it. `None`: no daemon answered.
pub fn forward(dir: &Path, command: Command) -> Result<Option<()>> {
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
        None => return Ok(None),
    };
    let remote = |f| anyhow::Error::new(Remote(f));
    let shown: Result<()> = match reply {
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
        _ => Err(anyhow::anyhow!(
            "rapport cannot show the daemon's answer: please report it"
        )),
    };
    shown.map(Some)
}
