//! Browser devices on the daemon: the accept loop that proves each browser's key against the
//! roster and then runs the same live session as any peer's (so `status`, `devices`,
//! revocation and the session limits treat a browser like every device), or hands a browser
//! asking to pair to the open pairing window; and the certificate's rotation.

use crate::browser_side::{unix_now, BrowserSide};
use crate::ctx::Ctx;
use crate::events::Reached;
use crate::host::Host;
use rapport_net::browser::{BrowserCheck, BrowserLogin};
use rapport_net::with_replica;
use rapport_sync::Role;
use std::sync::Arc;
use std::time::Duration;

/// How often the daemon checks whether its certificate is due for rotation. Rotation happens
/// with 7 days left, so an hour is plenty.
const ROTATE_CHECK_EVERY: Duration = Duration::from_secs(3600);

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
        let side = side.clone();
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
                reach: side.info().map(|i| i.reach()),
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
