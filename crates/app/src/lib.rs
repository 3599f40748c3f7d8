//! Rapport's application layer: every user action as a typed `Request`, answered by a typed
//! `Response` or an `AppError`. The CLI, the daemon's socket and the web app all call
//! `App::handle` (or `handle` with a borrowed `Home`); none of them fakes a command line.
//!
//! Architecture invariant: nothing here prints or exits the process. Notes for the user made
//! on the side (a cache rebuilt) are collected by the `Home` (`Home::take_notes`); the front
//! end decides how to show them.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod conflicts;
mod contacts;
mod dedupe;
pub mod device;
pub mod devices;
mod error;
pub mod exit;
pub mod export;
mod groups;
mod guard;
mod history;
pub mod home;
pub mod import;
pub mod json;
pub mod maintenance;
pub mod node_host;
mod quarantine;
mod read;
mod relate;
mod relay;
pub mod render;
pub mod reports;
pub mod request;
pub mod resolve;
pub mod response;
pub mod time;
pub mod wire;

pub use device::init;
pub use error::{AppError, Candidate, ErrorBody, ErrorJson, ErrorKind};
pub use home::Home;
pub use maintenance::repair;
/// The model's types, for front ends that speak only to the app (the web crate).
pub use rapport_model as model;

/// The read view's types, for a front end that reads through `Home::read`.
pub mod view {
    pub use rapport_store::{ContactView, ReadView, StoreError, ViewMark};
}
pub use reports::{
    CheckReport, ImportReport, PeerState, RepairReport, Roster, RosterEntry, SyncState,
};
pub use request::{
    CadenceTarget, ContactEdit, ContactFields, ExportFormat, GroupRequest, ImportSource,
    ListFilter, Millis, NewNote, QuarantineRequest, RelayRequest, Request, TagChange,
};
pub use response::{
    Card, ConflictList, ContactList, GroupCard, GroupSummary, HeldBack, Response, SearchHits,
    Snoozed,
};

/// An open data folder, ready to answer requests.
#[derive(Debug)]
pub struct App {
    home: Home,
}

impl App {
    /// Opens the device's data folder `dir` (it must hold a device: see `rapport init`).
    pub fn open(dir: &std::path::Path) -> Result<App, AppError> {
        Ok(App {
            home: Home::open(dir, None)?,
        })
    }

    pub fn from_home(home: Home) -> App {
        App { home }
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn into_home(self) -> Home {
        self.home
    }

    /// Runs one request: a write is durable when this returns `Ok`.
    pub fn handle(&self, request: &Request) -> Result<Response, AppError> {
        handle(&self.home, request)
    }
}

/// Runs one request against an open home.
pub fn handle(home: &Home, request: &Request) -> Result<Response, AppError> {
    handle_with_progress(home, request, &mut |_, _| {})
}

/// `handle`, telling `progress(done, total)` how a long write goes (an import), for a front
/// end that shows a progress bar.
pub fn handle_with_progress(
    home: &Home,
    request: &Request,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Response, AppError> {
    match request {
        Request::Add { name, fields } => contacts::add(home, name, fields),
        Request::Edit { contact, edit } => contacts::edit(home, contact, edit),
        Request::Note(note) => contacts::note(home, note),
        Request::Tag { contact, changes } => contacts::tag(home, contact, changes),
        Request::Trash { contact } => contacts::trash(home, contact),
        Request::Restore { contact } => contacts::restore(home, contact),
        Request::List(filter) => read::list(home, filter),
        Request::Show { contact } => read::show(home, contact),
        Request::Search { query } => read::search(home, query),
        Request::ListTrash => read::trash(home),
        Request::Group(group) => groups::handle(home, group),
        Request::Intro { target, max_hops } => relate::intro(home, target, *max_hops),
        Request::IntroGraph { group } => relate::graph(home, group.as_deref()),
        Request::Introduce {
            a,
            b,
            note,
            at,
            set_introduced_by,
        } => relate::introduce(home, (a, b), note.as_deref(), *at, *set_introduced_by),
        Request::Cadence { target, period } => relate::cadence(home, target, *period),
        Request::Done { follow_up } => relate::done(home, *follow_up),
        Request::Snooze { target, period } => relate::snooze(home, target, *period),
        Request::Due { within, calendar } => relate::due(home, *within, *calendar),
        Request::Brief { contact } => relate::brief(home, contact),
        Request::Conflicts => conflicts::list(home),
        Request::Resolve {
            contact,
            field,
            value,
        } => conflicts::resolve(home, contact, *field, value),
        Request::Quarantine(q) => quarantine::handle(home, q),
        Request::Log {
            contact,
            group,
            limit,
        } => history::log(home, contact.as_deref(), group.as_deref(), *limit),
        Request::ShowAt { contact, at } => history::show_at(home, contact, at),
        Request::Revert { contact, to } => history::revert(home, contact, to),
        Request::Undo { change } => history::undo(home, change.as_deref()),
        Request::ImportUndo => history::import_undo(home),
        Request::Dedupe { apply } => dedupe::dedupe(home, *apply),
        Request::Merge { a, b } => dedupe::merge(home, a, b),
        Request::ThisDevice => device::describe(home),
        Request::Status => devices::status(home),
        Request::Devices => Ok(Response::Devices(devices::roster(home)?)),
        Request::AddDevice { id, name, endpoint } => {
            devices::add(home, *id, name.as_deref(), *endpoint)
        }
        Request::Revoke { device } => devices::revoke(home, device),
        Request::Leave => devices::leave(home),
        Request::Export { format, out } => export::export(home, *format, out.as_deref()),
        Request::Import { source, dry_run } => import::run(home, source, *dry_run, progress),
        Request::Check => maintenance::check(home),
        Request::Backup { path } => export::backup(home, path.as_deref()),
        Request::RestoreBackup { path } => export::restore(home, path),
        Request::Relay(r) => relay::handle(home, r),
    }
}

/// The patch that sets a contact's `field` to what the user typed (`resolve`, and the web
/// app's field editor).
pub use conflicts::patch_for;

/// Every interaction that involved a contact at any time (for reading its past).
pub use history::interaction_candidates;
