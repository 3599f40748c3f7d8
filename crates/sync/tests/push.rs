//! The live fast path: a local commit in a settled live session goes as one `Push` frame and
//! comes back as one `PushAck`, and anything unusual falls back to the ordinary exchange.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_model::automerge::ChangeHash;
use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind, NewInteraction, Vault,
    VaultId,
};
use rapport_sync::{
    push_frame, Event, Frame, Hello, Limits, Role, Session, SessionError, PROTOCOL_VERSION,
};

const VAULT: VaultId = VaultId::from_u64(77);
const CONTACT: ContactId = ContactId::from_u64(0x0123_4567_89ab_cdef);

struct Side {
    vault: Vault,
    device: DeviceId,
    events: Vec<Event>,
}

fn seeded(name: &str) -> ChaCha8Rng {
    let h = blake3::hash(name.as_bytes());
    ChaCha8Rng::seed_from_u64(u64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap()))
}

/// Two devices with random 32-byte ids (as real ones are), one contact, forked from one vault.
fn two_sides(rng: &mut ChaCha8Rng) -> [Side; 2] {
    let mut ids = [[0u8; 32]; 2];
    rng.fill_bytes(&mut ids[0]);
    rng.fill_bytes(&mut ids[1]);
    let (a, b) = (DeviceId::from_bytes(ids[0]), DeviceId::from_bytes(ids[1]));
    let mut first = Vault::create(a, "a", VAULT, 1).unwrap();
    let patch = ContactPatch {
        name: Some("Ada Lovelace".into()),
        ..ContactPatch::default()
    };
    first.add_contact(CONTACT, &patch, 2).unwrap();
    [
        Side {
            vault: first.fork_as(a),
            device: a,
            events: Vec::new(),
        },
        Side {
            vault: first.fork_as(b),
            device: b,
            events: Vec::new(),
        },
    ]
}

fn session(role: Role, me: &Side, peer: &Side, state: Option<&[u8]>, live: bool) -> Session {
    let hello = Hello {
        version: PROTOCOL_VERSION,
        vault: VAULT,
        device: me.device,
    };
    Session::new(
        role,
        hello,
        Some(peer.device),
        state,
        live,
        Limits::default(),
        0,
    )
}

fn note(side: &mut Side, n: u64) -> InteractionId {
    let id = InteractionId::from_u64(0xfeed_0000 + n);
    let new = NewInteraction {
        contacts: vec![CONTACT],
        at: 1_760_000_000_000 + n as i64,
        kind: InteractionKind::Note,
        text: format!("Talked about the budget and the roadmap; follow up next week ({n})."),
        place: None,
    };
    side.vault
        .add_interaction(id, &new, 1_760_000_000_000 + n as i64)
        .unwrap();
    side.vault.take_touched();
    id
}

fn frame_of(bytes: &[u8]) -> Frame {
    Frame::decode(&bytes[4..]).unwrap()
}

/// What one pump moved: (from side, frame, bytes on the wire).
type Log = Vec<(usize, Frame, usize)>;

/// Delivers frames both ways until neither session has anything to send.
fn pump(s: &mut [Session; 2], sides: &mut [Side; 2]) -> Result<Log, SessionError> {
    let mut log = Vec::new();
    for _ in 0..100 {
        let mut moved = false;
        for from in 0..2 {
            let to = 1 - from;
            while let Some(bytes) = s[from].poll_transmit() {
                moved = true;
                log.push((from, frame_of(&bytes), bytes.len()));
                if s[to].is_closed() {
                    continue;
                }
                s[to].handle_bytes(sides[to].vault.doc_mut(), &bytes, 1)?;
                while let Some(e) = s[to].poll_event() {
                    sides[to].events.push(e);
                }
            }
        }
        if !moved {
            return Ok(log);
        }
    }
    panic!("the sessions never went quiet");
}

fn sorted_heads(v: &mut Vault) -> Vec<ChangeHash> {
    let mut h = v.heads();
    h.sort();
    h
}

/// Two live sessions that have finished their first exchange.
fn settled(sides: &mut [Side; 2]) -> [Session; 2] {
    let mut s = [
        session(Role::Initiator, &sides[0], &sides[1], None, true),
        session(Role::Responder, &sides[1], &sides[0], None, true),
    ];
    s[0].start(sides[0].vault.doc_mut(), 0);
    pump(&mut s, sides).unwrap();
    for side in sides.iter_mut() {
        side.events.clear();
    }
    s
}

fn applied_notes(side: &Side) -> Vec<InteractionId> {
    side.events
        .iter()
        .filter_map(|e| match e {
            Event::Applied(t) => Some(t.interactions.iter().copied().collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_note_is_pushed_and_acknowledged_in_two_frames_under_300_bytes() {
    let mut rng = seeded("a_note_is_pushed_and_acknowledged_in_two_frames_under_300_bytes");
    let mut sides = two_sides(&mut rng);
    let mut s = settled(&mut sides);
    for n in 0..5 {
        let id = note(&mut sides[0], n);
        s[0].handle_local_change(sides[0].vault.doc_mut(), 2);
        let log = pump(&mut s, &mut sides).unwrap();
        let kinds: Vec<(usize, &str)> = log
            .iter()
            .map(|(from, f, _)| {
                let k = match f {
                    Frame::Push { .. } => "push",
                    Frame::PushAck { heads: Some(_) } => "ack",
                    _ => "other",
                };
                (*from, k)
            })
            .collect();
        assert_eq!(kinds, [(0, "push"), (1, "ack")], "{log:?}");
        let bytes: usize = log.iter().map(|(_, _, n)| n).sum();
        assert!(bytes <= 300, "note {n}: {bytes} bytes both ways");
        assert_eq!(
            sorted_heads(&mut sides[0].vault),
            sorted_heads(&mut sides[1].vault)
        );
        assert_eq!(applied_notes(&sides[1]), [id]);
        // Both ends report the exchange settled (the driver saves the sync state then).
        for side in &sides {
            assert!(side.events.contains(&Event::Quiet { equal: true }));
        }
        sides[0].events.clear();
        sides[1].events.clear();
        // Nothing is left to say: Automerge's bookkeeping holds what the ack told it.
        s[0].handle_local_change(sides[0].vault.doc_mut(), 3);
        s[1].handle_local_change(sides[1].vault.doc_mut(), 3);
        assert!(pump(&mut s, &mut sides).unwrap().is_empty());
    }
    assert_eq!(s[0].pushes_sent(), 5);
}

#[test]
fn pushes_both_ways_and_crossing_pushes_converge() {
    let mut rng = seeded("pushes_both_ways_and_crossing_pushes_converge");
    let mut sides = two_sides(&mut rng);
    let mut s = settled(&mut sides);
    let b_note = note(&mut sides[1], 1);
    s[1].handle_local_change(sides[1].vault.doc_mut(), 2);
    pump(&mut s, &mut sides).unwrap();
    assert_eq!(applied_notes(&sides[0]), [b_note]);
    // Both write at once: the pushes cross.
    let a2 = note(&mut sides[0], 2);
    let b3 = note(&mut sides[1], 3);
    s[0].handle_local_change(sides[0].vault.doc_mut(), 3);
    s[1].handle_local_change(sides[1].vault.doc_mut(), 3);
    pump(&mut s, &mut sides).unwrap();
    assert_eq!(
        sorted_heads(&mut sides[0].vault),
        sorted_heads(&mut sides[1].vault)
    );
    assert!(applied_notes(&sides[1]).contains(&a2));
    assert!(applied_notes(&sides[0]).contains(&b3));
    // And the next note after the merge is a push again.
    note(&mut sides[0], 4);
    s[0].handle_local_change(sides[0].vault.doc_mut(), 4);
    let log = pump(&mut s, &mut sides).unwrap();
    assert!(
        matches!(log.first(), Some((0, Frame::Push { .. }, _))),
        "{log:?}"
    );
    assert_eq!(
        sorted_heads(&mut sides[0].vault),
        sorted_heads(&mut sides[1].vault)
    );
}

#[test]
fn a_push_whose_dependencies_are_missing_falls_back_and_converges() {
    let mut rng = seeded("a_push_whose_dependencies_are_missing_falls_back_and_converges");
    let mut sides = two_sides(&mut rng);
    let mut s = settled(&mut sides);
    let before = sides[0].vault.heads();
    let first = note(&mut sides[0], 1);
    let middle = sides[0].vault.heads();
    let second = note(&mut sides[0], 2);
    let changes = sides[0].vault.doc_mut().get_changes(&middle);
    assert_eq!(changes.len(), 1);
    assert_ne!(before, middle);
    // Only the second change, whose dependency B does not hold.
    let frame = push_frame(&[changes[0].raw_bytes()], &[changes[0].hash()]).unwrap();
    s[1].handle_bytes(sides[1].vault.doc_mut(), &frame.encode(), 2)
        .unwrap();
    let log = pump(&mut s, &mut sides).unwrap();
    assert!(
        matches!(log.first(), Some((1, Frame::Sync { .. }, _))),
        "{log:?}"
    );
    assert_eq!(
        sorted_heads(&mut sides[0].vault),
        sorted_heads(&mut sides[1].vault)
    );
    let got = applied_notes(&sides[1]);
    assert!(got.contains(&first) && got.contains(&second), "{got:?}");
}

#[test]
fn a_duplicate_push_is_harmless() {
    let mut rng = seeded("a_duplicate_push_is_harmless");
    let mut sides = two_sides(&mut rng);
    let mut s = settled(&mut sides);
    let id = note(&mut sides[0], 1);
    s[0].handle_local_change(sides[0].vault.doc_mut(), 2);
    let push = s[0].poll_transmit().unwrap();
    assert!(matches!(frame_of(&push), Frame::Push { .. }));
    for _ in 0..2 {
        s[1].handle_bytes(sides[1].vault.doc_mut(), &push, 2)
            .unwrap();
        while let Some(e) = s[1].poll_event() {
            sides[1].events.push(e);
        }
    }
    pump(&mut s, &mut sides).unwrap();
    assert!(!s[0].is_closed() && !s[1].is_closed());
    assert_eq!(applied_notes(&sides[1]), [id]);
    assert_eq!(
        sorted_heads(&mut sides[0].vault),
        sorted_heads(&mut sides[1].vault)
    );
    // The sessions still work, and still push.
    note(&mut sides[0], 2);
    s[0].handle_local_change(sides[0].vault.doc_mut(), 3);
    let log = pump(&mut s, &mut sides).unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        sorted_heads(&mut sides[0].vault),
        sorted_heads(&mut sides[1].vault)
    );
}

#[test]
fn a_garbage_push_closes_the_session_with_an_error() {
    let mut rng = seeded("a_garbage_push_closes_the_session_with_an_error");
    let bodies: Vec<(u8, Vec<u8>)> = vec![
        (0, Vec::new()),
        (0, vec![1, 0, 5, 1, 2]),
        (0, vec![1, 0, 3, 0x85, 0x6f, 0x4a, 1, 0, 0]),
        (1, vec![0xff; 40]),
        (0, {
            let mut b = vec![200u8];
            b.extend(std::iter::repeat_n(0u8, 400));
            b
        }),
        (0, {
            let mut b = vec![0u8; 300];
            rng.fill_bytes(&mut b);
            b[0] = 1;
            b
        }),
    ];
    for (flags, body) in bodies {
        let mut sides = two_sides(&mut rng);
        let mut s = settled(&mut sides);
        let heads = sides[1].vault.heads();
        let frame = Frame::Push {
            flags,
            body: body.clone(),
        };
        let err = s[1]
            .handle_bytes(sides[1].vault.doc_mut(), &frame.encode(), 2)
            .unwrap_err();
        assert!(
            matches!(
                err,
                SessionError::BadMessage | SessionError::TooManyChanges(_)
            ),
            "{body:?}: {err:?}"
        );
        assert!(s[1].is_closed());
        assert_eq!(sides[1].vault.heads(), heads);
        assert!(matches!(
            s[1].poll_transmit().map(|b| frame_of(&b)),
            Some(Frame::Error { .. })
        ));
    }
}

#[test]
fn a_refused_push_is_sent_again_as_a_sync() {
    let mut rng = seeded("a_refused_push_is_sent_again_as_a_sync");
    let mut sides = two_sides(&mut rng);
    let mut s = settled(&mut sides);
    let id = note(&mut sides[0], 1);
    s[0].handle_local_change(sides[0].vault.doc_mut(), 2);
    let push = s[0].poll_transmit().unwrap();
    assert!(matches!(frame_of(&push), Frame::Push { .. }));
    // The push is lost on the way and B refuses it (what it does when it cannot rebuild it).
    s[0].handle_bytes(
        sides[0].vault.doc_mut(),
        &Frame::PushAck { heads: None }.encode(),
        3,
    )
    .unwrap();
    let log = pump(&mut s, &mut sides).unwrap();
    assert!(
        matches!(log.first(), Some((0, Frame::Sync { .. }, _))),
        "{log:?}"
    );
    assert_eq!(applied_notes(&sides[1]), [id]);
    assert_eq!(
        sorted_heads(&mut sides[0].vault),
        sorted_heads(&mut sides[1].vault)
    );
}

/// Bytes of a one-shot reconnect (initiator sends its first message with its hello) from the
/// states two live sessions would have saved.
fn reconnect_bytes(sides: &mut [Side; 2], states: [Vec<u8>; 2]) -> u64 {
    let mut s = [
        session(
            Role::Initiator,
            &sides[0],
            &sides[1],
            Some(&states[0]),
            false,
        ),
        session(
            Role::Responder,
            &sides[1],
            &sides[0],
            Some(&states[1]),
            true,
        ),
    ];
    s[0].start(sides[0].vault.doc_mut(), 0);
    pump(&mut s, sides).unwrap();
    assert!(sides[0].events.contains(&Event::Finished { equal: true }));
    assert!(
        !sides
            .iter()
            .flat_map(|x| &x.events)
            .any(|e| matches!(e, Event::Applied(_))),
        "the reconnect resent changes"
    );
    s[0].stats().bytes_sent + s[1].stats().bytes_sent
}

#[test]
fn a_reconnect_after_pushes_costs_what_it_did_before() {
    let mut rng = seeded("a_reconnect_after_pushes_costs_what_it_did_before");
    let mut sides = two_sides(&mut rng);
    let s = settled(&mut sides);
    let states = [s[0].encoded_sync_state(), s[1].encoded_sync_state()];
    let before = reconnect_bytes(&mut sides, states.clone());
    for side in sides.iter_mut() {
        side.events.clear();
    }

    let mut s = [
        session(
            Role::Initiator,
            &sides[0],
            &sides[1],
            Some(&states[0]),
            true,
        ),
        session(
            Role::Responder,
            &sides[1],
            &sides[0],
            Some(&states[1]),
            true,
        ),
    ];
    s[0].start(sides[0].vault.doc_mut(), 0);
    pump(&mut s, &mut sides).unwrap();
    for n in 0..3 {
        let who = n % 2;
        note(&mut sides[who], n as u64);
        s[who].handle_local_change(sides[who].vault.doc_mut(), 2);
        pump(&mut s, &mut sides).unwrap();
    }
    assert_eq!(s[0].pushes_sent() + s[1].pushes_sent(), 3);
    let states = [s[0].encoded_sync_state(), s[1].encoded_sync_state()];
    for side in sides.iter_mut() {
        side.events.clear();
    }
    let after = reconnect_bytes(&mut sides, states);
    assert_eq!(after, before);
}
