//! Two `rapport_sync::Session`s wired back to back in memory, in lock step: each *flight*
//! delivers everything both sides have queued, as a network with equal latency both ways would.
//! Counting flights gives the round trips a session needs (two flights per round trip), and the
//! sessions' own statistics give the exact frames and bytes, which a QUIC run cannot report
//! mid-session. The documents are passed in on each call, so the caller can edit them between.

use anyhow::{bail, Result};
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, VaultId};
use rapport_sync::{Event, Hello, Limits, Role, Session, PROTOCOL_VERSION};

/// A session for `device` (holding `vault`) with `peer`, from a saved sync state.
pub fn session(
    role: Role,
    vault: VaultId,
    device: DeviceId,
    peer: DeviceId,
    state: Option<&[u8]>,
    live: bool,
) -> Session {
    let hello = Hello {
        version: PROTOCOL_VERSION,
        vault,
        device,
    };
    Session::new(role, hello, Some(peer), state, live, Limits::default(), 0)
}

/// Delivers queued frames both ways until neither side has anything to send; returns the number
/// of flights (0 if nothing was queued).
pub fn pump(
    a: &mut Session,
    a_doc: &mut AutoCommit,
    b: &mut Session,
    b_doc: &mut AutoCommit,
) -> Result<u32> {
    pump_trips(a, a_doc, b, b_doc).map(|(flights, _)| flights)
}

/// Like `pump`, and also counts the round trips `a` waits for: both sides start together, so
/// the last flight that brings `a` anything, the `k`-th, ends `k / 2` round trips (rounded up;
/// an odd flight is one both sides sent at once, like two hellos). A closing frame that `a`
/// sends last (a one-shot initiator's `Done`) is a flight but no round trip: nobody waits for
/// an answer to it.
pub fn pump_trips(
    a: &mut Session,
    a_doc: &mut AutoCommit,
    b: &mut Session,
    b_doc: &mut AutoCommit,
) -> Result<(u32, u32)> {
    let mut flights = 0;
    let mut last_to_a: u32 = 0;
    loop {
        let from_a: Vec<Vec<u8>> = std::iter::from_fn(|| a.poll_transmit()).collect();
        let from_b: Vec<Vec<u8>> = std::iter::from_fn(|| b.poll_transmit()).collect();
        if from_a.is_empty() && from_b.is_empty() {
            return Ok((flights, last_to_a.div_ceil(2)));
        }
        flights += 1;
        if !from_b.is_empty() {
            last_to_a = flights;
        }
        if flights > 1000 {
            bail!("the in-memory session does not settle");
        }
        deliver(b, b_doc, &from_a)?;
        deliver(a, a_doc, &from_b)?;
    }
}

fn deliver(to: &mut Session, doc: &mut AutoCommit, frames: &[Vec<u8>]) -> Result<()> {
    for f in frames {
        if to.is_closed() {
            break;
        }
        to.handle_bytes(doc, f, 0)?;
        while let Some(e) = to.poll_event() {
            if let Event::Finished { equal: false } = e {
                bail!("the in-memory session finished with different heads");
            }
        }
    }
    Ok(())
}
