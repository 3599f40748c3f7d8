//! Output: JSON objects for scripts, plain text for people.

use crate::time;
use rapport_app::json::device_label;
use rapport_app::{Card, Response};
use rapport_model::{Contact, FollowUp, InteractionId, Origin};
use serde::Serialize;

/// One line per follow-up for `show`: "2026-12-20 open [id]", oldest due first.
pub fn follow_up_lines(c: &Contact) -> Vec<(InteractionId, String)> {
    let mut all: Vec<(&InteractionId, &FollowUp)> = c.follow_ups.iter().collect();
    all.sort_by_key(|(id, f)| (f.due, **id));
    all.into_iter()
        .map(|(id, f)| {
            let state = match (f.done, f.snoozed_until) {
                (Some(at), _) => format!("done {}", time::local(at)),
                (None, Some(s)) if s > f.due => format!("snoozed to {s}"),
                (None, _) => "open".to_owned(),
            };
            (*id, format!("due {} {state} [{id}]", f.due))
        })
        .collect()
}

/// Prints a value as JSON on stdout, streamed (see `out::json`).
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    crate::out::json(value)?;
    Ok(())
}

/// One line per contact: id, name, and what identifies them.
pub fn contact_line(c: &Contact) -> String {
    let mut parts = vec![c.name.clone()];
    match (&c.title, &c.org) {
        (Some(t), Some(o)) => parts.push(format!("{t}, {o}")),
        (None, Some(o)) => parts.push(o.clone()),
        (Some(t), None) => parts.push(t.clone()),
        (None, None) => {}
    }
    if let Some(e) = c.emails.iter().next() {
        parts.push(format!("<{e}>"));
    }
    if let Some(t) = c.trust {
        parts.push(format!("[{t}]"));
    }
    if !c.tags.is_empty() {
        parts.push(
            c.tags
                .iter()
                .map(|t| format!("#{t}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    format!("{}  {}", c.id, parts.join("  "))
}

/// The error and its causes, as one line.
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// Prints a response: its JSON form with `json` (when it has one), else text for people.
pub fn response(r: &Response, json: bool) -> anyhow::Result<()> {
    if json {
        if let Some(value) = r.json() {
            return print_json(&value);
        }
    }
    match r {
        Response::Created { id } => crate::out!("{id}"),
        Response::Edited { id, name, changed } => {
            if *changed {
                crate::out!("updated {id}  {name}");
            } else {
                crate::out!("unchanged {id}  {name} (it already looked like that)");
            }
        }
        Response::Tagged { id, name, tags } => {
            let tags: Vec<String> = tags.iter().map(|t| format!("#{t}")).collect();
            crate::out!("{id}  {name}  {}", tags.join(" "));
        }
        Response::Trashed { id, name } => {
            crate::out!("moved to the trash: {id}  {name} (undo with `rapport restore {id}`)")
        }
        Response::Restored { id, name } => crate::out!("restored {id}  {name}"),
        Response::Contacts(list) => {
            for c in &list.contacts {
                crate::out!("{}", contact_line(c));
            }
            if list.contacts.is_empty() && crate::out::is_terminal() {
                crate::note!("no contacts match; add one with `rapport add NAME`");
            }
        }
        Response::Trash(list) => {
            for c in &list.contacts {
                let when = c.deleted.map(time::local).unwrap_or_default();
                // A merged-away contact stays in the trash (its id resolves to the survivor).
                match c.merged_into {
                    Some(into) => crate::out!("{}  (merged into {into} {when})", contact_line(c)),
                    None => crate::out!("{}  (trashed {when})", contact_line(c)),
                }
            }
        }
        Response::Card(card) => show(card),
        Response::Found(found) => {
            for (c, matched) in &found.hits {
                crate::out!("{}", contact_line(c));
                for m in matched.iter().filter(|m| m.contains(':')) {
                    crate::out!("    {m}");
                }
            }
        }
        Response::Membership {
            group,
            added,
            names,
        } => {
            let verb = if *added { "added to" } else { "removed from" };
            crate::out!("{verb} {group}: {}", names.join(", "));
        }
        Response::GroupDeleted { id, name } => crate::out!(
            "deleted group {name} (members keep it; `rapport group restore {id}` brings it back)"
        ),
        Response::GroupRestored {
            name,
            members,
            members_readded,
        } => {
            let readded = match members_readded {
                0 => String::new(),
                k => format!(" ({k} memberships lost since the deletion were added back)"),
            };
            crate::out!("restored group {name} with {members} members{readded}");
        }
        Response::Groups(groups) => {
            for s in groups {
                let g = &s.group;
                let state = if g.deleted.is_some() {
                    "  (deleted)"
                } else {
                    ""
                };
                crate::out!("{}  {}  {} members{state}", g.id, g.name, s.members);
            }
        }
        Response::GroupCard(card) => {
            crate::out!("{}  ({} members)", card.group.name, card.members.len());
            if let Some(d) = &card.group.description {
                crate::out!("  {d}");
            }
            for c in &card.members {
                crate::out!("  {}", contact_line(c));
            }
        }
        // A response this version of the CLI cannot show (from a newer rapport-app).
        _ => anyhow::bail!("rapport cannot show this answer: please report it"),
    }
    Ok(())
}

/// `  · phone, 2026-11-26 09:01`: the device that last set any of `keys` and when, or nothing
/// when unknown. A key ending in `:` stands for every member of that set.
fn provenance_suffix(card: &Card, keys: &[&str]) -> String {
    let latest: Option<&Origin> = card
        .origins
        .iter()
        .filter(|o| {
            keys.iter().any(|k| {
                if k.ends_with(':') {
                    o.key.starts_with(k)
                } else {
                    o.key == *k
                }
            })
        })
        .max_by_key(|o| o.at);
    match latest {
        Some(o) => format!(
            "  · {}{}",
            device_label(&card.devices, card.this_device, o.device),
            o.at.map(|t| format!(", {}", time::local(t)))
                .unwrap_or_default()
        ),
        None => String::new(),
    }
}

/// `show`: the card, each row ending with who set it, then the timeline, newest first.
fn show(card: &Card) {
    let c = &card.contact;
    let name_of = |id: rapport_model::ContactId| {
        card.contact_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    crate::out!("{}{}", c.name, provenance_suffix(card, &["name"]));
    if c.is_trashed() {
        crate::out!(
            "  (in the trash: `rapport restore {}` brings it back)",
            c.id
        );
    }
    // Each row ends with the device that last set it and when (its keys' provenance).
    let row_from = |label: &str, value: Option<String>, keys: &[&str]| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            crate::out!("  {label:<14}{v}{}", provenance_suffix(card, keys));
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
        join(c.groups.iter().filter_map(|g| card.group_names.get(g))),
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
    for (id, line) in follow_up_lines(c) {
        row_from("follow-up", Some(line), &[&format!("follow_up:{id}")]);
    }
    row("updated", Some(time::local(c.updated)));
    if !card.timeline.is_empty() {
        crate::out!();
        for i in card.timeline.iter().rev() {
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
            let from = if i.device == card.this_device {
                String::new()
            } else {
                format!(
                    "  [from {}]",
                    device_label(&card.devices, card.this_device, Some(i.device))
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
}

fn join<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> Option<String> {
    let v: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    (!v.is_empty()).then(|| v.join(", "))
}
