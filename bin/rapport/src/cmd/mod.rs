//! One function per command. Each reads what it needs from the home and prints its result.

mod backup;
mod dedupe;
mod demo;
pub mod device;
mod export;
pub mod history;
mod import;
mod maintenance;
pub mod pair;
pub mod revoke;
pub mod sync;

use crate::cli::{Cli, Command};
use crate::home::{self, Home};
use crate::request::Routed;
use anyhow::Result;
use rapport_app::AppError;
use rapport_model::Vault;
use rapport_store::{ReadView, StoreError};
use std::cell::RefCell;

pub fn run(cli: Cli) -> Result<()> {
    let dir = home::resolve_dir(cli.home)?;
    match cli.command {
        Command::Init { name } => device::init(&dir, name),
        Command::Device { name, json } => match open_home(
            &dir,
            Some(&name.clone().unwrap_or_else(device::default_device_name)),
        ) {
            Ok(home) => {
                let result = device::describe(&home, json);
                home.store.close()?;
                result
            }
            Err(e) if is_locked(&e) => forward_to_daemon(&dir, e, Command::Device { name, json }),
            Err(e) => Err(e),
        },
        Command::Repair => maintenance::repair(&dir),
        Command::Clone { addr, id, name } => sync::clone(&dir, addr, &id, name),
        Command::Demo { keep } => demo::run(keep),
        Command::Serve {
            listen,
            no_discovery,
            ui,
            no_ui,
        } => sync::serve(
            open_home(&dir, None)?,
            listen,
            no_discovery,
            (!no_ui).then_some(ui),
        ),
        Command::Ui { no_open } => crate::ui::open(&dir, no_open),
        Command::Pair {
            timeout,
            json,
            listen,
            no_discovery,
        } => match open_home(&dir, None) {
            Ok(home) => pair::pair(
                home,
                rapport_node::pairing::Window {
                    listen,
                    timeout,
                    json,
                    no_discovery,
                },
            ),
            Err(e) if is_locked(&e) => forward_to_daemon(
                &dir,
                e,
                Command::Pair {
                    timeout,
                    json,
                    listen,
                    no_discovery,
                },
            ),
            Err(e) => Err(e),
        },
        Command::Join { code, addr, name } => pair::join(&dir, &code, addr, name),
        Command::Devices {
            command: Some(crate::cli::DevicesCommand::Leave),
            ..
        } => match open_home(&dir, None) {
            Ok(home) => revoke::leave_and_tell(home),
            Err(e) if is_locked(&e) => forward_to_daemon(
                &dir,
                e,
                Command::Devices {
                    command: Some(crate::cli::DevicesCommand::Leave),
                    json: false,
                },
            ),
            Err(e) => Err(e),
        },
        Command::Sync { addr, device } => match open_home(&dir, None) {
            Ok(home) => {
                let addr = sync::target(&home, addr, device.as_deref())?;
                sync::sync(home, addr)
            }
            Err(e) if is_locked(&e) => forward_to_daemon(&dir, e, Command::Sync { addr, device }),
            Err(e) => Err(e),
        },
        command => {
            let home = match open_home(&dir, None) {
                Ok(home) => home,
                Err(e) if is_locked(&e) => return forward_to_daemon(&dir, e, command),
                Err(e) => return Err(e),
            };
            let result = dispatch(&home, command);
            // `main` returns right after this: see `close_for_exit`.
            home.store.close_for_exit()?;
            result
        }
    }
}

pub fn dispatch(home: &Home, command: Command) -> Result<()> {
    let command = match crate::request::from_command(command)? {
        Routed::App(request, json) => {
            let result = rapport_app::handle(home, &request);
            for note in home.take_notes() {
                crate::note!("{note}");
            }
            return crate::render::response(&result?, json);
        }
        Routed::Bin(command) => command,
    };
    let result = dispatch_unmoved(home, command);
    for note in home.take_notes() {
        crate::note!("{note}");
    }
    result
}

/// The commands whose logic is still in this crate (see `request::from_command`).
fn dispatch_unmoved(home: &Home, command: Command) -> Result<()> {
    match command {
        Command::Init { .. }
        | Command::Device { .. }
        | Command::Repair
        | Command::Clone { .. }
        | Command::Demo { .. }
        | Command::Serve { .. }
        | Command::Ui { .. }
        | Command::Pair { .. }
        | Command::Join { .. }
        | Command::Sync { .. }
        // Moved into rapport-app: `dispatch` sends them there.
        | Command::Add { .. }
        | Command::Edit { .. }
        | Command::Note { .. }
        | Command::Tag { .. }
        | Command::Rm { .. }
        | Command::Restore { .. }
        | Command::Group { .. }
        | Command::List { .. }
        | Command::Show { .. }
        | Command::Search { .. }
        | Command::Trash { .. }
        | Command::Intro { .. }
        | Command::Introduce { .. }
        | Command::Cadence { .. }
        | Command::Done { .. }
        | Command::Snooze { .. }
        | Command::Due { .. }
        | Command::Brief { .. }
        | Command::Conflicts { .. }
        | Command::Resolve { .. }
        | Command::Quarantine { .. }
        | Command::Log { .. }
        | Command::Revert { .. }
        | Command::Undo { .. } => Err(anyhow::anyhow!(
            // `run` and the daemon handle these before a store is open; reaching here is a bug,
            // reported as an error rather than a panic.
            "rapport cannot run this command here (an internal routing bug): please report it"
        )),
        Command::Devices {
            command: None,
            json,
        } => device::list(home, json),
        Command::Devices {
            command: Some(crate::cli::DevicesCommand::Add { id, name }),
            ..
        } => device::add(home, &id, name),
        Command::Devices {
            command: Some(crate::cli::DevicesCommand::Revoke { device }),
            ..
        } => revoke::revoke(home, &device),
        Command::Devices {
            command: Some(crate::cli::DevicesCommand::Leave),
            ..
        } => revoke::leave(home),
        Command::Check { json } => maintenance::check(home, json),
        Command::Status { json } => sync::status(home, json),
        Command::Import { command } => import::run(home, command),
        Command::Export { format, out } => export::run(home, format, out.as_deref()),
        Command::Backup { path } => backup::backup(home, &path),
        Command::RestoreBackup { path } => backup::restore(home, &path),
        Command::Dedupe { apply, json } => dedupe::dedupe(home, apply, json),
        Command::Merge { a, b } => dedupe::merge(home, &a, &b),
    }
}

/// `Home::open`, with the error as `anyhow` (its type still picks the exit code).
fn open_home(dir: &std::path::Path, create_identity: Option<&str>) -> Result<Home> {
    Ok(Home::open(dir, create_identity)?)
}

fn is_locked(e: &anyhow::Error) -> bool {
    let store = e
        .downcast_ref::<StoreError>()
        .or(match e.downcast_ref::<AppError>() {
            Some(AppError::Store(s)) => Some(s),
            _ => None,
        });
    store.is_some_and(|s| s.kind() == rapport_store::StoreErrorKind::Locked)
}

/// The store is held by another process; if it is this home's daemon, it runs the command and
/// its typed answer is rendered here, as a local run renders it.
fn forward_to_daemon(dir: &std::path::Path, locked: anyhow::Error, command: Command) -> Result<()> {
    use crate::daemon::{Call, Forwarded, PairWindow, Remote};
    use rapport_app::wire::Reply;
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
        command => match crate::request::from_command(command)? {
            Routed::App(request, json) => (Call::App(request), json),
            Routed::Bin(mut command) => {
                // The daemon runs in its own folder; the user meant theirs.
                if let Ok(cwd) = std::env::current_dir() {
                    command.resolve_paths(&cwd);
                }
                (Call::Run(command), false)
            }
        },
    };
    let reply = match crate::daemon::forward(dir, &call, |e| pair::show_pairing(e, json))? {
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
        Reply::Printed {
            stdout,
            stderr,
            code,
        } => {
            print!("{stdout}");
            eprint!("{stderr}");
            match code {
                0 => Ok(()),
                code => Err(Forwarded(code).into()),
            }
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

/// `Home::write` for the commands not yet moved into rapport-app, whose closures return
/// `anyhow` errors: the error comes out exactly as the closure made it (so its type still picks
/// the exit code), and a damaged read cache is still repaired and the action retried.
pub fn write<T>(home: &Home, f: impl Fn(&mut Vault, &ReadView<'_>) -> Result<T>) -> Result<T> {
    let failed: RefCell<Option<anyhow::Error>> = RefCell::new(None);
    let result = home.write(|vault, view| {
        f(vault, view).map_err(|e| match e.downcast_ref::<StoreError>() {
            Some(StoreError::ViewDamaged { path, key }) => {
                AppError::Store(StoreError::ViewDamaged {
                    path: path.clone(),
                    key: key.clone(),
                })
            }
            _ => {
                *failed.borrow_mut() = Some(e);
                AppError::Failed(String::new())
            }
        })
    });
    match result {
        Ok(out) => Ok(out),
        Err(e) => match failed.into_inner() {
            Some(original) => Err(original),
            None => Err(e.into()),
        },
    }
}
