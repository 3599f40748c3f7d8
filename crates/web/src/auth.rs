//! Sign-in secrets. The app can read, edit and export the whole network, so a loopback bind is
//! not enough: any local program, and any web page through DNS rebinding or a cross-site form,
//! can reach 127.0.0.1. Like Jupyter, the server keeps a 256-bit token in an owner-only file
//! in the data folder; a browser proves it knows the token once and gets a cookie.
//!
//! `rapport ui` never puts the token in argv: it writes a one-time code (a file in
//! `ui-once/`, owner-only) and opens `/signin?once=CODE`; the server deletes the file when it
//! is used, and refuses codes older than `ONCE_TTL`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A one-time sign-in code is good for this long after `rapport ui` wrote it.
pub const ONCE_TTL: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("could not read or create the web app's sign-in token {path}: {source}; check the data folder's permissions")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the web app's sign-in token {0} is damaged: delete it and restart `rapport serve` to make a new one")]
    Damaged(PathBuf),
}

/// The sign-in secret and what is derived from it.
#[derive(Clone)]
pub struct Secrets {
    token: [u8; 32],
    once_dir: PathBuf,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("Secrets")
            .field("once_dir", &self.once_dir)
            .finish_non_exhaustive()
    }
}

pub fn token_path(home: &Path) -> PathBuf {
    home.join("ui-token")
}

pub fn once_dir(home: &Path) -> PathBuf {
    home.join("ui-once")
}

impl Secrets {
    /// Reads the home's token, creating it (owner-only) if there is none.
    pub fn load_or_create(home: &Path) -> Result<Secrets, TokenError> {
        let path = token_path(home);
        let io = |source| TokenError::Io {
            path: path.clone(),
            source,
        };
        let token = match std::fs::read_to_string(&path) {
            Ok(text) => {
                decode_token(text.trim()).ok_or_else(|| TokenError::Damaged(path.clone()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let token: [u8; 32] = rand::random();
                write_owner_only(&path, encode(&token).as_bytes()).map_err(io)?;
                token
            }
            Err(e) => return Err(io(e)),
        };
        Ok(Secrets {
            token,
            once_dir: once_dir(home),
        })
    }

    /// For tests: a given token, one-time codes in `once_dir`.
    pub fn from_token(token: [u8; 32], once_dir: PathBuf) -> Secrets {
        Secrets { token, once_dir }
    }

    pub fn token_text(&self) -> String {
        encode(&self.token)
    }

    /// Does `typed` (hex) equal the token? Compared in constant time.
    pub fn token_matches(&self, typed: &str) -> bool {
        match decode_token(typed.trim()) {
            Some(t) => constant_eq(&t, &self.token),
            None => false,
        }
    }

    /// The cookie's value: derived, so the token itself never travels after sign-in.
    pub fn cookie_value(&self) -> String {
        encode(blake3::keyed_hash(&self.token, b"rapport web cookie v1").as_bytes())
    }

    pub fn cookie_matches(&self, value: &str) -> bool {
        constant_eq(value.as_bytes(), self.cookie_value().as_bytes())
    }

    /// The CSRF token put in every form and sent by the page's scripts.
    pub fn csrf(&self) -> String {
        encode(blake3::keyed_hash(&self.token, b"rapport web csrf v1").as_bytes())
    }

    pub fn csrf_matches(&self, value: &str) -> bool {
        constant_eq(value.as_bytes(), self.csrf().as_bytes())
    }

    /// Uses a one-time code: true if its file exists and is fresh. The file is removed either
    /// way, so a code works once.
    pub fn take_once(&self, code: &str) -> bool {
        // A code is 64 hex digits: anything else could name another file.
        if code.len() != 64 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let path = self.once_dir.join(code);
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age <= ONCE_TTL);
        // Only the one who removes it signs in: two racing uses cannot both succeed.
        std::fs::remove_file(&path).is_ok() && fresh
    }
}

/// Writes a one-time sign-in code for `rapport ui` and returns it.
pub fn new_once_code(home: &Path) -> Result<String, TokenError> {
    let dir = once_dir(home);
    let io = |source| TokenError::Io {
        path: dir.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    set_mode(&dir, 0o700).map_err(io)?;
    // Old unused codes are useless: clear them so the folder stays small.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let stale = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_none_or(|age| age > ONCE_TTL);
            if stale {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let code = encode(&rand::random::<[u8; 32]>());
    write_owner_only(&dir.join(&code), b"").map_err(io)?;
    Ok(code)
}

/// Creates `path` readable by its owner only (0600 from the start: never briefly wider).
pub fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    set_mode(path, 0o600)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

fn encode(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn decode_token(text: &str) -> Option<[u8; 32]> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .ok()?;
    bytes.try_into().ok()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_is_owner_only_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = Secrets::load_or_create(dir.path()).unwrap();
        let b = Secrets::load_or_create(dir.path()).unwrap();
        assert_eq!(a.token_text(), b.token_text());
        assert_eq!(a.token_text().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(token_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(a.token_matches(&b.token_text()));
        assert!(!a.token_matches(&"0".repeat(64)));
        assert!(!a.token_matches("short"));
    }

    #[test]
    fn once_code_works_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::load_or_create(dir.path()).unwrap();
        let code = new_once_code(dir.path()).unwrap();
        assert!(s.take_once(&code));
        assert!(!s.take_once(&code));
        assert!(!s.take_once("../ui-token"));
    }
}
