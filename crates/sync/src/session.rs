//! `Session`: one sync conversation with one peer about one vault.
//!
//! The protocol is ping-pong. After both hellos, the initiator sends an Automerge sync message;
//! whoever receives a `Sync` applies it and answers with its own `Sync`, or `Idle` if it has
//! nothing to add. An `Idle` is never answered with `Idle`, so the exchange settles. In a
//! one-shot session the initiator ends with `Done` (its heads) once it has nothing to send and
//! the heads match; in a live session both sides stay connected and a local change starts a
//! new exchange.

use crate::bundle::{self, BundleError};
use crate::frame::{
    Frame, FrameDecoder, FrameError, Hello, FLAG_BUNDLE, FLAG_DEFLATE, FLAG_DOC,
    MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
};
use crate::limits::Limits;
use crate::whole::WholeError;
use rapport_model::automerge::sync::{Message, State as SyncState, SyncDoc};
use rapport_model::automerge::{AutoCommit, Change, ChangeHash};
pub use rapport_model::Touched;
use rapport_model::{touched_from_patches, DeviceId, VaultId};
use std::collections::VecDeque;
use std::io::{Read, Write};

mod push;
pub use push::{push_frame, MAX_PUSH_BYTES, MAX_PUSH_CHANGES};

/// The vault id a device without a vault sends in its hello, to fetch the peer's vault.
pub const CLONE_VAULT: VaultId = VaultId::from_u64(0);

/// Which side opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Initiator,
    Responder,
}

/// What the session reports to its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The peer's hello was accepted.
    Connected { peer: DeviceId },
    /// Changes from the peer were applied to the vault; these records changed. The driver
    /// persists the vault (and this session's sync state) before acknowledging anything.
    Applied(Touched),
    /// The exchange settled: neither side has anything to send. `equal` when both hold the
    /// same heads as far as this side knows.
    Quiet { equal: bool },
    /// A one-shot session ended: `equal` when both sides hold the same heads.
    Finished { equal: bool },
    /// Right after the `Applied` of a whole document sent to this empty replica: that
    /// document as a zstd frame of `save_nocompress()` output, the form in which the store
    /// keeps snapshots. Valid as a snapshot only while the replica's heads are still
    /// `heads`. A driver that has no use for it drops it.
    WholeDocument {
        compressed: Vec<u8>,
        heads: Vec<ChangeHash>,
    },
}

/// Why a session ended badly. The peer is sent an `Error` frame where that makes sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("the peer speaks protocol version {0}, this device speaks {PROTOCOL_VERSION}: update rapport on the older device")]
    Version(u16),
    #[error("the peer holds a different vault")]
    WrongVault,
    #[error("the peer's hello names a device other than the one that authenticated")]
    WrongDevice,
    #[error("the peer broke the protocol: {0}")]
    Protocol(&'static str),
    #[error("the peer sent a sync message that does not decode")]
    BadMessage,
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Whole(#[from] crate::whole::WholeError),
    #[error("the peer sent a sync message with {0} change chunks, over the limit")]
    TooManyChanges(usize),
    #[error("the peer sent a sync message that inflates past {0} bytes")]
    TooBig(usize),
    #[error("the peer's changes could not be applied: {0}")]
    Apply(String),
    #[error("the session timed out: {0}")]
    Timeout(&'static str),
    #[error("the peer closed the session with error {code}: {reason}")]
    Peer { code: u16, reason: String },
    #[error("the session is closed")]
    Closed,
}

impl SessionError {
    /// The code sent to the peer in an `Error` frame.
    fn code(&self) -> u16 {
        match self {
            SessionError::Frame(_) | SessionError::Protocol(_) | SessionError::BadMessage => 1,
            SessionError::Version(_) => 2,
            SessionError::WrongVault => 3,
            SessionError::WrongDevice => 4,
            SessionError::TooManyChanges(_)
            | SessionError::TooBig(_)
            | SessionError::Bundle(BundleError::TooManyChanges { .. })
            | SessionError::Whole(WholeError::TooBig(_)) => 5,
            SessionError::Bundle(_) | SessionError::Whole(_) => 1,
            SessionError::Apply(_) => 6,
            SessionError::Timeout(_) => 7,
            SessionError::Peer { .. } | SessionError::Closed => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitHello,
    Running,
    Closed,
}

/// Byte and message counts, for status and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub frames_sent: u64,
    pub frames_received: u64,
}

/// One sync session. See the module docs for the protocol.
#[derive(Debug)]
pub struct Session {
    role: Role,
    live: bool,
    local: Hello,
    expected_peer: Option<DeviceId>,
    peer: Option<DeviceId>,
    peer_vault: Option<VaultId>,
    /// The protocol version of the peer's hello (0 until it arrives).
    peer_version: u16,
    /// The initiator sent its first sync message with its hello (see `start`).
    spoke_first: bool,
    phase: Phase,
    sync: SyncState,
    decoder: FrameDecoder,
    outbox: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    limits: Limits,
    started_ms: u64,
    awaiting_reply_since: Option<u64>,
    stats: SessionStats,
    push: push::PushState,
}

impl Session {
    /// Starts a session. `expected_peer` is the device id that the transport authenticated
    /// (the hello must name it); `sync_state` is what `encoded_sync_state` returned at the end of
    /// the last session with this peer, so a reconnect need not resend a Bloom filter of
    /// everything. A `live` session stays open after it settles.
    pub fn new(
        role: Role,
        local: Hello,
        expected_peer: Option<DeviceId>,
        sync_state: Option<&[u8]>,
        live: bool,
        limits: Limits,
        now_ms: u64,
    ) -> Session {
        // A state that does not decode only costs a fuller first exchange.
        let sync = sync_state
            .and_then(|b| SyncState::decode(b).ok())
            .unwrap_or_default();
        let mut s = Session {
            role,
            live,
            local,
            expected_peer,
            peer: None,
            peer_vault: None,
            peer_version: 0,
            spoke_first: false,
            phase: Phase::AwaitHello,
            sync,
            decoder: FrameDecoder::new(limits.max_frame_bytes),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            limits,
            started_ms: now_ms,
            awaiting_reply_since: Some(now_ms),
            stats: SessionStats::default(),
            push: push::PushState::default(),
        };
        s.send(&Frame::Hello(local));
        s
    }

    /// Lets an initiator send its first sync message right behind its hello instead of waiting
    /// for the peer's hello: a reconnect with nothing new then takes one round trip (hello and
    /// sync out, hello and answer back) and a closing `Done`. A no-op for a responder.
    pub fn start(&mut self, doc: &mut AutoCommit, now_ms: u64) {
        if self.role == Role::Initiator && self.phase == Phase::AwaitHello && !self.spoke_first {
            let msg = bundle::generate(doc, &mut self.sync);
            if let Some(msg) = msg {
                self.send_message(msg, now_ms);
                self.spoke_first = true;
            }
        }
    }

    /// The vault the peer holds, learnt from its hello when this side is cloning.
    pub fn peer_vault(&self) -> Option<VaultId> {
        self.peer_vault
    }

    /// The authenticated peer, once its hello arrived.
    pub fn peer(&self) -> Option<DeviceId> {
        self.peer
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// The sync state to persist for this peer (only the shared heads; a few hundred bytes).
    pub fn encoded_sync_state(&self) -> Vec<u8> {
        self.sync.encode()
    }

    /// Encoded frames to send, in order.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must next be called, in the caller's milliseconds.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.phase == Phase::Closed {
            return None;
        }
        let reply = self
            .awaiting_reply_since
            .map(|t| t + self.limits.reply_timeout_ms);
        let session = (!self.live).then(|| self.started_ms + self.limits.max_session_ms);
        match (reply, session) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now_ms: u64) -> Result<(), SessionError> {
        if self.phase == Phase::Closed {
            return Ok(());
        }
        if !self.live && now_ms >= self.started_ms + self.limits.max_session_ms {
            return Err(self.fail(SessionError::Timeout("it ran past its time limit")));
        }
        if let Some(since) = self.awaiting_reply_since {
            if now_ms >= since + self.limits.reply_timeout_ms {
                return Err(self.fail(SessionError::Timeout("the peer stopped answering")));
            }
        }
        Ok(())
    }

    /// Feeds bytes received from the peer.
    pub fn handle_bytes(
        &mut self,
        doc: &mut AutoCommit,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<(), SessionError> {
        if self.phase == Phase::Closed {
            return Err(SessionError::Closed);
        }
        self.stats.bytes_received += bytes.len() as u64;
        if let Err(e) = self.decoder.push(bytes) {
            return Err(self.fail(e.into()));
        }
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => self.handle_frame(doc, frame, now_ms)?,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(e.into())),
            }
            if self.phase == Phase::Closed {
                return Ok(());
            }
        }
    }

    /// Tells a live session that the vault changed locally, so the peer hears of it now.
    pub fn handle_local_change(&mut self, doc: &mut AutoCommit, now_ms: u64) {
        if self.phase == Phase::Running && self.awaiting_reply_since.is_none() {
            let msg = bundle::generate(doc, &mut self.sync);
            if let Some(msg) = msg {
                self.send_live(doc, msg, now_ms);
            }
        }
    }

    /// Anti-entropy for a long-lived live session: announces this side's heads again (with
    /// what it has since the shared heads) even though its sync state says the peer is up to
    /// date, so that a divergence the state cannot know of (a peer restored from a backup, a
    /// wake-up that was lost) is found and repaired. When nothing differs it costs one small
    /// `Sync` and the peer's `Idle`. A no-op unless the session is live and idle.
    pub fn resync(&mut self, doc: &mut AutoCommit, now_ms: u64) {
        if !self.live || self.phase != Phase::Running || self.awaiting_reply_since.is_some() {
            return;
        }
        self.sync.have_responded = false;
        self.sync.in_flight = false;
        if let Some(msg) = bundle::generate(doc, &mut self.sync) {
            self.send_message(msg, now_ms);
        }
    }

    /// Handles one decoded frame (the simulator feeds frames directly).
    pub fn handle_frame(
        &mut self,
        doc: &mut AutoCommit,
        frame: Frame,
        now_ms: u64,
    ) -> Result<(), SessionError> {
        self.stats.frames_received += 1;
        match (self.phase, frame) {
            (Phase::Closed, _) => Err(SessionError::Closed),
            (_, Frame::Error { code, reason }) => {
                self.phase = Phase::Closed;
                Err(SessionError::Peer { code, reason })
            }
            (Phase::AwaitHello, Frame::Hello(hello)) => self.on_hello(doc, hello, now_ms),
            (Phase::AwaitHello, _) => Err(self.fail(SessionError::Protocol("data before hello"))),
            (Phase::Running, Frame::Hello(_)) => {
                Err(self.fail(SessionError::Protocol("a second hello")))
            }
            (Phase::Running, Frame::Sync { flags, body }) => {
                self.on_sync(doc, flags, &body, now_ms)
            }
            (Phase::Running, Frame::Push { flags, body }) => {
                self.on_push(doc, flags, &body, now_ms)
            }
            (Phase::Running, Frame::PushAck { heads }) => self.on_push_ack(doc, heads, now_ms),
            (Phase::Running, Frame::Idle) => {
                self.on_idle(doc, now_ms);
                Ok(())
            }
            (Phase::Running, Frame::Done { heads }) => {
                // Only the initiator ends a session; a live responder simply lets it go.
                if self.role == Role::Initiator {
                    return Err(self.fail(SessionError::Protocol("an unexpected done")));
                }
                // An empty list means "the heads I last sent you", which the sync state holds.
                let ours = doc.get_heads();
                let equal = if heads.is_empty() {
                    self.heads_match(&ours)
                } else {
                    sorted(heads) == sorted(ours)
                };
                self.events.push_back(Event::Finished { equal });
                self.phase = Phase::Closed;
                Ok(())
            }
        }
    }

    fn on_hello(
        &mut self,
        doc: &mut AutoCommit,
        hello: Hello,
        now_ms: u64,
    ) -> Result<(), SessionError> {
        if hello.version < MIN_PROTOCOL_VERSION {
            return Err(self.fail(SessionError::Version(hello.version)));
        }
        self.peer_version = hello.version;
        // Vault id 0 means "no vault yet": a new device cloning from a trusted peer. The cloning
        // side adopts the peer's vault; the serving side lets a trusted device fetch it.
        let cloning_here = self.local.vault == CLONE_VAULT;
        let peer_cloning = hello.vault == CLONE_VAULT && self.role == Role::Responder;
        if hello.vault != self.local.vault && !cloning_here && !peer_cloning {
            return Err(self.fail(SessionError::WrongVault));
        }
        if cloning_here {
            if hello.vault == CLONE_VAULT {
                return Err(self.fail(SessionError::WrongVault));
            }
            self.peer_vault = Some(hello.vault);
        }
        if self.expected_peer.is_some_and(|p| p != hello.device) {
            return Err(self.fail(SessionError::WrongDevice));
        }
        self.peer = Some(hello.device);
        self.phase = Phase::Running;
        self.awaiting_reply_since = None;
        self.events
            .push_back(Event::Connected { peer: hello.device });
        if self.spoke_first {
            // Still waiting for the answer to the sync message sent with our hello.
            self.awaiting_reply_since = Some(now_ms);
        } else if self.role == Role::Initiator {
            self.speak(doc, now_ms);
        }
        Ok(())
    }

    fn on_sync(
        &mut self,
        doc: &mut AutoCommit,
        flags: u8,
        body: &[u8],
        now_ms: u64,
    ) -> Result<(), SessionError> {
        self.awaiting_reply_since = None;
        if flags & FLAG_DOC != 0 {
            let (msg, compressed) = self.whole_document(doc, body)?;
            self.apply(doc, msg, None)?;
            let heads = doc.get_heads();
            self.events
                .push_back(Event::WholeDocument { compressed, heads });
            self.speak(doc, now_ms);
            return Ok(());
        }
        let raw = self.inflated(flags, body)?;
        let mut msg = match Message::decode(&raw) {
            Ok(m) => m,
            Err(_) => return Err(self.fail(SessionError::BadMessage)),
        };
        let unpacked = if flags & FLAG_BUNDLE != 0 {
            bundle::unbundle(&mut msg, self.limits.max_changes_per_message).map(Some)
        } else {
            bundle::check_unmarked(&msg).map(|()| None)
        };
        let bundled = match unpacked {
            Ok(changes) => changes,
            Err(e) => return Err(self.fail(e.into())),
        };
        if msg.changes.len() > self.limits.max_changes_per_message {
            return Err(self.fail(SessionError::TooManyChanges(msg.changes.len())));
        }
        self.apply(doc, msg, bundled)?;
        self.speak(doc, now_ms);
        Ok(())
    }

    /// A frame body, inflated if its flags say it is deflated (bounded by the message limit).
    fn inflated(&mut self, flags: u8, body: &[u8]) -> Result<Vec<u8>, SessionError> {
        if flags & FLAG_DEFLATE == 0 {
            return Ok(body.to_vec());
        }
        inflate(body, self.limits.max_message_bytes).map_err(|e| self.fail(e))
    }

    /// Hands a message to Automerge (with its changes already decoded when they came as a
    /// bundle) and reports what it changed as `Event::Applied`.
    fn apply(
        &mut self,
        doc: &mut AutoCommit,
        msg: Message,
        bundled: Option<Vec<Change>>,
    ) -> Result<(), SessionError> {
        let before = doc.get_heads();
        let changes = !msg.changes.is_empty() || bundled.is_some();
        // Index what this message changes (Automerge's patch log), so that finding the touched
        // records costs the size of the change, not a diff of the whole document.
        if changes && !before.is_empty() {
            doc.update_diff_cursor();
        }
        let received = match bundled {
            Some(changes) => bundle::receive(doc, &mut self.sync, msg, changes),
            None => doc.sync().receive_sync_message(&mut self.sync, msg),
        };
        if received.is_ok() && before != doc.get_heads() {
            let touched = if before.is_empty() {
                // A whole vault arrived: everything is new, and the caller rebuilds its view.
                Touched {
                    other: true,
                    ..Touched::default()
                }
            } else {
                touched_from_patches(&doc.diff_incremental())
            };
            self.events.push_back(Event::Applied(touched));
        }
        if changes {
            // The patch log would otherwise record every later local edit too.
            doc.reset_diff_cursor();
        }
        received.map_err(|e| self.fail(SessionError::Apply(e.to_string())))
    }

    fn on_idle(&mut self, doc: &mut AutoCommit, now_ms: u64) {
        self.awaiting_reply_since = None;
        // The peer applied what we sent; let Automerge generate again if there is more.
        self.sync.in_flight = false;
        if self.sent_whole_document(doc, now_ms) {
            return;
        }
        let msg = bundle::generate(doc, &mut self.sync);
        match msg {
            Some(msg) => self.send_message(msg, now_ms),
            None => self.settle(doc),
        }
    }

    /// Answers the peer: a sync message if we have something to say, otherwise `Done` (a
    /// one-shot initiator whose heads match) or `Idle`.
    fn speak(&mut self, doc: &mut AutoCommit, now_ms: u64) {
        if self.sent_whole_document(doc, now_ms) {
            return;
        }
        let msg = bundle::generate(doc, &mut self.sync);
        match msg {
            Some(msg) => self.send_message(msg, now_ms),
            None => self.nothing_to_say(doc, true),
        }
    }

    /// After an `Idle` from the peer with nothing left to send: the exchange has settled.
    fn settle(&mut self, doc: &mut AutoCommit) {
        self.nothing_to_say(doc, false);
    }

    /// Neither side has more to send. A one-shot initiator whose heads match ends the session
    /// with `Done`; otherwise we answer `Idle` if the peer awaits an answer (never to an
    /// `Idle`, so the exchange cannot ping-pong forever).
    fn nothing_to_say(&mut self, doc: &mut AutoCommit, peer_awaits_answer: bool) {
        let heads = doc.get_heads();
        let equal = self.heads_match(&heads);
        if self.role == Role::Initiator && !self.live && equal {
            // The peer already has our heads from our last sync message: 32 bytes a head saved.
            self.send(&Frame::Done { heads: Vec::new() });
            self.events.push_back(Event::Finished { equal: true });
            self.phase = Phase::Closed;
            return;
        }
        if peer_awaits_answer {
            self.send(&Frame::Idle);
        }
        if equal || !peer_awaits_answer {
            self.events.push_back(Event::Quiet { equal });
        }
    }

    fn heads_match(&self, ours: &[ChangeHash]) -> bool {
        self.sync
            .their_heads
            .as_ref()
            .is_some_and(|theirs| sorted(theirs.clone()) == sorted(ours.to_vec()))
    }

    /// Sends an empty peer that speaks version 3 the whole document as a zstd frame (see
    /// `whole.rs`), if that is what it needs now; `false` if not, and nothing was sent.
    #[cfg(feature = "zstd")]
    fn sent_whole_document(&mut self, doc: &mut AutoCommit, now_ms: u64) -> bool {
        if self.peer_version < 3 {
            return false;
        }
        let Some((msg, compressed)) = crate::whole::generate(doc, &mut self.sync) else {
            return false;
        };
        self.send(&Frame::Sync {
            flags: FLAG_DOC,
            body: crate::whole::encode(msg, &compressed),
        });
        self.awaiting_reply_since = Some(now_ms);
        true
    }

    #[cfg(not(feature = "zstd"))]
    fn sent_whole_document(&mut self, _doc: &mut AutoCommit, _now_ms: u64) -> bool {
        false
    }

    /// A `FLAG_DOC` body: the message, with the whole document inflated into it, and the zstd
    /// frame it came in.
    #[cfg(feature = "zstd")]
    fn whole_document(
        &mut self,
        doc: &mut AutoCommit,
        body: &[u8],
    ) -> Result<(Message, Vec<u8>), SessionError> {
        let (msg, compressed) = crate::whole::split(body).map_err(|e| self.fail(e.into()))?;
        let mut msg = Message::decode(msg).map_err(|_| self.fail(SessionError::BadMessage))?;
        if !msg.changes.is_empty() {
            return Err(self.fail(SessionError::Protocol(
                "a whole-document message that also carries changes",
            )));
        }
        crate::whole::attach(doc, &mut msg, compressed, self.limits.max_message_bytes)
            .map_err(|e| self.fail(e.into()))?;
        Ok((msg, compressed.to_vec()))
    }

    #[cfg(not(feature = "zstd"))]
    fn whole_document(
        &mut self,
        _doc: &mut AutoCommit,
        _body: &[u8],
    ) -> Result<(Message, Vec<u8>), SessionError> {
        Err(self.fail(SessionError::Protocol(
            "a whole document in a form this build cannot read",
        )))
    }

    fn send_message(&mut self, msg: Message, now_ms: u64) {
        let bundled = if bundle::is_bundle(&msg) {
            FLAG_BUNDLE
        } else {
            0
        };
        let raw = msg.encode();
        let frame = match deflate_if_it_pays(&raw) {
            Some(compressed) => Frame::Sync {
                flags: FLAG_DEFLATE | bundled,
                body: compressed,
            },
            None => Frame::Sync {
                flags: bundled,
                body: raw,
            },
        };
        self.send(&frame);
        self.awaiting_reply_since = Some(now_ms);
    }

    fn send(&mut self, frame: &Frame) {
        let bytes = frame.encode();
        self.stats.bytes_sent += bytes.len() as u64;
        self.stats.frames_sent += 1;
        self.outbox.push_back(bytes);
    }

    /// Closes the session, telling the peer why (unless the peer is the one who failed).
    fn fail(&mut self, e: SessionError) -> SessionError {
        if self.phase != Phase::Closed && e.code() != 0 {
            self.send(&Frame::Error {
                code: e.code(),
                reason: e.to_string(),
            });
        }
        self.phase = Phase::Closed;
        e
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

/// Deflates a sync message when that saves at least 10%. Automerge sends an empty peer the
/// whole document, already compressed; a 64 KiB sample tells us so without spending a second
/// deflating megabytes for nothing.
fn deflate_if_it_pays(raw: &[u8]) -> Option<Vec<u8>> {
    const MIN: usize = 256;
    const SAMPLE: usize = 64 << 10;
    if raw.len() < MIN {
        return None;
    }
    if raw.len() > SAMPLE {
        let sample = deflate(&raw[..SAMPLE])?;
        if sample.len() * 10 > SAMPLE * 9 {
            return None;
        }
    }
    let out = deflate(raw)?;
    (out.len() * 10 <= raw.len() * 9).then_some(out)
}

fn deflate(raw: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(raw).ok()?;
    enc.finish().ok()
}

/// Inflates at most `max` bytes; more is an error, so a small frame cannot become a huge buffer.
fn inflate(body: &[u8], max: usize) -> Result<Vec<u8>, SessionError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::DeflateDecoder::new(body).take(max as u64 + 1);
    dec.read_to_end(&mut out)
        .map_err(|_| SessionError::BadMessage)?;
    if out.len() > max {
        return Err(SessionError::TooBig(max));
    }
    Ok(out)
}
