//! Text for people: every `Response` as the lines the CLI prints, built as strings so that
//! the same text comes out whether the command ran in this process or in the daemon (which
//! sends the typed response, never text). Pure: no printing, no terminal queries (the caller
//! says whether stdout is a terminal). JSON is `Response::json`.

mod conflicts;
mod dedupe;
mod devices;
mod files;
mod history;
mod relate;

use crate::json::device_label;
use crate::time;
use crate::{Card, Response};
pub use devices::left_message;
use rapport_model::{Contact, FollowUp, InteractionId, Origin};
use std::fmt::Write;

/// What a response shows: lines for stdout, and notes for stderr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pub stdout: String,
    /// Hints for a person at a terminal, one per line.
    pub notes: Vec<String>,
}

/// `r` as text; `terminal` says whether stdout is one (some hints are only for people).
pub fn text(r: &Response, terminal: bool) -> Text {
    let mut o = Out {
        text: Text::default(),
        terminal,
    };
    response(&mut o, r);
    o.text
}

/// Where a renderer writes.
pub(crate) struct Out {
    text: Text,
    terminal: bool,
}

impl Out {
    pub(crate) fn line(&mut self, args: std::fmt::Arguments<'_>) {
        // Writing to a String cannot fail.
        let _ = self.text.stdout.write_fmt(args);
        self.text.stdout.push('\n');
    }

    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.text.notes.push(note.into());
    }
}

/// `out!(o, "...", args)`: one line of stdout.
macro_rules! out {
    ($o:expr) => { $o.line(format_args!("")) };
    ($o:expr, $($t:tt)*) => { $o.line(format_args!($($t)*)) };
}
pub(crate) use out;

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

/// A response as text for people (its JSON form is `Response::json`).
pub(crate) fn response(o: &mut Out, r: &Response) {
    match r {
        Response::Created { id } => out!(o, "{id}"),
        Response::Edited { id, name, changed } => {
            if *changed {
                out!(o, "updated {id}  {name}");
            } else {
                out!(o, "unchanged {id}  {name} (it already looked like that)");
            }
        }
        Response::Tagged { id, name, tags } => {
            let tags: Vec<String> = tags.iter().map(|t| format!("#{t}")).collect();
            out!(o, "{id}  {name}  {}", tags.join(" "));
        }
        Response::Trashed { id, name } => {
            out!(
                o,
                "moved to the trash: {id}  {name} (undo with `rapport restore {id}`)"
            )
        }
        Response::Restored { id, name } => out!(o, "restored {id}  {name}"),
        Response::Contacts(list) => {
            for c in &list.contacts {
                out!(o, "{}", contact_line(c));
            }
            if list.contacts.is_empty() && o.terminal {
                o.note("no contacts match; add one with `rapport add NAME`");
            }
        }
        Response::Trash(list) => {
            for c in &list.contacts {
                let when = c.deleted.map(time::local).unwrap_or_default();
                // A merged-away contact stays in the trash (its id resolves to the survivor).
                match c.merged_into {
                    Some(into) => out!(o, "{}  (merged into {into} {when})", contact_line(c)),
                    None => out!(o, "{}  (trashed {when})", contact_line(c)),
                }
            }
        }
        Response::Card(card) => show(o, card),
        Response::Found(found) => {
            for (c, matched) in &found.hits {
                out!(o, "{}", contact_line(c));
                for m in matched.iter().filter(|m| m.contains(':')) {
                    out!(o, "    {m}");
                }
            }
        }
        Response::Membership {
            group,
            added,
            names,
        } => {
            let verb = if *added { "added to" } else { "removed from" };
            out!(o, "{verb} {group}: {}", names.join(", "));
        }
        Response::GroupDeleted { id, name } => {
            out!(o,
            "deleted group {name} (members keep it; `rapport group restore {id}` brings it back)"
        )
        }
        Response::GroupRenamed { old, name, .. } => out!(o, "renamed group {old} to {name}"),
        Response::GroupRestored {
            name,
            members,
            members_readded,
        } => {
            let readded = match members_readded {
                0 => String::new(),
                k => format!(" ({k} memberships lost since the deletion were added back)"),
            };
            out!(o, "restored group {name} with {members} members{readded}");
        }
        Response::Groups(groups) => {
            for s in groups {
                let g = &s.group;
                let state = if g.deleted.is_some() {
                    "  (deleted)"
                } else {
                    ""
                };
                out!(o, "{}  {}  {} members{state}", g.id, g.name, s.members);
            }
        }
        Response::GroupCard(card) => {
            out!(o, "{}  ({} members)", card.group.name, card.members.len());
            if let Some(d) = &card.group.description {
                out!(o, "  {d}");
            }
            for c in &card.members {
                out!(o, "  {}", contact_line(c));
            }
        }
        Response::Conflicts(list) => conflicts::conflicts(o, list),
        Response::Resolved {
            field,
            id,
            name,
            value,
        } => out!(
            o,
            "resolved {field} of {id}  {name}: every device will show {value:?} after a sync"
        ),
        Response::HeldBack(h) => conflicts::held_back(o, h),
        Response::QuarantineAccepted { records } => conflicts::accepted(o, *records),
        Response::QuarantineRejected { restored } => conflicts::rejected(o, *restored),
        Response::QuarantinePolicy(p) => conflicts::policy(o, p),
        Response::Relay { url, changed } => match (url, changed) {
            (Some(url), true) => out!(
                o,
                "relay set to {url}: every device of the vault uses it once this change reaches it"
            ),
            (Some(url), false) => out!(o, "relay {url}"),
            (None, true) => out!(o, "relay cleared: devices sync only where they can reach each other directly"),
            (None, false) => out!(
                o,
                "no relay: devices sync only where they can reach each other directly (name one with `rapport relay set URL`)"
            ),
        },
        Response::Log(entries) => history::log(o, entries),
        Response::ContactAt(at) => history::contact_at(o, at),
        Response::Reverted {
            id,
            name,
            label,
            fields,
            interactions,
        } => out!(
            o,
            "reverted {id}  {name} to {label}: {fields} field(s), {interactions} interaction(s) put back"
        ),
        Response::Undone {
            summary,
            change,
            restored,
            kept,
        } => history::undone(o, summary, change, *restored, *kept),
        Response::Duplicates(found) => dedupe::duplicates(o, found),
        Response::Deduped(merged) => dedupe::deduped(o, merged.as_deref()),
        Response::Merged {
            keep,
            gone,
            interactions_moved,
        } => dedupe::merged(o, keep, gone, *interactions_moved),
        Response::Initialized {
            vault,
            device,
            name,
        } => out!(o, "created vault {vault} on device {name} ({device})"),
        Response::ThisDevice {
            id,
            name,
            has_vault,
            endpoint,
        } => {
            out!(o, "{id}");
            out!(o, "  name      {name}");
            out!(o, "  endpoint  {endpoint}  (iroh: how it is reached beyond the LAN)");
            if !has_vault {
                out!(
                    o,
                    "  no vault yet: `rapport init` creates one, `rapport clone` fetches one"
                );
            }
        }
        Response::Status(roster) => devices::status(o, roster),
        Response::Devices(roster) => devices::devices(o, roster),
        Response::DeviceAdded { id, name } => devices::added(o, id, name),
        Response::Revoked { id, name } => devices::revoked(o, id, name),
        Response::Left { dir } => out!(o, "{}", left_message(dir)),
        // The file as it is, ending in one newline.
        Response::Export(text) => out!(o, "{}", text.trim_end_matches(['\r', '\n'])),
        Response::Wrote { path, bytes } => out!(o, "wrote {} ({bytes} bytes)", path.display()),
        Response::Imported(report) => files::import(o, report),
        Response::Checked(report) => files::check(o, report),
        Response::Repaired(report) => files::repaired(o, report),
        Response::BackedUp {
            path,
            contacts,
            bytes,
        } => out!(
            o,
            "wrote a backup of {contacts} contacts to {} ({bytes} bytes); merge it back with `rapport restore-backup`",
            path.display()
        ),
        Response::BackupMerged {
            path,
            changed,
            contacts,
            interactions,
            groups,
        } => {
            if !changed {
                out!(o, "the vault already holds everything in {}", path.display());
            } else {
                out!(
                    o,
                    "merged {}: {contacts} contacts, {interactions} interactions and {groups} groups changed",
                    path.display()
                );
            }
        }
        other => relate::response(o, other),
    }
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
fn show(o: &mut Out, card: &Card) {
    let c = &card.contact;
    let name_of = |id: rapport_model::ContactId| {
        card.contact_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    out!(o, "{}{}", c.name, provenance_suffix(card, &["name"]));
    if c.is_trashed() {
        out!(
            o,
            "  (in the trash: `rapport restore {}` brings it back)",
            c.id
        );
    }
    // Each row ends with the device that last set it and when (its keys' provenance).
    let row_from = |o: &mut Out, label: &str, value: Option<String>, keys: &[&str]| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out!(o, "  {label:<14}{v}{}", provenance_suffix(card, keys));
        }
    };
    let row = |o: &mut Out, label: &str, value: Option<String>| {
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
        row_from(o, label, value, &[key]);
    };
    out!(o, "  {:<14}{}", "id", c.id);
    row(o, "title", c.title.clone());
    row(o, "org", c.org.clone());
    row(o, "email", join(c.emails.iter()));
    row(o, "phone", join(c.phones.iter()));
    row(o, "link", join(c.links.iter()));
    row(o, "tags", join(c.tags.iter().map(|t| format!("#{t}"))));
    row(
        o,
        "groups",
        join(c.groups.iter().filter_map(|g| card.group_names.get(g))),
    );
    row(o, "trust", c.trust.map(|t| t.to_string()));
    row(o, "met on", c.met_on.map(|d| d.to_string()));
    row(o, "met at", c.met_at.clone());
    row(o, "context", c.met_context.clone());
    row(o, "introduced by", c.introduced_by.map(name_of));
    row(o, "connected on", c.connected_on.map(|d| d.to_string()));
    row(o, "notes", c.notes.clone());
    row(o, "cadence", c.cadence.map(|p| p.every()));
    row(o, "snoozed until", c.snoozed_until.map(|d| d.to_string()));
    for (id, line) in follow_up_lines(c) {
        row_from(o, "follow-up", Some(line), &[&format!("follow_up:{id}")]);
    }
    row(o, "updated", Some(time::local(c.updated)));
    if !card.timeline.is_empty() {
        out!(o);
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
            out!(
                o,
                "  {}  {:<8}{}{}{}",
                time::local(i.at),
                i.kind,
                place,
                with,
                from
            );
            out!(o, "      {}", i.text);
        }
    }
}

fn join<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> Option<String> {
    let v: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    (!v.is_empty()).then(|| v.join(", "))
}
