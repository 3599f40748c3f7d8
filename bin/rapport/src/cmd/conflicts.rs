//! `conflicts` and `resolve`: fields where devices made concurrent edits that Automerge settled
//! on its own, and the explicit settlement. Listing reads the view's conflict index only.

use crate::home::Home;
use crate::time;
use anyhow::Result;
use rapport_app::json::device_label;
use rapport_app::resolve::find_contact;
use rapport_app::AppError;
use rapport_model::{Conflict, ContactField, ContactPatch, RecordRef, TrustLevel, Written};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct WrittenJson {
    value: String,
    device: Option<String>,
    device_name: String,
    at: Option<String>,
}

#[derive(Debug, Serialize)]
struct ConflictJson {
    record: &'static str,
    id: String,
    name: String,
    field: String,
    winner: WrittenJson,
    others: Vec<WrittenJson>,
}

pub fn list(home: &Home, json: bool) -> Result<()> {
    let (conflicts, devices) = home.read(|v| Ok((v.conflicts()?, v.devices()?)))?;
    let written = |w: &Written| WrittenJson {
        value: w.value.clone(),
        device: w.device.map(|d| d.to_string()),
        device_name: device_label(&devices, home.device, w.device),
        at: w.at.map(time::rfc3339),
    };
    if json {
        let out: Vec<ConflictJson> = conflicts
            .iter()
            .map(|c: &Conflict| {
                let (record, id) = match c.record {
                    RecordRef::Contact(id) => ("contact", id.to_string()),
                    RecordRef::Group(id) => ("group", id.to_string()),
                };
                ConflictJson {
                    record,
                    id,
                    name: c.name.clone(),
                    field: c.field.clone(),
                    winner: written(&c.winner),
                    others: c.others.iter().map(written).collect(),
                }
            })
            .collect();
        return crate::render::print_json(&out);
    }
    if conflicts.is_empty() {
        crate::out!("no conflicts: no field was edited on two devices at once");
        return Ok(());
    }
    for c in &conflicts {
        let (kind, id) = match c.record {
            RecordRef::Contact(id) => ("", id.to_string()),
            RecordRef::Group(id) => ("group ", id.to_string()),
        };
        crate::out!("{kind}{id}  {}  {}", c.name, c.field.replace('_', "-"));
        let line = |label: &str, w: &Written| {
            let who = written(w);
            crate::out!(
                "    {label:<5} {:?}  by {}{}",
                w.value,
                who.device_name,
                w.at.map(|t| format!(" at {}", time::local(t)))
                    .unwrap_or_default()
            );
        };
        line("kept", &c.winner);
        for o in &c.others {
            line("lost", o);
        }
    }
    if crate::out::is_terminal() {
        crate::note!(
            "{} conflicts; `rapport resolve CONTACT FIELD VALUE` settles one on every device",
            conflicts.len()
        );
    }
    Ok(())
}

pub fn resolve(home: &Home, query: &str, field: &str, value: &str) -> Result<()> {
    let field: ContactField = field.parse().map_err(|_| {
        AppError::BadInput(format!(
            "`{field}` is not a contact field: use name, org, title, notes, trust, met-on, met-at, met-context, introduced-by or connected-on"
        ))
    })?;
    let contact = super::write(home, |vault, view| {
        let contacts = view.contacts()?;
        let contact = find_contact(&contacts, query, false)
            .or_else(|e| find_contact(&contacts, query, true).map_err(|_| e))?;
        let has_conflict = vault
            .record_conflicts(RecordRef::Contact(contact.id))?
            .iter()
            .any(|c| c.field == field.key());
        if !has_conflict {
            return Err(AppError::NotFound(format!(
                "{} has no conflict on {field}: `rapport conflicts` lists them, `rapport edit` changes a field",
                contact.name
            ))
            .into());
        }
        let patch = patch_for(field, value, &contacts)?;
        vault.resolve_conflict(contact.id, field, &patch, time::now_ms())?;
        Ok(contact)
    })?;
    crate::out!(
        "resolved {} of {}  {}: every device will show {value:?} after a sync",
        field,
        contact.id,
        contact.name
    );
    Ok(())
}

/// The patch that sets `field` to what the user typed.
pub(crate) fn patch_for(
    field: ContactField,
    value: &str,
    contacts: &[rapport_model::Contact],
) -> Result<ContactPatch> {
    let mut p = ContactPatch::default();
    let v = Some(value.to_owned());
    match field {
        ContactField::Name => p.name = v,
        ContactField::Org => p.org = v,
        ContactField::Title => p.title = v,
        ContactField::Notes => p.notes = v,
        ContactField::MetAt => p.met_at = v,
        ContactField::MetContext => p.met_context = v,
        ContactField::MetOn => p.met_on = v,
        ContactField::ConnectedOn => p.connected_on = v,
        ContactField::Trust => {
            p.trust = Some(
                value
                    .parse::<TrustLevel>()
                    .map_err(|e| AppError::BadInput(e.to_string()))?,
            )
        }
        ContactField::IntroducedBy => {
            p.introduced_by = Some(find_contact(contacts, value, false)?.id)
        }
        ContactField::Cadence => {
            p.cadence = Some(
                value
                    .parse::<rapport_model::Period>()
                    .map_err(|e| AppError::BadInput(e.to_string()))?,
            )
        }
    }
    Ok(p)
}
