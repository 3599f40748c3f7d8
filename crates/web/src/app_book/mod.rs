//! `AppBook`: the `Book` over the application layer and the daemon's replica. Each page action
//! is a `rapport_app` `Request`, exactly the action the CLI sends (one commit, durable before
//! the page is answered, then pushed to live sessions), refused with the CLI's sentence.
//!
//! Pairing windows, which the application layer does not offer as requests (they run on the
//! daemon's sync node), come from the process that serves the app, through `Host`.

mod devices;
mod errors;
mod history;
mod list;
mod quarantine;
mod relate;

pub use errors::book_error;

use crate::book::{
    Book, BookError, BookResult, Card, CompetingValue, ContactEdit, ContactPage, ContactRow,
    DeviceRow, ExportKind, FieldConflict, FieldOrigin, GroupRow, HeldDeletion, HistoryRow,
    ImportKind, ImportSummary, ListQuery, NewContact, NewNote, PairingView, PastCard, SnoozeTarget,
    Sort,
};
use errors::{contact_field, created, edit_field, no_field, note_field, tag_field, to_book};
use rapport_app::model::relate::{DueItem, IntroGraph, IntroPath};
use rapport_app::model::validate::InvalidValue;
use rapport_app::model::{ContactField, ContactId, GroupId, InteractionId, Period};
use rapport_app::node_host::SharedReplica;
use rapport_app::request::{
    CadenceTarget, ContactFields, GroupRequest, NewNote as NoteRequest, TagChange,
};
use rapport_app::view::{ReadView, StoreError};
use rapport_app::{AppError, Request, Response};
use std::sync::Arc;

/// What the book needs from the process serving it that the application layer does not offer
/// as requests: pairing windows, which run on the daemon's sync node and its runtime.
pub trait Host: Send + Sync + 'static {
    /// Opens a pairing window (as `rapport pair`); `pairing` then shows it.
    fn start_pairing(&self, replica: &SharedReplica) -> BookResult<()>;
    fn pairing(&self) -> Option<PairingView>;
    /// The daemon's WebTransport endpoint for browser devices, if it serves one.
    fn webtransport(&self) -> Option<crate::book::WebTransportInfo> {
        None
    }
}

#[derive(Debug)]
pub struct AppBook<H> {
    replica: SharedReplica,
    name: String,
    tag: String,
    /// The contact list's index, kept up to date from the store's view log (see `list`).
    index: std::sync::Mutex<Option<list::ListIndex>>,
    /// What the relationship queries read, at the heads it was read at.
    relate: std::sync::Mutex<Option<Arc<relate::Loaded>>>,
    host: H,
}

impl<H: Host> AppBook<H> {
    pub fn new(replica: SharedReplica, name: String, tag: String, host: H) -> AppBook<H> {
        AppBook {
            replica,
            name,
            tag,
            index: std::sync::Mutex::new(None),
            relate: std::sync::Mutex::new(None),
            host,
        }
    }

    /// Runs one request through the application layer, as the CLI does, and wakes live
    /// sessions after a write; a refusal's sentence goes next to the form field `field` picks.
    fn request(
        &self,
        request: &Request,
        field: &dyn Fn(&InvalidValue) -> Option<&'static str>,
    ) -> BookResult<Response> {
        let mut replica = self.replica.blocking_lock();
        let response =
            rapport_app::handle(&replica.home, request).map_err(|e| to_book(&e, field))?;
        for note in replica.home.take_notes() {
            tracing::warn!("{note}");
        }
        if let Err(e) = replica.changed_locally() {
            tracing::warn!("the web app's change did not reach live sessions: {e}");
        }
        Ok(response)
    }

    /// Runs a request that only reads.
    fn ask(&self, request: &Request) -> BookResult<Response> {
        let replica = self.replica.blocking_lock();
        let response =
            rapport_app::handle(&replica.home, request).map_err(|e| to_book(&e, &no_field))?;
        for note in replica.home.take_notes() {
            tracing::warn!("{note}");
        }
        Ok(response)
    }

    /// Like `request`, returning the sentence the CLI prints for the response.
    pub(super) fn app_action(&self, request: &Request) -> BookResult<String> {
        let response = self.request(request, &no_field)?;
        Ok(rapport_app::render::text(&response, false)
            .stdout
            .trim()
            .to_owned())
    }

    fn read<T>(&self, f: impl Fn(&ReadView<'_>) -> Result<T, StoreError>) -> BookResult<T> {
        let replica = self.replica.blocking_lock();
        replica.home.read(f).map_err(|e| to_book(&e, &no_field))
    }

    fn heads(&self) -> BookResult<String> {
        let replica = self.replica.blocking_lock();
        let heads = replica
            .home
            .store
            .heads()
            .map_err(|e| BookError::Failed(e.to_string()))?;
        Ok(heads
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
            .join(","))
    }
}

impl<H: Host> Book for AppBook<H> {
    fn device_name(&self) -> String {
        self.name.clone()
    }

    fn device_tag(&self) -> String {
        self.tag.clone()
    }

    fn revision(&self) -> BookResult<String> {
        self.heads()
    }

    fn contacts(&self, q: &ListQuery) -> BookResult<ContactPage> {
        // One list request at a time: the index is brought up to date in place.
        let mut slot = self.index.lock().map_err(|_| {
            BookError::Failed("the contact list's index failed; restart `rapport serve`".into())
        })?;
        let (index, groups) = {
            let replica = self.replica.blocking_lock();
            let home = &replica.home;
            let fail = |e: AppError| to_book(&e, &no_field);
            let index = match slot.take() {
                Some(index) => index.refresh(home),
                None => list::ListIndex::build(home),
            }
            .map_err(fail)?;
            (index, home.read(|v| v.groups()).map_err(fail)?)
        };
        let index = slot.insert(index);
        let words: Vec<String> = q
            .text
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let mut hits: Vec<&list::Entry> = index
            .entries
            .values()
            .filter(|e| q.tag.as_ref().is_none_or(|t| e.contact.tags.contains(t)))
            .filter(|e| q.group.is_none_or(|g| e.contact.groups.contains(&g)))
            .filter(|e| {
                q.trust_at_least
                    .is_none_or(|t| e.contact.trust.is_some_and(|c| c >= t))
            })
            .filter(|e| words.iter().all(|w| e.haystack.contains(w.as_str())))
            .collect();
        match q.sort {
            Sort::Name => hits.sort_by(|a, b| a.name_key.cmp(&b.name_key)),
            Sort::LastContacted => hits.sort_by_key(|e| e.last_contacted.unwrap_or(i64::MIN)),
            Sort::Updated => hits.sort_by_key(|e| std::cmp::Reverse(e.contact.updated)),
        }
        let mut live: Vec<_> = groups.into_iter().filter(|g| g.deleted.is_none()).collect();
        live.sort_by_key(|g| g.name.to_lowercase());
        Ok(ContactPage {
            total: hits.len(),
            rows: hits
                .iter()
                .skip(q.offset)
                .take(q.limit)
                .map(|e| ContactRow {
                    id: e.contact.id,
                    name: e.contact.name.clone(),
                    org: e.contact.org.clone(),
                    tags: e.contact.tags.iter().cloned().collect(),
                    trust: e.contact.trust,
                    last_contacted: e.last_contacted,
                })
                .collect(),
            tags: index.tags(),
            groups: live,
        })
    }

    fn card(&self, id: ContactId) -> BookResult<Card> {
        let (view, origins, devices, groups) =
            self.read(|v| Ok((v.contact(id)?, v.provenance(id)?, v.devices()?, v.groups()?)))?;
        let Some(view) = view else {
            return Err(BookError::NotFound(format!(
                "no contact has id {id}: it may have been merged or never existed"
            )));
        };
        let introducer = match view.contact.introduced_by {
            Some(iid) => self.read(|v| v.contact_record(iid))?.map(|c| (iid, c.name)),
            None => None,
        };
        let provenance = origins
            .into_iter()
            .map(|o| FieldOrigin {
                device: o.device.map(|d| {
                    devices
                        .iter()
                        .find(|x| x.id == d)
                        .map(|x| x.name.clone())
                        .unwrap_or_else(|| d.short())
                }),
                key: o.key,
                at: o.at,
            })
            .collect();
        Ok(Card {
            contact: view.contact,
            timeline: view.timeline,
            provenance,
            groups,
            introducer,
        })
    }

    fn add_contact(&self, new: &NewContact) -> BookResult<ContactId> {
        if new.name.trim().is_empty() {
            return Err(BookError::bad("name", "a contact needs a name: type one"));
        }
        let request = Request::Add {
            name: new.name.clone(),
            fields: ContactFields {
                org: new.org.clone(),
                emails: new.email.iter().cloned().collect(),
                phones: new.phone.iter().cloned().collect(),
                tags: new.tags.clone(),
                ..Default::default()
            },
        };
        created(self.request(&request, &contact_field)?)
    }

    fn edit_contact(&self, id: ContactId, edit: &ContactEdit) -> BookResult<()> {
        let current = self.card(id)?.contact;
        if edit.name.as_deref() == Some("") {
            return Err(BookError::bad(
                "name",
                "a contact must keep a name: type one",
            ));
        }
        let mut clear = Vec::new();
        // Only what the form changed is written, so a field another device set meanwhile is
        // not overwritten with the value the page showed.
        let mut text =
            |value: &Option<String>, now: Option<&str>, field: ContactField| -> Option<String> {
                let v = value.as_deref()?;
                if Some(v) == now || (v.is_empty() && now.is_none()) {
                    None
                } else if v.is_empty() {
                    clear.push(field);
                    None
                } else {
                    Some(v.to_owned())
                }
            };
        use ContactField as F;
        let met_on_now = current.met_on.map(|d| d.to_string());
        let mut change = rapport_app::request::ContactEdit {
            name: text(&edit.name, Some(&current.name), F::Name),
            fields: ContactFields {
                org: text(&edit.org, current.org.as_deref(), F::Org),
                title: text(&edit.title, current.title.as_deref(), F::Title),
                notes: text(&edit.notes, current.notes.as_deref(), F::Notes),
                met_on: text(&edit.met_on, met_on_now.as_deref(), F::MetOn),
                met_at: text(&edit.met_at, current.met_at.as_deref(), F::MetAt),
                met_context: text(
                    &edit.met_context,
                    current.met_context.as_deref(),
                    F::MetContext,
                ),
                emails: edit.add_email.iter().cloned().collect(),
                phones: edit.add_phone.iter().cloned().collect(),
                ..Default::default()
            },
            ..Default::default()
        };
        match edit.trust {
            Some(Some(t)) if current.trust != Some(t) => change.fields.trust = Some(t),
            Some(None) if current.trust.is_some() => clear.push(F::Trust),
            _ => {}
        }
        change.clear = clear;
        let contact = id.to_string();
        if change != rapport_app::request::ContactEdit::default() {
            let request = Request::Edit {
                contact: contact.clone(),
                edit: change,
            };
            self.request(&request, &edit_field)?;
        }
        // The cadence is its own action, as `rapport cadence` is.
        let period = match edit.cadence {
            Some(p) if current.cadence != p => p,
            _ => return Ok(()),
        };
        let request = Request::Cadence {
            target: CadenceTarget::Contact(contact),
            period,
        };
        self.request(&request, &no_field).map(drop)
    }

    fn tag(&self, id: ContactId, add: &[String], remove: &[String]) -> BookResult<()> {
        let changes = add
            .iter()
            .map(|t| TagChange::Add(t.clone()))
            .chain(remove.iter().map(|t| TagChange::Remove(t.clone())))
            .collect();
        let request = Request::Tag {
            contact: id.to_string(),
            changes,
        };
        self.request(&request, &tag_field).map(drop)
    }

    fn log_interaction(&self, id: ContactId, note: &NewNote) -> BookResult<()> {
        let at = match note.at.as_deref() {
            Some(s) => Some(
                rapport_app::time::parse_at(s).map_err(|e| BookError::bad("at", e.to_string()))?,
            ),
            None => None,
        };
        let request = Request::Note(NoteRequest {
            contact: id.to_string(),
            text: note.text.clone(),
            kind: note.kind,
            at,
            place: note.place.clone(),
            with: Vec::new(),
            follow_up: note.follow_up,
        });
        self.request(&request, &note_field).map(drop)
    }

    fn trash(&self, id: ContactId) -> BookResult<()> {
        let contact = id.to_string();
        self.request(&Request::Trash { contact }, &no_field)
            .map(drop)
    }

    fn restore(&self, id: ContactId) -> BookResult<()> {
        let contact = id.to_string();
        self.request(&Request::Restore { contact }, &no_field)
            .map(drop)
    }

    fn groups(&self) -> BookResult<Vec<GroupRow>> {
        let (groups, contacts) = self.read(|v| Ok((v.groups()?, v.contacts()?)))?;
        Ok(groups
            .into_iter()
            .map(|g| {
                let mut members: Vec<(ContactId, String)> = contacts
                    .iter()
                    .filter(|c| !c.is_trashed() && c.groups.contains(&g.id))
                    .map(|c| (c.id, c.name.clone()))
                    .collect();
                members.sort_by_key(|(_, n)| n.to_lowercase());
                GroupRow { group: g, members }
            })
            .collect())
    }

    fn create_group(&self, name: &str) -> BookResult<GroupId> {
        if name.trim().is_empty() {
            return Err(BookError::bad("name", "a group needs a name: type one"));
        }
        let request = Request::Group(GroupRequest::Create {
            name: name.to_owned(),
            description: None,
        });
        created(self.request(&request, &|_| Some("name"))?)
    }

    fn rename_group(&self, id: GroupId, name: &str) -> BookResult<()> {
        if name.trim().is_empty() {
            return Err(BookError::bad("name", "a group needs a name: type one"));
        }
        let request = Request::Group(GroupRequest::Rename {
            group: id.to_string(),
            name: name.to_owned(),
        });
        self.request(&request, &|_| Some("name")).map(drop)
    }

    fn delete_group(&self, id: GroupId) -> BookResult<()> {
        let group = id.to_string();
        let request = Request::Group(GroupRequest::Delete { group });
        self.request(&request, &no_field).map(drop)
    }

    fn restore_group(&self, id: GroupId) -> BookResult<()> {
        let group = id.to_string();
        let request = Request::Group(GroupRequest::Restore { group });
        self.request(&request, &no_field).map(drop)
    }

    fn set_members(&self, group: GroupId, ids: &[ContactId], add: bool) -> BookResult<()> {
        let request = Request::Group(GroupRequest::Members {
            group: group.to_string(),
            contacts: ids.iter().map(ContactId::to_string).collect(),
            add,
        });
        self.request(&request, &no_field).map(drop)
    }

    fn conflicts(&self) -> BookResult<Vec<FieldConflict>> {
        let me = self.replica.blocking_lock().device;
        let (conflicts, devices) = self.read(|v| Ok((v.conflicts()?, v.devices()?)))?;
        let label = |d| rapport_app::json::device_label(&devices, me, d);
        Ok(conflicts
            .into_iter()
            .map(|c| {
                let mut values = vec![CompetingValue {
                    value: c.winner.value.clone(),
                    device: label(c.winner.device),
                    at: c.winner.at,
                    shown: true,
                }];
                values.extend(c.others.iter().map(|o| CompetingValue {
                    value: o.value.clone(),
                    device: label(o.device),
                    at: o.at,
                    shown: false,
                }));
                FieldConflict {
                    contact: match c.record {
                        rapport_app::model::RecordRef::Contact(id) => Some(id),
                        rapport_app::model::RecordRef::Group(_) => None,
                    },
                    name: c.name,
                    field: c.field,
                    values,
                }
            })
            .collect())
    }

    fn resolve(&self, contact: ContactId, field: &str, value: &str) -> BookResult<()> {
        let field: ContactField = field.parse().map_err(|e| BookError::BadInput {
            field: None,
            message: format!("{e}"),
        })?;
        self.app_action(&Request::Resolve {
            contact: contact.to_string(),
            field,
            value: value.to_owned(),
        })
        .map(|_| ())
    }

    fn import(
        &self,
        kind: ImportKind,
        name: &str,
        bytes: &[u8],
        apply: bool,
    ) -> BookResult<ImportSummary> {
        self.import_upload(kind, name, bytes, apply)
    }

    fn undo_import(&self) -> BookResult<String> {
        self.app_action(&Request::ImportUndo)
    }

    fn devices(&self) -> BookResult<Vec<DeviceRow>> {
        self.device_rows()
    }

    fn start_pairing(&self) -> BookResult<()> {
        self.host.start_pairing(&self.replica)
    }

    fn pairing(&self) -> Option<PairingView> {
        self.host.pairing()
    }

    fn webtransport(&self) -> Option<crate::book::WebTransportInfo> {
        self.host.webtransport()
    }

    fn due(&self, within: Option<Period>) -> BookResult<Vec<DueItem>> {
        self.due_items(within)
    }

    fn close_follow_up(&self, id: InteractionId) -> BookResult<String> {
        self.done(id)
    }

    fn snooze(&self, target: SnoozeTarget, period: Period) -> BookResult<String> {
        self.defer(target, period)
    }

    fn intro_paths(&self, target: ContactId) -> BookResult<Vec<IntroPath>> {
        self.paths_to(target)
    }

    fn intro_graph(&self, group: Option<GroupId>) -> BookResult<IntroGraph> {
        self.graph(group)
    }

    fn history(&self, id: ContactId, limit: usize) -> BookResult<Vec<HistoryRow>> {
        self.contact_history(id, limit)
    }

    fn card_at(&self, id: ContactId, at: &str) -> BookResult<PastCard> {
        self.past_card(id, at)
    }

    fn revert(&self, id: ContactId, to: &str) -> BookResult<String> {
        self.app_action(&Request::Revert {
            contact: id.to_string(),
            to: to.to_owned(),
        })
    }

    fn undo(&self, change: Option<&str>) -> BookResult<String> {
        self.app_action(&Request::Undo {
            change: change.map(str::to_owned),
        })
    }

    fn revoke_device(&self, id: &str) -> BookResult<String> {
        self.app_action(&Request::Revoke {
            device: id.to_owned(),
        })
    }

    fn quarantine(&self) -> BookResult<Vec<HeldDeletion>> {
        self.held()
    }

    fn settle_quarantine(&self, accept: bool) -> BookResult<String> {
        self.settle(accept)
    }

    fn export(&self, kind: ExportKind) -> BookResult<Vec<u8>> {
        self.export_bytes(kind)
    }
}
