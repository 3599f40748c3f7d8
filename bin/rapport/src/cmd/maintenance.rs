//! `check` and `repair`: what a user runs when the store says it is damaged.

use crate::home::Home;
use crate::render;
use anyhow::{Context, Result};
use rapport_store::Store;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
struct CheckJson {
    ok: bool,
    contacts: usize,
    interactions: usize,
    snapshot_bytes: u64,
    change_chunks: u64,
    disk_bytes: u64,
}

/// Loads and verifies everything: every chunk's checksum, the acknowledged heads, the view.
pub fn check(home: &Home, json: bool) -> Result<()> {
    let mut vault = home.store.load_vault(home.device)?;
    let view_was_current = home.store.view_is_current()?;
    if !view_was_current {
        home.store.rebuild_view(&mut vault)?;
    }
    let stats = home.store.stats()?;
    let out = CheckJson {
        ok: true,
        contacts: vault.contacts()?.len(),
        interactions: vault.interactions()?.len(),
        snapshot_bytes: stats.snapshot_bytes,
        change_chunks: stats.change_chunks,
        disk_bytes: stats.disk_bytes,
    };
    if json {
        return render::print_json(&out);
    }
    crate::out!("the store is intact");
    crate::out!("  contacts       {}", out.contacts);
    crate::out!("  interactions   {}", out.interactions);
    crate::out!(
        "  snapshot       {} bytes + {} change chunks",
        out.snapshot_bytes,
        out.change_chunks
    );
    crate::out!("  on disk        {} bytes", out.disk_bytes);
    if !view_was_current {
        crate::out!("  the read cache was stale and has been rebuilt");
    }
    Ok(())
}

/// Salvages a damaged store into a fresh one, keeping the damaged folder beside it.
pub fn repair(dir: &Path) -> Result<()> {
    let store_dir = dir.join("store");
    let salvage = rapport_store::salvage(&store_dir)?;
    let stamp = crate::time::now_ms();
    let aside = dir.join(format!("store.damaged-{stamp}"));
    std::fs::rename(&store_dir, &aside)
        .with_context(|| format!("could not move {} aside", store_dir.display()))?;
    let result = (|| -> Result<(usize, Option<rapport_model::DeviceId>)> {
        let store = Store::open(&store_dir)?;
        // Without its identity this device cannot prove who it is to the others; it keeps the
        // vault under a new identity, which the other devices must trust again.
        let (identity, new_device) = match &salvage.identity {
            Some(bytes) => (bytes.clone(), None),
            None => {
                let (bytes, id) = crate::home::new_identity_record("repaired device")?;
                (bytes, Some(id))
            }
        };
        store.set_identity(&identity)?;
        let device = crate::home::device_of(&identity)?;
        let mut vault = rapport_model::Vault::open(salvage.doc, device).context(
            "nothing of the vault could be salvaged: clone it again from another device",
        )?;
        if new_device.is_some() {
            let me = rapport_model::Device {
                id: device,
                name: "repaired device".to_owned(),
                added_at: crate::time::now_ms(),
                added_by: None,
            };
            vault.add_device(&me, crate::time::now_ms())?;
        }
        store.create_vault(&mut vault)?;
        let n = vault.contacts()?.len();
        store.close()?;
        Ok((n, new_device))
    })();
    match result {
        Ok((n, new_device)) => {
            crate::out!(
                "repaired: {n} contacts kept; the damaged store is at {}",
                aside.display()
            );
            for s in &salvage.skipped {
                crate::out!("  skipped {s}");
            }
            if !salvage.skipped.is_empty() {
                crate::out!("  sync with another device of this vault to get those changes back");
            }
            if let Some(id) = new_device {
                crate::out!(
                    "  this device's identity was lost, so it has a new id {id}: run `rapport devices add {id}` on your other devices"
                );
            }
            Ok(())
        }
        Err(e) => {
            // Put things back as they were, so a failed repair loses nothing.
            let _ = std::fs::remove_dir_all(&store_dir);
            let _ = std::fs::rename(&aside, &store_dir);
            Err(e.context("the repair failed and the store was left as it was"))
        }
    }
}
