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

use crate::conn::{transport as opaque, PeerConnection, PeerStream};
use crate::driver::{run_session, with_replica, Replica, SessionOptions, SessionReport, Shared};
use crate::endpoint::{transport, NodeConfig};
use crate::error::{self, TransportError};
use crate::{tls, CloseCode, NetError, Refusal};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{Endpoint, VarInt};
use rand::rngs::OsRng;
use rapport_identity::{DeviceIdentity, TLS_SERVER_NAME};
use rapport_model::{DeviceId, EndpointId, VaultId};
use rapport_sync::pairing::{Host, Joiner, Message, MessageReader, PairError, PairingCode};
use rapport_sync::Role;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// ALPN of the pairing exchange.
pub const PAIR_ALPN: &[u8] = b"rapport-pair/1";

/// How long either side waits for the other's next pairing message.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the joining device waits for the pairing device to answer at all (a closed window
/// does not answer: QUIC over UDP hears no refusal).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

/// A replica that can admit a newly paired device to its roster (durably, before `Welcome`).
pub trait Admit: Replica {
    /// Fails if the device may not join (it was revoked) or the roster cannot be saved.
    /// `endpoint` is the joiner's iroh endpoint id, which goes into its roster record at once.
    fn admit(
        &mut self,
        device: DeviceId,
        name: &str,
        endpoint: Option<EndpointId>,
    ) -> Result<(), Self::Error>;
}

/// A device that paired.
#[derive(Debug)]
pub struct Paired {
    pub device: DeviceId,
    pub name: String,
    /// The vault fetch that followed, over the same connection.
    pub clone: Result<SessionReport, NetError>,
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
        let crypto = QuicServerConfig::try_from(tls).map_err(|e| NetError::Tls(opaque(e)))?;
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
            .map_err(|e| NetError::Connection(opaque(e)))
    }

    /// Runs the window until one device pairs (and has fetched the vault), the code is burned,
    /// or `deadline` passes. Refused attempts (busy, malformed) do not end the window.
    pub async fn host<R: Admit>(
        &self,
        host: Host,
        replica: Shared<R>,
        deadline: Instant,
        now_ms: fn() -> u64,
    ) -> Result<Paired, NetError> {
        let (_none, browsers) = mpsc::channel(1);
        self.host_with_browsers(host, replica, deadline, now_ms, browsers)
            .await
    }

    /// [`PairingEndpoint::host`], also answering browsers that proved their key over
    /// WebTransport and asked to pair (`browsers`: the daemon's WebTransport accept loop sends
    /// them while this window is open). The same code, one guess in all.
    pub async fn host_with_browsers<R: Admit>(
        &self,
        host: Host,
        replica: Shared<R>,
        deadline: Instant,
        now_ms: fn() -> u64,
        mut browsers: mpsc::Receiver<crate::browser::BrowserPairing>,
    ) -> Result<Paired, NetError> {
        let host = Arc::new(std::sync::Mutex::new(host));
        let (tx, mut rx) = mpsc::channel(8);
        let deadline = tokio::time::Instant::from_std(deadline);
        let mut deadline_passed = false;
        loop {
            tokio::select! {
                incoming = self.endpoint.accept() => {
                    let Some(incoming) = incoming else {
                        return Err(NetError::Connection(TransportError::msg("the pairing endpoint closed")));
                    };
                    let (host, replica, tx) = (host.clone(), replica.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = answer(incoming, host, replica, now_ms).await;
                        let _ = tx.send(result).await;
                    });
                }
                Some(b) = browsers.recv() => {
                    let (host, replica, tx) = (host.clone(), replica.clone(), tx.clone());
                    tokio::spawn(async move {
                        let mut reader = MessageReader::default();
                        let result = match reader.push(&b.rest) {
                            Ok(()) => {
                                exchange(b.conn, b.stream, reader, host, replica, now_ms, Instant::now()).await
                            }
                            Err(e) => Err(e.into()),
                        };
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
    replica: Shared<R>,
    now_ms: fn() -> u64,
) -> Result<Paired, NetError> {
    let started = Instant::now();
    let conn = tokio::time::timeout(STEP_TIMEOUT, incoming)
        .await
        .map_err(|_| NetError::Timeout("the pairing handshake timed out"))?
        .map_err(error::from_connection)?;
    let conn = PeerConnection::new(conn).ok_or(NetError::Refused {
        why: Refusal::NoCertificate,
        source: None,
    })?;
    let stream = step(conn.accept_stream()).await?;
    exchange(
        conn,
        stream,
        MessageReader::default(),
        host,
        replica,
        now_ms,
        started,
    )
    .await
}

/// The host's side of the exchange on `stream` (a quinn pairing connection's, or a browser's
/// first WebTransport stream after its proof of key): `conn.peer()` is the joiner's proven
/// device id, which the key confirmation binds.
async fn exchange<R: Admit>(
    conn: PeerConnection,
    mut stream: PeerStream,
    mut reader: MessageReader,
    host: Arc<std::sync::Mutex<Host>>,
    replica: Shared<R>,
    now_ms: fn() -> u64,
    started: Instant,
) -> Result<Paired, NetError> {
    let joiner = conn.peer();
    let start = read_message(&mut stream, &mut reader).await?;
    let reply = {
        let mut h = lock(&host)?;
        h.handle_start(joiner, &start, now_ms(), &mut OsRng)
    };
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => return Err(refuse(&conn, stream, e).await),
    };
    // From here until the confirmation is checked, any failure burns the code: the peer may
    // already hold our key-dependent reply.
    let exchange = async {
        write_message(&mut stream, &reply).await?;
        read_message(&mut stream, &mut reader).await
    };
    let confirm = match exchange.await {
        Ok(m) => m,
        Err(e) => {
            lock(&host)?.abandon();
            return Err(e);
        }
    };
    let result = lock(&host)?.handle_confirm(joiner, &confirm);
    let admission = match result {
        Ok(admission) => admission,
        Err(e) => return Err(refuse(&conn, stream, e).await),
    };
    let name = admission.name.clone();
    let admitted = {
        with_replica(&replica, move |r| {
            r.admit(joiner, &admission.name, admission.endpoint)
                .map_err(|e| NetError::Persist(Box::new(e)))
        })
        .await
        .and_then(|r| r)
    };
    if let Err(e) = admitted {
        let _ = refuse(&conn, stream, PairError::Internal).await;
        return Err(e);
    }
    write_message(&mut stream, &Message::Welcome).await?;
    stream.finish();
    let handshake = started.elapsed();
    let clone = run_session(&conn, Role::Responder, replica, SessionOptions::default()).await;
    // The joiner closes once it holds the vault; wait for that (bounded) so nothing is cut.
    conn.closed_within(Duration::from_secs(5)).await;
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
async fn refuse(conn: &PeerConnection, mut stream: PeerStream, e: PairError) -> NetError {
    let _ = write_message(&mut stream, &Message::Refused(e.refusal())).await;
    stream.finish();
    conn.closed_within(Duration::from_secs(2)).await;
    NetError::Pair(e)
}

async fn step<T>(f: impl std::future::Future<Output = Result<T, NetError>>) -> Result<T, NetError> {
    tokio::time::timeout(STEP_TIMEOUT, f)
        .await
        .map_err(|_| NetError::Timeout("the other device stopped answering"))?
}

async fn write_message(stream: &mut PeerStream, m: &Message) -> Result<(), NetError> {
    step(stream.write_all(&m.encode())).await
}

async fn read_message(
    stream: &mut PeerStream,
    reader: &mut MessageReader,
) -> Result<Message, NetError> {
    let mut buf = [0u8; 1024];
    loop {
        if let Some(m) = reader.next_message()? {
            return Ok(m);
        }
        match step(stream.read(&mut buf)).await? {
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
    pub conn: PeerConnection,
    pub host: DeviceId,
    pub vault: VaultId,
    pub handshake: Duration,
}

impl Joined {
    pub async fn close(self) {
        self.conn.close(CloseCode::Done);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

/// Pairs with the device at `addr` using `code`. `expected` pins the pairing device's id when
/// it is known (from a QR code); otherwise the key confirmation is what authenticates it.
/// `endpoint_id` is this device's iroh endpoint id, announced so it is admitted beyond the LAN.
pub async fn join(
    identity: &DeviceIdentity,
    addr: SocketAddr,
    code: &PairingCode,
    name: &str,
    expected: Option<DeviceId>,
    endpoint_id: Option<EndpointId>,
) -> Result<Joined, NetError> {
    let started = Instant::now();
    let trust: tls::TrustCheck = match expected {
        Some(id) => Arc::new(move |d| *d == id),
        None => Arc::new(|_| true),
    };
    let mut tls = tls::client_config(identity, trust)?;
    tls.alpn_protocols = vec![PAIR_ALPN.to_vec()];
    let crypto = QuicClientConfig::try_from(tls).map_err(|e| NetError::Tls(opaque(e)))?;
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
            source: opaque(e),
        })?;
    let conn = tokio::time::timeout(CONNECT_TIMEOUT, conn)
        .await
        .map_err(|_| NetError::NoAnswer {
            addr,
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|e| NetError::Connect {
            addr,
            source: opaque(e),
        })?;
    let conn = PeerConnection::new(conn).ok_or(NetError::Refused {
        why: Refusal::NoCertificate,
        source: None,
    })?;
    let host = conn.peer();
    let me = identity.device_id();
    let (joiner, start) = Joiner::start(code, me, name, endpoint_id, &mut OsRng);
    let mut stream = step(conn.open_stream()).await?;
    write_message(&mut stream, &start).await?;
    let mut reader = MessageReader::default();
    let reply = read_message(&mut stream, &mut reader).await?;
    let (confirm, vault) = match joiner.handle_reply(host, &reply) {
        Ok(ok) => ok,
        Err(e) => {
            if e == PairError::WrongCode {
                let _ = write_message(&mut stream, &Message::Failed).await;
                stream.finish();
                stream.stopped_within(Duration::from_secs(2)).await;
            }
            conn.close(CloseCode::PairingFailed);
            return Err(e.into());
        }
    };
    write_message(&mut stream, &confirm).await?;
    match read_message(&mut stream, &mut reader).await? {
        Message::Welcome => Ok(Joined {
            endpoint,
            conn,
            host,
            vault,
            handshake: started.elapsed(),
        }),
        Message::Refused(r) => {
            conn.close(CloseCode::PairingRefused);
            Err(PairError::from(r).into())
        }
        _ => Err(PairError::Malformed.into()),
    }
}
