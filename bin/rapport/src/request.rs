//! From the parsed command line to a typed `Request`, once. The commands whose logic has not
//! moved into rapport-app yet come back unchanged.

use crate::cli::{Command, ContactArgs, EditArgs, GroupCommand};
use rapport_app::{ContactEdit, ContactFields, GroupRequest, ListFilter, NewNote, Request};

/// The request a command makes and whether it asked for `--json`, or the command itself when
/// it is still run by `cmd`.
pub fn from_command(command: Command) -> Result<(Request, bool), Box<Command>> {
    Ok(match command {
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
        other => return Err(Box::new(other)),
    })
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
