//! The baseline: Automerge's own sync protocol between two documents in memory, ping-pong
//! (`generate_sync_message` / `receive_sync_message`, each message encoded and decoded as a
//! transport would) until neither side has anything to send.

use anyhow::{bail, Result};
use rapport_model::automerge::sync::{Message, State, SyncDoc};
use rapport_model::automerge::AutoCommit;
use std::time::{Duration, Instant};

/// What one raw exchange cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawSync {
    pub messages: u64,
    /// Sum of the encoded messages' lengths.
    pub bytes: u64,
    pub elapsed: Duration,
}

impl RawSync {
    pub fn add(&mut self, other: RawSync) {
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.elapsed += other.elapsed;
    }
}

/// Syncs `a` (which speaks first) and `b` with their states for each other.
pub fn sync(
    a: &mut AutoCommit,
    a_state: &mut State,
    b: &mut AutoCommit,
    b_state: &mut State,
) -> Result<RawSync> {
    let start = Instant::now();
    let mut out = RawSync::default();
    let mut silent = 0;
    let mut a_turn = true;
    while silent < 2 {
        let (from, from_state, to, to_state) = if a_turn {
            (&mut *a, &mut *a_state, &mut *b, &mut *b_state)
        } else {
            (&mut *b, &mut *b_state, &mut *a, &mut *a_state)
        };
        match from.sync().generate_sync_message(from_state) {
            Some(msg) => {
                let bytes = msg.encode();
                out.messages += 1;
                out.bytes += bytes.len() as u64;
                to.sync()
                    .receive_sync_message(to_state, Message::decode(&bytes)?)?;
                silent = 0;
            }
            None => silent += 1,
        }
        a_turn = !a_turn;
        if out.messages > 10_000 {
            bail!("the raw sync does not settle");
        }
    }
    out.elapsed = start.elapsed();
    let (mut ha, mut hb) = (a.get_heads(), b.get_heads());
    ha.sort();
    hb.sort();
    if ha != hb {
        bail!("the raw sync ended with different heads");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::automerge::transaction::Transactable;
    use rapport_model::automerge::ROOT;

    #[test]
    fn raw_sync_converges_and_counts_its_messages() {
        let mut a = AutoCommit::new();
        a.put(ROOT, "x", 1).unwrap();
        let mut b = a.fork();
        a.put(ROOT, "a", "from a").unwrap();
        b.put(ROOT, "b", "from b").unwrap();
        let (mut sa, mut sb) = (State::new(), State::new());
        let out = sync(&mut a, &mut sa, &mut b, &mut sb).unwrap();
        assert!(out.messages >= 2 && out.bytes > 0);
        assert_eq!(a.get_heads(), b.get_heads());
        // Nothing new: both sides stay silent.
        let again = sync(&mut a, &mut sa, &mut b, &mut sb).unwrap();
        assert_eq!(again.messages, 0);
    }
}
