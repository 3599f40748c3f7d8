//! The pairing messages on the wire. Each is one frame: a 2-byte big-endian length, then a
//! tag byte and the fields. Everything is bounded by `MAX_MESSAGE`; nothing a peer sends can
//! make us allocate more or panic.

use super::PairError;
use rapport_model::EndpointId;

/// The largest message either side sends (the longest is `Confirm` with an endpoint id and a
/// 200-byte name: 266 bytes).
pub const MAX_MESSAGE: usize = 512;
/// Version of this exchange. 2: `Confirm` carries the joiner's iroh endpoint id, so the pairing
/// device can admit it beyond the LAN before the two ever sync again.
pub const PAIR_VERSION: u8 = 2;
/// SPAKE2 Ed25519 messages: a side byte and a 32-byte point.
pub const SPAKE_LEN: usize = 33;
const TAG_LEN: usize = 32;
const ENDPOINT_LEN: usize = 32;
/// A device name longer than this is cut (the roster allows short text only).
pub const MAX_NAME: usize = 200;

/// Why a pairing device refused an attempt, sent to the joining device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Refusal {
    Expired = 1,
    Used = 2,
    Burned = 3,
    WrongCode = 4,
    Busy = 5,
    Malformed = 6,
    Version = 7,
    Internal = 8,
}

impl Refusal {
    fn from_u8(b: u8) -> Refusal {
        match b {
            1 => Refusal::Expired,
            2 => Refusal::Used,
            3 => Refusal::Burned,
            4 => Refusal::WrongCode,
            5 => Refusal::Busy,
            6 => Refusal::Malformed,
            7 => Refusal::Version,
            _ => Refusal::Internal,
        }
    }
}

/// One pairing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Joining device -> pairing device: its SPAKE2 message.
    Start { version: u8, spake: Vec<u8> },
    /// Pairing device -> joining device: its SPAKE2 message, the vault id masked with the key,
    /// and its confirmation tag.
    Reply {
        spake: Vec<u8>,
        masked_vault: [u8; 8],
        tag: [u8; TAG_LEN],
    },
    /// Joining device -> pairing device: its confirmation tag, its iroh endpoint id (none for a
    /// device with no iroh transport, such as a browser) and the name it wants.
    Confirm {
        tag: [u8; TAG_LEN],
        endpoint: Option<EndpointId>,
        name: String,
    },
    /// Joining device -> pairing device: the pairing device's tag did not verify.
    Failed,
    /// Pairing device -> joining device: you are in the roster; the vault follows.
    Welcome,
    /// Pairing device -> joining device: no.
    Refused(Refusal),
}

impl Message {
    /// The frame: length, tag, fields.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(64);
        match self {
            Message::Start { version, spake } => {
                body.extend([1, *version]);
                body.extend(spake);
            }
            Message::Reply {
                spake,
                masked_vault,
                tag,
            } => {
                body.push(2);
                body.extend(spake);
                body.extend(masked_vault);
                body.extend(tag);
            }
            Message::Confirm {
                tag,
                endpoint,
                name,
            } => {
                body.push(3);
                body.extend(tag);
                match endpoint {
                    Some(e) => {
                        body.push(1);
                        body.extend(e.as_bytes());
                    }
                    None => body.push(0),
                }
                body.extend(truncate(name, MAX_NAME).as_bytes());
            }
            Message::Failed => body.push(4),
            Message::Welcome => body.push(5),
            Message::Refused(r) => body.extend([6, *r as u8]),
        }
        let mut out = (body.len() as u16).to_be_bytes().to_vec();
        out.extend(body);
        out
    }

    /// Decodes one message body (without its length prefix).
    pub fn decode(body: &[u8]) -> Result<Message, PairError> {
        let bad = || PairError::Malformed;
        let (&kind, rest) = body.split_first().ok_or_else(bad)?;
        Ok(match kind {
            1 => {
                let (&version, spake) = rest.split_first().ok_or_else(bad)?;
                if spake.len() != SPAKE_LEN {
                    return Err(bad());
                }
                Message::Start {
                    version,
                    spake: spake.to_vec(),
                }
            }
            2 => {
                if rest.len() != SPAKE_LEN + 8 + TAG_LEN {
                    return Err(bad());
                }
                let (spake, rest) = rest.split_at(SPAKE_LEN);
                let (masked, tag) = rest.split_at(8);
                Message::Reply {
                    spake: spake.to_vec(),
                    masked_vault: masked.try_into().map_err(|_| bad())?,
                    tag: tag.try_into().map_err(|_| bad())?,
                }
            }
            3 => {
                if rest.len() < TAG_LEN + 1 {
                    return Err(bad());
                }
                let (tag, rest) = rest.split_at(TAG_LEN);
                let (endpoint, name) = match rest.split_first() {
                    Some((0, name)) => (None, name),
                    Some((1, rest)) if rest.len() >= ENDPOINT_LEN => {
                        let (id, name) = rest.split_at(ENDPOINT_LEN);
                        let id: [u8; ENDPOINT_LEN] = id.try_into().map_err(|_| bad())?;
                        (Some(EndpointId::from_bytes(id)), name)
                    }
                    _ => return Err(bad()),
                };
                if name.len() > MAX_NAME {
                    return Err(bad());
                }
                Message::Confirm {
                    tag: tag.try_into().map_err(|_| bad())?,
                    endpoint,
                    name: std::str::from_utf8(name).map_err(|_| bad())?.to_owned(),
                }
            }
            4 if rest.is_empty() => Message::Failed,
            5 if rest.is_empty() => Message::Welcome,
            6 if rest.len() == 1 => Message::Refused(Refusal::from_u8(rest[0])),
            _ => return Err(bad()),
        })
    }
}

/// The longest prefix of `s` that fits in `max` bytes without splitting a character.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Splits frames out of a byte stream, refusing any longer than `MAX_MESSAGE`.
#[derive(Debug, Default)]
pub struct MessageReader {
    buf: Vec<u8>,
}

impl MessageReader {
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), PairError> {
        if self.buf.len() + bytes.len() > 2 * (MAX_MESSAGE + 2) {
            return Err(PairError::Malformed);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next whole message, if one has arrived.
    pub fn next_message(&mut self) -> Result<Option<Message>, PairError> {
        if self.buf.len() < 2 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
        if len > MAX_MESSAGE {
            return Err(PairError::Malformed);
        }
        if self.buf.len() < 2 + len {
            return Ok(None);
        }
        let msg = Message::decode(&self.buf[2..2 + len])?;
        self.buf.drain(..2 + len);
        Ok(Some(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(m: Message) {
        let bytes = m.encode();
        let mut r = MessageReader::default();
        // Byte by byte: a frame split anywhere still decodes once whole.
        for (i, b) in bytes.iter().enumerate() {
            r.push(&[*b]).expect("bounded");
            let got = r.next_message().expect("valid");
            if i + 1 < bytes.len() {
                assert_eq!(got, None);
            } else {
                assert_eq!(got, Some(m.clone()));
            }
        }
    }

    #[test]
    fn messages_round_trip() {
        round_trip(Message::Start {
            version: PAIR_VERSION,
            spake: vec![7; SPAKE_LEN],
        });
        round_trip(Message::Reply {
            spake: vec![1; SPAKE_LEN],
            masked_vault: [2; 8],
            tag: [3; 32],
        });
        round_trip(Message::Confirm {
            tag: [4; 32],
            endpoint: Some(EndpointId::from_bytes([5; 32])),
            name: "phone é".into(),
        });
        round_trip(Message::Confirm {
            tag: [4; 32],
            endpoint: None,
            name: String::new(),
        });
        round_trip(Message::Failed);
        round_trip(Message::Welcome);
        round_trip(Message::Refused(Refusal::Burned));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        let mut short_endpoint = vec![3];
        short_endpoint.extend([0; 32]);
        short_endpoint.extend([1; 20]);
        let mut bad_flag = vec![3];
        bad_flag.extend([0; 32]);
        bad_flag.push(2);
        for body in [
            &[][..],
            &[1, 1, 2],
            &[2; 10],
            &[3; 5],
            &[3; 33],
            &short_endpoint,
            &bad_flag,
            &[4, 0],
            &[9],
            &[6],
        ] {
            assert!(Message::decode(body).is_err(), "{body:?}");
        }
        let mut r = MessageReader::default();
        r.push(&[0xff, 0xff]).expect("small");
        assert!(r.next_message().is_err());
        let long = "é".repeat(150);
        let Message::Confirm { name, .. } = Message::decode(
            &Message::Confirm {
                tag: [0; 32],
                endpoint: Some(EndpointId::from_bytes([9; 32])),
                name: long,
            }
            .encode()[2..],
        )
        .expect("truncated, valid") else {
            panic!("wrong kind")
        };
        assert!(name.len() <= MAX_NAME);
    }
}
