//! The errors of the transport and the session driver, classified by type (QUIC error codes,
//! close codes), never by reading a message.

use crate::CloseCode;
use rapport_sync::SessionError;
use std::net::SocketAddr;

/// An error of the transport library (quinn, rustls), kept opaque so that callers need not
/// depend on it: its text and its own sources are still there for the user and the log.
#[derive(Debug)]
pub struct TransportError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl TransportError {
    pub(crate) fn new(e: impl std::error::Error + Send + Sync + 'static) -> TransportError {
        TransportError(Box::new(e))
    }
    pub(crate) fn msg(text: &'static str) -> TransportError {
        TransportError(text.into())
    }
    pub(crate) fn msg_owned(text: String) -> TransportError {
        TransportError(text.into())
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What the replica (the vault and its storage) failed with; the driver keeps it whole as the
/// source, so the caller can still find (say) a full disk in the chain.
pub type ReplicaError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a peer (or this device's own TLS check) turned a connection down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The TLS handshake failed on a certificate: the peer does not trust this device, or it
    /// is not the device expected.
    Untrusted,
    /// The peer presented no device certificate.
    NoCertificate,
}

/// Errors of the transport and the session driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(#[source] TransportError),
    #[error("could not reach {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: TransportError,
    },
    #[error("no answer from {addr} within {seconds} s")]
    NoAnswer { addr: SocketAddr, seconds: u64 },
    #[error("the peer refused this device, or is not the device expected")]
    Refused {
        why: Refusal,
        #[source]
        source: Option<TransportError>,
    },
    /// The peer (or this side) closed the connection with a Rapport close code.
    #[error("the connection was closed: {0}")]
    Closed(CloseCode),
    #[error("the connection broke: {0}")]
    Connection(#[source] TransportError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("could not save what the peer sent: {0}")]
    Persist(#[source] ReplicaError),
    #[error("the peer closed the stream before the sync finished")]
    PeerClosed,
    #[error("the sync finished but the two devices do not hold the same changes")]
    NotEqual,
    #[error("{0}")]
    Timeout(&'static str),
    /// A job on the replica panicked or was cancelled (a bug, reported instead of spread).
    #[error("a replica job stopped unexpectedly: {0}")]
    Worker(#[source] tokio::task::JoinError),
    #[error(transparent)]
    Pair(#[from] rapport_sync::pairing::PairError),
}

impl NetError {
    /// The peer closed the connection because this device is no longer trusted, or refused it
    /// at the handshake: either way, it knows this device is out.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            NetError::Refused { .. } | NetError::Closed(CloseCode::Revoked | CloseCode::Untrusted)
        )
    }
}

/// Classifies a QUIC connection error by its codes: a TLS (crypto) error code is a refusal,
/// an application close carries a [`CloseCode`], anything else is a broken connection.
pub(crate) fn from_connection(e: quinn::ConnectionError) -> NetError {
    use quinn::ConnectionError as E;
    match &e {
        E::TransportError(t) if is_crypto(t.code) => refused(e),
        E::ConnectionClosed(c) if is_crypto(c.error_code) => refused(e),
        E::ApplicationClosed(a) => match CloseCode::from_code(a.error_code.into_inner()) {
            Some(code) => NetError::Closed(code),
            None => NetError::Connection(TransportError::new(e)),
        },
        _ => NetError::Connection(TransportError::new(e)),
    }
}

fn refused(e: quinn::ConnectionError) -> NetError {
    NetError::Refused {
        why: Refusal::Untrusted,
        source: Some(TransportError::new(e)),
    }
}

/// TLS alerts travel as QUIC's CRYPTO_ERROR range, 0x100 to 0x1ff (RFC 9000, 20.1).
fn is_crypto(code: quinn::TransportErrorCode) -> bool {
    (0x100..0x200).contains(&u64::from(code))
}

pub(crate) fn from_write(e: quinn::WriteError) -> NetError {
    match e {
        quinn::WriteError::ConnectionLost(inner) => from_connection(inner),
        other => NetError::Connection(TransportError::new(other)),
    }
}

pub(crate) fn from_read(e: quinn::ReadError) -> NetError {
    match e {
        quinn::ReadError::ConnectionLost(inner) => from_connection(inner),
        other => NetError::Connection(TransportError::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_alerts_are_told_apart_by_their_code_range() {
        assert!(is_crypto(quinn::TransportErrorCode::crypto(42)));
        assert!(is_crypto(quinn::TransportErrorCode::crypto(0)));
        assert!(!is_crypto(quinn::TransportErrorCode::PROTOCOL_VIOLATION));
        assert!(matches!(
            from_connection(quinn::ConnectionError::TimedOut),
            NetError::Connection(_)
        ));
    }
}
