//! Replays the inputs under `fixtures/fuzz/` (crashers found by the fuzz targets in `fuzz/`,
//! plus hand-made malformed frames) through the same code the fuzz targets exercise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rapport_model::{DeviceId, Vault, VaultId};
use rapport_sync::{Frame, FrameDecoder, Hello, Limits, Role, Session, PROTOCOL_VERSION};
use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/fuzz")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

#[test]
fn malformed_frames_are_refused_by_the_decoder() {
    for (name, data) in inputs("frame_decoder") {
        let mut d = FrameDecoder::new(4096);
        let outcome = d.push(&data).and_then(|()| d.next_frame());
        // Every fixture here is malformed or incomplete: none may decode to a frame.
        assert!(
            !matches!(outcome, Ok(Some(_))),
            "{name} decoded: {outcome:?}"
        );
        assert!(d.buffered() <= 4096 + 4, "{name}");
    }
}

#[test]
fn malformed_input_closes_a_session_without_touching_the_vault() {
    for (name, data) in inputs("session_bytes") {
        let me = DeviceId::from_bytes([1; 32]);
        let peer = DeviceId::from_bytes([2; 32]);
        let mut vault = Vault::create(me, "fixture", VaultId::from_u64(9), 0).unwrap();
        let heads = vault.heads();
        let hello = |device| Hello {
            version: PROTOCOL_VERSION,
            vault: VaultId::from_u64(9),
            device,
        };
        let mut s = Session::new(
            Role::Responder,
            hello(me),
            Some(peer),
            None,
            false,
            Limits::default(),
            0,
        );
        s.handle_bytes(vault.doc_mut(), &Frame::Hello(hello(peer)).encode(), 0)
            .unwrap();
        let result = s.handle_bytes(vault.doc_mut(), &data, 1);
        assert!(result.is_err(), "{name} was accepted");
        assert!(s.is_closed(), "{name} left the session open");
        assert_eq!(vault.heads(), heads, "{name} changed the vault");
    }
}
