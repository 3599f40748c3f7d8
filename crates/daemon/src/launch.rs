//! Finding the web app of a home's daemon, for `rapport ui`, and starting `rapport serve` in the
//! background when none runs. The daemon writes the app's address to `ui-address` in the data
//! folder (owner-only) while it serves.

use crate::DaemonError;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a daemon started for `rapport ui` may take to serve its app (a W30 vault loads in
/// seconds on a slow disk).
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn address_path(home: &Path) -> PathBuf {
    home.join("ui-address")
}

/// Where the web app of a home is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub addr: SocketAddr,
    /// Set when no daemon ran and one was started in the background: its log.
    pub started_with_log: Option<PathBuf>,
}

/// The web app of `home`'s daemon, starting `rapport serve` (this same program) in the
/// background when no daemon runs there.
pub fn web_app(home: &Path) -> Result<Served, DaemonError> {
    if let Some(addr) = running_app(home)? {
        return Ok(Served {
            addr,
            started_with_log: None,
        });
    }
    start_daemon(home)
}

fn running_app(home: &Path) -> Result<Option<SocketAddr>, DaemonError> {
    let daemon_up =
        std::os::unix::net::UnixStream::connect(crate::client::socket_path(home)).is_ok();
    if !daemon_up {
        return Ok(None);
    }
    match std::fs::read_to_string(address_path(home))
        .ok()
        .and_then(|s| s.trim().parse::<SocketAddr>().ok())
    {
        Some(addr) if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok() => {
            Ok(Some(addr))
        }
        _ => Err(DaemonError::Launch(
            "the running `rapport serve` does not serve the web app (started with --no-ui?): stop it and run `rapport serve` or `rapport ui`".into(),
        )),
    }
}

fn start_daemon(home: &Path) -> Result<Served, DaemonError> {
    if !home.join("store").exists() {
        return Err(DaemonError::Launch(format!(
            "there is no Rapport device at {}: run `rapport init` to create one, or pass --home",
            home.display()
        )));
    }
    let _ = std::fs::remove_file(address_path(home));
    let log_path = home.join("daemon.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(DaemonError::file(log_path.clone()))?;
    let exe = std::env::current_exe().map_err(|e| {
        DaemonError::Launch(format!(
            "could not find the rapport program to start ({e}): run `rapport serve` yourself, then `rapport ui`"
        ))
    })?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--home")
        .arg(home)
        .arg("serve")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: Ctrl-C in the terminal of `rapport ui` leaves it running.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(|e| {
        DaemonError::Launch(format!(
            "could not start `rapport serve` ({e}): run it yourself, then `rapport ui`"
        ))
    })?;
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Err(DaemonError::Launch(format!(
                "`rapport serve` stopped at once ({status}): see {} for why",
                log_path.display()
            )));
        }
        if let Ok(Some(addr)) = running_app(home) {
            return Ok(Served {
                addr,
                started_with_log: Some(log_path),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(DaemonError::Launch(format!(
        "`rapport serve` did not start its web app within {} s: see {}",
        START_TIMEOUT.as_secs(),
        log_path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_a_device_says_to_init_and_starts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let e = web_app(dir.path()).unwrap_err();
        assert!(e.to_string().contains("run `rapport init`"), "{e}");
        assert!(
            !dir.path().join("daemon.log").exists(),
            "no daemon was started"
        );
    }
}
