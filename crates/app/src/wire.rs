//! The daemon's local-socket protocol. While `rapport serve` holds the store, every other
//! `rapport` on that home sends its parsed command to the daemon over a Unix socket and renders
//! the typed answer itself, exactly as it renders a local run.
//!
//! Bytes -> frame -> typed value, as mini-redis layers it: a frame is a 4-byte big-endian
//! length and a JSON body, bounded both ways (`MAX_CALL`, `MAX_REPLY`). Every frame carries
//! the protocol version and the rapport version that wrote it, checked before anything else of
//! the body is read, so two rapports of different versions say so in one sentence instead of
//! misreading each other. A client sends one `ClientFrame`; the daemon answers with
//! `ServerFrame`s: any number of `Reply::Pairing` events, then one final reply.
//!
//! Pure: bytes in, values out; the daemon (tokio) and the CLI (std) do the reading.

use crate::response::Response;
use rapport_node::pairing::{PairingDone, PairingEvent};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Bumped on any change to the frames or to what they carry (`Request`, `Response`, ...).
/// 2: every command is a typed `Request` (status, devices, import, export, check, backup);
/// no call carries a command line, and no reply carries printed text.
pub const PROTOCOL: u32 = 2;
/// This rapport's version, named in a mismatch so the user knows which one to restart.
pub const RAPPORT_VERSION: &str = env!("CARGO_PKG_VERSION");
/// A call is a parsed command line: small.
pub const MAX_CALL: u32 = 1 << 20;
/// A reply can be a `list` of every contact.
pub const MAX_REPLY: u32 = 256 << 20;

/// Why a frame could not be read. Never a panic: whatever arrives on the socket is untrusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    #[error("this rapport is version {ours} (daemon protocol {PROTOCOL}), the running daemon speaks protocol {theirs_protocol} (rapport {theirs}): restart `rapport serve` with the same version")]
    DaemonVersion {
        ours: &'static str,
        theirs: String,
        theirs_protocol: u32,
    },
    #[error("this daemon is rapport {RAPPORT_VERSION} (protocol {PROTOCOL}) and the command came from rapport {theirs} (protocol {theirs_protocol}): restart `rapport serve` with the same version as the command")]
    ClientVersion {
        theirs: String,
        theirs_protocol: u32,
    },
    /// The first bytes were a JSON line: a rapport from before this protocol.
    #[error("the command came from an older rapport that sends its arguments as a JSON line: restart `rapport serve` with the same version as the command")]
    OldClient,
    #[error("a daemon frame of {len} bytes is over the limit of {max}: the other end is not a rapport of this version; restart `rapport serve` with the same version")]
    TooLarge { len: u32, max: u32 },
    #[error("a daemon frame could not be read ({0}): restart `rapport serve` with the same version as this rapport")]
    Garbled(String),
    #[error("the connection to the daemon failed")]
    Io(#[from] std::io::Error),
}

/// What the CLI sends: one call, whatever its type (the binary's own `Call`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame<C> {
    pub protocol: u32,
    pub rapport: String,
    pub call: C,
}

/// What the daemon sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerFrame {
    pub protocol: u32,
    pub rapport: String,
    pub reply: Reply,
}

/// One answer frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Reply {
    /// The daemon did not run the call: another version, or a frame it could not read.
    Refused(Failure),
    /// An application `Request`'s answer, with notes for stderr made on the side.
    App {
        result: Result<Response, Failure>,
        notes: Vec<String>,
    },
    /// A pairing window's progress; more frames follow.
    Pairing(PairingEvent),
    /// The end of a pairing window.
    Paired(Result<PairingDone, Failure>),
    /// The end of a `sync`.
    Synced(Result<Synced, Failure>),
}

impl Reply {
    /// Whether more frames follow this one.
    pub fn is_partial(&self) -> bool {
        matches!(self, Reply::Pairing(_))
    }
}

/// A failed call, as the CLI shows any error: one sentence (its causes joined) and the exit
/// code the README promises for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub message: String,
    pub exit_code: u8,
}

/// A failure the daemon reported, as an error on the CLI's side: shown as any error, with the
/// daemon's exit code.
#[derive(Debug)]
pub struct Remote(pub Failure);

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Remote {}

/// What a sync did, as `rapport sync` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    /// The peer's short id (empty when unknown).
    pub peer: String,
    pub addr: std::net::SocketAddr,
    /// Contacts, interactions and groups the sync changed here.
    pub records_updated: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub elapsed_ms: u128,
}

impl Synced {
    /// The line `rapport sync` prints, run directly or by the daemon.
    pub fn line(&self) -> String {
        format!(
            "in sync with {} at {}: {} records updated here, {} bytes sent, {} received, {} ms",
            self.peer,
            self.addr,
            self.records_updated,
            self.bytes_sent,
            self.bytes_received,
            self.elapsed_ms
        )
    }
}

/// The protocol and rapport versions, read before the rest of a body.
#[derive(Deserialize)]
struct Versions {
    protocol: u32,
    #[serde(default)]
    rapport: String,
}

/// One frame: the 4-byte big-endian length, then `value` as JSON.
pub fn encode<T: Serialize>(value: &T, max: u32) -> Result<Vec<u8>, WireError> {
    let body = serde_json::to_vec(value).map_err(|e| WireError::Garbled(e.to_string()))?;
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    if len > max {
        return Err(WireError::TooLarge { len, max });
    }
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// The body length a frame header announces, refused when over `max`.
pub fn body_len(header: [u8; 4], max: u32) -> Result<usize, WireError> {
    if header[0] == b'{' {
        return Err(WireError::OldClient);
    }
    let len = u32::from_be_bytes(header);
    if len > max {
        return Err(WireError::TooLarge { len, max });
    }
    usize::try_from(len).map_err(|_| WireError::TooLarge { len, max })
}

/// Reads one frame's body from a blocking reader (the CLI's side).
pub fn read_frame(r: &mut impl std::io::Read, max: u32) -> Result<Vec<u8>, WireError> {
    let mut header = [0u8; 4];
    r.read_exact(&mut header)?;
    let mut body = vec![0u8; body_len(header, max)?];
    r.read_exact(&mut body)?;
    Ok(body)
}

/// A client's call for this rapport's protocol.
pub fn client_frame<C: Serialize>(call: C) -> Result<Vec<u8>, WireError> {
    encode(
        &ClientFrame {
            protocol: PROTOCOL,
            rapport: RAPPORT_VERSION.to_owned(),
            call,
        },
        MAX_CALL,
    )
}

/// A daemon's reply frame.
pub fn server_frame(reply: Reply) -> Result<Vec<u8>, WireError> {
    encode(
        &ServerFrame {
            protocol: PROTOCOL,
            rapport: RAPPORT_VERSION.to_owned(),
            reply,
        },
        MAX_REPLY,
    )
}

/// The daemon's reading of a call body: the versions first, then the call.
pub fn decode_call<C: DeserializeOwned>(body: &[u8]) -> Result<C, WireError> {
    let v = versions(body)?;
    if v.protocol != PROTOCOL {
        return Err(WireError::ClientVersion {
            theirs: v.rapport,
            theirs_protocol: v.protocol,
        });
    }
    serde_json::from_slice::<ClientFrame<C>>(body)
        .map(|f| f.call)
        .map_err(|e| WireError::Garbled(e.to_string()))
}

/// The CLI's reading of a reply body: the versions first, then the reply.
pub fn decode_reply(body: &[u8]) -> Result<Reply, WireError> {
    let v = versions(body)?;
    if v.protocol != PROTOCOL {
        return Err(WireError::DaemonVersion {
            ours: RAPPORT_VERSION,
            theirs: v.rapport,
            theirs_protocol: v.protocol,
        });
    }
    serde_json::from_slice::<ServerFrame>(body)
        .map(|f| f.reply)
        .map_err(|e| WireError::Garbled(e.to_string()))
}

fn versions(body: &[u8]) -> Result<Versions, WireError> {
    serde_json::from_slice(body).map_err(|e| WireError::Garbled(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ListFilter, Request};

    fn body(frame: &[u8]) -> Vec<u8> {
        read_frame(&mut &frame[..], MAX_REPLY).expect("one frame")
    }

    #[test]
    fn a_call_and_its_replies_round_trip() {
        let call = Request::Search {
            query: "jeanne".into(),
        };
        let frame = client_frame(&call).expect("encodes");
        assert_eq!(
            decode_call::<Request>(&body(&frame)).expect("decodes"),
            call
        );
        for reply in [
            Reply::App {
                result: Ok(Response::Created { id: "abc".into() }),
                notes: vec!["rebuilt the view".into()],
            },
            Reply::App {
                result: Err(Failure {
                    message: "no contact matches `x`".into(),
                    exit_code: 3,
                }),
                notes: vec![],
            },
            Reply::Pairing(PairingEvent::Notice("no LAN".into())),
            Reply::Synced(Ok(Synced {
                peer: "ABCDEFG".into(),
                addr: "127.0.0.1:7447".parse().expect("addr"),
                records_updated: 2,
                bytes_sent: 10,
                bytes_received: 20,
                elapsed_ms: 5,
            })),
        ] {
            let frame = server_frame(reply.clone()).expect("encodes");
            assert_eq!(decode_reply(&body(&frame)).expect("decodes"), reply);
        }
    }

    #[test]
    fn an_oversize_frame_is_refused_before_its_body_is_read() {
        let mut frame = (MAX_CALL + 1).to_be_bytes().to_vec();
        frame.extend_from_slice(b"{}");
        let e = read_frame(&mut &frame[..], MAX_CALL).expect_err("too large");
        assert!(matches!(e, WireError::TooLarge { .. }), "{e}");
        let huge = Request::Search {
            query: "x".repeat(MAX_CALL as usize),
        };
        assert!(matches!(
            client_frame(&huge),
            Err(WireError::TooLarge { .. })
        ));
    }

    #[test]
    fn another_protocol_version_gets_one_sentence_naming_both_versions() {
        let old = encode(
            &ClientFrame {
                protocol: PROTOCOL + 1,
                rapport: "9.9.9".into(),
                call: Request::List(ListFilter::default()),
            },
            MAX_CALL,
        )
        .expect("encodes");
        let e = decode_call::<Request>(&body(&old)).expect_err("refused");
        let said = e.to_string();
        assert!(
            said.contains("9.9.9") && said.contains("restart `rapport serve`"),
            "{said}"
        );
        // A daemon of another version: its frame is read only as far as its versions, even
        // when the rest has a shape this rapport does not know.
        let theirs = br#"{"protocol":7,"rapport":"0.9.0","reply":{"Unheard":{}}}"#;
        let e = decode_reply(theirs).expect_err("refused");
        let said = e.to_string();
        assert!(
            said.starts_with(&format!("this rapport is version {RAPPORT_VERSION}"))
                && said.contains("speaks protocol 7 (rapport 0.9.0)")
                && said.ends_with("restart `rapport serve` with the same version"),
            "{said}"
        );
    }

    #[test]
    fn garbage_gets_a_clear_error_never_a_panic() {
        for junk in [
            &b""[..],
            b"not json",
            b"{\"protocol\":\"one\"}",
            b"{\"call\":1}",
            b"\xff\xfe\x00",
        ] {
            assert!(matches!(
                decode_call::<Request>(junk),
                Err(WireError::Garbled(_))
            ));
            assert!(matches!(decode_reply(junk), Err(WireError::Garbled(_))));
        }
        // The right version with a body of the wrong shape.
        let body = format!(r#"{{"protocol":{PROTOCOL},"rapport":"x","call":{{"Nope":1}}}}"#);
        let e = decode_call::<Request>(body.as_bytes()).expect_err("garbled");
        assert!(e
            .to_string()
            .starts_with("a daemon frame could not be read"));
        // A truncated frame is an I/O error, not a hang or a panic.
        let mut frame = client_frame(Request::ListTrash).expect("encodes");
        frame.truncate(frame.len() - 1);
        assert!(matches!(
            read_frame(&mut &frame[..], MAX_CALL),
            Err(WireError::Io(_))
        ));
        // An old client's JSON line is recognised, so the daemon can answer it in its terms.
        assert!(matches!(
            read_frame(&mut &b"{\"args\":[]}\n"[..], MAX_CALL),
            Err(WireError::OldClient)
        ));
    }
}
