//! Devices syncing over QUIC on loopback, as processes: `serve`, `clone`, `sync`, live
//! propagation between daemons, commands forwarded to a running daemon, and refusals.
//! Every daemon binds 127.0.0.1 and is killed when its test ends.

use crate::support::Home;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `rapport serve`, stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Daemon {
    child: Option<Child>,
    pub(crate) addr: String,
}

impl Daemon {
    /// `rapport serve` on loopback, without waiting for it to announce its address.
    fn spawn(home: &Home) -> Child {
        home
            // No web app: its fixed port would collide with other tests' daemons.
            .command(&[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-discovery",
                "--no-ui",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rapport serve starts")
    }

    pub(crate) fn start(home: &Home) -> Daemon {
        let mut child = Daemon::spawn(home);
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("serve prints its address");
        let addr = first
            .trim()
            .rsplit(' ')
            .next()
            .expect("`serving ... on ADDR`")
            .to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "serve said {first:?}");
        Daemon {
            child: Some(child),
            addr,
        }
    }

    /// Stops the daemon with SIGTERM and returns its exit status code.
    pub(crate) fn stop(mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let pid = child.id() as i32;
        // SAFETY-free: libc::kill only sends a signal to our own child.
        unsafe_free_kill(pid, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn unsafe_free_kill(pid: i32, signal: i32) {
    // `kill` via the command line keeps `unsafe` out of the tests.
    let _ = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

pub(crate) fn device_id(home: &Home) -> String {
    home.json(&["device"])["id"]
        .as_str()
        .expect("device id")
        .to_owned()
}

/// A vault on `a`, trusted devices for each of `others`, and a daemon on `a`.
pub(crate) fn family(n: usize) -> (Home, Vec<Home>) {
    let a = Home::init();
    let others: Vec<Home> = (0..n).map(|_| Home::empty()).collect();
    for (i, o) in others.iter().enumerate() {
        let id = device_id(o);
        a.ok(&["devices", "add", &id, "--name", &format!("device {i}")]);
    }
    (a, others)
}

pub(crate) fn clone_from(daemon: &Daemon, a_id: &str, o: &Home) {
    let run = o.run(&["clone", &daemon.addr, "--id", a_id, "--name", "other"]);
    assert!(run.success(), "{}", run.describe());
}

/// Names, tags, org and interaction texts of every contact: what must match everywhere.
fn summary(home: &Home) -> Vec<Value> {
    let list = home.json(&["list"]);
    let mut out = Vec::new();
    for c in list.as_array().expect("array") {
        let id = c["id"].as_str().expect("id");
        let shown = home.json(&["show", id]);
        let mut texts: Vec<String> = shown["interactions"]
            .as_array()
            .expect("interactions")
            .iter()
            .map(|i| i["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        texts.sort();
        out.push(serde_json::json!({
            "name": c["name"], "tags": c["tags"], "org": c["org"], "texts": texts
        }));
    }
    out
}

#[test]
fn three_devices_converge_after_concurrent_offline_edits() {
    let (a, others) = family(2);
    let a_id = device_id(&a);
    let jeanne = a.id(&["add", "Jeanne Yocum", "--tag", "conference"]);
    {
        let d = Daemon::start(&a);
        for o in &others {
            clone_from(&d, &a_id, o);
        }
        assert_eq!(d.stop(), Some(0), "serve exits 0 on SIGTERM");
    }
    // Offline: the same contact on every device, and a new contact on each.
    a.ok(&["tag", &jeanne, "+investor"]);
    a.id(&["note", &jeanne, "coffee on the laptop"]);
    others[0].ok(&["tag", &jeanne, "+climbing"]);
    others[0].ok(&["edit", &jeanne, "--org", "Acme"]);
    others[0].id(&["note", &jeanne, "gym, from the phone"]);
    others[0].id(&["add", "Priya Raman"]);
    others[1].id(&["note", &jeanne, "call, from the desktop"]);
    others[1].id(&["add", "Lars Olsen"]);
    let d = Daemon::start(&a);
    for o in [&others[0], &others[1], &others[0]] {
        let run = o.run(&["sync", "--addr", &d.addr]);
        assert!(run.success(), "{}", run.describe());
    }
    let expected = summary(&others[0]);
    assert_eq!(expected.len(), 3, "{expected:?}");
    assert_eq!(summary(&others[1]), expected);
    assert_eq!(
        summary(&a),
        expected,
        "the daemon's device (read through its socket)"
    );
    let j = a.json(&["show", &jeanne]);
    assert_eq!(
        j["tags"],
        serde_json::json!(["climbing", "conference", "investor"])
    );
    assert_eq!(j["interactions"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_change_reaches_a_connected_daemon_live() {
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    let jeanne = a.id(&["add", "Jeanne Yocum"]);
    let da = Daemon::start(&a);
    clone_from(&da, &a_id, b);
    // B's daemon dials A (it remembers A's address from the clone) and stays connected.
    let _db = Daemon::start(b);
    std::thread::sleep(Duration::from_millis(500));
    // Written through A's daemon socket; B must see it without anyone running `sync`.
    let note = a.id(&["note", &jeanne, "said live"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = b.json(&["show", &jeanne]);
        let ids: Vec<&str> = shown["interactions"]
            .as_array()
            .expect("interactions")
            .iter()
            .filter_map(|i| i["id"].as_str())
            .collect();
        if ids.contains(&note.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "the note did not reach B live");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_stranger_gets_nothing() {
    let a = Home::init();
    a.id(&["add", "Jeanne Yocum"]);
    let a_id = device_id(&a);
    let d = Daemon::start(&a);
    let stranger = Home::empty();
    let run = stranger.run(&["clone", &d.addr, "--id", &a_id]);
    assert!(
        !run.success(),
        "a device not in the roster cloned the vault"
    );
    assert!(run.stderr.contains("devices add"), "{}", run.describe());
    let list = stranger.run(&["list"]);
    assert!(
        !list.success(),
        "the stranger holds a vault:\n{}",
        list.describe()
    );
    // A device that expects another key at that address is refused too.
    let impostor_id = device_id(&Home::empty());
    let trusted = Home::empty();
    a.ok(&["devices", "add", &device_id(&trusted)]);
    let run = trusted.run(&["clone", &d.addr, "--id", &impostor_id]);
    assert!(!run.success(), "connected to a device with the wrong key");
    // The daemon keeps serving the devices it trusts.
    let run = trusted.run(&["clone", &d.addr, "--id", &a_id]);
    assert!(run.success(), "{}", run.describe());
}

#[test]
fn commands_work_the_same_while_the_daemon_runs() {
    let a = Home::init();
    let _d = Daemon::start(&a);
    let id = a.id(&["add", "Jeanne Yocum", "--email", "jeanne@example.org"]);
    a.ok(&["tag", &id, "+vip"]);
    let list = a.json(&["list"]);
    assert_eq!(list[0]["tags"], serde_json::json!(["vip"]));
    let error = a.fails(2, &["edit", &id, "--email", "not-an-email"]);
    assert!(error.starts_with("error: "), "{error}");
    a.fails(3, &["show", "nobody"]);
    assert_eq!(a.json(&["list"]), list, "a refused edit changed nothing");
    let status = a.run(&["status"]);
    assert!(status.success(), "{}", status.describe());
}

/// What a command printed with every number (counts, times, ports, code words' digits)
/// replaced: what must not differ between a run here and one forwarded to the daemon.
fn shape(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(ch);
        }
    }
    out
}

/// The keys of the JSON object on the first line of `text`.
fn first_line_keys(text: &str) -> Vec<String> {
    let first: Value = serde_json::from_str(text.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    first
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn sync_status_and_pair_print_the_same_with_and_without_a_daemon() {
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    let da = Daemon::start(&a);
    clone_from(&da, &a_id, b);
    let pair = [
        "pair",
        "--json",
        "--timeout",
        "1s",
        "--listen",
        "127.0.0.1:0",
        "--no-discovery",
    ];
    a.id(&["add", "Ada Lovelace"]);
    let direct_sync = b.ok(&["sync", "--addr", &da.addr]);
    let direct_status = b.ok(&["status"]);
    let direct_pair = b.run(&pair);

    let db = Daemon::start(b);
    a.id(&["add", "Grace Hopper"]);
    let forwarded_sync = b.ok(&["sync", "--addr", &da.addr]);
    let forwarded_status = b.ok(&["status"]);
    let forwarded_pair = b.run(&pair);
    drop(db);

    assert!(
        direct_sync.contains("1 records updated here"),
        "{direct_sync}"
    );
    assert_eq!(shape(&forwarded_sync), shape(&direct_sync));
    assert_eq!(shape(&forwarded_status), shape(&direct_status));
    assert_eq!(
        forwarded_pair.code(),
        direct_pair.code(),
        "{}\n{}",
        direct_pair.describe(),
        forwarded_pair.describe()
    );
    assert_eq!(
        first_line_keys(&forwarded_pair.stdout),
        first_line_keys(&direct_pair.stdout)
    );
    assert_eq!(shape(&forwarded_pair.stderr), shape(&direct_pair.stderr));
}

#[test]
fn a_daemon_killed_mid_sync_loses_nothing_and_syncs_after_restart() {
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    a.id(&["add", "First"]);
    {
        let d = Daemon::start(&a);
        clone_from(&d, &a_id, b);
    }
    for i in 0..40 {
        b.id(&["add", &format!("Offline {i}"), "--tag", "batch"]);
    }
    let d = Daemon::start(&a);
    let mut sync = b
        .command(&["sync", "--addr", &d.addr])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sync starts");
    std::thread::sleep(Duration::from_millis(30));
    drop(d); // SIGKILL, whatever the sync was doing
    let _ = sync.wait();
    let d = Daemon::start(&a);
    let run = b.run(&["sync", "--addr", &d.addr]);
    assert!(run.success(), "{}", run.describe());
    assert_eq!(
        a.json(&["list", "--tag", "batch"]).as_array().map(Vec::len),
        Some(40)
    );
    assert_eq!(summary(&a), summary(b));
}

#[test]
fn sync_by_device_name_uses_the_address_it_was_last_reached_at() {
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    let d = Daemon::start(&a);
    clone_from(&d, &a_id, b);
    let jeanne = b.id(&["add", "Jeanne Yocum"]);
    // `test device` is the name `Home::init` gave A; B learnt it with the vault.
    let run = b.run(&["sync", "test device"]);
    assert!(run.success(), "{}", run.describe());
    assert_eq!(a.json(&["show", &jeanne])["name"], "Jeanne Yocum");
    let unknown = b.run(&["sync", "no such device"]);
    assert_eq!(unknown.code(), Some(3), "{}", unknown.describe());
}

/// Sends `bytes` to the daemon's socket of `home` and returns everything it answers.
fn raw_exchange(home: &Home, bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(home.path().join("daemon.sock"))
        .expect("the daemon's socket");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(bytes).expect("sent");
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer
}

#[test]
fn a_client_of_another_version_gets_one_sentence_and_the_daemon_keeps_serving() {
    let a = Home::init();
    let _d = Daemon::start(&a);
    // A rapport that speaks another protocol version (a frame: 4-byte length, JSON body).
    let body = br#"{"protocol":999,"rapport":"9.9.9","call":{"Future":{}}}"#;
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body);
    let answer = raw_exchange(&a, &frame);
    assert!(answer.len() > 4, "no answer");
    let reply: Value = serde_json::from_slice(&answer[4..]).expect("one JSON frame");
    let said = reply["reply"]["Refused"]["message"]
        .as_str()
        .expect("refused");
    assert!(
        said.contains("rapport 9.9.9 (protocol 999)")
            && said.ends_with("restart `rapport serve` with the same version as the command"),
        "{said}"
    );
    // A rapport from before framing sent its arguments as a JSON line; it reads one back.
    let answer = raw_exchange(&a, b"{\"args\":[\"list\"],\"cwd\":null}\n");
    let line: Value = serde_json::from_slice(&answer).expect("a JSON line");
    assert_eq!(line["code"], 1);
    assert!(line["stderr"]
        .as_str()
        .is_some_and(|s| s.contains("older rapport") && s.contains("restart `rapport serve`")));
    // Garbage and an oversize length are refused; nothing stops the daemon.
    let answer = raw_exchange(&a, &u32::MAX.to_be_bytes());
    let reply: Value = serde_json::from_slice(&answer[4..]).expect("one JSON frame");
    assert!(reply["reply"]["Refused"]["message"]
        .as_str()
        .is_some_and(|s| s.contains("over the limit")));
    let answer = raw_exchange(&a, b"\x00\x00\x00\x03abc");
    let reply: Value = serde_json::from_slice(&answer[4..]).expect("one JSON frame");
    assert!(reply["reply"]["Refused"]["message"]
        .as_str()
        .is_some_and(|s| s.contains("could not be read")));
    a.id(&["add", "Still Served"]);
    assert!(a.ok(&["list"]).contains("Still Served"));
}

/// A daemon holds the store while it loads the vault (seconds at 30k contacts) before its
/// socket answers. A command issued then waits and runs; before, it gave up after 2 s with
/// "in use by another rapport process". The test holds the store's lock itself, as a loading
/// daemon does, for longer than that.
#[test]
fn a_command_waits_for_a_store_held_while_a_daemon_loads() {
    let a = Home::init();
    let jeanne = a.id(&["add", "Jeanne Yocum"]);
    let held = sled::open(a.sled()).expect("the test takes the store's lock");
    let mut note = a
        .command(&["note", &jeanne, "written while the store was held"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rapport note starts");
    std::thread::sleep(Duration::from_millis(3000));
    assert!(
        note.try_wait().expect("the command's status").is_none(),
        "the command gave up while the store was held"
    );
    drop(held);
    let run = match crate::support::wait_or_kill(note, Instant::now() + Duration::from_secs(30)) {
        crate::support::Ended::Exited(run) => run,
        crate::support::Ended::Killed(run) => {
            panic!("still waiting 30 s later: {}", run.describe())
        }
    };
    assert!(run.success(), "{}", run.describe());
    assert!(
        run.stderr.contains("waiting for the other rapport process"),
        "it said why it waited: {}",
        run.describe()
    );
    let texts = a.json(&["show", &jeanne])["interactions"].to_string();
    assert!(
        texts.contains("written while the store was held"),
        "{texts}"
    );
}

/// The issue's case: a command sent 100 ms after `serve` starts runs (here or in the daemon)
/// and its edit is in the vault the daemon serves.
#[test]
fn a_command_sent_as_the_daemon_starts_runs() {
    let a = Home::init();
    let jeanne = a.id(&["add", "Jeanne Yocum"]);
    let daemon = Daemon {
        child: Some(Daemon::spawn(&a)),
        addr: String::new(),
    };
    std::thread::sleep(Duration::from_millis(100));
    let run = a.run(&["note", &jeanne, "sent as the daemon started"]);
    assert!(run.success(), "{}", run.describe());
    let texts = a.json(&["show", &jeanne])["interactions"].to_string();
    assert!(texts.contains("sent as the daemon started"), "{texts}");
    drop(daemon);
}

/// A one-shot `note`, `tag` or `edit` appends its change to the stored document from the tip
/// the last commit kept, without loading it (issue #15). Notes and edits written that way,
/// through a daemon (whose commits keep the tip), and that way again after it stops all land
/// once each, the history index lists each, and a full load of the document (`check`) finds
/// them all.
#[test]
fn notes_appended_without_a_daemon_and_written_through_one_all_land() {
    let a = Home::init();
    let jeanne = a.id(&["add", "Jeanne Yocum"]);
    a.ok(&["note", &jeanne, "first, appended"]);
    a.ok(&["note", &jeanne, "second, appended", "--with", "Jeanne"]);
    let daemon = Daemon::start(&a);
    a.ok(&["note", &jeanne, "third, through the daemon"]);
    a.ok(&["tag", &jeanne, "+vip"]);
    assert_eq!(daemon.stop(), Some(0));
    a.ok(&["note", &jeanne, "fourth, appended after the daemon"]);
    a.ok(&["tag", &jeanne, "+met-twice"]);
    a.ok(&["edit", &jeanne, "--org", "Acme", "--title", "CTO"]);
    a.ok(&["note", &jeanne, "fifth, appended after an appended edit"]);

    let card = a.json(&["show", &jeanne]);
    let texts: Vec<&str> = card["interactions"]
        .as_array()
        .expect("show --json lists interactions")
        .iter()
        .filter_map(|i| i["text"].as_str())
        .collect();
    for n in ["first", "second", "third", "fourth", "fifth"] {
        assert_eq!(
            texts.iter().filter(|t| t.starts_with(n)).count(),
            1,
            "{n}: {texts:?}"
        );
    }
    assert_eq!(card["tags"], serde_json::json!(["met-twice", "vip"]));
    assert_eq!(
        (&card["org"], &card["title"]),
        (&"Acme".into(), &"CTO".into())
    );
    let log = a.ok(&["log", &jeanne]);
    assert_eq!(log.matches("log note interaction").count(), 5, "{log}");
    assert_eq!(log.matches("edit contact").count(), 3, "{log}");
    let check = a.ok(&["check"]);
    assert!(check.contains("intact"), "{check}");
    let counted = check
        .lines()
        .find(|l| l.trim_start().starts_with("interactions"))
        .and_then(|l| l.split_whitespace().last())
        .expect("check counts interactions");
    assert_eq!(counted, "5", "{check}");
}
