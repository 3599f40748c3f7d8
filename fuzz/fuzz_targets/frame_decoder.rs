//! Arbitrary bytes through the frame decoder: it may refuse them, never panic, and never
//! buffer more than its limit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rapport_sync::FrameDecoder;

fuzz_target!(|data: &[u8]| {
    let mut d = FrameDecoder::new(4096);
    if d.push(data).is_err() {
        return;
    }
    while let Ok(Some(_)) = d.next_frame() {}
    assert!(d.buffered() <= 4096 + 4);
});
