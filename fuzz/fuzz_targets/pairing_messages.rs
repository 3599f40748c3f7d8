//! Arbitrary bytes through the pairing message reader, and every decoded message through a
//! pairing host: refused or answered, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rapport_model::{DeviceId, VaultId};
use rapport_sync::pairing::{Host, MessageReader};

struct Zero;
impl rand::RngCore for Zero {
    fn next_u32(&mut self) -> u32 { 7 }
    fn next_u64(&mut self) -> u64 { 7 }
    fn fill_bytes(&mut self, dest: &mut [u8]) { dest.fill(7) }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> { dest.fill(7); Ok(()) }
}
impl rand::CryptoRng for Zero {}

fuzz_target!(|data: &[u8]| {
    let mut r = MessageReader::default();
    if r.push(data).is_err() {
        return;
    }
    let code = "7-abandon-zoo".parse().expect("valid code");
    let mut host = Host::new(code, DeviceId::from_bytes([1; 32]), VaultId::from_u64(1), u64::MAX);
    let peer = DeviceId::from_bytes([2; 32]);
    while let Ok(Some(m)) = r.next_message() {
        let _ = host.handle_start(peer, &m, 0, &mut Zero);
        let _ = host.handle_confirm(peer, &m);
    }
});
