//! Read commands. They read the store's view only; none of them loads the Automerge document
//! while the view is current.

use super::{find_contact, find_group, BadInput};
use crate::home::Home;
use crate::render::{self, contact_json, group_names, interaction_json};
use crate::time;
use anyhow::Result;
use rapport_model::{Contact, TrustLevel};
use serde::Serialize;

pub fn list(
    home: &Home,
    tag: Option<String>,
    group: Option<String>,
    trust_at_least: Option<String>,
    json: bool,
) -> Result<()> {
    let min_trust = trust_at_least
        .as_deref()
        .map(str::parse::<TrustLevel>)
        .transpose()
        .map_err(|e| BadInput(e.to_string()))?;
    let tag = tag.map(|t| t.trim().to_lowercase());
    let (mut contacts, groups) = home.read(|v| Ok((v.contacts()?, v.groups()?)))?;
    let group = group.map(|g| find_group(&groups, &g, false)).transpose()?;
    contacts.retain(|c| {
        !c.is_trashed()
            && tag.as_ref().is_none_or(|t| c.tags.contains(t))
            && group.as_ref().is_none_or(|g| c.groups.contains(&g.id))
            && min_trust.is_none_or(|m| c.trust.is_some_and(|t| t >= m))
    });
    sort_by_name(&mut contacts);
    if json {
        return render::print_contacts_json(&contacts, &groups);
    }
    for c in &contacts {
        crate::out!("{}", render::contact_line(c));
    }
    if contacts.is_empty() && crate::out::is_terminal() {
        crate::note!("no contacts match; add one with `rapport add NAME`");
    }
    Ok(())
}

pub fn show(home: &Home, query: &str, json: bool) -> Result<()> {
    // An exact id (what scripts and `list` give) reads one record instead of every contact.
    let by_id = match query.trim().parse::<rapport_model::ContactId>() {
        // A merged-away id goes the long way, which follows it to the survivor.
        Ok(id) => home
            .read(|v| v.contact(id))?
            .map(|found| found.contact)
            .filter(|c| c.merged_into.is_none()),
        Err(_) => None,
    };
    let groups = home.read(|v| v.groups())?;
    let found = match by_id {
        Some(found) => found,
        None => {
            let contacts = home.read(|v| v.contacts())?;
            find_contact(&contacts, query, false)
                .or_else(|e| find_contact(&contacts, query, true).map_err(|_| e))?
        }
    };
    let (view, origins, devices) =
        home.read(|v| Ok((v.contact(found.id)?, v.provenance(found.id)?, v.devices()?)))?;
    let view = view
        .ok_or_else(|| super::NotFound(format!("contact {} vanished while reading", found.id)))?;
    let names = group_names(&groups);
    let c = &view.contact;
    let prov = super::provenance::Provenance::new(&origins, &devices, home.device);
    if json {
        let mut out = contact_json(c, &names);
        out.interactions = Some(view.timeline.iter().map(interaction_json).collect());
        return render::print_json(&prov.add_to_json(serde_json::to_value(&out)?));
    }
    let name_of = |id| {
        home.read(|v| v.contact(id))
            .ok()
            .flatten()
            .map(|x| x.contact.name)
            .unwrap_or_else(|| id.to_string())
    };
    crate::out!("{}{}", c.name, prov.suffix(&["name"]));
    if c.is_trashed() {
        crate::out!(
            "  (in the trash: `rapport restore {}` brings it back)",
            c.id
        );
    }
    // Each row ends with the device that last set it and when (its keys' provenance).
    let row_from = |label: &str, value: Option<String>, keys: &[&str]| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            crate::out!("  {label:<14}{v}{}", prov.suffix(keys));
        }
    };
    let row = |label: &str, value: Option<String>| {
        let key = match label {
            "met on" => "met_on",
            "met at" => "met_at",
            "context" => "met_context",
            "introduced by" => "introduced_by",
            "connected on" => "connected_on",
            "snoozed until" => "snoozed_until",
            "tags" => "tag:",
            "groups" => "group:",
            "email" => "email:",
            "phone" => "phone:",
            "link" => "link:",
            other => other,
        };
        row_from(label, value, &[key]);
    };
    crate::out!("  {:<14}{}", "id", c.id);
    row("title", c.title.clone());
    row("org", c.org.clone());
    row("email", join(c.emails.iter()));
    row("phone", join(c.phones.iter()));
    row("link", join(c.links.iter()));
    row("tags", join(c.tags.iter().map(|t| format!("#{t}"))));
    row(
        "groups",
        join(
            c.groups
                .iter()
                .filter_map(|g| names.get(g).map(|n| n.to_string())),
        ),
    );
    row("trust", c.trust.map(|t| t.to_string()));
    row("met on", c.met_on.map(|d| d.to_string()));
    row("met at", c.met_at.clone());
    row("context", c.met_context.clone());
    row("introduced by", c.introduced_by.map(name_of));
    row("connected on", c.connected_on.map(|d| d.to_string()));
    row("notes", c.notes.clone());
    row("cadence", c.cadence.map(|p| p.every()));
    row("snoozed until", c.snoozed_until.map(|d| d.to_string()));
    for (id, line) in render::follow_up_lines(c) {
        row_from("follow-up", Some(line), &[&format!("follow_up:{id}")]);
    }
    row("updated", Some(time::local(c.updated)));
    if !view.timeline.is_empty() {
        crate::out!();
        for i in view.timeline.iter().rev() {
            let place = i
                .place
                .as_deref()
                .map(|p| format!(" @ {p}"))
                .unwrap_or_default();
            let others: Vec<String> = i
                .contacts
                .iter()
                .filter(|x| **x != c.id)
                .map(|x| name_of(*x))
                .collect();
            let with = if others.is_empty() {
                String::new()
            } else {
                format!(" (with {})", others.join(", "))
            };
            let from = if i.device == home.device {
                String::new()
            } else {
                format!(
                    "  [from {}]",
                    super::conflicts::device_label(&devices, home.device, Some(i.device))
                )
            };
            crate::out!(
                "  {}  {:<8}{}{}{}",
                time::local(i.at),
                i.kind,
                place,
                with,
                from
            );
            crate::out!("      {}", i.text);
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct SearchHit<'a> {
    #[serde(flatten)]
    contact: render::ContactJson<'a>,
    matched: Vec<String>,
}

pub fn search(home: &Home, query: &str, json: bool) -> Result<()> {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Err(BadInput("the search query is empty: give a word to look for".into()).into());
    }
    let (contacts, groups, text_hits) = home.read(|v| {
        let mut text_hits = std::collections::BTreeMap::new();
        v.for_each_timeline_containing(&needle, |id, timeline| {
            let hits: Vec<String> = timeline
                .iter()
                .filter(|i| {
                    contains_ci(&i.text, &needle)
                        || i.place.as_deref().is_some_and(|p| contains_ci(p, &needle))
                })
                .map(|i| {
                    format!(
                        "{} {}: {}",
                        time::local(i.at),
                        i.kind,
                        snippet(&i.text, &needle)
                    )
                })
                .collect();
            if !hits.is_empty() {
                text_hits.insert(id, hits);
            }
        })?;
        // Only contacts that can match are decoded: those whose timelines matched, and those
        // whose own stored text holds the needle.
        let also = text_hits.keys().copied().collect();
        Ok((v.contacts_matching(&needle, &also)?, v.groups()?, text_hits))
    })?;
    let mut hits: Vec<(&Contact, Vec<String>)> = Vec::new();
    for c in contacts.iter().filter(|c| !c.is_trashed()) {
        let mut matched = Vec::new();
        if contains_ci(&c.name, &needle) {
            matched.push("name".to_owned());
        }
        if c.org.as_deref().is_some_and(|o| contains_ci(o, &needle)) {
            matched.push("org".to_owned());
        }
        if c.title.as_deref().is_some_and(|o| contains_ci(o, &needle)) {
            matched.push("title".to_owned());
        }
        if c.emails.iter().any(|e| e.contains(&needle)) {
            matched.push("email".to_owned());
        }
        if c.tags.iter().any(|t| t.contains(&needle)) {
            matched.push("tag".to_owned());
        }
        if c.notes.as_deref().is_some_and(|n| contains_ci(n, &needle)) {
            matched.push("notes".to_owned());
        }
        if let Some(lines) = text_hits.get(&c.id) {
            matched.extend(lines.iter().cloned());
        }
        if !matched.is_empty() {
            hits.push((c, matched));
        }
    }
    hits.sort_by_key(|a| name_key(a.0));
    if json {
        let names = group_names(&groups);
        let out: Vec<SearchHit<'_>> = hits
            .iter()
            .map(|(c, m)| SearchHit {
                contact: contact_json(c, &names),
                matched: m.clone(),
            })
            .collect();
        return render::print_json(&out);
    }
    for (c, matched) in &hits {
        crate::out!("{}", render::contact_line(c));
        for m in matched.iter().filter(|m| m.contains(':')) {
            crate::out!("    {m}");
        }
    }
    Ok(())
}

pub fn trash(home: &Home, json: bool) -> Result<()> {
    let (mut contacts, groups) = home.read(|v| Ok((v.contacts()?, v.groups()?)))?;
    contacts.retain(Contact::is_trashed);
    sort_by_name(&mut contacts);
    if json {
        return render::print_contacts_json(&contacts, &groups);
    }
    for c in &contacts {
        let when = c.deleted.map(time::local).unwrap_or_default();
        // A merged-away contact stays in the trash (its id resolves to the survivor); say so.
        match c.merged_into {
            Some(into) => crate::out!("{}  (merged into {into} {when})", render::contact_line(c)),
            None => crate::out!("{}  (trashed {when})", render::contact_line(c)),
        }
    }
    Ok(())
}

fn sort_by_name(contacts: &mut [Contact]) {
    contacts.sort_by_cached_key(|c| (c.name.to_lowercase(), c.id));
}

fn name_key(c: &Contact) -> (String, rapport_model::ContactId) {
    (c.name.to_lowercase(), c.id)
}

fn join<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> Option<String> {
    let v: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    (!v.is_empty()).then(|| v.join(", "))
}

fn contains_ci(haystack: &str, lower_needle: &str) -> bool {
    if haystack.is_ascii() && lower_needle.is_ascii() {
        // Fast path for the common case: no allocation.
        haystack
            .as_bytes()
            .windows(lower_needle.len().max(1))
            .any(|w| w.eq_ignore_ascii_case(lower_needle.as_bytes()))
    } else {
        haystack.to_lowercase().contains(lower_needle)
    }
}

/// A short excerpt of `text` around the first match.
fn snippet(text: &str, lower_needle: &str) -> String {
    const WIDTH: usize = 60;
    let lower = text.to_lowercase();
    let at = lower.find(lower_needle).unwrap_or(0);
    if text.len() <= WIDTH || lower.len() != text.len() {
        return text.chars().take(WIDTH * 2).collect();
    }
    let mut start = at.saturating_sub(WIDTH / 2);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + WIDTH).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    format!("{prefix}{}{suffix}", &text[start..end])
}
