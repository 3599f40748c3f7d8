#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Pairing over real QUIC on 127.0.0.1: a `PairingEndpoint` hosting a window against an
//! in-memory replica, and `join`. Every test is bounded in time.

use rapport_identity::DeviceIdentity;
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, EndpointId, Touched, Vault, VaultId};
use rapport_net::pairing::{join, Admit, PairingEndpoint};
use rapport_net::{NetError, Replica};
use rapport_sync::pairing::{Host, PairError, PairingCode};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const VAULT: VaultId = VaultId::from_u64(0x5eed_0000_0000_0002);
const LIMIT: Duration = Duration::from_secs(20);
const ENDPOINT: EndpointId = EndpointId::from_bytes([0x1e; 32]);

struct Hub {
    vault: Vault,
    admitted: Vec<(DeviceId, String, Option<EndpointId>)>,
}

impl Replica for Hub {
    type Error = std::convert::Infallible;
    fn doc(&mut self) -> Result<&mut AutoCommit, Self::Error> {
        Ok(self.vault.doc_mut())
    }
    fn vault_id(&self) -> VaultId {
        VAULT
    }
    fn device(&self) -> DeviceId {
        self.vault.device()
    }
    fn sync_state(&self, _: DeviceId) -> Option<Vec<u8>> {
        None
    }
    fn persist(&mut self, _: DeviceId, _: &Touched) -> Result<(), Self::Error> {
        Ok(())
    }
    fn save_sync_state(&mut self, _: DeviceId, _: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl Admit for Hub {
    fn admit(
        &mut self,
        device: DeviceId,
        name: &str,
        endpoint: Option<EndpointId>,
    ) -> Result<(), Self::Error> {
        self.admitted.push((device, name.to_owned(), endpoint));
        Ok(())
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Window {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<Result<rapport_net::pairing::Paired, NetError>>,
    hub: Arc<Mutex<Hub>>,
}

/// Opens a window for `code` on a hub whose code expires at `expires_at` and whose window
/// closes after `window`.
fn open(code: &PairingCode, expires_at: u64, window: Duration) -> (Window, DeviceId) {
    let id = DeviceIdentity::generate().unwrap();
    let me = id.device_id();
    let vault = Vault::create(me, "hub", VAULT, 0).unwrap();
    let hub = Arc::new(Mutex::new(Hub {
        vault,
        admitted: Vec::new(),
    }));
    let endpoint = PairingEndpoint::bind("127.0.0.1:0".parse().unwrap(), &id).unwrap();
    let addr = endpoint.local_addr().unwrap();
    let host = Host::new(code.clone(), me, VAULT, expires_at);
    let shared = hub.clone();
    let task = tokio::spawn(async move {
        let r = endpoint
            .host(host, shared, Instant::now() + window, now_ms)
            .await;
        endpoint.close().await;
        r
    });
    (Window { addr, task, hub }, me)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_code_admits_the_device_its_tls_certificate_names() {
    let code = PairingCode::generate(&mut rand::rngs::OsRng);
    let (w, hub_id) = open(&code, now_ms() + 60_000, LIMIT);
    let joiner = DeviceIdentity::generate().unwrap();
    let joined = tokio::time::timeout(
        LIMIT,
        join(
            &joiner,
            w.addr,
            &code,
            "phone",
            Some(hub_id),
            Some(ENDPOINT),
        ),
    )
    .await
    .expect("bounded")
    .expect("pairs");
    assert_eq!((joined.host, joined.vault), (hub_id, VAULT));
    joined.close().await;
    let paired = tokio::time::timeout(LIMIT, w.task)
        .await
        .expect("bounded")
        .unwrap()
        .expect("paired");
    assert_eq!(paired.device, joiner.device_id());
    assert_eq!(
        w.hub.lock().await.admitted,
        vec![(joiner.device_id(), "phone".to_owned(), Some(ENDPOINT))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_is_refused_on_both_sides_and_nobody_is_admitted() {
    let code: PairingCode = "12-harbor-velvet".parse().unwrap();
    let (w, _) = open(&code, now_ms() + 60_000, LIMIT);
    let joiner = DeviceIdentity::generate().unwrap();
    let wrong: PairingCode = "12-harbor-vessel".parse().unwrap();
    let err = join(&joiner, w.addr, &wrong, "phone", None, None)
        .await
        .expect_err("refused");
    assert!(matches!(err, NetError::Pair(PairError::WrongCode)), "{err}");
    let host = tokio::time::timeout(LIMIT, w.task)
        .await
        .expect("bounded")
        .unwrap();
    assert!(
        matches!(host, Err(NetError::Pair(PairError::WrongCode))),
        "{host:?}"
    );
    assert!(w.hub.lock().await.admitted.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_refused_while_the_window_still_answers() {
    let code: PairingCode = "12-harbor-velvet".parse().unwrap();
    // The code expired a second ago, but the endpoint answers for two more seconds.
    let (w, _) = open(&code, now_ms() - 1000, Duration::from_secs(2));
    let joiner = DeviceIdentity::generate().unwrap();
    let err = join(&joiner, w.addr, &code, "phone", None, None)
        .await
        .expect_err("refused");
    assert!(matches!(err, NetError::Pair(PairError::Expired)), "{err}");
    let host = tokio::time::timeout(LIMIT, w.task)
        .await
        .expect("bounded")
        .unwrap();
    assert!(
        matches!(host, Err(NetError::Pair(PairError::Expired))),
        "{host:?}"
    );
    assert!(w.hub.lock().await.admitted.is_empty());
}
