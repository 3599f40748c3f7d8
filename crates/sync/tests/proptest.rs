#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property tests for the wire format and the session.
//!
//! - Frames: encode/decode round trips for arbitrary frames, arbitrary bytes never panic the
//!   decoder, and a stream split at arbitrary points reassembles the same frames.
//! - Convergence: two or three replicas make random edits, then sync in pairs while proptest
//!   chooses which direction delivers its next frame (and where frames are split, and when a
//!   replica edits during a session); afterwards every replica holds the same heads.
//!
//! A failing case is shrunk and saved under `proptest-regressions/`, and replayed first by
//! every later run.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use rapport_model::automerge::ChangeHash;
use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind, NewInteraction, Vault,
    VaultId,
};
use rapport_sync::{Event, Frame, FrameDecoder, Hello, Limits, Role, Session, PROTOCOL_VERSION};
use std::collections::{BTreeMap, VecDeque};

/// Where shrunk failures are saved (and replayed from first): the crate's
/// `proptest-regressions/`. Proptest's default looks for a `lib.rs` beside the test file, which
/// an integration test does not have, and would write next to this file instead.
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/proptest.txt"
);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

// ---- frames ----

fn arb_hello() -> impl Strategy<Value = Hello> {
    (any::<u16>(), any::<u64>(), any::<[u8; 32]>()).prop_map(|(version, vault, device)| Hello {
        version,
        vault: VaultId::from_u64(vault),
        device: DeviceId::from_bytes(device),
    })
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        arb_hello().prop_map(Frame::Hello),
        (0u8..=3, vec(any::<u8>(), 0..=4096)).prop_map(|(flags, body)| Frame::Sync { flags, body }),
        Just(Frame::Idle),
        vec(any::<[u8; 32]>(), 0..=8).prop_map(|heads| Frame::Done {
            heads: heads.into_iter().map(ChangeHash).collect()
        }),
        // At most 64 characters of up to 4 bytes: well under the 1 KiB limit on reasons.
        (any::<u16>(), "\\PC{0,64}").prop_map(|(code, reason)| Frame::Error { code, reason }),
        (0u8..=1, vec(any::<u8>(), 0..=4096)).prop_map(|(flags, body)| Frame::Push { flags, body }),
        proptest::option::of(any::<[u8; 8]>()).prop_map(|heads| Frame::PushAck { heads }),
    ]
}

/// Input for the decoder: mostly plausible frames (a small length prefix, a known or unknown
/// type byte, a random body) so that the body parsers are reached, mixed with raw noise.
fn arb_wire_bytes() -> impl Strategy<Value = Vec<u8>> {
    let plausible = (0u8..=7, vec(any::<u8>(), 0..=80), any::<bool>()).prop_map(
        |(kind, body, honest_length)| {
            let len = if honest_length {
                body.len() as u32 + 1
            } else {
                body.len() as u32 / 2
            };
            let mut out = len.to_be_bytes().to_vec();
            out.push(kind);
            out.extend_from_slice(&body);
            out
        },
    );
    let noise = vec(any::<u8>(), 0..=64);
    vec(prop_oneof![3 => plausible, 1 => noise], 0..=8).prop_map(|parts| parts.concat())
}

/// Every complete frame the decoder holds, stopping at the first error.
fn drain(decoder: &mut FrameDecoder, out: &mut Vec<Frame>) -> Result<(), rapport_sync::FrameError> {
    while let Some(f) = decoder.next_frame()? {
        out.push(f);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_frame_survives_an_encode_decode_round_trip(frame in arb_frame()) {
        let bytes = frame.encode();
        let len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
        prop_assert_eq!(len, bytes.len() - 4, "the length prefix counts the body");
        prop_assert_eq!(Frame::decode(&bytes[4..]), Ok(frame.clone()));

        let mut decoder = FrameDecoder::new(8 << 10);
        decoder.push(&bytes).unwrap();
        prop_assert_eq!(decoder.next_frame(), Ok(Some(frame)));
        prop_assert_eq!(decoder.next_frame(), Ok(None));
        prop_assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn an_error_reason_over_1_kib_is_cut_at_a_char_boundary(
        code in any::<u16>(),
        reason in "\\PC{200,700}",
    ) {
        let frame = Frame::Error { code, reason: reason.clone() };
        let bytes = frame.encode();
        prop_assert!(bytes.len() <= 4 + 1 + 2 + 1024);
        match Frame::decode(&bytes[4..]) {
            Ok(Frame::Error { code: c, reason: r }) => {
                prop_assert_eq!(c, code);
                prop_assert!(reason.starts_with(&r), "the reason is a prefix of the original");
                prop_assert!(r.len() == reason.len() || r.len() + 4 > 1024);
            }
            other => prop_assert!(false, "decoded {:?}", other),
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(
        bytes in arb_wire_bytes(),
        cuts in vec(any::<Index>(), 0..6),
        max in prop_oneof![Just(0u32), 1u32..=128, Just(32u32 << 20)],
    ) {
        // Straight through the body parser.
        if bytes.len() > 4 {
            let _ = Frame::decode(&bytes[4..]);
        }
        let _ = Frame::decode(&bytes);
        // And through the decoder, in pieces, as a session would see it.
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut decoder = FrameDecoder::new(max);
        let mut frames = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([bytes.len()]) {
            if decoder.push(&bytes[start..end]).is_err() || drain(&mut decoder, &mut frames).is_err() {
                // A session closes here.
                return Ok(());
            }
            // What stays buffered is at most one incomplete frame within the limit.
            prop_assert!(decoder.buffered() <= max as usize + 4);
            start = end;
        }
    }

    #[test]
    fn a_stream_split_anywhere_reassembles_the_same_frames(
        frames in vec(arb_frame(), 1..8),
        cuts in vec(any::<Index>(), 0..12),
    ) {
        let bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut decoder = FrameDecoder::new(8 << 10);
        let mut got = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([bytes.len()]) {
            decoder.push(&bytes[start..end]).unwrap();
            drain(&mut decoder, &mut got).unwrap();
            start = end;
        }
        prop_assert_eq!(got, frames);
        prop_assert_eq!(decoder.buffered(), 0);
    }
}

// ---- convergence under any delivery order ----

const VAULT: VaultId = VaultId::from_u64(7);
/// The contact that exists before any device forks, so every edit has a shared target.
const SHARED: ContactId = ContactId::from_u64(0x5a);
/// Frames delivered in one session before it must have gone quiet.
const MAX_STEPS: usize = 400;
/// Rounds of ring syncs (0-1, 1-2, ..., n-1 - 0) allowed to reach agreement.
const MAX_ROUNDS: usize = 3;

#[derive(Debug, Clone)]
enum Edit {
    AddContact,
    Tag { contact: Index, tag: u8 },
    Note { contact: Index },
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        Just(Edit::AddContact),
        (any::<Index>(), 0u8..6).prop_map(|(contact, tag)| Edit::Tag { contact, tag }),
        any::<Index>().prop_map(|contact| Edit::Note { contact }),
    ]
}

/// Which ends of a session are live (stay open, and hear of local edits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Both one-shot, as in the simulator.
    OneShot,
    /// `rapport sync` against a daemon: a one-shot initiator, a live responder.
    OneShotToLive,
    /// Two daemons.
    Live,
}

impl Mode {
    /// [initiator, responder].
    fn live(self) -> [bool; 2] {
        match self {
            Mode::OneShot => [false, false],
            Mode::OneShotToLive => [false, true],
            Mode::Live => [true, true],
        }
    }
}

/// One session in the schedule that proptest makes up, before the ring rounds.
#[derive(Debug, Clone)]
struct Plan {
    initiator: Index,
    responder: Index,
    mode: Mode,
    /// Edits made during the session: (at which delivery, by the initiator?, what). A live
    /// session makes all of them (when it goes quiet first, the next ones happen then); a
    /// one-shot session only those due before it ends.
    during: Vec<(u8, bool, Edit)>,
}

fn arb_plan() -> impl Strategy<Value = Plan> {
    (
        any::<Index>(),
        any::<Index>(),
        prop_oneof![
            Just(Mode::OneShot),
            Just(Mode::OneShotToLive),
            Just(Mode::Live)
        ],
        vec((0u8..8, any::<bool>(), arb_edit()), 0..5),
    )
        .prop_map(|(initiator, responder, mode, during)| Plan {
            initiator,
            responder,
            mode,
            during,
        })
}

#[derive(Debug, Clone)]
struct Scenario {
    peers: usize,
    /// Offline edits before any session: (which peer, what).
    offline: Vec<(Index, Edit)>,
    plans: Vec<Plan>,
    /// The delivery choices, used in turn by every session (cycled): bit 0 picks the direction
    /// when both have a frame queued; the other bits, when non-zero, split the frame in two.
    order: Vec<u8>,
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (
        2usize..=3,
        vec((any::<Index>(), arb_edit()), 1..10),
        vec(arb_plan(), 0..4),
        vec(any::<u8>(), 1..48),
    )
        .prop_map(|(peers, offline, plans, order)| Scenario {
            peers,
            offline,
            plans,
            order,
        })
}

struct Peer {
    device: DeviceId,
    vault: Vault,
    /// Sync state saved per remote peer at the end of each session, as the driver does.
    states: BTreeMap<usize, Vec<u8>>,
    next_id: u64,
    now: i64,
}

fn device(i: usize) -> DeviceId {
    let mut b = [0u8; 32];
    b[0] = 0xd0;
    b[31] = i as u8 + 1;
    DeviceId::from_bytes(b)
}

fn peers(n: usize) -> Vec<Peer> {
    let mut first = Vault::create(device(0), "peer 0", VAULT, 0).unwrap();
    let patch = ContactPatch {
        name: Some("Shared".into()),
        ..ContactPatch::default()
    };
    first.add_contact(SHARED, &patch, 1).unwrap();
    (0..n)
        .map(|i| Peer {
            device: device(i),
            vault: first.fork_as(device(i)),
            states: BTreeMap::new(),
            next_id: 1,
            now: 10,
        })
        .collect()
}

impl Peer {
    fn apply(&mut self, who: usize, edit: &Edit) {
        self.now += 1;
        let now = self.now;
        let fresh = ((who as u64 + 1) << 32) | self.next_id;
        self.next_id += 1;
        let contacts: Vec<ContactId> = self
            .vault
            .contacts()
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        match edit {
            Edit::AddContact => {
                let patch = ContactPatch {
                    name: Some(format!("Person {fresh:x}")),
                    ..ContactPatch::default()
                };
                self.vault
                    .add_contact(ContactId::from_u64(fresh), &patch, now)
                    .unwrap();
            }
            Edit::Tag { contact, tag } => {
                let patch = ContactPatch {
                    add_tags: vec![format!("t{tag}")],
                    ..ContactPatch::default()
                };
                // Already tagged so is a no-op, which is fine.
                let _ = self
                    .vault
                    .edit_contact(*contact.get(&contacts), &patch, now)
                    .unwrap();
            }
            Edit::Note { contact } => {
                let new = NewInteraction {
                    contacts: vec![*contact.get(&contacts)],
                    at: now,
                    kind: InteractionKind::Note,
                    text: format!("note {fresh:x}"),
                    place: None,
                };
                self.vault
                    .add_interaction(InteractionId::from_u64(fresh), &new, now)
                    .unwrap();
            }
        }
        self.vault.take_touched();
    }
}

fn sorted_heads(v: &mut Vault) -> Vec<ChangeHash> {
    let mut h = v.heads();
    h.sort();
    h
}

fn materialise(v: &Vault) -> String {
    format!(
        "{:?}\n{:?}",
        v.contacts().unwrap(),
        v.interactions().unwrap()
    )
}

/// Borrows two distinct peers mutably.
fn pair(peers: &mut [Peer], a: usize, b: usize) -> (&mut Peer, &mut Peer) {
    assert_ne!(a, b);
    if a < b {
        let (lo, hi) = peers.split_at_mut(b);
        (&mut lo[a], &mut hi[0])
    } else {
        let (lo, hi) = peers.split_at_mut(a);
        (&mut hi[0], &mut lo[b])
    }
}

/// How a session between two peers ended.
#[derive(Debug, Default)]
struct Outcome {
    finished_equal: [Option<bool>; 2],
    edited_during: bool,
}

/// Runs one session between peers `a` (initiator) and `b` (responder) until nothing is in
/// flight, delivering one frame per step in the direction `order` picks.
fn run_session(
    peers: &mut [Peer],
    (a, b): (usize, usize),
    mode: Mode,
    during: &[(u8, bool, Edit)],
    order: &[u8],
    cursor: &mut usize,
) -> Result<Outcome, String> {
    let (pa, pb) = pair(peers, a, b);
    let live = mode.live();
    let hello = |p: &Peer| Hello {
        version: PROTOCOL_VERSION,
        vault: VAULT,
        device: p.device,
    };
    let mut sessions = [
        Session::new(
            Role::Initiator,
            hello(pa),
            Some(pb.device),
            pa.states.get(&b).map(Vec::as_slice),
            live[0],
            Limits::default(),
            0,
        ),
        Session::new(
            Role::Responder,
            hello(pb),
            Some(pa.device),
            pb.states.get(&a).map(Vec::as_slice),
            live[1],
            Limits::default(),
            0,
        ),
    ];
    let sides = [pa, pb];
    let who = [a, b];
    // queues[k]: frames travelling *to* side k.
    let mut queues: [VecDeque<Vec<u8>>; 2] = [VecDeque::new(), VecDeque::new()];
    let mut outcome = Outcome::default();
    let mut pending: Vec<&(u8, bool, Edit)> = during.iter().collect();
    pending.sort_by_key(|d| d.0);
    let mut pending: VecDeque<&(u8, bool, Edit)> = pending.into();
    let mut clock = 0usize;
    for step in 0..MAX_STEPS {
        // Edits made now, at either end (possibly both: then both speak at once).
        while let Some((at, by_initiator, edit)) = pending.front().copied() {
            if usize::from(*at) > clock {
                break;
            }
            pending.pop_front();
            let side = usize::from(!*by_initiator);
            sides[side].apply(who[side], edit);
            outcome.edited_during = true;
            if live[side] {
                // The driver tells a live session about local changes.
                sessions[side].handle_local_change(sides[side].vault.doc_mut(), step as u64);
            }
        }
        clock += 1;
        for k in 0..2 {
            while let Some(bytes) = sessions[k].poll_transmit() {
                queues[1 - k].push_back(bytes);
            }
        }
        let choice = order[*cursor % order.len()];
        *cursor += 1;
        let to = match (queues[0].is_empty(), queues[1].is_empty()) {
            (true, true) => {
                if mode == Mode::Live {
                    if let Some((at, _, _)) = pending.front() {
                        // A live session outlasts its quiet spells: the next edits happen now.
                        clock = usize::from(*at);
                        continue;
                    }
                }
                // Quiet. Save what the driver would save, and stop.
                for k in 0..2 {
                    sides[k]
                        .states
                        .insert(who[1 - k], sessions[k].encoded_sync_state());
                }
                let both_closed = sessions[0].is_closed() && sessions[1].is_closed();
                if !live[0] && !both_closed {
                    return Err(format!(
                        "one-shot session {a}->{b} went quiet without closing"
                    ));
                }
                return Ok(outcome);
            }
            (false, true) => 0,
            (true, false) => 1,
            (false, false) => usize::from(choice & 1),
        };
        let bytes = queues[to].pop_front().unwrap();
        if sessions[to].is_closed() {
            // A closed session's driver only drains what is still arriving.
            continue;
        }
        let split = usize::from(choice >> 1);
        let pieces: Vec<&[u8]> = if split > 0 && bytes.len() > 1 {
            let at = split % bytes.len();
            vec![&bytes[..at], &bytes[at..]]
        } else {
            vec![&bytes[..]]
        };
        for piece in pieces {
            sessions[to]
                .handle_bytes(sides[to].vault.doc_mut(), piece, step as u64)
                .map_err(|e| format!("session {a}->{b}: side {to} failed at step {step}: {e}"))?;
        }
        while let Some(event) = sessions[to].poll_event() {
            if let Event::Finished { equal } = event {
                outcome.finished_equal[to] = Some(equal);
            }
        }
    }
    Err(format!(
        "session {a}->{b} still busy after {MAX_STEPS} deliveries"
    ))
}

fn converged(peers: &mut [Peer]) -> bool {
    let first = sorted_heads(&mut peers[0].vault);
    peers
        .iter_mut()
        .all(|p| sorted_heads(&mut p.vault) == first)
}

fn check_scenario(s: &Scenario) -> Result<(), TestCaseError> {
    let n = s.peers;
    let mut peers = peers(n);
    for (who, edit) in &s.offline {
        let i = who.index(n);
        peers[i].apply(i, edit);
    }
    let mut cursor = 0;
    for plan in &s.plans {
        let a = plan.initiator.index(n);
        let b = (a + 1 + plan.responder.index(n - 1)) % n;
        let outcome = run_session(
            &mut peers,
            (a, b),
            plan.mode,
            &plan.during,
            &s.order,
            &mut cursor,
        )
        .map_err(TestCaseError::fail)?;
        // A session leaves the two peers identical, unless a peer edited during it after its
        // one-shot end had closed or without telling it (that edit waits for the next
        // session). Two live ends hear of every edit, so they go quiet only once they agree.
        if plan.mode == Mode::Live || !outcome.edited_during {
            let (pa, pb) = pair(&mut peers, a, b);
            prop_assert_eq!(
                sorted_heads(&mut pa.vault),
                sorted_heads(&mut pb.vault),
                "session {}->{} went quiet with the peers apart",
                a,
                b
            );
        }
        if plan.mode != Mode::Live && !outcome.edited_during {
            prop_assert_eq!(outcome.finished_equal, [Some(true), Some(true)]);
        }
    }
    let mut rounds = 0;
    while !converged(&mut peers) {
        prop_assert!(
            rounds < MAX_ROUNDS,
            "no agreement after {} ring rounds",
            MAX_ROUNDS
        );
        for i in 0..n {
            let outcome = run_session(
                &mut peers,
                (i, (i + 1) % n),
                Mode::OneShot,
                &[],
                &s.order,
                &mut cursor,
            )
            .map_err(TestCaseError::fail)?;
            prop_assert_eq!(outcome.finished_equal, [Some(true), Some(true)]);
        }
        rounds += 1;
    }
    let first = materialise(&peers[0].vault);
    for (i, p) in peers.iter().enumerate().skip(1) {
        prop_assert_eq!(
            &materialise(&p.vault),
            &first,
            "peer {} shows another vault",
            i
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn replicas_converge_for_any_delivery_order(s in arb_scenario()) {
        check_scenario(&s)?;
    }
}
