//! The per-record history index: for each contact and group, the changes that touched it, so
//! that `rapport log CONTACT` reads a few keys instead of loading the document and walking
//! every change (about a second at 10k contacts just to load).
//!
//! Keys: `hist/g/<group>/<time:016x><max_op:016x><hash>`, and
//! `hist/a/<time:016x><max_op:016x><hash>` for every change of the vault, each a sealed
//! `HistoryEntry`; sorted by time, then by the change's last operation counter (a Lamport
//! clock, which orders changes made within one second), so newest first is a reverse scan.
//! Contacts, of which there are thousands, keep their entries in the same order in buckets
//! (`hist/cb/<bucket>`, see `bucket`): one import touching 10k contacts wrote 10k sled
//! values that sled kept two or three copies of. `hist/heads` says
//! which document heads the index covers. Entries are written by `Store::commit` in the same
//! atomic batch as the changes they describe, but only while the index is complete; when it is
//! not (a vault fetched from a peer, a store written by an older rapport) `index_history`
//! catches it up from `hist/heads` once. The index lives outside `view/`, so a view rebuild
//! keeps it: the history of a record never changes, it only grows.

use crate::bucket::{Buckets, Replaced};
use crate::chunk;
use crate::codec;
use crate::error::StoreError;
use crate::keys::{HIST_ALL, HIST_CONTACTS, HIST_GROUP, HIST_HEADS};
use crate::view::ReadView;
use rapport_model::automerge::{ChangeHash, ReadDoc};
use rapport_model::{
    AttributedChange, ContactId, DeviceId, GroupId, RecordRef, Touched, UnixMillis, Vault,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A vault fetched whole is indexed at once if it is at most this large; a larger one is
/// indexed by the first `log` (attributing a bulk import means decoding all of it).
const INDEX_ON_CREATE_MAX_OPS: u64 = 100_000;

/// One change of one record, as `log` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub hash: [u8; 32],
    /// Commit time, Unix milliseconds (whole seconds).
    pub time: UnixMillis,
    pub device: Option<DeviceId>,
    pub message: String,
    /// The keys it wrote in this record (`name`, `tag:vip`, `interaction:<id>`, ...).
    pub fields: Vec<String>,
    /// A bulk change (an import): its fields are not listed.
    pub bulk: bool,
}

impl HistoryEntry {
    pub fn change(&self) -> ChangeHash {
        ChangeHash(self.hash)
    }

    /// The first line of the message: what the change did.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

impl ReadView<'_> {
    /// The changes that touched a record, newest first, at most `limit` of them.
    pub fn history(
        &self,
        record: RecordRef,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        match record {
            RecordRef::Contact(id) => {
                let filed: Vec<Filed> = self.in_bucket(HIST_CONTACTS, id)?.unwrap_or_default();
                let newest = filed.into_iter().rev().map(|f| f.entry);
                Ok(newest.take(limit.unwrap_or(usize::MAX)).collect())
            }
            RecordRef::Group(id) => self.history_under(&group_prefix(id), limit),
        }
    }

    /// Every change of the vault, newest first, at most `limit` of them; `fields` names the
    /// records each touched (`contact:<id>`, `group:<id>`).
    pub fn vault_history(&self, limit: Option<usize>) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history_under(HIST_ALL, limit)
    }

    fn history_under(
        &self,
        prefix: &str,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(prefix.as_bytes()).rev() {
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            // Damage to the index is damage to a cache of the document: the binary drops the
            // index and rebuilds it.
            let (k, v) = item.map_err(|e| StoreError::from_sled(self.path, "read", e))?;
            out.push(codec::decode_cached(self.path, &k, &v)?);
        }
        Ok(out)
    }
}

/// A contact's entry in its history bucket, with the key that orders it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Filed {
    time: u64,
    max_op: u64,
    entry: HistoryEntry,
}

impl Filed {
    fn order(&self) -> (u64, u64, [u8; 32]) {
        (self.time, self.max_op, self.entry.hash)
    }
}

fn group_prefix(id: GroupId) -> String {
    format!("{HIST_GROUP}{id}/")
}

/// The heads the index covers (sorted), or `None` if there is no index yet.
pub(crate) fn indexed_heads(tree: &sled::Tree) -> Option<Vec<ChangeHash>> {
    let sealed = tree.get(HIST_HEADS).ok()??;
    codec::decode_heads(chunk::open(HIST_HEADS, &sealed)?)
}

/// One write of the index: a key and its sealed value.
pub(crate) type IndexWrite = (Vec<u8>, Vec<u8>);

/// The writes that index `changes` and mark the index as covering `heads` (last, so that a
/// crash part-way leaves an index that claims nothing it lacks). Contact entries go into
/// `buckets` instead, which the caller writes before these.
pub(crate) fn writes(
    changes: &[AttributedChange],
    heads: &[ChangeHash],
    buckets: &mut Buckets<'_>,
) -> Result<Vec<IndexWrite>, StoreError> {
    let mut out = Vec::new();
    let mut contacts: BTreeMap<ContactId, Vec<Filed>> = BTreeMap::new();
    for c in changes {
        // A bulk change (an import) would list every record: it says so instead.
        let listed = if c.bulk { 0 } else { c.records.len() };
        let records: Vec<String> = c
            .records
            .keys()
            .take(listed)
            .map(|r| match r {
                RecordRef::Contact(id) => format!("contact:{id}"),
                RecordRef::Group(id) => format!("group:{id}"),
            })
            .collect();
        let order = format!(
            "{:016x}{:016x}{}",
            c.info.time.max(0) as u64,
            c.info.max_op,
            c.info.hash
        );
        let key = format!("{HIST_ALL}{order}").into_bytes();
        out.push(sealed(key, &entry(c, records))?);
        for (record, fields) in &c.records {
            let entry = entry(c, fields.iter().cloned().collect());
            match record {
                RecordRef::Contact(id) => {
                    if !contacts.contains_key(id) {
                        contacts.insert(*id, buckets.get_decoded(HIST_CONTACTS, *id)?);
                    }
                    let filed = contacts.entry(*id).or_default();
                    // Indexing is idempotent: a catch-up after a crash may meet a change that
                    // the buckets already hold.
                    filed.retain(|f| f.entry.hash != entry.hash);
                    filed.push(Filed {
                        time: c.info.time.max(0) as u64,
                        max_op: c.info.max_op,
                        entry,
                    });
                }
                RecordRef::Group(id) => {
                    let key = format!("{}{order}", group_prefix(*id)).into_bytes();
                    out.push(sealed(key, &entry)?);
                }
            }
        }
    }
    for (id, mut filed) in contacts {
        filed.sort_by_key(Filed::order);
        buckets.set(HIST_CONTACTS, id, Some(codec::plain(&filed)?))?;
    }
    let mut heads = heads.to_vec();
    heads.sort();
    let encoded = codec::encode_heads(&heads);
    out.push((HIST_HEADS.to_vec(), chunk::seal(HIST_HEADS, &encoded)));
    Ok(out)
}

fn entry(c: &AttributedChange, fields: Vec<String>) -> HistoryEntry {
    HistoryEntry {
        hash: c.info.hash.0,
        time: c.info.time,
        device: c.info.device,
        message: c.info.message.clone(),
        fields,
        bulk: c.bulk,
    }
}

fn sealed(key: Vec<u8>, entry: &HistoryEntry) -> Result<IndexWrite, StoreError> {
    let sealed = codec::encode(&key, entry)?;
    Ok((key, sealed))
}

/// Adds to a commit's batch the index entries of the changes after `saved`, if the index
/// covered exactly `saved` (otherwise it is stale and `Store::index_history` catches up); the
/// bucket files the batch replaces go to `replaced`.
pub(crate) fn update(
    tree: &sled::Tree,
    path: &Path,
    batch: &mut sled::Batch,
    vault: &mut Vault,
    saved: &[ChangeHash],
    touched: &Touched,
    replaced: &mut Replaced,
) -> Result<(), StoreError> {
    if indexed_heads(tree).as_deref() != Some(saved) {
        return Ok(());
    }
    let changes = vault.attribute_changes(saved, Some(touched));
    add(tree, path, batch, &changes, &vault.heads(), replaced)
}

/// Adds to a commit's batch the index entries of `changes`, which bring the document from the
/// heads the index covers to `heads` (the caller checked `indexed_heads`).
pub(crate) fn add(
    tree: &sled::Tree,
    path: &Path,
    batch: &mut sled::Batch,
    changes: &[AttributedChange],
    heads: &[ChangeHash],
    replaced: &mut Replaced,
) -> Result<(), StoreError> {
    let mut buckets = Buckets::new(tree, path);
    for (k, v) in writes(changes, heads, &mut buckets)? {
        batch.insert(k, v);
    }
    replaced.extend(buckets.write(batch)?);
    Ok(())
}

/// Whether a vault this size is indexed when it is first stored.
pub(crate) fn index_on_create(vault: &Vault) -> bool {
    vault.doc().stats().num_ops <= INDEX_ON_CREATE_MAX_OPS
}
