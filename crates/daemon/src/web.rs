//! The web app inside `rapport serve`: its listener, its address file for `rapport ui`, and its
//! `Host` (see `rapport_web::app_book`), which runs pairing windows on the daemon's sync node
//! (`rapport_node::pairing`) and its runtime. Everything else the pages do is a `rapport_app`
//! request, sent by `rapport_web::app_book::AppBook`.

use crate::launch::address_path;
use crate::DaemonError;
use rapport_app::node_host::SharedReplica;
use rapport_model::DeviceId;
use rapport_web::app_book::{AppBook, Host};
use rapport_web::auth::write_owner_only;
use rapport_web::book::{BookError, BookResult, PairingState, PairingView};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// What the web app serves: the daemon's replica and who this device is.
pub struct App<'a> {
    pub home: &'a Path,
    pub replica: SharedReplica,
    pub device_name: String,
    pub device: DeviceId,
    pub no_discovery: bool,
    /// The sync node, for what browser devices need (the WebTransport port and hashes).
    pub node: rapport_node::SyncNode<rapport_app::Home>,
}

/// Starts the web app on `addr`; `None` (and a line on stderr) when that address is taken, so
/// the daemon still syncs without it.
pub async fn start(
    app: App<'_>,
    addr: SocketAddr,
) -> Result<Option<tokio::task::JoinHandle<()>>, DaemonError> {
    let secrets = rapport_web::Secrets::load_or_create(app.home)?;
    let listener = match rapport_web::bind(addr).await {
        Ok(l) => l,
        Err(e @ rapport_web::ServeError::Bind { .. }) => {
            eprintln!("rapport: {e}; serving without the web app");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let local = listener.local_addr()?;
    let address_file = address_path(app.home);
    write_owner_only(&address_file, local.to_string().as_bytes())
        .map_err(DaemonError::file(address_file))?;
    let _ = writeln!(
        std::io::stdout(),
        "web app on http://{local} (`rapport ui` opens it signed in)"
    );
    let host = WebHost {
        pairing: Arc::default(),
        runtime: tokio::runtime::Handle::current(),
        no_discovery: app.no_discovery,
        node: app.node,
    };
    let book = Arc::new(AppBook::new(
        app.replica,
        app.device_name,
        app.device.short(),
        host,
    ));
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = rapport_web::serve(listener, book, secrets, std::future::pending()).await {
            eprintln!("rapport: {e}");
        }
    })))
}

#[derive(Debug)]
struct WebHost {
    /// The pairing window opened from the page, shared with the task that runs it.
    pairing: Arc<std::sync::Mutex<Option<PairingView>>>,
    runtime: tokio::runtime::Handle,
    no_discovery: bool,
    node: rapport_node::SyncNode<rapport_app::Home>,
}

impl Host for WebHost {
    fn webtransport(&self) -> Option<rapport_web::book::WebTransportInfo> {
        let info = self.node.browser_info()?;
        Some(rapport_web::book::WebTransportInfo {
            port: info.addr.port(),
            cert_hashes: info.cert_hashes,
            expires_at: info.expires_at,
            device_id: info.device_id,
            vault_id: info.vault_id,
        })
    }

    fn start_pairing(&self, replica: &SharedReplica) -> BookResult<()> {
        let window = rapport_node::pairing::Window {
            // Any free port on every interface, as the new device may be on the LAN; the
            // code's link and the page carry the addresses.
            listen: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            timeout: std::time::Duration::from_secs(300),
            json: true,
            no_discovery: self.no_discovery,
            browser: self.node.browser_info(),
        };
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
            link: String,
        }
        let first: First = serde_json::from_str(&first)
            .map_err(|_| BookError::Failed("the pairing window did not open: try again".into()))?;
        let slot = self.pairing.clone();
        if let Ok(mut s) = slot.lock() {
            *s = Some(PairingView {
                code: first.code,
                addresses: first.addresses,
                link: first.link,
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
