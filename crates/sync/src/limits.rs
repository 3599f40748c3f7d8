//! Everything a peer can make us spend, bounded.

/// Limits for one sync session. The defaults allow a vault of about 64 MB compressed and
/// 256 MB of uncompressed columns (W30, 30,000 contacts with ten interactions each, is 28 MB
/// and 76 MB), while keeping one session's buffers under `max_frame_bytes` plus
/// `max_message_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame accepted on the wire (after the 4-byte length prefix).
    pub max_frame_bytes: u32,
    /// Largest Automerge sync message after decompression. Bounds a decompression bomb.
    pub max_message_bytes: usize,
    /// Most change chunks in one sync message.
    pub max_changes_per_message: usize,
    /// Most frames in one session before it is cut off (a peer that never lets sync settle).
    pub max_frames: u64,
    /// Longest a one-shot session may take, in milliseconds.
    pub max_session_ms: u64,
    /// Longest to wait for the peer's next frame while it owes us one, in milliseconds.
    pub reply_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_bytes: 64 << 20,
            max_message_bytes: 256 << 20,
            max_changes_per_message: 100_000,
            max_frames: 1_000_000,
            max_session_ms: 10 * 60 * 1000,
            reply_timeout_ms: 60 * 1000,
        }
    }
}
