//! Rapport's long-running device. `rapport serve` runs three things over one replica of the
//! data folder: the sync node (`rapport_node`), a local socket on which every other `rapport`
//! of the same home sends its typed request while the daemon holds the store (`server`), and
//! the web app (`web`). `client` is the CLI's side of that socket; `launch` starts a daemon
//! in the background for `rapport ui`.
//!
//! Nothing here prints a command's result: the daemon answers with typed values and the CLI
//! renders them exactly as it renders a local run. The daemon's own lines (its address, that it
//! stopped) go to its stdout and stderr, which is its log.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod client;
mod error;
pub mod launch;
pub mod server;
mod web;

pub use error::DaemonError;
pub use server::serve;

use std::net::SocketAddr;

/// A sync's report as `rapport sync` shows it, whether it ran in the CLI or in the daemon.
pub fn synced(report: &rapport_net::SessionReport, addr: SocketAddr) -> rapport_app::wire::Synced {
    rapport_app::wire::Synced {
        peer: report.peer.map(|p| p.short()).unwrap_or_default(),
        addr,
        records_updated: report.touched.contacts.len()
            + report.touched.interactions.len()
            + report.touched.groups.len(),
        bytes_sent: report.bytes_sent,
        bytes_received: report.bytes_received,
        elapsed_ms: report.elapsed.as_millis(),
    }
}
