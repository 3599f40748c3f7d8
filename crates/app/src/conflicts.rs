//! `conflicts` and `resolve`: fields where devices made concurrent edits that Automerge settled
//! on its own, and the explicit settlement. Listing reads the view's conflict index only.

use crate::home::Home;
use crate::resolve::find_contact;
use crate::response::{ConflictList, Response};
use crate::{time, AppError};
use rapport_model::{ContactField, ContactPatch, RecordRef, TrustLevel};

pub fn list(home: &Home) -> Result<Response, AppError> {
    let (conflicts, devices) = home.read(|v| Ok((v.conflicts()?, v.devices()?)))?;
    Ok(Response::Conflicts(ConflictList {
        conflicts,
        devices,
        this_device: home.device,
    }))
}

pub fn resolve(
    home: &Home,
    query: &str,
    field: ContactField,
    value: &str,
) -> Result<Response, AppError> {
    let contact = home.write(|vault, view| {
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
            )));
        }
        let patch = patch_for(field, value, &contacts)?;
        vault.resolve_conflict(contact.id, field, &patch, time::now_ms())?;
        Ok(contact)
    })?;
    Ok(Response::Resolved {
        field: field.to_string(),
        id: contact.id,
        name: contact.name,
        value: value.to_owned(),
    })
}

/// The patch that sets `field` to what the user typed.
pub fn patch_for(
    field: ContactField,
    value: &str,
    contacts: &[rapport_model::Contact],
) -> Result<ContactPatch, AppError> {
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
