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

#[derive(Debug, serde::Serialize)]
struct PeerStatus {
    id: String,
    name: String,
    address: Option<String>,
    /// Where the address was learned: `lan` (local network discovery), `dialled`, `accepted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    address_source: Option<String>,
    last_seen: Option<String>,
    last_synced: Option<String>,
    /// `equal`, `ahead` (this device has changes the peer has not received), or `never synced`.
    state: &'static str,
    /// Changes this device received that the peer wrote, since the last `status`.
    changes_since_last_look: u64,
    /// Records whose deletion by the peer is held back here (`rapport quarantine show`).
    quarantined: usize,
}

/// Each peer as this device last saw it. "Behind" cannot be known without asking the peer;
/// a running daemon keeps live sessions, so peers it can reach stay `equal`.
pub fn status(home: &Home, json: bool) -> Result<()> {
    use rapport_model::automerge::sync::State;
    let devices = home.read(|v| v.devices())?;
    let mut ours = home.store.heads()?;
    ours.sort();
    let incoming = home.store.incoming()?;
    let held = home.store.quarantined()?;
    let mut rows = Vec::new();
    for d in devices.into_iter().filter(|d| d.id != home.device) {
        let info = rapport_node::peers::get(&home.store, d.id);
        let shared = home
            .store
            .peer_state(d.id)?
            .and_then(|b| State::decode(&b).ok())
            .map(|s| {
                let mut h = s.shared_heads;
                h.sort();
                h
            });
        let state = match shared {
            None => "never synced",
            Some(h) if h == ours => "equal",
            Some(_) => "ahead",
        };
        rows.push(PeerStatus {
            id: d.id.to_string(),
            name: d.name,
            address: info.addr.map(|a| a.to_string()),
            address_source: info.source.clone(),
            last_seen: info.last_seen_ms.map(crate::time::rfc3339),
            last_synced: info.last_synced_ms.map(crate::time::rfc3339),
            state,
            changes_since_last_look: incoming.get(&d.id).copied().unwrap_or(0),
            quarantined: held.iter().filter(|q| q.deletion.by == Some(d.id)).count(),
        });
    }
    // Counted from the next sync on: this was the look.
    home.store.reset_incoming()?;
    if json {
        return crate::render::print_json(&rows);
    }
    if !held.is_empty() {
        crate::out!(
            "QUARANTINED: {} deletions from another device are held back here: `rapport quarantine show`",
            held.len()
        );
    }
    if rows.is_empty() {
        crate::out!("no other devices yet: `rapport pair` adds one");
    }
    let revocations = super::revoke::info(home)?;
    for line in super::revoke::notes(home, &revocations)? {
        crate::out!("{line}");
    }
    for r in rows {
        let when = |t: &Option<String>| t.clone().unwrap_or_else(|| "never".to_owned());
        crate::out!(
            "{}  {}  {}  last seen {}, last synced {}{}  ({} new changes from it since the last status)",
            &r.id[..7],
            r.name,
            r.state,
            when(&r.last_seen),
            when(&r.last_synced),
            r.address.map(|a| format!("  at {a}")).unwrap_or_default(),
            r.changes_since_last_look
        );
    }
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
