//! The web app's `Book`, over the daemon's replica: each page action is the same vault write
//! the CLI makes (one commit, durable before the page is answered, then pushed to live
//! sessions). When `rapport-app` lands this becomes an adapter over its `App::handle`.

mod devices;
mod export;
mod history;
mod relate;

use crate::time;
use anyhow::Result;
use rapport_app::node_host::SharedReplica;
use rapport_app::resolve::lookup_contact;
use rapport_app::{AppError, ErrorKind};
use rapport_model::relate::{DueItem, IntroGraph, IntroPath};
use rapport_model::validate::InvalidValue;
use rapport_model::Period;
use rapport_model::{
    Contact, ContactId, ContactPatch, EditError, GroupId, InteractionId, NewInteraction,
};
use rapport_web::book::{
    Book, BookError, BookResult, Card, CompetingValue, ContactEdit, ContactPage, ContactRow,
    DeviceRow, ExportKind, FieldConflict, FieldOrigin, GroupRow, HeldDeletion, HistoryRow,
    ImportKind, ImportSummary, ListQuery, NewContact, NewNote, PairingState, PairingView, PastCard,
    SnoozeTarget, Sort,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One contact as the list searches and sorts it.
#[derive(Debug)]
struct Entry {
    contact: Contact,
    last_contacted: Option<i64>,
    /// Lower-cased name, organisation, emails, tags and interaction text and places.
    haystack: String,
}

/// The list's index, rebuilt when the vault's heads change: with it, a keystroke in the
/// search box scans memory instead of decoding every stored contact and timeline again.
#[derive(Debug)]
struct Index {
    heads: String,
    entries: Vec<Entry>,
    tags: Vec<String>,
}

#[derive(Debug)]
pub struct WebBook {
    replica: SharedReplica,
    name: String,
    tag: String,
    index: std::sync::Mutex<Option<Arc<Index>>>,
    /// What the relationship queries read, at the heads it was read at.
    relate: std::sync::Mutex<Option<Arc<relate::Loaded>>>,
    /// The pairing window opened from the page, shared with the task that runs it.
    pairing: Arc<std::sync::Mutex<Option<PairingView>>>,
    runtime: tokio::runtime::Handle,
    no_discovery: bool,
}

impl WebBook {
    /// Must be called on the daemon's runtime (pairing windows run on it).
    pub fn new(replica: SharedReplica, name: String, tag: String, no_discovery: bool) -> WebBook {
        WebBook {
            replica,
            name,
            tag,
            index: std::sync::Mutex::new(None),
            relate: std::sync::Mutex::new(None),
            pairing: Arc::default(),
            runtime: tokio::runtime::Handle::current(),
            no_discovery,
        }
    }

    /// Runs a write as one user action and wakes live sessions, as a forwarded CLI command does.
    fn write<T>(
        &self,
        field: &dyn Fn(&InvalidValue) -> Option<&'static str>,
        f: impl Fn(&mut rapport_model::Vault, &rapport_store::ReadView<'_>) -> Result<T>,
    ) -> BookResult<T> {
        let mut replica = self.replica.blocking_lock();
        let out = crate::cmd::write(&replica.home, f).map_err(|e| to_book(&e, field))?;
        if let Err(e) = replica.changed_locally() {
            crate::note!("warning: {e}");
        }
        Ok(out)
    }

    fn read<T>(
        &self,
        f: impl Fn(&rapport_store::ReadView<'_>) -> Result<T, rapport_store::StoreError>,
    ) -> BookResult<T> {
        let replica = self.replica.blocking_lock();
        replica
            .home
            .read(f)
            .map_err(|e| to_book(&e.into(), &|_| None))
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

    fn index(&self) -> BookResult<Arc<Index>> {
        let heads = self.heads()?;
        let mut slot = self.index.lock().map_err(|_| {
            BookError::Failed("the contact list's index failed; restart `rapport serve`".into())
        })?;
        if let Some(index) = slot.as_ref().filter(|i| i.heads == heads) {
            return Ok(index.clone());
        }
        let (contacts, timelines) = self.read(|v| {
            let mut timelines = BTreeMap::new();
            v.for_each_timeline(|id, t| {
                timelines.insert(id, t);
            })?;
            Ok((v.contacts()?, timelines))
        })?;
        let mut tags = BTreeSet::new();
        let entries = contacts
            .into_iter()
            .filter(|c| !c.is_trashed())
            .map(|c| {
                let timeline = timelines.get(&c.id);
                let mut hay = format!("{} {} ", c.name, c.org.as_deref().unwrap_or(""));
                for s in c.emails.iter().chain(&c.tags) {
                    hay.push_str(s);
                    hay.push(' ');
                }
                for i in timeline.into_iter().flatten() {
                    hay.push_str(&i.text);
                    hay.push(' ');
                    hay.push_str(i.place.as_deref().unwrap_or(""));
                    hay.push(' ');
                }
                tags.extend(c.tags.iter().cloned());
                Entry {
                    last_contacted: timeline.and_then(|t| t.iter().map(|i| i.at).max()),
                    haystack: hay.to_lowercase(),
                    contact: c,
                }
            })
            .collect();
        let index = Arc::new(Index {
            heads,
            entries,
            tags: tags.into_iter().collect(),
        });
        *slot = Some(index.clone());
        Ok(index)
    }
}

/// The CLI's sentence for `e`, typed for the page.
fn to_book(e: &anyhow::Error, field: &dyn Fn(&InvalidValue) -> Option<&'static str>) -> BookError {
    let message = crate::render::error_chain(e);
    let app = e.downcast_ref::<AppError>();
    let edit = e.downcast_ref::<EditError>().or(match app {
        Some(AppError::Edit(edit)) => Some(edit),
        _ => None,
    });
    if let Some(edit) = edit {
        return match edit {
            EditError::NoSuchContact(_)
            | EditError::NoSuchGroup(_)
            | EditError::NoSuchInteraction(_) => BookError::NotFound(message),
            EditError::Invalid(inv) => BookError::BadInput {
                field: field(inv),
                message,
            },
            EditError::GroupExists(_) | EditError::NothingToDo | EditError::NoContacts => {
                BookError::BadInput {
                    field: None,
                    message,
                }
            }
            _ => BookError::Failed(message),
        };
    }
    let kind = app.map(AppError::kind);
    if matches!(kind, Some(ErrorKind::NotFound | ErrorKind::Ambiguous))
        || e.downcast_ref::<rapport_model::ResolveError>().is_some()
    {
        return BookError::NotFound(message);
    }
    if kind == Some(ErrorKind::BadInput) {
        return BookError::BadInput {
            field: None,
            message,
        };
    }
    BookError::Failed(message)
}

/// Which field of the add and edit forms a refused value belongs to.
fn contact_field(inv: &InvalidValue) -> Option<&'static str> {
    Some(match inv {
        InvalidValue::Email(_) => "email",
        InvalidValue::Phone(_) => "phone",
        InvalidValue::Date(_) => "met_on",
        InvalidValue::Tag(_) => "tags",
        InvalidValue::Empty(_) | InvalidValue::NameRequired => "name",
        InvalidValue::TooLong { field, .. } => match *field {
            "name" => "name",
            "org" => "org",
            "title" => "title",
            "notes" => "notes",
            _ => return None,
        },
        _ => return None,
    })
}

fn edit_field(inv: &InvalidValue) -> Option<&'static str> {
    match contact_field(inv) {
        Some("email") => Some("add_email"),
        Some("phone") => Some("add_phone"),
        other => other,
    }
}

fn note_field(inv: &InvalidValue) -> Option<&'static str> {
    match inv {
        InvalidValue::Empty(_) | InvalidValue::TooLong { .. } => Some("text"),
        _ => None,
    }
}

fn no_field(_: &InvalidValue) -> Option<&'static str> {
    None
}

fn tag_field(_: &InvalidValue) -> Option<&'static str> {
    Some("add")
}

impl Book for WebBook {
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
        let index = self.index()?;
        let words: Vec<String> = q
            .text
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let mut hits: Vec<&Entry> = index
            .entries
            .iter()
            .filter(|e| q.tag.as_ref().is_none_or(|t| e.contact.tags.contains(t)))
            .filter(|e| q.group.is_none_or(|g| e.contact.groups.contains(&g)))
            .filter(|e| {
                q.trust_at_least
                    .is_none_or(|t| e.contact.trust.is_some_and(|c| c >= t))
            })
            .filter(|e| words.iter().all(|w| e.haystack.contains(w.as_str())))
            .collect();
        match q.sort {
            Sort::Name => hits.sort_by_cached_key(|e| e.contact.name.to_lowercase()),
            Sort::LastContacted => hits.sort_by_key(|e| e.last_contacted.unwrap_or(i64::MIN)),
            Sort::Updated => hits.sort_by_key(|e| std::cmp::Reverse(e.contact.updated)),
        }
        let groups = self.read(|v| v.groups())?;
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
            tags: index.tags.clone(),
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
            Some(iid) => self
                .read(|v| v.contact(iid))?
                .map(|c| (iid, c.contact.name)),
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
        let patch = ContactPatch {
            name: Some(new.name.clone()),
            org: new.org.clone(),
            add_emails: new.email.iter().cloned().collect(),
            add_phones: new.phone.iter().cloned().collect(),
            add_tags: new.tags.clone(),
            ..Default::default()
        };
        self.write(&contact_field, |vault, _| {
            let id = ContactId::random(&mut rand::thread_rng());
            vault.add_contact(id, &patch, time::now_ms())?;
            Ok(id)
        })
    }

    fn edit_contact(&self, id: ContactId, edit: &ContactEdit) -> BookResult<()> {
        let current = self.card(id)?.contact;
        let mut patch = ContactPatch::default();
        // Only what the form changed is written, so a field another device set meanwhile is
        // not overwritten with the value the page showed.
        let mut text = |value: &Option<String>,
                        now: Option<&str>,
                        field: rapport_model::ContactField|
         -> Option<String> {
            let v = value.as_deref()?;
            if Some(v) == now || (v.is_empty() && now.is_none()) {
                None
            } else if v.is_empty() {
                patch.clear.push(field);
                None
            } else {
                Some(v.to_owned())
            }
        };
        use rapport_model::ContactField as F;
        let name = text(&edit.name, Some(&current.name), F::Name);
        let org = text(&edit.org, current.org.as_deref(), F::Org);
        let title = text(&edit.title, current.title.as_deref(), F::Title);
        let notes = text(&edit.notes, current.notes.as_deref(), F::Notes);
        let met_on_now = current.met_on.map(|d| d.to_string());
        let met_on = text(&edit.met_on, met_on_now.as_deref(), F::MetOn);
        let met_at = text(&edit.met_at, current.met_at.as_deref(), F::MetAt);
        let met_context = text(
            &edit.met_context,
            current.met_context.as_deref(),
            F::MetContext,
        );
        if edit.name.as_deref() == Some("") {
            return Err(BookError::bad(
                "name",
                "a contact must keep a name: type one",
            ));
        }
        patch.name = name;
        patch.org = org;
        patch.title = title;
        patch.notes = notes;
        patch.met_on = met_on;
        patch.met_at = met_at;
        patch.met_context = met_context;
        match edit.trust {
            Some(Some(t)) if current.trust != Some(t) => patch.trust = Some(t),
            Some(None) if current.trust.is_some() => patch.clear.push(F::Trust),
            _ => {}
        }
        match edit.cadence {
            Some(Some(p)) if current.cadence != Some(p) => patch.cadence = Some(p),
            Some(None) if current.cadence.is_some() => patch.clear.push(F::Cadence),
            _ => {}
        }
        patch.add_emails = edit.add_email.iter().cloned().collect();
        patch.add_phones = edit.add_phone.iter().cloned().collect();
        if patch == ContactPatch::default() {
            return Ok(());
        }
        self.write(&edit_field, |vault, _| {
            vault.edit_contact(id, &patch, time::now_ms())?;
            Ok(())
        })
    }

    fn tag(&self, id: ContactId, add: &[String], remove: &[String]) -> BookResult<()> {
        let patch = ContactPatch {
            add_tags: add.to_vec(),
            remove_tags: remove.to_vec(),
            ..Default::default()
        };
        self.write(&tag_field, |vault, _| {
            vault.edit_contact(id, &patch, time::now_ms())?;
            Ok(())
        })
    }

    fn log_interaction(&self, id: ContactId, note: &NewNote) -> BookResult<()> {
        let now = time::now_ms();
        let at = match note.at.as_deref() {
            Some(s) => time::parse_at(s).map_err(|e| BookError::bad("at", e.to_string()))?,
            None => now,
        };
        let new = NewInteraction {
            contacts: vec![id],
            at,
            kind: note.kind,
            text: note.text.clone(),
            place: note.place.clone(),
        };
        self.write(&note_field, |vault, view| {
            lookup_contact(view, &id.to_string(), false)?;
            let iid = InteractionId::random(&mut rand::thread_rng());
            match note.follow_up {
                Some(due) => vault.add_note_with_follow_up(iid, &new, due, now)?,
                None => vault.add_interaction(iid, &new, now)?,
            }
            Ok(())
        })
    }

    fn trash(&self, id: ContactId) -> BookResult<()> {
        self.write(&no_field, |vault, _| {
            Ok(vault.trash_contact(id, time::now_ms())?)
        })
    }

    fn restore(&self, id: ContactId) -> BookResult<()> {
        self.write(&no_field, |vault, _| {
            Ok(vault.restore_contact(id, time::now_ms())?)
        })
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
        self.write(&|_| Some("name"), |vault, _| {
            let id = GroupId::random(&mut rand::thread_rng());
            vault.create_group(id, name, None, time::now_ms())?;
            Ok(id)
        })
    }

    fn rename_group(&self, id: GroupId, name: &str) -> BookResult<()> {
        if name.trim().is_empty() {
            return Err(BookError::bad("name", "a group needs a name: type one"));
        }
        self.write(&|_| Some("name"), |vault, _| {
            Ok(vault.rename_group(id, name, time::now_ms())?)
        })
    }

    fn delete_group(&self, id: GroupId) -> BookResult<()> {
        self.write(&no_field, |vault, _| {
            Ok(vault.delete_group(id, time::now_ms())?)
        })
    }

    fn restore_group(&self, id: GroupId) -> BookResult<()> {
        self.write(&no_field, |vault, _| {
            vault
                .restore_group_as_before(id, time::now_ms())
                .map_err(|e| match e {
                    rapport_model::HistoryError::Edit(e) => anyhow::Error::new(e),
                    other => AppError::BadInput(other.to_string()).into(),
                })?;
            Ok(())
        })
    }

    fn set_members(&self, group: GroupId, ids: &[ContactId], add: bool) -> BookResult<()> {
        self.write(&no_field, |vault, view| {
            let g = view
                .groups()?
                .into_iter()
                .find(|g| g.id == group && g.deleted.is_none())
                .ok_or_else(|| {
                    AppError::NotFound(format!("no group has id {group}: it may have been deleted"))
                })?;
            let verb = if add { "add to" } else { "remove from" };
            let now = time::now_ms();
            vault.batch(&format!("{verb} group {}", g.name), now, |vault| {
                for id in ids {
                    let patch = ContactPatch {
                        add_groups: if add { vec![group] } else { vec![] },
                        remove_groups: if add { vec![] } else { vec![group] },
                        ..Default::default()
                    };
                    vault.edit_contact(*id, &patch, now)?;
                }
                anyhow::Ok(())
            })?;
            Ok(())
        })
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
                        rapport_model::RecordRef::Contact(id) => Some(id),
                        rapport_model::RecordRef::Group(_) => None,
                    },
                    name: c.name,
                    field: c.field,
                    values,
                }
            })
            .collect())
    }

    fn resolve(&self, contact: ContactId, field: &str, value: &str) -> BookResult<()> {
        let field: rapport_model::ContactField =
            field
                .parse()
                .map_err(|e: rapport_model::ParseFieldError| BookError::BadInput {
                    field: None,
                    message: e.to_string(),
                })?;
        self.app_action(&rapport_app::Request::Resolve {
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
        use rapport_formats::{linkedin, plan, table, vcard_in, Limits};
        let limits = Limits::default();
        let refuse = |e: rapport_formats::ImportError| BookError::BadInput {
            field: None,
            message: format!("cannot import {name}: {e}"),
        };
        if bytes.len() as u64 > limits.max_bytes {
            return Err(BookError::BadInput {
                field: None,
                message: format!(
                    "cannot import {name}: it is {} bytes, over the import limit of {} bytes: split it into smaller files",
                    bytes.len(),
                    limits.max_bytes
                ),
            });
        }
        let parsed = match kind {
            ImportKind::Linkedin => linkedin::parse(bytes, limits),
            ImportKind::Vcard => vcard_in::parse(bytes, "", limits),
            ImportKind::Csv => table::parse(bytes, &[], limits),
        }
        .and_then(|p| p.require_some())
        .map_err(refuse)?;
        let source = format!("{} {name}", kind.as_str());
        let new_contact = || ContactId::random(&mut rand::thread_rng());
        let summary = |p: &plan::Plan| ImportSummary {
            created: p.created(),
            updated: p.updated(),
            unchanged: p.unchanged(),
            skipped: p
                .skipped
                .iter()
                .map(|s| (s.record.clone(), s.reason.clone()))
                .collect(),
            warnings: p.warnings.clone(),
        };
        if !apply {
            let replica = self.replica.blocking_lock();
            return replica
                .home
                .with_vault(|vault| -> anyhow::Result<_> {
                    Ok(plan::plan(vault, parsed.clone(), new_contact)?)
                })
                .map(|p| summary(&p))
                .map_err(
                    |e: anyhow::Error| match e.downcast::<rapport_formats::ImportError>() {
                        Ok(e) => refuse(e),
                        Err(e) => to_book(&e, &no_field),
                    },
                );
        }
        let now = time::now_ms();
        self.write(&no_field, |vault, _| {
            let p = plan::plan(vault, parsed.clone(), new_contact)
                .map_err(|e| AppError::BadInput(format!("cannot import {name}: {e}")))?;
            plan::apply(
                vault,
                &p,
                &source,
                now,
                || InteractionId::random(&mut rand::thread_rng()),
                &mut |_| {},
            )
            .map_err(|e| AppError::BadInput(format!("cannot import {name}: {e}")))?;
            Ok(summary(&p))
        })
    }

    fn undo_import(&self) -> BookResult<String> {
        self.app_action(&rapport_app::Request::ImportUndo)
    }

    fn devices(&self) -> BookResult<Vec<DeviceRow>> {
        self.device_rows()
    }

    fn start_pairing(&self) -> BookResult<()> {
        let window = rapport_node::pairing::Window {
            // Any free port on every interface, as the new device may be on the LAN; the
            // code's link and the page carry the addresses.
            listen: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            timeout: std::time::Duration::from_secs(300),
            json: true,
            no_discovery: self.no_discovery,
        };
        let me = self.replica.blocking_lock().device;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let replica = self.replica.clone();
        let task = self
            .runtime
            .spawn(async move { rapport_node::pairing::run(&replica, window, tx).await });
        // The first line is the code, as JSON; it comes before the window waits.
        let first = rx.blocking_recv().ok_or_else(|| {
            BookError::Failed("the pairing window did not open: try again".into())
        })?;
        #[derive(serde::Deserialize)]
        struct First {
            code: String,
            addresses: Vec<String>,
        }
        let first: First = serde_json::from_str(&first)
            .map_err(|_| BookError::Failed("the pairing window did not open: try again".into()))?;
        let link = first
            .code
            .parse::<rapport_sync::pairing::PairingCode>()
            .map(|c| rapport_node::pairing::uri(&c, &first.addresses, me))
            .unwrap_or_default();
        let slot = self.pairing.clone();
        if let Ok(mut s) = slot.lock() {
            *s = Some(PairingView {
                code: first.code,
                addresses: first.addresses,
                link,
                state: PairingState::Waiting,
            });
        }
        self.runtime.spawn(async move {
            // Later lines (the QR text, hints) are for the terminal; the page has its own.
            let drain = async { while rx.recv().await.is_some() {} };
            let (result, ()) = tokio::join!(task, drain);
            let state = match result {
                Ok(Ok(said)) => PairingState::Done(said),
                Ok(Err(e)) => PairingState::Failed(e.to_string()),
                Err(_) => PairingState::Failed("the pairing window stopped unexpectedly".into()),
            };
            if let Ok(mut s) = slot.lock() {
                if let Some(p) = s.as_mut() {
                    p.state = state;
                }
            }
        });
        Ok(())
    }

    fn pairing(&self) -> Option<PairingView> {
        self.pairing.lock().ok().and_then(|p| p.clone())
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
        self.app_action(&rapport_app::Request::Revert {
            contact: id.to_string(),
            to: to.to_owned(),
        })
    }

    fn undo(&self, change: Option<&str>) -> BookResult<String> {
        self.app_action(&rapport_app::Request::Undo {
            change: change.map(str::to_owned),
        })
    }

    fn revoke_device(&self, id: &str) -> BookResult<String> {
        self.revoke(id)
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
