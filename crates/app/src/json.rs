//! The JSON that `--json` prints for each response: the documented shapes scripts rely on
//! (see the README). Built as borrowed views of a `Response`, serialised as they are written.

use crate::reports;
use crate::response::{Card, ContactList, GroupSummary, Response, SearchHits};
use crate::time;
use rapport_model::{
    Contact, Device, DeviceId, FollowUp, Group, GroupId, Interaction, InteractionId, SortedSet,
};
use serde::Serialize;
use std::collections::BTreeMap;

impl Response {
    /// What `--json` prints for this response, or `None` for the ones that have no JSON form
    /// (the answers of writes, which print one line).
    pub fn json(&self) -> Option<Json<'_>> {
        Some(match self {
            Response::Contacts(list) | Response::Trash(list) => Json::Contacts(contacts_json(list)),
            Response::Card(card) => Json::Value(card_json(card)),
            Response::Found(hits) => Json::Search(search_json(hits)),
            Response::Groups(groups) => Json::Groups(groups.iter().map(group_json).collect()),
            Response::GroupCard(card) => {
                let names = group_names(&card.groups);
                Json::GroupCard(GroupCardJson {
                    group: GroupJson::new(&card.group, card.members.len()),
                    contacts: card
                        .members
                        .iter()
                        .map(|c| contact_json(c, &names))
                        .collect(),
                })
            }
            Response::Intro {
                target,
                max_hops,
                paths,
            } => Json::Value(serde_json::json!({
                "target": target,
                "max_hops": max_hops,
                "paths": paths,
            })),
            Response::IntroGraph(graph) => Json::Value(serde_json::json!(graph)),
            Response::Due {
                today,
                within,
                items,
            } => Json::Due(DueJson {
                items,
                today: *today,
                within: *within,
            }),
            Response::Brief(brief) => Json::Value(serde_json::json!(brief)),
            Response::Conflicts(list) => Json::Conflicts(conflicts_json(list)),
            Response::HeldBack(held) => Json::Held(held_json(held)),
            Response::Log(entries) => Json::Log(entries),
            Response::Duplicates(rows) => Json::Duplicates(rows),
            Response::ContactAt(at) => {
                let mut contact = contact_json(&at.contact, &group_names(&at.groups));
                contact.interactions = Some(at.timeline.iter().map(interaction_json).collect());
                Json::At(Box::new(AtJson {
                    at: &at.label,
                    contact,
                }))
            }
            Response::Status(roster) => Json::Peers(reports::status_json(roster)),
            Response::Devices(roster) => Json::Roster(reports::roster_json(roster)),
            Response::ThisDevice {
                id,
                name,
                has_vault,
                endpoint,
            } => Json::Device(reports::device_json(id, name, *has_vault, endpoint)),
            Response::Checked(report) => Json::Check(reports::check_json(report)),
            Response::Relay { url, .. } => Json::Value(serde_json::json!({ "relay": url })),
            _ => return None,
        })
    }
}

/// A response's JSON form (see `Response::json`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Json<'a> {
    Contacts(ContactsJson<'a>),
    Due(DueJson<'a>),
    Value(serde_json::Value),
    Search(Vec<SearchHitJson<'a>>),
    Groups(Vec<GroupJson<'a>>),
    GroupCard(GroupCardJson<'a>),
    Conflicts(Vec<ConflictJson>),
    Held(Vec<HeldJson>),
    Log(&'a [crate::response::LogEntry]),
    Duplicates(&'a [crate::response::DuplicateRow]),
    At(Box<AtJson<'a>>),
    Peers(Vec<reports::PeerJson>),
    Roster(Vec<reports::RosterJson>),
    Check(reports::CheckJson),
    Device(reports::DeviceJson),
}

/// `due --json`, written straight from the items: building it as a `serde_json::Value` first
/// was a fifth of the command at 30k contacts. Keys in the order the `Value` printed them.
#[derive(Debug, Serialize)]
pub struct DueJson<'a> {
    items: &'a [rapport_model::relate::DueItem],
    today: chrono::NaiveDate,
    within: Option<rapport_model::Period>,
}

/// `show --at --json`: the contact's shape with its interactions, and the point in time.
#[derive(Debug, Serialize)]
pub struct AtJson<'a> {
    at: &'a str,
    #[serde(flatten)]
    contact: ContactJson<'a>,
}

/// The JSON shape of a contact, shared by `list`, `show`, `search` and `trash`.
#[derive(Debug, Serialize)]
pub struct ContactJson<'a> {
    pub id: String,
    pub name: &'a str,
    // The record's own sets, serialised in place (as arrays, in their sorted order): copying
    // them into vectors first was a tenth of a `list --json` of 10k contacts.
    pub emails: &'a SortedSet<String>,
    pub phones: &'a SortedSet<String>,
    pub links: &'a SortedSet<String>,
    pub org: Option<&'a str>,
    pub title: Option<&'a str>,
    pub tags: &'a SortedSet<String>,
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

/// A JSON array of contacts, each shaped as it is written (not all 10k shapes at once).
#[derive(Debug)]
pub struct ContactsJson<'a> {
    contacts: &'a [Contact],
    names: BTreeMap<GroupId, &'a str>,
}

pub fn contacts_json(list: &ContactList) -> ContactsJson<'_> {
    ContactsJson::new(&list.contacts, &list.groups)
}

impl<'a> ContactsJson<'a> {
    /// `contacts` as `list --json` prints them, naming memberships among `groups`.
    pub fn new(contacts: &'a [Contact], groups: &'a [Group]) -> Self {
        ContactsJson {
            contacts,
            names: group_names(groups),
        }
    }

    /// The contacts, in the order they are written.
    pub fn contacts(&self) -> &'a [Contact] {
        self.contacts
    }

    /// How one of `contacts` is written.
    pub fn shape<'s>(&'s self, c: &'s Contact) -> ContactJson<'s> {
        contact_json(c, &self.names)
    }
}

impl Serialize for ContactsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.contacts.iter().map(|c| contact_json(c, &self.names)))
    }
}

/// How a device is named to the user: `this device`, its roster name, or its short id.
pub fn device_label(devices: &[Device], me: DeviceId, id: Option<DeviceId>) -> String {
    match id {
        None => "another program".to_owned(),
        Some(id) if id == me => "this device".to_owned(),
        Some(id) => devices
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| id.short()),
    }
}

/// `show --json`: the contact, its interactions and `"provenance": {key: {device,
/// device_name, at}}`, with keys sorted (it is built as a JSON value).
fn card_json(card: &Card) -> serde_json::Value {
    let names: BTreeMap<GroupId, &str> = card
        .group_names
        .iter()
        .map(|(id, n)| (*id, n.as_str()))
        .collect();
    let mut out = contact_json(&card.contact, &names);
    out.interactions = Some(card.timeline.iter().map(interaction_json).collect());
    let mut value = serde_json::to_value(&out).unwrap_or_default();
    let provenance: serde_json::Map<String, serde_json::Value> = card
        .origins
        .iter()
        .map(|o| {
            (
                o.key.clone(),
                serde_json::json!({
                    "device": o.device.map(|d| d.to_string()),
                    "device_name": device_label(&card.devices, card.this_device, o.device),
                    "at": o.at.map(time::rfc3339),
                }),
            )
        })
        .collect();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "provenance".to_owned(),
            serde_json::Value::Object(provenance),
        );
    }
    value
}

#[derive(Debug, Serialize)]
pub struct SearchHitJson<'a> {
    #[serde(flatten)]
    contact: ContactJson<'a>,
    matched: &'a [String],
}

fn search_json(hits: &SearchHits) -> Vec<SearchHitJson<'_>> {
    let names = group_names(&hits.groups);
    hits.hits
        .iter()
        .map(|(c, m)| SearchHitJson {
            contact: contact_json(c, &names),
            matched: m,
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct GroupJson<'a> {
    id: String,
    name: &'a str,
    description: Option<&'a str>,
    members: usize,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<String>,
    /// How often to keep in touch with the members ("30d"), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    cadence: Option<String>,
}

impl<'a> GroupJson<'a> {
    fn new(g: &'a Group, members: usize) -> Self {
        GroupJson {
            id: g.id.to_string(),
            name: &g.name,
            description: g.description.as_deref(),
            members,
            created: time::rfc3339(g.created),
            deleted: g.deleted.map(time::rfc3339),
            cadence: g.cadence.map(|p| p.to_string()),
        }
    }
}

/// Every group that is not deleted, with its number of live members, sorted by name: the
/// `groups` of the JSON export.
pub fn live_groups_json<'a>(groups: &'a [Group], contacts: &[Contact]) -> Vec<GroupJson<'a>> {
    let mut out: Vec<_> = groups
        .iter()
        .filter(|g| g.deleted.is_none())
        .map(|g| {
            let members = contacts
                .iter()
                .filter(|c| !c.is_trashed() && c.groups.contains(&g.id))
                .count();
            GroupJson::new(g, members)
        })
        .collect();
    out.sort_by_key(|g| g.name.to_lowercase());
    out
}

fn group_json(s: &GroupSummary) -> GroupJson<'_> {
    GroupJson::new(&s.group, s.members)
}

#[derive(Debug, Serialize)]
pub struct GroupCardJson<'a> {
    #[serde(flatten)]
    group: GroupJson<'a>,
    contacts: Vec<ContactJson<'a>>,
}

#[derive(Debug, serde::Serialize)]
pub struct WrittenJson {
    value: String,
    device: Option<String>,
    device_name: String,
    at: Option<String>,
}

/// One conflict as `conflicts --json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct ConflictJson {
    record: &'static str,
    id: String,
    name: String,
    field: String,
    winner: WrittenJson,
    others: Vec<WrittenJson>,
}

fn written(list: &crate::response::ConflictList, w: &rapport_model::Written) -> WrittenJson {
    WrittenJson {
        value: w.value.clone(),
        device: w.device.map(|d| d.to_string()),
        device_name: device_label(&list.devices, list.this_device, w.device),
        at: w.at.map(crate::time::rfc3339),
    }
}

pub fn conflicts_json(list: &crate::response::ConflictList) -> Vec<ConflictJson> {
    list.conflicts
        .iter()
        .map(|c| {
            let (record, id) = match c.record {
                rapport_model::RecordRef::Contact(id) => ("contact", id.to_string()),
                rapport_model::RecordRef::Group(id) => ("group", id.to_string()),
            };
            ConflictJson {
                record,
                id,
                name: c.name.clone(),
                field: c.field.clone(),
                winner: written(list, &c.winner),
                others: c.others.iter().map(|w| written(list, w)).collect(),
            }
        })
        .collect()
}

/// One held-back deletion as `quarantine show --json` prints it.
#[derive(Debug, serde::Serialize)]
pub struct HeldJson {
    pub record: &'static str,
    pub id: String,
    pub name: String,
    pub deleted_at: String,
    pub by: Option<String>,
    pub by_name: String,
    pub received: String,
}

pub fn held_json(h: &crate::response::HeldBack) -> Vec<HeldJson> {
    h.held
        .iter()
        .map(|q| {
            let (record, id) = match q.deletion.record {
                rapport_model::RecordRef::Contact(id) => ("contact", id.to_string()),
                rapport_model::RecordRef::Group(id) => ("group", id.to_string()),
            };
            HeldJson {
                record,
                id,
                name: q.deletion.name.clone(),
                deleted_at: crate::time::rfc3339(q.deletion.deleted_at),
                by: q.deletion.by.map(|d| d.to_string()),
                by_name: device_label(&h.devices, h.this_device, q.deletion.by),
                received: crate::time::rfc3339(q.received),
            }
        })
        .collect()
}
