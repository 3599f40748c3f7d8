//! End-to-end tests of the `rapport` binary, in one test binary to keep link times down.
//!
//! - `cli`: every command as a user or a script drives it, including the errors and exit codes.
//! - `crash`: writers killed at random moments never lose an acknowledged change.
//! - `daemon`: devices syncing over QUIC on loopback, live and one-shot, and refusals.
//! - `disk_full`: a full disk refuses a write with exit 6 and keeps what was acknowledged.
//! - `lan`: two daemons find each other by mDNS inside network namespaces the test creates.
//!   Also `join CODE` with no `--addr` finding `pair` (alone or through its daemon) there.
//! - `history`: log, show --at, revert, undo and group restore, across synced devices.
//! - `conflicts`: conflicts you can see, provenance and the mass-deletion quarantine, synced.
//! - `corruption`: damaged store files give a clear error (or the same contacts), never a panic.
//! - `pairing`: one-time codes, trust spreading through sync, revocation and leaving.
//! - `beyond_lan`: daemons whose LAN addresses went stale syncing by endpoint id through a
//!   loopback relay the test runs (two devices, a star of three), and a revoked device refused.
//! - `nat`: two daemons behind masquerading routers in namespaces the test creates, syncing
//!   direct or through a relay in a "wan" namespace, the relay killed mid-transfer, and a
//!   capture of the wan searched for anything readable (`natlab` builds the topology).
//! - `relay`: changes relayed through daemons (a star, a chain), and killed syncs reconnecting.
//! - `golden`: the exact text and JSON output of the read commands, against fixtures/golden.
//! - `formats`: import, export, backup, dedupe and merge through the binary.
//! - `relations`: cadences, follow-ups, due, intro, introduce and brief.
//! - `browser_device`: a native "browser" syncs through `serve` over WebTransport, is listed,
//!   and is cut off when revoked.
//! - `browser_wt`: Chromium opens a WebTransport session to `serve` and proves its key.
//! - `pwa`: the exported phone app on another origin pairs from the QR link, syncs, and
//!   follows the daemon's certificate rotation with the hashes learnt in-session.
//! - `browser_scale`: the phone app paired with a 30,000-contact vault, throttled 4× (issue 16's
//!   test 6), its figures beside the desktop's.
//!
//! Randomised tests print their seed on failure; replay with `RAPPORT_TEST_SEED=<seed>`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod beyond_lan;
mod browser_device;
mod browser_scale;
mod browser_sync;
mod browser_wt;
mod cli;
mod conflicts;
mod corruption;
mod crash;
mod daemon;
mod disk_full;
mod formats;
mod golden;
mod history;
mod lan;
mod nat;
mod natlab;
// The namespace helpers the discovery crate's LAN tests use, shared by `lan` and `natlab`.
#[path = "../../crates/discovery/tests/support/netns.rs"]
mod netns;
mod pairing;
mod phone;
mod pwa;
mod relations;
mod relay;
mod support;
mod web;
