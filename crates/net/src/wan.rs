//! The second transport: iroh, for devices that do not share a network. iroh dials by endpoint
//! id (an Ed25519 key) and a relay URL, punches a direct path through NATs when it can, and
//! keeps the relay as the fallback; the relay forwards encrypted QUIC packets only.
//!
//! iroh runs on noq, n0's fork of quinn, so this is a second QUIC stack beside the LAN's
//! quinn: its types stay in this module and `conn.rs` (callers get the same
//! [`PeerConnection`] and [`PeerStream`] as on the LAN, and the session driver cannot tell
//! them apart).
//!
//! **Admission.** iroh's TLS proves which endpoint id the peer holds; the endpoint's
//! `after_handshake` hook then asks the roster which trusted device owns that id, and closes
//! the connection with [`CloseCode::Untrusted`] when none does (a stranger, or a revoked
//! device). That runs before any stream is accepted, so no vault byte is ever sent to it.
//!
//! **What is not used.** No portmapper (UPnP, NAT-PMP and PCP send multicasts on the real
//! interfaces), no address look-up (n0's DNS and pkarr would publish the endpoint), and no
//! relay unless the user named one: `RelayMode::Disabled` is the default here.

use crate::conn::{transport as opaque, Incoming, IncomingPeer, PeerConnection};
use crate::error::TransportError;
use crate::far::{endpoint_of, from_connection, varint, EndpointTrust};
use crate::{CloseCode, NetError, Refusal};
use iroh::endpoint::{presets, AfterHandshakeOutcome, Connection, EndpointHooks};
use iroh::{Endpoint, EndpointAddr, RelayMode, RelayUrl, SecretKey};
use rapport_identity::EndpointKey;
use rapport_model::{DeviceId, EndpointId};
use std::net::SocketAddr;

/// ALPN of sync over iroh (a separate protocol id from the LAN's `rapport/1`, so neither
/// endpoint ever mistakes the other's peers for its own).
pub(crate) const ALPN: &[u8] = b"rapport-iroh/1";

/// How to bind the iroh endpoint.
#[derive(Debug, Clone, Default)]
pub struct WanConfig {
    /// Addresses to bind. Empty: iroh's defaults (every IPv4 and IPv6 interface, random
    /// ports). Tests bind `127.0.0.1:0` so that nothing leaves the loopback interface.
    pub bind: Vec<SocketAddr>,
    /// The relay this device uses (its home relay), as the vault names it. `None`: no relay
    /// at all, so only direct addresses work.
    pub relay: Option<String>,
    /// No direct paths: every packet goes through the relay (which then also hides this
    /// device's IP addresses from its peers). Needs `relay`.
    pub relay_only: bool,
    /// Certificates (DER) trusted for the relay's TLS besides the usual web roots: a
    /// self-hosted relay whose certificate no public authority signed (`RAPPORT_RELAY_CA`).
    /// Its address discovery runs over TLS too, and is how this endpoint learns its public
    /// address behind a NAT: without it, no hole can be punched.
    pub relay_roots: Vec<Vec<u8>>,
}

/// The certificates in PEM text (`-----BEGIN CERTIFICATE-----` blocks), as DER.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, NetError> {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| NetError::Tls(opaque(e)))?;
    match certs.is_empty() {
        true => Err(NetError::Tls(TransportError::msg(
            "no PEM certificate in the file: give the relay's certificate, `-----BEGIN CERTIFICATE-----` and all",
        ))),
        false => Ok(certs),
    }
}

/// Where to dial a device over iroh: its endpoint id, its home relay, and any direct
/// addresses known (none are needed when the relay is given).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WanAddr {
    pub endpoint: Option<EndpointId>,
    pub relay: Option<String>,
    pub direct: Vec<SocketAddr>,
}

/// This device's iroh endpoint.
pub struct WanNode {
    endpoint: Endpoint,
    trust: EndpointTrust,
    relay: Option<String>,
}

impl std::fmt::Debug for WanNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WanNode")
            .field("endpoint", &self.endpoint_id())
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

/// Closes every handshake whose endpoint id belongs to no trusted device.
struct RosterHook(EndpointTrust);

impl std::fmt::Debug for RosterHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RosterHook")
    }
}

impl EndpointHooks for RosterHook {
    async fn after_handshake(&self, conn: &Connection) -> AfterHandshakeOutcome {
        let id = endpoint_of(&conn.remote_id());
        match (self.0)(&id) {
            Some(_) => AfterHandshakeOutcome::accept(),
            None => {
                tracing::info!(endpoint = %id.short(), "refused an iroh endpoint of no trusted device");
                AfterHandshakeOutcome::Reject {
                    error_code: varint(CloseCode::Untrusted),
                    reason: CloseCode::Untrusted.reason().as_bytes().to_vec(),
                }
            }
        }
    }
}

/// How long a command that exits next gives iroh to send its closes: see
/// [`WanNode::close_for_exit`].
pub const EXIT_CLOSE_GRACE: std::time::Duration = std::time::Duration::from_millis(100);

impl WanNode {
    /// Binds this device's iroh endpoint with its Ed25519 `key`, admitting only endpoints that
    /// `trust` maps to a device. Must run inside the runtime.
    pub async fn bind(
        key: &EndpointKey,
        trust: EndpointTrust,
        config: &WanConfig,
    ) -> Result<WanNode, NetError> {
        let relay_mode = match &config.relay {
            Some(url) => RelayMode::Custom(parse_relay(url)?.into()),
            None => RelayMode::Disabled,
        };
        // `Minimal`: the ring crypto provider and nothing else (no address look-up, no relay).
        let mut builder = Endpoint::builder(presets::Minimal)
            .secret_key(SecretKey::from_bytes(key.seed()))
            .alpns(vec![ALPN.to_vec()])
            .relay_mode(relay_mode)
            .hooks(RosterHook(trust.clone()));
        if !config.relay_roots.is_empty() {
            let roots = config
                .relay_roots
                .iter()
                .map(|der| rustls::pki_types::CertificateDer::from(der.clone()));
            builder =
                builder.ca_tls_config(iroh::tls::CaTlsConfig::default().with_extra_roots(roots));
        }
        if config.relay_only {
            builder = builder.clear_ip_transports();
        } else if !config.bind.is_empty() {
            builder = builder.clear_ip_transports();
            for addr in &config.bind {
                builder = builder
                    .bind_addr(*addr)
                    .map_err(|e| NetError::Tls(opaque(e)))?;
            }
        }
        let endpoint = builder.bind().await.map_err(|e| NetError::Tls(opaque(e)))?;
        Ok(WanNode {
            endpoint,
            trust,
            relay: config.relay.clone(),
        })
    }

    pub fn endpoint_id(&self) -> EndpointId {
        endpoint_of(&self.endpoint.id())
    }

    /// The relay this endpoint was bound with.
    pub fn relay(&self) -> Option<&str> {
        self.relay.as_deref()
    }

    /// How others can dial this endpoint now: its id, relay and direct addresses.
    pub fn addr(&self) -> WanAddr {
        let addr = self.endpoint.addr();
        let relay = addr.relay_urls().next().map(|u| u.to_string());
        let direct = addr.ip_addrs().copied().collect();
        WanAddr {
            endpoint: Some(self.endpoint_id()),
            relay,
            direct,
        }
    }

    /// Waits until the endpoint is connected to its home relay (if it has one), at most
    /// `limit`; returns whether it is.
    pub async fn online_within(&self, limit: std::time::Duration) -> bool {
        self.relay.is_some()
            && tokio::time::timeout(limit, self.endpoint.online())
                .await
                .is_ok()
    }

    /// Dials `expected` at `to`. iroh's TLS proves the peer holds `to.endpoint`; the roster
    /// must still say that id is `expected`'s.
    pub async fn connect(
        &self,
        to: &WanAddr,
        expected: DeviceId,
    ) -> Result<PeerConnection, NetError> {
        let unreachable = |source: TransportError| NetError::Connect {
            addr: to
                .direct
                .first()
                .copied()
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            source,
        };
        let Some(endpoint) = to.endpoint else {
            return Err(unreachable(TransportError::msg(
                "the device has no iroh endpoint id in the roster yet",
            )));
        };
        if (self.trust)(&endpoint) != Some(expected) {
            return Err(NetError::Refused {
                why: Refusal::Untrusted,
                source: None,
            });
        }
        let key = iroh::EndpointId::from_bytes(endpoint.as_bytes())
            .map_err(|e| unreachable(opaque(e)))?;
        let mut addr = EndpointAddr::new(key);
        if let Some(url) = &to.relay {
            addr = addr.with_relay_url(parse_relay(url)?);
        }
        for ip in &to.direct {
            addr = addr.with_ip_addr(*ip);
        }
        let conn = self.endpoint.connect(addr, ALPN).await.map_err(|e| {
            use iroh::endpoint::{ConnectError, ConnectingError};
            match e {
                ConnectError::Connection { source, .. }
                | ConnectError::Connecting {
                    source: ConnectingError::ConnectionError { source, .. },
                    ..
                } => match from_connection(source) {
                    NetError::Connection(t) => unreachable(t),
                    other => other,
                },
                other => unreachable(opaque(other)),
            }
        })?;
        Ok(PeerConnection::iroh(conn, expected))
    }

    /// The next incoming attempt; `None` once the endpoint is closed.
    pub async fn accept(&self) -> Option<IncomingPeer> {
        let incoming = self.endpoint.accept().await?;
        Some(IncomingPeer(Incoming::Iroh(incoming, self.trust.clone())))
    }

    /// Closes every connection and the endpoint.
    pub async fn shutdown(&self) {
        self.endpoint.close().await;
    }

    /// Closes every connection and the endpoint for a command that exits next, waiting at
    /// most [`EXIT_CLOSE_GRACE`] for QUIC's draining.
    ///
    /// Why not [`WanNode::shutdown`]: iroh drains every connection for 3 PTO of its slowest
    /// path, and a hole-punched connection keeps the candidate paths it abandoned, whose PTO
    /// still comes from the initial RTT estimate. That added a fixed second to every
    /// `clone --endpoint` and `sync` beyond the LAN (measured: 1.0 s between the vault stored
    /// and the endpoint closed, against 0.3 ms through the relay). Nothing is lost by not
    /// waiting: the session has ended on both sides before this is called, CONNECTION_CLOSE
    /// is never acknowledged in QUIC, and the grace is for iroh to send it.
    pub async fn close_for_exit(&self) {
        if tokio::time::timeout(EXIT_CLOSE_GRACE, self.endpoint.close())
            .await
            .is_err()
        {
            tracing::debug!("iroh endpoint still draining at exit; leaving the rest to the peer");
        }
    }
}

fn parse_relay(url: &str) -> Result<RelayUrl, NetError> {
    url.parse::<RelayUrl>()
        .map_err(|e| NetError::Tls(opaque(e)))
}
