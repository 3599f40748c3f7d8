//! Where a parsed command runs: here, against the home's store, or, when `rapport serve` holds
//! that store, in the daemon (`client`). The top of the binary's layers: it uses `cmd`,
//! `client` and `daemon`, and none of them uses it.

use crate::cli::{Cli, Command};
use crate::home::{self, Home};
use crate::{client, cmd};
use anyhow::Result;
use rapport_app::devices::SyncTarget;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(cli: Cli) -> Result<()> {
    let dir = home::resolve_dir(cli.home)?;
    match cli.command {
        Command::Init { name } => cmd::device::init(&dir, name),
        Command::Device { name, json } => {
            let device = name
                .clone()
                .unwrap_or_else(cmd::device::default_device_name);
            here_or_daemon(
                &dir,
                Some(&device),
                Command::Device { name, json },
                |home, command| {
                    let result = cmd::dispatch(&home, command);
                    home.store.close()?;
                    result
                },
            )
        }
        Command::Repair => cmd::maintenance::repair(&dir),
        Command::Clone {
            addr,
            id,
            name,
            endpoint,
            relay,
            relay_only,
        } => {
            let from = match (addr, endpoint, relay) {
                (Some(addr), _, _) => cmd::sync::CloneFrom::Lan(addr),
                (None, Some(endpoint), Some(relay)) => cmd::sync::CloneFrom::Far {
                    endpoint,
                    relay,
                    relay_only,
                },
                // clap requires ADDR, or --endpoint with --relay.
                _ => anyhow::bail!("give the other device's address, or --endpoint and --relay"),
            };
            cmd::sync::clone(&dir, from, &id, name)
        }
        Command::Demo { keep } => cmd::demo::run(keep),
        Command::Serve {
            listen,
            no_discovery,
            ui,
            no_ui,
            browser,
            no_browser,
        } => {
            crate::alloc::trim_while_serving();
            Ok(rapport_daemon::serve(
                open_for_serve(&dir)?,
                listen,
                no_discovery,
                (!no_ui).then_some(ui),
                (!no_browser).then(|| {
                    browser.unwrap_or_else(|| {
                        std::net::SocketAddr::new(listen.ip(), rapport_node::DEFAULT_BROWSER_PORT)
                    })
                }),
            )?)
        }
        Command::Ui {
            export_pwa: Some(out),
            ..
        } => crate::ui::export_pwa(&out),
        Command::Ui { no_open, .. } => crate::ui::open(&dir, no_open),
        Command::Join { code, addr, name } => cmd::pair::join(&dir, &code, addr, name),
        command => here_or_daemon(&dir, None, command, |home, command| match command {
            Command::Pair {
                timeout,
                json,
                listen,
                no_discovery,
            } => cmd::pair::pair(
                home,
                rapport_node::pairing::Window {
                    listen,
                    timeout,
                    json,
                    no_discovery,
                },
            ),
            Command::Devices {
                command: Some(crate::cli::DevicesCommand::Leave),
                ..
            } => cmd::revoke::leave_and_tell(home),
            Command::Sync { addr, device } => {
                match rapport_app::devices::sync_target(&home, addr, device.as_deref())? {
                    SyncTarget::Addr(addr) => cmd::sync::sync(home, addr),
                    SyncTarget::Iroh(peer) => cmd::sync::sync_iroh(home, peer),
                }
            }
            command => {
                // `main` returns right after this request: see `Home::release` and `close_for_exit`.
                home.exits_after_request();
                let result = cmd::dispatch(&home, command);
                home.store.close_for_exit()?;
                result
            }
        }),
    }
}

/// How long a command waits for a store that another rapport process holds without answering;
/// `RAPPORT_WAIT_FOR_STORE=SECONDS` changes it (0: fail at once, as a script may prefer).
const WAIT_FOR_STORE: Duration = Duration::from_secs(30);

fn wait_for_store() -> Result<Duration> {
    match std::env::var("RAPPORT_WAIT_FOR_STORE") {
        Err(_) => Ok(WAIT_FOR_STORE),
        Ok(text) => text.trim().parse().map(Duration::from_secs).map_err(|_| {
            anyhow::anyhow!(
                "RAPPORT_WAIT_FOR_STORE is {text:?}, not a number of seconds: set it to a whole number such as 30, or unset it"
            )
        }),
    }
}

/// Runs `command` here, on the home's store, or in the daemon that holds it. A store held by a
/// process whose socket does not answer is a daemon still loading the vault (seconds at 30k
/// contacts) or another one-shot command: the command waits for either, as one writer at a
/// time requires, instead of failing while the daemon starts.
fn here_or_daemon(
    dir: &Path,
    device_name: Option<&str>,
    command: Command,
    here: impl FnOnce(Home, Command) -> Result<()>,
) -> Result<()> {
    let deadline = Instant::now() + wait_for_store()?;
    let mut told = false;
    loop {
        let locked = match cmd::open_home(dir, device_name) {
            Ok(home) => return here(home, command),
            Err(e) if cmd::is_locked(&e) => e,
            Err(e) => return Err(e),
        };
        // `forward` itself gives a starting daemon's socket two seconds to answer.
        if let Some(()) = client::forward(dir, command.clone())? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(locked);
        }
        if !told {
            crate::note!(
                "waiting for the other rapport process on this home (a daemon that is starting, or a command) to let go of its store"
            );
            told = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `serve` started while a command holds the store waits for it to finish, as a command waits
/// for a daemon that is starting. A daemon already answering on the socket is not waited for.
fn open_for_serve(dir: &Path) -> Result<Home> {
    let deadline = Instant::now() + wait_for_store()?;
    loop {
        match cmd::open_home(dir, None) {
            Err(e) if cmd::is_locked(&e) && Instant::now() < deadline => {
                let socket = rapport_daemon::client::socket_path(dir);
                if std::os::unix::net::UnixStream::connect(socket).is_ok() {
                    return Err(e);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            opened => return opened,
        }
    }
}
