//! `rapport log`, `show --at`, `revert` and `undo`: history and time travel.
//!
//! `log CONTACT|--group G` reads the store's per-record history index (no document load);
//! the others need the document, which they read through the loaded vault.

use crate::home::Home;
use crate::render;
use crate::time;
use anyhow::Result;
use rapport_app::json::{contact_json, group_names, interaction_json};
use rapport_app::resolve::{find_group, lookup_contact};
use rapport_app::AppError;
use rapport_model::automerge::ChangeHash;
use rapport_model::{
    ChangeInfo, Contact, ContactId, DeviceId, HistoryError, InteractionId, RecordRef, Vault,
};
use rapport_store::{HistoryEntry, ReadView, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One line of `log`, as `--json` prints it.
#[derive(Debug, Serialize)]
struct LogJson {
    change: String,
    time: String,
    device: Option<String>,
    device_name: Option<String>,
    message: String,
    fields: Vec<String>,
    /// A bulk change (an import): its fields are not listed.
    bulk: bool,
}

impl LogJson {
    fn new(e: &HistoryEntry, names: &BTreeMap<DeviceId, String>) -> LogJson {
        LogJson {
            change: e.change().to_string(),
            time: time::rfc3339(e.time),
            device: e.device.map(|d| d.to_string()),
            device_name: e.device.and_then(|d| names.get(&d).cloned()),
            message: e.summary().to_owned(),
            fields: e.fields.clone(),
            bulk: e.bulk,
        }
    }
}

pub fn log(
    home: &Home,
    contact: Option<&str>,
    group: Option<&str>,
    limit: Option<usize>,
    json: bool,
) -> Result<()> {
    let names = device_names(home)?;
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
    let entries: Vec<LogJson> = match record {
        None => whole_vault(home, limit, &names)?,
        Some(record) => {
            ensure_history_index(home)?;
            home.read(|v| v.history(record, limit))?
                .into_iter()
                .map(|e| LogJson::new(&e, &names))
                .collect()
        }
    };
    if json {
        return render::print_json(&entries);
    }
    for e in &entries {
        let who = e
            .device_name
            .clone()
            .or_else(|| e.device.as_ref().map(|d| d[..8.min(d.len())].to_owned()))
            .unwrap_or_else(|| "?".to_owned());
        let when = chrono::DateTime::parse_from_rfc3339(&e.time)
            .map(|t| local_seconds(t.timestamp_millis()))
            .unwrap_or_else(|_| e.time.clone());
        crate::out!("{}  {when}  {who:<12}  {}", &e.change[..8], e.message);
        if e.bulk {
            crate::out!("      (bulk change: fields not listed)");
        } else if !e.fields.is_empty() {
            crate::out!("      {}", e.fields.join(", "));
        }
    }
    Ok(())
}

/// Every change of the vault, newest first, from the history index; `fields` lists the
/// records each change touched.
fn whole_vault(
    home: &Home,
    limit: Option<usize>,
    names: &BTreeMap<DeviceId, String>,
) -> Result<Vec<LogJson>> {
    ensure_history_index(home)?;
    Ok(home
        .read(|v| v.vault_history(limit))?
        .into_iter()
        .map(|e| LogJson::new(&e, names))
        .collect())
}

/// The per-record index covers every stored change (it may not after a clone): catch it up,
/// once, from the loaded vault.
fn ensure_history_index(home: &Home) -> Result<()> {
    if !home.store.history_is_current()? {
        super::with_vault(home, |vault| Ok(home.store.index_history(vault)?))?;
    }
    Ok(())
}

fn device_names(home: &Home) -> Result<BTreeMap<DeviceId, String>> {
    Ok(home
        .read(|v| v.devices())?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

/// A contact, live or in the trash (an exact id reads one record, not every contact).
fn resolve_any(home: &Home, query: &str) -> Result<Contact> {
    home.read(|v| Ok(resolve_in(v, query)))?
}

fn resolve_in(view: &ReadView<'_>, query: &str) -> Result<Contact> {
    Ok(lookup_contact(view, query, false)
        .or_else(|e| lookup_contact(view, query, true).map_err(|_| e))?)
}

/// A point in the past: a time the CLI accepts, or a change id (prefix); with a label.
fn point(vault: &mut Vault, input: &str) -> Result<(Vec<ChangeHash>, String)> {
    if let Ok(ms) = time::parse_at(input) {
        return Ok((vault.heads_at_time(ms), local_seconds(ms)));
    }
    let hex = input.trim();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::BadInput(format!(
            "`{input}` is neither a time nor a change id: write YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", an RFC 3339 time, or a change id from `rapport log`"
        ))
        .into());
    }
    let hash = vault.find_change(hex).map_err(history_error)?;
    Ok((vec![hash], format!("change {}", &hash.to_string()[..8])))
}

/// A time as people read it, to the second (commit times have one-second resolution).
fn local_seconds(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A history error as the CLI reports it (exit code by kind).
fn history_error(e: HistoryError) -> anyhow::Error {
    match e {
        HistoryError::NoSuchChange(_)
        | HistoryError::AmbiguousChange(_)
        | HistoryError::NotYetThere => AppError::NotFound(e.to_string()).into(),
        HistoryError::ChangeTooShort(_) => AppError::BadInput(e.to_string()).into(),
        HistoryError::Edit(e) => e.into(),
        other => anyhow::Error::new(other),
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

pub fn show_at(home: &Home, query: &str, at: &str, json: bool) -> Result<()> {
    let found = resolve_any(home, query)?;
    let groups = home.read(|v| v.groups())?;
    ensure_history_index(home)?;
    let candidates = home.read(|v| interaction_candidates(v, found.id))?;
    let (contact, timeline, label) = super::with_vault(home, |vault| {
        let (heads, label) = point(vault, at)?;
        let contact = vault
            .contact_at(found.id, &heads)?
            .ok_or_else(|| history_error(HistoryError::NotYetThere))?;
        let timeline = vault.interactions_of_at_among(found.id, &heads, &candidates)?;
        Ok((contact, timeline, label))
    })?;
    let names = group_names(&groups);
    if json {
        let mut out = contact_json(&contact, &names);
        out.interactions = Some(timeline.iter().map(interaction_json).collect());
        #[derive(Serialize)]
        struct At<'a> {
            at: &'a str,
            #[serde(flatten)]
            contact: rapport_app::json::ContactJson<'a>,
        }
        return render::print_json(&At {
            at: &label,
            contact: out,
        });
    }
    crate::out!("{}  (as it was at {label})", contact.name);
    if contact.is_trashed() {
        crate::out!("  (it was in the trash)");
    }
    let row = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            crate::out!("  {label:<14}{v}");
        }
    };
    let join = |items: Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    row("id", Some(contact.id.to_string()));
    row("title", contact.title.clone());
    row("org", contact.org.clone());
    row("email", join(contact.emails.iter().cloned().collect()));
    row("phone", join(contact.phones.iter().cloned().collect()));
    row("link", join(contact.links.iter().cloned().collect()));
    row(
        "tags",
        join(contact.tags.iter().map(|t| format!("#{t}")).collect()),
    );
    row(
        "groups",
        join(
            contact
                .groups
                .iter()
                .map(|g| {
                    groups
                        .iter()
                        .find(|x| x.id == *g)
                        .map(|x| x.name.clone())
                        .unwrap_or_else(|| g.to_string())
                })
                .collect(),
        ),
    );
    row("trust", contact.trust.map(|t| t.to_string()));
    row("met on", contact.met_on.map(|d| d.to_string()));
    row("met at", contact.met_at.clone());
    row("context", contact.met_context.clone());
    row(
        "introduced by",
        contact.introduced_by.map(|c| c.to_string()),
    );
    row("connected on", contact.connected_on.map(|d| d.to_string()));
    row("notes", contact.notes.clone());
    row("cadence", contact.cadence.map(|p| p.every()));
    row(
        "snoozed until",
        contact.snoozed_until.map(|d| d.to_string()),
    );
    for (_, line) in rapport_app::render::follow_up_lines(&contact) {
        row("follow-up", Some(line));
    }
    row("updated", Some(time::local(contact.updated)));
    if !timeline.is_empty() {
        crate::out!();
        for i in timeline.iter().rev() {
            crate::out!("  {}  {}", time::local(i.at), i.kind);
            crate::out!("      {}", i.text);
        }
    }
    Ok(())
}

pub fn revert(home: &Home, query: &str, to: &str) -> Result<()> {
    let (contact, label, report) = super::write(home, |vault, view| {
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
    crate::out!(
        "reverted {}  {} to {label}: {} field(s), {} interaction(s) put back",
        contact.id,
        contact.name,
        report.keys,
        report.interactions
    );
    Ok(())
}

pub fn undo(home: &Home, change: Option<&str>) -> Result<()> {
    undo_where(
        home,
        change,
        |_| true,
        || history_error(HistoryError::NothingToUndo),
    )
}

/// `rapport import undo`: reverts the last import made on this device (every import is one
/// change whose message starts with `import `), keeping values edited since.
pub fn import_undo(home: &Home) -> Result<()> {
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
            .into()
        },
    )
}

fn undo_where(
    home: &Home,
    change: Option<&str>,
    wanted: impl Fn(&ChangeInfo) -> bool,
    nothing: impl Fn() -> anyhow::Error,
) -> Result<()> {
    let (summary, hash, report) = super::write(home, |vault, _| {
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
    let kept = if report.kept > 0 {
        format!(
            "; kept {} value(s) changed since (here or on another device)",
            report.kept
        )
    } else {
        String::new()
    };
    crate::out!(
        "undid `{summary}` ({}): {} value(s) put back{kept}",
        &hash.to_string()[..8],
        report.restored
    );
    Ok(())
}
