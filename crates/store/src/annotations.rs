//! Two more parts of the read view, kept beside the records they describe so that `conflicts`
//! and `show` never load Automerge:
//! - `view/x/<c|g><id>`: the record's conflicts (fields with several concurrent values), only
//!   for records that have some, so listing every conflict of a 10k-contact vault reads a
//!   handful of keys instead of asking Automerge about every key of every contact;
//! - `view/pb/<bucket>`: who last set each key of each contact, when, and with which operation
//!   (`ContactOrigins`: the operation ids are what a one-shot edit needs to write without the
//!   document), bucketed by contact like the contacts themselves (see `bucket`).
//!
//! Both are refreshed for the touched records in the same batch as the change, like the rest
//! of the view, and rebuilt with it (by `view_write`); `ReadView` reads them.

use crate::bucket::{self, Buckets};
use crate::codec::{encode, plain};
use crate::error::StoreError;
use crate::keys;
use rapport_model::{ContactId, ContactOrigins, GroupId, RecordRef, Touched, Vault};
use std::collections::BTreeMap;
use std::path::Path;

fn conflict_key(record: RecordRef) -> Vec<u8> {
    match record {
        RecordRef::Contact(id) => keys::view(keys::VIEW_CONFLICT, format!("c{id}")),
        RecordRef::Group(id) => keys::view(keys::VIEW_CONFLICT, format!("g{id}")),
    }
}

fn model(path: &Path) -> impl Fn(rapport_model::ReadError) -> StoreError + '_ {
    move |e| StoreError::corrupt(path, e.to_string())
}

/// Adds to `batch` the conflicts and provenance of the records in `touched`.
pub(crate) fn update(
    path: &Path,
    batch: &mut sled::Batch,
    buckets: &mut Buckets<'_>,
    vault: &mut Vault,
    touched: &Touched,
) -> Result<(), StoreError> {
    let records = touched
        .contacts
        .iter()
        .map(|c| RecordRef::Contact(*c))
        .chain(touched.groups.iter().map(|g| RecordRef::Group(*g)));
    for record in records {
        let key = conflict_key(record);
        let conflicts = vault.record_conflicts(record).map_err(model(path))?;
        if conflicts.is_empty() {
            batch.remove(key);
        } else {
            batch.insert(key.clone(), encode(&key, &conflicts)?);
        }
    }
    for id in &touched.contacts {
        let origins = vault.contact_origins(*id).map_err(model(path))?;
        let value = origins.map(|o| plain(&o)).transpose()?;
        buckets.set(keys::VIEW_PROVENANCE, *id, value)?;
    }
    Ok(())
}

/// One view key and its sealed value.
type Entry = (Vec<u8>, Vec<u8>);

/// Provenance entries by bucket, then contact (see `bucket`).
pub(crate) type ProvenanceBuckets = BTreeMap<u8, BTreeMap<ContactId, Vec<u8>>>;

/// The annotation entries of a complete view of `vault`, whose contacts' origins are `all`
/// (`Vault::all_origins`) and whose groups are `groups`: the conflict entries, and the
/// provenance by bucket.
pub(crate) fn rebuild(
    path: &Path,
    vault: &mut Vault,
    all: Vec<(ContactId, ContactOrigins)>,
    groups: &[GroupId],
) -> Result<(Vec<Entry>, ProvenanceBuckets), StoreError> {
    // Only a contact with a key that holds concurrent values can have a conflict, and the
    // origins already say which: a second scan of every contact's keys was a fifth of a W30
    // view rebuild. Groups are few.
    let conflicted = all
        .iter()
        .filter(|(_, o)| o.ops.iter().any(|&(_, conflict)| conflict))
        .map(|(id, _)| RecordRef::Contact(*id));
    let records: Vec<RecordRef> = conflicted
        .chain(groups.iter().map(|g| RecordRef::Group(*g)))
        .collect();
    let mut out = Vec::new();
    for record in records {
        let conflicts = vault.record_conflicts(record).map_err(model(path))?;
        if !conflicts.is_empty() {
            let key = conflict_key(record);
            out.push((key.clone(), encode(&key, &conflicts)?));
        }
    }
    let mut provenance = ProvenanceBuckets::new();
    for (id, origins) in all {
        let entries = provenance
            .entry(bucket::bucket_of(keys::VIEW_PROVENANCE, id))
            .or_default();
        entries.insert(id, plain(&origins)?);
    }
    Ok((out, provenance))
}
