//! `devices revoke` and `devices leave`, and what `devices`/`status` say about revocations.

use crate::home::Home;
use crate::time;
use anyhow::Result;
use rapport_app::node_host::{Replica, SharedReplica};
use rapport_app::AppError;
use rapport_model::DeviceId;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Revokes a device of the roster, by name or id prefix. Every device refuses it at the TLS
/// handshake once it has synced with one that heard of it, and closes live sessions with it.
pub fn revoke(home: &Home, query: &str) -> Result<()> {
    let device = find_device(home, query)?;
    if device.id == home.device {
        return Err(AppError::BadInput(
            "that is this device: use `rapport devices leave` to remove it from the vault".into(),
        )
        .into());
    }
    let now = time::now_ms();
    super::write(home, |vault, _| {
        // One action: the revocation and a new LAN secret, so the revoked device can no longer
        // recognise the vault's beacons (it never receives the new secret).
        vault.batch(
            &format!("revoke device {}", device.id.short()),
            now,
            |vault| -> Result<()> {
                vault.revoke_device(device.id, now)?;
                vault.rotate_lan_secret(rand::random(), now)?;
                Ok(())
            },
        )
    })?;
    crate::out!(
        "revoked {} ({}): your other devices refuse it as soon as they sync with this one",
        device.name,
        device.id
    );
    Ok(())
}

/// Records that this device leaves the vault (run inside a daemon, whose live sessions carry
/// the news to the other devices).
pub fn leave(home: &Home) -> Result<()> {
    super::write(home, |vault, _| {
        vault.revoke_device(home.device, time::now_ms())?;
        Ok(())
    })?;
    crate::out!("{}", left_message(home));
    Ok(())
}

fn left_message(home: &Home) -> String {
    format!(
        "this device left the vault: the others refuse it from their next sync on, and it syncs with nobody. Its local copy stays readable in {}; delete that folder to erase it",
        home.dir.display()
    )
}

/// `devices leave` without a daemon: record it, then tell every device whose address is known
/// (best effort, a few seconds each), so the news does not wait for this device to sync again
/// (it never will: it trusts nobody now).
pub fn leave_and_tell(home: Home) -> Result<()> {
    let peers: Vec<(DeviceId, std::net::SocketAddr)> = home
        .read(|v| v.devices())?
        .into_iter()
        .filter(|d| d.id != home.device)
        .filter_map(|d| {
            rapport_node::peers::get(&home.store, d.id)
                .addr
                .map(|a| (d.id, a))
        })
        .collect();
    super::write(&home, |vault, _| {
        vault.revoke_device(home.device, time::now_ms())?;
        Ok(())
    })?;
    let message = left_message(&home);
    let replica: SharedReplica = Arc::new(Mutex::new(Replica::open(home)?));
    let rt = super::sync::runtime()?;
    let told = rt.block_on(rapport_node::tell_peers(&replica, &peers))?;
    println!("{message}");
    println!(
        "told {told} of {} known devices directly; the rest hear it from them",
        peers.len()
    );
    Ok(())
}

fn find_device(home: &Home, query: &str) -> Result<rapport_model::Device> {
    let q = query.trim().to_lowercase();
    let devices = home.read(|v| v.devices())?;
    let matches: Vec<_> = devices
        .iter()
        .filter(|d| {
            d.name.to_lowercase() == q
                || d.id.to_string().to_lowercase().starts_with(&q)
                || d.id.to_hex().starts_with(&q)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(AppError::NotFound(format!(
            "no device of this vault is called `{query}`: see `rapport devices`"
        ))
        .into()),
        _ => Err(AppError::NotFound(format!(
            "`{query}` matches several devices: use more of the id"
        ))
        .into()),
    }
}

/// What `devices` and `status` say about revoked devices: who is revoked, and how many of a
/// revoked device's changes arrived that no revoker had seen when revoking.
#[derive(Debug, Default)]
pub struct RevocationInfo {
    pub revoked: std::collections::BTreeMap<DeviceId, bool>,
    pub after: std::collections::BTreeMap<DeviceId, usize>,
}

pub fn info(home: &Home) -> Result<RevocationInfo> {
    let mut vault = home.store.load_vault(home.device)?;
    let mut out = RevocationInfo::default();
    for r in vault.revocations()? {
        *out.revoked.entry(r.device).or_default() |= r.left;
    }
    out.after = vault.changes_after_revocation()?;
    Ok(out)
}

/// One line per revoked device with late changes, naming it.
pub fn notes(home: &Home, info: &RevocationInfo) -> Result<Vec<String>> {
    let devices = home.read(|v| v.devices())?;
    let name = |id: &DeviceId| {
        devices
            .iter()
            .find(|d| d.id == *id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| id.short())
    };
    Ok(info
        .after
        .iter()
        .map(|(id, n)| {
            format!(
                "{n} change{} from revoked device {} ({}) after its revocation: kept, review them with `rapport list`",
                if *n == 1 { "" } else { "s" },
                name(id),
                id.short()
            )
        })
        .collect())
}
