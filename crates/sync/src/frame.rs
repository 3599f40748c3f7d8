//! The wire format, version 3 (3 added `FLAG_DOC`; 2 added `Push`, `PushAck` and `FLAG_BUNDLE`).
//! A version-2 peer is still served: it is never sent `FLAG_DOC`. A build without zstd (the
//! browser replica) speaks version 2. A version-1 peer is refused at the hello with a sentence
//! that says to update it.
//!
//! Every frame is `len: u32 BE` followed by `len` bytes: `type: u8` then the body.
//! - `0x01 Hello`: magic `RPRT`, version `u16 BE`, vault id `u64 BE`, device id (32 bytes).
//! - `0x02 Sync`: flags `u8` (bit 0: body is raw-deflate compressed; bit 1: the message's
//!   changes are one Automerge bundle chunk, see [`crate::bundle`]; bit 2, alone: the message
//!   is followed by a whole document as a zstd frame, see `whole.rs`), then an Automerge sync
//!   message. Any other flag bit is refused.
//! - `0x03 Idle`: empty. "I applied what you sent and have nothing to add."
//! - `0x04 Done`: `n: u16 BE` then `n` change hashes (32 bytes each): the sender's heads (or
//!   none, meaning "the heads of my last sync message"); it is closing a one-shot session.
//! - `0x05 Error`: `code: u16 BE` then a UTF-8 reason (at most 1 KiB); the sender is closing.
//! - `0x06 Push`: flags `u8` (bit 0: raw deflate), then new change chunks and the sender's
//!   heads in the compact form of `session/push.rs`: a sync message a live session sends when
//!   little is new.
//! - `0x07 PushAck`: 8 bytes, a digest of the heads the sender now holds ("applied, and I hold
//!   exactly the heads you pushed"), or empty ("could not use it: send it as a `Sync`").
//!
//! A frame longer than the receiver's `max_frame_bytes` is refused from its length prefix,
//! before any of it is buffered.

use rapport_model::automerge::ChangeHash;
use rapport_model::{DeviceId, VaultId};

/// The version this build speaks: 3 where it can read and write `FLAG_DOC` (zstd), else 2.
pub const PROTOCOL_VERSION: u16 = if cfg!(feature = "zstd") { 3 } else { 2 };
/// The oldest version served.
pub const MIN_PROTOCOL_VERSION: u16 = 2;
const MAGIC: &[u8; 4] = b"RPRT";
const HELLO_LEN: usize = 4 + 2 + 8 + 32;
const MAX_ERROR_TEXT: usize = 1024;
/// Bit 0 of a Sync frame's flags: the message is raw-deflate compressed.
pub const FLAG_DEFLATE: u8 = 1;
/// Bit 1 of a Sync frame's flags: the message carries its changes as one bundle chunk.
pub const FLAG_BUNDLE: u8 = 2;
/// Bit 2 of a Sync frame's flags, never with another: a whole document for an empty peer
/// follows the message as a zstd frame (protocol version 3).
pub const FLAG_DOC: u8 = 4;

/// Who is speaking, and about which vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    pub version: u16,
    pub vault: VaultId,
    pub device: DeviceId,
}

/// One frame of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Hello(Hello),
    Sync { flags: u8, body: Vec<u8> },
    Idle,
    Done { heads: Vec<ChangeHash> },
    Error { code: u16, reason: String },
    Push { flags: u8, body: Vec<u8> },
    PushAck { heads: Option<[u8; 8]> },
}

/// A frame that could not be decoded. The connection is closed after any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    #[error("the peer sent a {len}-byte frame, over the limit of {max}")]
    TooLong { len: u32, max: u32 },
    #[error("the peer sent an empty frame")]
    Empty,
    #[error("the peer sent an unknown frame type {0:#04x}")]
    UnknownType(u8),
    #[error("the peer sent a malformed {0} frame")]
    Malformed(&'static str),
}

impl Frame {
    /// Encodes the frame with its length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        match self {
            Frame::Hello(h) => {
                body.push(0x01);
                body.extend_from_slice(MAGIC);
                body.extend_from_slice(&h.version.to_be_bytes());
                body.extend_from_slice(&h.vault.as_u64().to_be_bytes());
                body.extend_from_slice(h.device.as_bytes());
            }
            Frame::Sync { flags, body: msg } => {
                body.reserve(msg.len() + 2);
                body.push(0x02);
                body.push(*flags);
                body.extend_from_slice(msg);
            }
            Frame::Idle => body.push(0x03),
            Frame::Done { heads } => {
                body.push(0x04);
                let n = heads.len().min(u16::MAX as usize);
                body.extend_from_slice(&(n as u16).to_be_bytes());
                for h in heads.iter().take(n) {
                    body.extend_from_slice(&h.0);
                }
            }
            Frame::Error { code, reason } => {
                body.push(0x05);
                body.extend_from_slice(&code.to_be_bytes());
                let mut end = reason.len().min(MAX_ERROR_TEXT);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                body.extend_from_slice(&reason.as_bytes()[..end]);
            }
            Frame::Push { flags, body: push } => {
                body.reserve(push.len() + 2);
                body.push(0x06);
                body.push(*flags);
                body.extend_from_slice(push);
            }
            Frame::PushAck { heads } => {
                body.push(0x07);
                body.extend_from_slice(heads.as_ref().map_or(&[][..], |h| &h[..]));
            }
        }
        let mut out = Vec::with_capacity(body.len() + 4);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Decodes one frame body (without its length prefix).
    pub fn decode(body: &[u8]) -> Result<Frame, FrameError> {
        let (&kind, rest) = body.split_first().ok_or(FrameError::Empty)?;
        match kind {
            0x01 => {
                if rest.len() != HELLO_LEN || &rest[..4] != MAGIC {
                    return Err(FrameError::Malformed("hello"));
                }
                let version = u16::from_be_bytes([rest[4], rest[5]]);
                let mut v = [0u8; 8];
                v.copy_from_slice(&rest[6..14]);
                let mut d = [0u8; 32];
                d.copy_from_slice(&rest[14..46]);
                Ok(Frame::Hello(Hello {
                    version,
                    vault: VaultId::from_u64(u64::from_be_bytes(v)),
                    device: DeviceId::from_bytes(d),
                }))
            }
            0x02 => {
                let (&flags, msg) = rest.split_first().ok_or(FrameError::Malformed("sync"))?;
                let known = FLAG_DEFLATE | FLAG_BUNDLE | FLAG_DOC;
                if flags & !known != 0 || (flags & FLAG_DOC != 0 && flags != FLAG_DOC) {
                    return Err(FrameError::Malformed("sync"));
                }
                Ok(Frame::Sync {
                    flags,
                    body: msg.to_vec(),
                })
            }
            0x03 if rest.is_empty() => Ok(Frame::Idle),
            0x03 => Err(FrameError::Malformed("idle")),
            0x04 => {
                if rest.len() < 2 {
                    return Err(FrameError::Malformed("done"));
                }
                let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                let hashes = &rest[2..];
                if hashes.len() != n * 32 {
                    return Err(FrameError::Malformed("done"));
                }
                let heads = hashes
                    .chunks(32)
                    .map(ChangeHash::try_from)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| FrameError::Malformed("done"))?;
                Ok(Frame::Done { heads })
            }
            0x05 => {
                if rest.len() < 2 || rest.len() > 2 + MAX_ERROR_TEXT {
                    return Err(FrameError::Malformed("error"));
                }
                let code = u16::from_be_bytes([rest[0], rest[1]]);
                let reason = String::from_utf8_lossy(&rest[2..]).into_owned();
                Ok(Frame::Error { code, reason })
            }
            0x06 => {
                let (&flags, push) = rest.split_first().ok_or(FrameError::Malformed("push"))?;
                if flags & !FLAG_DEFLATE != 0 {
                    return Err(FrameError::Malformed("push"));
                }
                Ok(Frame::Push {
                    flags,
                    body: push.to_vec(),
                })
            }
            0x07 => match rest.len() {
                0 => Ok(Frame::PushAck { heads: None }),
                8 => {
                    let mut h = [0u8; 8];
                    h.copy_from_slice(rest);
                    Ok(Frame::PushAck { heads: Some(h) })
                }
                _ => Err(FrameError::Malformed("push ack")),
            },
            other => Err(FrameError::UnknownType(other)),
        }
    }
}

/// Splits a byte stream into frames, refusing any frame over the limit from its length prefix
/// alone, so a peer cannot make us buffer more than `max_frame_bytes` + 4.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    max: u32,
}

impl FrameDecoder {
    pub fn new(max_frame_bytes: u32) -> Self {
        FrameDecoder {
            buf: Vec::new(),
            max: max_frame_bytes,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), FrameError> {
        self.buf.extend_from_slice(bytes);
        self.check_prefix()
    }

    /// The next complete frame, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        self.check_prefix()?;
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let frame = Frame::decode(&self.buf[4..4 + len]);
        self.buf.drain(..4 + len);
        frame.map(Some)
    }

    /// Bytes buffered but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn check_prefix(&self) -> Result<(), FrameError> {
        if self.buf.len() >= 4 {
            let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
            if len > self.max {
                return Err(FrameError::TooLong { len, max: self.max });
            }
            if len == 0 {
                return Err(FrameError::Empty);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_over_the_limit_is_refused_from_its_prefix() {
        let mut d = FrameDecoder::new(16);
        let err = d.push(&100u32.to_be_bytes()).unwrap_err();
        assert_eq!(err, FrameError::TooLong { len: 100, max: 16 });
    }

    #[test]
    fn frames_split_across_reads_reassemble() {
        let f = Frame::Sync {
            flags: 0,
            body: b"hello".to_vec(),
        };
        let bytes = [f.encode(), Frame::Idle.encode()].concat();
        let mut d = FrameDecoder::new(1024);
        for b in &bytes {
            d.push(std::slice::from_ref(b)).unwrap();
        }
        assert_eq!(d.next_frame().unwrap(), Some(f));
        assert_eq!(d.next_frame().unwrap(), Some(Frame::Idle));
        assert_eq!(d.next_frame().unwrap(), None);
    }
}
