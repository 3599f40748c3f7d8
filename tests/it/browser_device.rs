//! A browser device through a real `rapport serve`: "the browser" is `rapport_net::
//! connect_browser` (wtransport pinned by the hashes `/webtransport.json` gives) with a ring
//! P-256 key signing as WebCrypto does. Once added to the roster it syncs, `devices` shows its
//! last sync, and `devices revoke` cuts its live session.

use crate::support::Home;
use crate::web::serve_with_ui;
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, Touched, Vault, VaultId};
use rapport_net::{connect_browser, run_session, NetError, Replica, SessionOptions};
use rapport_sync::browser::Purpose;
use rapport_sync::Role;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

const P256_SPKI_HEADER: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The browser's replica: an empty document the first sync fills.
#[derive(Debug)]
struct Phone {
    doc: AutoCommit,
    me: DeviceId,
}

impl Replica for Phone {
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

/// `GET path` on the web app's listener, the body parsed as JSON.
fn get_json(ui: &str, path: &str) -> serde_json::Value {
    let mut s = std::net::TcpStream::connect(ui).expect("the web app answers");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {ui}\r\nConnection: close\r\n\r\n"
    )
    .expect("sent");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let body = text.split("\r\n\r\n").nth(1).expect("a body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn unhex(h: &str) -> [u8; 32] {
    let bytes: Vec<u8> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect();
    bytes.try_into().expect("32 bytes")
}

#[test]
fn a_browser_device_syncs_shows_in_devices_and_is_cut_off_when_revoked() {
    let home = Home::init();
    home.ok(&["add", "Ada Lovelace"]);
    let served = serve_with_ui(&home);
    let info = get_json(&served.ui, "/webtransport.json");
    let port = info["port"].as_u64().expect("a port") as u16;
    let hashes: Vec<[u8; 32]> = info["cert_hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| unhex(h.as_str().expect("hex")))
        .collect();
    assert_eq!(hashes.len(), 2, "current and next: {info}");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let mut spki = P256_SPKI_HEADER.to_vec();
    spki.extend_from_slice(key.public_key().as_ref());
    let me = DeviceId::from_spki(&spki);
    let sign = |m: &[u8]| -> [u8; 64] {
        let sig = key.sign(&SystemRandom::new(), m).unwrap();
        sig.as_ref().try_into().unwrap()
    };
    home.ok(&["devices", "add", &me.to_string(), "--name", "phone"]);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let phone = Arc::new(tokio::sync::Mutex::new(Phone {
        doc: AutoCommit::new(),
        me,
    }));
    rt.block_on(async {
        let attempt = connect_browser(addr, &hashes, &spki, &sign, Purpose::Sync)
            .await
            .expect("proof step");
        assert_eq!(attempt.verdict, Ok(me));
        let report = run_session(
            &attempt.conn,
            Role::Initiator,
            phone.clone(),
            SessionOptions::default(),
        )
        .await
        .expect("the browser's sync");
        assert!(report.equal);
        attempt.conn.close(rapport_net::CloseCode::Done);
    });
    let doc = rt.block_on(async { phone.lock().await.doc.clone() });
    let vault = Vault::open(doc, me).expect("the vault arrived");
    let names: Vec<String> = vault
        .contacts()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec!["Ada Lovelace".to_owned()]);

    let status = home.json(&["status"]);
    let peers = status
        .as_array()
        .or_else(|| status["devices"].as_array())
        .or_else(|| status["peers"].as_array())
        .unwrap_or_else(|| panic!("a list of devices: {status}"));
    let phone_row = peers
        .iter()
        .find(|d| d["name"] == "phone")
        .unwrap_or_else(|| panic!("the phone is listed: {status}"));
    assert!(!phone_row["last_synced"].is_null(), "{phone_row}");
    assert_eq!(phone_row["via"], "webtransport", "{phone_row}");

    // A live session is cut the moment the device is revoked.
    let attempt = rt
        .block_on(connect_browser(addr, &hashes, &spki, &sign, Purpose::Sync))
        .expect("proof step");
    assert_eq!(attempt.verdict, Ok(me));
    let options = SessionOptions {
        live: true,
        ..SessionOptions::default()
    };
    let live =
        rt.spawn(async move { run_session(&attempt.conn, Role::Initiator, phone, options).await });
    std::thread::sleep(Duration::from_millis(500));
    home.ok(&["devices", "revoke", "phone"]);
    let ended = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), live).await })
        .expect("the live session ended after the revocation")
        .expect("joined");
    assert!(
        matches!(
            ended,
            Err(NetError::Closed(rapport_net::CloseCode::Revoked))
        ),
        "{ended:?}"
    );
    let attempt = rt.block_on(connect_browser(addr, &hashes, &spki, &sign, Purpose::Sync));
    assert_eq!(
        attempt.expect("proof step").verdict,
        Err(rapport_sync::browser::Refusal::Untrusted)
    );
    drop(served);
}
