//! `init`, `device` and `devices`: this device's identity and the vault's roster.

use crate::home::Home;
use crate::render;
use crate::time;
use anyhow::{bail, Result};
use rapport_app::AppError;
use rapport_model::{Vault, VaultId};
use serde::Serialize;
use std::path::Path;

pub fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "my device".to_owned())
}

pub fn init(dir: &Path, name: Option<String>) -> Result<()> {
    let name = name.unwrap_or_else(default_device_name);
    let home = Home::open(dir, Some(&name))?;
    if home.store.has_vault()? {
        bail!(
            "{} already holds a vault: use it, or pick another folder with --home",
            dir.display()
        );
    }
    let vault_id = VaultId::random(&mut rand::thread_rng());
    let mut vault = Vault::create(home.device, &home.device_name, vault_id, time::now_ms())?;
    // The key of this vault's LAN beacons (see `rapport-discovery`): secret, unlike the id.
    vault.ensure_lan_secret(rand::random(), time::now_ms())?;
    home.store.create_vault(&mut vault)?;
    crate::out!(
        "created vault {vault_id} on device {} ({})",
        home.device_name,
        home.device
    );
    home.store.close()?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct DeviceJson {
    id: String,
    name: String,
    has_vault: bool,
}

/// Shows this device: its id, to give to other devices, and its name.
pub fn describe(home: &Home, json: bool) -> Result<()> {
    let out = DeviceJson {
        id: home.device.to_string(),
        name: home.device_name.clone(),
        has_vault: home.store.has_vault()?,
    };
    if json {
        return render::print_json(&out);
    }
    crate::out!("{}", out.id);
    crate::out!("  name   {}", out.name);
    if !out.has_vault {
        crate::out!("  no vault yet: `rapport init` creates one, `rapport clone` fetches one");
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct RosterJson {
    id: String,
    name: String,
    added_at: String,
    added_by: Option<String>,
    this_device: bool,
    /// Revoked, or left (`devices leave`): refused by every device that has heard of it.
    revoked: bool,
    left: bool,
    /// Changes it made that no revoker had seen when revoking it (kept in the history).
    changes_after_revocation: usize,
}

pub fn list(home: &Home, json: bool) -> Result<()> {
    let devices = home.read(|v| v.devices())?;
    let revocations = super::revoke::info(home)?;
    let out: Vec<RosterJson> = devices
        .iter()
        .map(|d| RosterJson {
            id: d.id.to_string(),
            name: d.name.clone(),
            added_at: time::rfc3339(d.added_at),
            added_by: d.added_by.map(|b| b.to_string()),
            this_device: d.id == home.device,
            revoked: revocations.revoked.contains_key(&d.id),
            left: revocations.revoked.get(&d.id).copied().unwrap_or(false),
            changes_after_revocation: revocations.after.get(&d.id).copied().unwrap_or(0),
        })
        .collect();
    if json {
        return render::print_json(&out);
    }
    for d in out {
        let me = if d.this_device { "  (this device)" } else { "" };
        let state = match (d.revoked, d.left) {
            (true, true) => "  (left)",
            (true, false) => "  (revoked)",
            _ => "",
        };
        crate::out!("{}  {}{me}{state}", d.id, d.name);
    }
    for line in super::revoke::notes(home, &revocations)? {
        crate::out!("{line}");
    }
    Ok(())
}

pub fn add(home: &Home, id: &str, name: Option<String>) -> Result<()> {
    let id: rapport_model::DeviceId =
        id.parse()
            .map_err(|e: rapport_model::device::ParseDeviceIdError| {
                AppError::BadInput(e.to_string())
            })?;
    if id == home.device {
        return Err(AppError::BadInput(
            "that is this device's own id: give the id of the other device".into(),
        )
        .into());
    }
    let name = name.unwrap_or_else(|| format!("device {}", id.short()));
    super::write(home, |vault, _| {
        let device = rapport_model::Device {
            id,
            name: name.clone(),
            added_at: time::now_ms(),
            added_by: Some(home.device),
        };
        vault.add_device(&device, time::now_ms())?;
        Ok(())
    })?;
    crate::out!("trusted {name} ({id})");
    Ok(())
}
