//! Rapport's own handles on QUIC connections: an authenticated [`PeerConnection`] (it knows
//! which device it is), an [`IncomingPeer`] not yet authenticated, and a raw [`PeerStream`].
//! Callers never see quinn's types.

use crate::error::{self, TransportError};
use crate::{tls, CloseCode, NetError};
use rapport_model::DeviceId;
use rustls::pki_types::CertificateDer;
use std::net::SocketAddr;
use std::time::Duration;

/// A connection to a device whose certificate was checked: `peer` is who it is.
#[derive(Debug, Clone)]
pub struct PeerConnection {
    pub(crate) conn: quinn::Connection,
    peer: DeviceId,
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
        Some(PeerConnection { conn, peer })
    }

    /// The device at the other end, as its TLS certificate proved.
    pub fn peer(&self) -> DeviceId {
        self.peer
    }

    pub fn remote_address(&self) -> SocketAddr {
        self.conn.remote_address()
    }

    /// Closes the connection at once with `code` (unsent stream data is dropped: finish a
    /// stream first when its last bytes matter).
    pub fn close(&self, code: CloseCode) {
        self.conn.close(code.varint(), code.reason().as_bytes());
    }

    /// Resolves when the connection is gone, with why.
    pub async fn closed(&self) -> NetError {
        error::from_connection(self.conn.closed().await)
    }

    /// Waits (at most `limit`) for the peer to close; used so a last message is not cut off.
    pub async fn closed_within(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.conn.closed()).await;
    }

    pub fn stats(&self) -> ConnectionStats {
        let s = self.conn.stats();
        ConnectionStats {
            udp_tx_bytes: s.udp_tx.bytes,
            udp_rx_bytes: s.udp_rx.bytes,
            udp_tx_datagrams: s.udp_tx.datagrams,
            udp_rx_datagrams: s.udp_rx.datagrams,
        }
    }

    /// Opens a bidirectional stream (the initiator's side of a session).
    pub async fn open_stream(&self) -> Result<PeerStream, NetError> {
        let (send, recv) = self.conn.open_bi().await.map_err(error::from_connection)?;
        Ok(PeerStream { send, recv })
    }

    /// Accepts the peer's next bidirectional stream (the responder's side).
    pub async fn accept_stream(&self) -> Result<PeerStream, NetError> {
        let (send, recv) = self
            .conn
            .accept_bi()
            .await
            .map_err(error::from_connection)?;
        Ok(PeerStream { send, recv })
    }
}

/// One bidirectional stream of a [`PeerConnection`].
#[derive(Debug)]
pub struct PeerStream {
    pub(crate) send: quinn::SendStream,
    pub(crate) recv: quinn::RecvStream,
}

impl PeerStream {
    pub async fn write_all(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        self.send.write_all(bytes).await.map_err(error::from_write)
    }

    /// Reads what has arrived into `buf`: `Some(n)`, or `None` once the peer finished.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<Option<usize>, NetError> {
        self.recv.read(buf).await.map_err(error::from_read)
    }

    /// Says that nothing more will be sent.
    pub fn finish(&mut self) {
        let _ = self.send.finish();
    }

    /// Waits (at most `limit`) until the peer has read everything sent and stopped.
    pub async fn stopped_within(&mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.send.stopped()).await;
    }
}

/// A connection attempt that has not completed its handshake. Hand it to
/// [`IncomingPeer::authenticate`] on a task of its own, so that one slow or abandoned handshake
/// never holds up the next peer.
#[derive(Debug)]
pub struct IncomingPeer(pub(crate) quinn::Incoming);

/// How long an incoming handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl IncomingPeer {
    pub fn remote_address(&self) -> SocketAddr {
        self.0.remote_address()
    }

    /// Turns the attempt away before any TLS work (the device is too busy).
    pub fn refuse(self) {
        self.0.refuse();
    }

    /// Completes the handshake (bounded): the connection and the device it authenticated as.
    /// The TLS verifier already checked trust; an untrusted device fails here.
    pub async fn authenticate(self) -> Result<PeerConnection, NetError> {
        let addr = self.0.remote_address();
        let conn = tokio::time::timeout(HANDSHAKE_TIMEOUT, self.0)
            .await
            .map_err(|_| NetError::NoAnswer {
                addr,
                seconds: HANDSHAKE_TIMEOUT.as_secs(),
            })?
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

/// The device id the peer authenticated as, from its TLS certificate.
fn device_of(conn: &quinn::Connection) -> Option<DeviceId> {
    let any = conn.peer_identity()?;
    let certs = any.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    certs.first().and_then(tls::device_id_of_cert)
}

pub(crate) fn transport(e: impl std::error::Error + Send + Sync + 'static) -> TransportError {
    TransportError::new(e)
}
