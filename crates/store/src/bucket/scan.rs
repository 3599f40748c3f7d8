//! Scans of a whole family of buckets: `for_each` streams them in order to one consumer,
//! `map_each` maps them on several threads.

use super::{entries, threads, Reader};
use crate::codec::damaged;
use crate::error::StoreError;
use rapport_model::ContactId;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Calls `f` with the key and entries of every bucket of `family`, in id order.
///
/// The buckets are read, checked and decompressed on a second thread, one or two ahead of `f`:
/// a cold `search` spent a quarter of its time in zstd and most of the rest in `f`'s matching
/// and decoding, so on two cores the two overlap. The buffers go back to the reader once `f`
/// is done with them: a fresh one per bucket (each above glibc's mmap threshold) cost a page
/// fault per 4 KiB and made a search for a rare word slower than reading on one thread.
pub(crate) fn for_each(
    tree: &sled::Tree,
    store: &Path,
    family: &str,
    mut f: impl FnMut(&[u8], Vec<(ContactId, &[u8])>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    /// Buckets read ahead of `f`: enough to keep the reader busy while `f` works on one.
    const AHEAD: usize = 2;
    type Read = Result<(sled::IVec, Vec<u8>), StoreError>;
    let mut reader = Reader::new(store);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Read>(AHEAD);
        let (give_back, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || {
            for item in tree.scan_prefix(family.as_bytes()) {
                let mut plain = returned.try_recv().unwrap_or_default();
                let read = item
                    .map_err(|e| StoreError::from_sled(store, "read", e))
                    .and_then(|(k, v)| reader.read_into(&k, &v, &mut plain).map(|()| (k, plain)));
                let failed = read.is_err();
                // A closed channel means `f` stopped (it failed): nothing more to read.
                if tx.send(read).is_err() || failed {
                    return;
                }
            }
        });
        // Returning early drops `rx`, which ends the reader at its next send.
        for read in rx {
            let (k, plain) = read?;
            let entries = entries(&plain).ok_or_else(|| damaged(store, &k))?;
            f(&k, entries)?;
            // The reader may have finished already; then the buffer is simply dropped.
            let _ = give_back.send(plain);
        }
        Ok(())
    })
}

/// `g` applied to the key and entries of every bucket of `family`, in id order, on up to four
/// threads at once (this one among them), each reading, checking, decompressing and mapping
/// whole buckets, taking the next as it finishes one.
///
/// Why, when `for_each` already reads on a second thread: at W30 a cold `search` waited 105 of
/// the 115 ms of its timeline scan for that one reader (76 MB to check and decompress), and a
/// cold `list` decoded its 30k contacts on one thread while the reader idled. What `g` returns
/// is held until the scan ends, so it suits a mapping that keeps a part of each bucket (the
/// decoded contacts, a search's matches); a consumer of everything, one bucket at a time,
/// keeps `for_each`'s memory.
///
/// A failure stops the workers at their next bucket; of the failures seen, the one in the
/// first bucket is returned, as a scan in order would have met it.
pub(crate) fn map_each<T: Send>(
    tree: &sled::Tree,
    store: &Path,
    family: &str,
    g: impl Fn(&[u8], Vec<(ContactId, &[u8])>) -> Result<T, StoreError> + Sync,
) -> Result<Vec<T>, StoreError> {
    // The references are a few dozen bytes per bucket: read them all first, so that workers
    // share no sled iterator.
    let refs = tree
        .scan_prefix(family.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::from_sled(store, "read", e))?;
    let threads = threads().min(refs.len()).max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || -> Worked<T> {
        let mut done = Vec::new();
        let mut reader = Reader::new(store);
        // One buffer per worker, reused: see `for_each` on fresh buffers' page faults.
        let mut plain = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((key, sealed)) = refs.get(i) else {
                break;
            };
            let mapped = reader.read_into(key, sealed, &mut plain).and_then(|()| {
                let entries = entries(&plain).ok_or_else(|| damaged(store, key))?;
                g(key, entries)
            });
            match mapped {
                Ok(t) => done.push((i, t)),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    return (done, Some((i, e)));
                }
            }
        }
        (done, None)
    };
    let worked: Vec<Worked<T>> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut worked = vec![work()];
        for other in others {
            // A panic in `g` is a bug: it goes on as one, as it would have on this thread.
            worked.push(
                other
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        worked
    });
    let mut results = Vec::with_capacity(refs.len());
    let mut first_failure: Option<(usize, StoreError)> = None;
    for (done, failure) in worked {
        results.extend(done);
        if let Some((i, e)) = failure {
            if first_failure.as_ref().is_none_or(|(j, _)| i < *j) {
                first_failure = Some((i, e));
            }
        }
    }
    if let Some((_, e)) = first_failure {
        return Err(e);
    }
    results.sort_unstable_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, t)| t).collect())
}

/// One worker's mapped buckets (by position) and the failure that stopped it, if any.
type Worked<T> = (Vec<(usize, T)>, Option<(usize, StoreError)>);

#[cfg(test)]
mod tests {
    use super::super::{plain, write_file, FileRef};
    use super::*;

    /// `n` buckets of family `fam`, bucket `i` holding ids `i * 10` and `i * 10 + 1`.
    fn buckets(n: u64) -> (tempfile::TempDir, sled::Db, Vec<FileRef>) {
        let (dir, db) = super::super::tests::tree();
        let mut files = Vec::new();
        for i in 0..n {
            let values = [format!("value {}", i * 10), format!("value {}", i * 10 + 1)];
            let entries = (0..2).map(|j| {
                (
                    ContactId::from_u64(i * 10 + j),
                    values[j as usize].as_bytes(),
                )
            });
            let r = write_file(dir.path(), &plain(entries)).unwrap();
            let key = format!("fam{i:02x}");
            db.insert(key.as_bytes(), r.seal(key.as_bytes())).unwrap();
            files.push(r);
        }
        (dir, db, files)
    }

    fn ids_in_order(db: &sled::Db, store: &Path) -> Result<Vec<(String, u64, String)>, StoreError> {
        let parts = map_each(db, store, "fam", |k, entries| {
            Ok(entries
                .into_iter()
                .map(|(id, b)| {
                    let key = String::from_utf8(k.to_vec()).unwrap();
                    (key, id.as_u64(), String::from_utf8(b.to_vec()).unwrap())
                })
                .collect::<Vec<_>>())
        })?;
        Ok(parts.into_iter().flatten().collect())
    }

    #[test]
    fn map_each_returns_every_bucket_in_order_as_for_each_reads_them() {
        for n in [0, 1, 3, 40] {
            let (dir, db, _) = buckets(n);
            let mapped = ids_in_order(&db, dir.path()).unwrap();
            let mut read = Vec::new();
            for_each(&db, dir.path(), "fam", |k, entries| {
                for (id, b) in entries {
                    let key = String::from_utf8(k.to_vec()).unwrap();
                    read.push((key, id.as_u64(), String::from_utf8(b.to_vec()).unwrap()));
                }
                Ok(())
            })
            .unwrap();
            assert_eq!(mapped.len() as u64, 2 * n);
            assert_eq!(mapped, read, "{n} buckets");
            assert!(mapped.windows(2).all(|w| w[0].1 < w[1].1));
        }
    }

    #[test]
    fn map_each_names_the_first_damaged_bucket_and_a_failing_map() {
        let (dir, db, files) = buckets(40);
        for i in [7, 31] {
            std::fs::write(files[i].path(dir.path()), b"not a bucket").unwrap();
        }
        // Whichever worker meets its damage first, the error names the first bucket in order.
        for _ in 0..20 {
            match ids_in_order(&db, dir.path()) {
                Err(StoreError::ViewDamaged { key, .. }) => assert_eq!(key, "fam07"),
                other => panic!("expected damage at fam07, got {other:?}"),
            }
        }
        let (dir, db, _) = buckets(40);
        let failed = map_each(&db, dir.path(), "fam", |k, _| {
            if k == b"fam09" || k == b"fam20" {
                Err(StoreError::Encode(String::from_utf8(k.to_vec()).unwrap()))
            } else {
                Ok(())
            }
        });
        assert!(matches!(failed, Err(StoreError::Encode(k)) if k == "fam09"));
    }
}
