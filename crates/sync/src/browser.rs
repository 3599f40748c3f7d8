//! The browser's proof of key, as pure messages (no crypto, no I/O), shared by the daemon and
//! the browser's wasm build.
//!
//! WebTransport has no client certificates, so a browser device proves it holds its P-256 key
//! at the start of every session, on the first bidirectional stream it opens:
//!
//! 1. browser -> daemon `Open { version, purpose }` (sync, or pairing);
//! 2. daemon -> browser `Challenge { nonce, cert_hash, vault, daemon }`: a fresh 32-byte nonce,
//!    the SHA-256 of the certificate this WebTransport session runs under, the vault id and
//!    the daemon's device id;
//! 3. browser -> daemon `Proof { spki, signature }`: its SubjectPublicKeyInfo (DER, exactly
//!    what WebCrypto's `exportKey('spki')` gives) and an ECDSA P-256 SHA-256 signature in
//!    WebCrypto's IEEE-P1363 form (`r || s`, 64 bytes) over [`Challenge::signed_message`];
//! 4. daemon -> browser `Accepted { device }` or `Refused(code)`, and the daemon closes.
//! 5. for a sync, daemon -> browser `Reach { cert_hashes, addrs }` after `Accepted`: where this
//!    daemon serves WebTransport now and the certificate hashes to pin (served now, then next),
//!    so a browser that syncs within a certificate's life follows its rotations.
//!
//! The device id is blake3 of the SPKI, as for every device. The daemon checks the signature
//! and then the roster before it sends a single vault byte; a sync session then runs on a
//! second stream the browser opens, and pairing goes on over this one.
//!
//! Every message is `len: u16 BE` then `type: u8` and its body, at most [`MAX_MESSAGE`] bytes.

use rapport_model::{DeviceId, VaultId};
use std::net::{IpAddr, SocketAddr};

/// Version of these messages.
pub const PROOF_VERSION: u8 = 1;
/// Longest message body (a proof: type, length, a P-256 SPKI of 91 bytes, 64 signature bytes).
pub const MAX_MESSAGE: usize = 256;
pub const NONCE_LEN: usize = 32;
pub const CERT_HASH_LEN: usize = 32;
/// An IEEE-P1363 P-256 signature: `r || s`, 32 bytes each.
pub const SIGNATURE_LEN: usize = 64;
/// Prefixes every signed message, so a signature made for this can never be replayed as any
/// other signature the key makes (and none made for anything else is valid here).
pub const DOMAIN: &[u8] = b"rapport/webtransport proof of key/1\0";

/// The DER header of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, a 65-byte
/// uncompressed point in a BIT STRING): every such SPKI, WebCrypto's and rcgen's alike, is
/// this header and then the point.
const P256_SPKI_HEADER: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// Length of a P-256 SPKI in DER.
pub const P256_SPKI_LEN: usize = 91;

/// Most certificate hashes a [`Reach`] carries: the one served now and the next.
pub const MAX_REACH_HASHES: usize = 2;
/// Most addresses a [`Reach`] carries (keeps the message under [`MAX_MESSAGE`]).
pub const MAX_REACH_ADDRS: usize = 8;

/// Where a daemon serves WebTransport and which certificate hashes to pin: what a browser
/// keeps to reach it again from a page that this daemon does not serve.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reach {
    /// SHA-256 of each certificate's DER: the one served now first, then the next.
    pub cert_hashes: Vec<[u8; CERT_HASH_LEN]>,
    /// The daemon's WebTransport addresses, most likely first.
    pub addrs: Vec<SocketAddr>,
}

/// What the browser opens the session for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A device in the roster syncing.
    Sync,
    /// A new device pairing with a code (the SPAKE2 messages of [`crate::pairing`] follow on
    /// the same stream).
    Pair,
}

/// Why the daemon turned the browser away. It closes the session after saying so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another version of these messages: update the older side.
    Version,
    /// The signature or the key did not verify.
    BadProof,
    /// The key is not a trusted device of this vault (never paired, or revoked).
    Untrusted,
    /// Pairing was asked for, but no pairing window is open.
    NoPairing,
}

impl Refusal {
    fn code(self) -> u8 {
        match self {
            Refusal::Version => 1,
            Refusal::BadProof => 2,
            Refusal::Untrusted => 3,
            Refusal::NoPairing => 4,
        }
    }

    fn from_code(c: u8) -> Option<Refusal> {
        Some(match c {
            1 => Refusal::Version,
            2 => Refusal::BadProof,
            3 => Refusal::Untrusted,
            4 => Refusal::NoPairing,
            _ => return None,
        })
    }
}

/// What the daemon asks the browser to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    pub nonce: [u8; NONCE_LEN],
    /// SHA-256 of the DER of the certificate this WebTransport session runs under. The browser
    /// checks it is one of the hashes it pinned.
    pub cert_hash: [u8; CERT_HASH_LEN],
    pub vault: VaultId,
    pub daemon: DeviceId,
}

impl Challenge {
    /// The bytes the browser signs: [`DOMAIN`], the nonce, the certificate hash, the vault id
    /// (u64 BE) and the daemon's device id.
    pub fn signed_message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(DOMAIN.len() + NONCE_LEN + CERT_HASH_LEN + 8 + 32);
        m.extend_from_slice(DOMAIN);
        m.extend_from_slice(&self.nonce);
        m.extend_from_slice(&self.cert_hash);
        m.extend_from_slice(&self.vault.as_u64().to_be_bytes());
        m.extend_from_slice(self.daemon.as_bytes());
        m
    }
}

/// The uncompressed point (65 bytes, `04 || x || y`) of a P-256 SPKI, or `None` if `spki` is
/// not exactly one. A verifier (ring's `ECDSA_P256_SHA256_FIXED`) takes the point.
pub fn p256_point(spki: &[u8]) -> Option<&[u8]> {
    if spki.len() != P256_SPKI_LEN || spki[..P256_SPKI_HEADER.len()] != P256_SPKI_HEADER {
        return None;
    }
    let point = &spki[P256_SPKI_HEADER.len()..];
    (point[0] == 0x04).then_some(point)
}

/// One message of the proof of key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Open {
        version: u8,
        purpose: Purpose,
    },
    Challenge(Challenge),
    Proof {
        spki: Vec<u8>,
        signature: [u8; SIGNATURE_LEN],
    },
    /// The daemon accepted the proof: this is the browser's device id as the daemon computed
    /// it (for a sync, a trusted device of the vault).
    Accepted {
        device: DeviceId,
    },
    Refused(Refusal),
    /// After `Accepted` for a sync: where and how to reach this daemon from now on.
    Reach(Reach),
}

/// A message that could not be decoded; the session is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    #[error("the peer sent a {0}-byte proof-of-key message, over the limit")]
    TooLong(usize),
    #[error("the peer sent a malformed proof-of-key message")]
    Malformed,
}

impl Message {
    /// Encodes the message with its length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        match self {
            Message::Open { version, purpose } => {
                b.push(1);
                b.push(*version);
                b.push(match purpose {
                    Purpose::Sync => 1,
                    Purpose::Pair => 2,
                });
            }
            Message::Challenge(c) => {
                b.push(2);
                b.extend_from_slice(&c.nonce);
                b.extend_from_slice(&c.cert_hash);
                b.extend_from_slice(&c.vault.as_u64().to_be_bytes());
                b.extend_from_slice(c.daemon.as_bytes());
            }
            Message::Proof { spki, signature } => {
                b.push(3);
                // At most MAX_MESSAGE bytes are ever decoded; a longer SPKI is cut, and the
                // receiver refuses it as not a P-256 key.
                let spki = &spki[..spki.len().min(MAX_MESSAGE - 2 - SIGNATURE_LEN)];
                b.push(spki.len() as u8);
                b.extend_from_slice(spki);
                b.extend_from_slice(signature);
            }
            Message::Accepted { device } => {
                b.push(4);
                b.extend_from_slice(device.as_bytes());
            }
            Message::Refused(r) => {
                b.push(5);
                b.push(r.code());
            }
            Message::Reach(r) => {
                b.push(6);
                let hashes = &r.cert_hashes[..r.cert_hashes.len().min(MAX_REACH_HASHES)];
                b.push(hashes.len() as u8);
                for h in hashes {
                    b.extend_from_slice(h);
                }
                let addrs = &r.addrs[..r.addrs.len().min(MAX_REACH_ADDRS)];
                b.push(addrs.len() as u8);
                for a in addrs {
                    match a.ip() {
                        IpAddr::V4(ip) => {
                            b.push(4);
                            b.extend_from_slice(&ip.octets());
                        }
                        IpAddr::V6(ip) => {
                            b.push(6);
                            b.extend_from_slice(&ip.octets());
                        }
                    }
                    b.extend_from_slice(&a.port().to_be_bytes());
                }
            }
        }
        let mut out = Vec::with_capacity(2 + b.len());
        out.extend_from_slice(&(b.len() as u16).to_be_bytes());
        out.extend_from_slice(&b);
        out
    }

    /// Decodes one message body (without its length prefix).
    pub fn decode(body: &[u8]) -> Result<Message, MessageError> {
        let (&kind, rest) = body.split_first().ok_or(MessageError::Malformed)?;
        let m = match (kind, rest) {
            (1, [version, purpose]) => Message::Open {
                version: *version,
                purpose: match purpose {
                    1 => Purpose::Sync,
                    2 => Purpose::Pair,
                    _ => return Err(MessageError::Malformed),
                },
            },
            (2, r) if r.len() == NONCE_LEN + CERT_HASH_LEN + 8 + 32 => {
                let (nonce, r) = r.split_at(NONCE_LEN);
                let (cert_hash, r) = r.split_at(CERT_HASH_LEN);
                let (vault, daemon) = r.split_at(8);
                Message::Challenge(Challenge {
                    nonce: array(nonce)?,
                    cert_hash: array(cert_hash)?,
                    vault: VaultId::from_u64(u64::from_be_bytes(array(vault)?)),
                    daemon: DeviceId::from_bytes(array(daemon)?),
                })
            }
            (3, [len, r @ ..]) if r.len() == usize::from(*len) + SIGNATURE_LEN => {
                let (spki, signature) = r.split_at(usize::from(*len));
                Message::Proof {
                    spki: spki.to_vec(),
                    signature: array(signature)?,
                }
            }
            (4, r) => Message::Accepted {
                device: DeviceId::from_bytes(array(r)?),
            },
            (5, [code]) => {
                Message::Refused(Refusal::from_code(*code).ok_or(MessageError::Malformed)?)
            }
            (6, r) => Message::Reach(decode_reach(r)?),
            _ => return Err(MessageError::Malformed),
        };
        Ok(m)
    }
}

fn decode_reach(body: &[u8]) -> Result<Reach, MessageError> {
    let (&n, mut r) = body.split_first().ok_or(MessageError::Malformed)?;
    if usize::from(n) > MAX_REACH_HASHES {
        return Err(MessageError::Malformed);
    }
    let mut cert_hashes = Vec::new();
    for _ in 0..n {
        let (h, rest) = r
            .split_at_checked(CERT_HASH_LEN)
            .ok_or(MessageError::Malformed)?;
        cert_hashes.push(array(h)?);
        r = rest;
    }
    let (&n, mut r) = r.split_first().ok_or(MessageError::Malformed)?;
    if usize::from(n) > MAX_REACH_ADDRS {
        return Err(MessageError::Malformed);
    }
    let mut addrs = Vec::new();
    for _ in 0..n {
        let (&family, rest) = r.split_first().ok_or(MessageError::Malformed)?;
        let len = match family {
            4 => 4,
            6 => 16,
            _ => return Err(MessageError::Malformed),
        };
        let (ip, rest) = rest.split_at_checked(len).ok_or(MessageError::Malformed)?;
        let (port, rest) = rest.split_at_checked(2).ok_or(MessageError::Malformed)?;
        let ip: IpAddr = if len == 4 {
            IpAddr::from(array::<4>(ip)?)
        } else {
            IpAddr::from(array::<16>(ip)?)
        };
        addrs.push(SocketAddr::new(ip, u16::from_be_bytes(array(port)?)));
        r = rest;
    }
    if !r.is_empty() {
        return Err(MessageError::Malformed);
    }
    Ok(Reach { cert_hashes, addrs })
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], MessageError> {
    bytes.try_into().map_err(|_| MessageError::Malformed)
}

/// Splits messages out of a byte stream, refusing any longer than [`MAX_MESSAGE`] from its
/// length prefix, before buffering it.
#[derive(Debug, Default)]
pub struct MessageReader {
    buf: Vec<u8>,
}

impl MessageReader {
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), MessageError> {
        if self.buf.len() + bytes.len() > 2 * (MAX_MESSAGE + 2) {
            return Err(MessageError::TooLong(self.buf.len() + bytes.len()));
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next whole message, if one has arrived.
    pub fn next_message(&mut self) -> Result<Option<Message>, MessageError> {
        if self.buf.len() < 2 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
        if len > MAX_MESSAGE {
            return Err(MessageError::TooLong(len));
        }
        if self.buf.len() < 2 + len {
            return Ok(None);
        }
        let msg = Message::decode(&self.buf[2..2 + len])?;
        self.buf.drain(..2 + len);
        Ok(Some(msg))
    }

    /// Bytes received after the last whole message (the start of what follows the proof on
    /// the same stream, such as a pairing message).
    pub fn take_rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spki() -> Vec<u8> {
        let mut s = P256_SPKI_HEADER.to_vec();
        s.push(0x04);
        s.extend_from_slice(&[7; 64]);
        s
    }

    fn round_trip(m: Message) {
        let bytes = m.encode();
        assert!(bytes.len() <= MAX_MESSAGE + 2, "{m:?} is over the limit");
        let mut r = MessageReader::default();
        for (i, b) in bytes.iter().enumerate() {
            r.push(&[*b]).expect("bounded");
            let got = r.next_message().expect("valid");
            assert_eq!(got, (i + 1 == bytes.len()).then(|| m.clone()));
        }
    }

    #[test]
    fn messages_round_trip_split_anywhere() {
        round_trip(Message::Open {
            version: PROOF_VERSION,
            purpose: Purpose::Pair,
        });
        round_trip(Message::Challenge(Challenge {
            nonce: [1; 32],
            cert_hash: [2; 32],
            vault: VaultId::from_u64(3),
            daemon: DeviceId::from_bytes([4; 32]),
        }));
        round_trip(Message::Proof {
            spki: spki(),
            signature: [5; 64],
        });
        round_trip(Message::Accepted {
            device: DeviceId::from_spki(&spki()),
        });
        round_trip(Message::Refused(Refusal::Untrusted));
        round_trip(Message::Reach(Reach::default()));
        // The largest one fits the limit.
        round_trip(Message::Reach(Reach {
            cert_hashes: vec![[1; 32], [2; 32]],
            addrs: (0..MAX_REACH_ADDRS as u16)
                .map(|i| SocketAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), 7450 + i))
                .collect(),
        }));
    }

    #[test]
    fn a_reach_keeps_its_order_and_caps_what_it_carries() {
        let many = Reach {
            cert_hashes: vec![[1; 32], [2; 32], [3; 32]],
            addrs: (0..20u16)
                .map(|i| SocketAddr::from(([192, 0, 2, 4], 7450 + i)))
                .collect(),
        };
        let bytes = Message::Reach(many.clone()).encode();
        let Ok(Message::Reach(got)) = Message::decode(&bytes[2..]) else {
            panic!("a reach decodes");
        };
        assert_eq!(got.cert_hashes, many.cert_hashes[..MAX_REACH_HASHES]);
        assert_eq!(got.addrs, many.addrs[..MAX_REACH_ADDRS]);
        for body in [
            &[6, 3][..],
            &[6, 0, 1, 5, 1, 2, 3, 4, 0, 1],
            &[6, 0, 1, 4, 1],
        ] {
            assert!(Message::decode(body).is_err(), "{body:?}");
        }
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        for body in [
            &[][..],
            &[1, 1],
            &[1, 1, 9],
            &[2; 40],
            &[3, 200, 1],
            &[4; 5],
            &[5, 9],
            &[6],
        ] {
            assert!(Message::decode(body).is_err(), "{body:?}");
        }
        let mut r = MessageReader::default();
        r.push(&[0x10, 0x00]).expect("small");
        assert_eq!(r.next_message(), Err(MessageError::TooLong(0x1000)));
    }

    #[test]
    fn signed_message_binds_every_field() {
        let c = Challenge {
            nonce: [1; 32],
            cert_hash: [2; 32],
            vault: VaultId::from_u64(3),
            daemon: DeviceId::from_bytes([4; 32]),
        };
        let base = c.signed_message();
        assert!(base.starts_with(DOMAIN));
        let variants = [
            Challenge {
                nonce: [9; 32],
                ..c
            },
            Challenge {
                cert_hash: [9; 32],
                ..c
            },
            Challenge {
                vault: VaultId::from_u64(4),
                ..c
            },
            Challenge {
                daemon: DeviceId::from_bytes([9; 32]),
                ..c
            },
        ];
        for v in variants {
            assert_ne!(v.signed_message(), base, "{v:?}");
        }
    }

    #[test]
    fn only_a_p256_spki_has_a_point() {
        let good = spki();
        assert_eq!(p256_point(&good).map(<[u8]>::len), Some(65));
        let mut other_curve = good.clone();
        other_curve[20] ^= 1;
        assert_eq!(p256_point(&other_curve), None);
        assert_eq!(p256_point(&good[..90]), None);
        let mut compressed = good;
        compressed[26] = 0x02;
        assert_eq!(p256_point(&compressed), None);
    }
}
