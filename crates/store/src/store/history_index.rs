//! Catching the per-record history index (see `history`) up with the document, or dropping it
//! after damage. Commits keep it current while it is complete; these fix it when it is not.

use super::Store;
use crate::bucket;
use crate::error::StoreError;
use crate::keys;
use rapport_model::automerge::ChangeHash;
use rapport_model::Vault;

impl Store {
    /// Whether the per-record history index covers every stored change. It may not after the
    /// vault was fetched from a peer or written by an older rapport; `index_history` fixes it.
    pub fn history_is_current(&self) -> Result<bool, StoreError> {
        Ok(crate::history::indexed_heads(&self.db).as_deref() == Some(&self.saved_heads()?[..]))
    }

    /// Brings the per-record history index up to `vault` (which must be the stored vault):
    /// attributes every change the index does not cover yet, in bounded batches, then records
    /// the heads it covers. Costs one decode of those changes; commits keep it current after.
    /// An index with no heads (never built, or marked stale after damage) or with a damaged
    /// bucket is dropped and built afresh.
    pub fn index_history(&self, vault: &mut Vault) -> Result<(), StoreError> {
        let Some(since) = crate::history::indexed_heads(&self.db) else {
            self.drop_history_index()?;
            return self.index_history_since(vault, &[]);
        };
        match self.index_history_since(vault, &since) {
            Err(StoreError::ViewDamaged { .. }) => {
                self.drop_history_index()?;
                self.index_history_since(vault, &[])
            }
            other => other,
        }
    }

    fn index_history_since(
        &self,
        vault: &mut Vault,
        since: &[ChangeHash],
    ) -> Result<(), StoreError> {
        const CHUNK: usize = 4_096;
        let changes = vault.attribute_changes(since, None);
        let heads = vault.heads();
        let mut buckets = bucket::Buckets::new(&self.db, &self.path);
        let writes = crate::history::writes(&changes, &heads, &mut buckets)?;
        // The contacts' buckets first, then the other entries with the heads entry last, so a
        // crash part-way leaves the index stale (caught up again later, which is idempotent),
        // never claiming changes it lacks.
        let mut batch = sled::Batch::default();
        let replaced = buckets.write(&mut batch)?;
        self.apply(batch)?;
        for part in writes.chunks(CHUNK) {
            let mut batch = sled::Batch::default();
            for (k, v) in part {
                batch.insert(k.as_slice(), v.as_slice());
            }
            self.apply(batch)?;
        }
        self.sync()?;
        replaced.remove(&self.path);
        Ok(())
    }

    /// Forgets the per-record history index (after damage to it): `index_history` rebuilds it
    /// from the document. The index only describes the document, so nothing is lost.
    pub fn drop_history_index(&self) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for k in self.db.scan_prefix(keys::HIST_PREFIX).keys() {
            batch.remove(k.map_err(|e| self.read_error(e))?);
        }
        self.apply(batch)?;
        self.sync()?;
        bucket::remove_unreferenced(&self.db, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use crate::keys;
    use crate::store::testing::{add, keys_under, new_store};
    use rapport_model::{ContactId, RecordRef};

    #[test]
    fn a_dropped_index_is_rebuilt_with_the_same_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        add(&store, &mut vault, 2);
        let record = RecordRef::Contact(ContactId::from_u64(2));
        let before = store.view().history(record, None).unwrap();
        let all_before = store.view().vault_history(None).unwrap();
        // Each `add` is two changes (the contact, then a note about them).
        assert_eq!(before.len(), 2);

        store.drop_history_index().unwrap();
        assert!(keys_under(&store, keys::HIST_PREFIX).is_empty());
        assert!(!store.history_is_current().unwrap());
        // A commit while the index is stale leaves it to `index_history`.
        add(&store, &mut vault, 3);
        assert!(!store.history_is_current().unwrap());

        store.index_history(&mut vault).unwrap();
        assert!(store.history_is_current().unwrap());
        assert_eq!(store.view().history(record, None).unwrap(), before);
        assert_eq!(
            store.view().vault_history(None).unwrap().len(),
            all_before.len() + 2
        );
    }
}
