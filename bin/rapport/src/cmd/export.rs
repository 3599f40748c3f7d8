//! `rapport export vcard|csv|json`: every live contact (not the trash, not merged ones).

use super::backup::write_atomically;
use crate::cli::ExportFormat;
use crate::home::Home;
use anyhow::Result;
use rapport_app::json::{contact_json, group_names, interaction_json, live_groups_json};
use rapport_model::Contact;
use std::path::Path;

pub fn run(home: &Home, format: ExportFormat, out: Option<&Path>) -> Result<()> {
    let bytes = match format {
        ExportFormat::Vcard => vcard(home)?,
        ExportFormat::Csv => csv(home)?,
        ExportFormat::Json => json(home)?,
    };
    match out {
        Some(path) => {
            write_atomically(path, &bytes)?;
            crate::out!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        None => {
            let text = String::from_utf8_lossy(&bytes);
            crate::out!("{}", text.trim_end_matches(['\r', '\n']));
        }
    }
    Ok(())
}

fn live(mut contacts: Vec<Contact>) -> Vec<Contact> {
    contacts.retain(|c| !c.is_trashed());
    contacts.sort_by_cached_key(|c| (c.name.to_lowercase(), c.id));
    contacts
}

/// vCard needs each contact's kept properties, which live only in the document.
fn vcard(home: &Home) -> Result<Vec<u8>> {
    let vault = home.store.load_vault(home.device)?;
    let contacts = live(vault.contacts()?);
    let mut pairs = Vec::with_capacity(contacts.len());
    for c in &contacts {
        pairs.push((c, vault.contact_extras(c.id)?.unwrap_or_default()));
    }
    let mut out = Vec::new();
    rapport_formats::vcard_out::write_all(&mut out, pairs.iter().map(|(c, e)| (*c, e)))?;
    Ok(out)
}

fn csv(home: &Home) -> Result<Vec<u8>> {
    let (contacts, groups) = home.read(|v| Ok((v.contacts()?, v.groups()?)))?;
    let names = group_names(&groups)
        .into_iter()
        .map(|(id, n)| (id, n.to_owned()))
        .collect();
    let mut out = Vec::new();
    rapport_formats::csv_out::write_all(&mut out, &live(contacts), &names)?;
    Ok(out)
}

/// `contacts` in the shape of `list --json`, each with its `interactions`; then the live
/// `groups` and the cadences set per tag, which belong to no contact.
fn json(home: &Home) -> Result<Vec<u8>> {
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
    let mut bytes = serde_json::to_vec_pretty(&out)?;
    bytes.push(b'\n');
    Ok(bytes)
}
