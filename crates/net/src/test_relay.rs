//! A loopback iroh relay for tests (feature `test-relay`, never in the shipped binary): the
//! same server code as the `iroh-relay` binary a user self-hosts, bound to 127.0.0.1, serving
//! plain HTTP (as `iroh-relay --dev` does) so that no certificate has to be trusted, and
//! without QUIC address discovery. Tests get a URL; no iroh type leaves this crate.

use iroh_relay::server::{RelayConfig, Server, ServerConfig};
use std::net::Ipv4Addr;

/// A running loopback relay; dropping it stops it (and any relayed session breaks).
#[derive(Debug)]
pub struct TestRelay {
    url: String,
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
    /// Starts a relay on the current tokio runtime.
    pub async fn spawn() -> Result<TestRelay, TestRelayError> {
        let mut config = ServerConfig::default();
        config.relay = Some(RelayConfig::new((Ipv4Addr::LOCALHOST, 0)));
        let server = Server::spawn(config)
            .await
            .map_err(|e| TestRelayError(e.to_string()))?;
        let addr = server
            .http_addr()
            .ok_or_else(|| TestRelayError("no HTTP address".to_owned()))?;
        Ok(TestRelay {
            url: format!("http://{addr}"),
            server: Some(server),
            runtime: None,
        })
    }

    /// Starts a relay on a runtime of its own (call it outside any runtime).
    pub fn start() -> Result<TestRelay, TestRelayError> {
        let runtime = crate::runtime().map_err(|e| TestRelayError(e.to_string()))?;
        let mut relay = runtime.block_on(TestRelay::spawn())?;
        relay.runtime = Some(runtime);
        Ok(relay)
    }

    /// The relay's URL, as `rapport relay set` takes it.
    pub fn url(&self) -> &str {
        &self.url
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
