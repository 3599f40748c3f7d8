//! WebTransport for browser devices: [`BrowserEndpoint`] serves HTTP/3 sessions (wtransport,
//! on quinn) under a short-lived certificate made with the device's own key ([`WtCertificates`]),
//! and [`IncomingBrowser::prove`] runs the browser's proof of key
//! (`rapport_sync::browser`) before anything else: a browser that does not sign the daemon's
//! nonce with a key of the roster is refused, and never reaches a stream that carries vault
//! bytes. WebTransport has no client certificates, so this replaces the TLS pinning quinn
//! peers get.
//!
//! After `Accepted`, a sync runs on the second bidirectional stream the browser opens (the
//! same `run_session` as every peer, over the returned [`PeerConnection`]); a pairing goes on
//! over the first stream ([`BrowserLogin::Pair`]).

use crate::conn::PeerConnection;
use crate::error::TransportError;
use crate::wt_cert::WtCertificates;
use crate::wt_err::{from_connection, varint};
use crate::{CloseCode, NetError, PeerStream, Refusal, TrustCheck};
use rand::RngCore;
use rapport_model::{DeviceId, VaultId};
use rapport_sync::browser::{
    p256_point, Challenge, Message, MessageReader, Purpose, Reach, Refusal as Refused,
    PROOF_VERSION,
};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use wtransport::endpoint::endpoint_side::Server;
use wtransport::endpoint::IncomingSession;
use wtransport::{Endpoint, Identity, ServerConfig};

/// How long a browser may take from its first packet to a checked proof.
const PROOF_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound WebTransport endpoint for this device.
pub struct BrowserEndpoint {
    endpoint: Endpoint<Server>,
    /// Hash of the certificate new sessions are served with (the one the proof binds).
    serving: Mutex<[u8; 32]>,
    key_der: Vec<u8>,
}

/// What the daemon checks a browser against.
#[derive(Clone)]
pub struct BrowserCheck {
    pub vault: VaultId,
    /// This device (the daemon), as the challenge names it.
    pub me: DeviceId,
    /// The roster: trusted and not revoked.
    pub trust: TrustCheck,
    /// Whether a pairing window is open (else a browser asking to pair is refused).
    pub pairing_open: bool,
    /// Told to a browser after it proved its key for a sync: where this daemon serves
    /// WebTransport and the certificate hashes to pin from now on (current, then next).
    pub reach: Option<Reach>,
}

impl std::fmt::Debug for BrowserCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserCheck")
            .field("vault", &self.vault)
            .field("pairing_open", &self.pairing_open)
            .finish()
    }
}

/// A browser that proved its key.
#[derive(Debug)]
pub enum BrowserLogin {
    /// A trusted device: run a sync session on the connection (it accepts the browser's next
    /// stream).
    Sync(PeerConnection),
    /// A device that asked to pair (not in the roster): hand it to the open pairing window
    /// (`PairingEndpoint::host_with_browsers`).
    Pair(BrowserPairing),
}

/// A browser that proved its key and asked to pair: the SPAKE2 messages follow on `stream`
/// (`rest` is whatever of them already arrived); `conn.peer()` is its proven device id.
#[derive(Debug)]
pub struct BrowserPairing {
    pub conn: PeerConnection,
    pub stream: PeerStream,
    pub rest: Vec<u8>,
}

fn server_config(
    addr: SocketAddr,
    certs: &WtCertificates,
    key_der: &[u8],
) -> Result<ServerConfig, NetError> {
    let tls = |e: &dyn std::fmt::Display| NetError::Tls(TransportError::msg_owned(e.to_string()));
    let cert = wtransport::tls::Certificate::from_der(certs.serving().der().to_vec())
        .map_err(|e| tls(&e))?;
    let key = wtransport::tls::PrivateKey::from_der_pkcs8(key_der.to_vec());
    let identity = Identity::new(wtransport::tls::CertificateChain::single(cert), key);
    Ok(ServerConfig::builder()
        .with_bind_address(addr)
        .with_identity(identity)
        .keep_alive_interval(Some(Duration::from_secs(10)))
        .max_idle_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| tls(&e))?
        .build())
}

impl std::fmt::Debug for BrowserEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserEndpoint")
            .field("addr", &self.endpoint.local_addr().ok())
            .finish()
    }
}

impl std::fmt::Debug for IncomingBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingBrowser")
            .field("from", &self.session.remote_address())
            .finish()
    }
}

impl BrowserEndpoint {
    /// Binds `addr` (UDP) and serves WebTransport under `certs`' current certificate, whose
    /// key is the device's (`key_der`, PKCS#8).
    pub fn bind(
        addr: SocketAddr,
        key_der: &[u8],
        certs: &WtCertificates,
    ) -> Result<BrowserEndpoint, NetError> {
        let config = server_config(addr, certs, key_der)?;
        let endpoint =
            Endpoint::server(config).map_err(|source| NetError::Bind { addr, source })?;
        Ok(BrowserEndpoint {
            endpoint,
            serving: Mutex::new(certs.serving().hash()),
            key_der: key_der.to_vec(),
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        self.endpoint
            .local_addr()
            .map_err(|e| NetError::Connection(TransportError::new(e)))
    }

    /// Serves new sessions under `certs`' current certificate (after a rotation); sessions
    /// already open keep theirs.
    pub fn reload(&self, certs: &WtCertificates) -> Result<(), NetError> {
        let addr = self.local_addr()?;
        let config = server_config(addr, certs, &self.key_der)?;
        self.endpoint
            .reload_config(config, false)
            .map_err(|e| NetError::Connection(TransportError::new(e)))?;
        if let Ok(mut serving) = self.serving.lock() {
            *serving = certs.serving().hash();
        }
        Ok(())
    }

    /// The next session attempt, not yet proven.
    pub async fn accept(&self) -> IncomingBrowser {
        let session = self.endpoint.accept().await;
        let cert_hash = self.serving.lock().map(|h| *h).unwrap_or([0; 32]);
        IncomingBrowser { session, cert_hash }
    }

    /// Closes every session and stops accepting.
    pub async fn shutdown(&self) {
        let code = CloseCode::ShuttingDown;
        self.endpoint.close(varint(code), code.reason().as_bytes());
        let _ = tokio::time::timeout(Duration::from_secs(2), self.endpoint.wait_idle()).await;
    }
}

/// A browser's session attempt. Hand it to [`IncomingBrowser::prove`] on a task of its own.
pub struct IncomingBrowser {
    session: IncomingSession,
    cert_hash: [u8; 32],
}

impl IncomingBrowser {
    pub fn remote_address(&self) -> SocketAddr {
        self.session.remote_address()
    }

    /// Turns the attempt away before any TLS work (the device is too busy).
    pub fn refuse(self) {
        self.session.refuse();
    }

    /// Completes the WebTransport handshake and the proof of key (bounded in time). Fails,
    /// having told the browser why and closed the session, unless the browser signed this
    /// session's challenge with a P-256 key that `check.trust` accepts (or, asking to pair,
    /// while a window is open).
    pub async fn prove(self, check: &BrowserCheck) -> Result<BrowserLogin, NetError> {
        let addr = self.remote_address();
        tokio::time::timeout(PROOF_TIMEOUT, self.prove_unbounded(check))
            .await
            .map_err(|_| NetError::NoAnswer {
                addr,
                seconds: PROOF_TIMEOUT.as_secs(),
            })?
    }

    async fn prove_unbounded(self, check: &BrowserCheck) -> Result<BrowserLogin, NetError> {
        let request = self
            .session
            .await
            .map_err(|e| NetError::Connection(TransportError::new(e)))?;
        let conn = request.accept().await.map_err(from_connection)?;
        let (send, recv) = conn.accept_bi().await.map_err(from_connection)?;
        let mut stream = PeerStream(crate::conn::Streams::Wt {
            send,
            recv,
            conn: conn.clone(),
        });
        let mut reader = MessageReader::default();
        let purpose = match read(&mut stream, &mut reader).await? {
            Message::Open { version, purpose } if version == PROOF_VERSION => purpose,
            Message::Open { .. } => return Err(refuse(&conn, stream, Refused::Version).await),
            _ => return Err(refuse(&conn, stream, Refused::BadProof).await),
        };
        let mut nonce = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let challenge = Challenge {
            nonce,
            cert_hash: self.cert_hash,
            vault: check.vault,
            daemon: check.me,
        };
        stream
            .write_all(&Message::Challenge(challenge).encode())
            .await?;
        let device = match read(&mut stream, &mut reader).await? {
            Message::Proof { spki, signature } => verify(&challenge, &spki, &signature),
            _ => None,
        };
        let Some(device) = device else {
            return Err(refuse(&conn, stream, Refused::BadProof).await);
        };
        match purpose {
            Purpose::Sync if !(check.trust)(&device) => {
                tracing::info!(device = %device.short(), "browser not in the roster: refused");
                return Err(refuse(&conn, stream, Refused::Untrusted).await);
            }
            Purpose::Pair if !check.pairing_open => {
                return Err(refuse(&conn, stream, Refused::NoPairing).await);
            }
            _ => {}
        }
        stream
            .write_all(&Message::Accepted { device }.encode())
            .await?;
        let conn = PeerConnection::wt(conn, device);
        Ok(match purpose {
            Purpose::Sync => {
                // A browser on a page this daemon does not serve learns nothing else about
                // where it is or which certificate comes next: this is how it keeps up.
                if let Some(reach) = &check.reach {
                    stream
                        .write_all(&Message::Reach(reach.clone()).encode())
                        .await?;
                }
                stream.finish();
                BrowserLogin::Sync(conn)
            }
            Purpose::Pair => BrowserLogin::Pair(BrowserPairing {
                conn,
                stream,
                rest: reader.take_rest(),
            }),
        })
    }
}

/// The device id whose key made `signature` over the challenge, or `None`.
fn verify(challenge: &Challenge, spki: &[u8], signature: &[u8]) -> Option<DeviceId> {
    let point = p256_point(spki)?;
    let key =
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point);
    key.verify(&challenge.signed_message(), signature).ok()?;
    Some(DeviceId::from_spki(spki))
}

pub(crate) async fn read(
    stream: &mut PeerStream,
    reader: &mut MessageReader,
) -> Result<Message, NetError> {
    let mut buf = [0u8; 512];
    loop {
        match reader.next_message() {
            Ok(Some(m)) => return Ok(m),
            Ok(None) => {}
            Err(e) => return Err(NetError::Connection(TransportError::new(e))),
        }
        match stream.read(&mut buf).await? {
            Some(n) => reader
                .push(&buf[..n])
                .map_err(|e| NetError::Connection(TransportError::new(e)))?,
            None => return Err(NetError::PeerClosed),
        }
    }
}

/// Tells the browser why, then closes the session; the error the caller returns.
async fn refuse(conn: &wtransport::Connection, mut stream: PeerStream, why: Refused) -> NetError {
    let _ = stream.write_all(&Message::Refused(why).encode()).await;
    stream.finish();
    let code = match why {
        Refused::Untrusted => CloseCode::Untrusted,
        _ => CloseCode::PairingRefused,
    };
    // Let the refusal arrive before the close (a close drops unsent data); bounded.
    let _ = tokio::time::timeout(Duration::from_millis(500), conn.closed()).await;
    conn.close(varint(code), code.reason().as_bytes());
    NetError::Refused {
        why: Refusal::Untrusted,
        source: Some(TransportError::msg_owned(format!(
            "the browser's proof of key was refused ({why:?})"
        ))),
    }
}
