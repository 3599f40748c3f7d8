//! A contact's history for the page: `rapport log CONTACT`'s entries (the store's history
//! index), each with the values it wrote before and after (the contact read at the change's
//! parents and at the change: `Request::Log` has no values), and `show --at`'s card through
//! `Request::ShowAt`. Revert and undo are `Request`s too (see `web.rs`).

use super::{book_error, AppBook, Host};
use crate::book::{BookError, BookResult, FieldChange, HistoryRow, PastCard};
use rapport_app::model::automerge::ChangeHash;
use rapport_app::model::{Contact, ContactId, RecordRef};
use rapport_app::time;
use rapport_app::{AppError, ErrorKind, Request, Response};

/// One field's value on a card, as the page shows it; `None` when absent.
fn value_of(c: Option<&Contact>, key: &str) -> Option<String> {
    let c = c?;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    let member = |set: &rapport_app::model::SortedSet<String>, v: &str| {
        set.contains(v).then(|| v.to_owned())
    };
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

impl<H: Host> AppBook<H> {
    pub(super) fn contact_history(
        &self,
        id: ContactId,
        limit: usize,
    ) -> BookResult<Vec<HistoryRow>> {
        let replica = self.replica.blocking_lock();
        let home = &replica.home;
        let me = replica.device;
        let fail = |e: AppError| book_error(&e);
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
        let request = Request::ShowAt {
            contact: id.to_string(),
            at: at.to_owned(),
        };
        match rapport_app::handle(&replica.home, &request) {
            Ok(Response::ContactAt(c)) => Ok(PastCard {
                label: c.label,
                contact: c.contact,
                timeline: c.timeline,
            }),
            Ok(_) => Err(BookError::Failed(
                "the application answered something else than a past card: try again".into(),
            )),
            // A point that names nothing (a bad time, an unknown change, before the contact
            // existed) is about the field it was typed in.
            Err(e) if matches!(e.kind(), ErrorKind::BadInput | ErrorKind::NotFound) => {
                Err(BookError::bad("at", e.to_string()))
            }
            Err(e) => Err(book_error(&e)),
        }
    }
}
