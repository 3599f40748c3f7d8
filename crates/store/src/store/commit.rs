//! Committing: a vault's new changes, the read view's and the history index's updates for the
//! records they touched, in one atomic sled batch, made durable (flush, fsync, `acknowledged`)
//! before the call returns. Every file the batch refers to is durable before it; the files it
//! replaces are removed after it.

use super::Store;
use crate::bucket::Replaced;
use crate::chunk;
use crate::codec;
use crate::error::StoreError;
use crate::keys;
use crate::snapshot;
use crate::view_write::{self, Updated};
use rapport_model::automerge::ChangeHash;
use rapport_model::{Touched, Vault};

/// What a commit wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitReport {
    /// Bytes of Automerge changes appended (0 if the document did not change); for a commit
    /// that compacted, the bytes of the document it saved (before zstd; for a vault created
    /// from a peer's zstd frame, that frame's).
    pub change_bytes: usize,
    /// Whether the commit also compacted the document into a new snapshot.
    pub compacted: bool,
}

/// A commit that touched more contacts and interactions than this compacts (see `commit`).
/// Replaying a change costs about 12 MB per record it touched on W1 (36 MB on W30), so this
/// bounds that cost at about 200 MB on W1; the fold costs one save of the document (~0.3 s on
/// W1), paid only by group edits of many members, merges, imports and large syncs.
const FOLD_ABOVE_RECORDS: usize = 16;

/// The document a new vault's snapshot is written from.
enum Snapshot {
    /// `save_nocompress()` output, compressed as it is written.
    Plain(Vec<u8>),
    /// Already a zstd frame of such output.
    Compressed(Vec<u8>),
}

impl Snapshot {
    fn len(&self) -> usize {
        match self {
            Snapshot::Plain(b) | Snapshot::Compressed(b) => b.len(),
        }
    }
}

impl Store {
    /// Stores a vault for the first time (after `init`, or after fetching it from a peer).
    pub fn create_vault(&self, vault: &mut Vault) -> Result<CommitReport, StoreError> {
        self.create_vault_from(vault, None)
    }

    /// `create_vault`, with `compressed` (when given) written as the snapshot as it is: a zstd
    /// frame of a document that loads to exactly `vault`'s heads, as a peer sends a fresh
    /// device (`Event::WholeDocument` of rapport-sync). The caller vouches for that; the
    /// frame is only checked to be zstd.
    pub fn create_vault_from(
        &self,
        vault: &mut Vault,
        compressed: Option<Vec<u8>>,
    ) -> Result<CommitReport, StoreError> {
        let snapshot = match compressed {
            Some(bytes) if snapshot::is_compressed(&bytes) => Snapshot::Compressed(bytes),
            _ => Snapshot::Plain(vault.doc_mut().save_nocompress()),
        };
        let size = snapshot.len() as u64;
        self.ensure_room(size * 2)?;
        let heads = vault.heads();
        let mut batch = sled::Batch::default();
        // The snapshot is compressed and written on a second core while the view is built from
        // the document (as a compacting commit does): a tenth of a clone's time.
        let (written, ops) = std::thread::scope(|scope| {
            let written = scope.spawn(|| match &snapshot {
                Snapshot::Plain(doc) => snapshot::write(&self.path, doc),
                Snapshot::Compressed(frame) => snapshot::write_compressed(&self.path, frame),
            });
            let ops = view_write::rebuild(&self.db, &self.path, vault);
            (written.join(), ops)
        });
        let reference = written
            .map_err(|_| StoreError::Encode("the snapshot could not be compressed".to_owned()))??;
        self.reference_snapshot(&mut batch, reference, &heads);
        batch.remove(keys::VIEW_HEADS);
        vault.take_touched();
        self.write_tip(&mut batch, vault)?;
        // The vault is stored even if its view could not be built (it is rebuilt on first use).
        self.apply_durably(batch)?;
        self.write_view(ops?, &heads)?;
        self.drop_unreferenced_files();
        if crate::history::index_on_create(vault) {
            self.index_history(vault)?;
        }
        Ok(CommitReport {
            change_bytes: size as usize,
            compacted: true,
        })
    }

    /// Persists everything new in `vault` since the last commit, and updates the read view for
    /// the records in `touched`, in one atomic batch; returns once it is on disk.
    pub fn commit(&self, vault: &mut Vault, touched: &Touched) -> Result<CommitReport, StoreError> {
        let saved = self.saved_heads()?;
        let mut heads = vault.heads();
        heads.sort();
        if heads == saved && touched.is_empty() {
            return Ok(CommitReport::default());
        }
        // A commit that touched thousands of records (an import) compacts without encoding
        // its change chunk first: on W1 that chunk took 0.2 s and 90 MiB only to be measured.
        let records = touched.contacts.len() + touched.interactions.len();
        let bulk = records > view_write::REBUILD_ABOVE;
        // A change that touched many records folds into a new snapshot too, so that no later
        // load replays it: Automerge 0.12 keeps a copy of the op set's columns per place a
        // change inserts at until the apply ends, so replaying one change that logged 100
        // interactions on W1 peaked at 1.2 GB (heaptrack), in every command and daemon start
        // until the next compaction.
        let fold = bulk || records > FOLD_ABOVE_RECORDS;
        let bytes = if fold {
            Vec::new()
        } else {
            vault.doc_mut().save_after(&saved)
        };
        let pending = self.pending()?;
        self.ensure_room(bytes.len() as u64 + pending.snapshot_bytes)?;
        let compact = fold || pending.compacts_with(bytes.len() as u64);
        let mut batch = sled::Batch::default();
        let mut saved_bytes = bytes.len();
        let mut replaced = Replaced::default();
        let rebuild = if compact {
            // Folding now costs one save and spares writing (and later deleting) a large
            // chunk: an import of 100k records writes a 30 MB change chunk otherwise.
            let doc = vault.doc_mut().save_nocompress();
            self.ensure_room(doc.len() as u64)?;
            saved_bytes = doc.len();
            self.remove_change_chunks(&mut batch)?;
            // The snapshot is compressed and written on a second core while the view and the
            // history index are brought up to date: on W1's import, 0.3 s of a 1.4 s commit.
            let (written, rebuild) = std::thread::scope(|scope| {
                let written = scope.spawn(|| snapshot::write(&self.path, &doc));
                let rebuild =
                    self.update_indexes(&mut batch, vault, touched, &saved, &mut replaced);
                (written.join(), rebuild)
            });
            let reference = written.map_err(|_| {
                StoreError::Encode("the snapshot could not be compressed".to_owned())
            })??;
            self.reference_snapshot(&mut batch, reference, &heads);
            rebuild?
        } else {
            if !bytes.is_empty() {
                self.append_chunk(&mut batch, &bytes, &heads)?;
            }
            self.update_indexes(&mut batch, vault, touched, &saved, &mut replaced)?
        };
        match &rebuild {
            // The view is rewritten after the change is durable; until then it is marked stale.
            Updated::Rebuild(_) => batch.remove(keys::VIEW_HEADS),
            Updated::Contacts(_) => batch.insert(
                keys::VIEW_HEADS,
                chunk::seal(keys::VIEW_HEADS, &codec::encode_heads(&heads)),
            ),
        }
        self.write_tip(&mut batch, vault)?;
        self.apply_durably(batch)?;
        replaced.remove(&self.path);
        let rebuilt = matches!(rebuild, Updated::Rebuild(_));
        match rebuild {
            Updated::Rebuild(ops) => self.write_view(ops, &heads)?,
            Updated::Contacts(changed) => self.log_view_change(Some(changed)),
        }
        // A new snapshot replaced the old one, or a new view the old view's files.
        if compact || rebuilt {
            self.drop_unreferenced_files();
        }
        Ok(CommitReport {
            change_bytes: saved_bytes,
            compacted: compact,
        })
    }

    /// Adds to `batch` a change chunk holding `bytes`, the counters that follow it, and the
    /// heads it brings the document to.
    pub(super) fn append_chunk(
        &self,
        batch: &mut sled::Batch,
        bytes: &[u8],
        heads: &[ChangeHash],
    ) -> Result<(), StoreError> {
        let (chunks, chunk_bytes) = self.chunk_stats()?;
        let seq = self.get_u64(keys::NEXT_CHUNK)?.unwrap_or(0);
        let key = keys::change(seq);
        batch.insert(key.clone(), chunk::seal(&key, bytes));
        batch.insert(
            keys::NEXT_CHUNK,
            chunk::seal(keys::NEXT_CHUNK, &(seq + 1).to_le_bytes()),
        );
        let stats = codec::encode_stats(chunks + 1, chunk_bytes + bytes.len() as u64);
        batch.insert(keys::CHUNK_STATS, chunk::seal(keys::CHUNK_STATS, &stats));
        batch.insert(
            keys::HEADS,
            chunk::seal(keys::HEADS, &codec::encode_heads(heads)),
        );
        Ok(())
    }

    /// Adds to `batch` the read view's and the history index's updates for `touched` (the
    /// bucket files they replace go to `replaced`), or returns the writes of a whole new view
    /// when it must be rebuilt instead.
    fn update_indexes(
        &self,
        batch: &mut sled::Batch,
        vault: &mut Vault,
        touched: &Touched,
        saved: &[ChangeHash],
        replaced: &mut Replaced,
    ) -> Result<Updated, StoreError> {
        // The view is updated from where it stands, so it must reflect `saved`; a stale one
        // (after a crash mid-rebuild, or a format change) is rebuilt instead, and so is one
        // whose buckets turn out damaged: a damaged cache must never block a write.
        let rebuild = if self.view_is_current()? {
            match view_write::update(&self.db, &self.path, batch, vault, touched, saved, replaced) {
                Ok(rebuild) => rebuild,
                // What `update` already added to the batch is overwritten by the rebuild,
                // which the caller writes after marking the view stale.
                Err(StoreError::ViewDamaged { .. }) => {
                    Updated::Rebuild(view_write::rebuild(&self.db, &self.path, vault)?)
                }
                Err(e) => return Err(e),
            }
        } else {
            Updated::Rebuild(view_write::rebuild(&self.db, &self.path, vault)?)
        };
        match crate::history::update(&self.db, &self.path, batch, vault, saved, touched, replaced) {
            Ok(()) => {}
            // A damaged bucket is found before `update` adds anything to the batch. The index
            // goes stale (no heads), to be dropped and rebuilt by `index_history`.
            Err(StoreError::ViewDamaged { .. }) => batch.remove(keys::HIST_HEADS),
            Err(e) => return Err(e),
        }
        Ok(rebuild)
    }

    /// Applies a commit's batch and makes it durable: sled's flush, an fsync of the database,
    /// then the `acknowledged` file with the heads the batch wrote.
    pub(super) fn apply_durably(&self, batch: sled::Batch) -> Result<(), StoreError> {
        self.apply(batch)?;
        self.sync()?;
        let heads = self.saved_heads()?;
        crate::ack::write(&self.path, &heads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{add, add_contact, keys_under, new_store, open, ME};
    use rapport_model::ContactPatch;

    #[test]
    fn a_commit_appends_one_chunk_with_the_view_and_acknowledges_its_heads() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let id = add(&store, &mut vault, 1);
        assert_eq!(keys_under(&store, keys::CHANGE_PREFIX).len(), 1);
        let mut heads = vault.heads();
        heads.sort();
        assert_eq!(store.heads().unwrap(), heads);
        assert_eq!(crate::ack::read(store.path()).unwrap(), heads);
        // The view moved with the change, in the same batch.
        assert!(store.view_is_current().unwrap());
        let view = store.view().contact(id).unwrap().unwrap();
        assert_eq!(view.contact.name, "Person 1");
        assert_eq!(view.timeline.len(), 1);
        assert!(store.history_is_current().unwrap());
        store.close().unwrap();

        let store = open(dir.path());
        let vault = store.load_vault(ME).unwrap();
        assert_eq!(vault.contacts().unwrap().len(), 1);
    }

    #[test]
    fn a_vault_created_from_a_peer_s_zstd_frame_keeps_that_frame_as_its_snapshot() {
        // What a fresh device was sent (rapport-sync's `whole.rs`): level 1, not the store's 3.
        let src = tempfile::tempdir().unwrap();
        let (_, mut vault) = new_store(src.path());
        for n in 1..=20 {
            add_contact(&mut vault, n);
        }
        let frame = zstd::bulk::compress(&vault.doc_mut().save_nocompress(), 1).unwrap();
        let own = zstd::bulk::compress(&vault.doc_mut().save_nocompress(), snapshot::LEVEL);
        assert_ne!(
            frame,
            own.unwrap(),
            "the test needs a frame the store would not write"
        );

        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut received = vault.fork_as(ME);
        store
            .create_vault_from(&mut received, Some(frame.clone()))
            .unwrap();
        let kept: Vec<Vec<u8>> = crate::store::testing::files_in(&store, "snapshots")
            .iter()
            .map(|name| std::fs::read(store.path().join("snapshots").join(name)).unwrap())
            .collect();
        assert_eq!(kept, vec![frame]);
        store.close().unwrap();
        let store = open(dir.path());
        let mut loaded = store.load_vault(ME).unwrap();
        let (mut a, mut b) = (loaded.heads(), vault.heads());
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert_eq!(loaded.contacts().unwrap().len(), 20);
        assert!(store.view_is_current().unwrap());

        // Bytes that are not a zstd frame are not kept: the document is saved as usual.
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut received = vault.fork_as(ME);
        store
            .create_vault_from(&mut received, Some(b"not zstd".to_vec()))
            .unwrap();
        store.close().unwrap();
        let store = open(dir.path());
        assert_eq!(store.load_vault(ME).unwrap().contacts().unwrap().len(), 20);
    }

    #[test]
    fn a_commit_with_nothing_new_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        let before = store.stats().unwrap();
        let report = store.commit(&mut vault, &Touched::default()).unwrap();
        assert_eq!(report, CommitReport::default());
        assert_eq!(store.stats().unwrap().change_chunks, before.change_chunks);
    }

    #[test]
    fn an_edit_rewrites_the_view_of_the_touched_contact_only() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let (a, b) = (add(&store, &mut vault, 1), add(&store, &mut vault, 2));
        let patch = ContactPatch {
            name: Some("Renamed".into()),
            ..Default::default()
        };
        vault.edit_contact(a, &patch, 2_000_000_000_000).unwrap();
        let touched = vault.take_touched();
        assert_eq!(touched.contacts.len(), 1);
        let report = store.commit(&mut vault, &touched).unwrap();
        assert!(report.change_bytes > 0 && !report.compacted, "{report:?}");
        let view = store.view();
        assert_eq!(view.contact(a).unwrap().unwrap().contact.name, "Renamed");
        assert_eq!(view.contact(b).unwrap().unwrap().contact.name, "Person 2");
        assert!(store.view_is_current().unwrap());
    }

    #[test]
    fn the_view_log_names_the_contacts_a_commit_changed_and_a_rebuild_as_everything() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let (a, b) = (add(&store, &mut vault, 1), add(&store, &mut vault, 2));
        let mark = store.view_mark();
        // A note with both touches both timelines, though neither card.
        vault
            .add_interaction(
                rapport_model::InteractionId::from_u64(9),
                &rapport_model::NewInteraction {
                    contacts: vec![a, b],
                    at: 2_000_000_000_000,
                    kind: rapport_model::InteractionKind::Meeting,
                    text: "lunch".into(),
                    place: None,
                },
                2_000_000_000_000,
            )
            .unwrap();
        let touched = vault.take_touched();
        assert!(touched.contacts.is_empty());
        store.commit(&mut vault, &touched).unwrap();
        assert_eq!(
            store.view_changes_since(mark),
            Some([a, b].into_iter().collect())
        );
        let mark = store.view_mark();
        store.rebuild_view(&mut vault).unwrap();
        assert_eq!(store.view_changes_since(mark), None);
    }

    #[test]
    fn a_commit_over_a_stale_view_rebuilds_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        // A view left stale, as a crash in the middle of a rebuild leaves it.
        store.db().remove(keys::VIEW_HEADS).unwrap();
        assert!(!store.view_is_current().unwrap());
        add_contact(&mut vault, 2);
        let touched = vault.take_touched();
        store.commit(&mut vault, &touched).unwrap();
        assert!(store.view_is_current().unwrap());
        assert_eq!(store.view().contacts().unwrap().len(), 2);
    }
}
