//! `devices leave` without a daemon (it tells the other devices itself), and what the web
//! app reads about revocations.

use crate::home::Home;
use anyhow::Result;
use rapport_app::node_host::{Replica, SharedReplica};
use rapport_app::Request;
use rapport_model::DeviceId;
use std::sync::Arc;
use tokio::sync::Mutex;

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
    rapport_app::handle(&home, &Request::Leave)?;
    let message = rapport_app::render::left_message(&home.dir);
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

/// Who is revoked, for the web app's devices page (until it asks `Request::Devices`).
pub fn info(home: &Home) -> Result<rapport_app::devices::RevocationInfo> {
    Ok(rapport_app::devices::revocations(home)?)
}
