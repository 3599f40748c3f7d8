//! Whole documents for an empty peer, as a zstd frame of `save_nocompress()`.
//!
//! Why: a device without the vault (`clone`, `join`) gets everything in one message. Automerge
//! 0.12 answers an empty peer with `save()`, which deflates every column: on W30 (30,000
//! contacts, 76 MB of columns) that took 1.7 s of the serving device's time, and the receiver's
//! load of deflated columns 1.5 s. `save_nocompress()` takes 0.2 s, zstd level 1 another 0.2 s
//! (28 MB, the size of `save()`), and the receiver inflates it in 0.1 s and loads the plain
//! columns in 1.35 s. The zstd frame is also exactly the form in which the store keeps its
//! snapshots, so a fresh device can keep the bytes it received ([`crate::Event::WholeDocument`])
//! instead of saving and compressing the document once more.
//!
//! How: Automerge still writes the message (heads, need, have, flags) and keeps its sync state,
//! but is told for that one call that the peer is read-only, so it leaves the document out; the
//! document travels after the message in the same `Sync` frame, marked with
//! [`FLAG_DOC`](crate::frame::FLAG_DOC). Automerge's own bookkeeping differs from its `save()`
//! path only in `sent_hashes`, which it would fill with every hash: that set only filters what
//! a later message repeats, and the empty peer's answer announces all of those heads anyway.
//!
//! Only a peer whose hello says protocol version 3 or later gets one: version 2 (an older
//! build, or the browser replica, built without zstd) gets Automerge's `save()` as before.
//!
//! Bounds: the inflated document by `Limits::max_message_bytes`, streamed, so a small frame
//! cannot claim a huge buffer; it must be exactly one Automerge document chunk (change chunks or
//! bundles would slip past the limit on changes per message); and it is accepted only by a
//! replica that holds nothing yet.

// Without zstd (the browser replica) only the error type is used: such a build speaks
// version 2 and is never sent a whole document this way.
#![cfg_attr(not(feature = "zstd"), allow(dead_code, unused_imports))]

use rapport_model::automerge::sync::{ChunkList, Message, State as SyncState, SyncDoc};
use rapport_model::automerge::AutoCommit;

/// zstd level 1: on W30, 28 MB in 0.21 s; level 3 is 23 MB in 0.51 s, which the wire rarely
/// repays on a LAN. Any level decodes the same way.
#[cfg(feature = "zstd")]
const LEVEL: i32 = 1;
use crate::bundle::{CHUNK_MAGIC, CHUNK_TYPE_OFFSET};
const CHUNK_TYPE_DOCUMENT: u8 = 0;

/// A whole document from the peer that we refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WholeError {
    #[error("the peer sent a whole document, but this replica already holds data")]
    NotEmpty,
    #[error("the peer sent a whole-document frame that is cut short")]
    Truncated,
    #[error("the peer sent a whole document that does not decompress")]
    Inflate,
    #[error("the peer sent a whole document of more than {0} bytes")]
    TooBig(usize),
    #[error("the peer sent a whole-document frame that holds something other than one document")]
    NotOneDocument,
}

#[cfg(feature = "zstd")]
/// The message Automerge would send now, with the whole document as a zstd frame beside it,
/// if the peer holds nothing and Automerge would therefore send it everything; else `None`,
/// and the caller generates as usual.
pub fn generate(doc: &mut AutoCommit, state: &mut SyncState) -> Option<(Message, Vec<u8>)> {
    let peer_is_empty = state.their_heads.as_ref().is_some_and(Vec::is_empty);
    let would_send_doc = state
        .their_capabilities
        .as_ref()
        .is_some_and(|c| c.contains(&rapport_model::automerge::sync::Capability::MessageV2));
    if !peer_is_empty || !would_send_doc || doc.get_heads().is_empty() || state.read_only {
        return None;
    }
    let was = std::mem::replace(&mut state.peer_read_only, true);
    let msg = doc.sync().generate_sync_message(state);
    state.peer_read_only = was;
    let msg = msg?;
    let compressed = zstd::bulk::compress(&doc.save_nocompress(), LEVEL).ok()?;
    Some((msg, compressed))
}

/// A `Sync` frame body with [`FLAG_DOC`](crate::frame::FLAG_DOC): the message's length (u32
/// BE), the message (without changes), then the zstd frame.
pub fn encode(msg: Message, compressed: &[u8]) -> Vec<u8> {
    let msg = msg.encode();
    let mut body = Vec::with_capacity(4 + msg.len() + compressed.len());
    body.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    body.extend_from_slice(&msg);
    body.extend_from_slice(compressed);
    body
}

/// Splits a [`FLAG_DOC`](crate::frame::FLAG_DOC) body into the encoded message and the zstd
/// frame of the document.
pub fn split(body: &[u8]) -> Result<(&[u8], &[u8]), WholeError> {
    let (len, rest) = body.split_first_chunk::<4>().ok_or(WholeError::Truncated)?;
    let len = u32::from_be_bytes(*len) as usize;
    if rest.len() < len {
        return Err(WholeError::Truncated);
    }
    Ok(rest.split_at(len))
}

#[cfg(feature = "zstd")]
/// Inflates the document (at most `max` bytes) and puts it in `msg` as its only chunk, for
/// Automerge's `receive_sync_message` to load. `doc` must hold nothing yet.
pub fn attach(
    doc: &mut AutoCommit,
    msg: &mut Message,
    compressed: &[u8],
    max: usize,
) -> Result<(), WholeError> {
    if !doc.get_heads().is_empty() {
        return Err(WholeError::NotEmpty);
    }
    let plain = inflate(compressed, max)?;
    if !is_one_document(&plain) {
        return Err(WholeError::NotOneDocument);
    }
    msg.changes = ChunkList::from(vec![plain]);
    Ok(())
}

#[cfg(feature = "zstd")]
fn inflate(compressed: &[u8], max: usize) -> Result<Vec<u8>, WholeError> {
    use std::io::Read;
    let decoder = zstd::stream::read::Decoder::new(compressed).map_err(|_| WholeError::Inflate)?;
    let mut out = Vec::new();
    decoder
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| WholeError::Inflate)?;
    if out.len() > max {
        return Err(WholeError::TooBig(max));
    }
    Ok(out)
}

/// Whether `bytes` is exactly one Automerge chunk of the document type: magic, checksum, type,
/// LEB128 length, and that many bytes, with nothing after them.
fn is_one_document(bytes: &[u8]) -> bool {
    if bytes.len() <= CHUNK_TYPE_OFFSET
        || bytes[..4] != CHUNK_MAGIC
        || bytes[CHUNK_TYPE_OFFSET] != CHUNK_TYPE_DOCUMENT
    {
        return false;
    }
    let mut len: u64 = 0;
    for (i, &b) in bytes[CHUNK_TYPE_OFFSET + 1..].iter().take(10).enumerate() {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let start = CHUNK_TYPE_OFFSET + 1 + i + 1;
            return (bytes.len() - start) as u64 == len;
        }
    }
    false
}

#[cfg(test)]
#[cfg(feature = "zstd")]
mod tests {
    use super::*;
    use rapport_model::automerge::{transaction::Transactable, ROOT};

    fn doc_with(n: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        for i in 0..n {
            doc.put(ROOT, format!("k{i}"), i as i64).unwrap();
            doc.commit();
        }
        doc
    }

    #[test]
    fn a_saved_document_is_one_document_chunk_and_a_change_is_not() {
        let mut doc = doc_with(3);
        assert!(is_one_document(&doc.save_nocompress()));
        assert!(is_one_document(&doc.save()));
        let change = doc.get_changes(&[]).remove(0);
        assert!(!is_one_document(change.raw_bytes()));
        // Two documents back to back are not one.
        let mut two = doc.save_nocompress();
        two.extend(doc.save_nocompress());
        assert!(!is_one_document(&two));
        // Cut short.
        let saved = doc.save_nocompress();
        assert!(!is_one_document(&saved[..saved.len() - 1]));
    }

    #[test]
    fn an_inflated_document_over_the_limit_is_refused() {
        let mut doc = doc_with(200);
        let plain = doc.save_nocompress();
        let compressed = zstd::bulk::compress(&plain, LEVEL).unwrap();
        assert_eq!(inflate(&compressed, plain.len()).unwrap(), plain);
        assert_eq!(
            inflate(&compressed, plain.len() - 1),
            Err(WholeError::TooBig(plain.len() - 1))
        );
        assert_eq!(inflate(&plain, usize::MAX >> 1), Err(WholeError::Inflate));
    }

    #[test]
    fn a_short_body_is_refused() {
        assert_eq!(split(&[0, 0]), Err(WholeError::Truncated));
        assert_eq!(split(&[0, 0, 0, 9, 1, 2]), Err(WholeError::Truncated));
        assert_eq!(
            split(&[0, 0, 0, 1, 7, 8, 9]),
            Ok((&[7u8][..], &[8u8, 9][..]))
        );
    }
}
