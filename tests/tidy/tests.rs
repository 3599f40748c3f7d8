//! The checker against small made-up workspaces (so that the rules can fail), then against
//! this workspace.
#![allow(clippy::unwrap_used)]

use super::*;

/// Writes `files` (path, contents) under a new temporary folder.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn rules(found: &[Violation]) -> Vec<String> {
    found
        .iter()
        .map(|v| format!("{}:{} {}", v.file.display(), v.line, v.rule))
        .collect()
}

#[test]
fn a_confined_crate_outside_its_packages_is_reported_with_file_and_line() {
    let ws = tree(&[
        (
            "crates/model/Cargo.toml",
            "[package]\nname = \"m\"\n\n[dependencies]\nserde.workspace = true\nsled.workspace = true\n\n[dev-dependencies.tokio]\nworkspace = true\n",
        ),
        (
            "crates/model/src/lib.rs",
            "// sled::Db is not used here\nuse std::fmt;\nfn f() -> sled::Result<()> { todo() }\n",
        ),
        ("crates/model/src/rt.rs", "#[tokio::test]\nasync fn t() {}\n"),
        (
            "crates/store/Cargo.toml",
            "[dependencies]\nsled = \"0.34\"\n",
        ),
        ("crates/store/src/lib.rs", "use sled;\n"),
        (
            "crates/net/Cargo.toml",
            "[target.'cfg(unix)'.dependencies]\nq = { package = \"quinn\", version = \"0.11\" }\n",
        ),
    ]);
    let mut found = Vec::new();
    for p in packages(ws.path()).unwrap() {
        found.extend(check_confined(ws.path(), &p).unwrap());
    }
    assert_eq!(
        rules(&found),
        [
            "crates/model/Cargo.toml:6 confined crate",
            "crates/model/Cargo.toml:8 confined crate",
            "crates/model/src/lib.rs:3 confined crate",
            "crates/model/src/rt.rs:1 confined crate",
        ]
    );
    assert!(
        found[0].to_string().contains("`sled` is used here"),
        "{}",
        found[0]
    );
    assert!(found[1].message.contains("`tokio`"), "{}", found[1]);
}

#[test]
fn a_module_cycle_is_reported_with_the_uses_that_close_it() {
    let ws = tree(&[
        ("crates/store/Cargo.toml", "[package]\n"),
        (
            "crates/store/src/lib.rs",
            "mod view;\nmod annotations;\nmod codec;\n",
        ),
        (
            "crates/store/src/view.rs",
            "use crate::codec;\n\nfn f() { crate::annotations::update() }\n",
        ),
        (
            "crates/store/src/annotations.rs",
            "use crate::view::ReadView;\n",
        ),
        (
            "crates/store/src/codec.rs",
            "use super::view as _v_is_fine_in_tests;\n",
        ),
    ]);
    // codec -> view -> annotations -> view: one cycle, the view and its annotations.
    let found = check_cycles(ws.path(), "crates/store").unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let message = found[0].to_string();
    assert!(
        message.contains("annotations -> view -> annotations"),
        "{message}"
    );
    assert!(message.contains("crates/store/src/view.rs:3"), "{message}");
    assert!(
        message.contains("crates/store/src/annotations.rs:1"),
        "{message}"
    );

    let acyclic = tree(&[
        ("crates/a/src/lib.rs", "mod x;\nmod y;\n"),
        ("crates/a/src/x.rs", "use crate::y;\n"),
        ("crates/a/src/y/mod.rs", "mod z;\n"),
        (
            "crates/a/src/y/z.rs",
            "use super::super::y; use super::*;\n",
        ),
    ]);
    assert!(check_cycles(acyclic.path(), "crates/a").unwrap().is_empty());
}

#[test]
fn a_key_prefix_outside_keys_rs_is_reported() {
    let ws = tree(&[
        (
            "crates/store/src/keys.rs",
            "pub(crate) const HIST: &str = \"hist/\";\n",
        ),
        (
            "crates/store/src/view.rs",
            "const X: &[u8] = b\"view/x/\";\nfn f(p: &Path) { p.join(\"buckets\"); format!(\"{p}/{q}\"); }\n// \"meta/old\" in a comment\nconst E: &str = \"could not write view/x: the disk\";\n",
        ),
    ]);
    let found = check_key_prefixes(ws.path()).unwrap();
    assert_eq!(
        rules(&found),
        ["crates/store/src/view.rs:1 key prefix outside keys.rs"]
    );
    assert!(found[0].message.contains("`view/x/`"), "{}", found[0]);
}

#[test]
fn lifting_unsafe_code_outside_the_allowed_files_is_reported() {
    let ws = tree(&[
        (
            "crates/store/src/durable.rs",
            "#[allow(unsafe_code, clippy::useless_conversion)]\nfn f() {}\n#[deny(unsafe_code)]\nfn g() {}\n",
        ),
        ("bin/rapport/src/alloc.rs", "#[allow(unsafe_code)]\nfn h() {}\n"),
    ]);
    let mut found = check_unsafe(ws.path(), "crates/store").unwrap();
    found.extend(check_unsafe(ws.path(), "bin/rapport").unwrap());
    assert_eq!(rules(&found), ["crates/store/src/durable.rs:1 unsafe code"]);
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

#[test]
fn the_workspace_keeps_its_architecture() {
    let found = check_workspace(&workspace_root()).unwrap();
    let report: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        found.is_empty(),
        "{} architecture rule(s) broken (see ARCHITECTURE.md):\n{}",
        found.len(),
        report.join("\n")
    );
}

#[test]
fn every_crate_and_binary_is_checked_for_cycles_or_listed_as_pending() {
    let root = workspace_root();
    for package in packages(&root).unwrap() {
        if package == "tests" {
            continue;
        }
        assert!(
            CYCLE_CHECKED.contains(&package.as_str())
                || CYCLE_CHECK_PENDING.contains(&package.as_str()),
            "{package} is in neither CYCLE_CHECKED nor CYCLE_CHECK_PENDING (tests/tidy/mod.rs): add it to CYCLE_CHECKED"
        );
    }
    for package in CYCLE_CHECK_PENDING {
        if root.join(package).exists() && check_cycles(&root, package).unwrap().is_empty() {
            // Not a failure: the refactor that lands it also moves it to CYCLE_CHECKED.
            eprintln!("{package} has no module cycle any more: move it from CYCLE_CHECK_PENDING to CYCLE_CHECKED in tests/tidy/mod.rs");
        }
    }
}

#[test]
fn the_tokio_allow_list_is_the_one_architecture_md_names() {
    let doc = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap();
    // ARCHITECTURE.md describes the architecture test in its cross-cutting concerns.
    let start = doc.find("- **The architecture test**").unwrap();
    let section = &doc[start..];
    let section = &section[..section[2..].find("\n- **").map_or(section.len(), |e| e + 2)];
    let tokio = CONFINED.iter().find(|c| c.package == "tokio").unwrap();
    for package in tokio.allowed {
        let name = package.strip_prefix("crates/").unwrap_or(package);
        assert!(
            section.contains(name),
            "ARCHITECTURE.md's architecture test does not list {package} among tokio's crates"
        );
    }
}
