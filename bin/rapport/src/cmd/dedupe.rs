//! `rapport dedupe` and `rapport merge`.

use crate::home::Home;
use crate::time;
use anyhow::Result;
use rapport_app::resolve::find_contact;
use rapport_formats::dedupe::{self, Duplicate};
use rapport_model::{Contact, ContactId};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Serialize)]
struct Named {
    id: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct DuplicateJson {
    keep: Named,
    merge: Named,
    certain: bool,
    reasons: Vec<String>,
}

pub fn dedupe(home: &Home, apply: bool, json: bool) -> Result<()> {
    let contacts = home.read(|v| v.contacts())?;
    let found = dedupe::find(&contacts);
    let names: HashMap<ContactId, &str> =
        contacts.iter().map(|c| (c.id, c.name.as_str())).collect();
    let name = |id: ContactId| names.get(&id).copied().unwrap_or("?").to_owned();
    if apply {
        return apply_certain(home, &found, &name);
    }
    if json {
        let out: Vec<DuplicateJson> = found
            .iter()
            .map(|d| DuplicateJson {
                keep: Named {
                    id: d.keep.to_string(),
                    name: name(d.keep),
                },
                merge: Named {
                    id: d.merge.to_string(),
                    name: name(d.merge),
                },
                certain: d.is_certain(),
                reasons: d.reasons.iter().map(ToString::to_string).collect(),
            })
            .collect();
        return crate::render::print_json(&out);
    }
    for d in &found {
        let reasons: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
        crate::out!(
            "{}  {} {}  <-  {} {}  ({})",
            if d.is_certain() {
                "certain "
            } else {
                "probable"
            },
            d.keep,
            name(d.keep),
            d.merge,
            name(d.merge),
            reasons.join("; ")
        );
    }
    let certain = found.iter().filter(|d| d.is_certain()).count();
    if found.is_empty() {
        crate::out!("no probable duplicates");
    } else if certain > 0 {
        crate::out!("{certain} certain (same email or URL): merge them with `rapport dedupe --apply`; others with `rapport merge A B`");
    }
    Ok(())
}

/// Merges the certain duplicates, each into the older contact, as one commit.
fn apply_certain(
    home: &Home,
    found: &[Duplicate],
    name: &dyn Fn(ContactId) -> String,
) -> Result<()> {
    let certain: Vec<&Duplicate> = found.iter().filter(|d| d.is_certain()).collect();
    if certain.is_empty() {
        crate::out!("no certain duplicates (same email or URL) to merge");
        return Ok(());
    }
    let now = time::now_ms();
    let merged = super::write(home, |vault, _| {
        let message = format!("dedupe: merge {} duplicate contacts", certain.len());
        vault.batch(&message, now, |v| -> Result<Vec<(ContactId, ContactId)>> {
            // A contact can be a duplicate of several: follow earlier merges of this run.
            let mut into: HashMap<ContactId, ContactId> = HashMap::new();
            let root = |into: &HashMap<ContactId, ContactId>, mut id: ContactId| {
                while let Some(next) = into.get(&id) {
                    id = *next;
                }
                id
            };
            let mut done = Vec::new();
            for d in &certain {
                let (keep, merge) = (root(&into, d.keep), root(&into, d.merge));
                if keep == merge {
                    continue;
                }
                v.merge_contacts(keep, merge, now)?;
                into.insert(merge, keep);
                done.push((keep, merge));
            }
            Ok(done)
        })
    })?;
    for (keep, merge) in &merged {
        crate::out!(
            "merged {merge} {} into {keep} {}",
            name(*merge),
            name(*keep)
        );
    }
    crate::out!("{} contacts merged", merged.len());
    Ok(())
}

pub fn merge(home: &Home, a: &str, b: &str) -> Result<()> {
    let now = time::now_ms();
    let (keep, gone, report) = super::write(home, |vault, view| {
        let contacts = view.contacts()?;
        let keep: Contact = find_contact(&contacts, a, false)?;
        let gone: Contact = find_contact(&contacts, b, false)?;
        let report = vault.merge_contacts(keep.id, gone.id, now)?;
        Ok((keep, gone, report))
    })?;
    crate::out!(
        "merged {} {} into {} {}: {} interactions moved; `rapport show {}` now shows {}",
        gone.id,
        gone.name,
        keep.id,
        keep.name,
        report.interactions_moved.len(),
        gone.id,
        keep.name
    );
    Ok(())
}
