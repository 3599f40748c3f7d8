//! Arbitrary bytes from a "peer" into a responder session that already accepted a hello: the
//! session may close with an error, never panic, and the vault stays readable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rapport_model::{DeviceId, Vault, VaultId};
use rapport_sync::{Frame, Hello, Limits, Role, Session, PROTOCOL_VERSION};

fuzz_target!(|data: &[u8]| {
    let me = DeviceId::from_bytes([1; 32]);
    let peer = DeviceId::from_bytes([2; 32]);
    let Ok(mut vault) = Vault::create(me, "fuzz", VaultId::from_u64(9), 0) else {
        return;
    };
    let limits = Limits {
        max_frame_bytes: 1 << 16,
        max_message_bytes: 1 << 18,
        ..Limits::default()
    };
    let hello = |device| Hello {
        version: PROTOCOL_VERSION,
        vault: VaultId::from_u64(9),
        device,
    };
    let mut s = Session::new(Role::Responder, hello(me), Some(peer), None, false, limits, 0);
    let _ = s.handle_bytes(vault.doc_mut(), &Frame::Hello(hello(peer)).encode(), 0);
    let _ = s.handle_bytes(vault.doc_mut(), data, 1);
    while s.poll_transmit().is_some() {}
    assert!(vault.contacts().is_ok());
});
