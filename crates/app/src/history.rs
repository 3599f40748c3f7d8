//! `log`, `show --at`, `revert`, `undo` and `import undo`: history and time travel.
//!
//! `log CONTACT|--group G` reads the store's per-record history index (no document load);
//! the others need the document, which they read through the loaded vault.

use crate::home::Home;
use crate::resolve::{find_group, lookup_contact};
use crate::response::{ContactAt, LogEntry, Response};
use crate::{time, AppError};
use rapport_model::automerge::ChangeHash;
use rapport_model::{
    ChangeInfo, Contact, ContactId, DeviceId, HistoryError, InteractionId, RecordRef, Vault,
};
use rapport_store::{HistoryEntry, ReadView, StoreError};
use std::collections::{BTreeMap, BTreeSet};

fn entry(e: &HistoryEntry, names: &BTreeMap<DeviceId, String>) -> LogEntry {
    LogEntry {
        change: e.change().to_string(),
        time: time::rfc3339(e.time),
        device: e.device.map(|d| d.to_string()),
        device_name: e.device.and_then(|d| names.get(&d).cloned()),
        message: e.summary().to_owned(),
        fields: e.fields.clone(),
        bulk: e.bulk,
    }
}

pub fn log(
    home: &Home,
    contact: Option<&str>,
    group: Option<&str>,
    limit: Option<usize>,
) -> Result<Response, AppError> {
    let names: BTreeMap<DeviceId, String> = home
        .read(|v| v.devices())?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let record = match (contact, group) {
        (None, None) => None,
        (Some(q), _) => Some(RecordRef::Contact(resolve_any(home, q)?.id)),
        (None, Some(g)) => {
            let groups = home.read(|v| v.groups())?;
            let g = find_group(&groups, g, false)
                .or_else(|e| find_group(&groups, g, true).map_err(|_| e))?;
            Some(RecordRef::Group(g.id))
        }
    };
    ensure_history_index(home)?;
    // Every change of the vault, or those of one record, newest first.
    let entries = match record {
        None => home.read(|v| v.vault_history(limit))?,
        Some(record) => home.read(|v| v.history(record, limit))?,
    };
    Ok(Response::Log(
        entries.iter().map(|e| entry(e, &names)).collect(),
    ))
}

/// The per-record index covers every stored change (it may not after a clone): catch it up,
/// once, from the loaded vault.
fn ensure_history_index(home: &Home) -> Result<(), AppError> {
    if !home.store.history_is_current()? {
        home.with_vault(|vault| Ok::<_, AppError>(home.store.index_history(vault)?))?;
    }
    Ok(())
}

/// A contact, live or in the trash (an exact id reads one record, not every contact).
fn resolve_any(home: &Home, query: &str) -> Result<Contact, AppError> {
    home.read(|v| Ok(resolve_in(v, query)))?
}

fn resolve_in(view: &ReadView<'_>, query: &str) -> Result<Contact, AppError> {
    lookup_contact(view, query, false).or_else(|e| lookup_contact(view, query, true).map_err(|_| e))
}

/// A point in the past: a time the CLI accepts, or a change id (prefix); with a label.
fn point(vault: &mut Vault, input: &str) -> Result<(Vec<ChangeHash>, String), AppError> {
    if let Ok(ms) = time::parse_at(input) {
        return Ok((vault.heads_at_time(ms), local_seconds(ms)));
    }
    let hex = input.trim();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::BadInput(format!(
            "`{input}` is neither a time nor a change id: write YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", an RFC 3339 time, or a change id from `rapport log`"
        )));
    }
    let hash = vault.find_change(hex).map_err(history_error)?;
    Ok((vec![hash], format!("change {}", &hash.to_string()[..8])))
}

/// A time as people read it, to the second (commit times have one-second resolution).
pub(crate) fn local_seconds(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A history error, classified for its exit code.
pub(crate) fn history_error(e: HistoryError) -> AppError {
    match e {
        HistoryError::NoSuchChange(_)
        | HistoryError::AmbiguousChange(_)
        | HistoryError::NotYetThere => AppError::NotFound(e.to_string()),
        HistoryError::ChangeTooShort(_) => AppError::BadInput(e.to_string()),
        HistoryError::Edit(e) => e.into(),
        HistoryError::Read(e) => e.into(),
        other => AppError::Failed(other.to_string()),
    }
}

/// Every interaction that involved a contact now or at any time: its timeline, plus those its
/// history names. Lets a history read skip the vault's other interactions. Needs a current
/// history index.
pub fn interaction_candidates(
    view: &ReadView<'_>,
    id: ContactId,
) -> Result<BTreeSet<InteractionId>, StoreError> {
    let mut ids: BTreeSet<InteractionId> = view.timeline(id)?.into_iter().map(|i| i.id).collect();
    for entry in view.history(RecordRef::Contact(id), None)? {
        for field in &entry.fields {
            if let Some(i) = field
                .strip_prefix("interaction:")
                .and_then(|i| i.parse().ok())
            {
                ids.insert(i);
            }
        }
    }
    Ok(ids)
}

pub fn show_at(home: &Home, query: &str, at: &str) -> Result<Response, AppError> {
    let found = resolve_any(home, query)?;
    let groups = home.read(|v| v.groups())?;
    ensure_history_index(home)?;
    let candidates = home.read(|v| interaction_candidates(v, found.id))?;
    let (contact, timeline, label) = home.with_vault(|vault| {
        let (heads, label) = point(vault, at)?;
        let contact = vault
            .contact_at(found.id, &heads)?
            .ok_or_else(|| history_error(HistoryError::NotYetThere))?;
        let timeline = vault.interactions_of_at_among(found.id, &heads, &candidates)?;
        Ok::<_, AppError>((contact, timeline, label))
    })?;
    Ok(Response::ContactAt(Box::new(ContactAt {
        contact,
        timeline,
        label,
        groups,
    })))
}

pub fn revert(home: &Home, query: &str, to: &str) -> Result<Response, AppError> {
    let (contact, label, report) = home.write(|vault, view| {
        let contact = resolve_in(view, query)?;
        let (heads, label) = point(vault, to)?;
        if !home.store.history_is_current()? {
            home.store.index_history(vault)?;
        }
        let candidates = interaction_candidates(view, contact.id)?;
        let report = vault
            .revert_contact_among(
                contact.id,
                &heads,
                &label,
                time::now_ms(),
                Some(&candidates),
            )
            .map_err(history_error)?;
        Ok((contact, label, report))
    })?;
    Ok(Response::Reverted {
        id: contact.id,
        name: contact.name,
        label,
        fields: report.keys,
        interactions: report.interactions,
    })
}

pub fn undo(home: &Home, change: Option<&str>) -> Result<Response, AppError> {
    undo_where(
        home,
        change,
        |_| true,
        || history_error(HistoryError::NothingToUndo),
    )
}

/// `rapport import undo`: reverts the last import made on this device (every import is one
/// change whose message starts with `import `), keeping values edited since.
pub fn import_undo(home: &Home) -> Result<Response, AppError> {
    undo_where(
        home,
        None,
        |c| {
            c.summary()
                .starts_with(rapport_formats::plan::COMMIT_PREFIX)
        },
        || {
            AppError::NotFound(
                "no import on this device is left to undo; `rapport log` lists the changes".into(),
            )
        },
    )
}

fn undo_where(
    home: &Home,
    change: Option<&str>,
    wanted: impl Fn(&ChangeInfo) -> bool,
    nothing: impl Fn() -> AppError,
) -> Result<Response, AppError> {
    let (summary, hash, report) = home.write(|vault, _| {
        let target = match change {
            Some(prefix) => {
                let hash = vault.find_change(prefix).map_err(history_error)?;
                vault
                    .change(&hash)
                    .ok_or_else(|| history_error(HistoryError::NoSuchChange(prefix.into())))?
            }
            None => vault
                .last_undoable_change_where(&wanted)
                .ok_or_else(&nothing)?,
        };
        let summary = target.summary().to_owned();
        let report = vault
            .undo_change(target.hash, time::now_ms(), &format!("undo {summary}"))
            .map_err(history_error)?;
        Ok((summary, target.hash, report))
    })?;
    Ok(Response::Undone {
        summary,
        change: hash.to_string()[..8].to_owned(),
        restored: report.restored,
        kept: report.kept,
    })
}
