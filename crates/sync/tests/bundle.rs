//! Sessions between replicas that each hold many changes the other lacks send those changes as
//! one Automerge bundle (`FLAG_BUNDLE`), smaller than the list of change chunks; an empty
//! replica still gets the whole document (as one zstd frame from protocol version 3 on, see
//! `whole.rs`, and as Automerge's `save()` for a version-2 peer); a bad bundle closes the session; and the golden
//! bundle under `fixtures/bundle/` still decodes and re-encodes byte for byte (the format is
//! experimental in Automerge: an upgrade that changes it must fail here, not in the field).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rapport_model::automerge::sync::{ChunkList, Message};
use rapport_model::automerge::transaction::{CommitOptions, Transactable};
use rapport_model::automerge::{ActorId, AutoCommit, ChangeHash, ROOT};
use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind, NewInteraction, Vault,
    VaultId,
};
use rapport_sync::bundle::{self, BundleError};
use rapport_sync::frame::{FLAG_BUNDLE, FLAG_DEFLATE, FLAG_DOC};
use rapport_sync::whole::{self, WholeError};
use rapport_sync::{Event, PROTOCOL_VERSION};
use rapport_sync::{Frame, Hello, Limits, Role, Session, SessionError, CLONE_VAULT};
use std::io::Read;
use std::path::PathBuf;

const VAULT: VaultId = VaultId::from_u64(7);

fn device(i: u8) -> DeviceId {
    DeviceId::from_bytes([i; 32])
}

fn hello(device: DeviceId, vault: VaultId) -> Hello {
    Hello {
        version: PROTOCOL_VERSION,
        vault,
        device,
    }
}

/// A common vault of 20 contacts, and two forks that each make `edits` offline edits (a note
/// or a tag on a contact, one commit each).
fn forks(edits: u64) -> (Vault, Vault) {
    let mut base = Vault::create(device(1), "base", VAULT, 0).unwrap();
    for i in 0..20 {
        let patch = ContactPatch {
            name: Some(format!("Person {i}")),
            ..ContactPatch::default()
        };
        base.add_contact(ContactId::from_u64(i + 1), &patch, 1)
            .unwrap();
    }
    let mut a = base.fork_as(device(1));
    let mut b = base.fork_as(device(2));
    for (k, v) in [&mut a, &mut b].into_iter().enumerate() {
        let k = k as u64 + 1;
        for i in 0..edits {
            let contact = ContactId::from_u64(i % 20 + 1);
            if i % 2 == 0 {
                let new = NewInteraction {
                    contacts: vec![contact],
                    at: 10 + i as i64,
                    kind: InteractionKind::Note,
                    text: format!("note {i} from device {k}"),
                    place: None,
                };
                v.add_interaction(InteractionId::from_u64(k << 32 | i), &new, 10 + i as i64)
                    .unwrap();
            } else {
                let patch = ContactPatch {
                    add_tags: vec![format!("t{k}-{i}")],
                    ..ContactPatch::default()
                };
                v.edit_contact(contact, &patch, 10 + i as i64).unwrap();
            }
        }
        v.take_touched();
    }
    (a, b)
}

/// Runs a one-shot session from `docs[0]` to `docs[1]` until both sides are quiet; returns the
/// frames each side sent.
fn run(docs: [&mut AutoCommit; 2], vaults: [VaultId; 2]) -> [Vec<Frame>; 2] {
    run_as(docs, vaults, PROTOCOL_VERSION).0
}

/// `run`, with the initiator speaking protocol `version`; also returns the initiator's events.
fn run_as(
    docs: [&mut AutoCommit; 2],
    vaults: [VaultId; 2],
    version: u16,
) -> ([Vec<Frame>; 2], Vec<Event>) {
    let mut sessions = [
        Session::new(
            Role::Initiator,
            Hello {
                version,
                ..hello(device(1), vaults[0])
            },
            Some(device(2)),
            None,
            false,
            Limits::default(),
            0,
        ),
        Session::new(
            Role::Responder,
            hello(device(2), vaults[1]),
            Some(device(1)),
            None,
            false,
            Limits::default(),
            0,
        ),
    ];
    sessions[0].start(docs[0], 0);
    let mut sent: [Vec<Frame>; 2] = [Vec::new(), Vec::new()];
    let mut events = Vec::new();
    for step in 1..10_000u64 {
        let mut moved = false;
        for k in 0..2 {
            while let Some(bytes) = sessions[k].poll_transmit() {
                moved = true;
                sent[k].push(Frame::decode(&bytes[4..]).unwrap());
                if !sessions[1 - k].is_closed() {
                    sessions[1 - k]
                        .handle_bytes(docs[1 - k], &bytes, step)
                        .unwrap_or_else(|e| panic!("side {} failed: {e}", 1 - k));
                }
            }
        }
        while let Some(e) = sessions[0].poll_event() {
            events.push(e);
        }
        if !moved {
            return (sent, events);
        }
    }
    panic!("the session did not settle");
}

fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut h = doc.get_heads();
    h.sort();
    h
}

/// The Automerge message in a Sync frame's body.
fn message(flags: u8, body: &[u8]) -> Message {
    let raw = if flags & FLAG_DEFLATE != 0 {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        body.to_vec()
    };
    Message::decode(&raw).unwrap()
}

#[test]
fn forks_with_many_concurrent_changes_converge_through_smaller_bundles() {
    let (mut a, mut b) = forks(300);
    let sent = run([a.doc_mut(), b.doc_mut()], [VAULT, VAULT]);
    assert_eq!(sorted_heads(a.doc_mut()), sorted_heads(b.doc_mut()));
    assert_eq!(
        format!("{:?}", a.contacts().unwrap()),
        format!("{:?}", b.contacts().unwrap())
    );
    for (side, frames) in sent.iter().enumerate() {
        let bundles: Vec<_> = frames
            .iter()
            .filter_map(|f| match f {
                Frame::Sync { flags, body } if flags & FLAG_BUNDLE != 0 => {
                    Some(message(*flags, body))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            bundles.len(),
            1,
            "side {side} sent {} bundles",
            bundles.len()
        );
        let mut msg = bundles[0].clone();
        let bundle_len = msg.changes.iter().next().unwrap().len();
        let changes = bundle::unbundle(&mut msg, 100_000).unwrap();
        assert_eq!(changes.len(), 300, "side {side}");
        assert!(msg.changes.is_empty());
        let listed: usize = changes.iter().map(|c| c.raw_bytes().len()).sum();
        assert!(
            bundle_len < listed,
            "side {side}: a {bundle_len}-byte bundle against {listed} bytes of change chunks"
        );
        // No frame carried the whole document (a document chunk has type 0).
        for f in frames {
            if let Frame::Sync { flags, body } = f {
                let m = message(*flags, body);
                assert!(
                    m.changes.iter().all(|c| c.get(8) != Some(&0)),
                    "side {side}"
                );
            }
        }
    }
}

#[test]
fn an_empty_device_gets_the_whole_document_as_one_zstd_frame_it_can_keep() {
    let (mut a, _) = forks(50);
    let mut empty = AutoCommit::new();
    let (sent, events) = run_as([&mut empty, a.doc_mut()], [CLONE_VAULT, VAULT], 3);
    assert_eq!(sorted_heads(&mut empty), sorted_heads(a.doc_mut()));
    let docs: Vec<&Vec<u8>> = sent[1]
        .iter()
        .filter_map(|f| match f {
            Frame::Sync { flags, body } if *flags == FLAG_DOC => Some(body),
            Frame::Sync { flags, .. } => {
                assert_eq!(flags & FLAG_BUNDLE, 0, "a bundle to an empty device");
                None
            }
            _ => None,
        })
        .collect();
    assert_eq!(docs.len(), 1, "the server did not send one whole document");
    let (msg, compressed) = whole::split(docs[0]).unwrap();
    assert!(Message::decode(msg).unwrap().changes.is_empty());
    // What the empty side was handed to keep: exactly that frame, and the heads it loads to.
    let kept: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::WholeDocument { compressed, heads } => Some((compressed, heads)),
            _ => None,
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].0.as_slice(), compressed);
    let plain = zstd::bulk::decompress(compressed, 1 << 30).unwrap();
    let mut loaded = AutoCommit::load(&plain).unwrap();
    assert_eq!(sorted_heads(&mut loaded), sorted_heads(a.doc_mut()));
    let mut heads = kept[0].1.clone();
    heads.sort();
    assert_eq!(heads, sorted_heads(a.doc_mut()));
}

/// The `FLAG_DOC` frame a responder holding `forks(50)` sends an empty version-3 device.
fn whole_document_frame() -> Vec<u8> {
    let (mut a, _) = forks(50);
    let mut empty = AutoCommit::new();
    let (sent, _) = run_as([&mut empty, a.doc_mut()], [CLONE_VAULT, VAULT], 3);
    let frame = sent[1]
        .iter()
        .find(|f| matches!(f, Frame::Sync { flags, .. } if *flags == FLAG_DOC))
        .expect("a whole document");
    frame.encode()
}

/// An initiator on `doc` that has seen its peer's hello.
fn initiator_after_hello(doc: &mut AutoCommit, vault: VaultId, limits: Limits) -> Session {
    let mut s = Session::new(
        Role::Initiator,
        hello(device(1), vault),
        Some(device(2)),
        None,
        false,
        limits,
        0,
    );
    s.handle_bytes(doc, &Frame::Hello(hello(device(2), VAULT)).encode(), 0)
        .unwrap();
    while s.poll_transmit().is_some() {}
    s
}

#[test]
fn a_whole_document_is_refused_by_a_replica_that_holds_data_or_over_the_limit() {
    let frame = whole_document_frame();
    let (mut b, _) = forks(1);
    let mut s = initiator_after_hello(b.doc_mut(), VAULT, Limits::default());
    let before = sorted_heads(b.doc_mut());
    assert_eq!(
        s.handle_bytes(b.doc_mut(), &frame, 1),
        Err(SessionError::Whole(WholeError::NotEmpty))
    );
    assert_eq!(sorted_heads(b.doc_mut()), before);

    let mut empty = AutoCommit::new();
    let small = Limits {
        max_message_bytes: 1000,
        ..Limits::default()
    };
    let mut s = initiator_after_hello(&mut empty, CLONE_VAULT, small);
    assert_eq!(
        s.handle_bytes(&mut empty, &frame, 1),
        Err(SessionError::Whole(WholeError::TooBig(1000)))
    );
    assert!(empty.get_heads().is_empty());
}

#[test]
fn a_version_2_device_still_gets_automerge_s_whole_document() {
    let (mut a, _) = forks(50);
    let mut empty = AutoCommit::new();
    let (sent, _) = run_as([&mut empty, a.doc_mut()], [CLONE_VAULT, VAULT], 2);
    assert_eq!(sorted_heads(&mut empty), sorted_heads(a.doc_mut()));
    let syncs: Vec<_> = sent[1]
        .iter()
        .filter_map(|f| match f {
            Frame::Sync { flags, body } => Some((*flags, message(*flags, body))),
            _ => None,
        })
        .collect();
    assert!(syncs.iter().all(|(flags, _)| flags & FLAG_BUNDLE == 0));
    let docs = syncs
        .iter()
        .filter(|(_, m)| m.changes.len() == 1 && m.changes.iter().all(|c| c[8] == 0))
        .count();
    assert_eq!(docs, 1, "the server did not send one whole document");
}

/// A responder that has seen the peer's hello, and a Sync frame marked as a bundle whose
/// message carries `chunk` as its changes.
fn bundle_frame_to_fresh_responder(chunk: Vec<u8>) -> (Vault, Session, Vec<u8>) {
    let (mut a, _) = forks(20);
    let mut s = Session::new(
        Role::Responder,
        hello(device(2), VAULT),
        Some(device(1)),
        None,
        false,
        Limits::default(),
        0,
    );
    s.handle_bytes(
        a.doc_mut(),
        &Frame::Hello(hello(device(1), VAULT)).encode(),
        0,
    )
    .unwrap();
    while s.poll_transmit().is_some() {}
    let msg = Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(chunk),
        flags: None,
        version: rapport_model::automerge::sync::MessageVersion::V1,
    };
    let frame = Frame::Sync {
        flags: FLAG_BUNDLE,
        body: msg.encode(),
    };
    (a, s, frame.encode())
}

#[test]
fn a_bad_bundle_closes_the_session_without_touching_the_vault() {
    let (mut src, _) = forks(30);
    let hashes: Vec<_> = src
        .doc_mut()
        .get_changes(&[])
        .iter()
        .map(|c| c.hash())
        .collect();
    let good = src.doc_mut().bundle(hashes).unwrap().bytes().to_vec();
    let truncated = good[..good.len() / 2].to_vec();
    let mut garbage = good[..12].to_vec();
    garbage.extend(std::iter::repeat_n(0xa5, 200));
    for (name, chunk) in [("truncated", truncated), ("garbage", garbage)] {
        let (mut v, mut s, bytes) = bundle_frame_to_fresh_responder(chunk);
        let heads = v.heads();
        let err = s.handle_bytes(v.doc_mut(), &bytes, 1).unwrap_err();
        assert!(
            matches!(err, SessionError::Bundle(BundleError::Decode(_))),
            "{name}: {err:?}"
        );
        assert!(s.is_closed(), "{name}");
        assert_eq!(v.heads(), heads, "{name} changed the vault");
        let reply = s.poll_transmit().expect("an error frame");
        assert!(matches!(
            Frame::decode(&reply[4..]),
            Ok(Frame::Error { code: 1, .. })
        ));
        assert!(!matches!(s.poll_event(), Some(Event::Applied(_))));
    }
}

#[test]
fn a_bundle_frame_without_a_bundle_is_refused() {
    let (mut v, mut s, _) = bundle_frame_to_fresh_responder(Vec::new());
    let msg = Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::empty(),
        flags: None,
        version: rapport_model::automerge::sync::MessageVersion::V1,
    };
    let frame = Frame::Sync {
        flags: FLAG_BUNDLE,
        body: msg.encode(),
    };
    let err = s.handle_bytes(v.doc_mut(), &frame.encode(), 1).unwrap_err();
    assert_eq!(err, SessionError::Bundle(BundleError::NotOneBundle(0)));
    assert!(s.is_closed());
}

// ---- the golden bundle ----

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/bundle")
        .join(name)
}

/// The golden document, built the same way every time: fixed actors and times. A base change,
/// then two actors with 12 concurrent changes each, merged, then 3 more. Returns the document
/// and the hashes bundled (everything after the base, so the bundle has an external dep).
fn golden_doc() -> (AutoCommit, ChangeHash, Vec<ChangeHash>) {
    let commit = |doc: &mut AutoCommit, t: i64| {
        doc.commit_with(
            CommitOptions::default()
                .with_time(t)
                .with_message(format!("c{t}")),
        )
        .unwrap()
    };
    let mut a = AutoCommit::new().with_actor(ActorId::from([0xaa; 16]));
    a.put(ROOT, "name", "golden").unwrap();
    let base = commit(&mut a, 1);
    let mut b = a.fork().with_actor(ActorId::from([0xbb; 16]));
    let mut bundled = Vec::new();
    for i in 0..12i64 {
        a.put(ROOT, format!("a{}", i % 4), i).unwrap();
        bundled.push(commit(&mut a, 10 + i));
        b.put(ROOT, format!("b{}", i % 3), format!("text {i}"))
            .unwrap();
        bundled.push(commit(&mut b, 100 + i));
    }
    a.merge(&mut b).unwrap();
    for i in 0..3i64 {
        a.put(ROOT, "name", format!("golden {i}")).unwrap();
        bundled.push(commit(&mut a, 1000 + i));
    }
    (a, base, bundled)
}

fn hex(h: &ChangeHash) -> String {
    h.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// Regenerates the fixture with `RAPPORT_BLESS=1` (only when the format change is intended,
/// and with every device upgraded together).
#[test]
fn the_golden_bundle_decodes_and_reencodes_byte_for_byte() {
    let (mut doc, base, bundled) = golden_doc();
    let bytes = doc
        .bundle(bundled.iter().copied())
        .unwrap()
        .bytes()
        .to_vec();
    let mut heads = doc.get_heads();
    heads.sort();
    let heads_text: String = heads.iter().map(|h| hex(h) + "\n").collect();
    if std::env::var_os("RAPPORT_BLESS").is_some() {
        std::fs::create_dir_all(fixture("")).unwrap();
        std::fs::write(fixture("golden.bundle"), &bytes).unwrap();
        std::fs::write(fixture("golden.heads"), &heads_text).unwrap();
    }
    let golden = std::fs::read(fixture("golden.bundle")).unwrap();
    let golden_heads = std::fs::read_to_string(fixture("golden.heads")).unwrap();

    // Decoding: the stored bytes give the same changes and, on top of the base, the same heads.
    let changes = bundle::decode(&golden, 1000).unwrap();
    let mut got: Vec<_> = changes.iter().map(|c| c.hash()).collect();
    got.sort();
    let mut want = bundled.clone();
    want.sort();
    assert_eq!(got, want, "the golden bundle decodes to other changes");
    let mut fresh = AutoCommit::new();
    fresh.apply_changes(doc.get_change_by_hash(&base)).unwrap();
    fresh.apply_changes(changes).unwrap();
    let fresh_heads: String = sorted_heads(&mut fresh)
        .iter()
        .map(|h| hex(h) + "\n")
        .collect();
    assert_eq!(
        fresh_heads, golden_heads,
        "the golden bundle gives other heads"
    );
    assert_eq!(heads_text, golden_heads);

    // Encoding: today's Automerge writes the same bytes for the same changes.
    assert!(
        bytes == golden,
        "Automerge now encodes this bundle differently ({} bytes, golden {}): the bundle format \
         changed, and peers on the old version may not read it",
        bytes.len(),
        golden.len()
    );
}
