//! The read view: the vault's records materialised into sled, so that `list`, `search` and
//! `show` read a few keys instead of loading the whole Automerge document (about a second at
//! 10k contacts). It is a cache of the document: written in the same atomic batch as the change
//! that it reflects, tagged with the heads it reflects, and rebuilt from the document whenever
//! it is stale, damaged or of an older format.
//!
//! Keys: `view/c/<contact>` a `Contact`; `view/t/<contact>` the contact's timeline (its
//! interactions, oldest first); `view/i/<interaction>` the contacts whose timelines hold it;
//! `view/g/<group>`; `view/d/<device>`.

use crate::chunk;
use crate::error::StoreError;
use crate::keys;
use rapport_model::{
    Contact, ContactId, Device, Group, Interaction, InteractionId, Touched, Vault,
};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const REBUILD_ABOVE: usize = 5_000;

/// Bumped whenever the encoding of view values changes; an old view is then rebuilt.
/// 2: conflicts and provenance (`annotations`). 3: `Contact.merged_into`.
pub(crate) const VIEW_FORMAT: u32 = 3;

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
        let mut contacts = self.scan(keys::VIEW_CONTACT)?;
        self.unmask_contacts(&mut contacts)?;
        Ok(contacts)
    }

    pub fn contact(&self, id: ContactId) -> Result<Option<ContactView>, StoreError> {
        let Some(mut contact) = self.get::<Contact>(&keys::view(keys::VIEW_CONTACT, id))? else {
            return Ok(None);
        };
        self.unmask_contacts(std::slice::from_mut(&mut contact))?;
        let timeline = self.timeline(id)?;
        Ok(Some(ContactView { contact, timeline }))
    }

    /// A contact's interactions, oldest first.
    pub fn timeline(&self, id: ContactId) -> Result<Vec<Interaction>, StoreError> {
        Ok(self
            .get::<Vec<Interaction>>(&keys::view(keys::VIEW_TIMELINE, id))?
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
        let prefilter = !needle.is_empty() && needle.is_ascii();
        for item in self.tree.scan_prefix(keys::VIEW_TIMELINE.as_bytes()) {
            let (k, v) = item.map_err(|e| StoreError::from_sled(self.path, "read", e))?;
            if prefilter
                && !v
                    .windows(needle.len())
                    .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            {
                continue;
            }
            let timeline: Vec<Interaction> = decode(self.path, &k, &v)?;
            let id = std::str::from_utf8(&k[keys::VIEW_TIMELINE.len()..])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| damaged(self.path, &k))?;
            f(id, timeline);
        }
        Ok(())
    }

    pub fn groups(&self) -> Result<Vec<Group>, StoreError> {
        let mut groups = self.scan(keys::VIEW_GROUP)?;
        self.unmask_groups(&mut groups)?;
        Ok(groups)
    }

    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.scan(keys::VIEW_DEVICE)
    }

    fn scan<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item.map_err(|e| StoreError::from_sled(self.path, "read", e))?;
            out.push(decode(self.path, &k, &v)?);
        }
        Ok(out)
    }

    fn get<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self
            .tree
            .get(key)
            .map_err(|e| StoreError::from_sled(self.path, "read", e))?
        {
            Some(v) => decode(self.path, key, &v).map(Some),
            None => Ok(None),
        }
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
    StoreError::ViewDamaged {
        path: path.to_owned(),
        key: String::from_utf8_lossy(key).into_owned(),
    }
}

pub(crate) fn encode<T: Serialize>(key: &[u8], value: &T) -> Result<Vec<u8>, StoreError> {
    let payload = postcard::to_allocvec(value).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(chunk::seal(key, &payload))
}

/// One write of a view rebuild: a key and its new sealed value, or `None` to remove it.
pub(crate) type ViewOp = (Vec<u8>, Option<Vec<u8>>);

/// Adds to `batch` the view updates for the records in `touched`, reading current records from
/// `vault` and the previous filing of interactions from `tree`. When so much changed that the
/// whole view is rebuilt instead, returns the rebuild's writes for the caller to apply in
/// bounded chunks (one sled batch of 100k+ entries took ~600 MB).
pub(crate) fn update(
    tree: &sled::Tree,
    path: &Path,
    batch: &mut sled::Batch,
    vault: &mut Vault,
    touched: &Touched,
) -> Result<Option<Vec<ViewOp>>, StoreError> {
    // Past a few thousand records one pass over the document beats a lookup per record (an
    // import touches every record).
    let many = touched.contacts.len() + touched.interactions.len() > REBUILD_ABOVE;
    if touched.other || many {
        return rebuild(tree, path, vault).map(Some);
    }
    let model = |e: rapport_model::ReadError| StoreError::corrupt(path, e.to_string());
    for id in &touched.contacts {
        let key = keys::view(keys::VIEW_CONTACT, id);
        match vault.contact(*id).map_err(model)? {
            Some(c) => batch.insert(key.clone(), encode(&key, &c)?),
            None => batch.remove(key),
        }
    }
    for id in &touched.groups {
        let key = keys::view(keys::VIEW_GROUP, id);
        match vault.group(*id).map_err(model)? {
            Some(g) => batch.insert(key.clone(), encode(&key, &g)?),
            None => batch.remove(key),
        }
    }
    if touched.devices {
        for d in vault.devices().map_err(model)? {
            let key = keys::view(keys::VIEW_DEVICE, d.id.to_hex());
            batch.insert(key.clone(), encode(&key, &d)?);
        }
    }
    crate::annotations::update(path, batch, vault, touched)?;
    if touched.interactions.is_empty() {
        return Ok(None);
    }
    // Re-file each touched interaction: take it out of the timelines that held it, and put its
    // current version into the timelines of its current contacts.
    let view = ReadView { tree, path };
    let mut timelines: BTreeMap<ContactId, Vec<Interaction>> = BTreeMap::new();
    for id in &touched.interactions {
        let filed_key = keys::view(keys::VIEW_FILED, id);
        let before: Vec<ContactId> = view.get(&filed_key)?.unwrap_or_default();
        let now = vault.interaction(*id).map_err(model)?;
        let after: Vec<ContactId> = now.as_ref().map(|i| i.contacts.clone()).unwrap_or_default();
        for c in before.iter().chain(after.iter()) {
            if !timelines.contains_key(c) {
                timelines.insert(*c, view.timeline(*c)?);
            }
            if let Some(t) = timelines.get_mut(c) {
                t.retain(|i| i.id != *id);
                if let Some(i) = now.as_ref().filter(|_| after.contains(c)) {
                    t.push(i.clone());
                }
            }
        }
        match now {
            Some(_) => batch.insert(filed_key.clone(), encode(&filed_key, &after)?),
            None => batch.remove(filed_key),
        }
    }
    for (c, mut t) in timelines {
        t.sort_by_key(|i| (i.at, i.id));
        let key = keys::view(keys::VIEW_TIMELINE, c);
        batch.insert(key.clone(), encode(&key, &t)?);
    }
    Ok(None)
}

/// The writes that replace whatever view there was with a complete view of `vault` (without
/// the view's heads, which the caller writes last).
pub(crate) fn rebuild(
    tree: &sled::Tree,
    path: &Path,
    vault: &mut Vault,
) -> Result<Vec<ViewOp>, StoreError> {
    let mut ops: Vec<ViewOp> = Vec::new();
    for k in tree.scan_prefix(keys::VIEW_PREFIX).keys() {
        let k = k.map_err(|e| StoreError::from_sled(path, "read", e))?;
        if k != keys::VIEW_HEADS {
            ops.push((k.to_vec(), None));
        }
    }
    let mut put = |key: Vec<u8>, value: Vec<u8>| ops.push((key, Some(value)));
    let model = |e: rapport_model::ReadError| StoreError::corrupt(path, e.to_string());
    for c in vault.contacts().map_err(model)? {
        let key = keys::view(keys::VIEW_CONTACT, c.id);
        let value = encode(&key, &c)?;
        put(key, value);
    }
    for g in vault.groups().map_err(model)? {
        let key = keys::view(keys::VIEW_GROUP, g.id);
        let value = encode(&key, &g)?;
        put(key, value);
    }
    for d in vault.devices().map_err(model)? {
        let key = keys::view(keys::VIEW_DEVICE, d.id.to_hex());
        let value = encode(&key, &d)?;
        put(key, value);
    }
    let mut timelines: BTreeMap<ContactId, Vec<Interaction>> = BTreeMap::new();
    let mut filed: Vec<(InteractionId, BTreeSet<ContactId>)> = Vec::new();
    for i in vault.interactions().map_err(model)? {
        filed.push((i.id, i.contacts.iter().copied().collect()));
        for c in &i.contacts {
            timelines.entry(*c).or_default().push(i.clone());
        }
    }
    for (id, contacts) in filed {
        let key = keys::view(keys::VIEW_FILED, id);
        let contacts: Vec<ContactId> = contacts.into_iter().collect();
        let value = encode(&key, &contacts)?;
        put(key, value);
    }
    for (c, mut t) in timelines {
        t.sort_by_key(|i| (i.at, i.id));
        let key = keys::view(keys::VIEW_TIMELINE, c);
        let value = encode(&key, &t)?;
        put(key, value);
    }
    for (key, value) in crate::annotations::rebuild(path, vault)? {
        put(key, value);
    }
    put(
        keys::VIEW_FORMAT.to_vec(),
        chunk::seal(keys::VIEW_FORMAT, &VIEW_FORMAT.to_le_bytes()),
    );
    Ok(ops)
}
