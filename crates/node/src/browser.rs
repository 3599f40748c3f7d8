//! Browser devices on the daemon: the WebTransport endpoint (`rapport_net::browser`), its
//! certificates kept in the store and rotated, and the accept loop that proves each browser's
//! key against the roster and then runs the same live session as any peer's (so `status`,
//! `devices`, revocation and the session limits treat a browser like every device).

use crate::ctx::Ctx;
use crate::events::Reached;
use crate::host::Host;
use crate::replica::StoreReplica;
use crate::NodeError;
use rapport_net::browser::{BrowserCheck, BrowserEndpoint, BrowserLogin};
use rapport_net::{with_replica, Shared, WtCertificates};
use rapport_sync::Role;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The port browsers reach the daemon's WebTransport endpoint on by default.
pub const DEFAULT_BROWSER_PORT: u16 = 7450;
/// How often the daemon checks whether its certificate is due for rotation. Rotation happens
/// with 7 days left, so an hour is plenty.
const ROTATE_CHECK_EVERY: Duration = Duration::from_secs(3600);

/// The daemon's WebTransport side.
pub(crate) struct BrowserSide {
    pub(crate) endpoint: BrowserEndpoint,
    certs: Mutex<WtCertificates>,
    device: String,
    vault: String,
}

/// What a browser needs to reach this daemon: where, and which certificate hashes to pin
/// (`serverCertificateHashes`; the one served now first, then the next).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrowserInfo {
    pub addr: SocketAddr,
    /// Lower-case hex SHA-256 of each certificate's DER.
    pub cert_hashes: Vec<String>,
    /// Unix seconds when the served certificate expires.
    pub expires_at: u64,
    pub device_id: String,
    pub vault_id: String,
}

fn unix_now() -> u64 {
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
        Some(BrowserInfo {
            addr: self.endpoint.local_addr().ok()?,
            cert_hashes: certs.hashes().iter().map(|h| rapport_net::hex(h)).collect(),
            expires_at: certs.serving().not_after(),
            device_id: self.device.clone(),
            vault_id: self.vault.clone(),
        })
    }
}

/// Rotates the certificate when due (saved before it is served), forever.
pub(crate) async fn rotate<H: Host>(ctx: Arc<Ctx<H>>, side: Arc<BrowserSide>) {
    loop {
        tokio::time::sleep(ROTATE_CHECK_EVERY).await;
        let Ok(mut certs) = side.certs.lock().map(|c| c.clone()) else {
            return;
        };
        let rotated = with_replica(&ctx.replica, move |r| {
            let identity = r.home.identity().clone();
            match certs.refresh(&identity, unix_now()) {
                Ok(true) => r
                    .home
                    .store()
                    .set_browser_certs(&certs.to_bytes())
                    .map(|()| Some(certs))
                    .map_err(|e| e.to_string()),
                Ok(false) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        match rotated {
            Ok(Ok(Some(certs))) => {
                if let Err(e) = side.endpoint.reload(&certs) {
                    tracing::warn!(error = %e, "could not serve the rotated certificate");
                    continue;
                }
                if let Ok(mut held) = side.certs.lock() {
                    *held = certs;
                }
                tracing::info!("WebTransport certificate rotated");
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not rotate the WebTransport certificate")
            }
            Err(e) => tracing::warn!(error = %e, "could not rotate the WebTransport certificate"),
        }
    }
}

/// Accepts browsers: each proves its key (bounded in time) on a task of its own, within the
/// node's session slots; a trusted one gets a live session.
pub(crate) async fn accept<H: Host>(ctx: Arc<Ctx<H>>, side: Arc<BrowserSide>) {
    loop {
        let incoming = side.endpoint.accept().await;
        let Ok(slot) = ctx.slots.clone().try_acquire_owned() else {
            incoming.refuse();
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let vault = with_replica(&ctx.replica, |r| {
                (r.vault_id, r.device, r.browser_pairing.clone())
            })
            .await;
            let Ok((vault, me, window)) = vault else {
                return;
            };
            let check = BrowserCheck {
                vault,
                me,
                trust: ctx.roster.check(),
                pairing_open: window.is_some(),
            };
            match incoming.prove(&check).await {
                Ok(BrowserLogin::Sync(conn)) => {
                    let _ = ctx
                        .live_session(conn, Role::Responder, Reached::Accepted)
                        .await;
                }
                Ok(BrowserLogin::Pair(p)) => match window {
                    // The window runs the exchange (and the vault fetch) on its own task.
                    Some(window) => {
                        if let Err(refused) = window.send(p).await {
                            refused.0.conn.close(rapport_net::CloseCode::PairingRefused);
                        }
                    }
                    None => p.conn.close(rapport_net::CloseCode::PairingRefused),
                },
                Err(e) => tracing::debug!(error = %e, "browser refused"),
            }
            drop(slot);
        });
    }
}
