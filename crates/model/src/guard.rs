//! Containing panics in code we do not own, on bytes we did not write. sled 0.34 can panic on
//! some damaged files instead of returning an error, and Automerge 0.12's bundle decoder has
//! `unwrap`s on data it assumes verified. The store (sled calls that read stored bytes) and the
//! sync session (a peer's bundle) run such calls inside `guarded`, turning a panic into their
//! own error. `panic_is_expected` lets the binary's panic hook stay quiet for those, so the user
//! sees one clear sentence instead of a report of an internal bug.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// True while this thread is inside a `guarded` call (for a panic hook).
pub fn panic_is_expected() -> bool {
    GUARDED.with(|g| g.get() > 0)
}

/// Runs `f`; a panic inside it becomes `Err(message)`.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get().saturating_sub(1)));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "it panicked".to_owned())
    })
}
