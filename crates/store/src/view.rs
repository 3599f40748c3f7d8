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

use crate::bucket::{self, Buckets, Replaced};
use crate::chunk;
use crate::error::StoreError;
use crate::keys;
use rapport_model::automerge::ChangeHash;
use rapport_model::{Contact, ContactId, Device, Group, Interaction, Period, Touched, Vault};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Past this many touched records the view is rebuilt, and the commit compacts directly.
pub(crate) const REBUILD_ABOVE: usize = 5_000;

/// Bumped whenever the encoding of view values changes; an old view is then rebuilt.
/// 2: conflicts and provenance (`annotations`). 3: `Contact.merged_into`. 4: contacts,
/// timelines and provenance in compressed buckets; no interaction filing index. 5: buckets
/// are zstd files outside sled. 6: schema 2 (cadences and follow-ups on `Contact`, cadence
/// on `Group`, the tag cadences).
pub(crate) const VIEW_FORMAT: u32 = 6;

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
        let mut contacts = Vec::new();
        self.for_each_bucket(keys::VIEW_CONTACTS, |k, entries| {
            for (_, bytes) in entries {
                contacts.push(postcard::from_bytes(bytes).map_err(|_| damaged(self.path, k))?);
            }
            Ok(())
        })?;
        self.unmask_contacts(&mut contacts)?;
        Ok(contacts)
    }

    /// The contacts, trashed or not, in id order, that might match a search for `needle`:
    /// those whose stored bytes contain it (ASCII-case-insensitively, as
    /// `for_each_timeline_containing` compares) and those in `also` (matched elsewhere, by
    /// their timelines). The others are never decoded: a search decoded all 10k contacts of
    /// W1 to match a few hundred. A needle with non-ASCII letters matches every contact.
    pub fn contacts_matching(
        &self,
        needle: &str,
        also: &BTreeSet<ContactId>,
    ) -> Result<Vec<Contact>, StoreError> {
        let mut matcher = Matcher::new(needle);
        let mut contacts = Vec::new();
        self.for_each_bucket(keys::VIEW_CONTACTS, |k, entries| {
            for (id, bytes) in entries {
                if also.contains(&id) || matcher.may_match(bytes) {
                    contacts.push(postcard::from_bytes(bytes).map_err(|_| damaged(self.path, k))?);
                }
            }
            Ok(())
        })?;
        self.unmask_contacts(&mut contacts)?;
        Ok(contacts)
    }

    pub fn contact(&self, id: ContactId) -> Result<Option<ContactView>, StoreError> {
        let Some(mut contact) = self.in_bucket::<Contact>(keys::VIEW_CONTACTS, id)? else {
            return Ok(None);
        };
        self.unmask_contacts(std::slice::from_mut(&mut contact))?;
        let timeline = self.timeline(id)?;
        Ok(Some(ContactView { contact, timeline }))
    }

    /// A contact's interactions, oldest first.
    pub fn timeline(&self, id: ContactId) -> Result<Vec<Interaction>, StoreError> {
        Ok(self
            .in_bucket::<Vec<Interaction>>(keys::VIEW_TIMELINES, id)?
            .unwrap_or_default())
    }

    /// Calls `f` with each contact's timeline, for searching interaction text.
    pub fn for_each_timeline(
        &self,
        f: impl FnMut(ContactId, Vec<Interaction>),
    ) -> Result<(), StoreError> {
        self.for_each_timeline_containing("", f)
    }

    /// Like `for_each_timeline`, but skips (without decoding) every timeline whose stored bytes
    /// cannot contain `needle`, compared ASCII-case-insensitively: strings are stored as plain
    /// UTF-8, so a timeline that lacks those bytes lacks the text. The callback still checks
    /// what it gets (ids and kinds can match too). A needle with non-ASCII letters is compared
    /// only after decoding, since its case folding is not bytewise.
    pub fn for_each_timeline_containing(
        &self,
        needle: &str,
        mut f: impl FnMut(ContactId, Vec<Interaction>),
    ) -> Result<(), StoreError> {
        let mut matcher = Matcher::new(needle);
        self.for_each_bucket(keys::VIEW_TIMELINES, |k, entries| {
            for (id, bytes) in entries {
                if !matcher.may_match(bytes) {
                    continue;
                }
                let timeline = postcard::from_bytes(bytes).map_err(|_| damaged(self.path, k))?;
                f(id, timeline);
            }
            Ok(())
        })
    }

    pub fn groups(&self) -> Result<Vec<Group>, StoreError> {
        let mut groups = self.scan(keys::VIEW_GROUP)?;
        self.unmask_groups(&mut groups)?;
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
            Some(v) => decode(self.path, key, &v),
            None => Ok(BTreeMap::new()),
        }
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
            out.push(decode(self.path, &k, &v)?);
        }
        Ok(out)
    }
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

pub(crate) fn decode<T: DeserializeOwned>(
    path: &Path,
    key: &[u8],
    sealed: &[u8],
) -> Result<T, StoreError> {
    let payload = chunk::open(key, sealed).ok_or_else(|| damaged(path, key))?;
    postcard::from_bytes(payload).map_err(|_| damaged(path, key))
}

fn damaged(path: &Path, key: &[u8]) -> StoreError {
    bucket::damaged(path, key)
}

pub(crate) fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    Ok(chunk::seal(key, &plain(value)?))
}

/// The postcard bytes of a value (a bucket entry).
pub(crate) fn plain<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_allocvec(value).map_err(|e| StoreError::Encode(e.to_string()))
}

/// One write of a view rebuild: a key and its new sealed value, or `None` to remove it.
pub(crate) type ViewOp = (Vec<u8>, Option<Vec<u8>>);

/// Adds to `batch` the view updates for the records in `touched`, reading current records from
/// `vault` and, for interactions, where the view had filed them from the vault as it was at
/// `saved` (the heads the view reflects); the bucket files the batch replaces go to
/// `replaced`. When so much changed that the whole view is rebuilt instead, returns the
/// rebuild's writes for the caller to apply in bounded chunks (one sled batch of 100k+
/// entries took ~600 MB).
pub(crate) fn update(
    tree: &sled::Tree,
    path: &Path,
    batch: &mut sled::Batch,
    vault: &mut Vault,
    touched: &Touched,
    saved: &[ChangeHash],
    replaced: &mut Replaced,
) -> Result<Option<Vec<ViewOp>>, StoreError> {
    // Past a few thousand records one pass over the document beats a lookup per record (an
    // import touches every record).
    let many = touched.contacts.len() + touched.interactions.len() > REBUILD_ABOVE;
    if touched.other || many {
        return rebuild(tree, path, vault).map(Some);
    }
    let model = |e: rapport_model::ReadError| StoreError::corrupt(path, e.to_string());
    let mut buckets = Buckets::new(tree, path);
    for id in &touched.contacts {
        let value = vault
            .contact(*id)
            .map_err(model)?
            .map(|c| plain(&c))
            .transpose()?;
        buckets.set(keys::VIEW_CONTACTS, *id, value)?;
    }
    for id in &touched.groups {
        let key = keys::view(keys::VIEW_GROUP, id);
        match vault.group(*id).map_err(model)? {
            Some(g) => batch.insert(key.clone(), encode(&key, &g)?),
            None => batch.remove(key),
        }
    }
    if touched.tag_cadences {
        let tc = vault.tag_cadences().map_err(model)?;
        batch.insert(
            keys::VIEW_TAG_CADENCES,
            encode(keys::VIEW_TAG_CADENCES, &tc)?,
        );
    }
    if touched.devices {
        for d in vault.devices().map_err(model)? {
            let key = keys::view(keys::VIEW_DEVICE, d.id.to_hex());
            batch.insert(key.clone(), encode(&key, &d)?);
        }
    }
    crate::annotations::update(path, batch, &mut buckets, vault, touched)?;
    // Re-file each touched interaction: take it out of the timelines that held it (those of
    // its contacts at `saved`), and put its current version into those of its contacts now.
    let mut timelines: BTreeMap<ContactId, Vec<Interaction>> = BTreeMap::new();
    for id in &touched.interactions {
        let then = vault.interaction_at(*id, saved).map_err(model)?;
        let before: Vec<ContactId> = then.map(|i| i.contacts).unwrap_or_default();
        let now = vault.interaction(*id).map_err(model)?;
        let after: Vec<ContactId> = now.as_ref().map(|i| i.contacts.clone()).unwrap_or_default();
        for c in before.iter().chain(after.iter()) {
            if !timelines.contains_key(c) {
                timelines.insert(*c, buckets.get_decoded(keys::VIEW_TIMELINES, *c)?);
            }
            if let Some(t) = timelines.get_mut(c) {
                t.retain(|i| i.id != *id);
                if let Some(i) = now.as_ref().filter(|_| after.contains(c)) {
                    t.push(i.clone());
                }
            }
        }
    }
    for (c, mut t) in timelines {
        t.sort_by_key(|i| (i.at, i.id));
        let value = (!t.is_empty()).then(|| plain(&t)).transpose()?;
        buckets.set(keys::VIEW_TIMELINES, c, value)?;
    }
    replaced.extend(buckets.write(batch)?);
    Ok(None)
}

/// The writes that replace whatever view there was with a complete view of `vault` (without
/// the view's heads, which the caller writes last). The bucket files they reference are
/// written, durably, before this returns; the files they replace are left for
/// `bucket::remove_unreferenced` once the writes are on disk.
pub(crate) fn rebuild(
    tree: &sled::Tree,
    path: &Path,
    vault: &mut Vault,
) -> Result<Vec<ViewOp>, StoreError> {
    let mut puts: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let model = |e: rapport_model::ReadError| StoreError::corrupt(path, e.to_string());
    // Bucket entries by family, then bucket, then contact.
    type Family = BTreeMap<u8, BTreeMap<ContactId, Vec<u8>>>;
    let mut contacts: Family = BTreeMap::new();
    for c in vault.contacts().map_err(model)? {
        let b = bucket::bucket_of(c.id);
        contacts.entry(b).or_default().insert(c.id, plain(&c)?);
    }
    for g in vault.groups().map_err(model)? {
        let key = keys::view(keys::VIEW_GROUP, g.id);
        let value = encode(&key, &g)?;
        puts.push((key, value));
    }
    for d in vault.devices().map_err(model)? {
        let key = keys::view(keys::VIEW_DEVICE, d.id.to_hex());
        let value = encode(&key, &d)?;
        puts.push((key, value));
    }
    let tc = vault.tag_cadences().map_err(model)?;
    let key = keys::VIEW_TAG_CADENCES.to_vec();
    puts.push((key.clone(), encode(&key, &tc)?));
    let mut by_contact: BTreeMap<ContactId, Vec<Interaction>> = BTreeMap::new();
    for i in vault.interactions().map_err(model)? {
        let contacts: BTreeSet<ContactId> = i.contacts.iter().copied().collect();
        for c in contacts {
            by_contact.entry(c).or_default().push(i.clone());
        }
    }
    let mut timelines: Family = BTreeMap::new();
    for (c, mut t) in by_contact {
        t.sort_by_key(|i| (i.at, i.id));
        let b = bucket::bucket_of(c);
        timelines.entry(b).or_default().insert(c, plain(&t)?);
    }
    let (annotations, provenance) = crate::annotations::rebuild(path, vault)?;
    puts.extend(annotations);
    let mut plains = Vec::new();
    for (family, buckets) in [
        (keys::VIEW_CONTACTS, contacts),
        (keys::VIEW_TIMELINES, timelines),
        (keys::VIEW_PROVENANCE, provenance),
    ] {
        for (b, entries) in buckets {
            let plain = bucket::plain(entries.iter().map(|(id, v)| (*id, v.as_slice())));
            plains.push((bucket::key(family, b), plain));
        }
    }
    for ((key, _), file) in plains.iter().zip(bucket::write_files(path, &plains)?) {
        puts.push((key.clone(), file.seal(key)));
    }
    bucket::sync_dir(path)?;
    puts.push((
        keys::VIEW_FORMAT.to_vec(),
        chunk::seal(keys::VIEW_FORMAT, &VIEW_FORMAT.to_le_bytes()),
    ));
    // Every other view key goes (an older format's keys included), except the heads, which
    // the caller rewrites last.
    let kept: BTreeSet<&[u8]> = puts.iter().map(|(k, _)| k.as_slice()).collect();
    let mut ops: Vec<ViewOp> = Vec::new();
    for k in tree.scan_prefix(keys::VIEW_PREFIX).keys() {
        let k = k.map_err(|e| StoreError::from_sled(path, "read", e))?;
        if k != keys::VIEW_HEADS && !kept.contains(&k[..]) {
            ops.push((k.to_vec(), None));
        }
    }
    ops.extend(puts.into_iter().map(|(k, v)| (k, Some(v))));
    Ok(ops)
}
