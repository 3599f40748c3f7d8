#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The iroh transport on loopback: two `WanNode`s bound to 127.0.0.1 (nothing leaves the
//! loopback interface), the same `run_session` as on the LAN, the roster check at the
//! handshake, and a loopback relay (`TestRelay`). Every test is bounded in time.

mod support;

use rapport_identity::EndpointKey;
use rapport_model::{ContactId, ContactPatch, DeviceId, EndpointId, Vault, VaultId};
use rapport_net::test_relay::TestRelay;
use rapport_net::{
    run_session, CloseCode, EndpointTrust, LinkPath, NetError, SessionOptions, WanAddr, WanConfig,
    WanNode,
};
use rapport_sync::Role;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use support::MemReplica;
use tokio::sync::Mutex;

const VAULT: VaultId = VaultId::from_u64(0x1e0_0000_0000_0001);
const LIMIT: Duration = Duration::from_secs(30);
const NOW: i64 = 1_700_000_000_000;

type Shared = Arc<Mutex<MemReplica>>;

/// A device: its ids, key, replica and the roster it trusts (endpoint id -> device).
struct Device {
    id: DeviceId,
    key: EndpointKey,
    replica: Shared,
    roster: Arc<RwLock<BTreeMap<EndpointId, DeviceId>>>,
}

impl Device {
    /// Device `n` with a copy of `base`; device 1 then adds a contact the others lack.
    fn new(n: u8, base: &Vault) -> Device {
        let id = DeviceId::from_bytes([n; 32]);
        let mut vault = Vault::open(base.doc().clone(), id).unwrap();
        if n == 1 {
            let patch = ContactPatch {
                name: Some("Ada Lovelace".to_owned()),
                ..Default::default()
            };
            vault
                .add_contact(ContactId::from_u64(0xada), &patch, NOW)
                .unwrap();
        }
        Device {
            id,
            key: EndpointKey::generate().unwrap(),
            replica: MemReplica::shared(vault, VAULT),
            roster: Arc::default(),
        }
    }

    fn trust(&self, other: &Device) {
        self.roster
            .write()
            .unwrap()
            .insert(other.key.endpoint_id(), other.id);
    }

    fn check(&self) -> EndpointTrust {
        let roster = self.roster.clone();
        Arc::new(move |e| roster.read().unwrap().get(e).copied())
    }

    async fn bind(&self, relay: Option<&str>, relay_only: bool) -> WanNode {
        let config = WanConfig {
            bind: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            relay: relay.map(str::to_owned),
            relay_only,
            relay_roots: Vec::new(),
        };
        WanNode::bind(&self.key, self.check(), &config)
            .await
            .unwrap()
    }

    async fn contacts(&self) -> usize {
        self.replica.lock().await.vault.contacts().unwrap().len()
    }
}

/// The vault as its creator made it, before any contact: every device starts from a copy.
fn base() -> Vault {
    Vault::create(DeviceId::from_bytes([1; 32]), "hub", VAULT, NOW).unwrap()
}

/// One-shot sync: `b` dials `a` at `to`; both run the unchanged session driver.
async fn sync(a: &Device, na: &WanNode, b: &Device, nb: &WanNode, to: WanAddr) -> LinkPath {
    let accept = async {
        let incoming = na.accept().await.unwrap();
        let conn = incoming.authenticate().await.unwrap();
        assert_eq!(conn.peer(), b.id);
        run_session(
            &conn,
            Role::Responder,
            a.replica.clone(),
            SessionOptions::default(),
        )
        .await
        .unwrap();
        conn.closed_within(Duration::from_secs(2)).await;
    };
    let dial = async {
        let conn = nb.connect(&to, a.id).await.unwrap();
        let report = run_session(
            &conn,
            Role::Initiator,
            b.replica.clone(),
            SessionOptions::default(),
        )
        .await
        .unwrap();
        assert!(report.equal);
        let path = conn.path();
        conn.close(CloseCode::Done);
        path
    };
    let ((), path) = tokio::time::timeout(LIMIT, async { tokio::join!(accept, dial) })
        .await
        .expect("the sync finished in time");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_runs_unchanged_over_iroh_on_loopback() {
    let base = base();
    let a = Device::new(1, &base);
    let b = Device::new(2, &base);
    a.trust(&b);
    b.trust(&a);
    let (na, nb) = (a.bind(None, false).await, b.bind(None, false).await);
    let to = WanAddr {
        direct: na.addr().direct,
        ..WanAddr {
            endpoint: Some(na.endpoint_id()),
            ..WanAddr::default()
        }
    };
    assert!(to.direct.iter().all(|d| d.ip().is_loopback()), "{to:?}");
    let path = sync(&a, &na, &b, &nb, to).await;
    assert_eq!(path, LinkPath::Direct);
    assert_eq!(b.contacts().await, 1);
    assert_eq!(na.endpoint_id(), a.key.endpoint_id());
    na.shutdown().await;
    nb.shutdown().await;
}

/// Dials `a` from `stranger` and checks the refusal: no stream, no vault byte.
async fn assert_refused(a: &Device, na: &WanNode, ns: &WanNode) {
    let to = WanAddr {
        endpoint: Some(na.endpoint_id()),
        relay: None,
        direct: na.addr().direct,
    };
    let accept = async {
        let incoming = na.accept().await.unwrap();
        incoming.authenticate().await
    };
    let dial = async {
        let conn = ns.connect(&to, a.id).await?;
        let mut stream = conn.open_stream().await?;
        stream.write_all(b"hello?").await?;
        let mut buf = [0u8; 64];
        match stream.read(&mut buf).await? {
            Some(n) => panic!("the refused device received {n} bytes"),
            None => Err::<(), NetError>(NetError::PeerClosed),
        }
    };
    let (accepted, dialled) = tokio::time::timeout(LIMIT, async { tokio::join!(accept, dial) })
        .await
        .expect("the refusal came in time");
    assert!(
        matches!(accepted, Err(NetError::Refused { .. })),
        "{accepted:?}"
    );
    let err = dialled.unwrap_err();
    assert!(err.is_refusal(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_endpoint_is_refused_before_any_vault_byte() {
    let base = base();
    let a = Device::new(1, &base);
    let stranger = Device::new(3, &base);
    // The stranger believes it dials device 1; device 1 has never heard of its key.
    stranger.trust(&a);
    let (na, ns) = (a.bind(None, false).await, stranger.bind(None, false).await);
    assert_refused(&a, &na, &ns).await;
    assert_eq!(stranger.contacts().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_refused() {
    let base = base();
    let a = Device::new(1, &base);
    let b = Device::new(2, &base);
    a.trust(&b);
    b.trust(&a);
    let (na, nb) = (a.bind(None, false).await, b.bind(None, false).await);
    // Revocation: the roster no longer maps b's endpoint to a trusted device.
    a.roster.write().unwrap().clear();
    assert_refused(&a, &na, &nb).await;
    assert_eq!(b.contacts().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_sync_through_a_loopback_relay_by_endpoint_id_alone() {
    let relay = TestRelay::spawn().await.unwrap();
    let base = base();
    let a = Device::new(1, &base);
    let b = Device::new(2, &base);
    a.trust(&b);
    b.trust(&a);
    // Relay only: no IP transport at all, so the relay is the one path there is.
    let na = a.bind(Some(relay.url()), true).await;
    let nb = b.bind(Some(relay.url()), true).await;
    assert!(na.online_within(LIMIT).await, "a reached its relay");
    let to = WanAddr {
        endpoint: Some(na.endpoint_id()),
        relay: Some(relay.url().to_owned()),
        direct: Vec::new(),
    };
    let path = sync(&a, &na, &b, &nb, to).await;
    assert_eq!(path, LinkPath::Relay);
    assert_eq!(b.contacts().await, 1);
}
