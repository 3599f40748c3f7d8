//! wtransport's errors classified as Rapport's (`NetError`, by close code, never by message),
//! and close codes as its `VarInt`s. Apart from `browser` so that `conn` can use them without
//! a module cycle.

use crate::error::TransportError;
use crate::{CloseCode, NetError};
use wtransport::VarInt;

pub(crate) fn varint(code: CloseCode) -> VarInt {
    VarInt::from_u32(code.code())
}

pub(crate) fn from_connection(e: wtransport::error::ConnectionError) -> NetError {
    use wtransport::error::ConnectionError as E;
    match &e {
        E::ApplicationClosed(a) => match CloseCode::from_code(a.code().into_inner()) {
            Some(code) => NetError::Closed(code),
            None => NetError::Connection(TransportError::new(e)),
        },
        _ => NetError::Connection(TransportError::new(e)),
    }
}

/// A stream error: if its session has closed, the session's reason (its close code), else
/// the stream's own error.
pub(crate) fn from_stream(conn: &wtransport::Connection, stream_error: NetError) -> NetError {
    match futures_util::FutureExt::now_or_never(conn.closed()) {
        Some(closed) => match from_connection(closed) {
            e @ NetError::Closed(_) => e,
            _ => stream_error,
        },
        None => stream_error,
    }
}

pub(crate) fn from_opening(e: wtransport::error::StreamOpeningError) -> NetError {
    NetError::Connection(TransportError::new(e))
}

pub(crate) fn from_write(e: wtransport::error::StreamWriteError) -> NetError {
    NetError::Connection(TransportError::new(e))
}

pub(crate) fn from_read(e: wtransport::error::StreamReadError) -> NetError {
    NetError::Connection(TransportError::new(e))
}
