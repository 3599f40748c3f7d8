//! `intro`: who can introduce me to a contact, and the introductions graph.
//!
//! **Scoring.** A path is me -> first hop -> ... -> target, where I ask the first hop and each
//! hop knows the next (see `graph`). For each possible first hop only its best path is kept:
//! the one whose stalest evidence is most recent (a chain is as fresh as its weakest link),
//! then the shortest. Paths are then ranked by, in order:
//! 1. the trust of the first hop (trusted > worked-with > met > acquainted > stranger > unset);
//! 2. recency: the date of the path's stalest evidence, newer first;
//! 3. length: fewer hops first;
//! 4. the first hop's name, for a stable order.
//!
//! Search: a hop-bounded widest-path relaxation from the target (Bellman-Ford for `max_hops`
//! rounds over labels (stalest date, hops)), O(max_hops x edges). A label only changes when
//! strictly better, so a walk that revisits a node never wins over the shorter walk it
//! contains: cycles in the graph yield simple paths. A node's edges are worked out when the
//! relaxation first reaches it (`Acquaintances`), so a walk of three hops from one target
//! costs what it touches, not the whole graph.

use super::acquaint::Acquaintances;
use super::graph::{Evidence, Person, Resolver};
use super::Book;
use crate::{ContactId, GroupId};
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::collections::BTreeSet;

pub const DEFAULT_MAX_HOPS: usize = 3;
/// More hops than this is not an introduction anyone would ask for, and costs time.
pub const MAX_MAX_HOPS: usize = 6;
/// Paths returned at most (one per first hop).
pub const MAX_PATHS: usize = 10;

/// One step of a path: `from` knows `to` because of `evidence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Hop {
    pub from: Person,
    pub to: Person,
    pub evidence: Evidence,
    /// The evidence in words: "introduced by Ann" or "both at meeting, 2026-05-01".
    pub why: String,
}

/// A way to reach the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IntroPath {
    /// Whom I would ask.
    pub first: Person,
    pub hops: Vec<Hop>,
    /// The date of the stalest evidence on the path.
    pub recency: NaiveDate,
}

#[derive(Clone, Copy)]
struct Label {
    date: NaiveDate,
    hops: usize,
    /// The next node towards the target and the edge to it; `None` at the target.
    next: Option<(ContactId, usize)>,
    /// The round that set this label: `next`'s label is in the round before.
    round: usize,
}

impl Label {
    fn better_than(&self, other: &Label) -> bool {
        self.date > other.date || (self.date == other.date && self.hops < other.hops)
    }
}

/// The best path from each possible first hop to `target`, ranked (see the module
/// documentation), at most `MAX_PATHS`. `target` may be a merged contact's id (it is
/// followed); an unknown or trashed target has no paths.
pub fn intro_paths(book: &Book<'_>, target: ContactId, max_hops: usize) -> Vec<IntroPath> {
    Acquaintances::build(book).intro_paths(book, target, max_hops)
}

/// The edges met so far in one walk: each node's edges once, their evidence in one list.
struct Walked<'g, 'b> {
    graph: &'g Acquaintances,
    book: &'g Book<'b>,
    adjacent: HashMap<ContactId, Vec<(ContactId, usize)>>,
    evidence: Vec<Evidence>,
}

impl Walked<'_, '_> {
    /// The edges of `v` (indices into the evidence, which comes with them).
    fn adjacent(&mut self, v: ContactId) -> (&[(ContactId, usize)], &[Evidence]) {
        if !self.adjacent.contains_key(&v) {
            let mut edges = Vec::new();
            for (u, e) in self.graph.neighbours(self.book, v) {
                self.evidence.push(e);
                edges.push((u, self.evidence.len() - 1));
            }
            self.adjacent.insert(v, edges);
        }
        let edges = self.adjacent.get(&v).map(Vec::as_slice).unwrap_or(&[]);
        (edges, &self.evidence)
    }
}

impl Acquaintances {
    /// `intro_paths` on the graph of `book`, which must be the book this was built from.
    pub fn intro_paths(
        &self,
        book: &Book<'_>,
        target: ContactId,
        max_hops: usize,
    ) -> Vec<IntroPath> {
        let Some(target) = self.live(book, target).map(|c| c.id) else {
            return Vec::new();
        };
        let max_hops = max_hops.clamp(1, MAX_MAX_HOPS);
        let start = Label {
            date: NaiveDate::MAX,
            hops: 0,
            next: None,
            round: 0,
        };
        let mut walked = Walked {
            graph: self,
            book,
            adjacent: HashMap::default(),
            evidence: Vec::new(),
        };
        let mut rounds: Vec<HashMap<ContactId, Label>> =
            vec![std::iter::once((target, start)).collect()];
        for round in 1..=max_hops {
            let prev = &rounds[round - 1];
            let mut cur = prev.clone();
            for (v, lv) in prev {
                // Only labels set in the last round can lead anywhere new.
                if lv.round != round - 1 {
                    continue;
                }
                let (adjacent, evidence) = walked.adjacent(*v);
                for (u, edge) in adjacent {
                    if *u == target {
                        continue;
                    }
                    let cand = Label {
                        date: lv.date.min(evidence[*edge].date()),
                        hops: lv.hops + 1,
                        next: Some((*v, *edge)),
                        round,
                    };
                    if cur.get(u).is_none_or(|old| cand.better_than(old)) {
                        cur.insert(*u, cand);
                    }
                }
            }
            rounds.push(cur);
        }
        let last = &rounds[max_hops];
        let mut paths: Vec<IntroPath> = last
            .iter()
            .filter(|(id, _)| **id != target)
            .filter_map(|(id, label)| path_of(self, book, &walked.evidence, &rounds, *id, *label))
            .collect();
        paths.sort_by(|a, b| {
            b.first
                .trust
                .cmp(&a.first.trust)
                .then(b.recency.cmp(&a.recency))
                .then(a.hops.len().cmp(&b.hops.len()))
                .then(a.first.name.cmp(&b.first.name))
                .then(a.first.id.cmp(&b.first.id))
        });
        paths.truncate(MAX_PATHS);
        paths
    }
}

fn path_of(
    graph: &Acquaintances,
    book: &Book<'_>,
    evidence: &[Evidence],
    rounds: &[HashMap<ContactId, Label>],
    first: ContactId,
    label: Label,
) -> Option<IntroPath> {
    let mut hops = Vec::with_capacity(label.hops);
    let mut seen = BTreeSet::from([first]);
    let (mut at, mut l) = (first, label);
    while let Some((next, edge)) = l.next {
        let evidence = evidence.get(edge)?.clone();
        let names = |id: ContactId| graph.name(book, id);
        hops.push(Hop {
            from: graph.person(book, at),
            to: graph.person(book, next),
            why: evidence.describe(&names),
            evidence,
        });
        // A repeated node would be a bug in the relaxation: drop the path, never loop.
        if !seen.insert(next) || l.round == 0 {
            return None;
        }
        l = *rounds[l.round - 1].get(&next)?;
        at = next;
    }
    Some(IntroPath {
        first: graph.person(book, first),
        hops,
        recency: label.date,
    })
}

/// A node of the introductions graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GraphNode {
    #[serde(flatten)]
    pub person: Person,
    /// In the group asked for (always true without a group).
    pub in_group: bool,
}

/// An edge: `from` introduced `to` (`introduced_by`), or an `intro` interaction between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GraphEdge {
    pub from: ContactId,
    pub to: ContactId,
    pub evidence: Evidence,
}

/// Who introduced whom, for a picture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IntroGraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// The introductions graph: `introduced_by` links and `intro` interactions between live
/// contacts. With a group, the edges that touch one of its members, and their ends.
pub fn intro_graph(book: &Book<'_>, group: Option<GroupId>) -> IntroGraph {
    let resolver = Resolver::new(book.contacts);
    let member = |id: ContactId| match group {
        None => true,
        Some(g) => resolver.live(id).is_some_and(|c| c.groups.contains(&g)),
    };
    // Not the graph's best evidence per pair: an introduction stays an edge even when the
    // two have met since.
    let mut edges = Vec::new();
    for c in book.contacts {
        let (Some(me), Some(by)) = (resolver.live(c.id), c.introduced_by) else {
            continue;
        };
        let Some(by) = resolver.live(by) else {
            continue;
        };
        if c.merged_into.is_some() || by.id == me.id {
            continue;
        }
        let date = me
            .met_on
            .or(me.connected_on)
            .unwrap_or_else(|| super::day_of(me.created));
        edges.push(GraphEdge {
            from: by.id,
            to: me.id,
            evidence: Evidence::IntroducedBy {
                introducer: by.id,
                introduced: me.id,
                date,
            },
        });
    }
    for i in book.interactions {
        if i.kind != crate::InteractionKind::Intro {
            continue;
        }
        let mut people: Vec<ContactId> = i
            .contacts
            .iter()
            .filter_map(|c| resolver.live(*c).map(|c| c.id))
            .collect();
        people.dedup();
        for (n, a) in people.iter().enumerate() {
            for b in &people[n + 1..] {
                if a != b {
                    edges.push(GraphEdge {
                        from: *a,
                        to: *b,
                        evidence: Evidence::Shared {
                            interaction: i.id,
                            kind: i.kind,
                            date: super::day_of(i.at),
                        },
                    });
                }
            }
        }
    }
    edges.retain(|e| member(e.from) || member(e.to));
    let mut ids: BTreeSet<ContactId> = edges.iter().flat_map(|e| [e.from, e.to]).collect();
    if let Some(g) = group {
        ids.extend(
            book.contacts
                .iter()
                .filter(|c| {
                    c.groups.contains(&g) && resolver.live(c.id).is_some_and(|l| l.id == c.id)
                })
                .map(|c| c.id),
        );
    }
    let nodes = ids
        .into_iter()
        .map(|id| GraphNode {
            person: resolver.person(id),
            in_group: member(id),
        })
        .collect();
    IntroGraph { nodes, edges }
}
