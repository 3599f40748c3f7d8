//! The architecture test, in the spirit of rust-analyzer's `tidy`: rules of ARCHITECTURE.md
//! checked against the sources, so that breaking one fails `cargo test` with the file and the
//! rule instead of waiting for a reviewer.
//!
//! - Confined crates: `sled` only in the store, `quinn`, `iroh` and `rustls` only in the
//!   network crate, `tokio` only in the crates that ARCHITECTURE.md allows (as a dependency in a
//!   `Cargo.toml`, or as a path in a `.rs` file).
//! - No cycle among the top-level modules of a crate.
//! - Every key prefix of the store is defined in `crates/store/src/keys.rs`.
//! - `unsafe_code = "deny"` (the workspace lint) is lifted only where `UNSAFE_ALLOWED` says why.

mod cycles;
mod lex;

use std::fmt;
use std::path::{Path, PathBuf};

/// A crate that only some packages may use.
#[derive(Debug)]
pub struct Confined {
    /// As written in `Cargo.toml`.
    pub package: &'static str,
    /// As written in Rust paths.
    pub lib: &'static str,
    /// Packages (folders relative to the workspace root) that may use it.
    pub allowed: &'static [&'static str],
    /// Why, for the failure message.
    pub why: &'static str,
}

/// The crates confined to some packages. The `tokio` list is the one ARCHITECTURE.md gives.
pub const CONFINED: &[Confined] = &[
    Confined {
        package: "sled",
        lib: "sled",
        // `tests`: the corruption tests damage one stored value precisely, under the store.
        allowed: &["crates/store", "tests"],
        why: "only the store knows sled; others go through `rapport_store::Store`",
    },
    Confined {
        package: "quinn",
        lib: "quinn",
        allowed: &["crates/net"],
        why: "only the network crate knows quinn; it exposes Rapport's own types",
    },
    Confined {
        package: "iroh",
        lib: "iroh",
        allowed: &["crates/net"],
        why: "only the network crate knows iroh (and its quinn fork); it exposes Rapport's own types",
    },
    Confined {
        package: "iroh-relay",
        lib: "iroh_relay",
        allowed: &["crates/net"],
        why: "the loopback test relay is the network crate's (`rapport_net::test_relay`)",
    },
    Confined {
        package: "wtransport",
        lib: "wtransport",
        allowed: &["crates/net"],
        why: "only the network crate knows WebTransport; browsers reach the rest as a `PeerConnection`",
    },
    Confined {
        package: "rustls",
        lib: "rustls",
        allowed: &["crates/net"],
        why: "TLS is the network crate's business",
    },
    Confined {
        package: "rustls-webpki",
        lib: "webpki",
        allowed: &["crates/net"],
        why: "TLS is the network crate's business",
    },
    Confined {
        package: "tokio",
        lib: "tokio",
        allowed: &[
            "crates/net",
            "crates/node",
            "crates/app",
            "crates/web",
            "crates/daemon",
            "bin/rapport",
            "bin/rapport-bench",
            "tests",
        ],
        why: "the model, sync session, store and formats are runtime-free; ARCHITECTURE.md lists the crates that may run async code",
    },
];

/// Packages whose top-level modules must form no cycle. Every package under `crates/` and
/// `bin/` is here or in `CYCLE_CHECK_PENDING`.
pub const CYCLE_CHECKED: &[&str] = &[
    "crates/model",
    "crates/store",
    "crates/identity",
    "crates/workload",
    "crates/sync",
    "crates/net",
    "crates/discovery",
    "crates/formats",
    "crates/web",
    "crates/app",
    "crates/node",
    "crates/daemon",
    "crates/wasm",
    "bin/rapport-bench",
    "bin/rapport",
];

/// Packages with a known module cycle that a refactor in progress removes. Not checked for
/// cycles until they leave this list. Empty since issue 17 layered the binary (`route` over
/// `client` and `cmd`; `cmd` knows neither the daemon's client nor the router).
pub const CYCLE_CHECK_PENDING: &[&str] = &[];

/// The only files that may lift the workspace's `unsafe_code = "deny"`: glibc's allocator
/// calls, which neither std, rustix nor nix wraps. Anything with a safe wrapper uses it (the
/// store's `statvfs` goes through rustix).
pub const UNSAFE_ALLOWED: &[(&str, &str)] = &[
    ("bin/rapport/src/alloc.rs", "mallopt (one malloc arena)"),
    (
        "bin/rapport-bench/src/proc.rs",
        "wait4 (a child's own peak RSS)",
    ),
    (
        "bin/rapport-bench/src/sync/memory.rs",
        "mallinfo2 and malloc_trim",
    ),
];

/// Where the store's key prefixes live, and the sources that may not define any.
const KEYS_FILE: &str = "crates/store/src/keys.rs";
const KEYS_SCOPE: &str = "crates/store/src";

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub file: PathBuf,
    pub line: usize,
    pub rule: &'static str,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: [{}] {}",
            self.file.display(),
            self.line,
            self.rule,
            self.message
        )
    }
}

/// Checks every rule over the workspace at `root`.
pub fn check_workspace(root: &Path) -> std::io::Result<Vec<Violation>> {
    let mut out = Vec::new();
    for package in packages(root)? {
        out.extend(check_confined(root, &package)?);
        out.extend(check_unsafe(root, &package)?);
    }
    for package in CYCLE_CHECKED {
        if root.join(package).join("Cargo.toml").exists() {
            out.extend(check_cycles(root, package)?);
        }
    }
    out.extend(check_key_prefixes(root)?);
    Ok(out)
}

/// Every package of the workspace, as a folder relative to `root`: `crates/*`, `bin/*`, `tests`.
pub fn packages(root: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for group in ["crates", "bin"] {
        let Ok(entries) = std::fs::read_dir(root.join(group)) else {
            continue;
        };
        for e in entries {
            let e = e?;
            if e.path().join("Cargo.toml").exists() {
                out.push(format!("{group}/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    if root.join("tests/Cargo.toml").exists() {
        out.push("tests".to_owned());
    }
    out.sort();
    Ok(out)
}

/// The `.rs` files under `dir`, skipping build output.
fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in entries {
        let path = e?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            out.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_owned()
}

/// The confined crates that `package` names, in its `Cargo.toml` or its sources, without
/// being allowed to.
pub fn check_confined(root: &Path, package: &str) -> std::io::Result<Vec<Violation>> {
    let mut out = Vec::new();
    let forbidden: Vec<&Confined> = CONFINED
        .iter()
        .filter(|c| !c.allowed.contains(&package))
        .collect();
    if forbidden.is_empty() {
        return Ok(out);
    }
    let manifest = root.join(package).join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest)?;
    for (name, line) in dependencies(&toml) {
        for c in forbidden.iter().filter(|c| c.package == name) {
            out.push(confined_violation(root, &manifest, line, c));
        }
    }
    for file in rust_files(&root.join(package))? {
        let text = std::fs::read_to_string(&file)?;
        let tokens = lex::lex(&text).tokens;
        for c in &forbidden {
            if let Some(line) = first_use(&tokens, c.lib) {
                out.push(confined_violation(root, &file, line, c));
            }
        }
    }
    Ok(out)
}

fn confined_violation(root: &Path, file: &Path, line: usize, c: &Confined) -> Violation {
    Violation {
        file: relative(root, file),
        line,
        rule: "confined crate",
        message: format!(
            "`{}` is used here, but only {} may use it: {}",
            c.package,
            c.allowed.join(", "),
            c.why
        ),
    }
}

/// The dependencies a `Cargo.toml` declares, in any dependency table (normal, dev, build,
/// per target, or `[dependencies.name]`), with their lines; a renamed one by its package.
fn dependencies(toml: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut in_table = false;
    for (n, raw) in toml.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']');
            in_table = header.ends_with("dependencies");
            if let Some((table, name)) = header.rsplit_once('.') {
                if table.ends_with("dependencies") {
                    out.push((name.trim_matches('"').to_owned(), n + 1));
                }
            }
            continue;
        }
        if !in_table || line.is_empty() {
            continue;
        }
        let name = line
            .split(|c: char| c == '=' || c == '.' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .trim_matches('"');
        out.push((name.to_owned(), n + 1));
        if let Some(rest) = line.split("package").nth(1) {
            if let Some(renamed) = rest.split('"').nth(1) {
                out.push((renamed.to_owned(), n + 1));
            }
        }
    }
    out
}

/// The line of the first use of crate `lib` as a path root (`lib::x`, `use lib;`,
/// `extern crate lib`), not as a segment of another path (`crate::lib::x`) or a field.
fn first_use(tokens: &[lex::Token], lib: &str) -> Option<usize> {
    tokens.iter().enumerate().find_map(|(i, t)| {
        let before = i.checked_sub(1).map(|j| tokens[j].text.as_str());
        let after = tokens.get(i + 1).map(|t| t.text.as_str());
        let rooted = !matches!(before, Some("::") | Some("."));
        let used = after == Some("::") || matches!(before, Some("use") | Some("crate"));
        (t.text == lib && rooted && used).then_some(t.line)
    })
}

/// Attributes that lift `unsafe_code` (`allow`, `expect` or `warn`) outside `UNSAFE_ALLOWED`.
pub fn check_unsafe(root: &Path, package: &str) -> std::io::Result<Vec<Violation>> {
    let mut out = Vec::new();
    for file in rust_files(&root.join(package))? {
        let rel = relative(root, &file);
        if UNSAFE_ALLOWED.iter().any(|(f, _)| rel == Path::new(f)) {
            continue;
        }
        let text = std::fs::read_to_string(&file)?;
        let tokens = lex::lex(&text).tokens;
        for (i, t) in tokens.iter().enumerate() {
            if t.text != "unsafe_code" {
                continue;
            }
            // The attribute this lint name is in: the word before the nearest `(`.
            let open = tokens[..i].iter().rposition(|t| t.text == "(");
            let attribute = open
                .and_then(|o| o.checked_sub(1))
                .map(|o| tokens[o].text.as_str());
            if matches!(attribute, Some("allow" | "expect" | "warn")) {
                out.push(Violation {
                    file: rel.clone(),
                    line: t.line,
                    rule: "unsafe code",
                    message: "`unsafe_code` is lifted here: use a safe wrapper (std, rustix), or add the file to UNSAFE_ALLOWED in tests/tidy/mod.rs with the reason none exists".to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// Module cycles among the top-level modules of `package`.
pub fn check_cycles(root: &Path, package: &str) -> std::io::Result<Vec<Violation>> {
    let src = root.join(package).join("src");
    let mut sources = Vec::new();
    for file in rust_files(&src)? {
        if let Some(module) = cycles::module_of(&src, &file) {
            sources.push(cycles::Source {
                text: std::fs::read_to_string(&file)?,
                path: relative(root, &file),
                module,
            });
        }
    }
    let graph = cycles::graph(&sources);
    let mut out = Vec::new();
    for cycle in cycles::cycles(&graph) {
        let steps: Vec<String> = cycle
            .windows(2)
            .filter_map(|w| {
                let edge = graph.get(&w[0])?.get(&w[1])?;
                Some(format!(
                    "{} uses {} at {}:{}",
                    w[0],
                    w[1],
                    edge.file.display(),
                    edge.line
                ))
            })
            .collect();
        let first = cycle
            .windows(2)
            .next()
            .and_then(|w| graph.get(&w[0])?.get(&w[1]));
        out.push(Violation {
            file: first.map_or_else(|| PathBuf::from(package), |e| e.file.clone()),
            line: first.map_or(0, |e| e.line),
            rule: "module cycle",
            message: format!(
                "the modules of {package} form a cycle {} ({}): move what both need into a module of its own, or invert one use",
                cycle.join(" -> "),
                steps.join("; ")
            ),
        });
    }
    Ok(out)
}

/// String literals in the store's sources, outside `keys.rs`, that look like a key prefix
/// (`"hist/"`, `b"view/x/"`: a lowercase word then `/`).
pub fn check_key_prefixes(root: &Path) -> std::io::Result<Vec<Violation>> {
    let mut out = Vec::new();
    let keys = root.join(KEYS_FILE);
    for file in rust_files(&root.join(KEYS_SCOPE))? {
        if file == keys {
            continue;
        }
        let text = std::fs::read_to_string(&file)?;
        for literal in lex::lex(&text).literals {
            if looks_like_key_prefix(&literal.text) {
                out.push(Violation {
                    file: relative(root, &file),
                    line: literal.line,
                    rule: "key prefix outside keys.rs",
                    message: format!(
                        "`{}` looks like a store key; define it in {KEYS_FILE}, where every prefix can be seen at once and two cannot collide",
                        literal.text
                    ),
                });
            }
        }
    }
    Ok(out)
}

fn looks_like_key_prefix(s: &str) -> bool {
    let Some((word, _)) = s.split_once('/') else {
        return false;
    };
    !word.is_empty()
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests;
