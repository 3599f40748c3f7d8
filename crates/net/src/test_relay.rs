//! A loopback iroh relay for tests (feature `test-relay`, never in the shipped binary): the
//! same server code as the `iroh-relay` binary a user self-hosts, bound to 127.0.0.1, serving
//! plain HTTP (as `iroh-relay --dev` does) so that no certificate has to be trusted. By
//! default without QUIC address discovery (it needs a fixed port, 7842, and a certificate);
//! the NAT tests turn it on, since it is how an endpoint behind a NAT learns its public
//! address, without which no hole can be punched. Tests get a URL and, with address
//! discovery, the certificate to trust; no iroh type leaves this crate.

use iroh_relay::server::{QuicConfig, RelayConfig, Server, ServerConfig};
use std::net::{Ipv4Addr, SocketAddr};

/// A running loopback relay; dropping it stops it (and any relayed session breaks).
#[derive(Debug)]
pub struct TestRelay {
    url: String,
    /// The address-discovery server's self-signed certificate (PEM), when it runs one.
    certificate: Option<String>,
    server: Option<Server>,
    /// Set when the relay runs on a runtime of its own (`start`), for tests whose devices are
    /// child processes.
    runtime: Option<tokio::runtime::Runtime>,
}

/// Why the test relay did not start.
#[derive(Debug, thiserror::Error)]
#[error("the loopback relay did not start: {0}")]
pub struct TestRelayError(String);

impl TestRelay {
    /// Starts a relay on 127.0.0.1 (a free port) on the current tokio runtime.
    pub async fn spawn() -> Result<TestRelay, TestRelayError> {
        TestRelay::spawn_at(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts a relay serving HTTP on `addr` on the current tokio runtime. A fixed port lets
    /// a test stop the relay and bring it back at the same URL.
    pub async fn spawn_at(addr: SocketAddr) -> Result<TestRelay, TestRelayError> {
        TestRelay::spawn_with(addr, false).await
    }

    /// As [`TestRelay::spawn_at`], and with `address_discovery` also a QUIC address-discovery
    /// server on `addr`'s IP, port 7842 (where iroh clients look for it), under a self-signed
    /// certificate for that IP ([`TestRelay::certificate_pem`]).
    pub async fn spawn_with(
        addr: SocketAddr,
        address_discovery: bool,
    ) -> Result<TestRelay, TestRelayError> {
        let mut config = ServerConfig::default();
        config.relay = Some(RelayConfig::new(addr));
        let mut certificate = None;
        if address_discovery {
            let (pem, tls) = self_signed(addr.ip())?;
            certificate = Some(pem);
            let mut quic = QuicConfig::new(SocketAddr::new(
                addr.ip(),
                iroh_relay::defaults::DEFAULT_RELAY_QUIC_PORT,
            ));
            quic.server_config = Some(tls);
            config.quic = Some(quic);
        }
        let server = Server::spawn(config)
            .await
            .map_err(|e| TestRelayError(e.to_string()))?;
        let addr = server
            .http_addr()
            .ok_or_else(|| TestRelayError("no HTTP address".to_owned()))?;
        Ok(TestRelay {
            url: format!("http://{addr}"),
            certificate,
            server: Some(server),
            runtime: None,
        })
    }

    /// Starts a relay on 127.0.0.1 on a runtime of its own (call it outside any runtime).
    pub fn start() -> Result<TestRelay, TestRelayError> {
        TestRelay::start_at(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), false)
    }

    /// Starts a relay on `addr` on a runtime of its own (call it outside any runtime). The
    /// runtime's threads are created by the calling thread, so a test that moved that thread
    /// into a network namespace gets a relay whose sockets all live there.
    pub fn start_at(
        addr: SocketAddr,
        address_discovery: bool,
    ) -> Result<TestRelay, TestRelayError> {
        let runtime = crate::runtime().map_err(|e| TestRelayError(e.to_string()))?;
        let mut relay = runtime.block_on(TestRelay::spawn_with(addr, address_discovery))?;
        relay.runtime = Some(runtime);
        Ok(relay)
    }

    /// The relay's URL, as `rapport relay set` takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The certificate of the address-discovery server (PEM), for `RAPPORT_RELAY_CA`.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate.as_deref()
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        let server = self.server.take();
        if let Some(runtime) = self.runtime.take() {
            // The server's tasks belong to that runtime: stop them there, then the runtime.
            runtime.block_on(async move { drop(server) });
            runtime.shutdown_background();
        }
    }
}

/// A self-signed certificate for `ip` (PEM) and a TLS 1.3 server configuration using it. One
/// certificate per IP for the life of the process, so that a relay stopped and brought back
/// at the same URL is still the one its clients trust.
fn self_signed(ip: std::net::IpAddr) -> Result<(String, rustls::ServerConfig), TestRelayError> {
    type Made = (String, Vec<u8>, Vec<u8>);
    static MADE: std::sync::Mutex<Vec<(std::net::IpAddr, Made)>> =
        std::sync::Mutex::new(Vec::new());
    let fail = |e: &dyn std::fmt::Display| TestRelayError(e.to_string());
    let (pem, cert, key) = {
        let mut made = MADE.lock().map_err(|e| fail(&e))?;
        match made.iter().find(|(at, _)| *at == ip) {
            Some((_, m)) => m.clone(),
            None => {
                let new = rcgen::generate_simple_self_signed(vec![ip.to_string()])
                    .map_err(|e| fail(&e))?;
                let m = (
                    new.cert.pem(),
                    new.cert.der().to_vec(),
                    new.signing_key.serialize_der(),
                );
                made.push((ip, m.clone()));
                m
            }
        }
    };
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.into());
    let tls = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .map_err(|e| fail(&e))?
    .with_no_client_auth()
    .with_single_cert(vec![cert.into()], key)
    .map_err(|e| fail(&e))?;
    Ok((pem, tls))
}
