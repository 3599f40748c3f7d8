//! The commands the binary still runs itself, one function each, reading what they need from
//! the home and printing their result; `dispatch` sends the rest to rapport-app. Nothing here
//! knows the daemon: `route` decides where a command runs.

mod backup;
pub mod demo;
pub mod device;
mod export;
mod import;
pub mod maintenance;
pub mod pair;
pub mod revoke;
pub mod sync;

use crate::cli::Command;
use crate::home::Home;
use crate::request::Routed;
use anyhow::Result;
use rapport_app::AppError;
use rapport_model::Vault;
use rapport_store::{ReadView, StoreError};
use std::cell::RefCell;

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
        | Command::Undo { .. }
        | Command::Dedupe { .. }
        | Command::Merge { .. } => Err(anyhow::anyhow!(
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
    }
}

/// `Home::open`, with the error as `anyhow` (its type still picks the exit code).
pub fn open_home(dir: &std::path::Path, create_identity: Option<&str>) -> Result<Home> {
    Ok(Home::open(dir, create_identity)?)
}

pub fn is_locked(e: &anyhow::Error) -> bool {
    let store = e
        .downcast_ref::<StoreError>()
        .or(match e.downcast_ref::<AppError>() {
            Some(AppError::Store(s)) => Some(s),
            _ => None,
        });
    store.is_some_and(|s| s.kind() == rapport_store::StoreErrorKind::Locked)
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
