//! The daemon's local socket. While `rapport serve` runs it holds the store (sled allows one
//! process), so other `rapport` commands on this home send their arguments over a Unix socket
//! that only the owner can open; the daemon runs the same command code against its loaded vault
//! and sends back what it printed and its exit code. The daemon then tells its live sessions.

use crate::cli::{Cli, Command};
use crate::home::Home;
use anyhow::{Context, Result};
use rapport_app::node_host::Replica;
use rapport_node::SyncNode;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// A request is at most this long; a response at most `MAX_RESPONSE`.
const MAX_REQUEST: u64 = 1 << 20;
const MAX_RESPONSE: u64 = 256 << 20;

#[derive(Debug, Serialize, Deserialize)]
struct Request {
    args: Vec<String>,
    /// The client's working folder: relative paths in `args` (`import FILE`, `export --out`,
    /// `backup PATH`) mean the user's folder, not the daemon's.
    #[serde(default)]
    cwd: Option<PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Response {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
    /// More responses follow (a long command, like `pair`, printing as it goes); `code` is
    /// meaningful only on the last one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

/// A command that the daemon ran; main exits with its code after printing its output.
#[derive(Debug)]
pub struct Forwarded(pub u8);
impl std::fmt::Display for Forwarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the daemon's command exited with {}", self.0)
    }
}
impl std::error::Error for Forwarded {}

pub fn socket_path(home: &Path) -> PathBuf {
    home.join("daemon.sock")
}

/// Sends this process's arguments to the daemon of `home`, if one is listening.
pub fn forward(home: &Path) -> Result<Option<Response>> {
    let path = socket_path(home);
    // A daemon that is starting holds the store a moment before its socket answers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let retry = rapport_node::Backoff::new(
        std::time::Duration::from_millis(5),
        std::time::Duration::from_millis(50),
    );
    let Ok(mut stream) =
        { retry }.retry_until(deadline, || std::os::unix::net::UnixStream::connect(&path))
    else {
        return Ok(None);
    };
    let request = Request {
        args: std::env::args().skip(1).collect(),
        cwd: std::env::current_dir().ok(),
    };
    let mut line = serde_json::to_vec(&request)?;
    line.push(b'\n');
    stream
        .write_all(&line)
        .context("could not talk to the running daemon")?;
    let mut reader = BufReader::new(stream.take(MAX_RESPONSE));
    loop {
        let mut buf = String::new();
        reader
            .read_line(&mut buf)
            .context("the running daemon did not answer")?;
        let response: Response =
            serde_json::from_str(&buf).context("the running daemon sent a garbled answer")?;
        if !response.partial {
            return Ok(Some(response));
        }
        // Print as it arrives: `pair` shows its code long before it ends.
        print!("{}", response.stdout);
        eprint!("{}", response.stderr);
        let _ = std::io::stdout().flush();
    }
}

/// Serves CLI requests on the home's socket until the task is dropped.
/// Opens the home's socket, owner-only. Done before the daemon announces itself, so that a
/// command run right after `serve` printed its address always finds the socket.
pub fn bind(home: &Path) -> Result<tokio::net::UnixListener> {
    let path = socket_path(home);
    // A socket left by a daemon that was killed: nothing listens on it (we hold the store lock).
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .with_context(|| format!("could not open the local socket {}", path.display()))?;
    set_owner_only(&path)?;
    Ok(listener)
}

/// Serves CLI requests on the bound socket until the task is dropped.
pub async fn listen(
    listener: tokio::net::UnixListener,
    node: SyncNode<Home>,
    no_discovery: bool,
) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let node = node.clone();
        tokio::spawn(async move {
            let _ = answer(stream, node, no_discovery).await;
        });
    }
}

#[cfg(unix)]
fn set_owner_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("could not restrict {}", path.display()))
}

async fn answer(
    stream: tokio::net::UnixStream,
    node: SyncNode<Home>,
    daemon_no_discovery: bool,
) -> Result<()> {
    let replica = node.replica().clone();
    let (read, mut write) = stream.into_split();
    let mut reader = tokio::io::BufReader::new(read.take(MAX_REQUEST));
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let request: Request = serde_json::from_str(&line)?;
    let parsed =
        Cli::try_parse_from(std::iter::once("rapport".to_owned()).chain(request.args.clone()));
    let response = match parsed {
        // A sync runs on the daemon's own endpoint, beside its live sessions.
        // A pairing window runs on its own endpoint beside the live sessions, and prints its
        // code (and what follows) while it waits.
        Ok(Cli {
            command:
                Command::Pair {
                    timeout,
                    json,
                    listen,
                    no_discovery,
                },
            ..
        }) => {
            let window = rapport_node::pairing::Window {
                listen,
                timeout,
                json,
                // `serve --no-discovery` means this machine stays silent on the LAN, pairing
                // windows included.
                no_discovery: no_discovery || daemon_no_discovery,
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let task =
                tokio::spawn(async move { rapport_node::pairing::run(&replica, window, tx).await });
            let mut gone = [0u8; 1];
            loop {
                let line = tokio::select! {
                    line = rx.recv() => match line {
                        Some(line) => line,
                        None => break,
                    },
                    // The client sends nothing after its request: any read returning means it
                    // went away (Ctrl-C on `rapport pair`). Nobody sees the code any more, so
                    // the window must not stay open to admit a device unwatched.
                    _ = reader.read(&mut gone) => {
                        task.abort();
                        return Ok(());
                    }
                };
                let partial = Response {
                    stdout: format!("{line}\n"),
                    stderr: String::new(),
                    code: 0,
                    partial: true,
                };
                let mut bytes = serde_json::to_vec(&partial)?;
                bytes.push(b'\n');
                if write.write_all(&bytes).await.is_err() {
                    // Nobody sees the code any more: close the window.
                    task.abort();
                    return Ok(());
                }
            }
            match task.await {
                Ok(Ok(message)) => Response {
                    stdout: format!("{message}\n"),
                    stderr: String::new(),
                    code: 0,
                    partial: false,
                },
                Ok(Err(e)) => error_response(&e.into()),
                Err(_) => error_response(&anyhow::anyhow!(
                    "the pairing window stopped unexpectedly: run `rapport pair` again"
                )),
            }
        }
        Ok(Cli {
            command: Command::Sync { addr, device },
            ..
        }) => {
            let target = rapport_net::with_replica(&replica, move |r| {
                crate::cmd::sync::target(&r.home, addr, device.as_deref())
            })
            .await;
            match target {
                Ok(Ok(addr)) => sync_response(&node, addr).await,
                Ok(Err(e)) => error_response(&e),
                Err(e) => error_response(&e.into()),
            }
        }
        _ => {
            tokio::task::spawn_blocking(move || {
                let mut replica = replica.blocking_lock();
                run(&mut replica, request.args, request.cwd.as_deref())
            })
            .await?
        }
    };
    let mut bytes = serde_json::to_vec(&response)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await?;
    write.shutdown().await?;
    Ok(())
}

fn error_response(e: &anyhow::Error) -> Response {
    Response {
        stdout: String::new(),
        stderr: format!("error: {}\n", crate::render::error_chain(e)),
        code: crate::exit_code(e),
        partial: false,
    }
}

async fn sync_response(node: &SyncNode<Home>, addr: std::net::SocketAddr) -> Response {
    match node.sync_with(addr).await {
        Ok(report) => Response {
            stdout: format!("{}\n", crate::cmd::sync::synced_line(&report, addr)),
            stderr: String::new(),
            code: 0,
            partial: false,
        },
        Err(e) => error_response(&e.into()),
    }
}

/// Runs one forwarded command against the daemon's home.
fn run(replica: &mut Replica, args: Vec<String>, cwd: Option<&Path>) -> Response {
    let mut cli = match Cli::try_parse_from(std::iter::once("rapport".to_owned()).chain(args)) {
        Ok(cli) => cli,
        Err(e) => {
            return Response {
                stdout: String::new(),
                stderr: e.render().to_string(),
                code: 2,
                partial: false,
            }
        }
    };
    if let Some(cwd) = cwd {
        cli.command.resolve_paths(cwd);
    }
    let before = replica.home.vault_mut().map(|v| v.heads()).ok();
    let (result, stdout, mut stderr) = crate::out::capture(|| {
        match cli.command {
        Command::Init { .. }
        | Command::Serve { .. }
        | Command::Ui { .. }
        | Command::Clone { .. }
        | Command::Join { .. }
        | Command::Repair
        | Command::Demo { .. } => Err(anyhow::anyhow!(
            "`rapport serve` is running on this home and holds its store: stop it (Ctrl-C) before running this command"
        )),
        Command::Device { json, .. } => crate::cmd::device::describe(&replica.home, json),
        Command::Sync { .. } => Err(anyhow::anyhow!("the daemon runs syncs on its own endpoint")),
        command => crate::cmd::dispatch(&replica.home, command),
    }
    });
    let code = match &result {
        Ok(()) => 0,
        Err(e) => {
            stderr.push_str(&format!("error: {}\n", crate::render::error_chain(e)));
            crate::exit_code(e)
        }
    };
    let after = replica.home.vault_mut().map(|v| v.heads()).ok();
    if before != after {
        if let Err(e) = replica.changed_locally() {
            stderr.push_str(&format!("warning: {e}\n"));
        }
    }
    Response {
        stdout,
        stderr,
        code,
        partial: false,
    }
}

use clap::Parser;
