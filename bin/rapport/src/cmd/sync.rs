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
        println!("{}", synced(&report, addr).line());
        Ok(())
    })
}

/// What a sync did, as `sync` prints it whether it ran here or in the daemon.
pub fn synced(report: &rapport_net::SessionReport, addr: SocketAddr) -> rapport_app::wire::Synced {
    rapport_app::wire::Synced {
        peer: report.peer.map(|p| p.short()).unwrap_or_default(),
        addr,
        records_updated: report.touched.contacts.len()
            + report.touched.interactions.len()
            + report.touched.groups.len(),
        bytes_sent: report.bytes_sent,
        bytes_received: report.bytes_received,
        elapsed_ms: report.elapsed.as_millis(),
    }
}

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

/// Where to sync: `--addr`, or the address a roster device was last reached at.
pub fn target(home: &Home, addr: Option<SocketAddr>, device: Option<&str>) -> Result<SocketAddr> {
    if let Some(addr) = addr {
        return Ok(addr);
    }
    let query = device.unwrap_or_default().trim().to_lowercase();
    let devices = home.read(|v| v.devices())?;
    let matches: Vec<_> = devices
        .iter()
        .filter(|d| d.id != home.device)
        .filter(|d| {
            d.name.to_lowercase() == query
                || d.id.to_string().to_lowercase().starts_with(&query)
                || d.id.to_hex().starts_with(&query)
        })
        .collect();
    let device = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(rapport_app::AppError::NotFound(format!(
                "no other device of this vault is called `{query}`: see `rapport devices`"
            ))
            .into())
        }
        _ => {
            return Err(rapport_app::AppError::NotFound(format!(
                "`{query}` matches several devices: use more of the id"
            ))
            .into())
        }
    };
    rapport_node::peers::get(&home.store, device.id).addr.ok_or_else(|| {
        anyhow::anyhow!(
            "this device has never reached {} and does not know its address: use `rapport sync --addr HOST:PORT` once",
            device.name
        )
    })
}
