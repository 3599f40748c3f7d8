//! End-to-end tests of the `rapport` binary, in one test binary to keep link times down.
//!
//! - `cli`: every command as a user or a script drives it, including the errors and exit codes.
//! - `crash`: writers killed at random moments never lose an acknowledged change.
//! - `daemon`: devices syncing over QUIC on loopback, live and one-shot, and refusals.
//! - `disk_full`: a full disk refuses a write with exit 6 and keeps what was acknowledged.
//! - `lan`: two daemons find each other by mDNS inside network namespaces the test creates.
//!   Also `join CODE` with no `--addr` finding `pair` (alone or through its daemon) there.
//! - `corruption`: damaged store files give a clear error (or the same contacts), never a panic.
//! - `pairing`: one-time codes, trust spreading through sync, revocation and leaving.
//!
//! Randomised tests print their seed on failure; replay with `RAPPORT_TEST_SEED=<seed>`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod corruption;
mod crash;
mod daemon;
mod disk_full;
mod lan;
mod pairing;
mod support;
