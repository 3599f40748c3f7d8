//! `rapport`: the binary wires the model, the store and (later) the network together. It is the
//! edge where errors become one sentence on stderr and an exit code.

mod alloc;
mod cli;
mod client;
mod cmd;
mod logging;
mod pairing;
#[macro_use]
mod out;
mod render;
mod request;
mod route;
mod ui;

use rapport_app::home;

use clap::Parser;
use std::process::ExitCode;

/// The exit code of a value clap refused (the others are `rapport_app::exit::code`).
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    install_panic_hook();
    logging::init();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    // Still before any other thread exists: neither of the above starts one.
    alloc::tune_malloc(matches!(cli.command, cli::Command::Serve { .. }));
    match route::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", rapport_app::exit::sentence(e.as_ref()));
            ExitCode::from(exit_code(&e))
        }
    }
}

pub(crate) fn exit_code(e: &anyhow::Error) -> u8 {
    rapport_app::exit::code(e.as_ref())
}

/// A value clap's parsers refused (a kind, a level, a time) is one sentence on stderr and exit
/// 2, as it was when commands parsed their values themselves; other usage errors (and
/// `--help`, `--version`) are clap's own.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if e.kind() == ErrorKind::ValueValidation {
        if let Some(source) = std::error::Error::source(&e) {
            eprintln!("error: {source}");
            return ExitCode::from(EXIT_BAD_INPUT);
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
