//! Two `rapport serve` daemons of one vault, each in a network namespace of its own on a
//! private bridged LAN that the test creates (multicast never reaches the machine's real
//! interfaces), find each other by mDNS with no address given, and sync; and `join CODE` with
//! no `--addr` finds `rapport pair` (alone or through its daemon) there by the code's
//! nameplate. Skipped, saying why, where namespaces cannot be made.

use crate::netns::{NetnsHost, NetnsLan};
use crate::support::Home;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process killed (and reaped) when dropped, so no daemon outlives its namespace.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rapport --home HOME args...`, with the test's environment, inside `host`'s namespace.
/// `ip netns exec` execs rapport itself, so killing the child kills rapport (no wrapper
/// process that would leave it running, holding the store's lock).
fn in_namespace(host: &NetnsHost, home: &Home, args: &[&str]) -> Command {
    let plain = home.command(args);
    let mut cmd = host.command(plain.get_program());
    cmd.args(plain.get_args());
    cmd.env_remove("RAPPORT_HOME");
    for (key, value) in plain.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    // Inside the test's own namespaces, discovery is what is being tested.
    cmd.env_remove("RAPPORT_NO_DISCOVERY");
    cmd.stdin(Stdio::null());
    cmd
}

fn serve(host: &NetnsHost, home: &Home) -> (Running, String) {
    let mut child = in_namespace(host, home, &["serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("serving vault"), "serve said {first:?}");
    (Running(child), first)
}

fn device_id(home: &Home) -> String {
    home.json(&["device"])["id"].as_str().unwrap().to_owned()
}

/// A private LAN of `hosts` network namespaces; `None` (the test is skipped, and says so) only
/// outside CI: `.ci/run` installs iproute2, so in CI a missing LAN is a failure.
fn lan_or_skip(hosts: usize) -> Option<NetnsLan> {
    match NetnsLan::create(hosts) {
        Ok(lan) => Some(lan),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("cannot build a private LAN of network namespaces in CI: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: cannot build a private LAN of network namespaces: {reason}");
            None
        }
    }
}

#[test]
fn two_daemons_of_a_vault_find_each_other_on_the_lan_and_sync() {
    let Some(lan) = lan_or_skip(2) else { return };
    let (a, b) = (Home::init(), Home::empty());
    let b_id = device_id(&b);
    a.ok(&["devices", "add", &b_id, "--name", "phone"]);
    // B fetches the vault over loopback, inside A's namespace (nothing on any real interface);
    // the address B remembers for A (127.0.0.1) is then useless from B's own namespace.
    {
        let (_daemon, line) = serve_on_loopback(&lan.hosts[0], &a);
        let addr = line.trim().rsplit(' ').next().unwrap().to_owned();
        let a_id = device_id_of_line(&line);
        let clone = in_namespace(&lan.hosts[0], &b, &["clone", &addr, "--id", &a_id]);
        let run = crate::support::run_command(clone, vec!["clone".to_owned()]);
        assert!(run.success(), "{}", run.describe());
    }

    let started = Instant::now();
    let (mut a_daemon, _) = serve(&lan.hosts[0], &a);
    let (mut b_daemon, _) = serve(&lan.hosts[1], &b);
    // Through A's daemon (its Unix socket is a file, reachable from any namespace).
    let id = a.id(&["add", "Dana Found-On-The-Lan"]);
    let deadline = started + Duration::from_secs(20);
    let a_lan_addr = format!("{}:7447", lan.hosts[0].ip);
    let (mut arrived, mut remembered, mut status) = (None, None, serde_json::Value::Null);
    while Instant::now() < deadline && (arrived.is_none() || remembered.is_none()) {
        if arrived.is_none() && b.json(&["list"]).to_string().contains(&id) {
            arrived = Some(started.elapsed());
        }
        status = b.json(&["status"]);
        let a_row = status.as_array().unwrap().iter().find(|r| {
            r["address"].as_str() == Some(a_lan_addr.as_str()) && r["address_source"] == "lan"
        });
        if remembered.is_none() && a_row.is_some() {
            remembered = Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let stderr_of = |d: &mut Running| {
        let _ = d.0.kill();
        let _ = d.0.wait();
        let mut s = String::new();
        d.0.stderr.take().unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let (a_err, b_err) = (stderr_of(&mut a_daemon), stderr_of(&mut b_daemon));
    let context = format!("A said:\n{a_err}\nB said:\n{b_err}\nB's status: {status}");
    let arrived = arrived.unwrap_or_else(|| panic!("B never got A's contact.\n{context}"));
    let remembered = remembered.unwrap_or_else(|| {
        panic!("B does not remember A's LAN address ({a_lan_addr}, lan).\n{context}")
    });
    eprintln!(
        "contact synced {arrived:?} and A's address discovered by B {remembered:?} after both daemons started"
    );
    assert!(b_err.contains("on the local network"), "{context}");
    assert!(a_err.contains("on the local network"), "{context}");
}

/// A daemon of `home` on 127.0.0.1 inside `host`'s namespace, discovery off.
fn serve_on_loopback(host: &NetnsHost, home: &Home) -> (Running, String) {
    let mut child = in_namespace(
        host,
        home,
        &["serve", "--listen", "127.0.0.1:0", "--no-discovery"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("serving vault"), "serve said {first:?}");
    (Running(child), first)
}

/// The device id in `serving vault V as DEVICE on ADDR`.
fn device_id_of_line(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "as").unwrap();
    words[at + 1].to_owned()
}

// ---- pairing found on the LAN: `join CODE` with no --addr ----

/// A running `rapport pair --json` inside a namespace, whose first line has been read.
struct PairWindow {
    child: Option<Child>,
    code: String,
    addr: String,
}

impl PairWindow {
    /// `rapport pair` on `host`'s LAN address with discovery on (through A's daemon if one
    /// runs: the command is forwarded over the daemon's Unix socket).
    fn open(host: &NetnsHost, home: &Home) -> PairWindow {
        let listen = format!("{}:0", host.ip);
        let args = ["pair", "--listen", &listen, "--json", "--timeout", "60s"];
        let mut child = in_namespace(host, home, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut first)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("pair's first line is not JSON ({e}): {first:?}"));
        let addr = v["addresses"][0].as_str().unwrap().to_owned();
        assert!(addr.starts_with(&format!("{}:", host.ip)), "{first}");
        PairWindow {
            child: Some(child),
            code: v["code"].as_str().unwrap().to_owned(),
            addr,
        }
    }

    /// Waits (bounded) for `pair` to end; panics unless it reported success.
    fn succeeded(mut self) -> String {
        let child = self.child.take().unwrap();
        let ended = crate::support::wait_or_kill(child, Instant::now() + Duration::from_secs(15));
        let run = match ended {
            crate::support::Ended::Exited(run) => run,
            crate::support::Ended::Killed(run) => panic!("pair did not end:\n{}", run.describe()),
        };
        assert!(run.success(), "pair failed:\n{}", run.describe());
        run.stdout
    }
}

impl Drop for PairWindow {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `rapport join CODE` with no address, inside `host`'s namespace, bounded in time.
fn join_by_lan(host: &NetnsHost, home: &Home, code: &str, name: &str) -> crate::support::Run {
    let cmd = in_namespace(host, home, &["join", code, "--name", name]);
    crate::support::run_command(cmd, crate::support::owned(&["join", code]))
}

/// The same code with another nameplate: nobody announces that window.
fn other_nameplate(code: &str) -> String {
    let (n, words) = code.split_once('-').unwrap();
    let n: u16 = n.parse().unwrap();
    format!("{}-{words}", if n < 999 { n + 1 } else { n - 1 })
}

/// Checks that `joiner` holds A's vault (A's contact `contact`) and is in A's roster.
fn holds_the_vault(a: &Home, joiner: &Home, contact: &str) {
    let list = joiner.json(&["list"]).to_string();
    assert!(
        list.contains(contact),
        "the joiner lacks A's contact: {list}"
    );
    let id = device_id(joiner);
    let roster = a.json(&["devices"]);
    assert!(
        roster
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id.as_str()),
        "{id} is not in A's roster: {roster}"
    );
}

#[test]
fn join_finds_the_pairing_device_on_the_lan_with_or_without_its_daemon() {
    let Some(lan) = lan_or_skip(2) else { return };
    let (ha, hb) = (&lan.hosts[0], &lan.hosts[1]);
    let a = Home::init();
    let contact = a.id(&["add", "Lena Paired-On-The-Lan"]);

    // 1. `pair` as a process of its own; a joiner with a code of another nameplate (looking
    // at the same time) finds nothing and says what to do.
    let (b, stranger) = (Home::empty(), Home::empty());
    let w = PairWindow::open(ha, &a);
    let wrong = other_nameplate(&w.code);
    let lost = {
        let hb = hb.clone();
        let stranger_cmd = in_namespace(&hb, &stranger, &["join", &wrong]);
        std::thread::spawn(move || {
            crate::support::run_command(stranger_cmd, crate::support::owned(&["join", "WRONG"]))
        })
    };
    let started = Instant::now();
    let run = join_by_lan(hb, &b, &w.code, "phone");
    let joined = started.elapsed();
    assert!(
        run.success(),
        "join without --addr failed:\n{}",
        run.describe()
    );
    assert!(
        run.stdout.contains(&w.addr),
        "joined elsewhere:\n{}",
        run.describe()
    );
    let paired = w.succeeded();
    assert!(paired.contains("paired phone"), "{paired}");
    holds_the_vault(&a, &b, &contact);
    eprintln!(
        "join (no --addr) held the vault {joined:?} after it started: {}",
        run.stdout.trim()
    );

    // 2. The same through A's daemon (discovery on), the new device again found by nameplate.
    let (_daemon, _) = serve(ha, &a);
    let c = Home::empty();
    let w = PairWindow::open(ha, &a);
    let started = Instant::now();
    let run = join_by_lan(hb, &c, &w.code, "tablet");
    let joined = started.elapsed();
    assert!(
        run.success(),
        "join through A's daemon failed:\n{}",
        run.describe()
    );
    let paired = w.succeeded();
    assert!(paired.contains("paired tablet"), "{paired}");
    holds_the_vault(&a, &c, &contact);
    eprintln!("through the daemon: held the vault {joined:?} after join started");

    // The stranger of part 1, whose browse (10 s) overlapped part 2.
    let lost = lost.join().unwrap();
    crate::support::assert_clean_error(&lost);
    assert_eq!(lost.code(), Some(3), "not found: {}", lost.describe());
    let error = lost.stderr.lines().next().unwrap_or_default();
    assert!(
        error.contains("--addr") && error.contains("network"),
        "{}",
        lost.describe()
    );
}
