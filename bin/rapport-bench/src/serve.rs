//! Real `rapport serve` daemons and the small helpers that drive the binary around them, shared
//! by the suites that run whole processes on loopback (`pair`, `daemon`).

use crate::rapport_cli::Rapport;
use crate::w1;
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rapport_model::DeviceId;
use rapport_store::Store;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A `rapport serve` on 127.0.0.1 without discovery, killed when dropped.
pub struct Daemon {
    child: Child,
    pub addr: String,
    pub log: PathBuf,
}

impl Daemon {
    /// Starts the daemon and waits for the line that names its address.
    pub fn start(rapport: &Rapport, home: &Path, log: &Path) -> Result<Daemon> {
        Daemon::start_with_env(rapport, home, log, &[])
    }

    /// The same, with extra environment variables for the daemon.
    pub fn start_with_env(
        rapport: &Rapport,
        home: &Path,
        log: &Path,
        env: &[(&str, String)],
    ) -> Result<Daemon> {
        Ok(Daemon::spawn(rapport, home, log, &[], env)?.0)
    }

    /// The same with its web app on a free loopback port, and that app's `HOST:PORT`.
    pub fn start_with_ui(
        rapport: &Rapport,
        home: &Path,
        log: &Path,
        env: &[(&str, String)],
    ) -> Result<(Daemon, String)> {
        let (daemon, ui) = Daemon::spawn(rapport, home, log, &["--ui", "127.0.0.1:0"], env)?;
        Ok((
            daemon,
            ui.context("`rapport serve` did not print its web app's address")?,
        ))
    }

    /// Spawns `serve` and reads what it announces: its address on the first line and, when
    /// `extra` asks for a web app, the `web app on http://…` line after it.
    fn spawn(
        rapport: &Rapport,
        home: &Path,
        log: &Path,
        extra: &[&str],
        env: &[(&str, String)],
    ) -> Result<(Daemon, Option<String>)> {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--no-discovery"];
        args.extend_from_slice(extra);
        let mut child = rapport
            .command(home, &args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().context("piped")?).lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        let addr = first
            .trim()
            .rsplit(' ')
            .next()
            .context("serve printed no address")?
            .to_owned();
        let mut ui = None;
        if extra.contains(&"--ui") {
            for line in lines.by_ref().take(4) {
                if let Some(rest) = line?.strip_prefix("web app on http://") {
                    ui = rest.split(' ').next().map(str::to_owned);
                    break;
                }
            }
        }
        let daemon = Daemon {
            child,
            addr,
            log: log.to_owned(),
        };
        Ok((daemon, ui))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to completion; its stdout, or an error with its stderr.
pub fn output(mut cmd: std::process::Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Polls `f` every 20 ms until it says yes, for at most 30 s.
pub fn wait_for(mut f: impl FnMut() -> Result<bool>, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f().unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("timed out waiting for {what}")
}

/// The id that `rapport device` prints for `home` (making the identity if it is new).
pub fn device_id(rapport: &Rapport, home: &Path) -> Result<DeviceId> {
    let json = rapport.json(home, &["device", "--json"])?;
    let id = json["id"]
        .as_str()
        .context("`rapport device --json` printed no id")?;
    id.parse()
        .with_context(|| format!("`{id}` is not a device id"))
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Writes `contacts` seeded contacts (10 interactions each) into `home`'s vault in one batch,
/// in-process, with no daemon running on it.
pub fn fill(home: &Path, device: DeviceId, seed: u64, contacts: usize) -> Result<()> {
    let w = rapport_workload::generate(seed, contacts, 10);
    let prepared = w1::prepare(&w, &mut StdRng::seed_from_u64(seed))?;
    write(home, device, &prepared, |_| Ok(()))
}

/// Writes prepared contacts into `home`'s vault in one batch, then whatever `more` writes
/// (each its own commit), and commits it all durably, in-process, with no daemon on it.
pub fn write(
    home: &Path,
    device: DeviceId,
    prepared: &[w1::PreparedContact],
    more: impl FnOnce(&mut rapport_model::Vault) -> Result<()>,
) -> Result<()> {
    let store = Store::open(&home.join("store")).context("opening the store")?;
    let mut vault = store.load_vault(device)?;
    w1::write_batch(&mut vault, prepared, now_ms())?;
    more(&mut vault)?;
    let touched = vault.take_touched();
    store.commit(&mut vault, &touched)?;
    store.close()?;
    Ok(())
}
