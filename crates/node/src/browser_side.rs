//! The daemon's WebTransport endpoint for browser devices (`rapport_net::browser`) and its
//! certificates, loaded from the store (or made) at start. The tasks that use it (accepting
//! browsers, rotating the certificate) are in `browser`.

use crate::host::Host;
use crate::replica::StoreReplica;
use crate::NodeError;
use rapport_net::browser::BrowserEndpoint;
use rapport_net::{with_replica, Shared, WtCertificates};
use rapport_sync::browser::Reach;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// The port browsers reach the daemon's WebTransport endpoint on by default.
pub const DEFAULT_BROWSER_PORT: u16 = 7450;

/// The daemon's WebTransport side.
pub(crate) struct BrowserSide {
    pub(crate) endpoint: BrowserEndpoint,
    pub(crate) certs: Mutex<WtCertificates>,
    device: String,
    vault: String,
    app_url: Option<String>,
}

/// What a browser needs to reach this daemon: where, and which certificate hashes to pin
/// (`serverCertificateHashes`; the one served now first, then the next).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrowserInfo {
    pub addr: SocketAddr,
    /// The addresses to give a browser: `addr`, or for an unspecified one every interface's.
    pub addrs: Vec<SocketAddr>,
    /// Where the phone app is published, if known (`serve --app-url`).
    pub app_url: Option<String>,
    /// Lower-case hex SHA-256 of each certificate's DER.
    pub cert_hashes: Vec<String>,
    /// Unix seconds when the served certificate expires.
    pub expires_at: u64,
    pub device_id: String,
    pub vault_id: String,
}

impl BrowserInfo {
    /// The certificate hashes as bytes (served now, then next).
    pub fn hashes(&self) -> Vec<[u8; 32]> {
        self.cert_hashes.iter().filter_map(|h| unhex(h)).collect()
    }

    /// What the daemon tells a proven browser after each sync's proof of key.
    pub fn reach(&self) -> Reach {
        Reach {
            cert_hashes: self.hashes(),
            addrs: self.addrs.clone(),
        }
    }
}

/// One of `BrowserInfo::cert_hashes` back to bytes; `None` for anything but 32 bytes of hex.
fn unhex(h: &str) -> Option<[u8; 32]> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(h.as_bytes())
        .ok()?
        .try_into()
        .ok()
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Loads (or makes) the certificates, rotates them if due, saves them, and binds `addr`. A
/// failure to bind is logged and the daemon goes on without browsers, as it does without iroh.
pub(crate) async fn bind<H: Host>(
    replica: &Shared<StoreReplica<H>>,
    addr: SocketAddr,
    app_url: Option<String>,
) -> Result<Option<Arc<BrowserSide>>, NodeError> {
    let (certs, key_der, device, vault) = with_replica(replica, move |r| {
        let identity = r.home.identity().clone();
        let store = r.home.store();
        let saved = store.browser_certs().map_err(crate::HostError::from)?;
        let now = unix_now();
        let (mut certs, mut changed) =
            match saved.and_then(|b| WtCertificates::from_bytes(&b, &identity)) {
                Some(certs) => (certs, false),
                None => (WtCertificates::new(&identity, now)?, true),
            };
        changed |= certs.refresh(&identity, now)?;
        if changed {
            store
                .set_browser_certs(&certs.to_bytes())
                .map_err(crate::HostError::from)?;
        }
        Ok::<_, NodeError>((
            certs,
            identity.key_der().to_vec(),
            r.device.to_string(),
            r.vault_id.to_string(),
        ))
    })
    .await??;
    match BrowserEndpoint::bind(addr, &key_der, &certs) {
        Ok(endpoint) => {
            tracing::info!(addr = %endpoint.local_addr()?, "serving browsers (WebTransport)");
            Ok(Some(Arc::new(BrowserSide {
                endpoint,
                certs: Mutex::new(certs),
                device,
                vault,
                app_url,
            })))
        }
        Err(e) => {
            tracing::warn!(error = %e, %addr, "could not serve browsers: WebTransport is off");
            Ok(None)
        }
    }
}

impl BrowserSide {
    pub(crate) fn info(&self) -> Option<BrowserInfo> {
        let certs = self.certs.lock().ok()?;
        let addr = self.endpoint.local_addr().ok()?;
        Some(BrowserInfo {
            addr,
            addrs: crate::advertise::advertised(addr),
            app_url: self.app_url.clone(),
            cert_hashes: certs.hashes().iter().map(|h| rapport_net::hex(h)).collect(),
            expires_at: certs.serving().not_after(),
            device_id: self.device.clone(),
            vault_id: self.vault.clone(),
        })
    }
}
