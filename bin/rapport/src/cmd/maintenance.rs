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
    let result = (|| -> Result<usize> {
        let store = Store::open(&store_dir)?;
        if let Some(identity) = &salvage.identity {
            store.set_identity(identity)?;
        }
        let device = match &salvage.identity {
            Some(bytes) => crate::home::device_of(bytes)?,
            None => anyhow::bail!(
                "the device identity could not be salvaged: move the store aside and clone the vault from another device"
            ),
        };
        let mut vault = rapport_model::Vault::open(salvage.doc, device)?;
        store.create_vault(&mut vault)?;
        let n = vault.contacts()?.len();
        store.close()?;
        Ok(n)
    })();
    match result {
        Ok(n) => {
            crate::out!(
                "repaired: {n} contacts kept; the damaged store is at {}",
                aside.display()
            );
            for s in &salvage.skipped {
                crate::out!("  skipped {s} (sync with another device to get those changes back)");
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
