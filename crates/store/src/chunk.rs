//! Checked values: every value the store writes carries a blake3 hash of its key and payload,
//! verified on every read. Binding the key means a value copied under another key is caught too.
//!
//! Layout: `payload || blake3(key || payload)` (32 bytes).

const HASH_LEN: usize = 32;

pub(crate) fn seal(key: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + HASH_LEN);
    out.extend_from_slice(payload);
    out.extend_from_slice(hash(key, payload).as_bytes());
    out
}

/// The payload, if the value is intact.
pub(crate) fn open<'a>(key: &[u8], sealed: &'a [u8]) -> Option<&'a [u8]> {
    let split = sealed.len().checked_sub(HASH_LEN)?;
    let (payload, mac) = sealed.split_at(split);
    (hash(key, payload).as_bytes() == mac).then_some(payload)
}

fn hash(key: &[u8], payload: &[u8]) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    h.update(&(key.len() as u64).to_le_bytes());
    h.update(key);
    h.update(payload);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_detect_any_flipped_bit_and_a_wrong_key() {
        let sealed = seal(b"k", b"hello world");
        assert_eq!(open(b"k", &sealed), Some(&b"hello world"[..]));
        assert_eq!(open(b"other", &sealed), None);
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(open(b"k", &bad), None, "bit {i}");
        }
        assert_eq!(open(b"k", &sealed[..10]), None);
        assert_eq!(open(b"k", b""), None);
    }
}
