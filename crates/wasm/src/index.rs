//! `Index`: the replica's read view, kept in memory beside the vault so that the list and a
//! search as you type never materialise 30k contacts again. Built once at load (one pass over
//! contacts and interactions), then kept up to date from each edit's `Touched`.
//!
//! Its rows are also the persisted read view (`ViewDelta`): the app stores them in IndexedDB
//! beside the change chunks, so that the list and search show before the document is loaded.
//! The index remembers which rows changed since the app last took them.

use crate::error::ReplicaError;
use rapport_model::{
    resolve_contact_among, Contact, ContactId, InteractionId, InteractionKind, Touched, UnixMillis,
    Vault,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Above this many changed rows, a delta is sent as the whole view (one pass instead of a
/// linear search per row).
const DELTA_MAX_ROWS: usize = 256;

/// One line of the contact list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub org: Option<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub trust: Option<String>,
    /// How many interactions the contact has.
    pub interactions: usize,
    /// The name lowercased: the list's order is (`sort`, `id`).
    pub sort: String,
    /// What a search looks in: name, organisation and title lowercased, emails and tags, one
    /// per line (the app's view matches a lowercased query against it, as `Index::search` does).
    pub text: String,
}

/// The read view's rows that changed since the last `Index::take_view`, with the document's
/// heads they reflect. `full`: `rows` is the whole view (sorted), replacing what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewDelta {
    pub heads: Vec<String>,
    pub full: bool,
    pub rows: Vec<Row>,
    /// Contacts no longer in the view (trashed).
    pub gone: Vec<String>,
}

/// A contact's card: the record as the model reads it, and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    pub contact: Contact,
    pub timeline: Vec<TimelineEntry>,
}

/// One interaction on a card, with the names of the others who were there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub id: String,
    pub at: UnixMillis,
    pub kind: InteractionKind,
    pub text: String,
    pub place: Option<String>,
    pub with: Vec<String>,
}

/// Live contacts sorted by name, their lowercased searchable text, and each contact's
/// interactions (time and id).
#[derive(Debug, Default)]
pub struct Index {
    contacts: Vec<Contact>,
    text: Vec<String>,
    timelines: HashMap<ContactId, Vec<(UnixMillis, InteractionId)>>,
    interactions: usize,
    /// Rows changed since the last `take_view`; `full` when the whole view must be resent.
    dirty: BTreeSet<ContactId>,
    full: bool,
}

fn sort_key(c: &Contact) -> (String, ContactId) {
    (c.name.to_lowercase(), c.id)
}

fn searchable(c: &Contact) -> String {
    let mut s = c.name.to_lowercase();
    for part in c.org.iter().chain(c.title.iter()) {
        s.push('\n');
        s.push_str(&part.to_lowercase());
    }
    for part in c.emails.iter().chain(c.tags.iter()) {
        s.push('\n');
        s.push_str(part);
    }
    s
}

impl Index {
    /// Reads every live contact and every interaction once.
    pub fn build(vault: &Vault) -> Result<Index, ReplicaError> {
        let mut contacts: Vec<Contact> = vault
            .contacts()?
            .into_iter()
            .filter(|c| !c.is_trashed())
            .collect();
        contacts.sort_by_cached_key(sort_key);
        let text = contacts.iter().map(searchable).collect();
        let mut index = Index {
            contacts,
            text,
            timelines: HashMap::new(),
            interactions: 0,
            dirty: BTreeSet::new(),
            full: true,
        };
        for i in vault.interactions()? {
            index.add_interaction(&i.contacts, i.at, i.id);
        }
        Ok(index)
    }

    fn add_interaction(&mut self, contacts: &[ContactId], at: UnixMillis, id: InteractionId) {
        self.interactions += 1;
        for c in contacts {
            let timeline = self.timelines.entry(*c).or_default();
            if !timeline.iter().any(|(_, known)| *known == id) {
                timeline.push((at, id));
            }
        }
    }

    /// Follows a local edit: re-reads the contacts it touched and adds the interactions it
    /// wrote. Anything else changed (`Touched::other`) rebuilds the whole index.
    pub fn update(&mut self, vault: &Vault, touched: &Touched) -> Result<(), ReplicaError> {
        if touched.other {
            *self = Index::build(vault)?;
            return Ok(());
        }
        self.dirty.extend(touched.contacts.iter().copied());
        for id in &touched.contacts {
            if let Some(at) = self.contacts.iter().position(|c| c.id == *id) {
                self.contacts.remove(at);
                self.text.remove(at);
            }
            if let Some(c) = vault.contact(*id)?.filter(|c| !c.is_trashed()) {
                let key = sort_key(&c);
                let at = self.contacts.partition_point(|other| sort_key(other) < key);
                self.text.insert(at, searchable(&c));
                self.contacts.insert(at, c);
            }
        }
        for id in &touched.interactions {
            if let Some(i) = vault.interaction(*id)? {
                let known = i.contacts.iter().any(|c| {
                    self.timelines
                        .get(c)
                        .is_some_and(|t| t.iter().any(|(_, k)| k == id))
                });
                if !known {
                    self.add_interaction(&i.contacts, i.at, i.id);
                    self.dirty.extend(i.contacts.iter().copied());
                }
            }
        }
        Ok(())
    }

    /// The contact the user means by `query` (an id, an email, a name or part of one), as the
    /// CLI resolves it, among live contacts.
    pub fn resolve(&self, query: &str) -> Result<ContactId, ReplicaError> {
        resolve_contact_among(query, &self.contacts, &|_| true)
            .map(|c| c.id)
            .map_err(|e| ReplicaError::BadInput(e.to_string()))
    }

    fn row(&self, at: usize) -> Option<Row> {
        let c = self.contacts.get(at)?;
        Some(Row {
            id: c.id.to_string(),
            name: c.name.clone(),
            org: c.org.clone(),
            email: c.emails.iter().next().cloned(),
            tags: c.tags.iter().cloned().collect(),
            trust: c.trust.map(|t| t.as_str().to_owned()),
            interactions: self.timelines.get(&c.id).map_or(0, Vec::len),
            sort: sort_key(c).0,
            text: self.text.get(at).cloned().unwrap_or_default(),
        })
    }

    /// The rows that changed since the last call (or all of them, after a build), for the
    /// persisted view; `heads` are the document's heads they reflect.
    pub fn take_view(&mut self, heads: Vec<String>) -> ViewDelta {
        let full = self.full || self.dirty.len() > DELTA_MAX_ROWS;
        let dirty = std::mem::take(&mut self.dirty);
        self.full = false;
        if full {
            return self.full_view(heads);
        }
        let mut rows = Vec::new();
        let mut gone = Vec::new();
        for id in dirty {
            match self.contacts.iter().position(|c| c.id == id) {
                Some(at) => rows.extend(self.row(at)),
                None => gone.push(id.to_string()),
            }
        }
        ViewDelta {
            heads,
            full,
            rows,
            gone,
        }
    }

    /// The whole view, sorted, leaving what changed since the last `take_view` untouched.
    pub fn full_view(&self, heads: Vec<String>) -> ViewDelta {
        ViewDelta {
            heads,
            full: true,
            rows: self.list(0, usize::MAX).0,
            gone: Vec::new(),
        }
    }

    /// The stored view is current: forget what changed (after a load whose view was stored).
    pub fn mark_view_stored(&mut self) {
        self.dirty.clear();
        self.full = false;
    }

    /// Asks the next `take_view` for the whole view (the stored one is missing or stale).
    pub fn resend_view(&mut self) {
        self.full = true;
    }

    /// Contacts whose text holds `query`, case-insensitive, by name; at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Row> {
        let needle = query.trim().to_lowercase();
        self.text
            .iter()
            .enumerate()
            .filter(|(_, t)| t.contains(&needle))
            .take(limit)
            .filter_map(|(at, _)| self.row(at))
            .collect()
    }

    /// A page of the list, by name, and the number of live contacts.
    pub fn list(&self, offset: usize, limit: usize) -> (Vec<Row>, usize) {
        let end = offset.saturating_add(limit).min(self.contacts.len());
        let rows = (offset.min(end)..end)
            .filter_map(|at| self.row(at))
            .collect();
        (rows, self.contacts.len())
    }

    /// Live contacts and all interactions.
    pub fn counts(&self) -> (usize, usize) {
        (self.contacts.len(), self.interactions)
    }

    /// A contact's card, its interactions newest first.
    pub fn card(&self, vault: &Vault, id: ContactId) -> Result<Card, ReplicaError> {
        let contact = self
            .contacts
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or_else(|| ReplicaError::BadInput(format!("no contact {id}")))?;
        let mut ids = self.timelines.get(&id).cloned().unwrap_or_default();
        ids.sort_by(|a, b| b.cmp(a));
        let name_of = |c: &ContactId| {
            self.contacts
                .iter()
                .find(|k| k.id == *c)
                .map_or_else(|| c.to_string(), |k| k.name.clone())
        };
        let mut timeline = Vec::with_capacity(ids.len());
        for (_, iid) in ids {
            if let Some(i) = vault.interaction(iid)? {
                timeline.push(TimelineEntry {
                    id: iid.to_string(),
                    at: i.at,
                    kind: i.kind,
                    text: i.text,
                    place: i.place,
                    with: i
                        .contacts
                        .iter()
                        .filter(|c| **c != id)
                        .map(name_of)
                        .collect(),
                });
            }
        }
        Ok(Card { contact, timeline })
    }
}
