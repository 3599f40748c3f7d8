//! Where a parsed command runs: here, against the home's store, or, when `rapport serve` holds
//! that store, in the daemon (`client`). The top of the binary's layers: it uses `cmd`,
//! `client` and `daemon`, and none of them uses it.

use crate::cli::{Cli, Command};
use crate::home;
use crate::{client, cmd};
use anyhow::Result;
use rapport_app::devices::SyncTarget;

pub fn run(cli: Cli) -> Result<()> {
    let dir = home::resolve_dir(cli.home)?;
    match cli.command {
        Command::Init { name } => cmd::device::init(&dir, name),
        Command::Device { name, json } => match cmd::open_home(
            &dir,
            Some(
                &name
                    .clone()
                    .unwrap_or_else(cmd::device::default_device_name),
            ),
        ) {
            Ok(home) => {
                let result = cmd::dispatch(&home, Command::Device { name, json });
                home.store.close()?;
                result
            }
            Err(e) if cmd::is_locked(&e) => {
                client::forward(&dir, e, Command::Device { name, json })
            }
            Err(e) => Err(e),
        },
        Command::Repair => cmd::maintenance::repair(&dir),
        Command::Clone { addr, id, name } => cmd::sync::clone(&dir, addr, &id, name),
        Command::Demo { keep } => cmd::demo::run(keep),
        Command::Serve {
            listen,
            no_discovery,
            ui,
            no_ui,
        } => Ok(rapport_daemon::serve(
            cmd::open_home(&dir, None)?,
            listen,
            no_discovery,
            (!no_ui).then_some(ui),
        )?),
        Command::Ui { no_open } => crate::ui::open(&dir, no_open),
        Command::Pair {
            timeout,
            json,
            listen,
            no_discovery,
        } => match cmd::open_home(&dir, None) {
            Ok(home) => cmd::pair::pair(
                home,
                rapport_node::pairing::Window {
                    listen,
                    timeout,
                    json,
                    no_discovery,
                },
            ),
            Err(e) if cmd::is_locked(&e) => client::forward(
                &dir,
                e,
                Command::Pair {
                    timeout,
                    json,
                    listen,
                    no_discovery,
                },
            ),
            Err(e) => Err(e),
        },
        Command::Join { code, addr, name } => cmd::pair::join(&dir, &code, addr, name),
        Command::Devices {
            command: Some(crate::cli::DevicesCommand::Leave),
            ..
        } => match cmd::open_home(&dir, None) {
            Ok(home) => cmd::revoke::leave_and_tell(home),
            Err(e) if cmd::is_locked(&e) => client::forward(
                &dir,
                e,
                Command::Devices {
                    command: Some(crate::cli::DevicesCommand::Leave),
                    json: false,
                },
            ),
            Err(e) => Err(e),
        },
        Command::Sync { addr, device } => match cmd::open_home(&dir, None) {
            Ok(home) => match rapport_app::devices::sync_target(&home, addr, device.as_deref())? {
                SyncTarget::Addr(addr) => cmd::sync::sync(home, addr),
                SyncTarget::Iroh(peer) => cmd::sync::sync_iroh(home, peer),
            },
            Err(e) if cmd::is_locked(&e) => {
                client::forward(&dir, e, Command::Sync { addr, device })
            }
            Err(e) => Err(e),
        },
        command => {
            let home = match cmd::open_home(&dir, None) {
                Ok(home) => home,
                Err(e) if cmd::is_locked(&e) => return client::forward(&dir, e, command),
                Err(e) => return Err(e),
            };
            // `main` returns right after this request: see `Home::release` and `close_for_exit`.
            home.exits_after_request();
            let result = cmd::dispatch(&home, command);
            // `main` returns right after this: see `close_for_exit`.
            home.store.close_for_exit()?;
            result
        }
    }
}
