//! The read view: the vault's records materialised beside the document, so that `list`, `search` and
//! `show` read a few keys instead of loading the whole Automerge document (about a second at
//! 10k contacts). It is a cache of the document: written in the same atomic batch as the change
//! that it reflects, tagged with the heads it reflects, and rebuilt from the document whenever
//! it is stale, damaged or of an older format.
//!
//! Keys: `view/cb/<bucket>` contacts, `view/tb/<bucket>` timelines (each contact's
//! interactions, oldest first) and `view/pb/<bucket>` provenance, each a reference to a
//! compressed file bucketing the contacts whose ids fall in it (see `bucket`); `view/g/<group>`; `view/d/<device>`;
//! `view/x/` conflicts.
//!
//! This module only reads; `view_write` brings the view up to date and rebuilds it.

use crate::bucket;
use crate::codec::{self, damaged};
use crate::error::StoreError;
use crate::keys;
use crate::quarantine::Masks;
use crate::relate_index::{Emails, Families};
use rapport_model::{
    Conflict, Contact, ContactId, ContactOrigins, Device, Group, Interaction, Origin, Period,
};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Read access to the materialised records.
#[derive(Debug)]
pub struct ReadView<'a> {
    pub(crate) tree: &'a sled::Tree,
    pub(crate) path: &'a Path,
}

/// A contact with its timeline, as `show` needs it.
#[derive(Debug, Clone)]
pub struct ContactView {
    pub contact: Contact,
    pub timeline: Vec<Interaction>,
}

impl ReadView<'_> {
    /// Every contact, trashed or not, in id order.
    pub fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        let mut contacts = concat(self.map_buckets(keys::VIEW_CONTACTS, |k, entries| {
            // Sized up front: collecting through `Result` has no size hint, so the vector
            // would grow by doubling, copying 400-byte records each time.
            let mut decoded = Vec::with_capacity(entries.len());
            for (_, bytes) in entries {
                decoded.push(self.decode(k, bytes)?);
            }
            Ok(decoded)
        })?);
        self.masks()?.unmask_contacts(&mut contacts);
        Ok(contacts)
    }

    /// The contacts, trashed or not, in id order, that might match a search for `needle`:
    /// those whose stored bytes contain it (ASCII-case-insensitively, as
    /// `timelines_matching` compares) and those in `also` (matched elsewhere, by
    /// their timelines). The others are never decoded: a search decoded all 10k contacts of
    /// W1 to match a few hundred. A needle with non-ASCII letters matches every contact.
    pub fn contacts_matching(
        &self,
        needle: &str,
        also: &BTreeSet<ContactId>,
    ) -> Result<Vec<Contact>, StoreError> {
        let mut contacts = concat(self.map_buckets(keys::VIEW_CONTACTS, |k, entries| {
            let mut matcher = Matcher::new(needle);
            entries
                .into_iter()
                .filter(|(id, bytes)| also.contains(id) || matcher.may_match(bytes))
                .map(|(_, bytes)| self.decode(k, bytes))
                .collect()
        })?);
        self.masks()?.unmask_contacts(&mut contacts);
        Ok(contacts)
    }

    pub fn contact(&self, id: ContactId) -> Result<Option<ContactView>, StoreError> {
        let Some(contact) = self.contact_record(id)? else {
            return Ok(None);
        };
        let timeline = self.timeline(id)?;
        Ok(Some(ContactView { contact, timeline }))
    }

    /// A contact's record without its timeline: what a name or a lookup by id needs.
    pub fn contact_record(&self, id: ContactId) -> Result<Option<Contact>, StoreError> {
        let Some(mut contact) = self.in_bucket::<Contact>(keys::VIEW_CONTACTS, id)? else {
            return Ok(None);
        };
        self.masks()?
            .unmask_contacts(std::slice::from_mut(&mut contact));
        Ok(Some(contact))
    }

    /// A contact's interactions, oldest first.
    pub fn timeline(&self, id: ContactId) -> Result<Vec<Interaction>, StoreError> {
        Ok(self
            .in_bucket::<Vec<Interaction>>(keys::VIEW_TIMELINES, id)?
            .unwrap_or_default())
    }

    /// Calls `f` with each contact's timeline, one bucket at a time, so that a caller that
    /// folds them (the relationship queries, the web app's list) never holds them all at once.
    pub fn for_each_timeline(
        &self,
        mut f: impl FnMut(ContactId, Vec<Interaction>),
    ) -> Result<(), StoreError> {
        self.for_each_bucket(keys::VIEW_TIMELINES, |k, entries| {
            for (id, bytes) in entries {
                f(id, self.decode(k, bytes)?);
            }
            Ok(())
        })
    }

    /// What `f` makes of the timelines that can hold `needle`, for the contacts where it makes
    /// something, in id order. Timelines whose stored bytes cannot contain `needle`, compared
    /// ASCII-case-insensitively, are skipped without decoding: strings are stored as plain
    /// UTF-8, so a timeline that lacks those bytes lacks the text. `f` still checks what it
    /// gets (ids and kinds can match too). A needle with non-ASCII letters is compared only
    /// after decoding, since its case folding is not bytewise.
    ///
    /// The buckets are matched and decoded, and `f` called, on several threads: at W30 a
    /// search for a common word decoded and formatted thousands of timelines' hits.
    pub fn timelines_matching<T: Send>(
        &self,
        needle: &str,
        f: impl Fn(ContactId, Vec<Interaction>) -> Option<T> + Sync,
    ) -> Result<Vec<(ContactId, T)>, StoreError> {
        let parts = self.map_buckets(keys::VIEW_TIMELINES, |k, entries| {
            let mut matcher = Matcher::new(needle);
            let mut made = Vec::new();
            for (id, bytes) in entries {
                if matcher.may_match(bytes) {
                    made.extend(f(id, self.decode(k, bytes)?).map(|t| (id, t)));
                }
            }
            Ok(made)
        })?;
        Ok(concat(parts))
    }

    pub fn groups(&self) -> Result<Vec<Group>, StoreError> {
        let mut groups = self.scan(keys::VIEW_GROUP)?;
        self.masks()?.unmask_groups(&mut groups);
        Ok(groups)
    }

    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.scan(keys::VIEW_DEVICE)
    }

    /// Tag -> cadence (schema 2); empty for a vault that has none.
    pub fn tag_cadences(&self) -> Result<BTreeMap<String, Period>, StoreError> {
        let key = keys::VIEW_TAG_CADENCES;
        match self
            .tree
            .get(key)
            .map_err(|e| StoreError::from_sled(self.path, "read", e))?
        {
            Some(v) => codec::decode_cached(self.path, key, &v),
            None => Ok(BTreeMap::new()),
        }
    }

    /// What the relationship queries read, without the timelines' text (see `RelateBook`):
    /// a third of the time of `contacts` plus `interactions` on W1.
    pub fn relate_book(&self) -> Result<crate::RelateBook, StoreError> {
        self.relate(Families::PeopleAndGraph, Emails::Read)
    }

    /// `relate_book` with only what the acquaintance graph is made of: every contact (without
    /// tags, which no walk reads), and the interactions among several contacts (what `intro`
    /// walks). With `Emails::Skip` the contacts have no emails either.
    pub fn relate_graph(&self, emails: Emails) -> Result<crate::RelateBook, StoreError> {
        self.relate(Families::Acquaintance, emails)
    }

    /// `relate_book` without the interactions among several contacts (the acquaintance graph),
    /// which `due` and `brief` do without: a small part of its cost. With `Emails::Skip` the
    /// contacts have no emails.
    pub fn relate_people(&self, emails: Emails) -> Result<crate::RelateBook, StoreError> {
        self.relate(Families::People, emails)
    }

    fn relate(&self, families: Families, emails: Emails) -> Result<crate::RelateBook, StoreError> {
        let mut book = crate::relate_index::read(self.tree, self.path, families, emails)?;
        self.masks()?.unmask_contacts(&mut book.contacts);
        Ok(book)
    }

    /// Every interaction once (an interaction with several contacts is in each of their
    /// timelines), in no particular order: what the relationship queries walk.
    pub fn interactions(&self) -> Result<Vec<Interaction>, StoreError> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        self.for_each_timeline(|_, timeline| {
            for i in timeline {
                if seen.insert(i.id) {
                    out.push(i);
                }
            }
        })?;
        Ok(out)
    }

    /// Every conflict in the vault, contacts first (in id order), then groups (see
    /// `annotations`).
    pub fn conflicts(&self) -> Result<Vec<Conflict>, StoreError> {
        let mut out = Vec::new();
        for per_record in self.scan::<Vec<Conflict>>(keys::VIEW_CONFLICT)? {
            out.extend(per_record);
        }
        Ok(out)
    }

    /// Who last set each key of a contact, and when (empty for an unknown contact).
    pub fn provenance(&self, id: ContactId) -> Result<Vec<Origin>, StoreError> {
        Ok(self
            .in_bucket::<ContactOrigins>(keys::VIEW_PROVENANCE, id)?
            .map(|o| o.origins)
            .unwrap_or_default())
    }

    /// What an edit written without the document (`rapport_model::append_contact_edit`) reads
    /// of a contact: its record as stored, without the quarantine masks (which change how it
    /// reads, not what the document holds), and its map's origins.
    pub fn contact_for_edit(
        &self,
        id: ContactId,
    ) -> Result<Option<(Contact, ContactOrigins)>, StoreError> {
        let Some(contact) = self.in_bucket::<Contact>(keys::VIEW_CONTACTS, id)? else {
            return Ok(None);
        };
        Ok(self
            .in_bucket::<ContactOrigins>(keys::VIEW_PROVENANCE, id)?
            .map(|origins| (contact, origins)))
    }

    /// The quarantined deletions, which the view shows as live (see `quarantine`).
    fn masks(&self) -> Result<Masks, StoreError> {
        Masks::read(self.tree, self.path)
    }

    /// `g` over every bucket of `family`, on several threads, in id order (`bucket::map_each`).
    fn map_buckets<T: Send>(
        &self,
        family: &str,
        g: impl Fn(&[u8], Vec<(ContactId, &[u8])>) -> Result<T, StoreError> + Sync,
    ) -> Result<Vec<T>, StoreError> {
        bucket::map_each(self.tree, self.path, family, g)
    }

    /// One value of a bucket at `key`, whose bytes not decoding is damage to the view.
    fn decode<T: DeserializeOwned>(&self, key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
        postcard::from_bytes(bytes).map_err(|_| damaged(self.path, key))
    }

    /// Opens every bucket of `family` in id order and hands `f` its entries.
    pub(crate) fn for_each_bucket(
        &self,
        family: &str,
        f: impl FnMut(&[u8], Vec<(ContactId, &[u8])>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        bucket::for_each(self.tree, self.path, family, f)
    }

    /// One contact's value in a bucketed family.
    pub(crate) fn in_bucket<T: DeserializeOwned>(
        &self,
        family: &str,
        id: ContactId,
    ) -> Result<Option<T>, StoreError> {
        let key = bucket::key_of(family, id);
        match bucket::find(self.tree, self.path, &key, id)? {
            Some(bytes) => postcard::from_bytes(&bytes)
                .map(Some)
                .map_err(|_| damaged(self.path, &key)),
            None => Ok(None),
        }
    }

    fn scan<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item.map_err(|e| StoreError::from_sled(self.path, "read", e))?;
            out.push(codec::decode_cached(self.path, &k, &v)?);
        }
        Ok(out)
    }
}

/// The buckets' parts, one after the other.
fn concat<T>(parts: Vec<Vec<T>>) -> Vec<T> {
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        all.extend(part);
    }
    all
}

/// A prefilter on stored bytes: whether they can contain a needle, compared
/// ASCII-case-insensitively. Strings are stored as plain UTF-8, so bytes that lack the needle
/// lack the text; a needle with non-ASCII letters (whose case folding is not bytewise) or an
/// empty one lets everything through.
struct Matcher {
    finder: Option<memchr::memmem::Finder<'static>>,
    lower: Vec<u8>,
}

impl Matcher {
    fn new(needle: &str) -> Matcher {
        let finder = (!needle.is_empty() && needle.is_ascii()).then(|| {
            memchr::memmem::Finder::new(needle.to_ascii_lowercase().as_bytes()).into_owned()
        });
        Matcher {
            finder,
            lower: Vec::new(),
        }
    }

    fn may_match(&mut self, bytes: &[u8]) -> bool {
        let Some(finder) = &self.finder else {
            return true;
        };
        // Lowercased into a reused buffer, then a SIMD substring search: comparing window by
        // window was a fifth of a search's time.
        self.lower.clear();
        self.lower.extend(bytes.iter().map(u8::to_ascii_lowercase));
        finder.find(&self.lower).is_some()
    }
}
