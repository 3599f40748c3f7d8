//! The web app's `Host` (see `rapport_web::app_book`): pairing windows, which run on the
//! daemon's sync node (`rapport_node::pairing`) and its runtime. Everything else the pages do
//! is a `rapport_app` request, sent by `rapport_web::app_book::AppBook`.

use rapport_app::node_host::SharedReplica;
use rapport_web::app_book::{AppBook, Host};
use rapport_web::book::{BookError, BookResult, PairingState, PairingView};
use std::sync::Arc;

/// The web app's book over the daemon's replica. Must be called on the daemon's runtime
/// (pairing windows run on it).
pub fn book(
    replica: SharedReplica,
    name: String,
    tag: String,
    no_discovery: bool,
) -> AppBook<WebHost> {
    let host = WebHost {
        pairing: Arc::default(),
        runtime: tokio::runtime::Handle::current(),
        no_discovery,
    };
    AppBook::new(replica, name, tag, host)
}

#[derive(Debug)]
pub struct WebHost {
    /// The pairing window opened from the page, shared with the task that runs it.
    pairing: Arc<std::sync::Mutex<Option<PairingView>>>,
    runtime: tokio::runtime::Handle,
    no_discovery: bool,
}

impl Host for WebHost {
    fn start_pairing(&self, replica: &SharedReplica) -> BookResult<()> {
        let window = rapport_node::pairing::Window {
            // Any free port on every interface, as the new device may be on the LAN; the
            // code's link and the page carry the addresses.
            listen: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            timeout: std::time::Duration::from_secs(300),
            json: true,
            no_discovery: self.no_discovery,
        };
        let me = replica.blocking_lock().device;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let replica = replica.clone();
        let task = self
            .runtime
            .spawn(async move { rapport_node::pairing::run(&replica, window, tx).await });
        // The first line is the code, as JSON; it comes before the window waits.
        let first = rx.blocking_recv().ok_or_else(|| {
            BookError::Failed("the pairing window did not open: try again".into())
        })?;
        #[derive(serde::Deserialize)]
        struct First {
            code: String,
            addresses: Vec<String>,
        }
        let first: First = serde_json::from_str(&first)
            .map_err(|_| BookError::Failed("the pairing window did not open: try again".into()))?;
        let link = first
            .code
            .parse::<rapport_sync::pairing::PairingCode>()
            .map(|c| rapport_node::pairing::uri(&c, &first.addresses, me))
            .unwrap_or_default();
        let slot = self.pairing.clone();
        if let Ok(mut s) = slot.lock() {
            *s = Some(PairingView {
                code: first.code,
                addresses: first.addresses,
                link,
                state: PairingState::Waiting,
            });
        }
        self.runtime.spawn(async move {
            // Later lines (the QR text, hints) are for the terminal; the page has its own.
            let drain = async { while rx.recv().await.is_some() {} };
            let (result, ()) = tokio::join!(task, drain);
            let state = match result {
                Ok(Ok(said)) => PairingState::Done(said),
                Ok(Err(e)) => PairingState::Failed(e.to_string()),
                Err(_) => PairingState::Failed("the pairing window stopped unexpectedly".into()),
            };
            if let Ok(mut s) = slot.lock() {
                if let Some(p) = s.as_mut() {
                    p.state = state;
                }
            }
        });
        Ok(())
    }

    fn pairing(&self) -> Option<PairingView> {
        self.pairing.lock().ok().and_then(|p| p.clone())
    }
}
