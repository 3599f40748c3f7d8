//! `pair` and `join`: add a device to the vault with a one-time code.

use crate::home::Home;
use anyhow::{bail, Result};
use rapport_app::node_host::{Replica, SharedReplica};
use rapport_node::pairing::{self, Window};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

/// How long `join` browses the LAN for the pairing window.
const FIND_TIMEOUT: Duration = Duration::from_secs(10);

/// `rapport pair` without a daemon: this process holds the store for the window.
pub fn pair(home: Home, window: Window) -> Result<()> {
    let replica: SharedReplica = Arc::new(Mutex::new(Replica::open(home)?));
    let rt = super::sync::runtime()?;
    rt.block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let json = window.json;
        let printer = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                show_pairing(&event, json);
            }
        });
        let result = pairing::run_events(&replica, window, tx).await;
        let _ = printer.await;
        println!("{}", result?.sentence());
        Ok(())
    })
}

/// Prints a pairing window's event as it comes (the code long before the window ends), the
/// same whether the window runs here or in the daemon.
pub fn show_pairing(event: &pairing::PairingEvent, json: bool) {
    for line in event.lines(json) {
        println!("{line}");
    }
    let _ = std::io::stdout().flush();
}

/// `rapport join CODE`: pair with the device showing CODE, then fetch the vault from it over
/// the same connection. Exits 0 only once this device holds the vault and is in its roster.
pub fn join(
    dir: &Path,
    invitation: &str,
    addr: Option<SocketAddr>,
    name: Option<String>,
) -> Result<()> {
    let invitation = pairing::parse_invitation(invitation)?;
    let name = name.unwrap_or_else(super::device::default_device_name);
    let home = Home::open(dir, Some(&name))?;
    if home.store.has_vault()? {
        bail!(
            "{} already holds a vault: a device joins only once; use another folder with --home",
            dir.display()
        );
    }
    let addrs = match addr {
        Some(a) => vec![a],
        None if !invitation.addresses.is_empty() => invitation.addresses.clone(),
        None => rapport_node::find_pairing(invitation.code.nameplate(), FIND_TIMEOUT)?,
    };
    let rt = super::sync::runtime()?;
    let j = rt.block_on(join_at(&home, &invitation, addrs))?;
    println!(
        "joined vault {} via {} at {}: {} contacts, {} bytes; paired in {} ms, holding the vault after {} ms",
        j.vault_id,
        j.host.short(),
        j.addr,
        j.contacts,
        j.bytes,
        j.handshake.as_millis(),
        j.elapsed.as_millis()
    );
    home.store.close()?;
    Ok(())
}

/// What a successful join did.
#[derive(Debug)]
pub struct JoinOutcome {
    pub vault_id: rapport_model::VaultId,
    pub host: rapport_model::DeviceId,
    pub addr: SocketAddr,
    pub contacts: usize,
    pub bytes: u64,
    /// The pairing exchange (QUIC handshake, SPAKE2, confirmation, roster update).
    pub handshake: Duration,
    /// From the start to holding the vault durably.
    pub elapsed: Duration,
}

/// Pairs `home` (which must hold no vault) with the first of `addrs` that answers, and stores
/// the vault it sends. Also used by the demo and the benchmark.
pub async fn join_at(
    home: &Home,
    invitation: &pairing::Invitation,
    addrs: Vec<SocketAddr>,
) -> Result<JoinOutcome> {
    let started = std::time::Instant::now();
    {
        let mut unreachable = Vec::new();
        for addr in addrs {
            let joined = match rapport_net::pairing::join(
                &home.identity,
                addr,
                &invitation.code,
                &home.device_name,
                invitation.device,
                Some(home.endpoint_key.endpoint_id()),
            )
            .await
            {
                Ok(joined) => joined,
                Err(rapport_net::NetError::Pair(e)) => return Err(e.into()),
                Err(
                    rapport_net::NetError::Connect { .. } | rapport_net::NetError::NoAnswer { .. },
                ) => {
                    unreachable.push(addr.to_string());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let handshake = joined.handshake;
            let expected_vault = joined.vault;
            let received = rapport_node::receive_vault(
                &home.store,
                home.device,
                &joined.conn,
                None,
                Some(expected_vault),
            )
            .await;
            let host = joined.host;
            joined.close().await;
            let (vault, report) = received?;
            return Ok(JoinOutcome {
                vault_id: expected_vault,
                host,
                addr,
                contacts: vault.contact_count(),
                bytes: report.bytes_received,
                handshake,
                elapsed: started.elapsed(),
            });
        }
        bail!(
            "no pairing window answered at {}: the code may have expired or been used, so check that `rapport pair` is still waiting there and that the address is right",
            unreachable.join(", ")
        )
    }
}
