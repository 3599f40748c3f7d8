//! Keeping the read view (see `view`) up to date: `update` adds a commit's changes to the view
//! in the commit's own batch; `rebuild` writes a whole view from the document when the old
//! one is stale, damaged, of an older format, or when so much changed that one pass over the
//! document is cheaper.

use crate::bucket::{self, Buckets, Replaced};
use crate::chunk;
use crate::codec::{damaged, encode, plain};
use crate::error::StoreError;
use crate::keys;
use crate::relate_index;
use rapport_model::automerge::ChangeHash;
use rapport_model::{Contact, ContactId, GroupId, Interaction, InteractionId, Touched, Vault};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Past this many touched records the view is rebuilt, and the commit compacts directly.
pub(crate) const REBUILD_ABOVE: usize = 5_000;

/// Bumped whenever the encoding of view values changes; an old view is then rebuilt.
/// 2: conflicts and provenance (`annotations`). 3: `Contact.merged_into`. 4: contacts,
/// timelines and provenance in compressed buckets; no interaction filing index. 5: buckets
/// are zstd files outside sled. 6: schema 2 (cadences and follow-ups on `Contact`, cadence
/// on `Group`, the tag cadences). 7: the relate index (`relate_index`). 8: the relate index in
/// two families, people and graph. 9: the relate index in bucket files, not sled values.
/// 10: provenance with each key's operation and the contact map's id (`ContactOrigins`).
pub(crate) const VIEW_FORMAT: u32 = 10;

/// One write of a view rebuild: a key and its new sealed value, or `None` to remove it.
pub(crate) type ViewOp = (Vec<u8>, Option<Vec<u8>>);

/// What `update` did.
pub(crate) enum Updated {
    /// Added to the batch the view's updates, which changed these contacts' records or
    /// timelines (and any other records touched).
    Contacts(BTreeSet<ContactId>),
    /// So much changed that the whole view is rewritten instead: the rebuild's writes.
    Rebuild(Vec<ViewOp>),
}

/// Adds to `batch` the view updates for the records in `touched`, reading current records from
/// `vault` and, for interactions, where the view had filed them from the vault as it was at
/// `saved` (the heads the view reflects); the bucket files the batch replaces go to
/// `replaced`; returns the contacts it changed. When so much changed that the whole view is
/// rebuilt instead, returns the rebuild's writes for the caller to apply in bounded chunks
/// (one sled batch of 100k+ entries took ~600 MB).
pub(crate) fn update(
    tree: &sled::Tree,
    path: &Path,
    batch: &mut sled::Batch,
    vault: &mut Vault,
    touched: &Touched,
    saved: &[ChangeHash],
    replaced: &mut Replaced,
) -> Result<Updated, StoreError> {
    // Past a few thousand records one pass over the document beats a lookup per record (an
    // import touches every record).
    let many = touched.contacts.len() + touched.interactions.len() > REBUILD_ABOVE;
    if touched.other || many {
        return rebuild(tree, path, vault).map(Updated::Rebuild);
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
    let mut refiled = Vec::with_capacity(touched.interactions.len());
    for id in &touched.interactions {
        let then = vault.interaction_at(*id, saved).map_err(model)?;
        refiled.push(Refiled {
            id: *id,
            before: then.map(|i| i.contacts).unwrap_or_default(),
            now: vault.interaction(*id).map_err(model)?,
        });
    }
    let changed = refile(path, &mut buckets, &refiled, &touched.contacts)?;
    replaced.extend(buckets.write(batch)?);
    Ok(Updated::Contacts(changed))
}

/// One interaction to re-file in the timelines: the contacts it named in the view as it
/// stands, and its version now (`None` if it is gone).
pub(crate) struct Refiled {
    pub id: InteractionId,
    pub before: Vec<ContactId>,
    pub now: Option<Interaction>,
}

/// Moves each of `refiled` out of the timelines that held it and into those of its contacts
/// now, then refreshes the relate index entry of every contact whose timeline changed or who
/// is in `contacts` (records already set in `buckets`). Returns those contacts.
pub(crate) fn refile(
    path: &Path,
    buckets: &mut Buckets<'_>,
    refiled: &[Refiled],
    contacts: &BTreeSet<ContactId>,
) -> Result<BTreeSet<ContactId>, StoreError> {
    let mut timelines: BTreeMap<ContactId, Vec<Interaction>> = BTreeMap::new();
    for r in refiled {
        let after: &[ContactId] = r.now.as_ref().map_or(&[], |i| i.contacts.as_slice());
        for c in r.before.iter().chain(after.iter()) {
            if !timelines.contains_key(c) {
                timelines.insert(*c, buckets.get_decoded(keys::VIEW_TIMELINES, *c)?);
            }
            if let Some(t) = timelines.get_mut(c) {
                t.retain(|i| i.id != r.id);
                if let Some(i) = r.now.as_ref().filter(|_| after.contains(c)) {
                    t.push(i.clone());
                }
            }
        }
    }
    for (c, t) in &mut timelines {
        t.sort_by_key(|i| (i.at, i.id));
        let value = (!t.is_empty()).then(|| plain(&*t)).transpose()?;
        buckets.set(keys::VIEW_TIMELINES, *c, value)?;
    }
    // The relate index entry of every contact whose record or timeline changed.
    let changed: BTreeSet<ContactId> = contacts.iter().chain(timelines.keys()).copied().collect();
    for c in changed.iter().copied() {
        let value = match buckets.get(keys::VIEW_CONTACTS, c)? {
            None => None,
            Some(bytes) => {
                let contact: Contact = postcard::from_bytes(bytes)
                    .map_err(|_| damaged(path, &bucket::key_of(keys::VIEW_CONTACTS, c)))?;
                let timeline = match timelines.get(&c) {
                    Some(t) => t.clone(),
                    None => buckets.get_decoded(keys::VIEW_TIMELINES, c)?,
                };
                Some(relate_index::entry(&contact, &timeline)?)
            }
        };
        relate_index::set(buckets, c, value)?;
    }
    Ok(changed)
}

/// Bucket entries by family, then bucket, then contact.
type Family = BTreeMap<u8, BTreeMap<ContactId, Vec<u8>>>;

/// Every interaction, filed by contact in timeline order (an interaction that names several
/// contacts is in each of their timelines).
fn timelines_of(
    vault: &Vault,
    model: impl Fn(rapport_model::ReadError) -> StoreError,
) -> Result<BTreeMap<ContactId, Vec<Interaction>>, StoreError> {
    let mut by_contact: BTreeMap<ContactId, Vec<Interaction>> = BTreeMap::new();
    for i in vault.interactions().map_err(model)? {
        let contacts: BTreeSet<ContactId> = i.contacts.iter().copied().collect();
        let contacts: Vec<ContactId> = contacts.into_iter().collect();
        // Filed by move in its last contact's timeline, copied only for the others: most
        // interactions name one contact, and W30 has 300,000 of them.
        if let Some((last, others)) = contacts.split_last() {
            for c in others {
                by_contact.entry(*c).or_default().push(i.clone());
            }
            by_contact.entry(*last).or_default().push(i);
        }
    }
    for t in by_contact.values_mut() {
        t.sort_by_key(|i| (i.at, i.id));
    }
    Ok(by_contact)
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
    // Two scans of the document at once, one per core: the contacts with their provenance on
    // one thread, the interactions filed into timelines on this one (on W30 each took about
    // a second). Only shared references: the change times the provenance needs are read first.
    let times = vault.all_change_times();
    let shared: &Vault = vault;
    let (records, timelines) = std::thread::scope(|scope| {
        let records = scope.spawn(|| -> Result<_, StoreError> {
            let all = shared.contacts().map_err(model)?;
            let mut contacts: Family = BTreeMap::new();
            for c in &all {
                let b = bucket::bucket_of(keys::VIEW_CONTACTS, c.id);
                contacts.entry(b).or_default().insert(c.id, plain(c)?);
            }
            let origins = shared.all_origins_dated(&times);
            Ok((all, contacts, origins))
        });
        let timelines = timelines_of(shared, model).and_then(|by_contact| {
            let mut timelines: Family = BTreeMap::new();
            for (c, t) in &by_contact {
                let b = bucket::bucket_of(keys::VIEW_TIMELINES, *c);
                timelines.entry(b).or_default().insert(*c, plain(t)?);
            }
            Ok((by_contact, timelines))
        });
        let records = records
            .join()
            .map_err(|_| StoreError::Encode("the contacts could not be read".to_owned()))?;
        Ok::<_, StoreError>((records?, timelines?))
    })?;
    let ((all, contacts, origins), (by_contact, timelines)) = (records, timelines);
    let groups = vault.groups().map_err(model)?;
    let group_ids: Vec<GroupId> = groups.iter().map(|g| g.id).collect();
    for g in groups {
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
    let mut index = BTreeMap::new();
    for c in &all {
        let t = by_contact.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        index.insert(c.id, relate_index::entry(c, t)?);
    }
    let (annotations, provenance) = crate::annotations::rebuild(path, vault, origins, &group_ids)?;
    puts.extend(annotations);
    let mut plains = relate_index::rebuilt(index)?;
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
    // Freeing W30's 300,000 interactions and 30,000 contacts took 0.3 s of a clone: another
    // thread does it, which the exit of a one-shot command may simply cut short. It starts
    // only now, when what is left is mostly waiting on the disk: freed while this thread still
    // built the annotations and the files, the blocks fought it for malloc's arena lock (perf
    // of a W30 clone: futex wakes and context switches 3.5% of its samples, 1.7% from here).
    std::thread::spawn(move || drop((all, by_contact)));
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
