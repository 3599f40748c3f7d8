//! `rapport ui`, and the web app inside `rapport serve`.
//!
//! The daemon writes the app's address to `ui-address` in the data folder (owner-only) while it
//! serves. `rapport ui` reads it (starting `rapport serve` first if no daemon runs), writes a
//! one-time sign-in code, and opens the browser on a small owner-only redirect file that holds
//! the link: the code is never in any process's argv or the shell's history, and it is spent
//! the moment the browser uses it.

use anyhow::{bail, Context, Result};
use rapport_app::node_host::SharedReplica;
use rapport_model::DeviceId;
use rapport_web::auth::{new_once_code, write_owner_only};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long `rapport ui` waits for a daemon it started to serve the app (a W30 vault takes a
/// few seconds to load).
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn address_path(home: &Path) -> PathBuf {
    home.join("ui-address")
}

/// Starts the web app on `addr` inside the daemon; it runs until the task is aborted. `None`
/// when the address is taken (the daemon then serves without the app).
pub async fn start(
    home: &Path,
    addr: SocketAddr,
    replica: SharedReplica,
    device_name: String,
    device: DeviceId,
    no_discovery: bool,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let secrets = rapport_web::Secrets::load_or_create(home)?;
    let listener = match rapport_web::bind(addr).await {
        Ok(l) => l,
        // Another daemon (another home) may hold the default port: sync matters more than
        // the app, so serve on without it and say how to get it.
        Err(e @ rapport_web::ServeError::Bind { .. }) => {
            eprintln!("rapport: {e}; serving without the web app");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let local = listener.local_addr()?;
    write_owner_only(&address_path(home), local.to_string().as_bytes())
        .with_context(|| format!("could not write {}", address_path(home).display()))?;
    // Not `println!`: a caller that read only the first line (`serving vault ...`) may have
    // closed our stdout, and a failed write must not take the daemon down with it.
    let _ = writeln!(
        std::io::stdout(),
        "web app on http://{local} (`rapport ui` opens it signed in)"
    );
    let book = Arc::new(crate::web::book(
        replica,
        device_name,
        device.short(),
        no_discovery,
    ));
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = rapport_web::serve(listener, book, secrets, std::future::pending()).await {
            eprintln!("rapport: {e}");
        }
    })))
}

/// `rapport ui [--no-open]`.
pub fn open(home: &Path, no_open: bool) -> Result<()> {
    let addr = match running_app(home)? {
        Some(addr) => addr,
        None => start_daemon(home)?,
    };
    let code = new_once_code(home)?;
    let url = format!("http://{addr}/signin?once={code}");
    if no_open {
        println!("{url}");
        return Ok(());
    }
    let file = home.join("ui-open.html");
    let page = format!(
        "<!DOCTYPE html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0; url={url}\">\
         <title>Rapport</title><p><a href=\"{url}\">Open Rapport</a></p>\n"
    );
    write_owner_only(&file, page.as_bytes())
        .with_context(|| format!("could not write {}", file.display()))?;
    let opener = std::env::var_os("BROWSER").unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    let status = std::process::Command::new(&opener)
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {
            println!("opened the Rapport app (http://{addr}) in your browser");
            Ok(())
        }
        _ => bail!(
            "could not open a browser with {}: run `rapport ui --no-open` and open the address it prints",
            opener.to_string_lossy()
        ),
    }
}

/// The address of this home's running web app, if a daemon serves one.
fn running_app(home: &Path) -> Result<Option<SocketAddr>> {
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
        _ => bail!(
            "the running `rapport serve` does not serve the web app (started with --no-ui?): stop it and run `rapport serve` or `rapport ui`"
        ),
    }
}

/// Starts `rapport serve` for this home in the background (its output goes to
/// `daemon.log` in the data folder) and waits for its web app.
fn start_daemon(home: &Path) -> Result<SocketAddr> {
    if !home.join("store").exists() {
        bail!(
            "there is no Rapport device at {}: run `rapport init` to create one, or pass --home",
            home.display()
        );
    }
    let _ = std::fs::remove_file(address_path(home));
    let log_path = home.join("daemon.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("could not open {}", log_path.display()))?;
    let exe = std::env::current_exe().context("could not find the rapport program to start")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--home")
        .arg(home)
        .arg("serve")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    #[cfg(unix)]
    {
        // Its own process group: Ctrl-C in this terminal later must not stop the daemon.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().context("could not start `rapport serve`")?;
    eprintln!(
        "started `rapport serve` in the background (log: {})",
        log_path.display()
    );
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!(
                "`rapport serve` stopped at once ({status}): see {} for why",
                log_path.display()
            );
        }
        if let Ok(Some(addr)) = running_app(home) {
            return Ok(addr);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!(
        "`rapport serve` did not start its web app within {} s: see {}",
        START_TIMEOUT.as_secs(),
        log_path.display()
    )
}
