//! Bundles: many changes sent as one compact, document-style chunk.
//!
//! Why: when a peer misses more than a third of our changes, Automerge 0.12's
//! `generate_sync_message` sends the whole document (`save()`), shared history included. Two
//! devices that each made 1,000 offline edits on a small common vault then ship the common vault
//! both ways. Automerge 0.12 can also encode any set of changes as a *bundle*: the column
//! encoding of `save()` (compact) but only those changes (no shared base).
//!
//! How: when the peer already holds data (its heads are known and not empty), [`generate`]
//! hides the peer's "supports V2 messages" capability from Automerge for that one call, so
//! Automerge lists the missing changes instead of choosing `save()`; then, if the list is long
//! enough, it replaces the list by one bundle of the same changes when that is smaller. The set
//! of hashes is the same, so Automerge's own bookkeeping (`sent_hashes`) stays right. An empty
//! peer still gets `save()`: a full load is the fastest way to fill an empty replica.
//!
//! Such a message travels in a `Sync` frame with [`FLAG_BUNDLE`](crate::frame::FLAG_BUNDLE).
//! The receiver ([`unbundle`]) decodes the bundle itself, bounded and checked, and applies the
//! changes ([`receive`]): Automerge's `load_incremental` would silently drop a bundle that fails
//! to decode, and its bundle decoder can panic on malformed input.
//!
//! Bounds: the frame and the inflated message are bounded as for any sync message, the number of
//! changes by `Limits::max_changes_per_message`, and the metadata that Automerge indexes by
//! without checking is checked first. A panic in Automerge's decoder is caught and refused.
//! Not bounded: Automerge 0.12's column decoders (hexane) trust run lengths, and a boolean
//! column whose last LEB128 is cut short makes them loop forever. Whole documents (`save()`,
//! which any peer may already send) go through the same decoders; only a trusted device can
//! send either.
//!
//! The bundle format is marked EXPERIMENTAL in Automerge. The workspace pins automerge to
//! `=0.12.0`, and `fixtures/bundle/` holds a golden bundle that the tests decode and re-encode,
//! so an upgrade that changes the format fails a test instead of splitting the network.

use rapport_model::automerge::sync::{ChunkList, Message, State as SyncState, SyncDoc};
use rapport_model::automerge::{AutoCommit, AutomergeError, Bundle, Change, ChangeHash};
use std::collections::BTreeSet;

/// Fewer changes than this go as a plain list: a bundle of a handful of changes saves a few
/// hundred bytes at most, and live sessions (one edit at a time) keep exactly their old path.
pub const MIN_BUNDLE_CHANGES: usize = 8;

/// Automerge's chunk magic, and the chunk type byte of a bundle (after magic and checksum).
pub(crate) const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
pub(crate) const CHUNK_TYPE_OFFSET: usize = 8;
const CHUNK_TYPE_BUNDLE: u8 = 3;

/// A bundle from the peer that we refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    #[error("the peer sent a bundle frame whose message holds {0} chunks instead of one bundle")]
    NotOneBundle(usize),
    #[error("the peer sent a bundle chunk in a sync frame not marked as a bundle")]
    Unmarked,
    #[error("the peer sent a bundle that does not decode: {0}")]
    Decode(String),
    #[error("the peer sent a bundle of {count} changes, over the limit of {max}")]
    TooManyChanges { count: usize, max: usize },
}

/// Automerge's next sync message for this peer, with its changes as one bundle when the peer
/// already holds data and a bundle is smaller than the list of change chunks.
pub fn generate(doc: &mut AutoCommit, state: &mut SyncState) -> Option<Message> {
    let peer_has_data = state.their_heads.as_ref().is_some_and(|h| !h.is_empty());
    if !peer_has_data {
        return doc.sync().generate_sync_message(state);
    }
    // Without the V2 capability Automerge lists the missing changes instead of sending
    // `save()`. The capability is only read while generating (and for a sync reset, which
    // read-only mode needs and we never use), so it is hidden for exactly this call.
    let capabilities = state.their_capabilities.take();
    let sent_before = state.sent_hashes.clone();
    let msg = doc.sync().generate_sync_message(state);
    state.their_capabilities = capabilities;
    let mut msg = msg?;
    if msg.changes.len() < MIN_BUNDLE_CHANGES {
        return Some(msg);
    }
    // The changes in this message are exactly the hashes Automerge just marked as sent.
    let hashes: Vec<ChangeHash> = state
        .sent_hashes
        .difference(&sent_before)
        .copied()
        .collect();
    if hashes.len() != msg.changes.len() {
        // Not the message we reasoned about (Automerge's rules changed): send it as it is.
        return Some(msg);
    }
    let listed: usize = msg.changes.iter().map(<[u8]>::len).sum();
    if let Ok(bundle) = doc.bundle(hashes) {
        if bundle.bytes().len() < listed {
            msg.changes = ChunkList::from(bundle.bytes().to_vec());
        }
    }
    Some(msg)
}

/// Whether `msg` carries its changes as one bundle (what [`generate`] makes).
pub fn is_bundle(msg: &Message) -> bool {
    msg.changes.len() == 1 && msg.changes.iter().all(is_bundle_chunk)
}

/// Refuses bundle chunks in a message whose frame is not marked as a bundle: they would slip
/// past the limit on changes per message, which counts chunks.
pub fn check_unmarked(msg: &Message) -> Result<(), BundleError> {
    if msg.changes.iter().any(is_bundle_chunk) {
        return Err(BundleError::Unmarked);
    }
    Ok(())
}

/// Takes the bundle out of a message marked as a bundle and returns the changes it encodes,
/// after checking that it decodes, holds at most `max_changes` changes, and is consistent
/// enough for Automerge's decoder (which asserts instead of returning errors in places). The
/// message is left without changes: apply it with [`receive`].
pub fn unbundle(msg: &mut Message, max_changes: usize) -> Result<Vec<Change>, BundleError> {
    if !is_bundle(msg) {
        return Err(BundleError::NotOneBundle(msg.changes.len()));
    }
    let changes = {
        let Some(chunk) = msg.changes.iter().next() else {
            return Err(BundleError::NotOneBundle(0));
        };
        decode(chunk, max_changes)?
    };
    msg.changes = ChunkList::empty();
    Ok(changes)
}

/// Receives a sync message whose changes [`unbundle`] took out: applies `changes`, then lets
/// Automerge process the rest of the message, leaving the sync state exactly as
/// `receive_sync_message` would have with the changes inside the message.
///
/// Why not hand Automerge the changes as chunks: it would parse again what the bundle decoder
/// just built (a tenth of the apply time). Why this is exact (automerge 0.12.0,
/// `receive_sync_message_inner`): with changes, it loads them, then advances `shared_heads`
/// from the heads before and after; without changes it skips both but sets `last_sent_heads`
/// when the peer's heads equal ours. Everything else it does depends on neither. So we apply
/// and advance `shared_heads` here, and undo that one `last_sent_heads` update. (`read_only`,
/// which would skip the load, is never set by this crate.)
pub fn receive(
    doc: &mut AutoCommit,
    state: &mut SyncState,
    msg: Message,
    changes: Vec<Change>,
) -> Result<(), AutomergeError> {
    if changes.is_empty() {
        return doc.sync().receive_sync_message(state, msg);
    }
    let before = doc.get_heads();
    doc.apply_changes(changes)?;
    let after = doc.get_heads();
    state.shared_heads = advance_heads(&before, &after, &state.shared_heads);
    let only_without_changes = msg.heads == after;
    let last_sent = state.last_sent_heads.clone();
    doc.sync().receive_sync_message(state, msg)?;
    if only_without_changes {
        state.last_sent_heads = last_sent;
    }
    Ok(())
}

/// Automerge 0.12.0's `advance_heads` (private there): our new heads that are not old ones,
/// plus the old shared heads that are still heads, sorted.
fn advance_heads(old: &[ChangeHash], new: &[ChangeHash], shared: &[ChangeHash]) -> Vec<ChangeHash> {
    let old: BTreeSet<&ChangeHash> = old.iter().collect();
    let new_set: BTreeSet<&ChangeHash> = new.iter().collect();
    let advanced: BTreeSet<ChangeHash> = new
        .iter()
        .filter(|h| !old.contains(h))
        .chain(shared.iter().filter(|h| new_set.contains(h)))
        .copied()
        .collect();
    advanced.into_iter().collect()
}

/// Decodes one bundle chunk into its changes, bounded and without panicking.
pub fn decode(chunk: &[u8], max_changes: usize) -> Result<Vec<Change>, BundleError> {
    // Automerge's bundle decoder has `unwrap`s and `assert`s on data it considers already
    // verified. A panic there is a bad bundle, not a bug of ours: contain it (quietly, see
    // `rapport_model::guarded`) and refuse the bundle. This relies on unwinding panics, the
    // workspace's setting.
    rapport_model::guarded(|| decode_unguarded(chunk, max_changes)).unwrap_or_else(|_| {
        Err(BundleError::Decode(
            "Automerge's decoder panicked on it".into(),
        ))
    })
}

fn decode_unguarded(chunk: &[u8], max_changes: usize) -> Result<Vec<Change>, BundleError> {
    if !is_bundle_chunk(chunk) {
        return Err(BundleError::Decode("not a bundle chunk".into()));
    }
    let bundle = Bundle::try_from(chunk).map_err(|e| BundleError::Decode(e.to_string()))?;
    check_metadata(&bundle, max_changes)?;
    let changes = bundle
        .to_changes()
        .map_err(|e| BundleError::Decode(e.to_string()))?;
    Ok(changes)
}

/// Checks what Automerge's `to_changes` indexes or allocates by without checking: the number
/// of changes, actor indices, dependency indices (a change may depend on an earlier change of
/// the bundle or on one of the bundle's external deps), and op counter ranges.
fn check_metadata(bundle: &Bundle, max_changes: usize) -> Result<(), BundleError> {
    let count = bundle
        .iter_changes()
        .take(max_changes.saturating_add(1))
        .count();
    if count > max_changes {
        return Err(BundleError::TooManyChanges {
            count: bundle.iter_changes().count(),
            max: max_changes,
        });
    }
    let actors = bundle.actors().len();
    let external = bundle.deps().len();
    let mut seen = BTreeSet::new();
    for (position, change) in bundle.iter_changes().enumerate() {
        if change.actor >= actors {
            return Err(BundleError::Decode(format!(
                "change {position} names actor {} of {actors}",
                change.actor
            )));
        }
        if !seen.insert((change.actor, change.seq)) {
            return Err(BundleError::Decode(format!(
                "change {position} repeats a sequence number"
            )));
        }
        for &dep in &change.deps {
            // Indices below `count` are the bundle's own changes (only earlier ones are built
            // when this one is), the rest index the bundle's external deps.
            let known = usize::try_from(dep)
                .is_ok_and(|d| d < position || d.checked_sub(count).is_some_and(|e| e < external));
            if !known {
                return Err(BundleError::Decode(format!(
                    "change {position} depends on unknown change {dep}"
                )));
            }
        }
        let counters_ok = change.start_op > 0
            && change
                .max_op
                .checked_add(1)
                .is_some_and(|end| change.start_op <= end);
        if !counters_ok {
            return Err(BundleError::Decode(format!(
                "change {position} has op counters {}..={}",
                change.start_op, change.max_op
            )));
        }
    }
    Ok(())
}

fn is_bundle_chunk(chunk: &[u8]) -> bool {
    chunk.len() > CHUNK_TYPE_OFFSET
        && chunk[..4] == CHUNK_MAGIC
        && chunk[CHUNK_TYPE_OFFSET] == CHUNK_TYPE_BUNDLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::automerge::transaction::{CommitOptions, Transactable};
    use rapport_model::automerge::{ActorId, ROOT};

    /// A document of `n` commits by actor `a`, with fixed times so that it is reproducible.
    fn doc_with(actor: u8, n: usize) -> AutoCommit {
        let mut doc = AutoCommit::new().with_actor(ActorId::from([actor; 16]));
        commits(&mut doc, "base", n, 0);
        doc
    }

    fn commits(doc: &mut AutoCommit, prefix: &str, n: usize, t0: i64) -> Vec<ChangeHash> {
        (0..n)
            .map(|i| {
                doc.put(ROOT, format!("{prefix}-{}", i % 7), i as i64)
                    .unwrap();
                doc.commit_with(CommitOptions::default().with_time(t0 + i as i64))
                    .unwrap()
            })
            .collect()
    }

    /// Two forks of a small base, each with `n` concurrent commits.
    fn forks(n: usize) -> (AutoCommit, AutoCommit, Vec<ChangeHash>) {
        let mut a = doc_with(1, 2);
        let mut b = a.fork().with_actor(ActorId::from([2; 16]));
        let new_in_a = commits(&mut a, "a", n, 100);
        commits(&mut b, "b", n, 200);
        (a, b, new_in_a)
    }

    #[test]
    fn a_bundle_decodes_to_the_same_changes_and_heads() {
        let (mut a, mut b, new_in_a) = forks(50);
        let bundle = a.bundle(new_in_a.iter().copied()).unwrap();
        let changes = decode(bundle.bytes(), 1000).unwrap();
        let mut got: Vec<_> = changes.iter().map(Change::hash).collect();
        let mut want = new_in_a.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        b.apply_changes(changes).unwrap();
        b.merge(&mut a).unwrap();
        let mut heads_b = b.get_heads();
        heads_b.sort();
        let mut both = a.get_heads();
        both.extend(b.get_heads());
        both.sort();
        both.dedup();
        assert_eq!(heads_b, both);
        // And the changes b got from the bundle are byte for byte a's.
        for h in &new_in_a {
            assert_eq!(
                b.get_change_by_hash(h).unwrap().raw_bytes(),
                a.get_change_by_hash(h).unwrap().raw_bytes()
            );
        }
    }

    #[test]
    fn a_bundle_over_the_change_limit_is_refused() {
        let (a, _, new_in_a) = forks(20);
        let bundle = a.bundle(new_in_a).unwrap();
        assert_eq!(
            decode(bundle.bytes(), 19).unwrap_err(),
            BundleError::TooManyChanges { count: 20, max: 19 }
        );
        assert_eq!(decode(bundle.bytes(), 20).unwrap().len(), 20);
    }

    #[test]
    fn garbage_truncated_and_flipped_bundles_are_refused_without_panicking() {
        let (a, _, new_in_a) = forks(30);
        let good = a.bundle(new_in_a).unwrap().bytes().to_vec();
        assert!(decode(b"not a bundle at all", 100).is_err());
        assert!(decode(&[], 100).is_err());
        let mut header_only = good[..CHUNK_TYPE_OFFSET + 1].to_vec();
        assert!(decode(&header_only, 100).is_err());
        header_only.extend_from_slice(&[0xff; 64]);
        assert!(decode(&header_only, 100).is_err());
        for cut in (0..good.len()).step_by(7) {
            assert!(decode(&good[..cut], 100).is_err(), "cut at {cut} decoded");
        }
        // Flipped low bits (which leave every LEB128 length intact) may still decode, into
        // other changes; they must never panic. (Flipping a continuation bit can make Automerge
        // 0.12's column decoder loop forever: see the module docs.)
        let mut refused = 0;
        for i in CHUNK_TYPE_OFFSET + 1..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            refused += usize::from(decode(&bad, 100).is_err());
        }
        assert!(refused > 0);
    }

    #[test]
    fn an_unmarked_bundle_chunk_is_refused() {
        let (mut a, _, new_in_a) = forks(10);
        let mut state = SyncState::new();
        let mut msg = a.sync().generate_sync_message(&mut state).unwrap();
        assert!(check_unmarked(&msg).is_ok());
        msg.changes = ChunkList::from(a.bundle(new_in_a).unwrap().bytes().to_vec());
        assert_eq!(check_unmarked(&msg), Err(BundleError::Unmarked));
    }

    /// `receive` must leave the document and the sync state exactly as Automerge's own
    /// `receive_sync_message` does with the same changes inside the message, both when the
    /// receiver has changes of its own and when it ends up with the sender's heads.
    #[test]
    fn receiving_a_bundle_leaves_the_state_automerge_would() {
        for receiver_edits in [5, 0] {
            let mut a = doc_with(1, 2);
            let mut b = a.fork().with_actor(ActorId::from([2; 16]));
            commits(&mut a, "a", receiver_edits, 100);
            commits(&mut b, "b", 40, 200);
            let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
            let m1 = generate(&mut a, &mut sa).unwrap();
            b.sync().receive_sync_message(&mut sb, m1).unwrap();
            let mut m2 = generate(&mut b, &mut sb).unwrap();
            assert!(is_bundle(&m2), "b did not bundle");

            let (mut a2, mut sa2) = (a.fork(), sa.clone());
            let changes = unbundle(&mut m2, 1000).unwrap();
            let mut inline = m2.clone();
            inline.changes = ChunkList::from(
                changes
                    .iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect::<Vec<_>>(),
            );
            a2.sync().receive_sync_message(&mut sa2, inline).unwrap();
            receive(&mut a, &mut sa, m2, changes).unwrap();

            assert_eq!(a.get_heads(), a2.get_heads(), "{receiver_edits}");
            assert_eq!(sa, sa2, "{receiver_edits}");
            assert_eq!(
                generate(&mut a, &mut sa),
                generate(&mut a2, &mut sa2),
                "{receiver_edits}"
            );
        }
    }
}
