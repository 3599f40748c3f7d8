//! A private LAN for tests: network namespaces made by the test itself, so multicast never
//! reaches the machine's real interfaces. One "switch" namespace holds a bridge; each host
//! namespace has one veth into it (`eth0`, 10.213.0.<n+1>/24, IPv4 only) and its own `lo`.
//! Names carry the process id and a counter, so parallel tests and test runs never collide.
//! Everything is deleted on drop, also when the test fails.
//!
//! Shared by rapport-discovery's tests and the end-to-end tests in `tests/it` (which include
//! this file by path).

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A bridged LAN of host namespaces; deleted on drop.
#[derive(Debug)]
pub struct NetnsLan {
    /// Every namespace created so far (the switch first), for the cleanup.
    created: Vec<String>,
    pub hosts: Vec<NetnsHost>,
}

#[derive(Debug, Clone)]
pub struct NetnsHost {
    pub ns: String,
    pub ip: Ipv4Addr,
}

impl NetnsHost {
    /// `program args...` run inside this host's namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.ns]).arg(program);
        cmd
    }
}

impl NetnsLan {
    /// Creates `hosts` hosts on one bridge. `Err` says why this machine cannot (not root, no
    /// `ip`, no namespace support): the caller reports the test as skipped with that reason.
    pub fn create(hosts: usize) -> Result<NetnsLan, String> {
        remove_stale();
        let id = format!(
            "rapport-t{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut lan = NetnsLan {
            created: Vec::new(),
            hosts: Vec::new(),
        };
        let sw = format!("{id}-sw");
        lan.add_namespace(&sw)?;
        ip(&[
            "-n",
            &sw,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        for n in 0..hosts {
            let ns = format!("{id}-h{n}");
            lan.add_namespace(&ns)?;
            let port = format!("p{n}");
            ip(&[
                "-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &port, "netns",
                &sw,
            ])?;
            ip(&["-n", &sw, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &sw, "link", "set", &port, "up"])?;
            // IPv4 only: no IPv6 duplicate-address-detection delays, one address per host.
            run(Command::new("ip").args([
                "netns",
                "exec",
                &ns,
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6",
            ]))?;
            let addr = Ipv4Addr::new(10, 213, 0, u8::try_from(n + 1).map_err(|e| e.to_string())?);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                "eth0",
            ])?;
            ip(&["-n", &ns, "link", "set", "eth0", "multicast", "on", "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            lan.hosts.push(NetnsHost { ns, ip: addr });
        }
        Ok(lan)
    }

    fn add_namespace(&mut self, name: &str) -> Result<(), String> {
        ip(&["netns", "add", name])?;
        self.created.push(name.to_owned());
        Ok(())
    }
}

impl Drop for NetnsLan {
    fn drop(&mut self) {
        // Hosts first: deleting a host's namespace removes its veth pair from the bridge too.
        for ns in self.created.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

/// Deletes namespaces left by test processes that died before their cleanup ran (SIGKILL):
/// ours are named `rapport-t<pid>-...`, so one whose process is gone is garbage.
pub fn remove_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let pid = name
            .strip_prefix("rapport-t")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = Command::new("ip").args(["netns", "del", name]).output();
            }
        }
    }
}

/// Runs `ip ARGS...`; the error says what failed.
pub fn ip(args: &[&str]) -> Result<(), String> {
    run(Command::new("ip").args(args))
}

/// Runs a set-up command to success; the error names a program that is not installed.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("`{}` is not installed", cmd.get_program().to_string_lossy())
        }
        _ => format!("could not run {cmd:?}: {e}"),
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
