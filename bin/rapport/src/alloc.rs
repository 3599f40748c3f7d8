//! glibc malloc, tuned for a long-lived daemon: one arena, and a fixed mmap threshold.
//!
//! Why glibc and not a global allocator made for servers: `rapport-bench web` on W1, 1,000
//! actions (a note and a search each), the daemon's RSS from the start to the end: glibc tuned
//! as below 125 -> 145 MiB, mimalloc 0.1.52 192 -> 319 MiB, jemalloc 5.3 (tikv-jemallocator)
//! 139 -> 190 MiB, and 133 -> 185 MiB with its background purging at 1 s. Both keep freed
//! pages for reuse longer than glibc's periodic trim (below) does.
//!
//! glibc gives a thread that finds the heap busy an arena of its own (up to 8 per core). In the
//! daemon, tokio's workers, sled's flusher and the periodic copy of the vault (see
//! `Home::refresh_memory`) allocate and free blocks of tens of MiB from different threads, and
//! memory freed in one arena cannot serve an allocation made in another, so RSS ratchets up.
//! Measured with `rapport-bench daemon` on W1, over 1,000 commits through the daemon of a device
//! filled by sync: glibc's default arenas 274 -> 413 MiB (1.51×), two arenas 1.36×, one arena
//! 238 -> 227 MiB (0.95×). Rapport's threads spend little time in malloc, so the shared lock
//! costs nothing measurable.
//!
//! Only the daemon (`serve`) is tuned so. A one-shot command keeps glibc's defaults: it exits
//! before RSS could ratchet, and `clone` builds its read view on two threads at once, which
//! one arena serialises on malloc's lock: on W30 the two scans took 1.35 s with one arena and
//! 0.74 s with glibc's default, and the whole `clone` 5.4 s against 4.1 s.
//!
//! Large blocks are mapped on their own, at a fixed threshold. glibc raises its mmap threshold
//! to the size of every mapped block that is freed (up to 32 MiB), so after the first such free
//! the web app's per-change buffers of several MiB (the relate index's records, the
//! acquaintance graph) came from the heap, and the holes they left kept the daemon's RSS at
//! its high-water mark. `rapport-bench web` on W1, 300 actions (a note and a search each):
//! 119 -> 215 MiB (1.80×) with the moving threshold, 107 -> 120 MiB (1.12×) with a fixed one.

/// glibc's own `MALLOC_ARENA_MAX` variable, when set, wins: it is how the benchmark measures
/// the default for comparison, and how a user could override this.
const ENV: &str = "MALLOC_ARENA_MAX";
/// The same for the mmap threshold.
const MMAP_ENV: &str = "MALLOC_MMAP_THRESHOLD_";
/// Blocks from this size up are mapped, and unmapped when freed: glibc's initial threshold.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Call first in `main`, before any other thread exists; `long_lived` for the daemon.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // mallopt has no safe wrapper.
pub fn tune_malloc(long_lived: bool) {
    if !long_lived {
        return;
    }
    if std::env::var_os(ENV).is_none() {
        // SAFETY: mallopt only tunes the allocator; M_ARENA_MAX with 1 is a documented setting,
        // and no other thread is allocating yet. A refusal (0) leaves glibc's default, which
        // is safe.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
    if std::env::var_os(MMAP_ENV).is_none() {
        // SAFETY: as above; setting M_MMAP_THRESHOLD is documented, and turns off glibc's
        // dynamic adjustment of it (see the module's comment).
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}

/// Other allocators and platforms keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_malloc(_long_lived: bool) {
    let _ = (ENV, MMAP_ENV);
}

/// How often the daemon hands the free pages inside its heap back to the kernel, in seconds;
/// 0 turns it off (how the benchmark measures the difference).
const TRIM_ENV: &str = "RAPPORT_MALLOC_TRIM_SECS";
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// For `serve`: a thread that calls `malloc_trim(0)` every few seconds.
///
/// Blocks below the mmap threshold come from the heap, and glibc returns heap memory to the
/// kernel only from its top. Each commit through the daemon frees thousands of small blocks
/// (the change's ops, the read view's rows, the periodic copy of the vault), so free pages
/// pile up in the middle of the heap and RSS climbs to a plateau above the live size.
/// `malloc_trim` walks the free chunks and `madvise`s their whole pages away; with one arena
/// it holds the heap's lock for the walk, which every few seconds costs nothing a request would
/// feel. `rapport-bench web` on W1, 1,000 actions (a note and a search each), two runs each way
/// alternated: without it the plateau was 143 and 142 MiB (1.19× and 1.16× the start), with it
/// 134 and 134 MiB (1.06×, 1.12×). What remains of the climb is not in use: the bytes in use
/// (`report_heap`) stay at about 120 MiB over the 1,000 actions while the free bytes inside the
/// heap grow from about 4 to 27 MiB, in pieces too small to trim. Lower mmap thresholds do not
/// help (32 KiB: 119 -> 134 MiB and still climbing; 64 KiB: 131 -> 137 MiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn trim_while_serving() {
    let every = match std::env::var(TRIM_ENV) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(0) => return,
            Ok(secs) => std::time::Duration::from_secs(secs),
            Err(_) => TRIM_EVERY,
        },
        Err(_) => TRIM_EVERY,
    };
    let spawned = std::thread::Builder::new()
        .name("malloc-trim".to_owned())
        .spawn(move || loop {
            std::thread::sleep(every);
            #[allow(unsafe_code)]
            // SAFETY: malloc_trim takes the arenas' locks itself and only releases free pages;
            // mallinfo2 only reads the allocator's counters (glibc 2.33 and later).
            let heap = unsafe {
                libc::malloc_trim(0);
                libc::mallinfo2()
            };
            report_heap(&heap);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the thread that returns freed memory");
    }
}

/// The log target of the heap figures: `RUST_LOG=rapport::heap=debug` shows them.
/// `rapport-bench web` reads them, to tell memory in use from memory the allocator holds.
pub const HEAP_TARGET: &str = "rapport::heap";

/// Logs, after each trim, what the heap holds: the bytes in use (blocks in the heap plus
/// blocks mapped on their own) and the free bytes left inside the heap. RSS counts neither
/// precisely: in-use memory that grows is a leak, free memory that grows is fragmentation.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn report_heap(m: &libc::mallinfo2) {
    tracing::debug!(
        target: HEAP_TARGET,
        in_use = m.uordblks + m.hblkhd,
        mapped = m.hblkhd,
        free_in_heap = m.fordblks,
        heap = m.arena,
        "heap after trim"
    );
}

/// Other allocators and platforms return memory their own way.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim_while_serving() {
    let _ = (TRIM_ENV, TRIM_EVERY, HEAP_TARGET);
}
