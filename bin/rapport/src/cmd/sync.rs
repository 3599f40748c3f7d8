//! `serve`, `sync` and `clone`: the commands that talk to other devices. The network work is
//! `rapport_node`'s; this is where it meets the command line.

use crate::home::Home;
use anyhow::{bail, Context, Result};
use rapport_app::node_host::{Replica, SharedReplica};
use rapport_model::DeviceId;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Mutex;

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    rapport_node::runtime().context("could not start the async runtime")
}

pub fn sync(home: Home, addr: SocketAddr) -> Result<()> {
    let replica: SharedReplica = Arc::new(Mutex::new(Replica::open(home)?));
    let rt = runtime()?;
    rt.block_on(async {
        if crate::out::is_terminal() {
            crate::note!("syncing with {addr}…");
        }
        let report = rapport_node::sync_once(&replica, addr).await?;
        println!("{}", rapport_daemon::synced(&report, addr).line());
        Ok(())
    })
}

/// What a sync did, as `sync` prints it whether it ran here or in the daemon.
pub fn clone(dir: &Path, addr: SocketAddr, id: &str, name: Option<String>) -> Result<()> {
    let peer: DeviceId = id
        .parse()
        .map_err(|e: rapport_model::device::ParseDeviceIdError| {
            rapport_app::AppError::BadInput(e.to_string())
        })?;
    let name = name.unwrap_or_else(|| "new device".to_owned());
    let home = Home::open(dir, Some(&name))?;
    if home.store.has_vault()? {
        bail!(
            "{} already holds a vault: `rapport sync --addr {addr}` syncs it instead",
            dir.display()
        );
    }
    let rt = runtime()?;
    let (vault, report) = rt.block_on(rapport_node::clone_vault(
        &home.identity,
        &home.store,
        addr,
        peer,
    ))?;
    println!(
        "cloned vault {} from {} at {addr}: {} contacts, {} bytes in {} ms",
        vault.vault_id()?,
        peer.short(),
        vault.contacts()?.len(),
        report.bytes_received,
        report.elapsed.as_millis()
    );
    home.store.close()?;
    Ok(())
}
