//! `Node`: one QUIC endpoint that both accepts trusted peers and dials them.

use crate::conn::{transport as opaque, Incoming, IncomingPeer, PeerConnection};
use crate::error::{self, TransportError};
use crate::tls::{self, TrustCheck};
use crate::{CloseCode, NetError, Refusal};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{Endpoint, TransportConfig, VarInt};
use rapport_identity::{DeviceIdentity, TLS_SERVER_NAME};
use rapport_model::DeviceId;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Connection limits. quinn's defaults are generous (65,536 incoming, 100 MiB buffers); a
/// contact book needs a handful of peers.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Handshakes in progress at once; more are refused.
    pub max_incoming: usize,
    /// Per-stream receive window: how much a peer may send before we read it.
    pub stream_window: u32,
    /// Drop a connection that has been silent this long.
    pub idle_timeout: Duration,
    /// Keep a live connection open through NATs and idle timeouts.
    pub keep_alive: Duration,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            max_incoming: 32,
            stream_window: 8 << 20,
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(10),
        }
    }
}

/// A bound QUIC endpoint for this device.
#[derive(Debug)]
pub struct Node {
    endpoint: Endpoint,
    identity: DeviceIdentity,
    transport: Arc<TransportConfig>,
}

pub(crate) fn transport(config: &NodeConfig) -> Result<TransportConfig, NetError> {
    let mut t = TransportConfig::default();
    t.max_concurrent_bidi_streams(VarInt::from_u32(4))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .stream_receive_window(VarInt::from_u32(config.stream_window))
        .receive_window(VarInt::from_u32(config.stream_window.saturating_mul(2)))
        .send_window(u64::from(config.stream_window) * 2)
        .keep_alive_interval(Some(config.keep_alive))
        .max_idle_timeout(Some(config.idle_timeout.try_into().map_err(|_| {
            NetError::Tls(TransportError::msg("idle timeout out of range"))
        })?));
    Ok(t)
}

impl Node {
    /// Binds `addr` and accepts connections from devices that `trust` accepts.
    pub fn bind(
        addr: SocketAddr,
        identity: DeviceIdentity,
        trust: TrustCheck,
        config: &NodeConfig,
    ) -> Result<Node, NetError> {
        let transport = Arc::new(transport(config)?);
        let tls = tls::server_config(&identity, trust)?;
        let crypto = QuicServerConfig::try_from(tls).map_err(|e| NetError::Tls(opaque(e)))?;
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
        server
            .transport_config(transport.clone())
            .max_incoming(config.max_incoming);
        let endpoint =
            Endpoint::server(server, addr).map_err(|source| NetError::Bind { addr, source })?;
        Ok(Node {
            endpoint,
            identity,
            transport,
        })
    }

    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        self.endpoint
            .local_addr()
            .map_err(|e| NetError::Connection(opaque(e)))
    }

    pub fn device(&self) -> DeviceId {
        self.identity.device_id()
    }

    /// Dials `addr`, which must present the certificate of `expected`.
    pub async fn connect(
        &self,
        addr: SocketAddr,
        expected: DeviceId,
    ) -> Result<PeerConnection, NetError> {
        self.connect_trusting(addr, Arc::new(move |id| *id == expected))
            .await
    }

    /// Dials `addr`, which must present a certificate that `trust` accepts; the connection
    /// knows which device it turned out to be.
    pub async fn connect_trusting(
        &self,
        addr: SocketAddr,
        trust: TrustCheck,
    ) -> Result<PeerConnection, NetError> {
        let tls = tls::client_config(&self.identity, trust.clone())?;
        let crypto = QuicClientConfig::try_from(tls).map_err(|e| NetError::Tls(opaque(e)))?;
        let mut client = quinn::ClientConfig::new(Arc::new(crypto));
        client.transport_config(self.transport.clone());
        let connecting = self
            .endpoint
            .connect_with(client, addr, TLS_SERVER_NAME)
            .map_err(|e| NetError::Connect {
                addr,
                source: opaque(e),
            })?;
        let conn = connecting.await.map_err(|e| classify(addr, e))?;
        match PeerConnection::new(conn) {
            Some(peer) if trust(&peer.peer()) => Ok(peer),
            _ => Err(NetError::Refused {
                why: Refusal::Untrusted,
                source: None,
            }),
        }
    }

    /// The next incoming connection attempt, not yet authenticated; `None` once the node is
    /// closed.
    pub async fn accept(&self) -> Option<IncomingPeer> {
        self.endpoint
            .accept()
            .await
            .map(|i| IncomingPeer(Incoming::Quic(i)))
    }

    /// Stops accepting, closes every connection, and waits until they are gone.
    pub async fn shutdown(&self) {
        let code = CloseCode::ShuttingDown;
        self.endpoint.close(code.varint(), code.reason().as_bytes());
        self.endpoint.wait_idle().await;
    }
}

/// A failed handshake: a TLS alert is a refusal, an application close its code; anything
/// else means the address did not answer as a Rapport device.
fn classify(addr: SocketAddr, e: quinn::ConnectionError) -> NetError {
    match error::from_connection(e) {
        NetError::Connection(source) => NetError::Connect { addr, source },
        other => other,
    }
}
