//! Pairing over QUIC. A pairing window is a short-lived endpoint of its own, on its own ALPN
//! (`rapport-pair/1`), whose verifier accepts any well-formed device certificate: the joining
//! device is not in the roster yet, and what authenticates it is the SPAKE2 exchange and the key
//! confirmation (`rapport_sync::pairing`), which binds the device ids that this very TLS
//! connection shows. The sync endpoint (`Node`, ALPN `rapport/1`) never changes its verifier:
//! outside a window, and on the sync ALPN always, an unknown certificate is refused.
//!
//! Once the pairing device has added the joiner to its roster, the joiner fetches the vault
//! over the same connection, with an ordinary sync session on a second stream: that connection
//! is by then as authenticated as a pinned one, and it saves a second handshake.

use crate::driver::{run_session, Replica, SessionOptions, SessionReport};
use crate::endpoint::{device_of_connection, transport, NodeConfig};
use crate::{tls, NetError};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{Connection, Endpoint, RecvStream, SendStream, VarInt};
use rand::rngs::OsRng;
use rapport_identity::{DeviceIdentity, TLS_SERVER_NAME};
use rapport_model::{DeviceId, VaultId};
use rapport_sync::pairing::{Host, Joiner, Message, MessageReader, PairError, PairingCode};
use rapport_sync::Role;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};

/// ALPN of the pairing exchange.
pub const PAIR_ALPN: &[u8] = b"rapport-pair/1";

/// How long either side waits for the other's next pairing message.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the joining device waits for the pairing device to answer at all (a closed window
/// does not answer: QUIC over UDP hears no refusal).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

/// A replica that can admit a newly paired device to its roster (durably, before `Welcome`).
pub trait Admit: Replica {
    fn admit(&mut self, device: DeviceId, name: &str) -> Result<(), String>;
}

/// A device that paired.
#[derive(Debug)]
pub struct Paired {
    pub device: DeviceId,
    pub name: String,
    /// The vault fetch that followed, over the same connection.
    pub clone: Result<SessionReport, String>,
    pub handshake: Duration,
}

/// The pairing device's endpoint, open only while a code is valid.
#[derive(Debug)]
pub struct PairingEndpoint {
    endpoint: Endpoint,
}

impl PairingEndpoint {
    /// Binds `addr` for a pairing window.
    pub fn bind(addr: SocketAddr, identity: &DeviceIdentity) -> Result<PairingEndpoint, NetError> {
        let mut tls = tls::server_config(identity, Arc::new(|_| true))?;
        tls.alpn_protocols = vec![PAIR_ALPN.to_vec()];
        let crypto = QuicServerConfig::try_from(tls).map_err(|e| NetError::Tls(e.to_string()))?;
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
        server
            .transport_config(Arc::new(transport(&NodeConfig::default())?))
            .max_incoming(4);
        let endpoint =
            Endpoint::server(server, addr).map_err(|source| NetError::Bind { addr, source })?;
        Ok(PairingEndpoint { endpoint })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        self.endpoint
            .local_addr()
            .map_err(|e| NetError::Connection(e.to_string()))
    }

    /// Runs the window until one device pairs (and has fetched the vault), the code is burned,
    /// or `deadline` passes. Refused attempts (busy, malformed) do not end the window.
    pub async fn host<R: Admit>(
        &self,
        host: Host,
        replica: Arc<Mutex<R>>,
        deadline: Instant,
        now_ms: fn() -> u64,
    ) -> Result<Paired, NetError> {
        let host = Arc::new(std::sync::Mutex::new(host));
        let (tx, mut rx) = mpsc::channel(8);
        let deadline = tokio::time::Instant::from_std(deadline);
        let mut deadline_passed = false;
        loop {
            tokio::select! {
                incoming = self.endpoint.accept() => {
                    let Some(incoming) = incoming else {
                        return Err(NetError::Connection("the pairing endpoint closed".into()));
                    };
                    let (host, replica, tx) = (host.clone(), replica.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = answer(incoming, host, replica, now_ms).await;
                        let _ = tx.send(result).await;
                    });
                }
                Some(result) = rx.recv() => {
                    let (burned, paired) = host
                        .lock()
                        .map(|h| (h.is_burned(), h.is_paired()))
                        .unwrap_or((true, false));
                    match result {
                        Ok(paired) => return Ok(paired),
                        // A device was admitted and is still fetching the vault: a late
                        // attempt told "used" (or "busy", "expired") must not close the window
                        // under it. The admitted attempt ends on its own step timeouts.
                        Err(NetError::Pair(
                            PairError::Used | PairError::Busy | PairError::Expired | PairError::Burned,
                        )) if paired => {}
                        Err(e) if burned || paired => return Err(e),
                        Err(_) => {}
                    }
                }
                () = tokio::time::sleep_until(deadline), if !deadline_passed => {
                    // Same reason: a device admitted just before the deadline gets its vault.
                    if host.lock().map(|h| h.is_paired()).unwrap_or(false) {
                        deadline_passed = true;
                    } else {
                        return Err(PairError::Expired.into());
                    }
                }
            }
        }
    }

    /// Closes the window: in-flight attempts are cut off.
    pub async fn close(&self) {
        self.endpoint
            .close(VarInt::from_u32(0), b"pairing window closed");
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

async fn answer<R: Admit>(
    incoming: quinn::Incoming,
    host: Arc<std::sync::Mutex<Host>>,
    replica: Arc<Mutex<R>>,
    now_ms: fn() -> u64,
) -> Result<Paired, NetError> {
    let started = Instant::now();
    let conn = tokio::time::timeout(STEP_TIMEOUT, incoming)
        .await
        .map_err(|_| NetError::Connection("the pairing handshake timed out".into()))?
        .map_err(|e| NetError::Connection(e.to_string()))?;
    let joiner = device_of_connection(&conn)
        .ok_or_else(|| NetError::Refused("the peer has no device certificate".into()))?;
    let (mut send, mut recv) = step(conn.accept_bi()).await?;
    let mut reader = MessageReader::default();
    let start = read_message(&mut recv, &mut reader).await?;
    let reply = {
        let mut h = lock(&host)?;
        h.handle_start(joiner, &start, now_ms(), &mut OsRng)
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => return Err(refuse(&conn, send, e).await),
    };
    // From here until the confirmation is checked, any failure burns the code: the peer may
    // already hold our key-dependent reply.
    let exchange = async {
        write_message(&mut send, &reply).await?;
        read_message(&mut recv, &mut reader).await
    };
    let confirm = match exchange.await {
        Ok(m) => m,
        Err(e) => {
            lock(&host)?.abandon();
            return Err(e);
        }
    };
    let result = lock(&host)?.handle_confirm(joiner, &confirm);
    let name = match result {
        Ok(name) => name,
        Err(e) => return Err(refuse(&conn, send, e).await),
    };
    if let Err(e) = replica.lock().await.admit(joiner, &name) {
        let _ = refuse(&conn, send, PairError::Internal).await;
        return Err(NetError::Persist(e));
    }
    write_message(&mut send, &Message::Welcome).await?;
    let _ = send.finish();
    let handshake = started.elapsed();
    let clone = run_session(&conn, Role::Responder, replica, SessionOptions::default())
        .await
        .map_err(|e| e.to_string());
    // The joiner closes once it holds the vault; wait for that (bounded) so nothing is cut.
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
    Ok(Paired {
        device: joiner,
        name,
        clone,
        handshake,
    })
}

fn lock(host: &std::sync::Mutex<Host>) -> Result<std::sync::MutexGuard<'_, Host>, NetError> {
    host.lock().map_err(|_| NetError::Pair(PairError::Internal))
}

/// Tells the joiner why, lets that reach it, and returns the error for our side.
async fn refuse(conn: &Connection, mut send: SendStream, e: PairError) -> NetError {
    let _ = write_message(&mut send, &Message::Refused(e.refusal())).await;
    let _ = send.finish();
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
    NetError::Pair(e)
}

async fn step<T, E: std::fmt::Display>(
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, NetError> {
    tokio::time::timeout(STEP_TIMEOUT, f)
        .await
        .map_err(|_| NetError::Connection("the other device stopped answering".into()))?
        .map_err(|e| crate::driver::connection_error(&e.to_string()))
}

async fn write_message(send: &mut SendStream, m: &Message) -> Result<(), NetError> {
    step(send.write_all(&m.encode())).await
}

async fn read_message(
    recv: &mut RecvStream,
    reader: &mut MessageReader,
) -> Result<Message, NetError> {
    let mut buf = [0u8; 1024];
    loop {
        if let Some(m) = reader.next_message()? {
            return Ok(m);
        }
        match step(recv.read(&mut buf)).await? {
            Some(n) => reader.push(&buf[..n])?,
            None => return Err(NetError::PeerClosed),
        }
    }
}

/// The joining device's connection once it is in the roster: fetch the vault over `conn`,
/// then call [`Joined::close`].
#[derive(Debug)]
pub struct Joined {
    endpoint: Endpoint,
    pub conn: Connection,
    pub host: DeviceId,
    pub vault: VaultId,
    pub handshake: Duration,
}

impl Joined {
    pub async fn close(self) {
        self.conn.close(VarInt::from_u32(0), b"done");
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

/// Pairs with the device at `addr` using `code`. `expected` pins the pairing device's id when
/// it is known (from a QR code); otherwise the key confirmation is what authenticates it.
pub async fn join(
    identity: &DeviceIdentity,
    addr: SocketAddr,
    code: &PairingCode,
    name: &str,
    expected: Option<DeviceId>,
) -> Result<Joined, NetError> {
    let started = Instant::now();
    let trust: tls::TrustCheck = match expected {
        Some(id) => Arc::new(move |d| *d == id),
        None => Arc::new(|_| true),
    };
    let mut tls = tls::client_config(identity, trust)?;
    tls.alpn_protocols = vec![PAIR_ALPN.to_vec()];
    let crypto = QuicClientConfig::try_from(tls).map_err(|e| NetError::Tls(e.to_string()))?;
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(Arc::new(transport(&NodeConfig::default())?));
    let local = if addr.ip().is_loopback() {
        SocketAddr::new(addr.ip(), 0)
    } else if addr.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let endpoint = Endpoint::client(local).map_err(|source| NetError::Bind {
        addr: local,
        source,
    })?;
    let conn = endpoint
        .connect_with(client, addr, TLS_SERVER_NAME)
        .map_err(|e| NetError::Connect {
            addr,
            reason: e.to_string(),
        })?;
    let conn = tokio::time::timeout(CONNECT_TIMEOUT, conn)
        .await
        .map_err(|_| NetError::Connect {
            addr,
            reason: "no pairing window answered there".into(),
        })?
        .map_err(|e| NetError::Connect {
            addr,
            reason: e.to_string(),
        })?;
    let host = device_of_connection(&conn)
        .ok_or_else(|| NetError::Refused("the pairing device has no device certificate".into()))?;
    let me = identity.device_id();
    let (joiner, start) = Joiner::start(code, me, name, &mut OsRng);
    let (mut send, mut recv) = step(conn.open_bi()).await?;
    write_message(&mut send, &start).await?;
    let mut reader = MessageReader::default();
    let reply = read_message(&mut recv, &mut reader).await?;
    let (confirm, vault) = match joiner.handle_reply(host, &reply) {
        Ok(ok) => ok,
        Err(e) => {
            if e == PairError::WrongCode {
                let _ = write_message(&mut send, &Message::Failed).await;
                let _ = send.finish();
                let _ = tokio::time::timeout(Duration::from_secs(2), send.stopped()).await;
            }
            conn.close(VarInt::from_u32(1), b"pairing failed");
            return Err(e.into());
        }
    };
    write_message(&mut send, &confirm).await?;
    match read_message(&mut recv, &mut reader).await? {
        Message::Welcome => Ok(Joined {
            endpoint,
            conn,
            host,
            vault,
            handshake: started.elapsed(),
        }),
        Message::Refused(r) => {
            conn.close(VarInt::from_u32(1), b"pairing refused");
            Err(PairError::from(r).into())
        }
        _ => Err(PairError::Malformed.into()),
    }
}
