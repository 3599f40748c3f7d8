//! A small internet in network namespaces that the NAT tests create (never the real
//! interfaces): a "wan" namespace whose bridge stands for the internet and holds the relay's
//! address, two routers that masquerade with nftables, and one host behind each router.
//!
//! ```text
//!   h0 192.168.1.2 -- 192.168.1.1 r0 203.0.113.10 --+
//!                                                   br0 203.0.113.1 (wan: the relay)
//!   h1 192.168.2.2 -- 192.168.2.1 r1 203.0.113.11 --+
//! ```
//!
//! IP forwarding is switched on inside the two router namespaces only. Names carry
//! `rapport-t<pid>-`, like the LAN tests' namespaces, so a run killed before its cleanup is
//! swept by the next one; everything is deleted on drop, also when the test fails.

use crate::netns::{ip, remove_stale, run};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The relay's address on the "internet" (TEST-NET-3, routed nowhere real).
pub const RELAY_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
/// The relay's fixed HTTP port: a fixed port lets the test kill it and bring it back at the
/// URL the vault names.
pub const RELAY_PORT: u16 = 3340;

/// The namespaces of one topology; deleted on drop.
#[derive(Debug)]
pub struct NatLab {
    created: Vec<String>,
    pub wan: String,
    pub routers: [String; 2],
    pub hosts: [String; 2],
}

/// How the routers translate: plain masquerade keeps a host's source port when it can (so a
/// hole punched to one peer is the mapping that peer sees), `fully-random` draws a new port
/// for every destination (a symmetric NAT: hole punching cannot work through it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nat {
    Masquerade,
    FullyRandom,
}

impl NatLab {
    /// Builds the topology with plain masquerade. `Err` says why this machine cannot (not
    /// root, a tool missing): the caller skips, or fails under `CI=true`.
    pub fn create() -> Result<NatLab, String> {
        for (tool, args) in [
            ("ip", &["-V"][..]),
            ("nft", &["--version"][..]),
            ("tc", &["-V"][..]),
            ("tcpdump", &["--version"][..]),
        ] {
            match Command::new(tool).args(args).output() {
                Ok(out) if out.status.success() => {}
                _ => {
                    return Err(format!(
                        "`{tool}` is missing (apt-get install iproute2 nftables tcpdump)"
                    ))
                }
            }
        }
        remove_stale();
        let id = format!(
            "rapport-t{}-n{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut lab = NatLab {
            created: Vec::new(),
            wan: format!("{id}-wan"),
            routers: [format!("{id}-r0"), format!("{id}-r1")],
            hosts: [format!("{id}-h0"), format!("{id}-h1")],
        };
        let wan = lab.wan.clone();
        lab.add_namespace(&wan)?;
        ip(&["-n", &wan, "link", "add", "br0", "type", "bridge"])?;
        ip(&[
            "-n",
            &wan,
            "addr",
            "add",
            &format!("{RELAY_IP}/24"),
            "dev",
            "br0",
        ])?;
        ip(&["-n", &wan, "link", "set", "br0", "up"])?;
        for n in 0..2 {
            let (r, h) = (lab.routers[n].clone(), lab.hosts[n].clone());
            lab.add_namespace(&r)?;
            lab.add_namespace(&h)?;
            let port = format!("p{n}");
            ip(&[
                "-n", &r, "link", "add", "wan0", "type", "veth", "peer", "name", &port, "netns",
                &wan,
            ])?;
            ip(&["-n", &wan, "link", "set", &port, "master", "br0", "up"])?;
            ip(&[
                "-n",
                &r,
                "addr",
                "add",
                &format!("203.0.113.{}/24", 10 + n),
                "dev",
                "wan0",
            ])?;
            ip(&[
                "-n", &r, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns",
                &h,
            ])?;
            ip(&[
                "-n",
                &r,
                "addr",
                "add",
                &format!("192.168.{}.1/24", n + 1),
                "dev",
                "lan0",
            ])?;
            ip(&[
                "-n",
                &h,
                "addr",
                "add",
                &format!("192.168.{}.2/24", n + 1),
                "dev",
                "eth0",
            ])?;
            for (ns, dev) in [
                (&r, "wan0"),
                (&r, "lan0"),
                (&r, "lo"),
                (&h, "eth0"),
                (&h, "lo"),
            ] {
                ip(&["-n", ns, "link", "set", dev, "up"])?;
            }
            ip(&[
                "-n",
                &h,
                "route",
                "add",
                "default",
                "via",
                &format!("192.168.{}.1", n + 1),
            ])?;
            // Forwarding in this router's namespace only; the machine's own setting is untouched.
            run(lab
                .exec(&r, "sysctl")
                .args(["-qw", "net.ipv4.ip_forward=1"]))?;
        }
        lab.nat(Nat::Masquerade)?;
        Ok(lab)
    }

    fn add_namespace(&mut self, name: &str) -> Result<(), String> {
        ip(&["netns", "add", name])?;
        self.created.push(name.to_owned());
        Ok(())
    }

    /// `program` run inside namespace `ns` (`ip netns exec` execs it, so killing the child
    /// kills the program itself).
    pub fn exec(&self, ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).arg(program);
        cmd
    }

    /// Sets how both routers translate, replacing the rules. Flows that already exist keep
    /// their mappings (conntrack): restart the daemons so that theirs are new.
    pub fn nat(&self, nat: Nat) -> Result<(), String> {
        let how = match nat {
            Nat::Masquerade => "masquerade",
            Nat::FullyRandom => "masquerade fully-random",
        };
        // As a home router does, the router drops what arrives from the internet unasked:
        // left to reach the router's own stack, an early punch packet would be answered and
        // its conntrack entry would take the very mapping the punch needs.
        let rules = format!(
            "table ip nat {{\n chain post {{\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname \"wan0\" {how}\n }}\n chain input {{\n  type filter hook input priority filter; policy accept;\n  iifname \"wan0\" ct state new drop\n }}\n}}\n"
        );
        for r in &self.routers {
            let _ = self
                .exec(r, "nft")
                .args(["delete", "table", "ip", "nat"])
                .output();
            let mut child = self
                .exec(r, "nft")
                .args(["-f", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("nft: {e}"))?;
            if let Some(mut stdin) = child.stdin.take() {
                std::io::Write::write_all(&mut stdin, rules.as_bytes())
                    .map_err(|e| e.to_string())?;
            }
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "nft in {r}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        Ok(())
    }

    /// Limits the link from the internet to router `n` to `rate` (a `tc` rate such as
    /// `32kbit`), so that a transfer takes long enough to be cut in the middle; `None` lifts
    /// the limit.
    pub fn limit_rate(&self, n: usize, rate: Option<&str>) -> Result<(), String> {
        let port = format!("p{n}");
        let mut tc = self.exec(&self.wan, "tc");
        match rate {
            Some(rate) => tc.args([
                "qdisc", "replace", "dev", &port, "root", "tbf", "rate", rate, "burst", "16kb",
                "latency", "10s",
            ]),
            None => tc.args(["qdisc", "del", "dev", &port, "root"]),
        };
        run(&mut tc)
    }

    /// Starts the relay inside the wan namespace, serving `http://RELAY_IP:RELAY_PORT`, with
    /// QUIC address discovery on `RELAY_IP:7842` under a certificate of its own (the same
    /// one each time it starts: `certificate_pem`).
    pub fn start_relay(&self) -> Result<rapport_net::test_relay::TestRelay, String> {
        let wan = self.wan.clone();
        std::thread::spawn(move || {
            // This thread alone enters the namespace; the relay's runtime threads are created
            // by it, so every socket of the relay lives in the wan namespace.
            enter(&wan)?;
            rapport_net::test_relay::TestRelay::start_at(
                SocketAddr::from((RELAY_IP, RELAY_PORT)),
                true,
            )
            .map_err(|e| e.to_string())
        })
        .join()
        .map_err(|_| "the relay thread panicked".to_owned())?
    }

    /// Starts capturing every packet that crosses the internet bridge into `file`.
    pub fn capture(&self, file: &Path) -> Result<Capture, String> {
        let mut child = self
            .exec(&self.wan, "tcpdump")
            // --immediate-mode: packets reach tcpdump at once, not in blocks that a stop would
            // leave unread; -U: each is written at once; -Z root: Debian's tcpdump drops to
            // its own user, which could not write here.
            .args([
                "-i",
                "br0",
                "-n",
                "-s",
                "0",
                "--immediate-mode",
                "-U",
                "-Z",
                "root",
                "-w",
            ])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("tcpdump: {e}"))?;
        // Packets count only once tcpdump says it listens.
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        let capture = Capture(child);
        rx.recv_timeout(Duration::from_secs(10))
            .map_err(|_| "tcpdump never said it was listening".to_owned())?;
        Ok(capture)
    }
}

impl Drop for NatLab {
    fn drop(&mut self) {
        for ns in self.created.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

/// A running tcpdump; stopped (and its file complete) when dropped or `stop`ped.
pub struct Capture(Child);

impl Capture {
    /// Stops tcpdump with SIGINT, so that it writes what it holds, and waits for it (at
    /// most 5 s, then SIGKILL).
    pub fn stop(mut self) {
        std::thread::sleep(Duration::from_millis(300));
        // `kill` via the command line keeps `unsafe` out of the tests.
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Moves the calling thread into network namespace `ns` (setns(2)).
pub fn enter(ns: &str) -> Result<(), String> {
    let file = std::fs::File::open(Path::new("/run/netns").join(ns))
        .map_err(|e| format!("opening namespace {ns}: {e}"))?;
    rustix::thread::move_into_link_name_space(
        file.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(|e| format!("entering namespace {ns}: {e}"))
}

/// How many times `needle` occurs in `haystack`.
pub fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Polls `check` every 100 ms until it holds, at most `within`.
pub fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
