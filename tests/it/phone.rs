//! The phone app (the browser replica at `/app/`) offline in a real browser: served by a real
//! `rapport serve`, driven in Debian's headless Chromium by tests/browser/phone.mjs.
//!
//! It needs the WebAssembly module that scripts/wasm-build.sh writes to target/wasm-pkg (after
//! scripts/wasm-toolchain.sh), besides Chromium and Node: where one is missing this test says
//! SKIPPED loudly, except in CI (`CI=true`), where `.ci/run` builds it and its absence fails.

use crate::support::{rapport_bin, Home, Seed};
use crate::web::{artefacts, browser_tools, run_node, serve_with_ui};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// It takes about 20 s here.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

/// The folder the daemon serves `/app/pkg/` from (crates/web `phone::pkg_dir`), if built.
pub(crate) fn wasm_module() -> Result<PathBuf, String> {
    let dir = std::env::var_os("RAPPORT_APP_PKG").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm-pkg"),
        PathBuf::from,
    );
    if dir.join("rapport_wasm_bg.wasm").exists() && dir.join("rapport_wasm.js").exists() {
        Ok(dir)
    } else {
        Err(format!(
            "the phone app's module is not built in {} (run scripts/wasm-toolchain.sh and scripts/wasm-build.sh)",
            dir.display()
        ))
    }
}

/// The browser tests' folder, if Node, Chromium and the module are there. Where one is
/// missing: `None` after saying SKIPPED loudly (naming `what`), or a panic under `CI=true`.
pub(crate) fn browser_replica_tools_or_skip(what: &str) -> Option<PathBuf> {
    match browser_tools().and_then(|dir| wasm_module().map(|_| dir)) {
        Ok(dir) => Some(dir),
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{what} cannot run in CI: {why}")
        }
        Err(why) => {
            eprintln!("\n*** SKIPPED {what}: {why} ***\n");
            None
        }
    }
}

/// How a script of tests/browser runs `rapport` on `home`: `{ bin, home, env }`, with the
/// sandboxed environment every test's commands get.
pub(crate) fn rapport_for_node(home: &Home) -> Value {
    let probe = home.command(&[]);
    let env: serde_json::Map<String, Value> = probe
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), Value::from(v?.to_str()?))))
        .collect();
    serde_json::json!({
        "bin": probe.get_program().to_str().expect("utf-8 path"),
        "home": home.path(),
        "env": env,
    })
}

#[test]
fn the_phone_app_keeps_offline_edits_across_a_reload() {
    let Some(dir) = browser_replica_tools_or_skip("the phone app's browser test") else {
        return;
    };
    let home = Home::init();
    let served = serve_with_ui(&home);
    let config = serde_json::json!({
        "app": format!("http://{}/app/", served.ui),
        "daemonPid": served.child.id(),
        "artefacts": artefacts(),
        "bin": rapport_bin(),
    });
    let mut node = Command::new("node");
    node.arg(dir.join("phone.mjs"))
        .current_dir(&dir)
        .env("RAPPORT_PHONE", config.to_string());
    let run = run_node(node, BROWSER_TIMEOUT, "the phone app's flow");
    assert!(
        run.stdout.contains(r#""ok":true"#),
        "the flow reported no result:\n{}",
        run.describe()
    );
    drop(served);
}

/// Issue 16's test 5: the browser is SIGKILLed (its whole process group) in the middle of a
/// burst of edits, after a seeded number of acknowledgements, and restarted on the same
/// profile: every acknowledged edit is there, and the read view agrees with the document
/// (tests/browser/crash.mjs).
#[test]
fn a_browser_killed_mid_burst_keeps_every_edit_it_showed_as_saved() {
    let seed = Seed::for_test("a_browser_killed_mid_burst_keeps_every_edit_it_showed_as_saved");
    let Some(dir) = browser_replica_tools_or_skip("the phone app's browser test") else {
        return;
    };
    let home = Home::init();
    let served = serve_with_ui(&home);
    let config = serde_json::json!({
        "app": format!("http://{}/app/", served.ui),
        "artefacts": artefacts(),
        // After this many acknowledgements of the burst's 1,000 edits (a compaction is due at
        // 128).
        "killAfter": 20 + seed.value % 200,
    });
    let mut node = Command::new("node");
    node.arg(dir.join("crash.mjs"))
        .current_dir(&dir)
        .env("RAPPORT_PHONE", config.to_string());
    let run = run_node(node, BROWSER_TIMEOUT, "the phone app's crash test");
    assert!(
        run.stdout.contains(r#""ok":true"#),
        "the crash test reported no result:\n{}",
        run.describe()
    );
    eprintln!("crash test: {}", run.stdout.trim());
    drop(served);
}
