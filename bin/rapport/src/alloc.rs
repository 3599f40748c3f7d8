//! One malloc arena for the whole process.
//!
//! glibc gives a thread that finds the heap busy an arena of its own (up to 8 per core). In the
//! daemon, tokio's workers, sled's flusher and the periodic copy of the vault (see
//! `Home::refresh_memory`) allocate and free blocks of tens of MiB from different threads, and
//! memory freed in one arena cannot serve an allocation made in another, so RSS ratchets up.
//! Measured with `rapport-bench daemon` on W1, over 1,000 commits through the daemon of a device
//! filled by sync: glibc's default arenas 274 -> 413 MiB (1.51×), two arenas 1.36×, one arena
//! 238 -> 227 MiB (0.95×). Rapport's threads spend little time in malloc, so the shared lock
//! costs nothing measurable.

/// glibc's own `MALLOC_ARENA_MAX` variable, when set, wins: it is how the benchmark measures
/// the default for comparison, and how a user could override this.
const ENV: &str = "MALLOC_ARENA_MAX";

/// Call first in `main`, before any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // mallopt has no safe wrapper.
pub fn use_one_arena() {
    if std::env::var_os(ENV).is_some() {
        return;
    }
    // SAFETY: mallopt only tunes the allocator; M_ARENA_MAX with 1 is a documented setting, and
    // no other thread is allocating yet. A refusal (0) leaves glibc's default, which is safe.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Other allocators and platforms keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn use_one_arena() {
    let _ = ENV;
}
