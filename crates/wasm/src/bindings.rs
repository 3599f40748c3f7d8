//! The JavaScript face of `Replica`, for the Worker. Bytes cross as `Uint8Array`, lists of
//! strings as JavaScript arrays, and reads as JSON text (the Worker parses it once and hands
//! plain objects to the page). Every error is a `JsError` with the replica's one sentence.

use crate::{Edit, Replica};
use wasm_bindgen::prelude::*;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn json(v: &impl serde::Serialize) -> Result<String, JsError> {
    serde_json::to_string(v).map_err(js_err)
}

/// Whether a panic inside `rapport_model::guarded` is caught here (the module must be built
/// with unwinding panics: scripts/wasm-build.sh). The Worker checks it once at start; when it
/// is false, a panic on damaged bytes would trap the instance instead of returning an error.
#[wasm_bindgen(js_name = panicGuardWorks)]
pub fn panic_guard_works() -> bool {
    rapport_model::guarded(|| {
        if rapport_model::panic_is_expected() {
            panic!("the guard's own check: an expected panic");
        }
    })
    .is_err()
}

/// What an edit returns to JavaScript: the new record's id, if any, and the change bytes.
#[wasm_bindgen(js_name = Edit)]
#[derive(Debug)]
pub struct JsEdit(Edit);

#[wasm_bindgen(js_class = Edit)]
impl JsEdit {
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Option<String> {
        self.0.id.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn change(&self) -> Vec<u8> {
        self.0.change.clone()
    }
}

/// The replica, owned by the Worker.
#[wasm_bindgen(js_name = Replica)]
#[derive(Debug)]
pub struct JsReplica(pub(crate) Replica);

#[wasm_bindgen(js_class = Replica)]
impl JsReplica {
    /// A new vault with this browser as its first device. `snapshot()` then gives the bytes
    /// to store first.
    pub fn create(device_spki: &[u8], device_name: &str, now: f64) -> Result<JsReplica, JsError> {
        let (replica, _) = Replica::create(device_spki, device_name, now as i64).map_err(js_err)?;
        Ok(JsReplica(replica))
    }

    /// Loads the stored snapshot and the change chunks appended after it, in order: `chunks`
    /// is their concatenation and `lengths` the length of each (one copy across the boundary
    /// instead of one per chunk).
    pub fn load(
        device_spki: &[u8],
        snapshot: &[u8],
        chunks: &[u8],
        lengths: Vec<u32>,
    ) -> Result<JsReplica, JsError> {
        let mut pieces = Vec::with_capacity(lengths.len());
        let mut rest = chunks;
        for len in lengths {
            let len = usize::try_from(len).map_err(js_err)?;
            if len > rest.len() {
                return Err(JsError::new(
                    "the stored change chunks are shorter than their lengths say",
                ));
            }
            let (piece, after) = rest.split_at(len);
            pieces.push(piece.to_vec());
            rest = after;
        }
        Replica::load(device_spki, snapshot, &pieces)
            .map(JsReplica)
            .map_err(js_err)
    }

    /// This device's id, as `rapport devices` shows it.
    #[wasm_bindgen(js_name = deviceId)]
    pub fn device_id(&self) -> String {
        self.0.device().to_hex()
    }

    #[wasm_bindgen(js_name = vaultId)]
    pub fn vault_id(&self) -> Result<String, JsError> {
        self.0.vault_id().map(|v| v.to_string()).map_err(js_err)
    }

    /// The whole document, for the first store and for compactions.
    pub fn snapshot(&mut self) -> Vec<u8> {
        self.0.snapshot()
    }

    #[wasm_bindgen(js_name = addContact)]
    pub fn add_contact(
        &mut self,
        name: &str,
        emails: Vec<String>,
        tags: Vec<String>,
        now: f64,
    ) -> Result<JsEdit, JsError> {
        self.0
            .add_contact(name, &emails, &tags, now as i64)
            .map(JsEdit)
            .map_err(js_err)
    }

    #[wasm_bindgen(js_name = logInteraction)]
    pub fn log_interaction(
        &mut self,
        contact: &str,
        with: Vec<String>,
        kind: &str,
        text: &str,
        place: Option<String>,
        now: f64,
    ) -> Result<JsEdit, JsError> {
        self.0
            .log_interaction(contact, &with, kind, text, place.as_deref(), now as i64)
            .map(JsEdit)
            .map_err(js_err)
    }

    pub fn tag(
        &mut self,
        contact: &str,
        add: Vec<String>,
        remove: Vec<String>,
        now: f64,
    ) -> Result<JsEdit, JsError> {
        self.0
            .tag(contact, &add, &remove, now as i64)
            .map(JsEdit)
            .map_err(js_err)
    }

    #[wasm_bindgen(js_name = setTrust)]
    pub fn set_trust(&mut self, contact: &str, trust: &str, now: f64) -> Result<JsEdit, JsError> {
        self.0
            .set_trust(contact, trust, now as i64)
            .map(JsEdit)
            .map_err(js_err)
    }

    /// JSON: an array of rows.
    pub fn search(&self, query: &str, limit: usize) -> Result<String, JsError> {
        json(&self.0.search(query, limit))
    }

    /// JSON: `{"rows": [...], "total": N}`.
    pub fn list(&self, offset: usize, limit: usize) -> Result<String, JsError> {
        let (rows, total) = self.0.list(offset, limit);
        json(&serde_json::json!({ "rows": rows, "total": total }))
    }

    /// JSON: `{"contact": {...}, "timeline": [...]}`.
    pub fn card(&self, contact: &str) -> Result<String, JsError> {
        json(&self.0.card(contact).map_err(js_err)?)
    }

    /// The document's heads, as hex strings.
    pub fn heads(&mut self) -> Vec<String> {
        self.0.heads()
    }

    /// JSON: the read view's rows changed since the last call (`ViewDelta`; the whole view,
    /// `full: true`, after a load), to store with the same edits' change bytes.
    #[wasm_bindgen(js_name = takeView)]
    pub fn take_view(&mut self) -> Result<String, JsError> {
        json(&self.0.take_view())
    }

    /// The stored view is current (its heads are `heads()`): the next `takeView` holds only
    /// later changes.
    #[wasm_bindgen(js_name = markViewStored)]
    pub fn mark_view_stored(&mut self) {
        self.0.mark_view_stored();
    }

    /// JSON: the whole read view as the document gives it now (`ViewDelta`, `full: true`).
    #[wasm_bindgen(js_name = fullView)]
    pub fn full_view(&mut self) -> Result<String, JsError> {
        json(&self.0.full_view())
    }

    /// JSON: `[contacts, interactions]`.
    pub fn counts(&self) -> Result<String, JsError> {
        json(&self.0.counts())
    }
}
