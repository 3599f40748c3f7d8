//! The relate index: what the relationship queries (`due`, `intro`, `brief`) read, kept small
//! so that they need neither the whole timelines nor the Automerge document. Reading every
//! timeline decoded 100k interactions with their text on W1 and took three times a cold
//! `list --json`.
//!
//! Two families, each with one entry per contact, so that a query decodes only what it walks:
//! - **people** (`view/rb/`): the contact without the fields no query reads (phones, links,
//!   org, title, met-at, met-context, notes), and the links `due` needs: its newest
//!   interaction (for "last talked") and the notes that carry its follow-ups, with their text.
//!   `due` and `brief` read only this family (`brief` adds the one card's whole record).
//! - **graph** (`view/rg/`): the interactions with more than one contact, without text, each
//!   in the entry of its participant with the smallest id (the acquaintance graph that
//!   `intro` walks). Reading it as well made `due` cost as
//!   much as a cold `list --json` on W1: it holds most of the index's links.
//!
//! No link has a place. Entries are grouped into bucket files by contact id like the view's
//! other families (`bucket`; 32 per family, since the index is only read whole), and are part
//! of the read view: written with each commit (`view_write`), rebuilt with it, and damage to
//! them is view damage. They were once sealed values in sled, to spare an fsync, but sled
//! wrote its nodes of them (300-400 KB at W30) as blob files and read a dozen of those again
//! at every open, which could add a third to a cold `show`. Cache files are not fsynced
//! (`durable::write_cache_file`), and the folder's fsync is one a commit pays for its
//! timelines anyway.

use crate::bucket::{self, bucket_of, Buckets};
use crate::codec::{damaged, plain};
use crate::error::StoreError;
use crate::keys;
use crate::relate_slim::{Skipped, SlimContact};
use rapport_model::{
    Contact, ContactId, DeviceId, Interaction, InteractionId, InteractionKind, SortedSet,
};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One interaction as the index keeps it: ids as plain integers (decoding 16-character hex
/// strings was a tenth of the time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Link {
    id: u64,
    at: i64,
    kind: InteractionKind,
    contacts: Vec<u64>,
    device: DeviceId,
    /// Only for a note that carries a follow-up.
    text: String,
}

/// A contact's entry in the people family (its contact read as `C`: see `SlimContact`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Person<C = SlimContact> {
    contact: C,
    links: Vec<Link>,
}

/// The two families' encoded entries of one contact (`graph` is `None` when it has no
/// interaction with others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    people: Vec<u8>,
    graph: Option<Vec<u8>>,
}

/// What a query reads of the index (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Families {
    People,
    PeopleAndGraph,
    /// The graph and the contacts, with only the people links that have several contacts:
    /// the acquaintance graph walks nothing else, and 10k single-contact links (each
    /// contact's newest) were a tenth of a cold `intro`. The links kept come in the same
    /// order as with `PeopleAndGraph`, which decides between equally good evidence.
    Acquaintance,
}

/// What the relationship queries read, from the relate index (see the module documentation):
/// every contact, trashed ones included, without phones, links, org, title, met-at,
/// met-context and notes; and each interaction that is some contact's newest or carries a
/// follow-up, plus (with the graph family) each one with several contacts, once, with text
/// only for follow-up notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelateBook {
    pub contacts: Vec<Contact>,
    pub interactions: Vec<Interaction>,
}

/// The index entries of `contact`, whose timeline (oldest first, as the view keeps it) is
/// `timeline`, encoded.
pub(crate) fn entry(contact: &Contact, timeline: &[Interaction]) -> Result<Entry, StoreError> {
    let newest = timeline.iter().max_by_key(|i| (i.at, i.id)).map(|i| i.id);
    let link = |i: &Interaction, text: String| Link {
        id: i.id.as_u64(),
        at: i.at,
        kind: i.kind,
        contacts: i.contacts.iter().map(|c| c.as_u64()).collect(),
        device: i.device,
        text,
    };
    let people_links = timeline
        .iter()
        .filter(|i| Some(i.id) == newest || contact.follow_ups.contains_key(&i.id))
        .map(|i| {
            let text = if contact.follow_ups.contains_key(&i.id) {
                i.text.clone()
            } else {
                String::new()
            };
            link(i, text)
        })
        .collect();
    // Each shared interaction once, in the entry of its participant with the smallest id: it
    // is in every participant's timeline, and decoding it once per participant was half of
    // what `intro` read. Contacts are never removed from the vault (only trashed), so that
    // participant has an entry; when the participants change, every old and new one's
    // timeline changes, so the entry that holds it is rewritten.
    let shared: Vec<Link> = timeline
        .iter()
        .filter(|i| i.contacts.len() > 1 && i.contacts.iter().min() == Some(&contact.id))
        .map(|i| link(i, String::new()))
        .collect();
    Ok(Entry {
        people: plain(&Person {
            contact: SlimContact::of(contact),
            links: people_links,
        })?,
        graph: (!shared.is_empty()).then(|| plain(&shared)).transpose()?,
    })
}

/// The plain bytes of every bucket of `family`, in key order.
fn buckets(
    tree: &sled::Tree,
    path: &Path,
    family: &str,
) -> Result<Vec<(sled::IVec, Vec<u8>)>, StoreError> {
    let mut reader = bucket::Reader::new(path);
    let mut out = Vec::new();
    for item in tree.scan_prefix(family.as_bytes()) {
        let (k, v) = item.map_err(|e| StoreError::from_sled(path, "read", e))?;
        let mut plain = Vec::new();
        reader.read_into(&k, &v, &mut plain)?;
        out.push((k, plain));
    }
    Ok(out)
}

/// Hands `f` every entry of `buckets`, decoded; `f` returns `None` for an entry that decodes
/// but makes no sense (view damage, like one that does not decode).
fn for_each<T: serde::de::DeserializeOwned>(
    buckets: &[(sled::IVec, Vec<u8>)],
    path: &Path,
    mut f: impl FnMut(T) -> Option<()>,
) -> Result<(), StoreError> {
    for (k, plain) in buckets {
        for (_, bytes) in bucket::entries(plain).ok_or_else(|| damaged(path, k))? {
            let entry = postcard::from_bytes(bytes).map_err(|_| damaged(path, k))?;
            f(entry).ok_or_else(|| damaged(path, k))?;
        }
    }
    Ok(())
}

/// Bytes a link takes at least in a bucket (its device alone is 32): the plain size divided
/// by this bounds the number of links, to reserve room for them at once. Growing the lists
/// step by step copied them and was a tenth of a cold `intro`; room reserved and never used
/// is never touched, so it costs no memory.
const MIN_LINK_BYTES: usize = 38;

/// Whether a query reads the contacts' emails: only to find a contact by email, which a query
/// that names its contact by id, or finds none, does without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emails {
    Read,
    Skip,
}

/// Reads the index's `families` (quarantine masks are the caller's: see `ReadView`). The
/// acquaintance graph reads no tags; `emails` says whether the emails are read. What is not
/// read is left empty on the contacts.
pub(crate) fn read(
    tree: &sled::Tree,
    path: &Path,
    families: Families,
    emails: Emails,
) -> Result<RelateBook, StoreError> {
    let people = buckets(tree, path, keys::VIEW_RELATE)?;
    let graph = match families {
        Families::People => Vec::new(),
        Families::PeopleAndGraph | Families::Acquaintance => {
            buckets(tree, path, keys::VIEW_RELATE_GRAPH)?
        }
    };
    let mut entries = 0;
    for (k, plain) in &people {
        entries += bucket::count(plain).ok_or_else(|| damaged(path, k))?;
    }
    let plain_bytes = |b: &[(sled::IVec, Vec<u8>)]| b.iter().map(|(_, p)| p.len()).sum::<usize>();
    let mut book = Collect {
        book: RelateBook {
            contacts: Vec::with_capacity(entries),
            interactions: Vec::with_capacity(
                (plain_bytes(&people) + plain_bytes(&graph)) / MIN_LINK_BYTES,
            ),
        },
        seen: FxHashMap::with_capacity_and_hasher(
            plain_bytes(&people) / MIN_LINK_BYTES,
            Default::default(),
        ),
        shared_only: families == Families::Acquaintance,
    };
    type Set = SortedSet<String>;
    match (families == Families::Acquaintance, emails) {
        (false, Emails::Read) => book.people::<Set, Set>(&people, path)?,
        (false, Emails::Skip) => book.people::<Skipped, Set>(&people, path)?,
        (true, Emails::Read) => book.people::<Set, Skipped>(&people, path)?,
        (true, Emails::Skip) => book.people::<Skipped, Skipped>(&people, path)?,
    }
    for_each(&graph, path, |links: Vec<Link>| {
        links.into_iter().for_each(|l| book.shared(l));
        Some(())
    })?;
    Ok(book.book)
}

/// The book being read, and where each interaction read from the people family is in it.
struct Collect {
    book: RelateBook,
    seen: FxHashMap<u64, usize>,
    /// Only the people links with several contacts are kept (`Families::Acquaintance`).
    shared_only: bool,
}

impl Collect {
    /// Reads the people family, emails as `E` and tags as `T` (sets, or `Skipped`).
    fn people<E, T>(
        &mut self,
        buckets: &[(sled::IVec, Vec<u8>)],
        path: &Path,
    ) -> Result<(), StoreError>
    where
        E: serde::de::DeserializeOwned + Into<SortedSet<String>>,
        T: serde::de::DeserializeOwned + Into<SortedSet<String>>,
    {
        for_each(buckets, path, |p: Person<SlimContact<E, T>>| {
            for l in p.links {
                if !self.shared_only || l.contacts.len() > 1 {
                    self.person_link(l);
                }
            }
            self.book.contacts.push(p.contact.contact()?);
            Some(())
        })
    }

    /// A link of the people family: the same interaction can be in several contacts' entries
    /// (each participant's newest, a follow-up's owner).
    fn person_link(&mut self, l: Link) {
        match self.seen.get(&l.id) {
            None => {
                self.seen.insert(l.id, self.book.interactions.len());
                self.book.interactions.push(interaction(l));
            }
            // A note's follow-up text is only in its owner's entry: keep the link that has it.
            Some(at) if !l.text.is_empty() => {
                if let Some(i) = self.book.interactions.get_mut(*at) {
                    i.text = l.text;
                }
            }
            Some(_) => {}
        }
    }

    /// A link of the graph family. Each is there once (in the entry of its participant with
    /// the smallest id, see `entry`) and without text, so it is looked up among the people
    /// family's links only, never remembered: filing every one in `seen` was a tenth of a
    /// cold `intro`.
    fn shared(&mut self, l: Link) {
        if !self.seen.contains_key(&l.id) {
            self.book.interactions.push(interaction(l));
        }
    }
}

fn interaction(l: Link) -> Interaction {
    Interaction {
        id: InteractionId::from_u64(l.id),
        contacts: l.contacts.into_iter().map(ContactId::from_u64).collect(),
        at: l.at,
        kind: l.kind,
        text: l.text,
        place: None,
        device: l.device,
    }
}

/// The plain bytes of the index's buckets in a whole rebuild, by key, for the caller to write
/// as files with the view's other buckets.
pub(crate) fn rebuilt(
    entries: BTreeMap<ContactId, Entry>,
) -> Result<Vec<bucket::PlainBucket>, StoreError> {
    let mut buckets: BTreeMap<(&str, u8), BTreeMap<ContactId, Vec<u8>>> = BTreeMap::new();
    for (id, e) in entries {
        if let Some(g) = e.graph {
            buckets
                .entry((
                    keys::VIEW_RELATE_GRAPH,
                    bucket_of(keys::VIEW_RELATE_GRAPH, id),
                ))
                .or_default()
                .insert(id, g);
        }
        buckets
            .entry((keys::VIEW_RELATE, bucket_of(keys::VIEW_RELATE, id)))
            .or_default()
            .insert(id, e.people);
    }
    Ok(buckets
        .into_iter()
        .map(|((family, b), entries)| {
            let plain = bucket::plain(entries.iter().map(|(id, v)| (*id, v.as_slice())));
            (bucket::key(family, b), plain)
        })
        .collect())
}

/// Sets (or with `None` removes) the entries of `id` among the buckets a commit rewrites.
pub(crate) fn set(
    buckets: &mut Buckets<'_>,
    id: ContactId,
    entry: Option<Entry>,
) -> Result<(), StoreError> {
    let (people, graph) = match entry {
        Some(e) => (Some(e.people), e.graph),
        None => (None, None),
    };
    buckets.set(keys::VIEW_RELATE, id, people)?;
    buckets.set(keys::VIEW_RELATE_GRAPH, id, graph)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::FollowUp;

    fn follow_up() -> FollowUp {
        FollowUp {
            due: "2026-05-01".parse().unwrap(),
            snoozed_until: None,
            done: None,
        }
    }

    fn note(id: u64, at: i64, contacts: &[u64], text: &str) -> Interaction {
        Interaction {
            id: InteractionId::from_u64(id),
            contacts: contacts.iter().copied().map(ContactId::from_u64).collect(),
            at,
            kind: InteractionKind::Note,
            text: text.to_owned(),
            place: Some("somewhere".to_owned()),
            device: DeviceId::from_bytes([7; 32]),
        }
    }

    fn contact(id: u64) -> Contact {
        Contact {
            id: ContactId::from_u64(id),
            name: format!("Contact {id}"),
            emails: SortedSet::from([format!("c{id}@example.org")]),
            phones: SortedSet::from(["+44 20 7946 0000".to_owned()]),
            links: SortedSet::new(),
            org: Some("Acme".to_owned()),
            title: Some("CTO".to_owned()),
            tags: SortedSet::from(["friend".to_owned()]),
            groups: SortedSet::new(),
            met_on: None,
            met_at: Some("RustConf".to_owned()),
            met_context: None,
            introduced_by: None,
            trust: None,
            connected_on: None,
            notes: Some("long notes".to_owned()),
            created: 1,
            updated: 1,
            deleted: None,
            merged_into: None,
            cadence: None,
            snoozed_until: None,
            follow_ups: BTreeMap::new(),
        }
    }

    #[test]
    fn an_entry_keeps_the_newest_and_the_follow_up_notes_and_apart_the_shared_ones() {
        let mut c = contact(1);
        c.follow_ups
            .insert(InteractionId::from_u64(11), follow_up());
        let timeline = vec![
            note(10, 100, &[1], "old, alone"),
            note(11, 200, &[1], "send the deck"),
            note(12, 300, &[1, 2], "both at lunch"),
            note(13, 400, &[1], "newest"),
            note(14, 250, &[1], "middle, alone"),
        ];
        let e = entry(&c, &timeline).unwrap();
        let p: Person = postcard::from_bytes(&e.people).unwrap();
        let p = (p.links, p.contact.contact().unwrap());
        let ids: Vec<u64> = p.0.iter().map(|l| l.id).collect();
        assert_eq!(ids, vec![11, 13]);
        let texts: Vec<&str> = p.0.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["send the deck", ""]);
        let shared: Vec<Link> = postcard::from_bytes(&e.graph.unwrap()).unwrap();
        assert_eq!(shared.len(), 1);
        assert_eq!((shared[0].id, shared[0].text.as_str()), (12, ""));
        assert_eq!(p.1.notes, None);
        assert_eq!(p.1.org, None);
        assert_eq!(p.1.name, "Contact 1");
        assert_eq!(p.1.follow_ups, c.follow_ups);
        assert_eq!(p.1.emails, c.emails, "emails resolve a contact: kept");
        assert_eq!(p.1.tags, c.tags);
        let alone = entry(&c, &timeline[..1]).unwrap();
        assert_eq!(
            alone.graph, None,
            "no interaction with others: no graph entry"
        );
    }

    #[test]
    fn the_index_reads_back_each_interaction_once_with_its_follow_up_text() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .open()
            .unwrap();
        let tree: &sled::Tree = &db;
        let mut a = contact(1);
        a.follow_ups.insert(InteractionId::from_u64(5), follow_up());
        let b = contact(u64::MAX - 3); // another bucket
        let shared = note(5, 50, &[1, u64::MAX - 3], "bring the contract");
        let mut idx = Buckets::new(tree, dir.path());
        set(
            &mut idx,
            a.id,
            Some(entry(&a, std::slice::from_ref(&shared)).unwrap()),
        )
        .unwrap();
        set(
            &mut idx,
            b.id,
            Some(entry(&b, std::slice::from_ref(&shared)).unwrap()),
        )
        .unwrap();
        let mut batch = sled::Batch::default();
        idx.write(&mut batch).unwrap().remove(dir.path());
        tree.apply_batch(batch).unwrap();

        let book = read(tree, dir.path(), Families::PeopleAndGraph, Emails::Read).unwrap();
        assert_eq!(book.contacts.len(), 2);
        assert_eq!(book.interactions.len(), 1);
        assert_eq!(book.interactions[0].text, "bring the contract");
        assert_eq!(book.interactions[0].contacts, shared.contacts);
        assert_eq!(book.interactions[0].place, None);
        // The people family alone still has it: it is `a`'s newest and its follow-up's note.
        let people = read(tree, dir.path(), Families::People, Emails::Read).unwrap();
        assert_eq!(people.contacts.len(), 2);
        assert_eq!(people.interactions, book.interactions);

        // The acquaintance read keeps the contacts and the shared note, not a's note alone.
        let mut idx = Buckets::new(tree, dir.path());
        let alone = note(6, 60, &[1], "a's own newest note");
        set(
            &mut idx,
            a.id,
            Some(entry(&a, &[shared.clone(), alone.clone()]).unwrap()),
        )
        .unwrap();
        let mut batch = sled::Batch::default();
        idx.write(&mut batch).unwrap().remove(dir.path());
        tree.apply_batch(batch).unwrap();
        let all = read(tree, dir.path(), Families::PeopleAndGraph, Emails::Read).unwrap();
        assert_eq!(all.interactions.len(), 2);
        let graph = read(tree, dir.path(), Families::Acquaintance, Emails::Read).unwrap();
        // The acquaintance graph reads no tags; everything else of the contacts is there.
        let untagged: Vec<Contact> = all
            .contacts
            .iter()
            .map(|c| Contact {
                tags: SortedSet::new(),
                ..c.clone()
            })
            .collect();
        assert_eq!(graph.contacts, untagged);
        let lean = read(tree, dir.path(), Families::Acquaintance, Emails::Skip).unwrap();
        let no_emails: Vec<Contact> = untagged
            .iter()
            .map(|c| Contact {
                emails: SortedSet::new(),
                ..c.clone()
            })
            .collect();
        assert_eq!(lean.contacts, no_emails);
        assert_eq!(lean.interactions, graph.interactions);
        let people = read(tree, dir.path(), Families::People, Emails::Skip).unwrap();
        assert_eq!(
            people.contacts[0].tags,
            SortedSet::from(["friend".to_owned()]),
            "only the acquaintance graph leaves the tags out"
        );
        assert!(people.contacts[0].emails.is_empty());
        let ids: Vec<InteractionId> = graph.interactions.iter().map(|i| i.id).collect();
        assert_eq!(ids, vec![shared.id]);
        let mut idx = Buckets::new(tree, dir.path());
        set(
            &mut idx,
            a.id,
            Some(entry(&a, std::slice::from_ref(&shared)).unwrap()),
        )
        .unwrap();
        let mut batch = sled::Batch::default();
        idx.write(&mut batch).unwrap().remove(dir.path());
        tree.apply_batch(batch).unwrap();

        // Removing an entry empties its bucket, which goes.
        let mut idx = Buckets::new(tree, dir.path());
        set(&mut idx, b.id, None).unwrap();
        let mut batch = sled::Batch::default();
        idx.write(&mut batch).unwrap().remove(dir.path());
        tree.apply_batch(batch).unwrap();
        let book = read(tree, dir.path(), Families::PeopleAndGraph, Emails::Read).unwrap();
        assert_eq!(book.contacts.len(), 1);
        assert_eq!(
            tree.scan_prefix(keys::VIEW_RELATE_GRAPH).count(),
            1,
            "a's graph bucket holds the shared note; b never had one"
        );
    }

    #[test]
    fn a_damaged_bucket_is_view_damage() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .open()
            .unwrap();
        let k = bucket::key(keys::VIEW_RELATE, 3);
        db.insert(&k, b"not a sealed reference".to_vec()).unwrap();
        assert!(matches!(
            read(&db, dir.path(), Families::People, Emails::Read),
            Err(StoreError::ViewDamaged { .. })
        ));
    }
}
