//! The relate index: what the relationship queries (`due`, `intro`, `brief`) read, kept small
//! so that they need neither the whole timelines nor the Automerge document. Reading every
//! timeline decoded 100k interactions with their text on W1 and took three times a cold
//! `list --json`.
//!
//! Per contact, one entry: the contact without the fields no query reads (phones, links, org,
//! title, met-at, met-context, notes), and the *links* among its interactions: its newest (for
//! "last talked"), every one with more than one contact (the acquaintance graph), and the notes
//! that carry its follow-ups, with their text. Other links have no text; no link has a place.
//!
//! Entries are grouped into buckets by contact id like the view's other families (`bucket`),
//! but a bucket is a sealed zstd frame stored *in sled* at `view/rb/<bucket>`, not a file: W1's
//! whole index is ~1 MB, and a value in the commit's own sled batch costs no extra fsync, while
//! a bucket file costs one per commit. It is part of the read view: written in the same batch
//! as each commit (`view_write`), rebuilt with it, and damage to it is view damage.

use crate::bucket::{self, bucket_of};
use crate::chunk;
use crate::codec::{damaged, plain};
use crate::error::StoreError;
use crate::keys;
use rapport_model::{Contact, ContactId, DeviceId, Interaction, InteractionId, InteractionKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// zstd level for the index's buckets: they are small, and one is rewritten per commit.
const LEVEL: i32 = 3;
/// A bucket's plain bytes may not exceed this (a damaged length must not allocate wildly).
const MAX_PLAIN: usize = 1 << 28;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    contact: Contact,
    links: Vec<Link>,
}

/// What the relationship queries read, from the relate index (see the module documentation):
/// every contact, trashed ones included, without phones, links, org, title, met-at,
/// met-context and notes; and each interaction that is some contact's newest, has several
/// contacts, or carries a follow-up, once, with text only for follow-up notes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelateBook {
    pub contacts: Vec<Contact>,
    pub interactions: Vec<Interaction>,
}

/// The index entry of `contact`, whose timeline (oldest first, as the view keeps it) is
/// `timeline`, encoded.
pub(crate) fn entry(contact: &Contact, timeline: &[Interaction]) -> Result<Vec<u8>, StoreError> {
    let newest = timeline.iter().max_by_key(|i| (i.at, i.id)).map(|i| i.id);
    let links = timeline
        .iter()
        .filter(|i| {
            Some(i.id) == newest || i.contacts.len() > 1 || contact.follow_ups.contains_key(&i.id)
        })
        .map(|i| Link {
            id: i.id.as_u64(),
            at: i.at,
            kind: i.kind,
            contacts: i.contacts.iter().map(|c| c.as_u64()).collect(),
            device: i.device,
            text: if contact.follow_ups.contains_key(&i.id) {
                i.text.clone()
            } else {
                String::new()
            },
        })
        .collect();
    let slim = Contact {
        phones: BTreeSet::new(),
        links: BTreeSet::new(),
        org: None,
        title: None,
        met_at: None,
        met_context: None,
        notes: None,
        ..contact.clone()
    };
    plain(&Entry {
        contact: slim,
        links,
    })
}

/// The sealed sled value of a bucket of entries (`(contact, encoded entry)`, in id order).
pub(crate) fn seal_bucket<'a>(
    key: &[u8],
    entries: impl IntoIterator<Item = (ContactId, &'a [u8])>,
) -> Result<Vec<u8>, StoreError> {
    let plain = bucket::plain(entries);
    let mut bytes = (plain.len() as u32).to_le_bytes().to_vec();
    let frame = zstd::bulk::compress(&plain, LEVEL)
        .map_err(|e| StoreError::Encode(format!("the relate index: {e}")))?;
    bytes.extend_from_slice(&frame);
    Ok(chunk::seal(key, &bytes))
}

/// The plain bytes of the bucket sealed at `key`.
fn open_bucket(
    path: &Path,
    key: &[u8],
    sealed: &[u8],
    decoder: &mut zstd::bulk::Decompressor<'_>,
) -> Result<Vec<u8>, StoreError> {
    let bytes = chunk::open(key, sealed).ok_or_else(|| damaged(path, key))?;
    let (len, frame) = bytes
        .split_first_chunk::<4>()
        .ok_or_else(|| damaged(path, key))?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > MAX_PLAIN {
        return Err(damaged(path, key));
    }
    let mut plain = Vec::with_capacity(len);
    match decoder.decompress_to_buffer(frame, &mut plain) {
        Ok(n) if n == len => Ok(plain),
        _ => Err(damaged(path, key)),
    }
}

fn decoder(path: &Path) -> Result<zstd::bulk::Decompressor<'static>, StoreError> {
    zstd::bulk::Decompressor::new().map_err(|e| StoreError::from_io(path, "read", e))
}

/// Reads the whole index (quarantine masks are the caller's: see `ReadView`).
pub(crate) fn read(tree: &sled::Tree, path: &Path) -> Result<RelateBook, StoreError> {
    let mut decoder = decoder(path)?;
    let mut book = RelateBook::default();
    // Where each interaction is in `book.interactions`.
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for item in tree.scan_prefix(keys::VIEW_RELATE.as_bytes()) {
        let (k, v) = item.map_err(|e| StoreError::from_sled(path, "read", e))?;
        let plain = open_bucket(path, &k, &v, &mut decoder)?;
        for (_, bytes) in bucket::entries(&plain).ok_or_else(|| damaged(path, &k))? {
            let e: Entry = postcard::from_bytes(bytes).map_err(|_| damaged(path, &k))?;
            for l in e.links {
                // A note's follow-up text is only in its owner's entry: keep the link that has it.
                match seen.get(&l.id) {
                    None => {
                        seen.insert(l.id, book.interactions.len());
                        book.interactions.push(interaction(l));
                    }
                    Some(at) if !l.text.is_empty() => {
                        if let Some(i) = book.interactions.get_mut(*at) {
                            i.text = l.text;
                        }
                    }
                    Some(_) => {}
                }
            }
            book.contacts.push(e.contact);
        }
    }
    Ok(book)
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

/// Read-modify-write of the index's buckets during one commit, like `bucket::Buckets`, with
/// each bucket a sled value of the commit's batch.
pub(crate) struct IndexBuckets<'a> {
    tree: &'a sled::Tree,
    path: &'a Path,
    loaded: BTreeMap<u8, BTreeMap<ContactId, Vec<u8>>>,
}

impl<'a> IndexBuckets<'a> {
    pub(crate) fn new(tree: &'a sled::Tree, path: &'a Path) -> Self {
        IndexBuckets {
            tree,
            path,
            loaded: BTreeMap::new(),
        }
    }

    /// Sets (or with `None` removes) the entry of `id`.
    pub(crate) fn set(&mut self, id: ContactId, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        let b = bucket_of(id);
        if !self.loaded.contains_key(&b) {
            let k = bucket::key(keys::VIEW_RELATE, b);
            let mut entries = BTreeMap::new();
            if let Some(sealed) = self
                .tree
                .get(&k)
                .map_err(|e| StoreError::from_sled(self.path, "read", e))?
            {
                let plain = open_bucket(self.path, &k, &sealed, &mut decoder(self.path)?)?;
                for (id, bytes) in bucket::entries(&plain).ok_or_else(|| damaged(self.path, &k))? {
                    entries.insert(id, bytes.to_vec());
                }
            }
            self.loaded.insert(b, entries);
        }
        if let Some(map) = self.loaded.get_mut(&b) {
            match value {
                Some(v) => map.insert(id, v),
                None => map.remove(&id),
            };
        }
        Ok(())
    }

    /// Adds the changed buckets to `batch` (an emptied one is removed).
    pub(crate) fn write(self, batch: &mut sled::Batch) -> Result<(), StoreError> {
        for (b, entries) in self.loaded {
            let k = bucket::key(keys::VIEW_RELATE, b);
            if entries.is_empty() {
                batch.remove(k);
            } else {
                let sealed = seal_bucket(&k, entries.iter().map(|(id, v)| (*id, v.as_slice())))?;
                batch.insert(k, sealed);
            }
        }
        Ok(())
    }
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
            emails: BTreeSet::from([format!("c{id}@example.org")]),
            phones: BTreeSet::from(["+44 20 7946 0000".to_owned()]),
            links: BTreeSet::new(),
            org: Some("Acme".to_owned()),
            title: Some("CTO".to_owned()),
            tags: BTreeSet::from(["friend".to_owned()]),
            groups: BTreeSet::new(),
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
    fn an_entry_keeps_the_newest_the_shared_and_the_follow_up_notes_only() {
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
        let bytes = entry(&c, &timeline).unwrap();
        let e: Entry = postcard::from_bytes(&bytes).unwrap();
        let ids: Vec<u64> = e.links.iter().map(|l| l.id).collect();
        assert_eq!(ids, vec![11, 12, 13]);
        let texts: Vec<&str> = e.links.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["send the deck", "", ""]);
        assert_eq!(e.contact.notes, None);
        assert_eq!(e.contact.org, None);
        assert_eq!(e.contact.name, "Contact 1");
        assert_eq!(e.contact.follow_ups, c.follow_ups);
        assert_eq!(e.contact.emails, c.emails, "emails resolve a contact: kept");
        assert_eq!(e.contact.tags, c.tags);
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
        let mut idx = IndexBuckets::new(tree, dir.path());
        idx.set(
            a.id,
            Some(entry(&a, std::slice::from_ref(&shared)).unwrap()),
        )
        .unwrap();
        idx.set(
            b.id,
            Some(entry(&b, std::slice::from_ref(&shared)).unwrap()),
        )
        .unwrap();
        let mut batch = sled::Batch::default();
        idx.write(&mut batch).unwrap();
        tree.apply_batch(batch).unwrap();

        let book = read(tree, dir.path()).unwrap();
        assert_eq!(book.contacts.len(), 2);
        assert_eq!(book.interactions.len(), 1);
        assert_eq!(book.interactions[0].text, "bring the contract");
        assert_eq!(book.interactions[0].contacts, shared.contacts);
        assert_eq!(book.interactions[0].place, None);

        // Removing an entry empties its bucket, which goes.
        let mut idx = IndexBuckets::new(tree, dir.path());
        idx.set(b.id, None).unwrap();
        let mut batch = sled::Batch::default();
        idx.write(&mut batch).unwrap();
        tree.apply_batch(batch).unwrap();
        assert_eq!(read(tree, dir.path()).unwrap().contacts.len(), 1);
    }

    #[test]
    fn a_damaged_bucket_is_view_damage() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .open()
            .unwrap();
        let k = bucket::key(keys::VIEW_RELATE, 3);
        db.insert(&k, b"not a sealed bucket".to_vec()).unwrap();
        assert!(matches!(
            read(&db, dir.path()),
            Err(StoreError::ViewDamaged { .. })
        ));
    }
}
