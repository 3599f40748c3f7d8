//! `brief`: what to remember before meeting someone, on one screen.

use super::acquaint::Acquaintances;
use super::due::{effective_cadence, CadenceSource};
use super::graph::{Evidence, Person};
use super::Book;
use crate::{Contact, ContactId, DeviceId, FollowUp, GroupId, Interaction, InteractionId, Period};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// Interactions a brief shows.
pub const LAST_INTERACTIONS: usize = 5;
/// People in "whom we both know", at most.
pub const MAX_MUTUAL: usize = 12;

/// Someone we both know, and the most recent reason to think so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Mutual {
    pub person: Person,
    pub evidence: Evidence,
    pub why: String,
}

/// The last time a device of mine changed the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DeviceTouch {
    pub device: DeviceId,
    pub name: String,
    pub at: crate::UnixMillis,
}

/// An open follow-up in a brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OpenFollowUp {
    pub id: InteractionId,
    #[serde(flatten)]
    pub follow_up: FollowUp,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Brief {
    pub contact: Contact,
    pub introduced_by: Option<Person>,
    /// People this contact introduced to me.
    pub introduced: Vec<Person>,
    /// Live group names, sorted.
    pub groups: Vec<String>,
    pub cadence: Option<Period>,
    pub cadence_from: Option<CadenceSource>,
    /// Newest first.
    pub last_interactions: Vec<Interaction>,
    pub interactions: usize,
    pub follow_ups: Vec<OpenFollowUp>,
    pub mutual: Vec<Mutual>,
    /// Newest first.
    pub devices: Vec<DeviceTouch>,
}

/// The brief of `id` (followed through merges). `touches` are the last change time per device
/// (from the history index or provenance: the caller knows where to read them). `None` for
/// an unknown or trashed contact.
pub fn brief(book: &Book<'_>, id: ContactId, mut touches: Vec<DeviceTouch>) -> Option<Brief> {
    let graph = Acquaintances::build(book);
    let c = graph.live(book, id)?;
    let groups: HashMap<GroupId, &crate::Group> = book.groups.iter().map(|g| (g.id, g)).collect();
    let mut group_names: Vec<String> = c
        .groups
        .iter()
        .filter_map(|g| groups.get(g))
        .filter(|g| g.deleted.is_none())
        .map(|g| g.name.clone())
        .collect();
    group_names.sort();
    let mut timeline: Vec<&Interaction> = book
        .interactions
        .iter()
        .filter(|i| {
            i.contacts
                .iter()
                .any(|p| graph.live(book, *p).is_some_and(|l| l.id == c.id))
        })
        .collect();
    timeline.sort_by_key(|i| std::cmp::Reverse((i.at, i.id)));
    let texts: HashMap<InteractionId, &str> = book
        .interactions
        .iter()
        .map(|i| (i.id, i.text.as_str()))
        .collect();
    let follow_ups = c
        .follow_ups
        .iter()
        .filter(|(_, f)| f.done.is_none())
        .map(|(n, f)| OpenFollowUp {
            id: *n,
            follow_up: *f,
            text: texts.get(n).map(|t| (*t).to_owned()),
        })
        .collect();
    let names = |id: ContactId| graph.name(book, id);
    let mut mutual: Vec<Mutual> = graph
        .neighbours(book, c.id)
        .into_iter()
        .map(|(other, evidence)| Mutual {
            person: graph.person(book, other),
            why: evidence.describe(&names),
            evidence,
        })
        .collect();
    mutual.sort_by(|a, b| {
        b.evidence
            .date()
            .cmp(&a.evidence.date())
            .then(a.person.name.cmp(&b.person.name))
    });
    mutual.truncate(MAX_MUTUAL);
    let introduced = book
        .contacts
        .iter()
        .filter(|o| o.merged_into.is_none() && !o.is_trashed())
        .filter(|o| {
            o.introduced_by
                .and_then(|b| graph.live(book, b))
                .is_some_and(|b| b.id == c.id)
        })
        .map(Person::of)
        .collect();
    let cadence = effective_cadence(c, &groups, book.tag_cadences);
    touches.sort_by_key(|t| std::cmp::Reverse(t.at));
    Some(Brief {
        contact: c.clone(),
        introduced_by: c
            .introduced_by
            .and_then(|b| graph.live(book, b))
            .map(Person::of),
        introduced,
        groups: group_names,
        cadence: cadence.as_ref().map(|(p, _)| *p),
        cadence_from: cadence.map(|(_, s)| s),
        interactions: timeline.len(),
        last_interactions: timeline
            .into_iter()
            .take(LAST_INTERACTIONS)
            .cloned()
            .collect(),
        follow_ups,
        mutual,
        devices: touches,
    })
}
