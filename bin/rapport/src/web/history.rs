//! A contact's history for the page: `rapport log CONTACT`'s entries (the store's history
//! index), each with the values it wrote before and after (the contact read at the change's
//! parents and at the change), `show --at`'s card, and `revert` and `undo` run as the CLI's
//! own commands with their sentences.

use super::{no_field, to_book, WebBook};
use crate::time;
use rapport_app::AppError;
use rapport_model::automerge::ChangeHash;
use rapport_model::{Contact, ContactId, HistoryError, RecordRef, Vault};
use rapport_web::book::{BookError, BookResult, FieldChange, HistoryRow, PastCard};

/// A point in the past, as `show --at` and `revert` read it: a time, or a change id (prefix).
fn point(vault: &mut Vault, input: &str) -> Result<(Vec<ChangeHash>, String), BookError> {
    if let Ok(ms) = time::parse_at(input) {
        return Ok((vault.heads_at_time(ms), time::local(ms)));
    }
    let hex = input.trim();
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(BookError::bad(
            "at",
            format!("`{input}` is neither a time nor a change id: write YYYY-MM-DD, \"YYYY-MM-DD HH:MM\", an RFC 3339 time, or a change id from the list below"),
        ));
    }
    let hash = vault
        .find_change(hex)
        .map_err(|e| BookError::bad("at", e.to_string()))?;
    Ok((vec![hash], format!("change {}", &hash.to_string()[..8])))
}

/// One field's value on a card, as the page shows it; `None` when absent.
fn value_of(c: Option<&Contact>, key: &str) -> Option<String> {
    let c = c?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    let member =
        |set: &std::collections::BTreeSet<String>, v: &str| set.contains(v).then(|| v.to_owned());
    match key {
        "name" => Some(c.name.clone()),
        "org" => c.org.clone(),
        "title" => c.title.clone(),
        "notes" => c.notes.clone(),
        "trust" => c.trust.map(|t| t.as_str().to_owned()),
        "met_on" => date(c.met_on),
        "met_at" => c.met_at.clone(),
        "met_context" => c.met_context.clone(),
        "introduced_by" => c.introduced_by.map(|i| i.to_string()),
        "connected_on" => date(c.connected_on),
        "cadence" => c.cadence.map(|p| p.every()),
        "snoozed_until" => date(c.snoozed_until),
        "deleted" => c.deleted.map(|_| "in the trash".to_owned()),
        "merged_into" => c.merged_into.map(|i| i.to_string()),
        _ => {
            let (prefix, rest) = key.split_once(':')?;
            match prefix {
                "email" => member(&c.emails, rest),
                "phone" => member(&c.phones, rest),
                "link" => member(&c.links, rest),
                "tag" => member(&c.tags, rest).map(|t| format!("#{t}")),
                "group" => rest
                    .parse()
                    .ok()
                    .filter(|g| c.groups.contains(g))
                    .map(|_| "member".to_owned()),
                "follow_up" | "follow_up_snooze" | "follow_up_done" => {
                    let f = c.follow_ups.get(&rest.parse().ok()?)?;
                    match prefix {
                        "follow_up" => Some(format!("due {}", f.due)),
                        "follow_up_snooze" => f.snoozed_until.map(|d| format!("snoozed to {d}")),
                        _ => f.done.map(|at| format!("done {}", time::local(at))),
                    }
                }
                _ => None,
            }
        }
    }
}

impl WebBook {
    pub(super) fn contact_history(
        &self,
        id: ContactId,
        limit: usize,
    ) -> BookResult<Vec<HistoryRow>> {
        let replica = self.replica.blocking_lock();
        let home = &replica.home;
        let me = replica.device;
        let fail = |e: AppError| to_book(&e.into(), &no_field);
        if !home
            .store
            .history_is_current()
            .map_err(|e| fail(e.into()))?
        {
            home.with_vault(|v| home.store.index_history(v).map_err(AppError::from))
                .map_err(fail)?;
        }
        let (entries, devices) = home
            .read(|v| {
                Ok((
                    v.history(RecordRef::Contact(id), Some(limit))?,
                    v.devices()?,
                ))
            })
            .map_err(fail)?;
        home.with_vault(|vault| {
            let mut rows = Vec::with_capacity(entries.len());
            for e in &entries {
                let hash = e.change();
                let deps = vault.change(&hash).map(|c| c.deps).unwrap_or_default();
                let read = |heads: &[ChangeHash]| {
                    vault
                        .contact_at(id, heads)
                        .map_err(|e| AppError::Failed(e.to_string()))
                };
                let (before, after) = if e.bulk {
                    (None, None)
                } else {
                    (read(&deps)?, read(&[hash])?)
                };
                let fields = e
                    .fields
                    .iter()
                    .filter(|f| !matches!(f.as_str(), "updated" | "created"))
                    .map(|f| FieldChange {
                        field: f.clone(),
                        old: value_of(before.as_ref(), f),
                        new: value_of(after.as_ref(), f),
                    })
                    .collect();
                rows.push(HistoryRow {
                    change: hash.to_string(),
                    at: e.time,
                    device: rapport_app::json::device_label(&devices, me, e.device),
                    summary: e.summary().to_owned(),
                    fields,
                    bulk: e.bulk,
                });
            }
            Ok::<_, AppError>(rows)
        })
        .map_err(fail)
    }

    pub(super) fn past_card(&self, id: ContactId, at: &str) -> BookResult<PastCard> {
        let replica = self.replica.blocking_lock();
        let home = &replica.home;
        let fail = |e: AppError| to_book(&e.into(), &no_field);
        if !home
            .store
            .history_is_current()
            .map_err(|e| fail(e.into()))?
        {
            home.with_vault(|v| home.store.index_history(v).map_err(AppError::from))
                .map_err(fail)?;
        }
        let candidates = home
            .read(|v| crate::cmd::history::interaction_candidates(v, id))
            .map_err(fail)?;
        let read = |vault: &mut Vault| -> BookResult<PastCard> {
            let (heads, label) = point(vault, at)?;
            let contact = vault
                .contact_at(id, &heads)
                .map_err(|e| BookError::Failed(e.to_string()))?
                .ok_or_else(|| BookError::bad("at", HistoryError::NotYetThere.to_string()))?;
            let timeline = vault
                .interactions_of_at_among(id, &heads, &candidates)
                .map_err(|e| BookError::Failed(e.to_string()))?;
            Ok(PastCard {
                label,
                contact,
                timeline,
            })
        };
        home.with_vault(|vault| Ok::<_, AppError>(read(vault)))
            .map_err(fail)?
    }

    /// Runs one of the CLI's history commands, its sentence captured for the page.
    pub(super) fn history_command(
        &self,
        run: impl FnOnce(&crate::home::Home) -> anyhow::Result<()>,
    ) -> BookResult<String> {
        let mut replica = self.replica.blocking_lock();
        let (result, said, _) = crate::out::capture(|| run(&replica.home));
        result.map_err(|e| to_book(&e, &no_field))?;
        if let Err(e) = replica.changed_locally() {
            crate::note!("warning: {e}");
        }
        Ok(said.trim().to_owned())
    }
}
