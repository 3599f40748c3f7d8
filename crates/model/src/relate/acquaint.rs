//! The acquaintance graph (see `graph`) indexed so that a walk works out a contact's edges only
//! when it reaches that contact. `intro` from one target to three hops and `brief` of one
//! contact look at a small part of the graph, and building every edge of W1 (a map of every
//! pair, then sorting them) was a fifth of a cold `rapport intro`.
//!
//! Building it costs one pass over the contacts and one over the interactions' participants,
//! into flat arrays (no map per pair). A contact's edges then come out exactly as the whole
//! graph has them: the same best evidence per pair, chosen from the same offers in the same
//! order (introductions in contact order, then interactions in book order, the first of equal
//! evidence kept), and sorted by the other contact's id. A test checks both against the
//! eagerly built graph.
//!
//! It holds positions, not references, so that a caller can keep it next to the records it
//! was built from (the web app keeps one per set of heads); each query takes that same book.

use super::graph::{Evidence, Person, Resolver, MAX_PARTICIPANTS};
use super::{day_of, Book};
use crate::{Contact, ContactId};
use rustc_hash::FxHashMap as HashMap;

/// The acquaintance graph of one `Book`, ready to be walked (see the module documentation).
#[derive(Debug, Default)]
pub struct Acquaintances {
    /// The position in `book.contacts` of each id.
    index: HashMap<ContactId, u32>,
    /// For each contact, by position: the position of the live contact it stands for.
    live: Vec<Option<u32>>,
    /// Per live contact, the introductions that touch it: `intros[intro_at[p]..intro_at[p+1]]`
    /// holds (the other end's position, its evidence in `evidence`), in contact order.
    intro_at: Vec<u32>,
    intros: Vec<(u32, u32)>,
    evidence: Vec<Evidence>,
    /// Per live contact, the interactions (positions in `book.interactions`) it took part in,
    /// in book order: `shared[shared_at[p]..shared_at[p+1]]`.
    shared_at: Vec<u32>,
    shared: Vec<u32>,
    /// The book's sizes, to catch a query handed another book (a programmer error).
    sizes: (usize, usize),
}

/// Offsets of a compressed sparse row from per-row counts (one more than rows).
fn offsets(counts: &[u32]) -> Vec<u32> {
    let mut at = Vec::with_capacity(counts.len() + 1);
    let mut sum = 0u32;
    at.push(0);
    for c in counts {
        sum += c;
        at.push(sum);
    }
    at
}

impl Acquaintances {
    pub fn build(book: &Book<'_>) -> Acquaintances {
        let n = book.contacts.len();
        let resolver = Resolver::new(book.contacts);
        let mut index: HashMap<ContactId, u32> = HashMap::default();
        index.reserve(n);
        for (p, c) in book.contacts.iter().enumerate() {
            index.insert(c.id, p as u32);
        }
        let live: Vec<Option<u32>> = book
            .contacts
            .iter()
            .map(|c| resolver.live(c.id).and_then(|l| index.get(&l.id).copied()))
            .collect();
        let live_of = |id: ContactId| index.get(&id).and_then(|p| live[*p as usize]);

        // Introductions, as `Graph::build` offers them: each live, unmerged contact with a
        // live introducer, dated by when I met the introduced person.
        let mut offered: Vec<(u32, u32, Evidence)> = Vec::new();
        for c in book.contacts {
            let (Some(me), Some(by)) = (resolver.live(c.id), c.introduced_by) else {
                continue;
            };
            if c.merged_into.is_some() {
                continue;
            }
            let (Some(by_at), Some(me_at)) = (live_of(by), index.get(&me.id).copied()) else {
                continue;
            };
            let by_id = book.contacts[by_at as usize].id;
            if by_id == me.id {
                continue;
            }
            let date = me
                .met_on
                .or(me.connected_on)
                .unwrap_or_else(|| day_of(me.created));
            let e = Evidence::IntroducedBy {
                introducer: by_id,
                introduced: me.id,
                date,
            };
            offered.push((by_at, me_at, e));
        }
        let mut counts = vec![0u32; n];
        for (a, b, _) in &offered {
            counts[*a as usize] += 1;
            counts[*b as usize] += 1;
        }
        let intro_at = offsets(&counts);
        let mut fill: Vec<u32> = intro_at[..n].to_vec();
        let mut intros = vec![(0u32, 0u32); offered.len() * 2];
        let mut evidence = Vec::with_capacity(offered.len());
        for (a, b, e) in offered {
            let k = evidence.len() as u32;
            evidence.push(e);
            intros[fill[a as usize] as usize] = (b, k);
            fill[a as usize] += 1;
            intros[fill[b as usize] as usize] = (a, k);
            fill[b as usize] += 1;
        }

        // Interactions: each live participant (once) gets the interaction's position.
        let mut members: Vec<(u32, u32)> = Vec::new();
        let mut people: Vec<u32> = Vec::new();
        for (i, x) in book.interactions.iter().enumerate() {
            if x.contacts.len() < 2 || x.contacts.len() > MAX_PARTICIPANTS {
                continue;
            }
            people.clear();
            people.extend(x.contacts.iter().filter_map(|c| live_of(*c)));
            people.sort_unstable();
            people.dedup();
            if people.len() < 2 {
                continue;
            }
            members.extend(people.iter().map(|p| (*p, i as u32)));
        }
        let mut counts = vec![0u32; n];
        for (p, _) in &members {
            counts[*p as usize] += 1;
        }
        let shared_at = offsets(&counts);
        let mut fill: Vec<u32> = shared_at[..n].to_vec();
        let mut shared = vec![0u32; members.len()];
        for (p, i) in members {
            shared[fill[p as usize] as usize] = i;
            fill[p as usize] += 1;
        }
        Acquaintances {
            index,
            live,
            intro_at,
            intros,
            evidence,
            shared_at,
            shared,
            sizes: (book.contacts.len(), book.interactions.len()),
        }
    }

    fn check(&self, book: &Book<'_>) {
        assert_eq!(
            self.sizes,
            (book.contacts.len(), book.interactions.len()),
            "acquaintances queried with a book other than the one they were built from"
        );
    }

    /// The live contact an id stands for (as `Resolver::live`).
    pub(crate) fn live<'b>(&self, book: &Book<'b>, id: ContactId) -> Option<&'b Contact> {
        self.check(book);
        let p = self.live[*self.index.get(&id)? as usize]?;
        book.contacts.get(p as usize)
    }

    /// The contact with this id, live or not.
    fn contact<'b>(&self, book: &Book<'b>, id: ContactId) -> Option<&'b Contact> {
        book.contacts.get(*self.index.get(&id)? as usize)
    }

    pub(crate) fn name(&self, book: &Book<'_>, id: ContactId) -> String {
        self.contact(book, id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    pub(crate) fn person(&self, book: &Book<'_>, id: ContactId) -> Person {
        match self.contact(book, id) {
            Some(c) => Person::of(c),
            None => Person {
                id,
                name: id.to_string(),
                trust: None,
            },
        }
    }

    /// The edges of the live contact `id`: each other contact it knows with the best evidence,
    /// sorted by that contact's id. Empty for an id that is not a live contact.
    pub(crate) fn neighbours(&self, book: &Book<'_>, id: ContactId) -> Vec<(ContactId, Evidence)> {
        self.check(book);
        let Some(&v) = self.index.get(&id) else {
            return Vec::new();
        };
        if self.live[v as usize] != Some(v) {
            return Vec::new();
        }
        let v = v as usize;
        let mut best: HashMap<u32, Evidence> = HashMap::default();
        let mut offer = |u: u32, e: Evidence| match best.get(&u) {
            Some(old) if !e.better_than(old) => {}
            _ => {
                best.insert(u, e);
            }
        };
        for (u, e) in &self.intros[self.intro_at[v] as usize..self.intro_at[v + 1] as usize] {
            offer(*u, self.evidence[*e as usize].clone());
        }
        let mut people: Vec<u32> = Vec::new();
        for i in &self.shared[self.shared_at[v] as usize..self.shared_at[v + 1] as usize] {
            let x = &book.interactions[*i as usize];
            people.clear();
            people.extend(
                x.contacts
                    .iter()
                    .filter_map(|c| self.index.get(c).and_then(|p| self.live[*p as usize])),
            );
            people.sort_unstable();
            people.dedup();
            for u in &people {
                if *u as usize != v {
                    offer(
                        *u,
                        Evidence::Shared {
                            interaction: x.id,
                            kind: x.kind,
                            date: day_of(x.at),
                        },
                    );
                }
            }
        }
        let mut out: Vec<(ContactId, Evidence)> = best
            .into_iter()
            .map(|(u, e)| (book.contacts[u as usize].id, e))
            .collect();
        out.sort_by_key(|(u, _)| *u);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::graph::Graph;
    use super::*;
    use crate::SortedSet;
    use crate::{DeviceId, Interaction, InteractionId, InteractionKind};
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    fn contact(id: u64, rng: &mut impl Rng) -> Contact {
        Contact {
            id: ContactId::from_u64(id),
            name: format!("C{id}"),
            emails: SortedSet::new(),
            phones: SortedSet::new(),
            links: SortedSet::new(),
            org: None,
            title: None,
            tags: SortedSet::new(),
            groups: SortedSet::new(),
            met_on: None,
            met_at: None,
            met_context: None,
            introduced_by: None,
            trust: None,
            connected_on: None,
            notes: None,
            created: rng.gen_range(0..4) * 86_400_000,
            updated: 0,
            deleted: None,
            merged_into: None,
            cadence: None,
            snoozed_until: None,
            follow_ups: BTreeMap::new(),
        }
    }

    /// A small random book with everything that makes edges tricky: few distinct dates (ties),
    /// merges (chains and cycles), trashed contacts, introductions both ways, self-references,
    /// repeated and unknown participants, and interactions of every size around the cap.
    fn book(seed: u64) -> (Vec<Contact>, Vec<Interaction>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = rng.gen_range(2..30u64);
        let mut contacts: Vec<Contact> = (0..n).map(|i| contact(i * 7 + 1, &mut rng)).collect();
        let some_id = |rng: &mut rand_chacha::ChaCha8Rng| {
            ContactId::from_u64(rng.gen_range(0..n + 2) * 7 + 1)
        };
        for c in &mut contacts {
            match rng.gen_range(0..10) {
                0 => c.deleted = Some(1),
                1 => {
                    c.merged_into = Some(some_id(&mut rng));
                    c.deleted = Some(1);
                }
                _ => {}
            }
            if rng.gen_bool(0.4) {
                c.introduced_by = Some(some_id(&mut rng));
            }
            if rng.gen_bool(0.3) {
                c.met_on = chrono::NaiveDate::from_ymd_opt(1970, 1, rng.gen_range(1..4));
            }
        }
        let interactions = (0..rng.gen_range(0..60))
            .map(|i| {
                let size = if rng.gen_bool(0.05) {
                    MAX_PARTICIPANTS + rng.gen_range(0..2)
                } else {
                    rng.gen_range(1..5)
                };
                Interaction {
                    id: InteractionId::from_u64(1000 + i),
                    contacts: (0..size).map(|_| some_id(&mut rng)).collect(),
                    at: rng.gen_range(0..4) * 86_400_000,
                    kind: [InteractionKind::Call, InteractionKind::Meeting][rng.gen_range(0..2)],
                    text: String::new(),
                    place: None,
                    device: DeviceId::from_bytes([1; 32]),
                }
            })
            .collect();
        (contacts, interactions)
    }

    #[test]
    fn each_contacts_edges_are_those_of_the_whole_graph() {
        for seed in 0..400 {
            let (contacts, interactions) = book(seed);
            let tags = BTreeMap::new();
            let b = Book {
                contacts: &contacts,
                interactions: &interactions,
                groups: &[],
                tag_cadences: &tags,
            };
            let whole = Graph::build(&b);
            let lazy = Acquaintances::build(&b);
            for c in &contacts {
                let expected: Vec<(ContactId, Evidence)> = match whole.resolver.live(c.id) {
                    Some(l) if l.id == c.id => whole
                        .adjacent
                        .get(&c.id)
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                        .iter()
                        .map(|(u, e)| (*u, whole.edges[*e].2.clone()))
                        .collect(),
                    _ => Vec::new(),
                };
                assert_eq!(lazy.neighbours(&b, c.id), expected, "seed {seed}, {}", c.id);
                assert_eq!(
                    lazy.live(&b, c.id).map(|l| l.id),
                    whole.resolver.live(c.id).map(|l| l.id),
                    "seed {seed}"
                );
            }
        }
    }
}
