//! The relationship layer's commands: `intro`, `introduce`, `cadence`, `done`, `snooze`, `due`
//! and `brief`. Reads go through the read view (no Automerge load); the queries themselves
//! are `rapport_model::relate`; text rendering is in `relate_render`.

use super::relate_render as show;
use crate::home::Home;
use crate::{render, time};
use anyhow::Result;
use rapport_app::resolve::{find_contact, find_group, lookup_contact};
use rapport_app::AppError;
use rapport_model::relate::{self, Book, DeviceTouch};
use rapport_model::{
    Contact, ContactField, ContactId, ContactPatch, Group, Interaction, InteractionId, Period,
    RecordRef,
};
use rapport_store::{ReadView, StoreError};
use std::collections::BTreeMap;

/// Everything the queries read, from the view.
struct Loaded {
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    groups: Vec<Group>,
    tags: BTreeMap<String, Period>,
}

impl Loaded {
    fn read(view: &ReadView<'_>) -> Result<Loaded, StoreError> {
        Ok(Loaded {
            contacts: view.contacts()?,
            interactions: view.interactions()?,
            groups: view.groups()?,
            tags: view.tag_cadences()?,
        })
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

pub fn intro(home: &Home, target: &str, max_hops: usize, json: bool) -> Result<()> {
    let data = home.read(Loaded::read)?;
    let target = find_contact(&data.contacts, target, false)?;
    let paths = relate::intro_paths(&data.book(), target.id, max_hops);
    if json {
        return render::print_json(&serde_json::json!({
            "target": relate::Person::of(&target),
            "max_hops": max_hops,
            "paths": paths,
        }));
    }
    show::intro(&target, max_hops, &paths);
    Ok(())
}

pub fn graph(home: &Home, group: Option<&str>, json: bool) -> Result<()> {
    let data = home.read(Loaded::read)?;
    let group = group
        .map(|g| find_group(&data.groups, g, false))
        .transpose()?;
    let graph = relate::intro_graph(&data.book(), group.as_ref().map(|g| g.id));
    if json {
        return render::print_json(&graph);
    }
    show::graph(&graph);
    Ok(())
}

pub fn introduce(
    home: &Home,
    a: &str,
    b: &str,
    note: Option<String>,
    at: Option<&str>,
    set_introduced_by: bool,
) -> Result<()> {
    let now = time::now_ms();
    let at = at.map(time::parse_at).transpose()?.unwrap_or(now);
    let id = super::write(home, |vault, view| {
        let a = lookup_contact(view, a, false)?;
        let b = lookup_contact(view, b, false)?;
        if a.id == b.id {
            return Err(AppError::BadInput(format!(
                "`{}` and `{}` are the same contact: name two people",
                a.name, b.name
            ))
            .into());
        }
        let id = InteractionId::random(&mut rand::thread_rng());
        vault.introduce(id, a.id, b.id, at, note.as_deref(), set_introduced_by, now)?;
        Ok(id)
    })?;
    crate::out!("{id}");
    Ok(())
}

pub fn cadence(
    home: &Home,
    args: &[String],
    group: Option<&str>,
    tag: Option<&str>,
    clear: bool,
) -> Result<()> {
    let usage = || {
        AppError::BadInput(
            "write `rapport cadence CONTACT PERIOD`, `rapport cadence --group GROUP PERIOD` or \
             `rapport cadence --tag TAG PERIOD` (PERIOD: 14d, 2w, 6mo, 1y), or --clear instead \
             of PERIOD"
                .to_owned(),
        )
    };
    let by_set = group.is_some() || tag.is_some();
    let (contact, period) = match (by_set, args, clear) {
        (true, [], true) => (None, None),
        (true, [p], false) => (None, Some(p)),
        (false, [c], true) => (Some(c), None),
        (false, [c, p], false) => (Some(c), Some(p)),
        _ => return Err(usage().into()),
    };
    let period: Option<Period> = period
        .map(|p| {
            p.parse()
                .map_err(|e: rapport_model::ParsePeriodError| AppError::BadInput(e.to_string()))
        })
        .transpose()?;
    let now = time::now_ms();
    let (what, changed) = super::write(home, |vault, view| {
        if let Some(g) = group {
            let g = find_group(&view.groups()?, g, false)?;
            let changed = vault.set_group_cadence(g.id, period, now)?;
            return Ok((format!("group {}", g.name), changed));
        }
        if let Some(t) = tag {
            let changed = vault.set_tag_cadence(t, period, now)?;
            return Ok((format!("tag {}", t.trim().to_lowercase()), changed));
        }
        let query = contact.map(String::as_str).unwrap_or_default();
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
    })?;
    match (period, changed) {
        (Some(p), true) => crate::out!("{what}: keep in touch {}", p.every()),
        (None, true) => crate::out!("{what}: cadence cleared"),
        (_, false) => crate::out!("{what}: unchanged (it already was so)"),
    }
    Ok(())
}

/// The live contact that holds a follow-up, from the view.
fn owner_of(view: &ReadView<'_>, id: InteractionId) -> Result<Option<Contact>, StoreError> {
    Ok(view
        .contacts()?
        .into_iter()
        .find(|c| !c.is_trashed() && c.follow_ups.contains_key(&id)))
}

pub fn done(home: &Home, id: InteractionId) -> Result<()> {
    let now = time::now_ms();
    let (name, changed) = super::write(home, |vault, view| {
        let owner = owner_of(view, id)?.ok_or_else(|| no_follow_up(id))?;
        Ok((owner.name, vault.close_follow_up(owner.id, id, now)?))
    })?;
    if changed {
        crate::out!("done: follow-up {id} ({name})");
    } else {
        crate::out!("follow-up {id} ({name}) was already done");
    }
    Ok(())
}

pub fn snooze(home: &Home, target: &str, period: Period) -> Result<()> {
    let now = time::now_ms();
    let until = period.after(time::today());
    let said = super::write(home, |vault, view| {
        if let Ok(id) = target.trim().parse::<InteractionId>() {
            if let Some(owner) = owner_of(view, id)? {
                vault.snooze_follow_up(owner.id, id, until, now)?;
                return Ok(format!(
                    "follow-up {id} ({}) snoozed until {until}",
                    owner.name
                ));
            }
        }
        let c = lookup_contact(view, target, false)?;
        let deferred = vault.snooze_contact(c.id, until, now)?;
        Ok(format!(
            "{} snoozed until {until} (with {} open follow-up{})",
            c.name,
            deferred.len(),
            if deferred.len() == 1 { "" } else { "s" }
        ))
    })?;
    crate::out!("{said}");
    Ok(())
}

fn no_follow_up(id: InteractionId) -> anyhow::Error {
    AppError::NotFound(format!(
        "no follow-up has id {id}: `rapport due --within 1y` lists them with their ids"
    ))
    .into()
}

pub fn due(home: &Home, within: Option<Period>, json: bool, ics: bool) -> Result<()> {
    let data = home.read(Loaded::read)?;
    let today = time::today();
    let items = relate::due(&data.book(), today, within);
    if ics {
        let text = rapport_formats::ics_out::due_calendar(&items, chrono::Utc::now());
        // Lines end in CRLF, as RFC 5545 wants; `out!` adds the last LF.
        crate::out!("{}\r", text.strip_suffix("\r\n").unwrap_or(&text));
        return Ok(());
    }
    if json {
        return render::print_json(&serde_json::json!({
            "today": today,
            "within": within,
            "items": items,
        }));
    }
    show::due(&items, within);
    Ok(())
}

pub fn brief(home: &Home, query: &str, json: bool) -> Result<()> {
    let history = home.store.history_is_current()?;
    let (data, devices) = home.read(|view| Ok((Loaded::read(view)?, view.devices()?)))?;
    let target = find_contact(&data.contacts, query, false)?;
    let touches = home.read(|view| device_touches(view, target.id, history, &devices))?;
    let b = relate::brief(&data.book(), target.id, touches)
        .ok_or_else(|| AppError::NotFound(format!("contact {} is in the trash", target.id)))?;
    if json {
        return render::print_json(&b);
    }
    show::brief(&b);
    Ok(())
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
