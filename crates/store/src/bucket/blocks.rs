//! A bucket file's bytes: the plain entries cut, at entry boundaries, into blocks of about
//! `BLOCK` bytes, each compressed on its own (an LZ4 block; a zstd frame in files written
//! before), behind an index of every block's first id, lengths and checksum.
//!
//! One frame per bucket made `show` decompress a whole bucket to read one contact: 600 KB of
//! timelines at W30. With blocks it decompresses one, whatever the vault's size, while a scan
//! still reads every block in order. Measured on W30's 128 timeline buckets (76 MB plain),
//! against one frame each (25.8 MB; encode 341-379 ms, decode 59-60 ms):
//! - 128 KiB blocks: 1.14× the bytes, encode 0.8×, decode 1.03×;
//! - 64 KiB blocks: 1.22× the bytes, decode 1.1×;
//! - 64 KiB blocks compressed with the first block as a raw dictionary: 1.07× the bytes, but
//!   encode 1.3-1.4× and decode 1.4× (zstd's long-offset path), which made a cold `search` 1.17×
//!   and a `clone` 1.13× slower.
//!
//! Why LZ4 and not zstd, measured on all of W30's bucket files (114 MB plain, 128 KiB blocks):
//! zstd level 1 made 43.0 MB, encoded in 345-400 ms and decoded in 77-109 ms; LZ4 (`lz4_flex`,
//! its safe decoder, into zeroed room) makes 59.8 MB, 1.39× the bytes, encoded in 205-270 ms
//! and decoded in 48-54 ms. Its default decoder (bounds-checked, not `safe-decode`) decoded
//! the same 117 MB in 49-67 ms against 68-90 ms in the same run, so it is the one used; only
//! frames that passed their checksum reach it. zstd's fast levels were no better a trade: level -5 made 59.0 MB,
//! encoded in 265-288 ms, decoded in 72 ms. Every `list`, `search` and `show` decodes, and
//! every clone and view rebuild encodes all of it; the files are a cache that is never fsynced,
//! so their size costs disk space, about a fifth more of a W30 store, and little time.
//!
//! Layout (all integers little-endian):
//! `plain len: u32 || magic || blocks: u32 || blocks × (first id: u64, plain len: u32,
//! frame len: u32, frame crc32: u32) || index crc32: u32 || the frames, in block order`, where
//! `MAGIC_LZ4_CHECKED` marks LZ4 blocks (no frame header; the index has each plain length).
//! The index checksum covers every byte before it, and each block's checksum its frame, so a
//! read checks only what it decompresses: `show` one block, a scan every block once.
//!
//! Why per-block CRC-32 rather than the blake3 hash of the whole file that names it, which
//! every read checked before: over all of W30's bucket files (60 MB) blake3 took 32-42 ms on
//! one core and `crc32fast` 8-10 ms, and a cold `search` hashed every timeline file. The
//! checksums guard against what damages a cache (a torn or rotted file), as the hash did; a
//! file's name is still the blake3 hash of its bytes, computed once as it is written.
//!
//! Files written before the checksums (`MAGIC_LZ4`: LZ4 blocks, and `MAGIC_ZSTD`: zstd frames,
//! each with a 16-byte index entry and no checksums) are still read, and checked against
//! their name's hash as before.
//!
//! Files written before blocks hold `plain len: u32 || one zstd frame`; they are still read
//! (as a single block), told apart by the bytes after the length: no magic is zstd's frame
//! magic number. A build from before these checksums finds this build's files unreadable and
//! rebuilds its view, as it would a damaged one.

/// Plain bytes per block, at least: small enough that reading one contact is cheap, large
/// enough that the compressor still finds the repetition among neighbouring entries.
pub(crate) const BLOCK: usize = 128 * 1024;

/// Marks a file of LZ4 blocks with checksums (written since).
const MAGIC_LZ4_CHECKED: [u8; 4] = *b"RPb\x04";
/// Marks a file of LZ4 blocks without checksums (written before them; still read).
const MAGIC_LZ4: [u8; 4] = *b"RPb\x03";
/// Marks a file of zstd blocks (written before LZ4; still read).
const MAGIC_ZSTD: [u8; 4] = *b"RPb\x02";
/// The first bytes of a zstd frame, which a file from before blocks has after its length.
const ZSTD_MAGIC: [u8; 4] = 0xFD2F_B528u32.to_le_bytes();

/// One block of a file, as its index describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The id of the block's first entry (0 for the single block of an older file).
    pub(crate) first_id: u64,
    pub(crate) plain_len: usize,
    /// Where the block's frame is, in the file's bytes.
    pub(crate) frame: std::ops::Range<usize>,
    pub(crate) codec: Codec,
    /// The CRC-32 of the frame, in files written with checksums.
    pub(crate) crc: Option<u32>,
}

/// What a file's index says.
#[derive(Debug)]
pub(crate) struct Index {
    pub(crate) plain_len: usize,
    pub(crate) blocks: Vec<Block>,
    /// Whether the file checks itself (an index checksum that held, and one per block), or
    /// needs its whole bytes checked against the hash that names it.
    pub(crate) checked: bool,
}

/// How a block's frame is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Lz4,
    Zstd,
}

/// The file bytes for `plain` (a bucket's entries, see `super::plain`). Bytes that are not
/// well-formed entries still round-trip: what follows the last whole entry is one last block.
pub(crate) fn encode(plain: &[u8]) -> Vec<u8> {
    let cuts = cuts(plain);
    let frames: Vec<Vec<u8>> = cuts
        .iter()
        .map(|(start, end)| lz4_flex::block::compress(&plain[*start..*end]))
        .collect();
    assemble(plain, MAGIC_LZ4_CHECKED, &cuts, frames)
}

/// The file bytes for `plain` cut at `cuts`, each block compressed into `frames`.
fn assemble(
    plain: &[u8],
    magic: [u8; 4],
    cuts: &[(usize, usize)],
    frames: Vec<Vec<u8>>,
) -> Vec<u8> {
    let checked = magic == MAGIC_LZ4_CHECKED;
    let frames_len: usize = frames.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(16 + cuts.len() * 20 + frames_len);
    // The caller bounds `plain` (and so every block and frame) below 4 GiB.
    out.extend_from_slice(&(plain.len() as u32).to_le_bytes());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&(cuts.len() as u32).to_le_bytes());
    for ((start, end), frame) in cuts.iter().zip(&frames) {
        let first_id = plain
            .get(*start..*start + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes);
        out.extend_from_slice(&first_id.to_le_bytes());
        out.extend_from_slice(&((end - start) as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        if checked {
            out.extend_from_slice(&crc32fast::hash(frame).to_le_bytes());
        }
    }
    if checked {
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
    }
    for frame in frames {
        out.extend_from_slice(&frame);
    }
    out
}

/// `encode` as builds before checksums wrote files, to test that they still read.
#[cfg(test)]
pub(crate) fn encode_unchecked(plain: &[u8]) -> Vec<u8> {
    let cuts = cuts(plain);
    let frames = cuts
        .iter()
        .map(|(start, end)| lz4_flex::block::compress(&plain[*start..*end]))
        .collect();
    assemble(plain, MAGIC_LZ4, &cuts, frames)
}

/// `encode` as builds before LZ4 wrote files: zstd frames, to test that they still read.
#[cfg(test)]
pub(crate) fn encode_zstd(plain: &[u8], level: i32) -> Vec<u8> {
    let cuts = cuts(plain);
    let frames = cuts
        .iter()
        .map(|(start, end)| zstd::bulk::compress(&plain[*start..*end], level).unwrap())
        .collect();
    assemble(plain, MAGIC_ZSTD, &cuts, frames)
}

/// Where `plain` is cut into blocks: after the first entry that ends `BLOCK` or more bytes
/// past its block's start, and at the end.
fn cuts(plain: &[u8]) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at < plain.len() {
        let next = plain
            .get(at + 8..at + 12)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|len| at + 12 + u32::from_le_bytes(len) as usize)
            .filter(|next| *next <= plain.len())
            // Not an entry: the rest is one block.
            .unwrap_or(plain.len());
        at = next;
        if at - start >= BLOCK || at == plain.len() {
            cuts.push((start, at));
            start = at;
        }
    }
    cuts
}

/// A file's index, or `None` if its bytes are not a bucket file (or its index checksum fails).
pub(crate) fn index(bytes: &[u8]) -> Option<Index> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let plain_len = u32::from_le_bytes(*len) as usize;
    let (magic, after) = rest.split_first_chunk::<4>()?;
    if *magic == ZSTD_MAGIC {
        let frame = 4..bytes.len();
        let single = Block {
            first_id: 0,
            plain_len,
            frame,
            codec: Codec::Zstd,
            crc: None,
        };
        return Some(Index {
            plain_len,
            blocks: vec![single],
            checked: false,
        });
    }
    let (codec, checked) = match *magic {
        MAGIC_LZ4_CHECKED => (Codec::Lz4, true),
        MAGIC_LZ4 => (Codec::Lz4, false),
        MAGIC_ZSTD => (Codec::Zstd, false),
        _ => return None,
    };
    let entry = if checked { 20 } else { 16 };
    let (count, mut rest) = after.split_first_chunk::<4>()?;
    let count = u32::from_le_bytes(*count) as usize;
    // A damaged count must not allocate wildly: each block takes an entry of index.
    if count > rest.len() / entry {
        return None;
    }
    let index_end = 12 + count * entry;
    let mut at = index_end;
    if checked {
        let stored = bytes.get(index_end..index_end + 4)?;
        if crc32fast::hash(&bytes[..index_end]).to_le_bytes() != stored {
            return None;
        }
        at += 4;
    }
    let mut blocks = Vec::with_capacity(count);
    let mut total = 0usize;
    for _ in 0..count {
        let (first_id, r) = rest.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let (frame_len, mut r) = r.split_first_chunk::<4>()?;
        let mut crc = None;
        if checked {
            let (c, after_crc) = r.split_first_chunk::<4>()?;
            crc = Some(u32::from_le_bytes(*c));
            r = after_crc;
        }
        rest = r;
        let frame_len = u32::from_le_bytes(*frame_len) as usize;
        let block = Block {
            first_id: u64::from_le_bytes(*first_id),
            plain_len: u32::from_le_bytes(*len) as usize,
            frame: at..at.checked_add(frame_len)?,
            codec,
            crc,
        };
        at = block.frame.end;
        total = total.checked_add(block.plain_len)?;
        blocks.push(block);
    }
    // The frames fill the rest of the file exactly, and the blocks add up to the plain length.
    (at == bytes.len() && total == plain_len).then_some(Index {
        plain_len,
        blocks,
        checked,
    })
}

/// The block that holds `id` if any does: the last whose first id is not above it (blocks
/// follow id order, as entries do).
pub(crate) fn block_for(blocks: &[Block], id: u64) -> Option<&Block> {
    let after = blocks.partition_point(|b| b.first_id <= id);
    blocks.get(after.checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::ContactId;

    fn entries(n: u64, size: usize) -> Vec<u8> {
        let values: Vec<(ContactId, Vec<u8>)> = (0..n)
            .map(|i| {
                (
                    ContactId::from_u64(i * 1000),
                    vec![b'a' + (i % 26) as u8; size],
                )
            })
            .collect();
        super::super::plain(values.iter().map(|(id, v)| (*id, v.as_slice())))
    }

    fn decode(bytes: &[u8]) -> Vec<u8> {
        let Index {
            plain_len: len,
            blocks,
            ..
        } = index(bytes).unwrap();
        let mut plain = Vec::new();
        for b in &blocks {
            let frame = &bytes[b.frame.clone()];
            if let Some(crc) = b.crc {
                assert_eq!(crc32fast::hash(frame), crc);
            }
            plain.extend(match b.codec {
                Codec::Lz4 => lz4_flex::block::decompress(frame, b.plain_len).unwrap(),
                Codec::Zstd => zstd::bulk::decompress(frame, b.plain_len).unwrap(),
            });
        }
        assert_eq!(plain.len(), len);
        plain
    }

    #[test]
    fn blocks_cut_at_entries_and_round_trip() {
        let plain = entries(400, 1_000);
        let bytes = encode(&plain);
        let Index {
            blocks, checked, ..
        } = index(&bytes).unwrap();
        assert!(checked);
        assert!(blocks.iter().all(|b| b.crc.is_some()));
        // 400 entries of 1,012 bytes: blocks of 130 entries (the first to reach 128 KiB), then 10.
        assert_eq!(blocks.len(), 4, "{blocks:?}");
        assert_eq!(blocks[1].first_id, 130_000);
        assert_eq!(decode(&bytes), plain);
        assert_eq!(block_for(&blocks, 0).unwrap().first_id, 0);
        assert_eq!(block_for(&blocks, 129_999).unwrap().first_id, 0);
        assert_eq!(block_for(&blocks, 130_000).unwrap().first_id, 130_000);
        assert_eq!(block_for(&blocks, u64::MAX).unwrap().first_id, 390_000);

        // An empty bucket and bytes that are not entries round-trip too.
        for odd in [&b""[..], b"stray", &plain[..plain.len() - 1]] {
            assert_eq!(decode(&encode(odd)), odd);
        }
    }

    #[test]
    fn files_of_zstd_blocks_from_before_lz4_still_read() {
        let plain = entries(400, 1_000);
        let old = encode_zstd(&plain, 1);
        let Index {
            blocks, checked, ..
        } = index(&old).unwrap();
        assert!(!checked);
        assert_eq!(blocks.len(), 4);
        assert!(blocks
            .iter()
            .all(|b| b.codec == Codec::Zstd && b.crc.is_none()));
        assert_eq!(decode(&old), plain);
        let new = index(&encode(&plain)).unwrap().blocks;
        assert!(new.iter().all(|b| b.codec == Codec::Lz4));
        assert_eq!(
            new.iter()
                .map(|b| (b.first_id, b.plain_len))
                .collect::<Vec<_>>(),
            blocks
                .iter()
                .map(|b| (b.first_id, b.plain_len))
                .collect::<Vec<_>>(),
        );
    }

    #[test]
    fn files_of_lz4_blocks_from_before_checksums_still_read() {
        let plain = entries(400, 1_000);
        let old = encode_unchecked(&plain);
        let Index {
            blocks, checked, ..
        } = index(&old).unwrap();
        assert!(!checked, "checked against the hash that names it instead");
        assert_eq!(blocks.len(), 4);
        assert!(blocks
            .iter()
            .all(|b| b.codec == Codec::Lz4 && b.crc.is_none()));
        assert_eq!(decode(&old), plain);
    }

    #[test]
    fn a_file_from_before_blocks_reads_as_one_block() {
        let plain = entries(10, 100);
        let mut old = (plain.len() as u32).to_le_bytes().to_vec();
        old.extend(zstd::bulk::compress(&plain, 3).unwrap());
        let Index {
            plain_len: len,
            blocks,
            checked,
        } = index(&old).unwrap();
        assert!(!checked);
        assert_eq!((len, blocks.len()), (plain.len(), 1));
        assert_eq!(block_for(&blocks, 5_000), blocks.first());
        assert_eq!(decode(&old), plain);
    }

    #[test]
    fn a_damaged_index_is_refused() {
        let bytes = encode(&entries(400, 1_000));
        assert!(index(&bytes[..bytes.len() - 1]).is_none(), "short frames");
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(index(&longer).is_none(), "trailing bytes");
        let mut count = bytes.clone();
        count[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(index(&count).is_none(), "a wild count");
        let mut plain_len = bytes.clone();
        plain_len[0] ^= 1;
        assert!(index(&plain_len).is_none(), "blocks that do not add up");
        let mut magic = bytes.clone();
        magic[4] ^= 1;
        assert!(index(&magic).is_none(), "an unknown magic");
        // Any changed byte of the index fails its checksum, even one that still parses (a
        // block's first id, which would send a lookup to the wrong block).
        let mut first_id = bytes.clone();
        first_id[12 + 20] ^= 1;
        assert!(index(&first_id).is_none(), "a changed first id");
        let mut crc = bytes;
        crc[12 + 4 * 20] ^= 1;
        assert!(index(&crc).is_none(), "a changed index checksum");
    }
}
