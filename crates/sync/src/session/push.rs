//! The live fast path: a `Push` frame is a compact encoding of one Automerge sync message, and
//! a `PushAck` a compact encoding of the answer to it.
//!
//! In a settled live session a local commit makes Automerge generate a message that holds the
//! new change chunks, the sender's heads, no `need`, and a Bloom filter summarising the new
//! changes. Sent as a `Sync` frame, about 130 of its bytes are hashes and Bloom filters that the
//! receiver can do without, and the answer (the receiver's heads, a `have`) and the closing
//! `Idle` cost another two frames. A push carries only:
//! - the change chunks, each with its dependency hashes left out when they are a set both sides
//!   hold (the receiver tries the sets it knows and keeps the one the chunk's checksum accepts),
//!   and its actor left out when it is the sender's device id (every device writes as itself);
//! - the sender's heads, as indexes into those chunks (32 bytes only for a head that is not one
//!   of them).
//!
//! The receiver rebuilds the message Automerge would have received, with a `have` that says
//! exactly "I hold everything up to these heads" (true, since they are the sender's heads), and
//! hands it to `receive_sync_message`, so Automerge keeps all of its own bookkeeping. If its
//! answer would only repeat those heads, it answers with a `PushAck` holding 8 bytes of a digest
//! of them; the pusher rebuilds that answer and hands it to Automerge in turn. Both sync states
//! then hold exactly what a full exchange leaves (shared heads included, so a reconnect costs
//! what it did), and the exchange is over in two frames: an ack is never answered.
//!
//! Anything else falls back to the ordinary protocol: a receiver that has other news answers
//! with a normal message; changes whose dependencies are missing go through Automerge's own
//! path (it keeps them and asks for the rest); a chunk the receiver cannot rebuild is refused
//! with an empty `PushAck`, and the pusher sends the same changes again as a `Sync`.
//!
//! Push body (then raw deflate when that pays, bit 0 of the frame's flags):
//! `n: u8` chunks, each `how: u8` (bit 0: dependencies left out, bit 1: actor left out),
//! `len: LEB128`, `len` bytes; then `k: u8` and `k` chunk indexes that are heads; then `m: u8`
//! and `m` further heads of 32 bytes.

use super::{sorted, Event, Session, SessionError};
use crate::frame::{Frame, FLAG_DEFLATE};
use rapport_model::automerge::sync::{Have, Message, MessageFlags, MessageVersion, SyncDoc};
use rapport_model::automerge::{AutoCommit, Change, ChangeHash};
use rapport_model::DeviceId;
use std::io::Write;

/// Most chunks in one push: a live session pushes what one or a few commits made; more goes as
/// an ordinary sync message.
pub const MAX_PUSH_CHANGES: usize = 16;
/// Most bytes of change chunks in one push, for the same reason.
pub const MAX_PUSH_BYTES: usize = 64 << 10;
/// Most heads named outside the chunks.
const MAX_EXTRA_HEADS: usize = 16;
/// Most dependencies a chunk may declare when they are left out (a rebuilt chunk never has
/// more than the largest set the receiver tries).
const MAX_ELIDED_DEPS: u64 = 64;
/// Pushes remembered while their acks are on the way (several only when messages cross).
const MAX_OUTSTANDING: usize = 8;

const HOW_DEPS: u8 = 1;
const HOW_ACTOR: u8 = 2;
const CHANGE_CHUNK: u8 = 0x01;
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const ACTOR_LEN: u64 = 32;

/// A push this side sent and the peer has not answered yet.
#[derive(Debug, Clone)]
struct Outstanding {
    heads: Vec<ChangeHash>,
    digest: [u8; 8],
    hashes: Vec<ChangeHash>,
}

/// The push bookkeeping of one session.
#[derive(Debug, Default)]
pub(super) struct PushState {
    outstanding: Vec<Outstanding>,
    pub(super) pushes_sent: u64,
}

/// 8 bytes of blake3 over the sorted heads: what a `PushAck` says the acknowledger holds.
fn digest(heads: &[ChangeHash]) -> [u8; 8] {
    let mut h = blake3::Hasher::new();
    for head in sorted(heads.to_vec()) {
        h.update(&head.0);
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&h.finalize().as_bytes()[..8]);
    out
}

fn standard_flags() -> MessageFlags {
    let mut flags = MessageFlags::new();
    flags.set(MessageFlags::SUPPORTS_SYNC_RESET);
    flags
}

/// The message a peer that holds exactly `heads` would send: no changes, nothing needed, and a
/// `have` that is exact (everything up to those heads).
fn heads_message(heads: Vec<ChangeHash>, changes: Vec<Vec<u8>>, exact_have: bool) -> Message {
    let have = if exact_have {
        vec![Have {
            last_sync: heads.clone(),
            ..Have::default()
        }]
    } else {
        Vec::new()
    };
    Message {
        heads,
        need: Vec::new(),
        have,
        changes: changes.into(),
        flags: Some(standard_flags()),
        version: MessageVersion::V1,
    }
}

/// Where a change chunk's dependency hashes and actor sit in its bytes.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Just after the dependency count.
    deps_at: usize,
    deps: u64,
    /// Just after the actor's length.
    actor_at: usize,
    actor_len: u64,
}

fn leb(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn write_leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// The layout of an uncompressed change chunk (`magic, checksum, type, length, deps, actor`), as
/// far as the bytes at hand allow: in a chunk whose dependencies were left out, the actor's
/// length is found after `deps_present` hashes.
fn layout(bytes: &[u8], deps_present: bool) -> Option<Layout> {
    if bytes.len() < 9 || bytes[..4] != MAGIC || bytes[8] != CHANGE_CHUNK {
        return None;
    }
    let mut at = 9;
    leb(bytes, &mut at)?;
    let deps = leb(bytes, &mut at)?;
    let deps_at = at;
    if deps_present {
        at = at.checked_add(usize::try_from(deps).ok()?.checked_mul(32)?)?;
    }
    let actor_len = leb(bytes, &mut at)?;
    Some(Layout {
        deps_at,
        deps,
        actor_at: at,
        actor_len,
    })
}

fn concat(hashes: &[ChangeHash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// A chunk with the parts the receiver can restore left out, and how.
fn elide(chunk: &[u8], bases: &[Vec<ChangeHash>], sender: &DeviceId) -> (u8, Vec<u8>) {
    let Some(l) = layout(chunk, true) else {
        return (0, chunk.to_vec());
    };
    let deps_end = l.deps_at + l.deps as usize * 32;
    let deps = &chunk[l.deps_at..deps_end];
    let deps_known = l.deps > 0 && bases.iter().any(|b| concat(&sorted(b.clone())) == deps);
    let actor_end = l.actor_at.saturating_add(l.actor_len as usize);
    let actor_known =
        l.actor_len == ACTOR_LEN && chunk.get(l.actor_at..actor_end) == Some(sender.as_bytes());
    let mut how = 0;
    let mut out = Vec::with_capacity(chunk.len());
    if deps_known {
        how |= HOW_DEPS;
        out.extend_from_slice(&chunk[..l.deps_at]);
        out.extend_from_slice(&chunk[deps_end..l.actor_at]);
    } else {
        out.extend_from_slice(&chunk[..l.actor_at]);
    }
    if actor_known {
        how |= HOW_ACTOR;
        out.extend_from_slice(&chunk[actor_end..]);
    } else {
        out.extend_from_slice(&chunk[l.actor_at..]);
    }
    (how, out)
}

/// Restores a chunk's left-out parts, trying each base set for its dependencies, and returns it
/// with its hash once Automerge parses it and its checksum holds. `None`: no base fits.
fn restore(
    how: u8,
    bytes: &[u8],
    bases: &[Vec<ChangeHash>],
    sender: &DeviceId,
) -> Result<Option<(Vec<u8>, ChangeHash)>, SessionError> {
    // The chunk's own checksum (the first 4 bytes of its hash) decides which base was meant.
    let verified = |chunk: Vec<u8>| -> Option<(Vec<u8>, ChangeHash)> {
        let hash = Change::try_from(&chunk[..]).ok()?.hash();
        (chunk.len() >= 8 && hash.0[..4] == chunk[4..8]).then_some((chunk, hash))
    };
    if how == 0 {
        return verified(bytes.to_vec())
            .map(Some)
            .ok_or(SessionError::BadMessage);
    }
    let l = layout(bytes, how & HOW_DEPS == 0).ok_or(SessionError::BadMessage)?;
    if how & HOW_DEPS != 0 && (l.deps == 0 || l.deps > MAX_ELIDED_DEPS) {
        return Err(SessionError::BadMessage);
    }
    if how & HOW_ACTOR != 0 && l.actor_len != ACTOR_LEN {
        return Err(SessionError::BadMessage);
    }
    let build = |deps: Option<&[ChangeHash]>| {
        let mut out = Vec::with_capacity(bytes.len() + 96);
        match deps {
            Some(deps) => {
                out.extend_from_slice(&bytes[..l.deps_at]);
                out.extend_from_slice(&concat(deps));
                out.extend_from_slice(&bytes[l.deps_at..l.actor_at]);
            }
            None => out.extend_from_slice(&bytes[..l.actor_at]),
        }
        if how & HOW_ACTOR != 0 {
            out.extend_from_slice(sender.as_bytes());
        }
        out.extend_from_slice(&bytes[l.actor_at..]);
        out
    };
    if how & HOW_DEPS == 0 {
        return verified(build(None))
            .map(Some)
            .ok_or(SessionError::BadMessage);
    }
    for base in bases {
        if base.len() as u64 == l.deps {
            if let Some(found) = verified(build(Some(&sorted(base.clone())))) {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// A decoded push: each chunk's bytes as sent and how, and the sender's heads.
struct Decoded {
    chunks: Vec<(u8, Vec<u8>)>,
    head_refs: Vec<usize>,
    extra_heads: Vec<ChangeHash>,
}

fn decode(body: &[u8]) -> Result<Decoded, SessionError> {
    let bad = SessionError::BadMessage;
    let mut at = 0;
    let byte = |at: &mut usize| -> Result<u8, SessionError> {
        let b = *body.get(*at).ok_or(SessionError::BadMessage)?;
        *at += 1;
        Ok(b)
    };
    let n = usize::from(byte(&mut at)?);
    if n == 0 {
        return Err(bad);
    }
    if n > MAX_PUSH_CHANGES {
        return Err(SessionError::TooManyChanges(n));
    }
    let mut chunks = Vec::with_capacity(n);
    for _ in 0..n {
        let how = byte(&mut at)?;
        if how & !(HOW_DEPS | HOW_ACTOR) != 0 {
            return Err(SessionError::BadMessage);
        }
        let len = leb(body, &mut at).ok_or(SessionError::BadMessage)?;
        let len = usize::try_from(len).map_err(|_| SessionError::BadMessage)?;
        let end = at.checked_add(len).ok_or(SessionError::BadMessage)?;
        let bytes = body.get(at..end).ok_or(SessionError::BadMessage)?;
        at = end;
        chunks.push((how, bytes.to_vec()));
    }
    let k = usize::from(byte(&mut at)?);
    let mut head_refs = Vec::with_capacity(k);
    for _ in 0..k {
        let i = usize::from(byte(&mut at)?);
        if i >= n {
            return Err(SessionError::BadMessage);
        }
        head_refs.push(i);
    }
    let m = usize::from(byte(&mut at)?);
    if m > MAX_EXTRA_HEADS || k + m == 0 {
        return Err(SessionError::BadMessage);
    }
    let mut extra_heads = Vec::with_capacity(m);
    for _ in 0..m {
        let end = at + 32;
        let h = body.get(at..end).ok_or(SessionError::BadMessage)?;
        extra_heads.push(ChangeHash::try_from(h).map_err(|_| SessionError::BadMessage)?);
        at = end;
    }
    if at != body.len() {
        return Err(SessionError::BadMessage);
    }
    Ok(Decoded {
        chunks,
        head_refs,
        extra_heads,
    })
}

/// Encodes change chunks and heads as a `Push` frame, leaving out what `bases` and `sender`
/// let the receiver restore. `None` if they do not fit in a push.
fn encode(
    chunks: &[&[u8]],
    heads: &[ChangeHash],
    bases: &[Vec<ChangeHash>],
    sender: &DeviceId,
) -> Option<(Frame, Vec<ChangeHash>)> {
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    if chunks.is_empty() || chunks.len() > MAX_PUSH_CHANGES || total > MAX_PUSH_BYTES {
        return None;
    }
    let mut hashes = Vec::with_capacity(chunks.len());
    for c in chunks {
        // Only change chunks: a whole document (Automerge's answer to an empty peer) is not
        // something to push.
        hashes.push(Change::try_from(*c).ok()?.hash());
    }
    let mut head_refs = Vec::new();
    let mut extra = Vec::new();
    for h in heads {
        match hashes.iter().position(|x| x == h) {
            Some(i) => head_refs.push(i as u8),
            None => extra.push(*h),
        }
    }
    if heads.is_empty() || extra.len() > MAX_EXTRA_HEADS {
        return None;
    }
    let mut body = Vec::with_capacity(total + 8);
    body.push(chunks.len() as u8);
    for (i, c) in chunks.iter().enumerate() {
        // A chunk may also depend on exactly the chunk before it (several commits in a row).
        let mut bases = bases.to_vec();
        if i > 0 {
            bases.push(vec![hashes[i - 1]]);
        }
        let (how, bytes) = elide(c, &bases, sender);
        body.push(how);
        write_leb(&mut body, bytes.len() as u64);
        body.extend_from_slice(&bytes);
    }
    body.push(head_refs.len() as u8);
    body.extend_from_slice(&head_refs);
    body.push(extra.len() as u8);
    for h in &extra {
        body.extend_from_slice(&h.0);
    }
    Some((deflate_push(body), hashes))
}

/// A push frame without anything left out: for tests that hand-craft pushes.
pub fn push_frame(chunks: &[&[u8]], heads: &[ChangeHash]) -> Option<Frame> {
    encode(chunks, heads, &[], &DeviceId::from_bytes([0; 32])).map(|(f, _)| f)
}

/// Deflates a push body when that saves anything (change chunks keep their text raw).
fn deflate_push(body: Vec<u8>) -> Frame {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let compressed = enc.write_all(&body).ok().and_then(|()| enc.finish().ok());
    match compressed {
        Some(c) if c.len() < body.len() => Frame::Push {
            flags: FLAG_DEFLATE,
            body: c,
        },
        _ => Frame::Push { flags: 0, body },
    }
}

impl Session {
    /// Sends a message Automerge generated: as a push when this live session can, otherwise as
    /// an ordinary `Sync`.
    pub(super) fn send_live(&mut self, doc: &mut AutoCommit, msg: Message, now_ms: u64) {
        if !self.live {
            return self.send_message(msg, now_ms);
        }
        let plain = msg.need.is_empty()
            && msg.flags.is_some_and(|f| {
                f.contains(MessageFlags::SUPPORTS_SYNC_RESET)
                    && !f.contains(MessageFlags::SYNC_RESET)
                    && !f.contains(MessageFlags::READ_ONLY)
            })
            && msg.heads == doc.get_heads();
        let encoded = match self.peer {
            Some(_) if plain => {
                // Sets the receiver holds, as far as this side knows: what it last said it has,
                // and what both sides last agreed on.
                let mut bases = vec![self.sync.shared_heads.clone()];
                if let Some(theirs) = &self.sync.their_heads {
                    bases.push(theirs.clone());
                }
                let chunks: Vec<&[u8]> = msg.changes.iter().collect();
                encode(&chunks, &msg.heads, &bases, &self.local.device)
            }
            _ => None,
        };
        let Some((frame, hashes)) = encoded else {
            return self.send_message(msg, now_ms);
        };
        if self.push.outstanding.len() >= MAX_OUTSTANDING {
            self.push.outstanding.remove(0);
        }
        self.push.outstanding.push(Outstanding {
            digest: digest(&msg.heads),
            heads: msg.heads,
            hashes,
        });
        self.push.pushes_sent += 1;
        self.send(&frame);
        self.awaiting_reply_since = Some(now_ms);
    }

    pub(super) fn on_push(
        &mut self,
        doc: &mut AutoCommit,
        flags: u8,
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), SessionError> {
        self.awaiting_reply_since = None;
        let raw = self.inflated(flags, body)?;
        let decoded = match decode(&raw) {
            Ok(d) => d,
            Err(e) => return Err(self.fail(e)),
        };
        if decoded.chunks.len() > self.limits.max_changes_per_message {
            return Err(self.fail(SessionError::TooManyChanges(decoded.chunks.len())));
        }
        let Some(peer) = self.peer else {
            return Err(self.fail(SessionError::Protocol("a push before hello")));
        };
        let mut bases = vec![doc.get_heads(), self.sync.shared_heads.clone()];
        if let Some(theirs) = &self.sync.their_heads {
            bases.push(theirs.clone());
        }
        let mut chunks = Vec::with_capacity(decoded.chunks.len());
        let mut hashes: Vec<ChangeHash> = Vec::with_capacity(decoded.chunks.len());
        for (how, bytes) in &decoded.chunks {
            let mut bases = bases.clone();
            if let Some(prev) = hashes.last() {
                bases.push(vec![*prev]);
            }
            match restore(*how, bytes, &bases, &peer) {
                Ok(Some((chunk, hash))) => {
                    chunks.push(chunk);
                    hashes.push(hash);
                }
                Ok(None) => {
                    // Our view of the shared heads differs from the pusher's: ask for the same
                    // changes as an ordinary sync message.
                    // Not awaited: a refusal of a duplicate push gets no answer.
                    self.send(&Frame::PushAck { heads: None });
                    return Ok(());
                }
                Err(e) => return Err(self.fail(e)),
            }
        }
        let mut heads: Vec<ChangeHash> = decoded.head_refs.iter().map(|&i| hashes[i]).collect();
        heads.extend(decoded.extra_heads);
        let mut heads = sorted(heads);
        heads.dedup();

        // Will every change apply, so that we end up holding the pusher's heads? (A hash lookup
        // per dependency: `get_change_meta_by_hash` would walk the document's operations.)
        let pushed: std::collections::HashSet<ChangeHash> = hashes.iter().copied().collect();
        let mut outside: Vec<ChangeHash> = heads
            .iter()
            .filter(|h| !pushed.contains(h))
            .copied()
            .collect();
        for chunk in &chunks {
            let change = Change::try_from(&chunk[..]).map_err(|_| SessionError::BadMessage);
            let change = match change {
                Ok(c) => c,
                Err(e) => return Err(self.fail(e)),
            };
            outside.extend(change.deps().iter().filter(|d| !pushed.contains(d)));
        }
        let complete = doc.get_missing_deps(&outside).is_empty();
        let msg = heads_message(heads.clone(), chunks, complete);
        self.apply(doc, msg, None)?;
        let reply = doc.sync().generate_sync_message(&mut self.sync);
        match reply {
            Some(m)
                if self.live
                    && m.changes.is_empty()
                    && m.need.is_empty()
                    && sorted(m.heads.clone()) == heads =>
            {
                // Our answer would only repeat the pusher's heads: say so in 8 bytes. An ack is
                // never answered, as if the pusher's `Idle` had already come.
                self.send(&Frame::PushAck {
                    heads: Some(digest(&heads)),
                });
                self.sync.in_flight = false;
                self.events.push_back(Event::Quiet { equal: true });
            }
            Some(m) => self.send_live(doc, m, now_ms),
            None => self.nothing_to_say(doc, true),
        }
        Ok(())
    }

    pub(super) fn on_push_ack(
        &mut self,
        doc: &mut AutoCommit,
        heads: Option<[u8; 8]>,
        now_ms: u64,
    ) -> Result<(), SessionError> {
        self.awaiting_reply_since = None;
        let Some(d) = heads else {
            // Refused: let Automerge send the same changes again, as a `Sync`.
            for o in std::mem::take(&mut self.push.outstanding) {
                for h in &o.hashes {
                    self.sync.sent_hashes.remove(h);
                }
            }
            self.sync.in_flight = false;
            let msg = doc.sync().generate_sync_message(&mut self.sync);
            match msg {
                Some(msg) => self.send_message(msg, now_ms),
                None => self.settle(doc),
            }
            return Ok(());
        };
        let Some(i) = self.push.outstanding.iter().position(|o| o.digest == d) else {
            // Not an answer to a push we remember: worth no more than an `Idle`.
            self.on_idle(doc, now_ms);
            return Ok(());
        };
        let acked = self.push.outstanding.drain(..=i).next_back();
        if let Some(acked) = acked {
            // The answer the peer would have sent: it holds exactly the heads we pushed.
            self.apply(doc, heads_message(acked.heads, Vec::new(), true), None)?;
        }
        let msg = doc.sync().generate_sync_message(&mut self.sync);
        match msg {
            Some(msg) => self.send_live(doc, msg, now_ms),
            None => self.settle(doc),
        }
        Ok(())
    }

    /// Pushes this session sent (for tests and statistics).
    pub fn pushes_sent(&self) -> u64 {
        self.push.pushes_sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::inflate;
    use rapport_model::{ContactId, ContactPatch, Vault, VaultId};

    /// A vault and one change on top of `base`, written by `device`.
    fn one_change(device: DeviceId) -> (Vec<ChangeHash>, Vec<u8>, ChangeHash) {
        let mut v = Vault::create(device, "t", VaultId::from_u64(3), 1).unwrap();
        let base = v.heads();
        let patch = ContactPatch {
            name: Some("Grace Hopper".into()),
            ..ContactPatch::default()
        };
        v.add_contact(ContactId::from_u64(9), &patch, 2).unwrap();
        let change = v.doc_mut().get_changes(&base).remove(0);
        (base, change.raw_bytes().to_vec(), change.hash())
    }

    #[test]
    fn a_chunk_without_its_deps_and_actor_is_restored_from_the_right_base() {
        let device = DeviceId::from_bytes([0xab; 32]);
        let (base, chunk, hash) = one_change(device);
        let (how, short) = elide(&chunk, std::slice::from_ref(&base), &device);
        assert_eq!(how, HOW_DEPS | HOW_ACTOR);
        assert_eq!(short.len(), chunk.len() - 32 * base.len() - 32);
        let other = vec![ChangeHash([7; 32])];
        // The wrong base is tried first and refused by the checksum.
        let got = restore(how, &short, &[other.clone(), base.clone()], &device).unwrap();
        assert_eq!(got, Some((chunk.clone(), hash)));
        assert_eq!(restore(how, &short, &[other], &device).unwrap(), None);
        // The wrong actor fails the checksum too.
        let stranger = DeviceId::from_bytes([0xcd; 32]);
        assert_eq!(restore(how, &short, &[base], &stranger).unwrap(), None);
    }

    #[test]
    fn a_push_body_round_trips_and_rejects_trailing_or_missing_bytes() {
        let device = DeviceId::from_bytes([0x11; 32]);
        let (base, chunk, hash) = one_change(device);
        let (frame, hashes) = encode(&[&chunk], &[hash], &[base], &device).unwrap();
        assert_eq!(hashes, [hash]);
        let Frame::Push { flags, body } = frame else {
            panic!("not a push")
        };
        let raw = if flags & FLAG_DEFLATE != 0 {
            inflate(&body, 1 << 20).unwrap()
        } else {
            body
        };
        let d = decode(&raw).unwrap();
        assert_eq!(d.chunks.len(), 1);
        assert_eq!(d.head_refs, [0]);
        assert!(d.extra_heads.is_empty());
        let mut longer = raw.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        for cut in 0..raw.len() {
            assert!(decode(&raw[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_whole_document_is_never_pushed() {
        let device = DeviceId::from_bytes([0x22; 32]);
        let mut v = Vault::create(device, "t", VaultId::from_u64(3), 1).unwrap();
        let heads = v.heads();
        let doc = v.doc_mut().save();
        assert!(encode(&[&doc], &heads, &[], &device).is_none());
    }
}
