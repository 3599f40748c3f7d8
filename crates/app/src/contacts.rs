//! Requests that change contacts and log interactions. Each is one user action: one commit,
//! acknowledged only once it is durable.

use crate::home::Home;
use crate::request::{ContactEdit, ContactFields, NewNote, TagChange};
use crate::resolve::lookup_contact;
use crate::response::Response;
use crate::{time, AppError};
use rapport_model::{Contact, ContactId, ContactPatch, InteractionId, NewInteraction};
use rapport_store::ReadView;

/// Turns the shared fields into a patch, resolving `introduced_by` in the view (which reads
/// one record for an id, and every contact only for a name: not on every add and edit).
fn patch_from(fields: &ContactFields, view: &ReadView<'_>) -> Result<ContactPatch, AppError> {
    let introduced_by = match &fields.introduced_by {
        Some(q) => Some(lookup_contact(view, q, false)?.id),
        None => None,
    };
    Ok(ContactPatch {
        org: fields.org.clone(),
        title: fields.title.clone(),
        notes: fields.notes.clone(),
        trust: fields.trust,
        met_on: fields.met_on.clone(),
        met_at: fields.met_at.clone(),
        met_context: fields.met_context.clone(),
        introduced_by,
        connected_on: fields.connected_on.clone(),
        add_emails: fields.emails.clone(),
        add_phones: fields.phones.clone(),
        add_links: fields.urls.clone(),
        add_tags: fields.tags.clone(),
        ..Default::default()
    })
}

pub fn add(home: &Home, name: &str, fields: &ContactFields) -> Result<Response, AppError> {
    let id = home.write(|vault, view| {
        let mut patch = patch_from(fields, view)?;
        patch.name = Some(name.to_owned());
        let id = ContactId::random(&mut rand::thread_rng());
        vault.add_contact(id, &patch, time::now_ms())?;
        Ok(id)
    })?;
    Ok(Response::Created { id: id.to_string() })
}

pub fn edit(home: &Home, query: &str, edit: &ContactEdit) -> Result<Response, AppError> {
    let (contact, changed) = edit_contact(home, query, |view| {
        let mut patch = patch_from(&edit.fields, view)?;
        patch.name = edit.name.clone();
        patch.clear = edit.clear.clone();
        patch.remove_emails = edit.remove_emails.clone();
        patch.remove_phones = edit.remove_phones.clone();
        patch.remove_links = edit.remove_urls.clone();
        patch.remove_tags = edit.remove_tags.clone();
        Ok(patch)
    })?;
    Ok(Response::Edited {
        id: contact.id,
        name: contact.name,
        changed,
    })
}

/// Edits the contact `query` names with the patch `make` builds from the view; returns the
/// contact as it was and whether it changed. Without a loaded vault (a one-shot command) the
/// edit is appended to the stored document without loading it, as a note is: at W30 loading
/// takes seconds and the edit needs none of it. Whatever the append cannot write (a conflict
/// on the contact, a membership) goes through the vault.
fn edit_contact(
    home: &Home,
    query: &str,
    make: impl Fn(&ReadView<'_>) -> Result<ContactPatch, AppError>,
) -> Result<(Contact, bool), AppError> {
    let now = time::now_ms();
    let mut found = None;
    let appended = home.append_contact_edit(now, |view| {
        let contact = lookup_contact(view, query, false)?;
        let patch = make(view)?;
        let id = contact.id;
        found = Some(contact);
        Ok((id, patch))
    })?;
    if let (Some(changed), Some(contact)) = (appended, found) {
        return Ok((contact, changed));
    }
    home.write(|vault, view| {
        let contact = lookup_contact(view, query, false)?;
        let patch = make(view)?;
        let changed = vault.edit_contact(contact.id, &patch, now)?;
        Ok((contact, changed))
    })
}

pub fn note(home: &Home, note: &NewNote) -> Result<Response, AppError> {
    let now = time::now_ms();
    let new_interaction = |view: &ReadView<'_>| -> Result<NewInteraction, AppError> {
        let mut ids = vec![lookup_contact(view, &note.contact, false)?.id];
        for w in &note.with {
            let other = lookup_contact(view, w, false)?.id;
            if !ids.contains(&other) {
                ids.push(other);
            }
        }
        Ok(NewInteraction {
            contacts: ids,
            at: note.at.unwrap_or(now),
            kind: note.kind,
            text: note.text.clone(),
            place: note.place.clone(),
        })
    };
    // Without a loaded vault (a one-shot command), a plain note is appended to the stored
    // document without loading it: at W30 that is the difference between 1.3 s and a few
    // tens of milliseconds. A follow-up also edits the contact, which needs the document.
    if note.follow_up.is_none() {
        let id = InteractionId::random(&mut rand::thread_rng());
        if home.append_interaction(id, now, new_interaction)? {
            return Ok(Response::Created { id: id.to_string() });
        }
    }
    let id = home.write(|vault, view| {
        let new = new_interaction(view)?;
        let id = InteractionId::random(&mut rand::thread_rng());
        match note.follow_up {
            Some(due) => vault.add_note_with_follow_up(id, &new, due, now)?,
            None => vault.add_interaction(id, &new, now)?,
        }
        Ok(id)
    })?;
    Ok(Response::Created { id: id.to_string() })
}

pub fn tag(home: &Home, query: &str, changes: &[TagChange]) -> Result<Response, AppError> {
    let mut patch = ContactPatch::default();
    for change in changes {
        match change {
            TagChange::Add(t) => patch.add_tags.push(t.clone()),
            TagChange::Remove(t) => patch.remove_tags.push(t.clone()),
        }
    }
    let (contact, _) = edit_contact(home, query, |_| Ok(patch.clone()))?;
    let after = home.read(|v| v.contact_record(contact.id))?;
    Ok(Response::Tagged {
        id: contact.id,
        name: contact.name,
        tags: after
            .map(|c| c.tags.into_iter().collect())
            .unwrap_or_default(),
    })
}

pub fn trash(home: &Home, query: &str) -> Result<Response, AppError> {
    let contact = home.write(|vault, view| {
        let contact = lookup_contact(view, query, false)?;
        vault.trash_contact(contact.id, time::now_ms())?;
        Ok(contact)
    })?;
    Ok(Response::Trashed {
        id: contact.id,
        name: contact.name,
    })
}

pub fn restore(home: &Home, query: &str) -> Result<Response, AppError> {
    let contact = home.write(|vault, view| {
        let contact = lookup_contact(view, query, true)?;
        vault.restore_contact(contact.id, time::now_ms())?;
        Ok(contact)
    })?;
    Ok(Response::Restored {
        id: contact.id,
        name: contact.name,
    })
}
