//! Durable persistence of one device's vault in sled.
//!
//! This is the only crate that knows sled. It stores:
//! - the Automerge document as a snapshot plus appended change chunks (compacted now and then),
//!   each chunk with a blake3 checksum that is verified on load;
//! - a read view (materialised contacts, timelines, groups, roster) kept consistent with the
//!   document in the same atomic batch, so `list`/`search`/`show` never load Automerge;
//! - large values (the snapshot, the view's buckets) as hash-named files beside sled, which
//!   holds their references;
//! - the device identity and per-peer sync state.
//!
//! A write is acknowledged only after sled's flush *and* an fsync of every database file and
//! directory: sled 0.34's flush is `sync_file_range`, which does not survive a power cut.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

// Layers, each using only those before it (the architecture test fails on a cycle among
// these modules): error, keys, chunk, codec, durable, snapshot, bucket, ack, quarantine,
// relate_index, view, annotations, view_write, history, store, salvage.
mod ack;
mod annotations;
mod bucket;
mod chunk;
mod codec;
mod durable;
mod error;
mod history;
mod keys;
mod quarantine;
mod relate_index;
mod relate_slim;
mod salvage;
mod snapshot;
mod store;
mod view;
mod view_write;

pub use durable::{write_atomically, DirSync};
pub use error::{StoreError, StoreErrorKind};
pub use history::HistoryEntry;
pub use quarantine::Quarantined;
pub use relate_index::{Emails, RelateBook};
pub use salvage::{salvage, Salvage};
pub use store::{CommitReport, Store, StoreStats, ViewMark, STORE_FORMAT};
pub use view::{ContactView, ReadView};
