//! `init` and `device`: this device's identity, before or beside its vault.

use anyhow::Result;
use std::path::Path;

pub fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| "my device".to_owned())
}

pub fn init(dir: &Path, name: Option<String>) -> Result<()> {
    let name = name.unwrap_or_else(default_device_name);
    crate::render::response(&rapport_app::init(dir, &name)?, false)
}
