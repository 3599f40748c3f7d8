//! The browser replica: the same `rapport-model` code as every device, behind a small API that
//! the phone app's Web Worker calls through wasm-bindgen (`bindings`, wasm32 only).
//!
//! `Replica` owns the `Vault` and keeps what the app must persist: every edit returns the new
//! change bytes (Automerge's `save_after` of the heads already persisted), which the Worker
//! appends to IndexedDB, and `snapshot` folds them into one document when the Worker compacts,
//! as `rapport-store` does in sled. `Index` is the in-memory read view that makes the contact
//! list and search as you type cheap: contacts sorted by name, each with its lowercased text,
//! and each contact's interactions. Its rows, taken as `ViewDelta`s after each edit, are the
//! read view the app persists beside the change chunks and shows before the document loads.
//!
//! The network side is pure too (`handshake`, `link`): the proof of key and the pairing joiner
//! before any vault byte, then the sync `Session` every device runs. The Worker moves the bytes
//! over WebTransport, signs with WebCrypto, and persists before it answers.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod error;
mod handshake;
mod index;
mod link;
mod replica;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod bindings_sync;

pub use error::{LinkError, ReplicaError};
pub use handshake::{PairStep, Pairing, Proof, ProofStep};
pub use index::{Card, Index, Row, TimelineEntry, ViewDelta};
pub use link::{Fetch, Link, Step};
pub use replica::{Edit, Replica};
