//! Child processes, timed and weighed: wall time from spawn to reaping, and peak resident memory
//! from `wait4`'s `ru_maxrss` (KiB on Linux). Also this process's own memory, from
//! `/proc/self/status`.
//!
//! Why a measurer process: Linux starts a child's `ru_maxrss` at the high-water mark of the
//! address space it replaced at `exec`, which for a spawned child is its parent's. A child of
//! this benchmark (which holds W1 and whole documents, close to 1 GiB) would report that as its
//! own peak. So each measured command is run by a fresh, small copy of this executable
//! (`rapport-bench __measure`), which spawns the command, `wait4`s it and writes the figures to a
//! report file; the command's own stdout and stderr go where the caller asked.

use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand that runs [`measure_main`].
pub const MEASURE_SUBCOMMAND: &str = "__measure";

/// Arguments of the measurer: `__measure --report FILE -- PROGRAM ARGS...`.
#[derive(Debug, clap::Args)]
pub struct MeasureArgs {
    /// Where to write "wall_ns max_rss_kib raw_status".
    #[arg(long)]
    report: PathBuf,
    /// The command to run.
    #[arg(last = true, required = true)]
    command: Vec<OsString>,
}

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

/// Runs `cmd` to completion through a measurer process; fails, with the child's stderr, if it
/// does not exit with 0. Uses the program, arguments, environment changes and folder of `cmd`.
pub fn measure(cmd: &Command, stdout: Stdout) -> Result<Measured> {
    let report = tempfile::NamedTempFile::new()?;
    let mut measurer = Command::new(std::env::current_exe()?);
    measurer
        .arg(MEASURE_SUBCOMMAND)
        .arg("--report")
        .arg(report.path())
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => measurer.env(k, v),
            None => measurer.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        measurer.current_dir(dir);
    }
    let mut err = tempfile::tempfile()?;
    let mut out = match stdout {
        Stdout::Capture => Some(tempfile::tempfile()?),
        Stdout::Discard => None,
    };
    measurer
        .stdin(Stdio::null())
        .stderr(Stdio::from(err.try_clone()?))
        .stdout(match &out {
            Some(f) => Stdio::from(f.try_clone()?),
            None => Stdio::null(),
        });
    let status = measurer
        .status()
        .with_context(|| format!("could not start {measurer:?}"))?;
    if !status.success() {
        bail!(
            "the measurer of {cmd:?} failed ({status}): {}",
            read_all(&mut err)?.trim()
        );
    }
    let line = std::fs::read_to_string(report.path())?;
    let fields: Vec<i64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("bad measurer report `{line}`"))?;
    let [wall_ns, rss, raw] = fields[..] else {
        bail!("bad measurer report `{line}`");
    };
    let child = ExitStatus::from_raw(i32::try_from(raw)?);
    if !child.success() {
        bail!("{cmd:?} failed ({child}): {}", read_all(&mut err)?.trim());
    }
    Ok(Measured {
        wall: Duration::from_nanos(u64::try_from(wall_ns)?),
        max_rss_kib: u64::try_from(rss)?,
        stdout: match &mut out {
            Some(f) => read_all(f)?.into_bytes(),
            None => Vec::new(),
        },
    })
}

/// The measurer: runs the command with this process's stdio and writes its figures.
pub fn measure_main(args: &MeasureArgs) -> Result<()> {
    let (program, rest) = args
        .command
        .split_first()
        .context("no command to measure")?;
    let mut cmd = Command::new(program);
    cmd.args(rest);
    let (status, wall, rss) = spawn_wait(&mut cmd)?;
    let line = format!("{} {} {}\n", wall.as_nanos(), rss, status.into_raw());
    std::fs::write(&args.report, line).context("writing the measurer report")
}

/// Spawns `cmd` and reaps it with `wait4`: its exit status, wall time and peak RSS (KiB). The
/// peak is only the child's own if this process is small (see the module documentation).
fn spawn_wait(cmd: &mut Command) -> Result<(ExitStatus, Duration, u64)> {
    let start = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("could not start {cmd:?}"))?;
    let pid = libc::pid_t::try_from(child.id()).context("child pid out of range")?;
    let (status, rss) = wait4(pid)?;
    let wall = start.elapsed();
    // Reaped by wait4: the handle must not be waited on again (dropping it does not wait).
    drop(child);
    Ok((status, wall, rss))
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
    status_kib("self", field)
}

/// The same field of another process (`pid`), such as a daemon under test.
pub fn status_kib(pid: &str, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
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

    // `measure` re-runs the current executable as the measurer, which a test binary is not;
    // the real run exercises it. These cover the parts it is built from.

    #[test]
    fn spawn_wait_reports_status_time_and_peak_rss() {
        let (status, wall, rss) = spawn_wait(Command::new("true").stdout(Stdio::null())).unwrap();
        assert!(status.success());
        assert!(wall > Duration::ZERO);
        assert!(rss > 0);
        let (status, _, _) = spawn_wait(Command::new("sh").args(["-c", "exit 3"])).unwrap();
        assert_eq!(status.code(), Some(3));
    }

    #[test]
    fn reads_its_own_memory() {
        assert!(self_status_kib("VmRSS").unwrap() > 0);
        assert!(self_status_kib("VmHWM").unwrap() > 0);
    }
}
