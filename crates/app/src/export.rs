//! `export vcard|csv|json` (every live contact: not the trash, not merged ones), and `backup`
//! and `restore-backup`: the vault as a standard Automerge document (the bytes of `save()`,
//! schema in docs/SCHEMA.md), written atomically, and merged back, never replaced.

use crate::home::Home;
use crate::json::{contact_json, group_names, interaction_json, live_groups_json};
use crate::request::ExportFormat;
use crate::response::Response;
use crate::AppError;
use rapport_model::automerge::AutoCommit;
use rapport_model::Contact;
use std::path::Path;

/// A backup larger than this is refused before it is read: W1 (10k contacts, 100k
/// interactions) saves to ~6 MB, so this is room for a vault two orders of magnitude larger.
const MAX_BACKUP_BYTES: u64 = 1 << 30;

/// The export as text (every format is UTF-8), or, with `out`, written there atomically.
pub fn export(home: &Home, format: ExportFormat, out: Option<&Path>) -> Result<Response, AppError> {
    let text = match format {
        ExportFormat::Vcard => vcard(home)?,
        ExportFormat::Csv => csv(home)?,
        ExportFormat::Json => json(home)?,
    };
    match out {
        Some(path) => {
            write_atomically(path, text.as_bytes())?;
            Ok(Response::Wrote {
                path: path.to_owned(),
                bytes: text.len(),
            })
        }
        None => Ok(Response::Export(text)),
    }
}

fn live(mut contacts: Vec<Contact>) -> Vec<Contact> {
    contacts.retain(|c| !c.is_trashed());
    contacts.sort_by_cached_key(|c| (c.name.to_lowercase(), c.id));
    contacts
}

fn utf8(bytes: Vec<u8>) -> Result<String, AppError> {
    String::from_utf8(bytes).map_err(|_| {
        AppError::Failed("an export came out as invalid UTF-8: please report it".into())
    })
}

fn written(e: impl std::fmt::Display) -> AppError {
    AppError::Failed(format!("could not write the export: {e}"))
}

/// vCard needs each contact's kept properties, which live only in the document.
fn vcard(home: &Home) -> Result<String, AppError> {
    home.with_vault(|vault| {
        let contacts = live(vault.contacts()?);
        let mut pairs = Vec::with_capacity(contacts.len());
        for c in &contacts {
            pairs.push((c, vault.contact_extras(c.id)?.unwrap_or_default()));
        }
        let mut out = Vec::new();
        rapport_formats::vcard_out::write_all(&mut out, pairs.iter().map(|(c, e)| (*c, e)))
            .map_err(written)?;
        utf8(out)
    })
}

fn csv(home: &Home) -> Result<String, AppError> {
    let (contacts, groups) = home.read(|v| Ok((v.contacts()?, v.groups()?)))?;
    let names = group_names(&groups)
        .into_iter()
        .map(|(id, n)| (id, n.to_owned()))
        .collect();
    let mut out = Vec::new();
    rapport_formats::csv_out::write_all(&mut out, &live(contacts), &names).map_err(written)?;
    utf8(out)
}

/// `contacts` in the shape of `list --json`, each with its `interactions`; then the live
/// `groups` and the cadences set per tag, which belong to no contact.
fn json(home: &Home) -> Result<String, AppError> {
    let (contacts, groups, timelines, tag_cadences) = home.read(|v| {
        let contacts = live(v.contacts()?);
        let mut timelines = Vec::with_capacity(contacts.len());
        for c in &contacts {
            timelines.push(v.timeline(c.id)?);
        }
        Ok((contacts, v.groups()?, timelines, v.tag_cadences()?))
    })?;
    let names = group_names(&groups);
    let contacts_json: Vec<_> = contacts
        .iter()
        .zip(&timelines)
        .map(|(c, t)| {
            let mut j = contact_json(c, &names);
            j.interactions = Some(t.iter().map(interaction_json).collect());
            j
        })
        .collect();
    let tag_cadences: std::collections::BTreeMap<_, _> = tag_cadences
        .iter()
        .map(|(tag, every)| (tag, every.to_string()))
        .collect();
    let out = serde_json::json!({
        "contacts": contacts_json,
        "groups": live_groups_json(&groups, &contacts),
        "tag_cadences": tag_cadences,
    });
    let mut text = serde_json::to_string_pretty(&out)
        .map_err(|e| AppError::Failed(format!("could not write the export: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// The vault's document as `save()` writes it, to `path` (atomically) or as bytes.
pub fn backup(home: &Home, path: Option<&Path>) -> Result<Response, AppError> {
    let (bytes, contacts) = home.with_vault(|vault| {
        let bytes = vault.doc_mut().save();
        let contacts = vault.contacts()?.iter().filter(|c| !c.is_trashed()).count();
        Ok::<_, AppError>((bytes, contacts))
    })?;
    let Some(path) = path else {
        return Ok(Response::Backup(bytes));
    };
    write_atomically(path, &bytes)?;
    Ok(Response::BackedUp {
        path: path.to_owned(),
        contacts,
        bytes: bytes.len(),
    })
}

/// Merges a backup into the vault: what the vault holds stays, what only the backup holds
/// comes back.
pub fn restore(home: &Home, path: &Path) -> Result<Response, AppError> {
    let unreadable = || format!("could not read {}: check the path", path.display());
    let size = std::fs::metadata(path)
        .map_err(AppError::file(unreadable()))?
        .len();
    if size > MAX_BACKUP_BYTES {
        return Err(AppError::BadInput(format!(
            "{} is {size} bytes, over the {MAX_BACKUP_BYTES}-byte limit for a backup: check that it is a file written by `rapport backup`",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(AppError::file(unreadable()))?;
    let not_a_backup = || {
        AppError::BadInput(format!(
            "{} is not an Automerge document: give a file written by `rapport backup`",
            path.display()
        ))
    };
    if bytes.is_empty() {
        return Err(not_a_backup());
    }
    let doc = AutoCommit::load(&bytes).map_err(|_| not_a_backup())?;
    let touched = home.write(|vault, _| {
        vault.merge_backup(doc.clone()).map_err(|e| {
            AppError::BadInput(format!("{} cannot be restored here: {e}", path.display()))
        })
    })?;
    Ok(Response::BackupMerged {
        path: path.to_owned(),
        changed: !touched.is_empty(),
        contacts: touched.contacts.len(),
        interactions: touched.interactions.len(),
        groups: touched.groups.len(),
    })
}

/// Writes `bytes` to `path` so that it holds either the old content or all of the new, even
/// after a crash or power cut (the store's one atomic write).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    rapport_store::write_atomically(path, bytes, rapport_store::DirSync::Now).map_err(
        AppError::file(format!(
            "could not write {}: check the folder exists and is writable",
            path.display()
        )),
    )
}
