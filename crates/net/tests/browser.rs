#![allow(clippy::unwrap_used, clippy::expect_used)]
//! WebTransport browser devices on 127.0.0.1: a real `BrowserEndpoint` under the device's
//! short-lived certificate, and "the browser" played by `connect_browser` (wtransport's client
//! pinned by certificate hash, as `serverCertificateHashes` pins) with a ring P-256 key signing
//! as WebCrypto does (IEEE-P1363). Every test is bounded in time.

mod support;

use rapport_identity::DeviceIdentity;
use rapport_model::automerge::AutoCommit;
use rapport_model::{ContactId, ContactPatch, DeviceId, Touched, Vault, VaultId};
use rapport_net::browser::{BrowserCheck, BrowserEndpoint, BrowserLogin};
use rapport_net::{
    connect_browser, run_session, BrowserAttempt, NetError, PeerStream, Replica, SessionOptions,
    SessionReport, WtCertificates,
};
use rapport_sync::browser::{Purpose, Refusal};
use rapport_sync::Role;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::MemReplica;
use tokio::sync::{mpsc, Mutex};

const VAULT: VaultId = VaultId::from_u64(0x5eed_0000_0000_0b05);
const LIMIT: Duration = Duration::from_secs(20);
const NOW: i64 = 1_700_000_000_000;
const ADA: ContactId = ContactId::from_u64(0xada);
/// The DER header of a P-256 SPKI; WebCrypto's `exportKey('spki')` is this and the point.
const P256_SPKI_HEADER: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

fn shared(vault: Vault) -> Arc<Mutex<MemReplica>> {
    MemReplica::shared(vault, VAULT)
}

fn add_contact(v: &mut Vault, id: ContactId, name: &str, now: i64) {
    let patch = ContactPatch {
        name: Some(name.to_owned()),
        ..ContactPatch::default()
    };
    v.add_contact(id, &patch, now).unwrap();
    v.take_touched();
}

/// A browser device: a P-256 key as WebCrypto makes one, and its SPKI.
struct Browser {
    key: EcdsaKeyPair,
    spki: Vec<u8>,
}

impl Browser {
    fn new() -> Browser {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let mut spki = P256_SPKI_HEADER.to_vec();
        spki.extend_from_slice(key.public_key().as_ref());
        Browser { key, spki }
    }

    fn device(&self) -> DeviceId {
        DeviceId::from_spki(&self.spki)
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        let sig = self.key.sign(&SystemRandom::new(), message).unwrap();
        sig.as_ref().try_into().unwrap()
    }

    async fn connect(&self, daemon: &Daemon, tamper: bool) -> BrowserAttempt {
        let sign = |m: &[u8]| {
            let mut s = self.sign(m);
            if tamper {
                s[17] ^= 0x01;
            }
            s
        };
        connect_browser(
            daemon.addr,
            &daemon.hashes,
            &self.spki,
            &sign,
            Purpose::Sync,
        )
        .await
        .expect("the session opens and the daemon answers the proof")
    }
}

/// A daemon's WebTransport side: the endpoint, and every login's outcome (the session's
/// report for an accepted browser) on `results`.
struct Daemon {
    addr: SocketAddr,
    hashes: Vec<[u8; 32]>,
    trusted: Arc<std::sync::Mutex<BTreeSet<DeviceId>>>,
    results: mpsc::UnboundedReceiver<Result<SessionReport, NetError>>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn daemon(
    identity: &DeviceIdentity,
    replica: Arc<Mutex<MemReplica>>,
    trusted: &[DeviceId],
) -> Daemon {
    let certs = WtCertificates::new(identity, unix_now()).unwrap();
    let endpoint = Arc::new(
        BrowserEndpoint::bind(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            identity.key_der(),
            &certs,
        )
        .unwrap(),
    );
    let trusted = Arc::new(std::sync::Mutex::new(
        trusted.iter().copied().collect::<BTreeSet<_>>(),
    ));
    let roster = trusted.clone();
    let check = BrowserCheck {
        vault: VAULT,
        me: identity.device_id(),
        trust: Arc::new(move |d| roster.lock().unwrap().contains(d)),
        pairing_open: false,
        reach: None,
    };
    let (tx, results) = mpsc::unbounded_channel();
    let accepting = endpoint.clone();
    tokio::spawn(async move {
        loop {
            let incoming = accepting.accept().await;
            let (check, replica, tx) = (check.clone(), replica.clone(), tx.clone());
            tokio::spawn(async move {
                let result = match incoming.prove(&check).await {
                    Ok(BrowserLogin::Sync(conn)) => {
                        run_session(&conn, Role::Responder, replica, SessionOptions::default())
                            .await
                    }
                    Ok(BrowserLogin::Pair(_)) => panic!("no pairing window is open"),
                    Err(e) => Err(e),
                };
                let _ = tx.send(result);
            });
        }
    });
    Daemon {
        addr: endpoint.local_addr().unwrap(),
        hashes: certs.hashes().to_vec(),
        trusted,
        results,
    }
}

async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {LIMIT:?}"),
    }
}

/// Every byte the daemon sends after its verdict: the rest of the first stream, and any
/// stream it might open. The daemon has closed the session, so this ends.
async fn bytes_after_verdict(mut attempt: BrowserAttempt) -> usize {
    let mut total = attempt.rest.len();
    total += drain(&mut attempt.stream).await;
    let more = tokio::time::timeout(Duration::from_secs(3), attempt.conn.accept_stream()).await;
    if let Ok(Ok(mut stream)) = more {
        total += drain(&mut stream).await;
    }
    total
}

async fn drain(stream: &mut PeerStream) -> usize {
    let mut total = 0;
    let mut buf = [0u8; 4096];
    let read_all = async {
        while let Ok(Some(n)) = stream.read(&mut buf).await {
            total += n;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), read_all).await;
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_browser_syncs_the_vault_both_ways() {
    bounded("the test", async {
        let hub = DeviceIdentity::generate().unwrap();
        let browser = Browser::new();
        let mut hub_vault = Vault::create(hub.device_id(), "hub", VAULT, NOW).unwrap();
        add_contact(&mut hub_vault, ADA, "Ada Lovelace", NOW);
        let mut phone_vault = hub_vault.fork_as(browser.device());
        add_contact(
            &mut hub_vault,
            ContactId::from_u64(2),
            "Charles Babbage",
            NOW + 1,
        );
        add_contact(
            &mut phone_vault,
            ContactId::from_u64(3),
            "Grace Hopper",
            NOW + 2,
        );
        let (hub_replica, phone_replica) = (shared(hub_vault), shared(phone_vault));
        let mut daemon = daemon(&hub, hub_replica.clone(), &[browser.device()]);

        let attempt = browser.connect(&daemon, false).await;
        assert_eq!(attempt.verdict, Ok(browser.device()));
        assert_eq!(attempt.conn.peer(), hub.device_id());
        assert_eq!(
            attempt.cert_hash, daemon.hashes[0],
            "served the current certificate"
        );
        let report = run_session(
            &attempt.conn,
            Role::Initiator,
            phone_replica.clone(),
            SessionOptions::default(),
        )
        .await
        .expect("the browser's sync succeeds");
        assert!(report.equal);
        let theirs = daemon
            .results
            .recv()
            .await
            .unwrap()
            .expect("the daemon's side");
        assert!(theirs.equal);

        let names = |r: &MemReplica| {
            let mut n: Vec<String> = r
                .vault
                .contacts()
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect();
            n.sort();
            n
        };
        let want = vec![
            "Ada Lovelace".to_owned(),
            "Charles Babbage".to_owned(),
            "Grace Hopper".to_owned(),
        ];
        assert_eq!(names(&*hub_replica.lock().await), want);
        assert_eq!(names(&*phone_replica.lock().await), want);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_and_a_revoked_browser_get_no_vault_byte() {
    bounded("the test", async {
        let hub = DeviceIdentity::generate().unwrap();
        let (stranger, phone) = (Browser::new(), Browser::new());
        let mut hub_vault = Vault::create(hub.device_id(), "hub", VAULT, NOW).unwrap();
        add_contact(&mut hub_vault, ADA, "Ada Lovelace", NOW);
        let mut daemon = daemon(&hub, shared(hub_vault), &[phone.device()]);

        let attempt = stranger.connect(&daemon, false).await;
        assert_eq!(attempt.verdict, Err(Refusal::Untrusted));
        assert_eq!(
            bytes_after_verdict(attempt).await,
            0,
            "a stranger got bytes"
        );
        let refused = daemon.results.recv().await.unwrap();
        assert!(
            refused.as_ref().is_err_and(NetError::is_refusal),
            "{refused:?}"
        );

        // The phone was trusted, then revoked: the next session is refused the same way.
        daemon.trusted.lock().unwrap().remove(&phone.device());
        let attempt = phone.connect(&daemon, false).await;
        assert_eq!(attempt.verdict, Err(Refusal::Untrusted));
        assert_eq!(
            bytes_after_verdict(attempt).await,
            0,
            "a revoked device got bytes"
        );
        assert!(daemon.results.recv().await.unwrap().is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_signature_is_refused() {
    bounded("the test", async {
        let hub = DeviceIdentity::generate().unwrap();
        let phone = Browser::new();
        let hub_vault = Vault::create(hub.device_id(), "hub", VAULT, NOW).unwrap();
        let mut daemon = daemon(&hub, shared(hub_vault), &[phone.device()]);

        let attempt = phone.connect(&daemon, true).await;
        assert_eq!(attempt.verdict, Err(Refusal::BadProof));
        assert_eq!(bytes_after_verdict(attempt).await, 0);
        assert!(daemon.results.recv().await.unwrap().is_err());

        // The same key, signing honestly, gets in.
        let attempt = phone.connect(&daemon, false).await;
        assert_eq!(attempt.verdict, Ok(phone.device()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_pinning_other_hashes_cannot_open_a_session() {
    bounded("the test", async {
        let hub = DeviceIdentity::generate().unwrap();
        let phone = Browser::new();
        let hub_vault = Vault::create(hub.device_id(), "hub", VAULT, NOW).unwrap();
        let daemon = daemon(&hub, shared(hub_vault), &[phone.device()]);
        let sign = |m: &[u8]| phone.sign(m);
        let wrong = [[7u8; 32]];
        let result = connect_browser(daemon.addr, &wrong, &phone.spki, &sign, Purpose::Sync).await;
        assert!(
            result.is_err(),
            "a session opened under an unpinned certificate"
        );
    })
    .await;
}

impl rapport_net::pairing::Admit for MemReplica {
    fn admit(
        &mut self,
        device: DeviceId,
        name: &str,
        _endpoint: Option<rapport_model::EndpointId>,
    ) -> Result<(), Self::Error> {
        let record = rapport_model::Device {
            id: device,
            name: name.to_owned(),
            added_at: NOW,
            added_by: Some(self.vault.device()),
        };
        self.vault.add_device(&record, NOW).unwrap();
        Ok(())
    }
}

/// A fresh device's empty document, filled by the vault fetch after pairing.
#[derive(Debug)]
struct Fetch {
    doc: AutoCommit,
    me: DeviceId,
}

impl Replica for Fetch {
    type Error = std::convert::Infallible;
    fn doc(&mut self) -> Result<&mut AutoCommit, Self::Error> {
        Ok(&mut self.doc)
    }
    fn vault_id(&self) -> VaultId {
        rapport_sync::CLONE_VAULT
    }
    fn device(&self) -> DeviceId {
        self.me
    }
    fn sync_state(&self, _peer: DeviceId) -> Option<Vec<u8>> {
        None
    }
    fn persist(&mut self, _peer: DeviceId, _touched: &Touched) -> Result<(), Self::Error> {
        Ok(())
    }
    fn save_sync_state(&mut self, _peer: DeviceId, _state: &[u8]) -> Result<(), Self::Error> {
        Ok(())
    }
}

fn now_ms() -> u64 {
    unix_now() * 1000
}

/// A pairing window on `hub` for `code`, answering browsers only: every WebTransport login
/// that asks to pair goes to the window. Returns the endpoint's address, its hashes, and the
/// window's outcome.
fn pairing_window(
    hub: &DeviceIdentity,
    replica: Arc<Mutex<MemReplica>>,
    code: &rapport_sync::pairing::PairingCode,
) -> (
    Daemon,
    tokio::task::JoinHandle<Result<rapport_net::pairing::Paired, NetError>>,
) {
    let certs = WtCertificates::new(hub, unix_now()).unwrap();
    let endpoint = Arc::new(
        BrowserEndpoint::bind(SocketAddr::from(([127, 0, 0, 1], 0)), hub.key_der(), &certs)
            .unwrap(),
    );
    let check = BrowserCheck {
        vault: VAULT,
        me: hub.device_id(),
        trust: Arc::new(|_| false),
        pairing_open: true,
        reach: None,
    };
    let (to_window, browsers) = mpsc::channel(4);
    let accepting = endpoint.clone();
    tokio::spawn(async move {
        loop {
            let incoming = accepting.accept().await;
            if let Ok(BrowserLogin::Pair(p)) = incoming.prove(&check).await {
                let _ = to_window.send(p).await;
            }
        }
    });
    let quic =
        rapport_net::pairing::PairingEndpoint::bind(SocketAddr::from(([127, 0, 0, 1], 0)), hub)
            .unwrap();
    let host =
        rapport_sync::pairing::Host::new(code.clone(), hub.device_id(), VAULT, now_ms() + 60_000);
    let window = tokio::spawn(async move {
        quic.host_with_browsers(
            host,
            replica,
            std::time::Instant::now() + LIMIT,
            now_ms,
            browsers,
        )
        .await
    });
    let (_unused, results) = mpsc::unbounded_channel();
    let daemon = Daemon {
        addr: endpoint.local_addr().unwrap(),
        hashes: certs.hashes().to_vec(),
        trusted: Arc::default(),
        results,
    };
    (daemon, window)
}

/// The browser's side of SPAKE2 over its first stream, as its Worker runs it.
async fn browser_pairs(
    browser: &Browser,
    daemon: &Daemon,
    code: &rapport_sync::pairing::PairingCode,
) -> Result<BrowserAttempt, rapport_sync::pairing::PairError> {
    use rapport_sync::pairing::{Joiner, Message, MessageReader};
    let sign = |m: &[u8]| browser.sign(m);
    let mut attempt = connect_browser(
        daemon.addr,
        &daemon.hashes,
        &browser.spki,
        &sign,
        Purpose::Pair,
    )
    .await
    .expect("the proof step completes");
    assert_eq!(attempt.verdict, Ok(browser.device()));
    let daemon_id = attempt.conn.peer();
    let (joiner, start) = Joiner::start(
        code,
        browser.device(),
        "phone",
        None,
        &mut rand::rngs::OsRng,
    );
    attempt.stream.write_all(&start.encode()).await.unwrap();
    let mut reader = MessageReader::default();
    reader.push(&attempt.rest).unwrap();
    let read = async |reader: &mut MessageReader, stream: &mut PeerStream| -> Message {
        let mut buf = [0u8; 1024];
        loop {
            if let Some(m) = reader.next_message().unwrap() {
                return m;
            }
            let n = stream
                .read(&mut buf)
                .await
                .unwrap()
                .expect("the host answers");
            reader.push(&buf[..n]).unwrap();
        }
    };
    let reply = read(&mut reader, &mut attempt.stream).await;
    match joiner.handle_reply(daemon_id, &reply) {
        Ok((confirm, vault)) => {
            assert_eq!(vault, VAULT);
            attempt.stream.write_all(&confirm.encode()).await.unwrap();
            match read(&mut reader, &mut attempt.stream).await {
                Message::Welcome => Ok(attempt),
                Message::Refused(r) => Err(r.into()),
                other => panic!("unexpected {other:?}"),
            }
        }
        Err(e) => {
            attempt
                .stream
                .write_all(&Message::Failed.encode())
                .await
                .unwrap();
            attempt.stream.finish();
            Err(e)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_over_webtransport_burns_a_wrong_code_and_pairs_with_a_right_one() {
    use rapport_sync::pairing::{PairError, PairingCode};
    bounded("the test", async {
        let hub = DeviceIdentity::generate().unwrap();
        let mut hub_vault = Vault::create(hub.device_id(), "hub", VAULT, NOW).unwrap();
        add_contact(&mut hub_vault, ADA, "Ada Lovelace", NOW);
        let replica = shared(hub_vault);
        let phone = Browser::new();

        // A wrong guess burns the code: the window ends, and the right code no longer works.
        let code = PairingCode::generate(&mut rand::rngs::OsRng);
        let (daemon, window) = pairing_window(&hub, replica.clone(), &code);
        let wrong = PairingCode::generate(&mut rand::rngs::OsRng);
        let guessed = browser_pairs(&phone, &daemon, &wrong).await;
        assert_eq!(guessed.err(), Some(PairError::WrongCode));
        let ended = window.await.unwrap();
        assert!(
            ended.is_err(),
            "the window went on after a wrong guess: {ended:?}"
        );
        assert!(replica
            .lock()
            .await
            .vault
            .devices()
            .unwrap()
            .iter()
            .all(|d| d.id != phone.device()));

        // A new code, typed right: the browser is admitted under its proven id and fetches
        // the vault on a second stream.
        let code = PairingCode::generate(&mut rand::rngs::OsRng);
        let (daemon, window) = pairing_window(&hub, replica.clone(), &code);
        let attempt = browser_pairs(&phone, &daemon, &code).await.expect("paired");
        let fetched = Arc::new(Mutex::new(Fetch {
            doc: AutoCommit::new(),
            me: phone.device(),
        }));
        let report = run_session(
            &attempt.conn,
            Role::Initiator,
            fetched.clone(),
            SessionOptions::default(),
        )
        .await
        .expect("the vault fetch succeeds");
        assert!(report.equal);
        attempt.conn.close(rapport_net::CloseCode::Done);
        let paired = window
            .await
            .unwrap()
            .expect("the window paired the browser");
        assert_eq!(paired.device, phone.device());
        assert!(replica
            .lock()
            .await
            .vault
            .devices()
            .unwrap()
            .iter()
            .any(|d| d.id == phone.device()));
        let doc = fetched.lock().await.doc.clone();
        let vault = Vault::open(doc, phone.device()).expect("a vault arrived");
        let names: Vec<String> = vault
            .contacts()
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["Ada Lovelace".to_owned()]);
    })
    .await;
}
