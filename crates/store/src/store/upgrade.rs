//! Older store formats, brought to `STORE_FORMAT` when the store is opened. Each step is
//! idempotent (a crash part-way reruns it) and keeps everything that is data; caches (the view,
//! the history index) may be dropped, to be rebuilt from the document.

use super::{Store, STORE_FORMAT};
use crate::error::StoreError;
use crate::keys;

impl Store {
    /// Brings a store of format `found` to `STORE_FORMAT`, or refuses one newer than this
    /// rapport.
    pub(super) fn upgrade(&self, found: u32) -> Result<(), StoreError> {
        match found {
            found if found > STORE_FORMAT => Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
                supported: STORE_FORMAT,
            }),
            1 => {
                self.upgrade_from_1()?;
                self.upgrade_from_2()
            }
            2 => self.upgrade_from_2(),
            _ => Ok(()),
        }
    }

    /// Format 1 to 2. Format-1 snapshots are still read as they are, and the view is rebuilt
    /// on its next use (its format is older); the history index is dropped, to be rebuilt by
    /// `index_history` (its contact entries moved into bucket files).
    fn upgrade_from_1(&self) -> Result<(), StoreError> {
        self.drop_history_index()?;
        self.insert(keys::FORMAT, &2u32.to_le_bytes())?;
        self.sync()
    }

    /// Format 2 to 3. Format 3 adds the device's iroh endpoint key (`meta/endpoint_key`) beside
    /// its identity. The store does not make keys: the application gives an upgraded store one
    /// when it next opens it (`Home::open`), so nothing but the number changes here. A format-2
    /// rapport refuses the upgraded store rather than run without the key.
    fn upgrade_from_2(&self) -> Result<(), StoreError> {
        self.insert(keys::FORMAT, &STORE_FORMAT.to_le_bytes())?;
        self.sync()
    }
}

/// A store of format 1 (plain `save()` snapshots, history entries per contact in sled) opens
/// upgraded, with nothing lost.
#[cfg(test)]
mod tests {
    use crate::snapshot::SnapshotRef;
    use crate::store::testing::{open, ME, T0};
    use crate::{chunk, keys, Store, StoreErrorKind, STORE_FORMAT};
    use rapport_model::{ContactId, ContactPatch, RecordRef, Vault, VaultId};
    use std::path::Path;

    fn add(store: &Store, vault: &mut Vault, n: u64) {
        let patch = ContactPatch {
            name: Some(format!("Person {n}")),
            ..Default::default()
        };
        vault
            .add_contact(ContactId::from_u64(n), &patch, T0 + n as i64)
            .unwrap();
        let touched = vault.take_touched();
        store.commit(vault, &touched).unwrap();
    }

    /// Rewrites a closed store as format 1 left it: the snapshot as a plain `save()` file, the
    /// format number 1, and a history entry under format 1's per-contact key.
    fn downgrade_to_format_1(dir: &Path, saved: &[u8]) {
        let db = sled::Config::new().path(dir.join("sled")).open().unwrap();
        let hash = *blake3::hash(saved).as_bytes();
        let snapshots = dir.join("snapshots");
        for f in std::fs::read_dir(&snapshots).unwrap() {
            std::fs::remove_file(f.unwrap().path()).unwrap();
        }
        let name = format!("{}.automerge", blake3::Hash::from(hash).to_hex());
        std::fs::write(snapshots.join(name), saved).unwrap();
        let reference = SnapshotRef {
            hash,
            len: saved.len() as u64,
        };
        db.insert(
            keys::SNAPSHOT,
            chunk::seal(keys::SNAPSHOT, &reference.encode()),
        )
        .unwrap();
        db.insert(keys::FORMAT, chunk::seal(keys::FORMAT, &1u32.to_le_bytes()))
            .unwrap();
        // Format 1's view was format 4 (LZ4 buckets in sled).
        db.insert(
            keys::VIEW_FORMAT,
            chunk::seal(keys::VIEW_FORMAT, &4u32.to_le_bytes()),
        )
        .unwrap();
        let old_key = format!("{}0000000000000001/00", keys::FORMAT_1_HIST_CONTACT).into_bytes();
        db.insert(old_key.clone(), chunk::seal(&old_key, b"format 1 entry"))
            .unwrap();
        db.flush().unwrap();
    }

    #[test]
    fn a_format_1_store_opens_upgraded_and_keeps_its_vault() {
        let dir = tempfile::tempdir().unwrap();
        let saved = {
            let store = Store::open(dir.path()).unwrap();
            let mut vault = Vault::create(ME, "laptop", VaultId::from_u64(1), T0).unwrap();
            store.create_vault(&mut vault).unwrap();
            add(&store, &mut vault, 1);
            store.compact(&mut vault).unwrap();
            let saved = vault.doc_mut().save();
            store.close().unwrap();
            saved
        };
        downgrade_to_format_1(dir.path(), &saved);

        let store = Store::open(dir.path()).unwrap();
        let format = store.db().get(keys::FORMAT).unwrap().unwrap();
        let format = chunk::open(keys::FORMAT, &format).unwrap();
        assert_eq!(format, STORE_FORMAT.to_le_bytes());
        // The old history index is gone, so it is rebuilt rather than misread.
        assert!(store.db().scan_prefix(keys::HIST_PREFIX).next().is_none());
        assert!(!store.history_is_current().unwrap());
        // The plain snapshot still loads, and the view is rebuilt from it.
        let mut vault = store.load_vault(ME).unwrap();
        assert_eq!(vault.contacts().unwrap().len(), 1);
        assert!(!store.view_is_current().unwrap());
        store.rebuild_view(&mut vault).unwrap();
        store.index_history(&mut vault).unwrap();
        let history = store
            .view()
            .history(RecordRef::Contact(ContactId::from_u64(1)), None)
            .unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(store.view().contacts().unwrap().len(), 1);

        // New writes use the new format; the next compaction replaces the plain snapshot.
        add(&store, &mut vault, 2);
        store.compact(&mut vault).unwrap();
        let files: Vec<String> = std::fs::read_dir(dir.path().join("snapshots"))
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            files.len() == 1 && files[0].ends_with(".automerge.zst"),
            "{files:?}"
        );
        store.close().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.load_vault(ME).unwrap().contacts().unwrap().len(), 2);
    }

    /// A store of format 2 (today's, before the iroh endpoint key) opens as format 3 with its
    /// vault and identity kept and no endpoint key yet; the key it is then given survives a
    /// reopen.
    #[test]
    fn a_format_2_store_opens_upgraded_with_its_identity_and_no_endpoint_key() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let mut vault = Vault::create(ME, "laptop", VaultId::from_u64(1), T0).unwrap();
            store.create_vault(&mut vault).unwrap();
            add(&store, &mut vault, 1);
            store.set_identity(b"the P-256 identity").unwrap();
            store.close().unwrap();
        }
        {
            // What a format-2 rapport left: the number 2, and no endpoint key.
            let db = sled::Config::new()
                .path(dir.path().join("sled"))
                .open()
                .unwrap();
            db.insert(keys::FORMAT, chunk::seal(keys::FORMAT, &2u32.to_le_bytes()))
                .unwrap();
            assert!(db.get(keys::ENDPOINT_KEY).unwrap().is_none());
            db.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.get_u32(keys::FORMAT).unwrap(), Some(STORE_FORMAT));
        assert_eq!(STORE_FORMAT, 3);
        assert_eq!(
            store.identity().unwrap().as_deref(),
            Some(&b"the P-256 identity"[..])
        );
        assert_eq!(store.endpoint_key().unwrap(), None);
        assert_eq!(store.load_vault(ME).unwrap().contacts().unwrap().len(), 1);
        store.set_endpoint_key(&[7; 32]).unwrap();
        store.close().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.endpoint_key().unwrap(), Some(vec![7; 32]));
    }

    #[test]
    fn a_store_from_a_newer_rapport_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .insert(keys::FORMAT, &(STORE_FORMAT + 1).to_le_bytes())
            .unwrap();
        store.close().unwrap();
        let refused = (0..100)
            .find_map(|_| match Store::open(dir.path()) {
                Err(e) if e.kind() == StoreErrorKind::TooNew => Some(e),
                _ => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
            })
            .unwrap();
        assert!(refused.to_string().contains("upgrade rapport"), "{refused}");
        // Still the newer format: refusing wrote nothing.
        let db = (0..100)
            .find_map(|_| {
                let db = sled::Config::new().path(dir.path().join("sled")).open();
                db.ok().or_else(|| {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                })
            })
            .unwrap();
        let format = db.get(keys::FORMAT).unwrap().unwrap();
        let format = chunk::open(keys::FORMAT, &format).unwrap();
        assert_eq!(format, (STORE_FORMAT + 1).to_le_bytes());
    }

    #[test]
    fn an_upgraded_store_is_opened_again_without_a_second_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        store.close().unwrap();
        let store = open(dir.path());
        assert_eq!(store.get_u32(keys::FORMAT).unwrap(), Some(STORE_FORMAT));
    }
}
