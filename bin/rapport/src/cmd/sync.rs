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

/// `sync DEVICE` for a device never reached on the LAN: over iroh, by its roster record.
pub fn sync_iroh(home: Home, peer: DeviceId) -> Result<()> {
    let replica: SharedReplica = Arc::new(Mutex::new(Replica::open(home)?));
    let rt = runtime()?;
    rt.block_on(async {
        if crate::out::is_terminal() {
            crate::note!("syncing with {} over iroh…", peer.short());
        }
        let unspecified = std::net::IpAddr::from([0, 0, 0, 0]);
        let report = rapport_node::sync_once_iroh(&replica, peer, unspecified).await?;
        let addr = SocketAddr::from(([0, 0, 0, 0], 0));
        println!("{}", rapport_daemon::synced(&report, addr).line());
        Ok(())
    })
}

/// What a sync did, as `sync` prints it whether it ran here or in the daemon.
/// Where `clone` fetches the vault: a device on the same network, or one beyond it over iroh.
#[derive(Debug, Clone)]
pub enum CloneFrom {
    Lan(SocketAddr),
    Far {
        endpoint: rapport_model::EndpointId,
        relay: String,
        relay_only: bool,
    },
}

pub fn clone(dir: &Path, from: CloneFrom, id: &str, name: Option<String>) -> Result<()> {
    let peer: DeviceId = id
        .parse()
        .map_err(|e: rapport_model::device::ParseDeviceIdError| {
            rapport_app::AppError::BadInput(e.to_string())
        })?;
    let name = name.unwrap_or_else(|| "new device".to_owned());
    let home = Home::open(dir, Some(&name))?;
    if home.store.has_vault()? {
        bail!(
            "{} already holds a vault: `rapport sync` syncs it instead",
            dir.display()
        );
    }
    let rt = runtime()?;
    let (vault, report, at) = match from {
        CloneFrom::Lan(addr) => {
            let (vault, report) = rt.block_on(rapport_node::clone_vault(
                &home.identity,
                &home.store,
                addr,
                peer,
            ))?;
            (vault, report, format!("at {addr}"))
        }
        CloneFrom::Far {
            endpoint,
            relay,
            relay_only,
        } => {
            let from = rapport_node::FarSource {
                peer,
                endpoint,
                relay,
                relay_only,
            };
            let (vault, report, path) = rt.block_on(rapport_node::clone_vault_far(
                &home.identity,
                &home.endpoint_key,
                &home.store,
                &from,
            ))?;
            (vault, report, format!("via {}", path.as_str()))
        }
    };
    println!(
        "cloned vault {} from {} {at}: {} contacts, {} bytes in {} ms",
        vault.vault_id()?,
        peer.short(),
        vault.contact_count(),
        report.bytes_received,
        report.elapsed.as_millis()
    );
    home.store.close()?;
    Ok(())
}
