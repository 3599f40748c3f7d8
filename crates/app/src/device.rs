//! This device: `init` (a new vault, on a new device) and `device` (its id and name).

use crate::home::Home;
use crate::response::Response;
use crate::{time, AppError};
use rapport_model::{Vault, VaultId};
use std::path::Path;

/// Creates a vault in the data folder `dir`, and the device's identity if it has none. Not a
/// `Request`: there is no home to answer it until it has run.
pub fn init(dir: &Path, name: &str) -> Result<Response, AppError> {
    let home = Home::open(dir, Some(name))?;
    if home.store.has_vault()? {
        return Err(AppError::Failed(format!(
            "{} already holds a vault: use it, or pick another folder with --home",
            dir.display()
        )));
    }
    let vault_id = VaultId::random(&mut rand::thread_rng());
    let mut vault = Vault::create(home.device, &home.device_name, vault_id, time::now_ms())
        .map_err(|e| AppError::Failed(e.to_string()))?;
    // The key of this vault's LAN beacons (see `rapport-discovery`): secret, unlike the id.
    vault.ensure_lan_secret(rand::random(), time::now_ms())?;
    // Where this device can be reached beyond the LAN: its iroh endpoint id (no relay yet).
    let reach = rapport_model::Reach {
        endpoint: home.endpoint_key.endpoint_id(),
        relay: None,
    };
    vault.set_reach(home.device, &reach, time::now_ms())?;
    home.store.create_vault(&mut vault)?;
    home.store.close()?;
    Ok(Response::Initialized {
        vault: vault_id.to_string(),
        device: home.device,
        name: home.device_name,
    })
}

/// `device`: this device's id, to give to other devices, and its name.
pub fn describe(home: &Home) -> Result<Response, AppError> {
    Ok(Response::ThisDevice {
        id: home.device,
        name: home.device_name.clone(),
        has_vault: home.store.has_vault()?,
        endpoint: home.endpoint_key.endpoint_id(),
    })
}
