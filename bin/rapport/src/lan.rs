//! LAN discovery of pairing windows. PLACEHOLDER: the discovery engineer's `lan.rs` (on top of
//! `crates/discovery`) replaces this file at merge, with the same signatures
//! (see the agreed interface). Until then discovery is unavailable and `join` needs `--addr`.
#![allow(dead_code)]

/// A LAN announcement that lasts until dropped (unregisters on drop).
#[derive(Debug)]
pub struct LanAnnouncement {
    _private: (),
}

/// Announces a pairing window for `nameplate` on `port` until the returned value is dropped.
/// Returns Ok(None) when discovery is disabled (`no_discovery`) or unavailable on this host.
pub fn announce_pairing(
    nameplate: u16,
    port: u16,
    no_discovery: bool,
) -> anyhow::Result<Option<LanAnnouncement>> {
    let _ = (nameplate, port, no_discovery);
    Ok(None)
}

/// Browses the LAN for a pairing window with this nameplate for up to `timeout`; returns the
/// addresses found (possibly empty).
pub fn find_pairing(
    nameplate: u16,
    timeout: std::time::Duration,
) -> anyhow::Result<Vec<std::net::SocketAddr>> {
    let _ = (nameplate, timeout);
    anyhow::bail!("LAN discovery is not available in this build; pass --addr ADDR")
}
