//! The JavaScript face of the network side (`handshake`, `link`), for the Worker's sync module
//! (crates/web/app/sync.js). Bytes cross as `Uint8Array`; device ids as hex and vault ids as
//! their text, as `/webtransport.json` and the rest of the app show them; times are
//! `Date.now()`. Every error is a `JsError` with one sentence.

use crate::bindings::JsReplica;
use crate::{Fetch, Link, PairStep, Pairing, Proof, ProofStep, Replica, Step};
use rapport_model::{DeviceId, VaultId};
use rapport_sync::browser::Purpose;
use wasm_bindgen::prelude::*;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn device(hex: &str) -> Result<DeviceId, JsError> {
    DeviceId::from_hex(hex).map_err(js_err)
}

fn vault(text: &str) -> Result<VaultId, JsError> {
    text.parse::<VaultId>().map_err(js_err)
}

fn ms(now: f64) -> u64 {
    now.max(0.0) as u64
}

/// One step's output: `kind` says what to do with `bytes`.
#[wasm_bindgen(js_name = HandshakeStep)]
#[derive(Debug)]
pub struct JsHandshakeStep {
    kind: &'static str,
    bytes: Vec<u8>,
    detail: Option<String>,
}

#[wasm_bindgen(js_class = HandshakeStep)]
impl JsHandshakeStep {
    /// "wait", "sign", "accepted", "reach" (proof); "wait", "send", "fail", "welcome"
    /// (pairing).
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.to_owned()
    }

    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The vault id after "welcome"; the error's sentence after "fail"; after "reach", JSON
    /// `{addrs: ["HOST:PORT"], cert_hashes: [hex]}` (see `parseInvitation`).
    #[wasm_bindgen(getter)]
    pub fn detail(&self) -> Option<String> {
        self.detail.clone()
    }
}

fn step(kind: &'static str, bytes: Vec<u8>, detail: Option<String>) -> JsHandshakeStep {
    JsHandshakeStep {
        kind,
        bytes,
        detail,
    }
}

#[wasm_bindgen(js_name = Proof)]
#[derive(Debug)]
pub struct JsProof(Proof);

#[wasm_bindgen(js_class = Proof)]
impl JsProof {
    /// `purpose` is "sync" or "pair"; `pinned` the pinned certificate hashes, 32 bytes each,
    /// concatenated.
    #[wasm_bindgen(constructor)]
    pub fn new(purpose: &str, spki: &[u8], pinned: &[u8]) -> Result<JsProof, JsError> {
        let purpose = match purpose {
            "sync" => Purpose::Sync,
            "pair" => Purpose::Pair,
            other => return Err(JsError::new(&format!("no proof purpose {other}"))),
        };
        let pinned = pinned
            .chunks_exact(32)
            .filter_map(|h| <[u8; 32]>::try_from(h).ok())
            .collect();
        Ok(JsProof(Proof::new(purpose, spki, pinned)))
    }

    #[wasm_bindgen(js_name = openMessage)]
    pub fn open_message(&self) -> Vec<u8> {
        self.0.open_message()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<JsHandshakeStep, JsError> {
        Ok(match self.0.push(bytes).map_err(js_err)? {
            ProofStep::Wait => step("wait", Vec::new(), None),
            ProofStep::Sign(m) => step("sign", m, None),
            ProofStep::Accepted { rest } => step("accepted", rest, None),
            ProofStep::Reach(r) => step(
                "reach",
                Vec::new(),
                Some(reach_json(&r.cert_hashes, &r.addrs)),
            ),
        })
    }

    #[wasm_bindgen(js_name = proofMessage)]
    pub fn proof_message(spki: &[u8], signature: &[u8]) -> Result<Vec<u8>, JsError> {
        Proof::proof_message(spki, signature).map_err(js_err)
    }

    /// The daemon's device id (hex), from its challenge.
    #[wasm_bindgen(getter)]
    pub fn daemon(&self) -> Option<String> {
        self.0.challenge().map(|(d, _)| d.to_hex())
    }

    /// The vault id the daemon's challenge named.
    #[wasm_bindgen(getter)]
    pub fn vault(&self) -> Option<String> {
        self.0.challenge().map(|(_, v)| v.to_string())
    }
}

/// Where a daemon serves WebTransport and which hashes to pin, as the Worker stores it.
fn reach_json(hashes: &[[u8; 32]], addrs: &[std::net::SocketAddr]) -> String {
    serde_json::json!({
        "addrs": addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "cert_hashes": hashes.iter().map(|h| hex(h)).collect::<Vec<_>>(),
    })
    .to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads what the user typed or the page was opened with: a bare pairing code, a
/// `rapport:pair?…` link, or the app's address with `#pair?…` (`rapport_sync::invite`).
/// Returns JSON `{code, device_id (hex or null), addrs, cert_hashes}`, where `addrs` and
/// `cert_hashes` are empty for a bare code (then the page's own server is the daemon).
#[wasm_bindgen(js_name = parseInvitation)]
pub fn parse_invitation(text: &str) -> Result<String, JsError> {
    let inv = rapport_sync::invite::Invitation::parse(text).map_err(js_err)?;
    let mut out: serde_json::Value =
        serde_json::from_str(&reach_json(&inv.cert_hashes, &inv.browser)).map_err(js_err)?;
    out["code"] = inv.code.to_string().into();
    out["device_id"] = inv.device.map(|d| d.to_hex()).into();
    Ok(out.to_string())
}

#[wasm_bindgen(js_name = Pairing)]
#[derive(Debug)]
pub struct JsPairing {
    pairing: Pairing,
    first: Vec<u8>,
}

#[wasm_bindgen(js_class = Pairing)]
impl JsPairing {
    /// Starts pairing with the typed `code`, bound to this browser's key and the daemon's id
    /// from the proof's challenge; `rest` is the proof step's leftover bytes.
    pub fn start(
        code: &str,
        spki: &[u8],
        name: &str,
        daemon: &str,
        rest: &[u8],
    ) -> Result<JsPairing, JsError> {
        let (pairing, first) =
            Pairing::start(code, spki, name, device(daemon)?, rest).map_err(js_err)?;
        Ok(JsPairing { pairing, first })
    }

    /// The first message to send (SPAKE2's).
    #[wasm_bindgen(js_name = firstMessage)]
    pub fn first_message(&self) -> Vec<u8> {
        self.first.clone()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<JsHandshakeStep, JsError> {
        Ok(match self.pairing.push(bytes).map_err(js_err)? {
            PairStep::Wait => step("wait", Vec::new(), None),
            PairStep::Send(b) => step("send", b, None),
            PairStep::Fail(b, e) => step("fail", b, Some(e.to_string())),
            PairStep::Welcome(v) => step("welcome", Vec::new(), Some(v.to_string())),
        })
    }
}

/// What a sync call produced: append `persist` to storage, THEN send `frames`.
#[wasm_bindgen(js_name = SyncStep)]
#[derive(Debug)]
pub struct JsStep(Step);

#[wasm_bindgen(js_class = SyncStep)]
impl JsStep {
    #[wasm_bindgen(getter)]
    pub fn persist(&self) -> Vec<u8> {
        self.0.persist.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn frames(&self) -> Vec<u8> {
        self.0.frames.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn applied(&self) -> bool {
        self.0.applied
    }

    #[wasm_bindgen(getter)]
    pub fn quiet(&self) -> bool {
        self.0.quiet
    }
}

/// A paired browser's live session with a daemon.
#[wasm_bindgen(js_name = Link)]
#[derive(Debug)]
pub struct JsLink {
    link: Link,
    first: Option<Step>,
}

#[wasm_bindgen(js_class = Link)]
impl JsLink {
    /// Opens the session; `firstStep()` holds the frames to send first. Refused unless the
    /// challenge's daemon and vault pass the replica's trust check.
    pub fn open(
        replica: &mut JsReplica,
        daemon: &str,
        vault_id: &str,
        sync_state: Option<Vec<u8>>,
        now: f64,
    ) -> Result<JsLink, JsError> {
        let daemon = device(daemon)?;
        replica
            .0
            .check_daemon(daemon, vault(vault_id)?)
            .map_err(js_err)?;
        let (link, first) =
            Link::open(&mut replica.0, daemon, sync_state.as_deref(), ms(now)).map_err(js_err)?;
        Ok(JsLink {
            link,
            first: Some(first),
        })
    }

    #[wasm_bindgen(js_name = firstStep)]
    pub fn first_step(&mut self) -> JsStep {
        JsStep(self.first.take().unwrap_or_default())
    }

    pub fn receive(
        &mut self,
        replica: &mut JsReplica,
        bytes: &[u8],
        now: f64,
    ) -> Result<JsStep, JsError> {
        self.link
            .receive(&mut replica.0, bytes, ms(now))
            .map(JsStep)
            .map_err(js_err)
    }

    #[wasm_bindgen(js_name = localChange)]
    pub fn local_change(&mut self, replica: &mut JsReplica, now: f64) -> Result<JsStep, JsError> {
        self.link
            .local_change(&mut replica.0, ms(now))
            .map(JsStep)
            .map_err(js_err)
    }

    pub fn resync(&mut self, replica: &mut JsReplica, now: f64) -> Result<JsStep, JsError> {
        self.link
            .resync(&mut replica.0, ms(now))
            .map(JsStep)
            .map_err(js_err)
    }

    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.link.poll_timeout().map(|t| t as f64)
    }

    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now: f64) -> Result<(), JsError> {
        self.link.handle_timeout(ms(now)).map_err(js_err)
    }

    #[wasm_bindgen(js_name = syncState)]
    pub fn sync_state(&self) -> Vec<u8> {
        self.link.sync_state()
    }
}

/// A freshly paired browser fetching the whole vault.
#[wasm_bindgen(js_name = Fetch)]
#[derive(Debug)]
pub struct JsFetch {
    fetch: Fetch,
    first: Vec<u8>,
}

/// The fetched vault: store `snapshot` (with the device key), then take the replica.
#[wasm_bindgen(js_name = Fetched)]
#[derive(Debug)]
pub struct JsFetched {
    replica: Option<Replica>,
    snapshot: Vec<u8>,
}

#[wasm_bindgen(js_class = Fetched)]
impl JsFetched {
    #[wasm_bindgen(getter)]
    pub fn snapshot(&self) -> Vec<u8> {
        self.snapshot.clone()
    }

    /// The replica (once).
    #[wasm_bindgen(js_name = takeReplica)]
    pub fn take_replica(&mut self) -> Result<JsReplica, JsError> {
        self.replica
            .take()
            .map(JsReplica)
            .ok_or_else(|| JsError::new("the fetched replica was already taken"))
    }
}

#[wasm_bindgen(js_class = Fetch)]
impl JsFetch {
    pub fn start(spki: &[u8], daemon: &str, now: f64) -> Result<JsFetch, JsError> {
        let (fetch, first) = Fetch::start(spki, device(daemon)?, ms(now));
        Ok(JsFetch { fetch, first })
    }

    #[wasm_bindgen(js_name = firstFrames)]
    pub fn first_frames(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.first)
    }

    /// Bytes from the daemon; returns the frames to send.
    pub fn receive(&mut self, bytes: &[u8], now: f64) -> Result<Vec<u8>, JsError> {
        self.fetch.receive(bytes, ms(now)).map_err(js_err)
    }

    /// `undefined` while the fetch runs; `true` once the whole vault arrived.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> Option<bool> {
        self.fetch.finished()
    }

    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.fetch.poll_timeout().map(|t| t as f64)
    }

    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now: f64) -> Result<(), JsError> {
        self.fetch.handle_timeout(ms(now)).map_err(js_err)
    }

    /// Checks and hands over the vault (consumes the fetch).
    pub fn finish(self, spki: &[u8], vault_id: &str) -> Result<JsFetched, JsError> {
        let (replica, snapshot) = self.fetch.finish(spki, vault(vault_id)?).map_err(js_err)?;
        Ok(JsFetched {
            replica: Some(replica),
            snapshot,
        })
    }
}

#[wasm_bindgen(js_class = Replica)]
impl JsReplica {
    /// JSON: the conflicts, as `rapport conflicts --json` lists them (the model's `Conflict`).
    pub fn conflicts(&mut self) -> Result<String, JsError> {
        let all = self.0.conflicts().map_err(js_err)?;
        serde_json::to_string(&all).map_err(js_err)
    }
}
