//! The iroh (noq) pieces that both the connection types (`conn`) and the endpoint (`wan`) use:
//! the roster check's type, which path a connection takes, and noq's errors classified by
//! their QUIC codes as quinn's are in `error`. Kept apart so that `conn` and `wan` do not use
//! each other both ways.

use crate::error::TransportError;
use crate::{CloseCode, NetError, Refusal};
use iroh::endpoint::{Connection, ConnectionError, IncomingAddr, ReadError, VarInt, WriteError};
use iroh::TransportAddr;
use rapport_model::{DeviceId, EndpointId};
use std::net::SocketAddr;
use std::sync::Arc;

/// The roster's answer to "which trusted, non-revoked device owns this endpoint id?".
pub type EndpointTrust = Arc<dyn Fn(&EndpointId) -> Option<DeviceId> + Send + Sync>;

/// How a connection reaches its peer: the LAN transport, or iroh directly (hole punched, or an
/// address on the same network) or through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPath {
    Lan,
    Direct,
    Relay,
    /// A browser device over WebTransport (HTTP/3), after its proof of key.
    WebTransport,
}

impl LinkPath {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPath::Lan => "lan",
            LinkPath::Direct => "direct",
            LinkPath::Relay => "relay",
            LinkPath::WebTransport => "webtransport",
        }
    }
}

fn opaque(e: impl std::error::Error + Send + Sync + 'static) -> TransportError {
    TransportError::new(e)
}

pub(crate) fn endpoint_of(key: &iroh::EndpointId) -> EndpointId {
    EndpointId::from_bytes(*key.as_bytes())
}

pub(crate) fn varint(code: CloseCode) -> VarInt {
    VarInt::from_u32(code.code())
}

/// The path an iroh connection uses now: the selected one, relay or direct.
pub(crate) fn path_of(conn: &Connection) -> LinkPath {
    let paths = conn.paths();
    let selected = paths.iter().find(|p| p.is_selected());
    match selected {
        Some(p) if p.is_relay() => LinkPath::Relay,
        Some(_) => LinkPath::Direct,
        // No path selected yet (the handshake went through the relay): say so.
        None => LinkPath::Relay,
    }
}

/// The IP address of the path in use, if it is a direct one.
pub(crate) fn remote_ip(conn: &Connection) -> Option<SocketAddr> {
    let paths = conn.paths();
    let selected = paths.iter().find(|p| p.is_selected())?;
    match selected.remote_addr() {
        TransportAddr::Ip(addr) => Some(*addr),
        _ => None,
    }
}

pub(crate) fn incoming_ip(incoming: &iroh::endpoint::Incoming) -> Option<SocketAddr> {
    match incoming.remote_addr() {
        IncomingAddr::Ip(addr) => Some(addr),
        _ => None,
    }
}

/// noq's connection errors, classified as quinn's are in `error.rs` (same QUIC codes).
pub(crate) fn from_connection(e: ConnectionError) -> NetError {
    use ConnectionError as E;
    let crypto = |code: u64| (0x100..0x200).contains(&code);
    match &e {
        E::TransportError(t) if crypto(u64::from(t.code)) => NetError::Refused {
            why: Refusal::Untrusted,
            source: Some(opaque(e)),
        },
        E::ConnectionClosed(c) if crypto(u64::from(c.error_code)) => NetError::Refused {
            why: Refusal::Untrusted,
            source: Some(opaque(e)),
        },
        E::ApplicationClosed(a) => match CloseCode::from_code(a.error_code.into_inner()) {
            Some(code) => NetError::Closed(code),
            None => NetError::Connection(opaque(e)),
        },
        _ => NetError::Connection(opaque(e)),
    }
}

pub(crate) fn from_write(e: WriteError) -> NetError {
    match e {
        WriteError::ConnectionLost(inner) => from_connection(inner),
        other => NetError::Connection(opaque(other)),
    }
}

pub(crate) fn from_read(e: ReadError) -> NetError {
    match e {
        ReadError::ConnectionLost(inner) => from_connection(inner),
        other => NetError::Connection(opaque(other)),
    }
}
