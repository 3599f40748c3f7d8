//! The disk: refusing a write up front when it would not fit, and the sizes `status` shows.

use super::Store;
use crate::durable;
use crate::error::StoreError;
use std::path::Path;

/// Kept free beyond what a write needs: sled, the file system and the next command need room.
const RESERVE: u64 = 16 << 20;

/// Sizes, for `rapport status` and the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub snapshot_bytes: u64,
    pub change_chunks: u64,
    pub change_bytes: u64,
    /// Bytes of every file under the store folder.
    pub disk_bytes: u64,
}

impl Store {
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let (change_chunks, change_bytes) = self.chunk_stats()?;
        Ok(StoreStats {
            snapshot_bytes: self.snapshot_len()?,
            change_chunks,
            change_bytes,
            disk_bytes: dir_size(&self.path),
        })
    }

    /// Live bytes in the database by key family (`doc/change`, `view/cb`, `meta`, ...): what
    /// sled's files would hold without write amplification, for the benchmarks. Each entry
    /// is (family, keys, bytes of keys and values), largest first.
    pub fn live_bytes_by_family(&self) -> Result<Vec<(String, u64, u64)>, StoreError> {
        let mut families: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        for item in self.db.iter() {
            let (k, v) = item.map_err(|e| self.read_error(e))?;
            let e = families.entry(family_of(&k)).or_default();
            e.0 += 1;
            e.1 += (k.len() + v.len()) as u64;
        }
        let mut out: Vec<(String, u64, u64)> =
            families.into_iter().map(|(f, (n, b))| (f, n, b)).collect();
        out.sort_by_key(|f| std::cmp::Reverse(f.2));
        Ok(out)
    }

    /// Refuses a write up front when the disk is nearly full. sled 0.34 does not fail cleanly
    /// when the disk fills mid-write: we saw a writer block forever on a full tmpfs. Checking
    /// first turns the common case into a clear "disk is full" before anything is written.
    pub(super) fn ensure_room(&self, bytes: u64) -> Result<(), StoreError> {
        match durable::available_bytes(&self.path) {
            Some(free) if !fits(bytes, free) => Err(StoreError::DiskFull {
                path: self.path.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// Whether a write of `bytes` leaves enough of `free`: four times the bytes (sled writes a
/// value to its log and again to its pages, and keeps old copies until it cleans a segment)
/// plus `RESERVE`.
fn fits(bytes: u64, free: u64) -> bool {
    free >= bytes.saturating_mul(4).saturating_add(RESERVE)
}

/// The family of a key, for `live_bytes_by_family`: two segments for the document and the
/// view (`doc/change`, `view/cb`), the first otherwise.
fn family_of(key: &[u8]) -> String {
    let key = String::from_utf8_lossy(key);
    match key.split('/').collect::<Vec<_>>().as_slice() {
        [a @ "doc", b, ..] | [a @ "view", b, _, ..] => format!("{a}/{b}"),
        [a, ..] => (*a).to_owned(),
        [] => String::new(),
    }
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_fits_only_with_four_times_its_size_and_the_reserve_free() {
        assert!(fits(0, RESERVE));
        assert!(!fits(0, RESERVE - 1));
        assert!(fits(1 << 20, RESERVE + (4 << 20)));
        assert!(!fits(1 << 20, RESERVE + (4 << 20) - 1));
        assert!(!fits(u64::MAX, u64::MAX - 1), "no overflow");
    }

    #[test]
    fn live_bytes_are_grouped_by_key_family() {
        use crate::keys;
        let text = |k: &[u8]| String::from_utf8(k.to_vec()).unwrap();
        let change = text(keys::CHANGE_PREFIX);
        assert_eq!(family_of(&keys::change(3)), change.trim_end_matches('/'));
        assert_eq!(family_of(keys::SNAPSHOT), text(keys::SNAPSHOT));
        let bucket = keys::view(keys::VIEW_CONTACTS, "00");
        assert_eq!(
            family_of(&bucket),
            keys::VIEW_CONTACTS.trim_end_matches('/')
        );
        assert_eq!(family_of(keys::VIEW_HEADS), "view");
        assert_eq!(family_of(keys::FORMAT), "meta");
        let dir = tempfile::tempdir().unwrap();
        let (store, _vault) = crate::store::testing::new_store(dir.path());
        let families = store.live_bytes_by_family().unwrap();
        assert!(
            families.iter().any(|(f, n, _)| f == "meta" && *n >= 4),
            "{families:?}"
        );
        assert!(
            families.windows(2).all(|w| w[0].2 >= w[1].2),
            "largest first"
        );
    }

    #[test]
    fn disk_bytes_count_every_file_under_the_store() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a"), [0; 10]).unwrap();
        std::fs::write(dir.path().join("sub").join("b"), [0; 5]).unwrap();
        assert_eq!(dir_size(dir.path()), 15);
    }
}
