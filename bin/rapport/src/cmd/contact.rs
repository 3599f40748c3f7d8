//! Commands that change contacts and log interactions. Each is one user action: one commit,
//! acknowledged only once it is durable.

use super::{find_contact, lookup_contact, BadInput};
use crate::cli::{ContactArgs, EditArgs};
use crate::home::Home;
use crate::time;
use anyhow::Result;
use rapport_model::{
    Contact, ContactField, ContactId, ContactPatch, InteractionId, InteractionKind, NewInteraction,
    TrustLevel,
};

/// Turns the shared options into a patch, resolving `--introduced-by` among `contacts`.
fn patch_from(args: &ContactArgs, contacts: &[Contact]) -> Result<ContactPatch> {
    let trust = args
        .trust
        .as_deref()
        .map(|t| t.parse::<TrustLevel>())
        .transpose()
        .map_err(|e| BadInput(e.to_string()))?;
    let introduced_by = match &args.introduced_by {
        Some(q) => Some(find_contact(contacts, q, false)?.id),
        None => None,
    };
    Ok(ContactPatch {
        org: args.org.clone(),
        title: args.title.clone(),
        notes: args.notes.clone(),
        trust,
        met_on: args.met_on.clone(),
        met_at: args.met_at.clone(),
        met_context: args.met_context.clone(),
        introduced_by,
        connected_on: args.connected_on.clone(),
        add_emails: args.email.clone(),
        add_phones: args.phone.clone(),
        add_links: args.url.clone(),
        add_tags: args.tag.clone(),
        ..Default::default()
    })
}

pub fn add(home: &Home, name: String, fields: ContactArgs) -> Result<()> {
    let id = home.write(|vault, view| {
        let mut patch = patch_from(&fields, &view.contacts()?)?;
        patch.name = Some(name.clone());
        let id = ContactId::random(&mut rand::thread_rng());
        vault.add_contact(id, &patch, time::now_ms())?;
        Ok(id)
    })?;
    crate::out!("{id}");
    Ok(())
}

pub fn edit(home: &Home, query: &str, args: EditArgs) -> Result<()> {
    let clear = args
        .clear
        .iter()
        .map(|f| f.parse::<ContactField>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BadInput(e.to_string()))?;
    let (contact, changed) = home.write(|vault, view| {
        let contacts = view.contacts()?;
        let contact = find_contact(&contacts, query, false)?;
        let mut patch = patch_from(&args.fields, &contacts)?;
        patch.name = args.name.clone();
        patch.clear = clear.clone();
        patch.remove_emails = args.remove_email.clone();
        patch.remove_phones = args.remove_phone.clone();
        patch.remove_links = args.remove_url.clone();
        patch.remove_tags = args.remove_tag.clone();
        let changed = vault.edit_contact(contact.id, &patch, time::now_ms())?;
        Ok((contact, changed))
    })?;
    if changed {
        crate::out!("updated {}  {}", contact.id, contact.name);
    } else {
        crate::out!(
            "unchanged {}  {} (it already looked like that)",
            contact.id,
            contact.name
        );
    }
    Ok(())
}

/// What `rapport note` was given, besides the contact.
#[derive(Debug)]
pub struct NoteArgs<'a> {
    pub text: String,
    pub kind: &'a str,
    pub at: Option<&'a str>,
    pub place: Option<String>,
    pub with: &'a [String],
    /// A follow-up due on this day, attached to the note (in the same commit).
    pub follow_up: Option<chrono::NaiveDate>,
}

pub fn note(home: &Home, query: &str, args: NoteArgs<'_>) -> Result<()> {
    let NoteArgs {
        text,
        kind,
        at,
        place,
        with,
        follow_up,
    } = args;
    let kind: InteractionKind = kind
        .parse()
        .map_err(|e: rapport_model::ParseKindError| BadInput(e.to_string()))?;
    let now = time::now_ms();
    let at = at.map(time::parse_at).transpose()?.unwrap_or(now);
    let id = home.write(|vault, view| {
        let mut ids = vec![lookup_contact(view, query, false)?.id];
        for w in with {
            let other = lookup_contact(view, w, false)?.id;
            if !ids.contains(&other) {
                ids.push(other);
            }
        }
        let id = InteractionId::random(&mut rand::thread_rng());
        let new = NewInteraction {
            contacts: ids,
            at,
            kind,
            text: text.clone(),
            place: place.clone(),
        };
        match follow_up {
            Some(due) => vault.add_note_with_follow_up(id, &new, due, now)?,
            None => vault.add_interaction(id, &new, now)?,
        }
        Ok(id)
    })?;
    crate::out!("{id}");
    Ok(())
}

pub fn tag(home: &Home, query: &str, changes: &[String]) -> Result<()> {
    let mut patch = ContactPatch::default();
    for change in changes {
        match change.split_at_checked(1) {
            Some(("+", t)) => patch.add_tags.push(t.to_owned()),
            Some(("-", t)) => patch.remove_tags.push(t.to_owned()),
            _ => patch.add_tags.push(change.clone()),
        }
    }
    let contact = home.write(|vault, view| {
        let contact = lookup_contact(view, query, false)?;
        vault.edit_contact(contact.id, &patch, time::now_ms())?;
        Ok(contact)
    })?;
    let after = home.read(|v| v.contact(contact.id))?;
    let tags: Vec<String> = after
        .map(|c| {
            c.contact
                .tags
                .into_iter()
                .map(|t| format!("#{t}"))
                .collect()
        })
        .unwrap_or_default();
    crate::out!("{}  {}  {}", contact.id, contact.name, tags.join(" "));
    Ok(())
}

pub fn trash(home: &Home, query: &str) -> Result<()> {
    let contact = home.write(|vault, view| {
        let contact = lookup_contact(view, query, false)?;
        vault.trash_contact(contact.id, time::now_ms())?;
        Ok(contact)
    })?;
    crate::out!(
        "moved to the trash: {}  {} (undo with `rapport restore {}`)",
        contact.id,
        contact.name,
        contact.id
    );
    Ok(())
}

pub fn restore(home: &Home, query: &str) -> Result<()> {
    let contact = home.write(|vault, view| {
        let contact = lookup_contact(view, query, true)?;
        vault.restore_contact(contact.id, time::now_ms())?;
        Ok(contact)
    })?;
    crate::out!("restored {}  {}", contact.id, contact.name);
    Ok(())
}
