//! The exported phone app on another origin (issue 16, "Where the app lives" and "Transport"):
//! `rapport ui --export-pwa DIR` is served by a static host on `http://localhost:PORT` (Node,
//! in tests/browser/pwa.mjs), the daemon runs with no web app, and Debian's headless Chromium
//! pairs from the QR link (`serve --app-url`), shows the vault, and syncs both ways. Then the
//! daemon's certificates change while it is stopped (this test writes them, as the daemon
//! stores them): first its `next` becomes one the pairing link never carried, which the phone
//! must learn inside its next session; then the daemon rotates to it at start. The phone's
//! session after the rotation works only with the hashes learnt in-session.
//!
//! Needs Chromium, Node and the WebAssembly module: where one is missing it says SKIPPED
//! loudly, except under `CI=true`, where it fails.

use crate::phone::wasm_module;
use crate::support::Home;
use crate::web::{artefacts, browser_tools};
use rapport_identity::DeviceIdentity;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// It takes about 15 s here.
const TIMEOUT: Duration = Duration::from_secs(180);
const DAY: u64 = 86_400;
/// As `rapport_net::wt_cert`: 13 days (Chromium takes at most 14).
const VALIDITY: Duration = Duration::from_secs(13 * DAY);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn sha256_hex(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The daemon's stored certificates (`local/wtcerts`, `WtCertificates::to_bytes`: a version
/// byte, then per certificate its start u64 BE, DER length u32 BE, DER), as (start, DER).
fn read_certs(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    assert_eq!(bytes.first(), Some(&1), "format 1");
    let mut rest = &bytes[1..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let start = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
        let len = u32::from_be_bytes(rest[8..12].try_into().expect("4 bytes")) as usize;
        out.push((start, rest[12..12 + len].to_vec()));
        rest = &rest[12 + len..];
    }
    out
}

fn write_certs(certs: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![1];
    for (start, der) in certs {
        out.extend_from_slice(&start.to_be_bytes());
        out.extend_from_slice(&(der.len() as u32).to_be_bytes());
        out.extend_from_slice(der);
    }
    out
}

/// The stopped daemon's identity and store.
fn open(home: &Home) -> (rapport_store::Store, DeviceIdentity) {
    let store = rapport_store::Store::open(&home.store()).expect("the stopped daemon's store");
    let record: Value =
        serde_json::from_slice(&store.identity().expect("read").expect("an identity"))
            .expect("the identity record");
    let identity: DeviceIdentity =
        serde_json::from_value(record["identity"].clone()).expect("the identity");
    (store, identity)
}

/// "advance": keeps the served certificate and makes the daemon's `next` a new one, valid
/// from an hour ago (so Chromium accepts it as soon as it is served). Returns its hash.
fn advance(home: &Home) -> String {
    let (store, identity) = open(home);
    let certs = read_certs(&store.browser_certs().expect("read").expect("saved"));
    let start = now() - 3600;
    let next = identity
        .short_lived_cert(start, VALIDITY)
        .expect("a certificate");
    let hash = sha256_hex(&next);
    store
        .set_browser_certs(&write_certs(&[certs[0].clone(), (start, next)]))
        .expect("saved");
    hash
}

/// "rotate": the served certificate's recorded start is moved a week back (its DER is the
/// same), so the daemon's own check at start finds it due and serves `next`.
fn make_due(home: &Home) {
    let (store, _) = open(home);
    let mut certs = read_certs(&store.browser_certs().expect("read").expect("saved"));
    certs[0].0 = now() - 7 * DAY;
    store
        .set_browser_certs(&write_certs(&certs))
        .expect("saved");
}

fn served_hash(home: &Home) -> String {
    let (store, _) = open(home);
    let certs = read_certs(&store.browser_certs().expect("read").expect("saved"));
    sha256_hex(&certs[0].1)
}

#[test]
fn the_exported_app_on_another_origin_pairs_by_link_and_follows_a_rotation() {
    let tools = browser_tools().and_then(|dir| wasm_module().map(|_| dir));
    let dir = match tools {
        Ok(dir) => dir,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("the exported app test cannot run in CI: {why}")
        }
        Err(why) => {
            eprintln!("\n*** SKIPPED the exported app test: {why} ***\n");
            return;
        }
    };
    let home = Home::init();
    home.ok(&["add", "Ada Lovelace"]);
    home.ok(&["add", "Charles Babbage"]);
    let export = tempfile::tempdir().expect("a folder to export into");
    let app = export.path().join("app");
    home.ok(&["ui", "--export-pwa", app.to_str().expect("utf-8")]);
    let page = std::fs::read_to_string(app.join("index.html")).expect("the exported page");
    assert!(
        page.contains("connect-src 'self' https:;"),
        "the exported page lets its Worker reach the daemon: {page}"
    );
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
    let browser = udp.local_addr().expect("bound").to_string();
    drop(udp);
    let probe = home.command(&[]);
    let env: serde_json::Map<String, Value> = probe
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), Value::from(v?.to_str()?))))
        .collect();
    let config = serde_json::json!({
        "bin": probe.get_program().to_str().expect("utf-8 path"),
        "home": home.path(),
        "env": env,
        "browser": browser,
        "dir": app.canonicalize().expect("exported"),
        "artefacts": artefacts(),
    });
    let mut node = Command::new("node")
        .arg(dir.join("pwa.mjs"))
        .current_dir(&dir)
        .env("RAPPORT_PWA", config.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = node.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut stderr = node.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut stdin = node.stdin.take().expect("piped");
    let started = Instant::now();
    let deadline = started + TIMEOUT;
    let (mut said, mut next_hash, mut seen) = (None, None, Vec::new());
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines.recv_timeout(left) else {
            break;
        };
        println!("[{:.1} s] {line}", started.elapsed().as_secs_f64());
        seen.push(line.clone());
        let parsed: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        match parsed["step"].as_str() {
            Some("advance") => next_hash = Some(advance(&home)),
            Some("rotate") => make_due(&home),
            _ => {
                if parsed["ok"] == true {
                    said = Some(parsed);
                }
                continue;
            }
        }
        writeln!(stdin, "ok").expect("node reads");
    }
    if Instant::now() >= deadline {
        let _ = node.kill();
    }
    let status = node.wait().expect("node ends");
    let errors = errors.join().unwrap_or_default();
    let said = said.unwrap_or_else(|| {
        panic!(
            "the exported app flow failed ({status}):\n{}\n--- stderr ---\n{errors}",
            seen.join("\n")
        )
    });
    assert!(status.success(), "{status}: {errors}");
    let next_hash = next_hash.expect("the flow advanced the certificates");
    // What the phone learnt in the session after "advance" was the daemon's new next, and the
    // daemon (stopped now) serves it after its own rotation.
    assert_eq!(said["learnt"][1], next_hash.as_str(), "{said}");
    assert_eq!(served_hash(&home), next_hash, "the daemon rotated to it");
    assert_eq!(said["rotated"][0], next_hash.as_str(), "{said}");
    let names = home.ok(&["list"]);
    for want in ["From The Hosted App", "After Restart", "After Rotation"] {
        assert!(names.contains(want), "{want} is missing: {names}");
    }
}
