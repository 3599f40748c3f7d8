//! The sync node as users meet it: changes relayed through a device that neither end can
//! reach directly (a star and a chain of daemons), and a device whose `sync` was killed
//! mid-session reconnecting at once. Every daemon binds 127.0.0.1 with discovery off.

use crate::daemon::{clone_from, device_id, family, Daemon};
use crate::support::Home;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The interaction ids `home` shows for `contact` (read through its daemon).
fn notes_of(home: &Home, contact: &str) -> Vec<String> {
    home.json(&["show", contact])["interactions"]
        .as_array()
        .expect("interactions")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

/// Polls until `home` shows `note` on `contact`; how long that took, or `None` by `within`.
fn arrives(home: &Home, contact: &str, note: &str, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if notes_of(home, contact).iter().any(|n| n == note) {
            return Some(started.elapsed());
        }
        if started.elapsed() > within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_note_from_one_spoke_reaches_the_other_through_the_hub() {
    // The laptop serves; the phone and the desktop cloned from it, so each knows only the
    // laptop's address, and each serves too.
    let (laptop, spokes) = family(2);
    let laptop_id = device_id(&laptop);
    let jeanne = laptop.id(&["add", "Jeanne Yocum"]);
    let _hub = Daemon::start(&laptop);
    for s in &spokes {
        clone_from(&_hub, &laptop_id, s);
    }
    let (phone, desktop) = (&spokes[0], &spokes[1]);
    let _dp = Daemon::start(phone);
    let _dd = Daemon::start(desktop);
    // Both spokes are connected once a note from the hub has reached them.
    let hello = laptop.id(&["note", &jeanne, "from the laptop"]);
    for s in &spokes {
        assert!(
            arrives(s, &jeanne, &hello, Duration::from_secs(15)).is_some(),
            "the spokes never connected to the hub"
        );
    }
    for (from, to, text) in [
        (phone, desktop, "from the phone"),
        (desktop, phone, "from the desktop"),
    ] {
        let note = from.id(&["note", &jeanne, text]);
        let took = arrives(to, &jeanne, &note, Duration::from_secs(1));
        assert!(
            took.is_some(),
            "the note `{text}` did not reach the other spoke within 1 s"
        );
        eprintln!("`{text}` reached the other spoke in {took:?}");
    }
}

#[test]
fn a_note_travels_the_length_of_a_chain_of_four_devices() {
    // A - B - C - D: each device cloned from its left neighbour and knows only its address.
    let (a, others) = family(3);
    let a_id = device_id(&a);
    let jeanne = a.id(&["add", "Jeanne Yocum"]);
    let mut daemons = vec![Daemon::start(&a)];
    let mut left_id = a_id;
    for o in &others {
        clone_from(daemons.last().expect("a daemon"), &left_id, o);
        daemons.push(Daemon::start(o));
        left_id = device_id(o);
    }
    let d = &others[2];
    let from_a = a.id(&["note", &jeanne, "from one end"]);
    let took = arrives(d, &jeanne, &from_a, Duration::from_secs(20));
    assert!(took.is_some(), "A's note never reached D");
    let from_d = d.id(&["note", &jeanne, "from the other end"]);
    let back = arrives(&a, &jeanne, &from_d, Duration::from_secs(5));
    assert!(back.is_some(), "D's note never reached A");
    eprintln!("A -> D {took:?} (connections included), D -> A {back:?}");
}

/// `rapport serve` with its log (stderr) read line by line.
struct LoggedDaemon {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl LoggedDaemon {
    fn start(home: &Home) -> LoggedDaemon {
        let mut child = home
            .command(&["serve", "--listen", "127.0.0.1:0", "--no-discovery"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rapport serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("serve prints its address");
        let addr = first.trim().rsplit(' ').next().expect("ADDR").to_owned();
        let (tx, log) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        LoggedDaemon {
            child,
            addr,
            log,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a log line containing `what`.
    fn wait_for(&mut self, what: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(what);
                    self.seen.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    fn drain(&mut self) -> String {
        while let Ok(line) = self.log.try_recv() {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

impl Drop for LoggedDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text that does not compress: the vault must really carry it.
fn noise(seed: u64, len: usize) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

#[test]
fn a_device_whose_syncs_were_killed_mid_session_reconnects_at_once() {
    let seed = crate::support::Seed::for_test(
        "a_device_whose_syncs_were_killed_mid_session_reconnects_at_once",
    );
    let (a, others) = family(1);
    let b = &others[0];
    let a_id = device_id(&a);
    a.id(&["add", "First"]);
    {
        let d = Daemon::start(&a);
        clone_from(&d, &a_id, b);
    }
    // What B lacks is big, so each of B's syncs is still receiving when it is killed (and
    // since a killed sync stores nothing, every attempt starts over).
    // (A note may hold at most 64 KiB.)
    for i in 0..40 {
        a.id(&[
            "add",
            &format!("Big {i}"),
            "--notes",
            &noise(seed.value ^ i, 60_000),
        ]);
    }
    let mut d = LoggedDaemon::start(&a);
    // More killed syncs than the per-device session limit (3).
    for attempt in 0..5 {
        let mut sync = b
            .command(&["sync", "--addr", &d.addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sync starts");
        let started = d.wait_for(" connected", Duration::from_secs(10));
        let _ = sync.kill(); // SIGKILL, mid-session
        let _ = sync.wait();
        assert!(
            started,
            "attempt {attempt}: no session started\n{}",
            d.drain()
        );
    }
    let started = Instant::now();
    let run = b.run_within(&["sync", "--addr", &d.addr], Duration::from_secs(20));
    let run = run.unwrap_or_else(|r| panic!("the sync hung:\n{}", r.describe()));
    assert!(
        run.success(),
        "the device was not let back in after its killed syncs:\n{}\n--- daemon log ---\n{}",
        run.describe(),
        d.drain()
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "it waited {:?} (for the idle timeout?)",
        started.elapsed()
    );
    let log = d.drain();
    assert!(
        log.contains("replaced a stale session"),
        "no killed sync left a stale session, so this tested nothing:\n{log}"
    );
    assert_eq!(
        b.json(&["list"]).as_array().map(Vec::len),
        Some(41),
        "B holds every contact"
    );
}
