//! Two `rapport_sync::Session`s wired back to back in memory, in lock step: each *flight*
//! delivers everything both sides have queued, as a network with equal latency both ways would.
//! Counting flights gives the round trips a session needs (two flights per round trip), and the
//! sessions' own statistics give the exact frames and bytes: what a QUIC run cannot report
//! mid-session.

use anyhow::{bail, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, VaultId};
use rapport_sync::{Event, Hello, Limits, Role, Session, SessionStats, PROTOCOL_VERSION};

/// One side: its session and its document.
#[derive(Debug)]
pub struct Side<'a> {
    pub session: Session,
    pub doc: &'a mut AutoCommit,
}

impl<'a> Side<'a> {
    /// A session for `device` (holding `vault`) with `peer`, starting from a saved sync state.
    pub fn new(
        role: Role,
        doc: &'a mut AutoCommit,
        vault: VaultId,
        device: DeviceId,
        peer: DeviceId,
        state: Option<&[u8]>,
        live: bool,
    ) -> Side<'a> {
        let hello = Hello {
            version: PROTOCOL_VERSION,
            vault,
            device,
        };
        let session = Session::new(
            role,
            hello,
            Some(peer),
            state,
            live,
            Limits::default(),
            0,
        );
        Side { session, doc }
    }

    pub fn stats(&self) -> SessionStats {
        self.session.stats()
    }
}

/// Delivers queued frames both ways until neither side has anything to send; returns the number
/// of flights (0 if nothing was queued).
pub fn pump(a: &mut Side<'_>, b: &mut Side<'_>) -> Result<u32> {
    let mut flights = 0;
    loop {
        let from_a: Vec<Vec<u8>> = std::iter::from_fn(|| a.session.poll_transmit()).collect();
        let from_b: Vec<Vec<u8>> = std::iter::from_fn(|| b.session.poll_transmit()).collect();
        if from_a.is_empty() && from_b.is_empty() {
            return Ok(flights);
        }
        flights += 1;
        if flights > 1000 {
            bail!("the in-memory session does not settle");
        }
        deliver(b, &from_a)?;
        deliver(a, &from_b)?;
    }
}

fn deliver(to: &mut Side<'_>, frames: &[Vec<u8>]) -> Result<()> {
    for f in frames {
        if to.session.is_closed() {
            break;
        }
        to.session.handle_bytes(to.doc, f, 0)?;
        while let Some(e) = to.session.poll_event() {
            if let Event::Finished { equal: false } = e {
                bail!("the in-memory session finished with different heads");
            }
        }
    }
    Ok(())
}
