//! Child processes, timed and weighed: wall time from spawn to reaping, and peak resident memory
//! from `wait4`'s `ru_maxrss` (KiB on Linux). Also this process's own memory, from
//! `/proc/self/status`.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Where a measured child's stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// `/dev/null`: for timings.
    Discard,
    /// A temporary file, read back after the child exits (no pipe to drain while it runs).
    Capture,
}

/// One finished child.
#[derive(Debug)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set of the child, in KiB.
    pub max_rss_kib: u64,
    /// Empty unless captured.
    pub stdout: Vec<u8>,
}

/// Runs `cmd` to completion; fails, with the child's stderr, if it does not exit with 0.
pub fn measure(cmd: &mut Command, stdout: Stdout) -> Result<Measured> {
    let mut err = tempfile::tempfile()?;
    let mut out = match stdout {
        Stdout::Capture => Some(tempfile::tempfile()?),
        Stdout::Discard => None,
    };
    cmd.stdin(Stdio::null())
        .stderr(Stdio::from(err.try_clone()?))
        .stdout(match &out {
            Some(f) => Stdio::from(f.try_clone()?),
            None => Stdio::null(),
        });
    let start = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("could not start {cmd:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("child pid out of range")?;
    let (status, max_rss_kib) = wait4(pid)?;
    let wall = start.elapsed();
    // Reaped by wait4: the handle must not be waited on again (dropping it does not wait).
    drop(child);
    if !status.success() {
        bail!("{cmd:?} failed ({status}): {}", read_all(&mut err)?.trim());
    }
    let stdout = match &mut out {
        Some(f) => read_all(f)?.into_bytes(),
        None => Vec::new(),
    };
    Ok(Measured {
        wall,
        max_rss_kib,
        stdout,
    })
}

fn read_all(f: &mut File) -> Result<String> {
    let mut s = String::new();
    f.seek(SeekFrom::Start(0))?;
    f.read_to_string(&mut s)?;
    Ok(s)
}

/// Waits for one child and returns its exit status and peak RSS (KiB).
#[allow(unsafe_code)] // the workspace denies unsafe code; wait4 has no safe wrapper in std.
fn wait4(pid: libc::pid_t) -> Result<(ExitStatus, u64)> {
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child that nothing else reaps; both pointers are to live
        // locals of the right types, which wait4 only writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            let rss = u64::try_from(usage.ru_maxrss).unwrap_or(0);
            return Ok((ExitStatus::from_raw(status), rss));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e).context("wait4");
        }
    }
}

/// A `kB` field of `/proc/self/status`, such as `VmRSS` or `VmHWM` (peak RSS), in KiB.
pub fn self_status_kib(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .with_context(|| format!("no {field} in /proc/self/status"))
}

/// Resets this process's peak RSS (`VmHWM`) to its current RSS, so that the next reading is the
/// peak of what runs in between. Linux ≥ 4.0; false if the kernel refused.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs `f` and returns its result with the peak RSS it added over the RSS before it, in KiB,
/// if the peak could be reset.
pub fn peak_rss_of<T>(f: impl FnOnce() -> T) -> (T, Option<u64>) {
    let before = self_status_kib("VmRSS").ok();
    let reset = reset_peak_rss();
    let out = f();
    let peak = self_status_kib("VmHWM").ok();
    match (reset, before, peak) {
        (true, Some(b), Some(p)) => (out, Some(p.saturating_sub(b))),
        _ => (out, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_child_and_captures_its_output() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo hello"]);
        let m = measure(&mut cmd, Stdout::Capture).unwrap();
        assert_eq!(m.stdout, b"hello\n");
        assert!(m.max_rss_kib > 0);
        let mut fail = Command::new("sh");
        fail.args(["-c", "echo nope >&2; exit 3"]);
        let e = measure(&mut fail, Stdout::Discard).unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
    }

    #[test]
    fn reads_its_own_memory() {
        assert!(self_status_kib("VmRSS").unwrap() > 0);
        assert!(self_status_kib("VmHWM").unwrap() > 0);
    }
}
