//! One function per command. Each reads what it needs from the home and prints its result.

mod backup;
mod contact;
mod dedupe;
mod demo;
pub mod device;
mod export;
mod group;
pub mod history;
mod import;
mod maintenance;
pub mod pair;
mod read;
mod relate;
mod relate_render;
pub mod revoke;
pub mod sync;
// Issue 6: conflicts you can see, and the guard against mass deletion.
pub mod conflicts;
mod provenance;
mod quarantine;

use crate::cli::{Cli, Command};
use crate::home::{self, Home};
use anyhow::Result;
use rapport_model::{resolve_contact, Contact, Group, GroupId, ResolveError};
use std::fmt;

/// An error that is one sentence for the user, told apart by its type for the exit code.
macro_rules! user_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub String);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::error::Error for $name {}
    };
}

user_error!(
    /// A value on the command line that rapport will not use; the message says what to write.
    BadInput
);
user_error!(
    /// A reference that matched nothing, or more than one thing (the message lists them).
    NotFound
);

pub fn run(cli: Cli) -> Result<()> {
    let dir = home::resolve_dir(cli.home)?;
    match cli.command {
        Command::Init { name } => device::init(&dir, name),
        Command::Device { name, json } => match Home::open(
            &dir,
            Some(&name.clone().unwrap_or_else(device::default_device_name)),
        ) {
            Ok(home) => {
                let result = device::describe(&home, json);
                home.store.close()?;
                result
            }
            Err(e) if is_locked(&e) => forward_to_daemon(&dir, e),
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
            Home::open(&dir, None)?,
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
        } => match Home::open(&dir, None) {
            Ok(home) => pair::pair(
                home,
                rapport_node::pairing::Window {
                    listen,
                    timeout,
                    json,
                    no_discovery,
                },
            ),
            Err(e) if is_locked(&e) => forward_to_daemon(&dir, e),
            Err(e) => Err(e),
        },
        Command::Join { code, addr, name } => pair::join(&dir, &code, addr, name),
        Command::Devices {
            command: Some(crate::cli::DevicesCommand::Leave),
            ..
        } => match Home::open(&dir, None) {
            Ok(home) => revoke::leave_and_tell(home),
            Err(e) if is_locked(&e) => forward_to_daemon(&dir, e),
            Err(e) => Err(e),
        },
        Command::Sync { addr, device } => match Home::open(&dir, None) {
            Ok(home) => {
                let addr = sync::target(&home, addr, device.as_deref())?;
                sync::sync(home, addr)
            }
            Err(e) if is_locked(&e) => forward_to_daemon(&dir, e),
            Err(e) => Err(e),
        },
        command => {
            let home = match Home::open(&dir, None) {
                Ok(home) => home,
                Err(e) if is_locked(&e) => return forward_to_daemon(&dir, e),
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
        | Command::Sync { .. } => Err(anyhow::anyhow!(
            // `run` and the daemon handle these before a store is open; reaching here is a bug,
            // reported as an error rather than a panic.
            "rapport cannot run this command here (an internal routing bug): please report it"
        )),
        Command::Add { name, fields } => contact::add(home, name, fields),
        Command::Edit { contact, edit } => contact::edit(home, &contact, edit),
        Command::Note {
            contact,
            text,
            kind,
            at,
            place,
            with,
            follow_up,
        } => contact::note(
            home,
            &contact,
            contact::NoteArgs {
                text,
                kind: &kind,
                at: at.as_deref(),
                place,
                with: &with,
                follow_up,
            },
        ),
        Command::Tag { contact, changes } => contact::tag(home, &contact, &changes),
        Command::Rm { contact } => contact::trash(home, &contact),
        Command::Restore { contact } => contact::restore(home, &contact),
        Command::Group { command } => group::run(home, command),
        Command::List {
            tag,
            group,
            trust_at_least,
            json,
        } => read::list(home, tag, group, trust_at_least, json),
        Command::Show {
            contact,
            json,
            at: None,
        } => read::show(home, &contact, json),
        Command::Show {
            contact,
            json,
            at: Some(at),
        } => history::show_at(home, &contact, &at, json),
        Command::Search { query, json } => read::search(home, &query, json),
        Command::Trash { json } => read::trash(home, json),
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
        Command::Log {
            contact,
            group,
            limit,
            json,
        } => history::log(home, contact.as_deref(), group.as_deref(), limit, json),
        Command::Revert { contact, to } => history::revert(home, &contact, &to),
        Command::Undo { change } => history::undo(home, change.as_deref()),
        Command::Conflicts { json } => conflicts::list(home, json),
        Command::Resolve {
            contact,
            field,
            value,
        } => conflicts::resolve(home, &contact, &field, &value),
        Command::Quarantine { command } => quarantine::run(home, command),
        Command::Import { command } => import::run(home, command),
        Command::Export { format, out } => export::run(home, format, out.as_deref()),
        Command::Backup { path } => backup::backup(home, &path),
        Command::RestoreBackup { path } => backup::restore(home, &path),
        Command::Dedupe { apply, json } => dedupe::dedupe(home, apply, json),
        Command::Merge { a, b } => dedupe::merge(home, &a, &b),
        Command::Intro {
            target,
            max_hops,
            graph: false,
            json,
            ..
        } => relate::intro(home, target.as_deref().unwrap_or(""), max_hops.into(), json),
        Command::Intro {
            graph: true,
            group,
            json,
            ..
        } => relate::graph(home, group.as_deref(), json),
        Command::Introduce {
            a,
            b,
            note,
            at,
            set_introduced_by,
        } => relate::introduce(home, &a, &b, note, at.as_deref(), set_introduced_by),
        Command::Cadence {
            args,
            group,
            tag,
            clear,
        } => relate::cadence(home, &args, group.as_deref(), tag.as_deref(), clear),
        Command::Done { follow_up } => relate::done(home, follow_up),
        Command::Snooze { target, period } => relate::snooze(home, &target, period),
        Command::Due { within, json, ics } => relate::due(home, within, json, ics),
        Command::Brief { contact, json } => relate::brief(home, &contact, json),
    }
}

fn is_locked(e: &anyhow::Error) -> bool {
    e.downcast_ref::<rapport_store::StoreError>()
        .is_some_and(|s| s.kind() == rapport_store::StoreErrorKind::Locked)
}

/// The store is held by another process; if it is this home's daemon, let it run the command.
fn forward_to_daemon(dir: &std::path::Path, locked: anyhow::Error) -> Result<()> {
    match crate::daemon::forward(dir)? {
        Some(response) => {
            print!("{}", response.stdout);
            eprint!("{}", response.stderr);
            if response.code == 0 {
                Ok(())
            } else {
                Err(crate::daemon::Forwarded(response.code).into())
            }
        }
        None => Err(locked),
    }
}

/// Resolves a contact reference among live contacts (or trashed ones, for `restore`).
pub fn find_contact(contacts: &[Contact], query: &str, trashed: bool) -> Result<Contact> {
    // A merged contact is in the trash, but its id still resolves (to the survivor).
    let pool: Vec<Contact> = contacts
        .iter()
        .filter(|c| c.is_trashed() == trashed || (!trashed && c.merged_into.is_some()))
        .cloned()
        .collect();
    match resolve_contact(query, &pool) {
        Ok(c) => Ok(c.clone()),
        Err(e @ ResolveError::Ambiguous { .. }) => {
            let mut msg = e.to_string();
            if let ResolveError::Ambiguous { candidates, .. } = &e {
                for (id, name) in candidates.iter().take(20) {
                    msg.push_str(&format!("\n  {id}  {name}"));
                }
            }
            Err(NotFound(msg).into())
        }
        Err(e) => {
            let hint = if trashed { " in the trash" } else { "" };
            Err(NotFound(format!("{e}{hint}")).into())
        }
    }
}

/// Resolves a contact reference, reading only one record when it is an exact id (the common
/// case for scripts), and every contact otherwise.
pub fn lookup_contact(
    view: &rapport_store::ReadView<'_>,
    query: &str,
    trashed: bool,
) -> Result<Contact> {
    if let Ok(id) = query.trim().parse::<rapport_model::ContactId>() {
        if let Some(found) = view.contact(id)? {
            if found.contact.is_trashed() == trashed && found.contact.merged_into.is_none() {
                return Ok(found.contact);
            }
        }
    }
    find_contact(&view.contacts()?, query, trashed)
}

/// Resolves a group by id or case-insensitive name, among live (or deleted) groups.
pub fn find_group(groups: &[Group], query: &str, deleted: bool) -> Result<Group> {
    let q = query.trim();
    let pool: Vec<&Group> = groups
        .iter()
        .filter(|g| g.deleted.is_some() == deleted)
        .collect();
    if let Ok(id) = q.parse::<GroupId>() {
        if let Some(g) = pool.iter().find(|g| g.id == id) {
            return Ok((*g).clone());
        }
    }
    let matches: Vec<&&Group> = pool
        .iter()
        .filter(|g| g.name.eq_ignore_ascii_case(q))
        .collect();
    match matches.as_slice() {
        [one] => Ok((**one).clone()),
        [] => {
            let state = if deleted { "deleted group" } else { "group" };
            Err(NotFound(format!(
                "no {state} is named `{q}`: see `rapport group list{}`",
                if deleted { " --deleted" } else { "" }
            ))
            .into())
        }
        many => {
            let mut msg = format!("`{q}` names {} deleted groups: use the id", many.len());
            for g in many {
                msg.push_str(&format!("\n  {}  {}", g.id, g.name));
            }
            Err(NotFound(msg).into())
        }
    }
}
