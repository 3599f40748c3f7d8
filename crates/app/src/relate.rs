//! The relationship layer's requests: `intro`, `introduce`, `cadence`, `done`, `snooze`,
//! `due` and `brief`. Reads go through the read view (no Automerge load); the queries
//! themselves are `rapport_model::relate`.

use crate::home::Home;
use crate::request::CadenceTarget;
use crate::resolve::{find_contact, find_group, lookup_contact};
use crate::response::{Response, Snoozed};
use crate::{time, AppError, Millis};
use rapport_model::relate::{self, Book, DeviceTouch};
use rapport_model::{
    Contact, ContactField, ContactId, ContactPatch, Group, Interaction, InteractionId, Period,
    RecordRef,
};
use rapport_store::{ContactView, Emails, ReadView, StoreError};
use std::collections::{BTreeMap, HashMap};

/// Everything the queries read, from the view's relate index (`ReadView::relate_book`): slim
/// contacts and only the interactions the queries look at, so that no timeline is decoded.
struct Loaded {
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    groups: Vec<Group>,
    tags: BTreeMap<String, Period>,
}

impl Loaded {
    /// The contacts and the interactions among several of them: what `intro` walks.
    fn read_graph(view: &ReadView<'_>, emails: Emails) -> Result<Loaded, StoreError> {
        Loaded::of(view, view.relate_graph(emails)?)
    }

    /// Without the acquaintance graph: `due` needs none, and `brief` takes the edges of its one
    /// contact from that contact's whole timeline (`whole_records`).
    fn read_people(view: &ReadView<'_>, emails: Emails) -> Result<Loaded, StoreError> {
        Loaded::of(view, view.relate_people(emails)?)
    }

    /// `read` (`read_graph` or `read_people`, with whatever else it returns) for a query that
    /// finds `query` among the contacts: first without their emails, which only finding a
    /// contact by email reads, and again with them unless `query` turned out to be the exact
    /// id of a contact `find_contact` takes, the first thing it tries. Decoding 30k contacts'
    /// emails was a tenth of a cold `intro` on W30, and scripts name contacts by id.
    fn read_to_find<T>(
        home: &Home,
        query: &str,
        read: impl Fn(&ReadView<'_>, Emails) -> Result<T, StoreError>,
        loaded: impl Fn(&T) -> &Loaded,
    ) -> Result<T, AppError> {
        let Ok(id) = query.trim().to_lowercase().parse::<ContactId>() else {
            return home.read(|view| read(view, Emails::Read));
        };
        let lean = home.read(|view| read(view, Emails::Skip))?;
        // As `find_contact` takes an exact id: a live contact, or a merged one (followed).
        let by_id = loaded(&lean)
            .contacts
            .iter()
            .any(|c| c.id == id && (!c.is_trashed() || c.merged_into.is_some()));
        if by_id {
            return Ok(lean);
        }
        home.release(lean);
        home.read(|view| read(view, Emails::Read))
    }

    fn of(view: &ReadView<'_>, book: rapport_store::RelateBook) -> Result<Loaded, StoreError> {
        Ok(Loaded {
            contacts: book.contacts,
            interactions: book.interactions,
            groups: view.groups()?,
            tags: view.tag_cadences()?,
        })
    }

    /// For a brief of `target`: the view's whole records of the contact it stands for
    /// (itself, or the survivor of its merges) and of every contact merged into it, whose
    /// cards and timelines then replace the index's slim versions (`replace`).
    fn whole_records(
        contacts: &[Contact],
        view: &ReadView<'_>,
        target: ContactId,
    ) -> Result<Vec<ContactView>, StoreError> {
        let merged: HashMap<ContactId, ContactId> = contacts
            .iter()
            .filter_map(|c| c.merged_into.map(|m| (c.id, m)))
            .collect();
        // The end of a chain of merges; a chain longer than 64 is a cycle (as in
        // `relate::graph`'s resolver), and then nothing is completed.
        let survivor = |mut id: ContactId| {
            for _ in 0..64 {
                match merged.get(&id) {
                    Some(next) => id = *next,
                    None => return Some(id),
                }
            }
            None
        };
        let Some(live) = survivor(target) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for c in contacts.iter().filter(|c| survivor(c.id) == Some(live)) {
            out.extend(view.contact(c.id)?);
        }
        Ok(out)
    }

    /// Puts a whole record in place of the slim one, and its timeline among the interactions.
    fn replace(&mut self, full: ContactView) {
        let id = full.contact.id;
        if let Some(c) = self.contacts.iter_mut().find(|c| c.id == id) {
            *c = full.contact;
        }
        let at: HashMap<InteractionId, usize> = self
            .interactions
            .iter()
            .enumerate()
            .map(|(n, i)| (i.id, n))
            .collect();
        for i in full.timeline {
            match at.get(&i.id) {
                Some(n) => self.interactions[*n] = i,
                None => self.interactions.push(i),
            }
        }
    }

    fn book(&self) -> Book<'_> {
        Book {
            contacts: &self.contacts,
            interactions: &self.interactions,
            groups: &self.groups,
            tag_cadences: &self.tags,
        }
    }
}

pub fn intro(home: &Home, target: &str, max_hops: u8) -> Result<Response, AppError> {
    let data = Loaded::read_to_find(home, target, Loaded::read_graph, |l| l)?;
    let target = find_contact(&data.contacts, target, false)?;
    let paths = relate::intro_paths(&data.book(), target.id, max_hops.into());
    home.release(data);
    Ok(Response::Intro {
        target: relate::Person::of(&target),
        max_hops,
        paths,
    })
}

pub fn graph(home: &Home, group: Option<&str>) -> Result<Response, AppError> {
    // The graph names its people by name and trust only.
    let data = home.read(|view| Loaded::read_graph(view, Emails::Skip))?;
    let group = group
        .map(|g| find_group(&data.groups, g, false))
        .transpose()?;
    let graph = relate::intro_graph(&data.book(), group.as_ref().map(|g| g.id));
    home.release(data);
    Ok(Response::IntroGraph(graph))
}

pub fn introduce(
    home: &Home,
    (a, b): (&str, &str),
    note: Option<&str>,
    at: Option<Millis>,
    set_introduced_by: bool,
) -> Result<Response, AppError> {
    let now = time::now_ms();
    let at = at.unwrap_or(now);
    let id = home.write(|vault, view| {
        let a = lookup_contact(view, a, false)?;
        let b = lookup_contact(view, b, false)?;
        if a.id == b.id {
            return Err(AppError::BadInput(format!(
                "`{}` and `{}` are the same contact: name two people",
                a.name, b.name
            )));
        }
        let id = InteractionId::random(&mut rand::thread_rng());
        vault.introduce(id, a.id, b.id, at, note, set_introduced_by, now)?;
        Ok(id)
    })?;
    Ok(Response::Created { id: id.to_string() })
}

pub fn cadence(
    home: &Home,
    target: &CadenceTarget,
    period: Option<Period>,
) -> Result<Response, AppError> {
    let now = time::now_ms();
    let (what, changed) = home.write(|vault, view| match target {
        CadenceTarget::Group(g) => {
            let g = find_group(&view.groups()?, g, false)?;
            let changed = vault.set_group_cadence(g.id, period, now)?;
            Ok((format!("group {}", g.name), changed))
        }
        CadenceTarget::Tag(t) => {
            let changed = vault.set_tag_cadence(t, period, now)?;
            Ok((format!("tag {}", t.trim().to_lowercase()), changed))
        }
        CadenceTarget::Contact(query) => {
            let c = lookup_contact(view, query, false)?;
            let patch = ContactPatch {
                cadence: period,
                clear: if period.is_none() {
                    vec![ContactField::Cadence]
                } else {
                    Vec::new()
                },
                ..Default::default()
            };
            let changed = vault.edit_contact(c.id, &patch, now)?;
            Ok((c.name, changed))
        }
    })?;
    Ok(Response::Cadence {
        what,
        period,
        changed,
    })
}

/// The live contact that holds a follow-up, from the view.
fn owner_of(view: &ReadView<'_>, id: InteractionId) -> Result<Option<Contact>, StoreError> {
    Ok(view
        .contacts()?
        .into_iter()
        .find(|c| !c.is_trashed() && c.follow_ups.contains_key(&id)))
}

pub fn done(home: &Home, id: InteractionId) -> Result<Response, AppError> {
    let now = time::now_ms();
    let (name, changed) = home.write(|vault, view| {
        let owner = owner_of(view, id)?.ok_or_else(|| no_follow_up(id))?;
        Ok((owner.name, vault.close_follow_up(owner.id, id, now)?))
    })?;
    Ok(Response::FollowUpDone { id, name, changed })
}

pub fn snooze(home: &Home, target: &str, period: Period) -> Result<Response, AppError> {
    let now = time::now_ms();
    let until = period.after(time::today());
    let what = home.write(|vault, view| {
        if let Ok(id) = target.trim().parse::<InteractionId>() {
            if let Some(owner) = owner_of(view, id)? {
                vault.snooze_follow_up(owner.id, id, until, now)?;
                return Ok(Snoozed::FollowUp {
                    id,
                    name: owner.name,
                });
            }
        }
        let c = lookup_contact(view, target, false)?;
        let deferred = vault.snooze_contact(c.id, until, now)?;
        Ok(Snoozed::Contact {
            name: c.name,
            follow_ups: deferred.len(),
        })
    })?;
    Ok(Response::Snoozed { what, until })
}

fn no_follow_up(id: InteractionId) -> AppError {
    AppError::NotFound(format!(
        "no follow-up has id {id}: `rapport due --within 1y` lists them with their ids"
    ))
}

pub fn due(home: &Home, within: Option<Period>, calendar: bool) -> Result<Response, AppError> {
    // `due` finds no contact, and names them by name and trust only.
    let data = home.read(|view| Loaded::read_people(view, Emails::Skip))?;
    let today = time::today();
    let items = relate::due(&data.book(), today, within);
    home.release(data);
    if calendar {
        return Ok(Response::Calendar(rapport_formats::ics_out::due_calendar(
            &items,
            chrono::Utc::now(),
        )));
    }
    Ok(Response::Due {
        today,
        within,
        items,
    })
}

pub fn brief(home: &Home, query: &str) -> Result<Response, AppError> {
    let history = home.store.history_is_current()?;
    // The brief's own contact comes whole from the view (`whole_records`), emails included.
    let (mut data, devices) = Loaded::read_to_find(
        home,
        query,
        |view, emails| Ok((Loaded::read_people(view, emails)?, view.devices()?)),
        |(l, _)| l,
    )?;
    let target = find_contact(&data.contacts, query, false)?;
    let whole = home.read(|view| Loaded::whole_records(&data.contacts, view, target.id))?;
    for full in whole {
        data.replace(full);
    }
    let touches = home.read(|view| device_touches(view, target.id, history, &devices))?;
    let b = relate::brief(&data.book(), target.id, touches);
    home.release(data);
    let b =
        b.ok_or_else(|| AppError::NotFound(format!("contact {} is in the trash", target.id)))?;
    Ok(Response::Brief(Box::new(b)))
}

/// The last change each device made to a contact: from the history index when it is
/// complete, else from provenance (the last value each device still holds on the card).
fn device_touches(
    view: &ReadView<'_>,
    id: ContactId,
    history: bool,
    devices: &[rapport_model::Device],
) -> Result<Vec<DeviceTouch>, StoreError> {
    let mut last: BTreeMap<rapport_model::DeviceId, i64> = BTreeMap::new();
    let mut seen = |device: Option<rapport_model::DeviceId>, at: Option<i64>| {
        if let (Some(d), Some(at)) = (device, at) {
            let t = last.entry(d).or_insert(at);
            *t = (*t).max(at);
        }
    };
    if history {
        for e in view.history(RecordRef::Contact(id), None)? {
            seen(e.device, Some(e.time));
        }
    } else {
        for o in view.provenance(id)? {
            seen(o.device, o.at);
        }
    }
    Ok(last
        .into_iter()
        .map(|(device, at)| DeviceTouch {
            device,
            name: devices
                .iter()
                .find(|d| d.id == device)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| device.short()),
            at,
        })
        .collect())
}
