//! Output: JSON objects for scripts, plain text for people.

use crate::time;
use rapport_model::{Contact, FollowUp, Group, GroupId, Interaction, InteractionId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The JSON shape of a contact, shared by `list`, `show`, `search` and `trash`.
#[derive(Debug, Serialize)]
pub struct ContactJson<'a> {
    pub id: String,
    pub name: &'a str,
    // The record's own sets, serialised in place (as arrays, in their sorted order): copying
    // them into vectors first was a tenth of a `list --json` of 10k contacts.
    pub emails: &'a BTreeSet<String>,
    pub phones: &'a BTreeSet<String>,
    pub links: &'a BTreeSet<String>,
    pub org: Option<&'a str>,
    pub title: Option<&'a str>,
    pub tags: &'a BTreeSet<String>,
    /// Group names (of groups that are not deleted).
    pub groups: Vec<&'a str>,
    pub trust: Option<&'static str>,
    pub met_on: Option<String>,
    pub met_at: Option<&'a str>,
    pub met_context: Option<&'a str>,
    pub introduced_by: Option<String>,
    pub connected_on: Option<String>,
    pub notes: Option<&'a str>,
    pub created: String,
    pub updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<String>,
    /// Schema 2, left out when unset so that older scripts see what they saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cadence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub follow_ups: &'a BTreeMap<InteractionId, FollowUp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactions: Option<Vec<InteractionJson<'a>>>,
}

#[derive(Debug, Serialize)]
pub struct InteractionJson<'a> {
    pub id: String,
    pub at: String,
    pub kind: &'static str,
    pub text: &'a str,
    pub place: Option<&'a str>,
    pub contacts: Vec<String>,
    pub device: String,
}

/// Live group names by id, for showing memberships.
pub fn group_names(groups: &[Group]) -> BTreeMap<GroupId, &str> {
    groups
        .iter()
        .filter(|g| g.deleted.is_none())
        .map(|g| (g.id, g.name.as_str()))
        .collect()
}

pub fn contact_json<'a>(c: &'a Contact, groups: &BTreeMap<GroupId, &'a str>) -> ContactJson<'a> {
    ContactJson {
        id: c.id.to_string(),
        name: &c.name,
        emails: &c.emails,
        phones: &c.phones,
        links: &c.links,
        org: c.org.as_deref(),
        title: c.title.as_deref(),
        tags: &c.tags,
        groups: c
            .groups
            .iter()
            .filter_map(|g| groups.get(g).copied())
            .collect(),
        trust: c.trust.map(|t| t.as_str()),
        met_on: c.met_on.map(|d| d.to_string()),
        met_at: c.met_at.as_deref(),
        met_context: c.met_context.as_deref(),
        introduced_by: c.introduced_by.map(|i| i.to_string()),
        connected_on: c.connected_on.map(|d| d.to_string()),
        notes: c.notes.as_deref(),
        created: time::rfc3339(c.created),
        updated: time::rfc3339(c.updated),
        deleted: c.deleted.map(time::rfc3339),
        cadence: c.cadence.map(|p| p.to_string()),
        snoozed_until: c.snoozed_until.map(|d| d.to_string()),
        follow_ups: &c.follow_ups,
        interactions: None,
    }
}

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

pub fn interaction_json(i: &Interaction) -> InteractionJson<'_> {
    InteractionJson {
        id: i.id.to_string(),
        at: time::rfc3339(i.at),
        kind: i.kind.as_str(),
        text: &i.text,
        place: i.place.as_deref(),
        contacts: i.contacts.iter().map(|c| c.to_string()).collect(),
        device: i.device.to_string(),
    }
}

/// Prints contacts as the JSON array `list --json` documents.
pub fn print_contacts_json(contacts: &[Contact], groups: &[Group]) -> anyhow::Result<()> {
    let names = group_names(groups);
    print_json(&ContactsJson {
        contacts,
        names: &names,
    })
}

/// A JSON array of contacts, each shaped as it is written (not all 10k shapes at once).
struct ContactsJson<'a> {
    contacts: &'a [Contact],
    names: &'a BTreeMap<GroupId, &'a str>,
}

impl Serialize for ContactsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.contacts.iter().map(|c| contact_json(c, self.names)))
    }
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
