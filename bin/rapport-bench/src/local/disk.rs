//! Bytes on disk: every file under a folder, with the largest ones named.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Usage {
    pub total: u64,
    /// Bytes of the blocks the files occupy (what `du` counts; small files round up).
    pub allocated: u64,
    /// (path relative to the folder, bytes), largest first.
    pub files: Vec<(String, u64)>,
}

impl Usage {
    /// Bytes of the files whose relative path starts with `prefix`.
    pub fn under(&self, prefix: &str) -> u64 {
        self.files
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// How many files' relative paths start with `prefix`.
    pub fn count_under(&self, prefix: &str) -> usize {
        self.files
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .count()
    }

    /// "sled/db 5.6 MiB, sled/blobs/12 5.3 MiB, ..." for the files over 1% of the total.
    pub fn breakdown(&self) -> String {
        let shown: Vec<String> = self
            .files
            .iter()
            .filter(|(_, n)| *n * 100 >= self.total)
            .map(|(p, n)| format!("`{p}` {}", crate::table::bytes(*n)))
            .collect();
        let rest = self.files.len() - shown.len();
        if rest > 0 {
            format!("{}, and {rest} smaller files", shown.join(", "))
        } else {
            shown.join(", ")
        }
    }
}

pub fn usage(dir: &Path) -> Usage {
    let mut u = Usage::default();
    walk(dir, dir, &mut u);
    u.files
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    u
}

fn walk(root: &Path, dir: &Path, u: &mut Usage) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(root, &path, u),
            Ok(_) => {
                let meta = e.metadata().ok();
                let n = meta.as_ref().map_or(0, std::fs::Metadata::len);
                // st_blocks is in 512-byte units whatever the file system's block size.
                u.allocated += meta.map_or(0, |m| m.blocks() * 512);
                let rel = path.strip_prefix(root).unwrap_or(&path);
                u.total += n;
                u.files.push((rel.display().to_string(), n));
            }
            Err(_) => {}
        }
    }
}

/// Live bytes in the store's database, by key family: what the files would hold with no
/// write amplification. Opens the store itself, so it must be closed; call it last.
pub fn live(store_dir: &Path) -> anyhow::Result<Vec<(String, u64, u64)>> {
    let store = rapport_store::Store::open(store_dir)?;
    let live = store.live_bytes_by_family()?;
    store.close()?;
    Ok(live)
}
