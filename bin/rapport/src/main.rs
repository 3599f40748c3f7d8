//! `rapport`: the binary wires the model, the store and (later) the network together. It is the
//! edge where errors become one sentence on stderr and an exit code.

mod alloc;
mod cli;
mod client;
mod cmd;
mod daemon;
mod logging;
mod pairing;
#[macro_use]
mod out;
mod render;
mod request;
mod route;
mod ui;
mod web;

use rapport_app::{home, time};

use clap::Parser;
use std::process::ExitCode;

/// Exit codes, stable for scripts (also listed in the README).
mod exit {
    pub const ERROR: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const NOT_FOUND: u8 = 3;
    pub const LOCKED: u8 = 4;
    pub const DAMAGED: u8 = 5;
    pub const DISK: u8 = 6;
}

fn main() -> ExitCode {
    alloc::use_one_arena();
    install_panic_hook();
    logging::init();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match route::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", render::error_chain(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}

pub(crate) fn exit_code(e: &anyhow::Error) -> u8 {
    use rapport_store::{StoreError, StoreErrorKind};
    // Anywhere in the chain: a full disk during a sync's persist arrives wrapped in the
    // node's and the network's errors.
    if let Some(s) = e.chain().find_map(|c| c.downcast_ref::<StoreError>()) {
        return match s.kind() {
            StoreErrorKind::Locked => exit::LOCKED,
            StoreErrorKind::Corrupt => exit::DAMAGED,
            StoreErrorKind::Io => exit::DISK,
            _ => exit::ERROR,
        };
    }
    if e.downcast_ref::<rapport_model::ResolveError>().is_some()
        || e.downcast_ref::<rapport_node::NodeError>()
            .is_some_and(rapport_node::NodeError::is_not_found)
    {
        return exit::NOT_FOUND;
    }
    if let Some(edit) = e.downcast_ref::<rapport_model::EditError>() {
        use rapport_model::EditError as E;
        return match edit {
            E::NoSuchContact(_) | E::NoSuchGroup(_) | E::NoSuchInteraction(_) => exit::NOT_FOUND,
            _ => exit::BAD_INPUT,
        };
    }
    if let Some(client::Remote(failure)) = e.downcast_ref::<client::Remote>() {
        return failure.exit_code;
    }
    if let Some(app) = e.downcast_ref::<rapport_app::AppError>() {
        return app.exit_code();
    }
    if e.downcast_ref::<rapport_node::pairing::BadInvitation>()
        .is_some()
    {
        return exit::BAD_INPUT;
    }
    exit::ERROR
}

/// A value clap's parsers refused (a kind, a level, a time) is one sentence on stderr and exit
/// 2, as it was when commands parsed their values themselves; other usage errors (and
/// `--help`, `--version`) are clap's own.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if e.kind() == ErrorKind::ValueValidation {
        if let Some(source) = std::error::Error::source(&e) {
            eprintln!("error: {source}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    }
    e.exit()
}

/// A panic is a bug in rapport. Say so in one line instead of a backtrace, unless the store is
/// deliberately containing a panic from sled on a damaged file (it reports that itself).
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if rapport_model::panic_is_expected() {
            return;
        }
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default(info);
        } else {
            eprintln!("error: rapport hit an internal bug ({info}); nothing was half-written. Please report it with RUST_BACKTRACE=1 output.");
        }
    }));
}
