//! Rapport's local web app: server-rendered pages (maud) served by the daemon on loopback,
//! over the same actions as the CLI (`Book`). Every asset is embedded; nothing is fetched
//! from anywhere else.
//!
//! Architecture invariant: this crate knows pages, HTTP and sign-in. The pages read and write
//! the contact book only through `Book`; its implementation (`app_book`) sends the
//! application layer's `Request`s and reads its view through `Home`, and never opens the store
//! itself.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod app_book;
pub mod auth;
pub mod book;
mod guard;
mod live;
mod pages;
pub mod phone;

pub use auth::Secrets;
pub use book::{Book, BookError, BookResult};

use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// The port the app listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7449;

/// What every handler shares.
pub struct State {
    pub(crate) book: Arc<dyn Book>,
    pub(crate) secrets: Secrets,
    /// The `Host` values this server answers to.
    pub(crate) hosts: [String; 3],
    pub(crate) cookie_name: String,
    pub(crate) revision: tokio::sync::watch::Sender<String>,
    /// The file shown in an import preview, kept until it is applied or replaced (one at a
    /// time: this is one person's app).
    pub(crate) upload: std::sync::Mutex<Option<pages::import::Upload>>,
    /// The sentences recent actions ended with (Today, history), by number: the page an
    /// action redirects to names its sentence (`?said=N`), so a live refresh of that page
    /// shows it again instead of losing it.
    pub(crate) said: std::sync::Mutex<pages::Said>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("the web app listens on this machine only (127.0.0.1, localhost or ::1), not on {0}: reaching it from another machine needs TLS and device sign-in, which Rapport does not do yet")]
    NotLoopback(SocketAddr),
    #[error("could not listen on {addr} for the web app: {source}; pass another address with --ui, or --no-ui")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the web app stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Refuses any address that is not loopback.
pub fn check_loopback(addr: SocketAddr) -> Result<(), ServeError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(ServeError::NotLoopback(addr))
    }
}

/// Binds the app's listener, loopback only.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    check_loopback(addr)?;
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// The whole app for a server listening on `port`.
pub fn router(book: Arc<dyn Book>, secrets: Secrets, port: u16) -> Router {
    router_with_state(state(book, secrets, port))
}

fn state(book: Arc<dyn Book>, secrets: Secrets, port: u16) -> Arc<State> {
    let cookie_name = format!(
        "rapport_{}",
        book.device_tag()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    );
    Arc::new(State {
        book,
        secrets,
        hosts: [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ],
        cookie_name,
        revision: tokio::sync::watch::channel(String::new()).0,
        upload: std::sync::Mutex::new(None),
        said: std::sync::Mutex::new(pages::Said::default()),
    })
}

fn router_with_state(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/signin",
            get(pages::signin::page).post(pages::signin::submit),
        )
        .route("/signout", post(pages::signin::signout))
        .route("/assets/{name}", get(pages::assets::serve))
        .route("/app", get(phone::redirect))
        .route("/app/", get(phone::index))
        .route("/app/{name}", get(phone::file))
        .route("/app/pkg/{name}", get(phone::pkg_file))
        .route(guard::WEBTRANSPORT_JSON, get(webtransport_json))
        .route("/events", get(live::events))
        .route(
            "/contacts",
            get(pages::contacts::page).post(pages::contacts::add),
        )
        .route("/contacts/{id}", get(pages::card::page))
        .route("/contacts/{id}/edit", post(pages::card::edit))
        .route("/contacts/{id}/note", post(pages::card::note))
        .route("/contacts/{id}/tags", post(pages::card::tags))
        .route("/contacts/{id}/groups", post(pages::card::groups))
        .route("/contacts/{id}/trash", post(pages::card::trash))
        .route("/contacts/{id}/restore", post(pages::card::restore))
        .route("/contacts/{id}/history", get(pages::history::page))
        .route("/contacts/{id}/revert", post(pages::history::revert))
        .route("/history/undo", post(pages::history::undo))
        .route(
            "/groups",
            get(pages::groups::page).post(pages::groups::create),
        )
        .route("/groups/members", post(pages::groups::members))
        .route("/groups/{id}/rename", post(pages::groups::rename))
        .route("/groups/{id}/delete", post(pages::groups::delete))
        .route("/groups/{id}/restore", post(pages::groups::restore))
        .route("/import", get(pages::import::page))
        .route(
            "/import/preview",
            post(pages::import::preview).layer(axum::extract::DefaultBodyLimit::max(
                pages::import::MAX_UPLOAD,
            )),
        )
        .route("/import/apply", post(pages::import::apply))
        .route("/import/undo", post(pages::import::undo))
        .route("/export/{kind}", get(pages::import::export))
        .route("/today", get(pages::today::page))
        .route("/today/done", post(pages::today::done))
        .route("/today/snooze", post(pages::today::snooze))
        .route("/introductions", get(pages::intro::page))
        .route("/devices", get(pages::devices::page))
        .route("/devices/pair", post(pages::devices::pair))
        .route(
            "/devices/{id}/revoke",
            get(pages::devices::confirm_revoke).post(pages::devices::revoke),
        )
        .route("/devices/quarantine", post(pages::devices::settle))
        .route("/conflicts", get(pages::conflicts::page))
        .route("/conflicts/resolve", post(pages::conflicts::resolve))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::check,
        ))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` resolves. Also watches the book for changes
/// (a sync, the CLI) so open pages update live.
pub async fn serve(
    listener: tokio::net::TcpListener,
    book: Arc<dyn Book>,
    secrets: Secrets,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let port = listener.local_addr()?.port();
    let state = state(book, secrets, port);
    let watcher = tokio::spawn(live::watch(state.clone()));
    let app = router_with_state(state);
    // Not a graceful shutdown: an open page's event stream never ends by itself, and every
    // write it could have made is already durable when its response was sent.
    let result = tokio::select! {
        r = axum::serve(listener, app) => r,
        () = shutdown => Ok(()),
    };
    watcher.abort();
    Ok(result?)
}

/// `GET /webtransport.json`: where browser devices reach the daemon over WebTransport and the
/// certificate hashes they pin; 404 when the daemon serves no WebTransport. A page this daemon
/// serves fetches it at each load (its origin is the daemon), so it never holds stale hashes.
async fn webtransport_json(
    axum::extract::State(state): pages::AppState,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.book.webtransport() {
        Some(info) => axum::Json(info).into_response(),
        None => (
            axum::http::StatusCode::NOT_FOUND,
            "This daemon serves no browser devices (started with --no-browser).",
        )
            .into_response(),
    }
}
