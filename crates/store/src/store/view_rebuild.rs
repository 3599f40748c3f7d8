//! Whether the read view reflects the stored document, and rewriting it whole when it does not
//! (after a crash mid-rebuild, a view format change, or damage).

use super::Store;
use crate::bucket;
use crate::chunk;
use crate::codec;
use crate::error::StoreError;
use crate::keys;
use crate::view_write::{self, ViewOp, VIEW_FORMAT};
use rapport_model::automerge::ChangeHash;
use rapport_model::Vault;

impl Store {
    /// Whether the read view reflects the stored document. It may not after a crash between
    /// versions, a view format change, or damage; then `rebuild_view` fixes it.
    pub fn view_is_current(&self) -> Result<bool, StoreError> {
        let format = self.get_u32(keys::VIEW_FORMAT).unwrap_or(None);
        let view_heads = self.get_checked(keys::VIEW_HEADS).unwrap_or(None);
        let saved = self.get_checked(keys::HEADS)?;
        Ok(format == Some(VIEW_FORMAT) && view_heads.is_some() && view_heads == saved)
    }

    /// Rewrites the read view from the document.
    pub fn rebuild_view(&self, vault: &mut Vault) -> Result<(), StoreError> {
        let mut heads = vault.heads();
        heads.sort();
        let ops = view_write::rebuild(&self.db, &self.path, vault)?;
        self.write_view(ops, &heads)?;
        // The files of the view this one replaced.
        bucket::remove_unreferenced(&self.db, &self.path)
    }

    /// Writes a rebuilt view in bounded batches, marked stale until its heads are written last:
    /// a crash part-way leaves a view that the next command rebuilds, never a wrong one.
    pub(super) fn write_view(
        &self,
        ops: Vec<ViewOp>,
        heads: &[ChangeHash],
    ) -> Result<(), StoreError> {
        const CHUNK: usize = 4_096;
        self.db
            .remove(keys::VIEW_HEADS)
            .map_err(|e| self.write_error(e))?;
        for part in ops.chunks(CHUNK) {
            let mut batch = sled::Batch::default();
            for (key, value) in part {
                match value {
                    Some(v) => batch.insert(key.as_slice(), v.as_slice()),
                    None => batch.remove(key.as_slice()),
                }
            }
            self.apply(batch)?;
        }
        self.insert_raw(
            keys::VIEW_HEADS,
            &chunk::seal(keys::VIEW_HEADS, &codec::encode_heads(heads)),
        )?;
        self.log_view_change(None);
        self.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{add, files_in, keys_under, new_store};
    use rapport_model::ContactPatch;

    /// Every view key with its value, and the names of the bucket files.
    type ViewContents = (Vec<(Vec<u8>, Vec<u8>)>, Vec<String>);

    fn snapshot_of_view(store: &Store) -> ViewContents {
        let values = store
            .db()
            .scan_prefix(keys::VIEW_PREFIX)
            .map(|kv| {
                let (k, v) = kv.unwrap();
                (k.to_vec(), v.to_vec())
            })
            .collect();
        (values, files_in(store, "buckets"))
    }

    #[test]
    fn a_rebuilt_view_is_the_view_that_commits_kept_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        for n in 1..=4 {
            add(&store, &mut vault, n);
        }
        let patch = ContactPatch {
            name: Some("Renamed".into()),
            ..Default::default()
        };
        let id = rapport_model::ContactId::from_u64(2);
        vault.edit_contact(id, &patch, 2_000_000_000_000).unwrap();
        let touched = vault.take_touched();
        store.commit(&mut vault, &touched).unwrap();
        let incremental = snapshot_of_view(&store);

        store.rebuild_view(&mut vault).unwrap();
        assert!(store.view_is_current().unwrap());
        assert_eq!(snapshot_of_view(&store), incremental);
    }

    #[test]
    fn a_rebuild_replaces_an_older_format_and_removes_what_no_key_refers_to() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        // An older view: another format number and a key this format does not write.
        store
            .insert(keys::VIEW_FORMAT, &(VIEW_FORMAT - 1).to_le_bytes())
            .unwrap();
        let stale_key = keys::view(keys::VIEW_GROUP, "left-by-an-older-format");
        store.insert(&stale_key, b"old").unwrap();
        // A bucket file no key refers to, as a crash before its batch leaves.
        bucket::write_file(store.path(), b"stray").unwrap();
        let files = files_in(&store, "buckets").len();
        assert!(!store.view_is_current().unwrap());

        store.rebuild_view(&mut vault).unwrap();
        assert!(store.view_is_current().unwrap());
        assert!(!keys_under(&store, keys::VIEW_GROUP.as_bytes())
            .iter()
            .any(|k| k.ends_with("left-by-an-older-format")));
        assert_eq!(files_in(&store, "buckets").len(), files - 1);
        assert_eq!(store.view().contacts().unwrap().len(), 1);
    }

    #[test]
    fn a_format_8_view_with_its_relate_index_in_sled_values_is_rebuilt_into_files() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        // Format 8 kept each relate bucket as a sealed zstd frame in sled, in 128 buckets:
        // neither is a file reference, and 0x7f is past the 32 buckets of format 9.
        store
            .insert(keys::VIEW_FORMAT, &8u32.to_le_bytes())
            .unwrap();
        for b in [0u8, 0x7f] {
            for family in [keys::VIEW_RELATE, keys::VIEW_RELATE_GRAPH] {
                store
                    .insert(&bucket::key(family, b), b"an old zstd frame")
                    .unwrap();
            }
        }
        assert!(!store.view_is_current().unwrap());
        assert!(matches!(
            store.view().relate_book(),
            Err(StoreError::ViewDamaged { .. })
        ));

        store.rebuild_view(&mut vault).unwrap();
        assert!(store.view_is_current().unwrap());
        let book = store.view().relate_book().unwrap();
        assert_eq!(book.contacts.len(), 1);
        let relate = keys_under(&store, keys::VIEW_RELATE.as_bytes());
        assert_eq!(relate.len(), 1, "{relate:?}");
        assert!(keys_under(&store, keys::VIEW_RELATE_GRAPH.as_bytes()).is_empty());
    }

    #[test]
    fn a_view_behind_the_document_is_not_current() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        assert!(store.view_is_current().unwrap());
        let old_heads = store.get_checked(keys::VIEW_HEADS).unwrap().unwrap();
        add(&store, &mut vault, 2);
        // The view as if it had stayed at the first commit.
        store.insert(keys::VIEW_HEADS, &old_heads).unwrap();
        assert!(!store.view_is_current().unwrap());
        store.rebuild_view(&mut vault).unwrap();
        assert!(store.view_is_current().unwrap());
        assert_eq!(store.view().contacts().unwrap().len(), 2);
    }
}
