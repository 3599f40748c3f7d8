//! How a sync node serves.

use std::time::Duration;

/// How the node serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Announce and browse on the local network.
    pub discovery: bool,
    /// Sessions open at once, in all (handshakes included); more are turned away.
    pub max_sessions: usize,
    /// Sessions open at once with one device; a new one replaces its oldest.
    pub max_sessions_per_peer: usize,
    /// How often an idle live session re-announces its heads (anti-entropy): a backstop for a
    /// change whose wake-up was lost, or a peer that went back in time (a restored backup).
    pub resync_every: Duration,
    /// Sync beyond the LAN over iroh when the vault names a relay (`rapport relay set`). Its
    /// endpoint binds the same IP as the LAN endpoint: a loopback `--addr` keeps iroh on the
    /// loopback interface too (as the tests do), an unspecified one lets iroh use every
    /// interface.
    pub iroh: bool,
    /// Serve browser devices over WebTransport on this address (UDP), or not at all. The
    /// daemon's default is the `--listen` IP with port 7450 (`DEFAULT_BROWSER_PORT`).
    pub browser: Option<std::net::SocketAddr>,
    /// Where the phone app is published (`rapport ui --export-pwa`, hosted on HTTPS): the
    /// pairing link then opens it, the query in its fragment (`rapport_sync::invite`).
    pub app_url: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            discovery: true,
            max_sessions: 64,
            max_sessions_per_peer: 3,
            resync_every: Duration::from_secs(300),
            iroh: true,
            browser: None,
            app_url: None,
        }
    }
}
