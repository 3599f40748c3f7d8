//! Rapport's own handles on QUIC connections: an authenticated [`PeerConnection`] (it knows
//! which device it is), an [`IncomingPeer`] not yet authenticated, and a raw [`PeerStream`].
//! Callers never see quinn's or iroh's types: a connection is either transport underneath
//! (`Link`), and the session driver cannot tell them apart.

use crate::error::{self, TransportError};
use crate::{tls, CloseCode, LinkPath, NetError};
use rapport_model::DeviceId;
use rustls::pki_types::CertificateDer;
use std::net::SocketAddr;
use std::time::Duration;

/// A connection to a device whose certificate was checked: `peer` is who it is.
#[derive(Debug, Clone)]
pub struct PeerConnection {
    pub(crate) conn: Link,
    peer: DeviceId,
}

/// The transport under a [`PeerConnection`]: quinn on the LAN, iroh (noq, n0's quinn fork)
/// beyond it. Two QUIC stacks, because iroh's multipath and hole punching live in its fork.
#[derive(Debug, Clone)]
pub(crate) enum Link {
    Quic(quinn::Connection),
    Iroh(iroh::endpoint::Connection),
    /// A browser's WebTransport session (wtransport, on quinn), after its proof of key.
    Wt(wtransport::Connection),
}

/// Byte and datagram counts of a connection (QUIC and TLS overhead included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    pub udp_tx_bytes: u64,
    pub udp_rx_bytes: u64,
    pub udp_tx_datagrams: u64,
    pub udp_rx_datagrams: u64,
}

impl PeerConnection {
    /// Wraps a connection whose handshake completed; `None` if it carries no device
    /// certificate (cannot happen with our verifiers, but is not assumed).
    pub(crate) fn new(conn: quinn::Connection) -> Option<PeerConnection> {
        let peer = device_of(&conn)?;
        Some(PeerConnection {
            conn: Link::Quic(conn),
            peer,
        })
    }

    /// Wraps an iroh connection whose endpoint id the roster says is `peer`'s.
    pub(crate) fn iroh(conn: iroh::endpoint::Connection, peer: DeviceId) -> PeerConnection {
        PeerConnection {
            conn: Link::Iroh(conn),
            peer,
        }
    }

    /// Wraps a WebTransport session whose browser proved it holds `peer`'s key.
    pub(crate) fn wt(conn: wtransport::Connection, peer: DeviceId) -> PeerConnection {
        PeerConnection {
            conn: Link::Wt(conn),
            peer,
        }
    }

    /// The path the connection uses now (an iroh connection may move from the relay to a
    /// hole-punched path, or back).
    pub fn path(&self) -> LinkPath {
        match &self.conn {
            Link::Quic(_) => LinkPath::Lan,
            Link::Wt(_) => LinkPath::WebTransport,
            Link::Iroh(c) => crate::far::path_of(c),
        }
    }

    /// The device at the other end, as its TLS certificate proved.
    pub fn peer(&self) -> DeviceId {
        self.peer
    }

    /// The peer's address on the LAN, or the address of the iroh path in use (unspecified
    /// when that path is the relay: a relay is not the peer's address).
    pub fn remote_address(&self) -> SocketAddr {
        match &self.conn {
            Link::Quic(c) => c.remote_address(),
            Link::Wt(c) => c.remote_address(),
            Link::Iroh(c) => {
                crate::far::remote_ip(c).unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
            }
        }
    }

    /// Closes the connection at once with `code` (unsent stream data is dropped: finish a
    /// stream first when its last bytes matter).
    pub fn close(&self, code: CloseCode) {
        match &self.conn {
            Link::Quic(c) => c.close(code.varint(), code.reason().as_bytes()),
            Link::Iroh(c) => c.close(crate::far::varint(code), code.reason().as_bytes()),
            Link::Wt(c) => c.close(crate::wt_err::varint(code), code.reason().as_bytes()),
        }
    }

    /// Resolves when the connection is gone, with why.
    pub async fn closed(&self) -> NetError {
        match &self.conn {
            Link::Quic(c) => error::from_connection(c.closed().await),
            Link::Iroh(c) => crate::far::from_connection(c.closed().await),
            Link::Wt(c) => crate::wt_err::from_connection(c.closed().await),
        }
    }

    /// Waits (at most `limit`) for the peer to close; used so a last message is not cut off.
    pub async fn closed_within(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.closed()).await;
    }

    pub fn stats(&self) -> ConnectionStats {
        match &self.conn {
            Link::Quic(c) => {
                let s = c.stats();
                ConnectionStats {
                    udp_tx_bytes: s.udp_tx.bytes,
                    udp_rx_bytes: s.udp_rx.bytes,
                    udp_tx_datagrams: s.udp_tx.datagrams,
                    udp_rx_datagrams: s.udp_rx.datagrams,
                }
            }
            Link::Iroh(c) => {
                let s = c.stats();
                ConnectionStats {
                    udp_tx_bytes: s.udp_tx.bytes,
                    udp_rx_bytes: s.udp_rx.bytes,
                    udp_tx_datagrams: s.udp_tx.datagrams,
                    udp_rx_datagrams: s.udp_rx.datagrams,
                }
            }
            // wtransport shows quinn's counters only through its `quinn` feature, which would
            // expose quinn's types; the session's own byte counts are in its report.
            Link::Wt(_) => ConnectionStats::default(),
        }
    }

    /// Opens a bidirectional stream (the initiator's side of a session).
    pub async fn open_stream(&self) -> Result<PeerStream, NetError> {
        match &self.conn {
            Link::Quic(c) => {
                let (send, recv) = c.open_bi().await.map_err(error::from_connection)?;
                Ok(PeerStream(Streams::Quic { send, recv }))
            }
            Link::Iroh(c) => {
                let (send, recv) = c.open_bi().await.map_err(crate::far::from_connection)?;
                Ok(PeerStream(Streams::Iroh { send, recv }))
            }
            Link::Wt(c) => {
                let opening = c.open_bi().await.map_err(crate::wt_err::from_connection)?;
                let (send, recv) = opening.await.map_err(crate::wt_err::from_opening)?;
                Ok(PeerStream(Streams::Wt {
                    send,
                    recv,
                    conn: c.clone(),
                }))
            }
        }
    }

    /// Accepts the peer's next bidirectional stream (the responder's side).
    pub async fn accept_stream(&self) -> Result<PeerStream, NetError> {
        match &self.conn {
            Link::Quic(c) => {
                let (send, recv) = c.accept_bi().await.map_err(error::from_connection)?;
                Ok(PeerStream(Streams::Quic { send, recv }))
            }
            Link::Iroh(c) => {
                let (send, recv) = c.accept_bi().await.map_err(crate::far::from_connection)?;
                Ok(PeerStream(Streams::Iroh { send, recv }))
            }
            Link::Wt(c) => {
                let (send, recv) = c
                    .accept_bi()
                    .await
                    .map_err(crate::wt_err::from_connection)?;
                Ok(PeerStream(Streams::Wt {
                    send,
                    recv,
                    conn: c.clone(),
                }))
            }
        }
    }
}

/// One bidirectional stream of a [`PeerConnection`].
#[derive(Debug)]
pub struct PeerStream(pub(crate) Streams);

#[derive(Debug)]
pub(crate) enum Streams {
    Quic {
        send: quinn::SendStream,
        recv: quinn::RecvStream,
    },
    Iroh {
        send: iroh::endpoint::SendStream,
        recv: iroh::endpoint::RecvStream,
    },
    Wt {
        send: wtransport::SendStream,
        recv: wtransport::RecvStream,
        /// Its session: a stream error after the session closed is classified by the
        /// session's close code (a revoked device sees `Revoked`, not "not connected").
        conn: wtransport::Connection,
    },
}

impl PeerStream {
    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        match &mut self.0 {
            Streams::Quic { send, .. } => send.write_all(bytes).await.map_err(error::from_write),
            Streams::Iroh { send, .. } => {
                send.write_all(bytes).await.map_err(crate::far::from_write)
            }
            Streams::Wt { send, conn, .. } => send
                .write_all(bytes)
                .await
                .map_err(|e| crate::wt_err::from_stream(conn, crate::wt_err::from_write(e))),
        }
    }

    /// Reads what has arrived into `buf`: `Some(n)`, or `None` once the peer finished.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<Option<usize>, NetError> {
        match &mut self.0 {
            Streams::Quic { recv, .. } => recv.read(buf).await.map_err(error::from_read),
            Streams::Iroh { recv, .. } => recv.read(buf).await.map_err(crate::far::from_read),
            Streams::Wt { recv, conn, .. } => recv
                .read(buf)
                .await
                .map_err(|e| crate::wt_err::from_stream(conn, crate::wt_err::from_read(e))),
        }
    }

    /// Says that nothing more will be sent.
    pub fn finish(&mut self) {
        match &mut self.0 {
            Streams::Quic { send, .. } => {
                let _ = send.finish();
            }
            Streams::Iroh { send, .. } => {
                let _ = send.finish();
            }
            // wtransport's `finish` queues the FIN (quinn's own, synchronous `finish`) on its
            // first poll, then waits for the peer to acknowledge everything: poll it once.
            Streams::Wt { send, .. } => {
                let _ = futures_util::FutureExt::now_or_never(send.finish());
            }
        }
    }

    /// Waits (at most `limit`) until the peer has read everything sent and stopped.
    pub async fn stopped_within(&mut self, limit: Duration) {
        match &mut self.0 {
            Streams::Quic { send, .. } => {
                let _ = tokio::time::timeout(limit, send.stopped()).await;
            }
            Streams::Iroh { send, .. } => {
                let _ = tokio::time::timeout(limit, send.stopped()).await;
            }
            Streams::Wt { send, .. } => {
                let _ = tokio::time::timeout(limit, send.stopped()).await;
            }
        }
    }
}

/// A connection attempt that has not completed its handshake. Hand it to
/// [`IncomingPeer::authenticate`] on a task of its own, so that one slow or abandoned handshake
/// never holds up the next peer.
#[derive(Debug)]
pub struct IncomingPeer(pub(crate) Incoming);

pub(crate) enum Incoming {
    Quic(quinn::Incoming),
    /// An iroh attempt, with the roster check that names the device behind an endpoint id.
    Iroh(iroh::endpoint::Incoming, crate::far::EndpointTrust),
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Incoming::Quic(i) => f.debug_tuple("Quic").field(i).finish(),
            Incoming::Iroh(i, _) => f.debug_tuple("Iroh").field(i).finish(),
        }
    }
}

/// How long an incoming handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl IncomingPeer {
    /// The address the attempt came from (for an iroh attempt through the relay, unspecified).
    pub fn remote_address(&self) -> SocketAddr {
        match &self.0 {
            Incoming::Quic(i) => i.remote_address(),
            Incoming::Iroh(i, _) => {
                crate::far::incoming_ip(i).unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
            }
        }
    }

    /// Turns the attempt away before any TLS work (the device is too busy).
    pub fn refuse(self) {
        match self.0 {
            Incoming::Quic(i) => i.refuse(),
            Incoming::Iroh(i, _) => i.refuse(),
        }
    }

    /// Completes the handshake (bounded): the connection and the device it authenticated as.
    /// The TLS verifier (quinn), or the endpoint hook (iroh), already checked trust; an
    /// untrusted device fails here.
    pub async fn authenticate(self) -> Result<PeerConnection, NetError> {
        let addr = self.remote_address();
        let no_answer = || NetError::NoAnswer {
            addr,
            seconds: HANDSHAKE_TIMEOUT.as_secs(),
        };
        let incoming = match self.0 {
            Incoming::Quic(i) => i,
            Incoming::Iroh(i, trust) => {
                return tokio::time::timeout(HANDSHAKE_TIMEOUT, accept_iroh(i, trust))
                    .await
                    .map_err(|_| no_answer())?;
            }
        };
        let conn = tokio::time::timeout(HANDSHAKE_TIMEOUT, incoming)
            .await
            .map_err(|_| no_answer())?
            .map_err(error::from_connection)?;
        match PeerConnection::new(conn.clone()) {
            Some(peer) => Ok(peer),
            None => {
                conn.close(
                    CloseCode::NoCertificate.varint(),
                    CloseCode::NoCertificate.reason().as_bytes(),
                );
                Err(NetError::Refused {
                    why: crate::Refusal::NoCertificate,
                    source: None,
                })
            }
        }
    }
}

/// Completes an incoming handshake; the hook has already refused strangers, and the roster is
/// asked again for the device (it may have changed in between).
async fn accept_iroh(
    incoming: iroh::endpoint::Incoming,
    trust: crate::far::EndpointTrust,
) -> Result<PeerConnection, NetError> {
    let refused = || NetError::Refused {
        why: crate::Refusal::Untrusted,
        source: None,
    };
    let accepting = incoming.accept().map_err(crate::far::from_connection)?;
    let conn = accepting.await.map_err(|e| {
        use iroh::endpoint::ConnectingError;
        match e {
            ConnectingError::ConnectionError { source, .. } => crate::far::from_connection(source),
            ConnectingError::LocallyRejected { .. } => refused(),
            other => NetError::Connection(transport(other)),
        }
    })?;
    match trust(&crate::far::endpoint_of(&conn.remote_id())) {
        Some(device) => Ok(PeerConnection::iroh(conn, device)),
        None => {
            conn.close(
                crate::far::varint(CloseCode::Untrusted),
                CloseCode::Untrusted.reason().as_bytes(),
            );
            Err(refused())
        }
    }
}

/// The device id the peer authenticated as, from its TLS certificate.
fn device_of(conn: &quinn::Connection) -> Option<DeviceId> {
    let any = conn.peer_identity()?;
    let certs = any.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    certs.first().and_then(tls::device_id_of_cert)
}

pub(crate) fn transport(e: impl std::error::Error + Send + Sync + 'static) -> TransportError {
    TransportError::new(e)
}
