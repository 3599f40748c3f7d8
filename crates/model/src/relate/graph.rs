//! The graph the queries walk: live contacts as nodes, and an edge between two of them when
//! one introduced the other (`introduced_by`) or both took part in one interaction. References
//! to a merged contact are followed to the survivor (`merged_into`); trashed contacts are not
//! nodes, so a path never goes through one.

#[cfg(test)]
use super::{day_of, Book};
use crate::{Contact, ContactId, InteractionId, InteractionKind, TrustLevel};
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// Interactions with more participants than this are not taken as evidence that each pair
/// knows each other (a conference is not an acquaintance), and would cost n² edges.
pub const MAX_PARTICIPANTS: usize = 40;

/// A contact as the results name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Person {
    pub id: ContactId,
    pub name: String,
    pub trust: Option<TrustLevel>,
}

impl Person {
    pub fn of(c: &Contact) -> Person {
        Person {
            id: c.id,
            name: c.name.clone(),
            trust: c.trust,
        }
    }
}

/// Why two contacts are taken to know each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Evidence {
    /// `introducer` introduced `introduced` (the latter's `introduced_by`). Dated by when I
    /// met the introduced person, else when I connected, else when the card was created.
    IntroducedBy {
        introducer: ContactId,
        introduced: ContactId,
        date: NaiveDate,
    },
    /// Both took part in one interaction.
    Shared {
        interaction: InteractionId,
        kind: InteractionKind,
        date: NaiveDate,
    },
}

impl Evidence {
    pub fn date(&self) -> NaiveDate {
        match self {
            Evidence::IntroducedBy { date, .. } | Evidence::Shared { date, .. } => *date,
        }
    }

    /// "introduced by Ann" or "both at meeting, 2026-05-01", as seen from `to`'s side.
    pub fn describe(&self, names: &dyn Fn(ContactId) -> String) -> String {
        match self {
            Evidence::IntroducedBy {
                introducer,
                introduced,
                ..
            } => format!(
                "{} introduced by {}",
                names(*introduced),
                names(*introducer)
            ),
            Evidence::Shared { kind, date, .. } => format!("both at {kind}, {date}"),
        }
    }

    /// Preferred evidence between two: the more recent; an introduction on a tie.
    pub(crate) fn better_than(&self, other: &Evidence) -> bool {
        (self.date(), matches!(self, Evidence::IntroducedBy { .. }))
            > (other.date(), matches!(other, Evidence::IntroducedBy { .. }))
    }
}

/// Follows `merged_into` links to live contacts.
#[derive(Debug)]
pub(crate) struct Resolver<'a> {
    by_id: HashMap<ContactId, &'a Contact>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(contacts: &'a [Contact]) -> Resolver<'a> {
        Resolver {
            by_id: contacts.iter().map(|c| (c.id, c)).collect(),
        }
    }

    /// The live contact an id stands for: itself, or the survivor of the merges it went
    /// through. `None` for a trashed contact, an unknown id or a cycle of merges.
    pub(crate) fn live(&self, id: ContactId) -> Option<&'a Contact> {
        let mut c = *self.by_id.get(&id)?;
        // A chain longer than the number of contacts is a cycle (written by a damaged or
        // hostile document); 64 steps is far beyond any real chain of merges.
        for _ in 0..64 {
            match c.merged_into {
                Some(next) => c = *self.by_id.get(&next)?,
                None if c.is_trashed() => return None,
                None => return Some(c),
            }
        }
        None
    }

    /// The contact with this id as the results name it, live or not.
    pub(crate) fn person(&self, id: ContactId) -> Person {
        match self.by_id.get(&id) {
            Some(c) => Person::of(c),
            None => Person {
                id,
                name: id.to_string(),
                trust: None,
            },
        }
    }
}

/// The undirected acquaintance graph over live contacts, with the best evidence per pair,
/// built whole: what `Acquaintances` must agree with, kept as the tests' reference.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct Graph<'a> {
    pub(crate) resolver: Resolver<'a>,
    pub(crate) edges: Vec<(ContactId, ContactId, Evidence)>,
    pub(crate) adjacent: HashMap<ContactId, Vec<(ContactId, usize)>>,
}

#[cfg(test)]
impl<'a> Graph<'a> {
    pub(crate) fn build(book: &Book<'a>) -> Graph<'a> {
        let resolver = Resolver::new(book.contacts);
        let mut best: HashMap<(ContactId, ContactId), Evidence> = HashMap::default();
        let mut offer = |a: ContactId, b: ContactId, e: Evidence| {
            if a == b {
                return;
            }
            let key = (a.min(b), a.max(b));
            match best.get(&key) {
                Some(old) if !e.better_than(old) => {}
                _ => {
                    best.insert(key, e);
                }
            }
        };
        for c in book.contacts {
            let (Some(me), Some(by)) = (resolver.live(c.id), c.introduced_by) else {
                continue;
            };
            if c.merged_into.is_some() {
                // The survivor carries the introduction (a merge moves it).
                continue;
            }
            if let Some(by) = resolver.live(by) {
                let date = me
                    .met_on
                    .or(me.connected_on)
                    .unwrap_or_else(|| day_of(me.created));
                offer(
                    by.id,
                    me.id,
                    Evidence::IntroducedBy {
                        introducer: by.id,
                        introduced: me.id,
                        date,
                    },
                );
            }
        }
        for i in book.interactions {
            if i.contacts.len() < 2 || i.contacts.len() > MAX_PARTICIPANTS {
                continue;
            }
            let mut people: Vec<ContactId> = i
                .contacts
                .iter()
                .filter_map(|c| resolver.live(*c).map(|c| c.id))
                .collect();
            people.sort();
            people.dedup();
            for (n, a) in people.iter().enumerate() {
                for b in &people[n + 1..] {
                    let e = Evidence::Shared {
                        interaction: i.id,
                        kind: i.kind,
                        date: day_of(i.at),
                    };
                    offer(*a, *b, e);
                }
            }
        }
        let mut edges: Vec<(ContactId, ContactId, Evidence)> =
            best.into_iter().map(|((a, b), e)| (a, b, e)).collect();
        edges.sort_by_key(|(a, b, _)| (*a, *b));
        let mut adjacent: HashMap<ContactId, Vec<(ContactId, usize)>> = HashMap::default();
        for (n, (a, b, _)) in edges.iter().enumerate() {
            adjacent.entry(*a).or_default().push((*b, n));
            adjacent.entry(*b).or_default().push((*a, n));
        }
        Graph {
            resolver,
            edges,
            adjacent,
        }
    }
}
