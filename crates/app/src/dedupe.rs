//! `dedupe` and `merge`.

use crate::home::Home;
use crate::resolve::find_contact;
use crate::response::{DuplicateRow, Named, Response};
use crate::{time, AppError};
use rapport_formats::dedupe::{self, Duplicate};
use rapport_model::{Contact, ContactId};
use std::collections::HashMap;

pub fn dedupe(home: &Home, apply: bool) -> Result<Response, AppError> {
    let contacts = home.read(|v| v.contacts())?;
    let found = dedupe::find(&contacts);
    let names: HashMap<ContactId, &str> =
        contacts.iter().map(|c| (c.id, c.name.as_str())).collect();
    let named = |id: ContactId| Named {
        id: id.to_string(),
        name: names.get(&id).copied().unwrap_or("?").to_owned(),
    };
    if apply {
        return apply_certain(home, &found, &named);
    }
    Ok(Response::Duplicates(
        found
            .iter()
            .map(|d| DuplicateRow {
                keep: named(d.keep),
                merge: named(d.merge),
                certain: d.is_certain(),
                reasons: d.reasons.iter().map(ToString::to_string).collect(),
            })
            .collect(),
    ))
}

/// Merges the certain duplicates, each into the older contact, as one commit.
fn apply_certain(
    home: &Home,
    found: &[Duplicate],
    named: &dyn Fn(ContactId) -> Named,
) -> Result<Response, AppError> {
    let certain: Vec<&Duplicate> = found.iter().filter(|d| d.is_certain()).collect();
    if certain.is_empty() {
        return Ok(Response::Deduped(None));
    }
    let now = time::now_ms();
    let merged = home.write(|vault, _| {
        let message = format!("dedupe: merge {} duplicate contacts", certain.len());
        vault.batch(
            &message,
            now,
            |v| -> Result<Vec<(ContactId, ContactId)>, AppError> {
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
            },
        )
    })?;
    Ok(Response::Deduped(Some(
        merged
            .into_iter()
            .map(|(keep, merge)| (named(keep), named(merge)))
            .collect(),
    )))
}

pub fn merge(home: &Home, a: &str, b: &str) -> Result<Response, AppError> {
    let now = time::now_ms();
    let (keep, gone, report) = home.write(|vault, view| {
        let contacts = view.contacts()?;
        let keep: Contact = find_contact(&contacts, a, false)?;
        let gone: Contact = find_contact(&contacts, b, false)?;
        let report = vault.merge_contacts(keep.id, gone.id, now)?;
        Ok((keep, gone, report))
    })?;
    Ok(Response::Merged {
        keep: Named {
            id: keep.id.to_string(),
            name: keep.name,
        },
        gone: Named {
            id: gone.id.to_string(),
            name: gone.name,
        },
        interactions_moved: report.interactions_moved.len(),
    })
}
