//! Pairing with a one-time code, trust that spreads through sync, and revocation, as processes
//! on loopback: `pair`, `join`, `devices revoke`, `devices leave`, with and without daemons.

use crate::support::{assert_no_panic, Home, Run};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `rapport pair`, whose first line (the JSON) has been read.
struct Window {
    child: Child,
    code: String,
    addr: String,
    device_id: String,
}

impl Window {
    fn open(home: &Home, timeout: &str) -> Window {
        let mut child = home
            .command(&[
                "pair",
                "--listen",
                "127.0.0.1:0",
                "--json",
                "--no-discovery",
                "--timeout",
                timeout,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rapport pair starts");
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut first)
            .expect("pair prints a first line");
        let v: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("pair's first line is not JSON ({e}): {first:?}"));
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("no {k} in {first}"))
                .to_owned()
        };
        let addr = v["addresses"][0].as_str().expect("an address").to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "{first}");
        let code = s("code");
        let parts: Vec<&str> = code.split('-').collect();
        assert_eq!(parts.len(), 3, "{code}");
        assert!(parts[0].parse::<u16>().is_ok_and(|n| n <= 999), "{code}");
        Window {
            child,
            code,
            addr,
            device_id: s("device_id"),
        }
    }

    /// Waits (bounded) for `pair` to exit: (exit code, stdout after the first line, stderr).
    fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let mut out = String::new();
                let mut err = String::new();
                let _ = self
                    .child
                    .stdout
                    .take()
                    .expect("piped")
                    .read_to_string(&mut out);
                let _ = self
                    .child
                    .stderr
                    .take()
                    .expect("piped")
                    .read_to_string(&mut err);
                assert!(!err.contains("panicked"), "{err}");
                return (status.code(), out, err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("`rapport pair` did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `rapport serve` on loopback; its stderr goes to a file the test can read.
struct Daemon {
    child: Child,
    addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start(home: &Home) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("stderr");
        let mut child = home
            // No web app: its fixed port would collide with other tests' daemons.
            .command(&[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-discovery",
                "--no-ui",
            ])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("rapport serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut first)
            .expect("serve prints its address");
        let addr = first.trim().rsplit(' ').next().expect("ADDR").to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "serve said {first:?}");
        Daemon {
            child,
            addr,
            log,
            _dir: dir,
        }
    }

    /// Waits (bounded) until the daemon's log contains `needle`.
    fn logs_within(&self, needle: &str, limit: Duration) -> bool {
        self.logs_times_within(needle, 1, limit)
    }

    /// Waits (bounded) until the daemon's log contains `needle` at least `n` times.
    fn logs_times_within(&self, needle: &str, n: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if std::fs::read_to_string(&self.log).is_ok_and(|s| s.matches(needle).count() >= n) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn join(home: &Home, w: &Window, name: &str) -> Run {
    home.run(&["join", &w.code, "--addr", &w.addr, "--name", name])
}

fn must(run: Run) -> String {
    assert!(run.success(), "expected success:\n{}", run.describe());
    assert_no_panic(&run);
    run.stdout
}

fn refused(run: &Run) {
    assert!(!run.success(), "expected a refusal:\n{}", run.describe());
    assert_no_panic(run);
}

fn device_id(home: &Home) -> String {
    home.json(&["device"])["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn roster(home: &Home) -> Vec<Value> {
    home.json(&["devices"]).as_array().expect("array").clone()
}

fn entry(home: &Home, id: &str) -> Value {
    roster(home)
        .into_iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the roster"))
}

/// Pairs a fresh home with `host` (directly or through its daemon) and returns it.
pub(crate) fn pair_new(host: &Home, name: &str) -> Home {
    let w = Window::open(host, "60s");
    let new = Home::empty();
    let out = must(join(&new, &w, name));
    assert!(out.contains("joined vault"), "{out}");
    let (code, rest, err) = w.finish();
    assert_eq!(code, Some(0), "pair failed: {rest}\n{err}");
    assert!(rest.contains("paired"), "{rest}");
    new
}

#[test]
fn trust_spreads_through_sync_and_revocation_is_refused_everywhere() {
    let a = Home::init();
    a.ok(&["add", "Jeanne Yocum"]);
    let da = Daemon::start(&a);
    // A pairs B through its daemon (the daemon keeps serving: B syncs with it below).
    let b = pair_new(&a, "phone");
    assert_eq!(b.json(&["list"]).as_array().map(Vec::len), Some(1));
    let b_id = device_id(&b);
    assert_eq!(entry(&a, &b_id)["added_by"], Value::String(device_id(&a)));
    assert_eq!(entry(&b, &b_id)["name"], "phone");
    let db = Daemon::start(&b);
    // B pairs C: A never sees C's code.
    let c = pair_new(&b, "tablet");
    let c_id = device_id(&c);
    // A learns of C by syncing with B, and then accepts C without a restart.
    must(a.run(&["sync", "--addr", &db.addr]));
    assert_eq!(entry(&a, &c_id)["added_by"], Value::String(b_id.clone()));
    must(c.run(&["sync", "--addr", &da.addr]));
    drop(da);

    // Revocation on A (no daemon), while B has not heard of it: C writes and syncs with B.
    let out = a.ok(&["devices", "revoke", "tablet"]);
    assert!(out.contains("revoked tablet"), "{out}");
    c.ok(&["add", "Written After Revocation"]);
    must(c.run(&["sync", "--addr", &db.addr]));
    // A syncs with B: B hears of the revocation, A receives C's late change through B.
    must(a.run(&["sync", "--addr", &db.addr]));
    let c_on_a = entry(&a, &c_id);
    assert_eq!(c_on_a["revoked"], true);
    assert_eq!(c_on_a["changes_after_revocation"], 1, "{c_on_a}");
    let human = a.ok(&["devices"]);
    assert!(
        human.contains("1 change from revoked device tablet"),
        "devices does not flag the late change:\n{human}"
    );
    // The change is kept (accepted into history), and flagged.
    assert!(a.ok(&["list"]).contains("Written After Revocation"));
    assert_eq!(entry(&b, &c_id)["revoked"], true);
    // Both refuse C at the handshake now.
    let da = Daemon::start(&a);
    refused(&c.run(&["sync", "--addr", &db.addr]));
    refused(&c.run(&["sync", "--addr", &da.addr]));
}

#[test]
fn a_live_session_with_a_revoked_device_is_closed() {
    let a = Home::init();
    let b = pair_new(&a, "phone");
    let da = Daemon::start(&a);
    let db = Daemon::start(&b);
    // B syncs once with A's daemon; B's daemon then keeps a live session with A.
    must(b.run(&["sync", "--addr", &da.addr]));
    // Wait until B's daemon has dialled A (after the one-shot sync) and the live session is up.
    assert!(
        da.logs_times_within("connected", 2, Duration::from_secs(10)),
        "B's daemon never connected to A"
    );
    let started = Instant::now();
    a.ok(&["devices", "revoke", "phone"]);
    assert!(
        da.logs_within("no longer trusted", Duration::from_secs(10)),
        "A's daemon did not close its live session with B: {}",
        std::fs::read_to_string(&da.log).unwrap_or_default()
    );
    eprintln!(
        "live session closed {} ms after the revoke command started",
        started.elapsed().as_millis()
    );
    refused(&b.run(&["sync", "--addr", &da.addr]));
    drop(db);
}

#[test]
fn a_wrong_code_fails_on_both_sides_and_burns_the_code() {
    let a = Home::init();
    let w = Window::open(&a, "60s");
    let (right, addr) = (w.code.clone(), w.addr.clone());
    let nameplate = w.code.split('-').next().expect("nameplate").to_owned();
    // Same nameplate, other words.
    let words = if w.code.ends_with("-abandon-zoo") {
        "ability-zoo"
    } else {
        "abandon-zoo"
    };
    let wrong = format!("{nameplate}-{words}");
    let b = Home::empty();
    let run = b.run(&["join", &wrong, "--addr", &w.addr]);
    refused(&run);
    assert!(
        run.stderr.contains("did not match") && run.stderr.contains("rapport pair"),
        "{}",
        run.describe()
    );
    let (code, _, err) = w.finish();
    assert_ne!(code, Some(0));
    assert!(
        err.contains("did not match"),
        "pair did not report the failed attempt: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // The right code is worth nothing now: the window closed when the code burned.
    let run = b.run(&["join", &right, "--addr", &addr]);
    refused(&run);
    assert!(b.run(&["list"]).code() != Some(0), "b got a vault");
}

#[test]
fn an_expired_code_fails() {
    let a = Home::init();
    let w = Window::open(&a, "1s");
    let (code_str, addr) = (w.code.clone(), w.addr.clone());
    let (code, _, err) = w.finish();
    assert_ne!(code, Some(0));
    assert!(err.contains("expired"), "{err}");
    let b = Home::empty();
    let run = b.run(&["join", &code_str, "--addr", &addr]);
    refused(&run);
    assert!(run.stderr.contains("expired"), "{}", run.describe());
}

#[test]
fn a_code_cannot_be_reused() {
    let a = Home::init();
    let w = Window::open(&a, "60s");
    let (code_str, addr, a_id) = (w.code.clone(), w.addr.clone(), w.device_id.clone());
    must(join(&Home::empty(), &w, "first"));
    assert_eq!(w.finish().0, Some(0));
    let second = Home::empty();
    refused(&second.run(&["join", &code_str, "--addr", &addr]));
    assert_eq!(
        roster(&a).len(),
        2,
        "a second device got in with a used code"
    );
    assert_eq!(device_id(&a), a_id);
}

#[test]
fn a_device_that_leaves_is_refused_by_the_others() {
    let a = Home::init();
    let b = pair_new(&a, "phone");
    let da = Daemon::start(&a);
    must(b.run(&["sync", "--addr", &da.addr]));
    let out = must(b.run(&["devices", "leave"]));
    assert!(
        out.contains("left the vault") && out.contains("told 1 of 1"),
        "{out}"
    );
    assert_eq!(entry(&a, &device_id(&b))["left"], true);
    refused(&b.run(&["sync", "--addr", &da.addr]));
}

#[test]
fn the_demo_pairs_its_devices_with_codes() {
    let home = Home::empty();
    let run = home.run(&["demo"]);
    assert!(run.success(), "{}", run.describe());
    assert_eq!(
        run.stdout.matches("pairing code").count(),
        2,
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("devices add"), "{}", run.stdout);
}

#[test]
fn a_pairing_window_does_not_open_the_sync_port_to_strangers() {
    let a = Home::init();
    let da = Daemon::start(&a);
    let w = Window::open(&a, "60s");
    let stranger = Home::empty();
    let a_id = device_id(&a);
    // The daemon's sync endpoint still refuses an unknown certificate while the window is open.
    refused(&stranger.run(&["clone", &da.addr, "--id", &a_id]));
    assert_eq!(w.device_id, a_id);
    // And the window's endpoint pairs only with the code.
    must(join(&stranger, &w, "laptop 2"));
    assert_eq!(w.finish().0, Some(0));
}
