//! Bytes on disk: every file under a folder, with the largest ones named.

use std::path::Path;

#[derive(Debug, Default)]
pub struct Usage {
    pub total: u64,
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
                let n = e.metadata().map(|m| m.len()).unwrap_or(0);
                let rel = path.strip_prefix(root).unwrap_or(&path);
                u.total += n;
                u.files.push((rel.display().to_string(), n));
            }
            Err(_) => {}
        }
    }
}
