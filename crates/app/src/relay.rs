//! `relay set URL | show | clear`: the relay every device of the vault uses to sync beyond
//! the local network. A vault-level setting (it syncs like any edit); no relay is used
//! unless the user names one. Setting it here also records it as this device's home relay in
//! its own roster record, in the same commit, so peers can dial it at once.

use crate::home::Home;
use crate::request::RelayRequest;
use crate::response::Response;
use crate::{time, AppError};
use rapport_model::Reach;

pub fn handle(home: &Home, request: &RelayRequest) -> Result<Response, AppError> {
    match request {
        RelayRequest::Show => home.with_vault(|vault| {
            Ok(Response::Relay {
                url: vault.relay()?,
                changed: false,
            })
        }),
        RelayRequest::Set { url } => set(home, Some(url.trim())),
        RelayRequest::Clear => set(home, None),
    }
}

fn set(home: &Home, url: Option<&str>) -> Result<Response, AppError> {
    let me = home.device;
    let endpoint = home.endpoint_key.endpoint_id();
    let message = match url {
        Some(url) => format!("set relay {url}"),
        None => "clear relay".to_owned(),
    };
    let changed = home.write(|vault, _| {
        vault.batch(&message, time::now_ms(), |vault| {
            let changed = vault.set_relay(url, time::now_ms())?;
            if vault.devices()?.iter().any(|d| d.id == me) {
                let reach = Reach {
                    endpoint,
                    relay: url.map(str::to_owned),
                };
                vault.set_reach(me, &reach, time::now_ms())?;
            }
            Ok::<bool, AppError>(changed)
        })
    })?;
    Ok(Response::Relay {
        url: url.map(str::to_owned),
        changed,
    })
}
