//! The browser's side of the proof of key, natively: what a browser's Worker does with
//! WebTransport and WebCrypto, done with wtransport and a caller's P-256 signer. The tests use
//! it as "the browser"; it also lets a native tool check a daemon's WebTransport port.

use crate::conn::{PeerConnection, Streams};
use crate::error::TransportError;
use crate::{NetError, PeerStream};
use rapport_model::DeviceId;
use rapport_sync::browser::{Message, MessageReader, Purpose, Refusal, PROOF_VERSION};
use std::net::SocketAddr;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Endpoint};

/// Signs the challenge's message with the browser's P-256 key: an IEEE-P1363 `r || s`
/// signature, as WebCrypto's `sign({name: "ECDSA", hash: "SHA-256"}, ...)` gives.
pub type Signer<'a> = &'a (dyn Fn(&[u8]) -> [u8; 64] + Sync);

/// How a proof went, as the browser sees it.
#[derive(Debug)]
pub struct BrowserAttempt {
    /// The daemon's device id, from its challenge; the connection's `peer`.
    pub conn: PeerConnection,
    /// The first stream, after the daemon's verdict (pairing continues on it).
    pub stream: PeerStream,
    /// `Ok(my device id as the daemon computed it)`, or why the daemon refused.
    pub verdict: Result<DeviceId, Refusal>,
    /// The certificate hash the daemon said this session runs under (checked to be one of
    /// the pinned hashes before signing).
    pub cert_hash: [u8; 32],
    /// Bytes that arrived after the verdict on the first stream.
    pub rest: Vec<u8>,
}

/// Opens a WebTransport session to `addr` pinned to `hashes`, and proves the key whose SPKI is
/// `spki` with `sign`, for `purpose`.
pub async fn connect_browser(
    addr: SocketAddr,
    hashes: &[[u8; 32]],
    spki: &[u8],
    sign: Signer<'_>,
    purpose: Purpose,
) -> Result<BrowserAttempt, NetError> {
    let connect_err = |e: &dyn std::error::Error| NetError::Connect {
        addr,
        source: TransportError::msg_owned(e.to_string()),
    };
    let bind = SocketAddr::new(
        match addr.ip().is_loopback() {
            true => addr.ip(),
            false => std::net::Ipv4Addr::UNSPECIFIED.into(),
        },
        0,
    );
    let config = ClientConfig::builder()
        .with_bind_address(bind)
        .with_server_certificate_hashes(hashes.iter().map(|h| Sha256Digest::new(*h)))
        .build();
    let endpoint = Endpoint::client(config).map_err(|e| connect_err(&e))?;
    let url = format!("https://{addr}/rapport");
    let conn = endpoint.connect(url).await.map_err(|e| connect_err(&e))?;
    let opening = conn
        .open_bi()
        .await
        .map_err(crate::wt_err::from_connection)?;
    let (send, recv) = opening.await.map_err(crate::wt_err::from_opening)?;
    let mut stream = PeerStream(Streams::Wt {
        send,
        recv,
        conn: conn.clone(),
    });
    let open = Message::Open {
        version: PROOF_VERSION,
        purpose,
    };
    stream.write_all(&open.encode()).await?;
    let mut reader = MessageReader::default();
    let challenge = match crate::browser::read(&mut stream, &mut reader).await? {
        Message::Challenge(c) => c,
        Message::Refused(why) => {
            return Err(refused(why));
        }
        _ => return Err(NetError::Connection(TransportError::msg("not a challenge"))),
    };
    // The browser signs only a hash it pinned: a signature bound to any other certificate
    // would prove nothing about who it talks to.
    if !hashes.contains(&challenge.cert_hash) {
        return Err(NetError::Connection(TransportError::msg(
            "the daemon named a certificate this browser did not pin",
        )));
    }
    let signature = sign(&challenge.signed_message());
    let proof = Message::Proof {
        spki: spki.to_vec(),
        signature,
    };
    stream.write_all(&proof.encode()).await?;
    let verdict = match crate::browser::read(&mut stream, &mut reader).await? {
        Message::Accepted { device } => Ok(device),
        Message::Refused(why) => Err(why),
        _ => return Err(NetError::Connection(TransportError::msg("not a verdict"))),
    };
    Ok(BrowserAttempt {
        conn: PeerConnection::wt(conn, challenge.daemon),
        stream,
        verdict,
        cert_hash: challenge.cert_hash,
        rest: reader.take_rest(),
    })
}

fn refused(why: Refusal) -> NetError {
    NetError::Refused {
        why: crate::Refusal::Untrusted,
        source: Some(TransportError::msg_owned(format!(
            "the daemon refused the browser ({why:?})"
        ))),
    }
}
