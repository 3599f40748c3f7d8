//! From the parsed command line to a typed `Request`, once. The commands that need the store
//! to themselves or the network (init, repair, clone, pair, join, sync, serve...) are `route`'s.

use crate::cli::{
    Command, ContactArgs, DevicesCommand, EditArgs, ExportFormat, GroupCommand, ImportCommand,
    QuarantineCommand, RelayCommand,
};
use rapport_app::{
    AppError, CadenceTarget, ContactEdit, ContactFields, GroupRequest, ImportSource, ListFilter,
    NewNote, QuarantineRequest, RelayRequest, Request,
};
use rapport_model::Period;

/// Where a command goes.
pub enum Routed {
    /// The request it makes, and whether it asked for `--json`.
    App(Box<Request>, bool),
    /// A command the binary runs itself (`route`), with the store to itself or on the network.
    Bin,
}

/// The request a command makes, or `Bin` for the commands `route` runs itself; an
/// error when its arguments cannot make a request (one sentence, exit 2).
pub fn from_command(command: Command) -> Result<Routed, AppError> {
    let (request, json) = match command {
        Command::Add { name, fields } => (
            Request::Add {
                name,
                fields: fields_of(fields),
            },
            false,
        ),
        Command::Edit { contact, edit } => (
            Request::Edit {
                contact,
                edit: edit_of(edit),
            },
            false,
        ),
        Command::Note {
            contact,
            text,
            kind,
            at,
            place,
            with,
            follow_up,
        } => (
            Request::Note(NewNote {
                contact,
                text,
                kind,
                at,
                place,
                with,
                follow_up,
            }),
            false,
        ),
        Command::Tag { contact, changes } => (Request::Tag { contact, changes }, false),
        Command::Rm { contact } => (Request::Trash { contact }, false),
        Command::Restore { contact } => (Request::Restore { contact }, false),
        Command::List {
            tag,
            group,
            trust_at_least,
            json,
        } => (
            Request::List(ListFilter {
                tag,
                group,
                trust_at_least,
            }),
            json,
        ),
        Command::Show {
            contact,
            json,
            at: None,
        } => (Request::Show { contact }, json),
        Command::Search { query, json } => (Request::Search { query }, json),
        Command::Trash { json } => (Request::ListTrash, json),
        Command::Group { command } => {
            let (group, json) = group_of(command);
            (Request::Group(group), json)
        }
        Command::Intro {
            target,
            max_hops,
            graph,
            group,
            json,
        } => (
            if graph {
                Request::IntroGraph { group }
            } else {
                Request::Intro {
                    target: target.unwrap_or_default(),
                    max_hops,
                }
            },
            json,
        ),
        Command::Introduce {
            a,
            b,
            note,
            at,
            set_introduced_by,
        } => (
            Request::Introduce {
                a,
                b,
                note,
                at,
                set_introduced_by,
            },
            false,
        ),
        Command::Cadence {
            args,
            group,
            tag,
            clear,
        } => (cadence_of(args, group, tag, clear)?, false),
        Command::Done { follow_up } => (Request::Done { follow_up }, false),
        Command::Snooze { target, period } => (Request::Snooze { target, period }, false),
        Command::Due { within, json, ics } => (
            Request::Due {
                within,
                calendar: ics,
            },
            json,
        ),
        Command::Brief { contact, json } => (Request::Brief { contact }, json),
        Command::Conflicts { json } => (Request::Conflicts, json),
        Command::Resolve {
            contact,
            field,
            value,
        } => (
            Request::Resolve {
                contact,
                field,
                value,
            },
            false,
        ),
        Command::Quarantine { command } => quarantine_of(command),
        Command::Relay { command } => match command {
            RelayCommand::Show { json } => (Request::Relay(RelayRequest::Show), json),
            RelayCommand::Set { url } => (Request::Relay(RelayRequest::Set { url }), false),
            RelayCommand::Clear => (Request::Relay(RelayRequest::Clear), false),
        },
        Command::Show {
            contact,
            json,
            at: Some(at),
        } => (Request::ShowAt { contact, at }, json),
        Command::Log {
            contact,
            group,
            limit,
            json,
        } => (
            Request::Log {
                contact,
                group,
                limit,
            },
            json,
        ),
        Command::Revert { contact, to } => (Request::Revert { contact, to }, false),
        Command::Undo { change } => (Request::Undo { change }, false),
        Command::Dedupe { apply, json } => (Request::Dedupe { apply }, json),
        Command::Merge { a, b } => (Request::Merge { a, b }, false),
        Command::Device { json, .. } => (Request::ThisDevice, json),
        Command::Status { json } => (Request::Status, json),
        Command::Devices { command, json } => (devices_of(command)?, json),
        Command::Export { format, out } => (
            Request::Export {
                format: match format {
                    ExportFormat::Vcard => rapport_app::ExportFormat::Vcard,
                    ExportFormat::Csv => rapport_app::ExportFormat::Csv,
                    ExportFormat::Json => rapport_app::ExportFormat::Json,
                },
                out,
            },
            false,
        ),
        Command::Import { command } => (import_of(command), false),
        Command::Check { json } => (Request::Check, json),
        Command::Backup { path } => (Request::Backup { path: Some(path) }, false),
        Command::RestoreBackup { path } => (Request::RestoreBackup { path }, false),
        // Listed, not `_`, so that a new command must say where it goes.
        Command::Init { .. }
        | Command::Repair
        | Command::Clone { .. }
        | Command::Demo { .. }
        | Command::Serve { .. }
        | Command::Ui { .. }
        | Command::Pair { .. }
        | Command::Join { .. }
        | Command::Sync { .. } => return Ok(Routed::Bin),
    };
    Ok(Routed::App(Box::new(request), json))
}

fn devices_of(command: Option<DevicesCommand>) -> Result<Request, AppError> {
    Ok(match command {
        None => Request::Devices,
        Some(DevicesCommand::Add { id, name, endpoint }) => {
            Request::AddDevice { id, name, endpoint }
        }
        Some(DevicesCommand::Revoke { device }) => Request::Revoke { device },
        Some(DevicesCommand::Leave) => Request::Leave,
    })
}

fn import_of(command: ImportCommand) -> Request {
    let (source, dry_run) = match command {
        ImportCommand::Undo => return Request::ImportUndo,
        ImportCommand::Linkedin { file, dry_run } => (ImportSource::Linkedin { file }, dry_run),
        ImportCommand::Vcard { path, dry_run } => (ImportSource::Vcard { path }, dry_run),
        ImportCommand::Csv { file, map, dry_run } => (ImportSource::Csv { file, map }, dry_run),
    };
    Request::Import { source, dry_run }
}

fn quarantine_of(command: QuarantineCommand) -> (Request, bool) {
    let (q, json) = match command {
        QuarantineCommand::Show { json } => (QuarantineRequest::Show, json),
        QuarantineCommand::Accept => (QuarantineRequest::Accept, false),
        QuarantineCommand::Reject => (QuarantineRequest::Reject, false),
        QuarantineCommand::Threshold {
            max,
            percent,
            floor,
        } => (
            QuarantineRequest::Threshold {
                max,
                percent,
                floor,
            },
            false,
        ),
    };
    (Request::Quarantine(q), json)
}

/// `cadence CONTACT PERIOD`, `cadence --group G PERIOD`, `cadence --tag T PERIOD`, or any of
/// them with `--clear` instead of PERIOD.
fn cadence_of(
    args: Vec<String>,
    group: Option<String>,
    tag: Option<String>,
    clear: bool,
) -> Result<Request, AppError> {
    let usage = || {
        AppError::BadInput(
            "write `rapport cadence CONTACT PERIOD`, `rapport cadence --group GROUP PERIOD` or \
             `rapport cadence --tag TAG PERIOD` (PERIOD: 14d, 2w, 6mo, 1y), or --clear instead \
             of PERIOD"
                .to_owned(),
        )
    };
    let set = match (group, tag) {
        (Some(g), _) => Some(CadenceTarget::Group(g)),
        (None, Some(t)) => Some(CadenceTarget::Tag(t)),
        (None, None) => None,
    };
    let mut args = args.into_iter();
    let (target, period) = match (set, args.next(), args.next(), clear) {
        (Some(set), None, None, true) => (set, None),
        (Some(set), Some(p), None, false) => (set, Some(p)),
        (None, Some(c), None, true) => (CadenceTarget::Contact(c), None),
        (None, Some(c), Some(p), false) => (CadenceTarget::Contact(c), Some(p)),
        _ => return Err(usage()),
    };
    let period = period
        .map(|p| {
            p.parse::<Period>()
                .map_err(|e: rapport_model::ParsePeriodError| AppError::BadInput(e.to_string()))
        })
        .transpose()?;
    Ok(Request::Cadence { target, period })
}

fn group_of(command: GroupCommand) -> (GroupRequest, bool) {
    match command {
        GroupCommand::Create { name, description } => {
            (GroupRequest::Create { name, description }, false)
        }
        GroupCommand::Add { group, contacts } => (
            GroupRequest::Members {
                group,
                contacts,
                add: true,
            },
            false,
        ),
        GroupCommand::Remove { group, contacts } => (
            GroupRequest::Members {
                group,
                contacts,
                add: false,
            },
            false,
        ),
        GroupCommand::Rename { group, name } => (GroupRequest::Rename { group, name }, false),
        GroupCommand::Delete { group } => (GroupRequest::Delete { group }, false),
        GroupCommand::Restore { group } => (GroupRequest::Restore { group }, false),
        GroupCommand::List { deleted, json } => (GroupRequest::List { deleted }, json),
        GroupCommand::Show { group, json } => (GroupRequest::Show { group }, json),
    }
}

fn fields_of(a: ContactArgs) -> ContactFields {
    ContactFields {
        emails: a.email,
        phones: a.phone,
        urls: a.url,
        org: a.org,
        title: a.title,
        tags: a.tag,
        trust: a.trust,
        met_on: a.met_on,
        met_at: a.met_at,
        met_context: a.met_context,
        introduced_by: a.introduced_by,
        connected_on: a.connected_on,
        notes: a.notes,
    }
}

fn edit_of(e: EditArgs) -> ContactEdit {
    ContactEdit {
        name: e.name,
        fields: fields_of(e.fields),
        remove_emails: e.remove_email,
        remove_phones: e.remove_phone,
        remove_urls: e.remove_url,
        remove_tags: e.remove_tag,
        clear: e.clear,
    }
}
