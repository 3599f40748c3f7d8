//! The web app end to end: `rapport serve` with its app on loopback, driven by Debian's
//! headless Chromium through playwright-core (tests/browser/flows.mjs), plus the CLI's side
//! of it (`--ui` refusals, `rapport ui --no-open`).
//!
//! Chromium and Node are not Rust dependencies: where they are missing this test says
//! SKIPPED loudly, except in CI (`CI=true`), where `.ci/run` installs them and a missing
//! browser is a failure.

use crate::daemon::device_id;
use crate::support::{rapport_bin, wait_or_kill, Ended, Home, Run};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The whole browser run must finish within this (it takes well under a minute here).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(240);

/// Runs a script of tests/browser (`node` already names it, its folder and its environment)
/// for at most `timeout`, prints what it printed, and returns that once it exited with
/// success; panics, naming `what`, when it hung or failed.
pub(crate) fn run_node(mut node: Command, timeout: Duration, what: &str) -> Run {
    node.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = node.spawn().expect("node starts");
    let run = match wait_or_kill(child, Instant::now() + timeout) {
        Ended::Exited(run) => run,
        Ended::Killed(run) => panic!(
            "{what} took over {} s:\n{}",
            timeout.as_secs(),
            run.describe()
        ),
    };
    println!("{}", run.stdout);
    assert!(run.success(), "{what} failed:\n{}", run.describe());
    run
}

/// A running `rapport serve` with its web app, killed when dropped.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) quic: String,
    pub(crate) ui: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve_with_ui(home: &Home) -> Served {
    let mut child = home
        .command(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-discovery",
            "--ui",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rapport serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut next = || lines.next().and_then(Result::ok).unwrap_or_default();
    let (first, second) = (next(), next());
    let quic = first.rsplit(' ').next().unwrap_or_default().to_owned();
    let ui = second
        .strip_prefix("web app on http://")
        .and_then(|s| s.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    assert!(quic.starts_with("127.0.0.1:"), "serve said {first:?}");
    assert!(ui.starts_with("127.0.0.1:"), "serve said {second:?}");
    Served { child, quic, ui }
}

#[test]
fn a_non_loopback_ui_address_is_refused_with_a_sentence() {
    let home = Home::init();
    home.ok(&["add", "Ada"]);
    let err = home.fails(
        1,
        &["serve", "--listen", "127.0.0.1:0", "--ui", "0.0.0.0:7449"],
    );
    assert!(err.contains("this machine only"), "{err}");
}

#[test]
fn ui_no_open_prints_a_one_time_sign_in_address_of_the_running_app() {
    let home = Home::init();
    let served = serve_with_ui(&home);
    let url = home.ok(&["ui", "--no-open"]);
    let url = url.trim();
    assert!(
        url.starts_with(&format!("http://{}/signin?once=", served.ui)),
        "{url}"
    );
    // The token itself is never printed, and the code is not the token.
    let token = std::fs::read_to_string(home.path().join("ui-token")).expect("token file");
    assert!(!url.contains(token.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.path().join("ui-token"))
            .expect("token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the token file is owner-only");
    }
}

/// Where a browser run keeps its screenshots: `target/browser-artefacts`.
pub(crate) fn artefacts() -> PathBuf {
    let target = rapport_bin()
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    target.join("browser-artefacts")
}

/// Node, Chromium and the pinned playwright-core, or why they are missing.
pub(crate) fn browser_tools() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    if !Path::new("/usr/bin/chromium").exists() {
        return Err("/usr/bin/chromium is not installed (apt-get install chromium)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is not installed".into());
    }
    if !dir.join("node_modules/playwright-core").exists() {
        let ok = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!("`npm ci` failed in {}", dir.display()));
        }
    }
    Ok(dir)
}

#[test]
fn the_web_app_works_in_a_real_browser() {
    let dir = match browser_tools() {
        Ok(dir) => dir,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("the browser tests cannot run in CI: {why}")
        }
        Err(why) => {
            eprintln!("\n*** SKIPPED the browser tests: {why} ***\n");
            return;
        }
    };
    let a = Home::init();
    let b = Home::empty();
    let c = Home::empty();
    a.ok(&["devices", "add", &device_id(&b), "--name", "phone"]);
    let served = serve_with_ui(&a);
    let run = b.run(&[
        "clone",
        &served.quic,
        "--id",
        &device_id(&a),
        "--name",
        "phone",
    ]);
    assert!(run.success(), "{}", run.describe());
    let signin = a.ok(&["ui", "--no-open"]).trim().to_owned();
    let config = serde_json::json!({
        "signin": signin,
        "bin": rapport_bin(),
        "homeA": a.path(),
        "homeB": b.path(),
        "homeC": c.path(),
        "addrA": served.quic,
        "artefacts": artefacts(),
        "only": std::env::var("RAPPORT_E2E_ONLY").ok(),
        "screenshot": std::env::var("RAPPORT_E2E_SCREENSHOT").ok(),
    });
    // B's commands (run by the script) get the same sandboxed environment as every test's.
    let sandboxed = b.command(&[]);
    let mut node = Command::new("node");
    node.arg(dir.join("flows.mjs"))
        .current_dir(&dir)
        .envs(
            sandboxed
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env("RAPPORT_E2E", config.to_string());
    run_node(node, BROWSER_TIMEOUT, "the browser flows");
    drop(served);
}
