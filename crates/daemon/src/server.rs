//! `rapport serve`, and its local socket. While `rapport serve` runs it holds the store (sled
//! allows one process), so other `rapport` commands on this home send their parsed command over
//! a Unix socket that only the owner can open, framed and versioned by `rapport_app::wire`. The
//! daemon answers with typed values (a `Response`, pairing events, a sync's figures) that the
//! CLI renders exactly as it renders a local run; then it tells its live sessions.

use crate::client::{socket_path, Call};
use crate::DaemonError;
use rapport_app::devices::SyncTarget;
use rapport_app::exit;
use rapport_app::node_host::{Replica, SharedReplica};
use rapport_app::wire::{self, Failure, Reply, WireError};
use rapport_app::Home;
use rapport_node::pairing::Window;
use rapport_node::{ServeOptions, SyncNode};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Mutex;

/// Runs the daemon on `home` until SIGINT or SIGTERM: the sync node on `listen`, the local
/// socket, the web app on `ui` (loopback only), and browser devices over WebTransport on
/// `browser`. Every acknowledged change is on disk when it returns.
pub fn serve(
    home: Home,
    listen: SocketAddr,
    no_discovery: bool,
    ui: Option<SocketAddr>,
    browser: Option<SocketAddr>,
    app_url: Option<String>,
) -> Result<(), DaemonError> {
    if let Some(addr) = ui {
        // Refused before anything starts: the app can edit and export the whole network.
        rapport_web::check_loopback(addr)?;
    }
    // Loading the vault blocks: done before the runtime exists.
    let replica = Replica::open(home)?;
    let (vault_id, device, home_dir) = (replica.vault_id, replica.device, replica.home.dir.clone());
    let device_name = replica.home.device_name.clone();
    let replica: SharedReplica = Arc::new(Mutex::new(replica));
    let rt = rapport_node::runtime().map_err(DaemonError::Runtime)?;
    rt.block_on(async {
        let options = ServeOptions {
            discovery: !no_discovery,
            browser,
            app_url,
            ..ServeOptions::default()
        };
        let node = SyncNode::start(replica.clone(), listen, options).await?;
        let addr = node.local_addr()?;
        let socket = bind(&home_dir)?;
        println!("serving vault {vault_id} as {device} on {addr}");

        std::io::stdout().flush()?;
        let web = match ui {
            Some(addr) => {
                let app = crate::web::App {
                    home: &home_dir,
                    replica: replica.clone(),
                    device_name,
                    device,
                    no_discovery,
                    node: node.clone(),
                };
                crate::web::start(app, addr).await?
            }
            None => None,
        };
        // No line on stdout for the WebTransport port: whoever started `serve` may read its first
        // two lines and close the pipe (a third would then fail). The node logs it on stderr,
        // and the web app's `/webtransport.json` gives it with the certificate hashes.
        let socket = tokio::spawn(self::listen(socket, node.clone(), no_discovery));
        node.run(shutdown_signal()).await?;
        socket.abort();
        let _ = std::fs::remove_file(socket_path(&home_dir));
        if let Some(web) = web {
            web.abort();
            let _ = std::fs::remove_file(crate::launch::address_path(&home_dir));
        }
        // Every session has let go of the replica once the endpoint is closed.
        drop(replica.lock().await);
        eprintln!("rapport: stopped; every acknowledged change is on disk");
        Ok(())
    })
}

/// Opens the home's socket, owner-only. Done before the daemon announces itself, so that a
/// command run right after `serve` printed its address always finds the socket.
fn bind(home: &Path) -> Result<UnixListener, DaemonError> {
    let path = socket_path(home);
    // A socket left by a daemon that was killed: nothing listens on it (we hold the store lock).
    let _ = std::fs::remove_file(&path);
    let socket_error = |source| DaemonError::Socket {
        path: path.clone(),
        source,
    };
    let listener = UnixListener::bind(&path).map_err(socket_error)?;
    set_owner_only(&path).map_err(socket_error)?;
    Ok(listener)
}

#[cfg(unix)]
fn set_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Serves CLI requests on the bound socket until the task is dropped.
async fn listen(
    listener: UnixListener,
    node: SyncNode<Home>,
    no_discovery: bool,
) -> Result<(), DaemonError> {
    loop {
        let (stream, _) = listener.accept().await?;
        let node = node.clone();
        tokio::spawn(async move {
            // A client that went away mid-answer has nobody to tell.
            let _ = answer(stream, node, no_discovery).await;
        });
    }
}

async fn answer(
    stream: UnixStream,
    node: SyncNode<Home>,
    daemon_no_discovery: bool,
) -> Result<(), DaemonError> {
    let (mut read, mut write) = stream.into_split();
    let call = match read_call(&mut read).await {
        Ok(call) => call,
        Err(WireError::OldClient) => {
            // The line an older CLI reads: its own sentence, on stderr, exit 1.
            let line = serde_json::json!({
                "stdout": "",
                "stderr": format!("error: {}\n", WireError::OldClient),
                "code": 1,
            });
            write.write_all(format!("{line}\n").as_bytes()).await?;
            return Ok(());
        }
        Err(e) => {
            let refused = Reply::Refused(exit::failure(&e));
            write.write_all(&wire::server_frame(refused)?).await?;
            return Ok(());
        }
    };
    let reply = match call {
        Call::Pair(w) => {
            let window = Window {
                listen: w.listen,
                timeout: w.timeout,
                json: false,
                // `serve --no-discovery` means this machine stays silent on the LAN, pairing
                // windows included.
                no_discovery: w.no_discovery || daemon_no_discovery,
                // A browser scanning the code learns where to reach this daemon.
                browser: node.browser_info(),
            };
            match pair(&node, window, &mut read, &mut write).await? {
                Some(reply) => reply,
                // The client went away: nobody sees the code, so the window is closed.
                None => return Ok(()),
            }
        }
        Call::Sync { addr, device } => Reply::Synced(sync(&node, addr, device).await),
        Call::App(request) => {
            let replica = node.replica().clone();
            tokio::task::spawn_blocking(move || run(&mut replica.blocking_lock(), &request))
                .await
                .unwrap_or_else(|_| Reply::Refused(internal("the request stopped unexpectedly")))
        }
    };
    write.write_all(&wire::server_frame(reply)?).await?;
    write.shutdown().await?;
    Ok(())
}

/// A failure that is rapport's own bug, with the sentence to show.
fn internal(what: &str) -> Failure {
    Failure {
        message: format!("{what}: run the command again, and report it if it repeats"),
        exit_code: 1,
    }
}

async fn read_call(read: &mut OwnedReadHalf) -> Result<Call, WireError> {
    let mut header = [0u8; 4];
    read.read_exact(&mut header).await?;
    let mut body = vec![0u8; wire::body_len(header, wire::MAX_CALL)?];
    read.read_exact(&mut body).await?;
    wire::decode_call(&body)
}

/// Runs a pairing window, sending its events as they come; `None` if the client went away.
async fn pair(
    node: &SyncNode<Home>,
    window: Window,
    read: &mut OwnedReadHalf,
    write: &mut OwnedWriteHalf,
) -> Result<Option<Reply>, DaemonError> {
    let replica = node.replica().clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut task =
        tokio::spawn(async move { rapport_node::pairing::run_events(&replica, window, tx).await });
    let mut gone = [0u8; 1];
    let mut events_open = true;
    let done = loop {
        tokio::select! {
            event = rx.recv(), if events_open => match event {
                Some(event) => {
                    let frame = wire::server_frame(Reply::Pairing(event))?;
                    if write.write_all(&frame).await.is_err() {
                        task.abort();
                        return Ok(None);
                    }
                }
                None => events_open = false,
            },
            // The client sends nothing after its call: any read returning means it went away
            // (Ctrl-C on `rapport pair`). The window must not stay open to admit a device
            // unwatched.
            _ = read.read(&mut gone) => {
                task.abort();
                return Ok(None);
            }
            done = &mut task => break done,
        }
    };
    Ok(Some(Reply::Paired(match done {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(exit::failure(&e)),
        Err(_) => Err(Failure {
            message: "the pairing window stopped unexpectedly: run `rapport pair` again".into(),
            exit_code: 1,
        }),
    })))
}

async fn sync(
    node: &SyncNode<Home>,
    addr: Option<SocketAddr>,
    device: Option<String>,
) -> Result<wire::Synced, Failure> {
    let target = rapport_net::with_replica(node.replica(), move |r| {
        rapport_app::devices::sync_target(&r.home, addr, device.as_deref())
    })
    .await;
    let addr = match target {
        Ok(Ok(SyncTarget::Addr(addr))) => addr,
        Ok(Ok(SyncTarget::Iroh(peer))) => {
            return match node.sync_device(peer).await {
                Ok(report) => Ok(crate::synced(&report, SocketAddr::from(([0, 0, 0, 0], 0)))),
                Err(e) => Err(exit::failure(&e)),
            }
        }
        Ok(Err(e)) => return Err(exit::failure(&e)),
        Err(e) => return Err(exit::failure(&e)),
    };
    match node.sync_with(addr).await {
        Ok(report) => Ok(crate::synced(&report, addr)),
        Err(e) => Err(exit::failure(&e)),
    }
}

/// Answers one forwarded request against the daemon's home, then tells the live sessions if
/// it changed the vault.
fn run(replica: &mut Replica, request: &rapport_app::Request) -> Reply {
    let before = replica.home.vault_mut().map(|v| v.heads()).ok();
    let result = rapport_app::handle(&replica.home, request);
    let mut notes = replica.home.take_notes();
    let result = result.map_err(|e| exit::failure(&e));
    let after = replica.home.vault_mut().map(|v| v.heads()).ok();
    if before != after {
        if let Err(e) = replica.changed_locally() {
            notes.push(format!("warning: {e}"));
        }
    }
    Reply::App { result, notes }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
