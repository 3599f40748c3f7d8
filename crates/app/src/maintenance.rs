//! `check` and `repair`: what a user runs when the store says it is damaged.

use crate::home::{self, Home};
use crate::reports::{CheckReport, RepairReport};
use crate::response::Response;
use crate::{time, AppError};
use rapport_model::{Device, DeviceId, Vault};
use rapport_store::Store;
use std::path::Path;

/// Loads and verifies everything: every chunk's checksum, the acknowledged heads, the view.
pub fn check(home: &Home) -> Result<Response, AppError> {
    // A fresh load, not the loaded vault: checking means reading every chunk again.
    let mut vault = home.store.load_vault(home.device)?;
    let view_was_current = home.store.view_is_current()?;
    if !view_was_current {
        home.store.rebuild_view(&mut vault)?;
    }
    let stats = home.store.stats()?;
    Ok(Response::Checked(CheckReport {
        contacts: vault.contacts()?.len(),
        interactions: vault.interactions()?.len(),
        snapshot_bytes: stats.snapshot_bytes,
        change_chunks: stats.change_chunks,
        disk_bytes: stats.disk_bytes,
        view_rebuilt: !view_was_current,
    }))
}

/// Salvages the damaged store of the data folder `dir` into a fresh one, keeping the damaged
/// folder beside it. Not a `Request`: it runs on a store that may not open.
pub fn repair(dir: &Path) -> Result<Response, AppError> {
    let store_dir = dir.join("store");
    let salvage = rapport_store::salvage(&store_dir)?;
    let stamp = time::now_ms();
    let aside = dir.join(format!("store.damaged-{stamp}"));
    std::fs::rename(&store_dir, &aside).map_err(AppError::file(format!(
        "could not move {} aside",
        store_dir.display()
    )))?;
    let result = (|| -> Result<(usize, Option<DeviceId>), AppError> {
        let store = Store::open(&store_dir)?;
        // Without its identity this device cannot prove who it is to the others; it keeps the
        // vault under a new identity, which the other devices must trust again.
        let (identity, new_device) = match &salvage.identity {
            Some(bytes) => (bytes.clone(), None),
            None => {
                let (bytes, id) = home::new_identity_record("repaired device")?;
                (bytes, Some(id))
            }
        };
        store.set_identity(&identity)?;
        // The endpoint key goes with the identity it was made beside; a new identity gets a
        // new key when the home is next opened.
        if let (Some(key), None) = (&salvage.endpoint_key, &new_device) {
            store.set_endpoint_key(key)?;
        }
        let device = home::device_of(&identity)?;
        let mut vault = Vault::open(salvage.doc, device).map_err(AppError::wrap(
            "nothing of the vault could be salvaged: clone it again from another device",
        ))?;
        if new_device.is_some() {
            let me = Device {
                id: device,
                name: "repaired device".to_owned(),
                added_at: time::now_ms(),
                added_by: None,
            };
            vault.add_device(&me, time::now_ms())?;
        }
        store.create_vault(&mut vault)?;
        let n = vault.contact_count();
        store.close()?;
        Ok((n, new_device))
    })();
    match result {
        Ok((contacts, new_device)) => Ok(Response::Repaired(RepairReport {
            contacts,
            aside,
            skipped: salvage.skipped,
            new_device,
        })),
        Err(e) => {
            // Put things back as they were, so a failed repair loses nothing.
            let _ = std::fs::remove_dir_all(&store_dir);
            let _ = std::fs::rename(&aside, &store_dir);
            Err(e.context("the repair failed and the store was left as it was"))
        }
    }
}
