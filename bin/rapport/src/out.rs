//! Where command output goes. Normally stdout and stderr; while the daemon runs a command on
//! behalf of a CLI process, both are captured so they can be sent back over the local socket
//! and printed there, making every command behave the same with or without a daemon.

use std::cell::RefCell;
use std::io::Write;

thread_local! {
    static CAPTURE: RefCell<Option<(Vec<u8>, Vec<u8>)>> = const { RefCell::new(None) };
}

/// Writes text that is already lines (stdout).
pub fn text(text: &str) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((out, _)) => {
            out.extend_from_slice(text.as_bytes());
            true
        }
        None => false,
    });
    if !captured {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            // `rapport list | head` closed the pipe: the reader has what it wanted. Writes are
            // committed before anything is printed, so stopping here loses nothing.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }
}

/// Writes a value as pretty JSON and a newline (stdout), streamed: a `list --json` of 10k
/// contacts is megabytes, and building it as one string first cost a tenth of the command in
/// page faults and copies. The writer is a concrete type, not `dyn Write`, so that
/// serde_json's many small writes are inlined.
pub fn json<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    fn emit<W: Write, T: serde::Serialize>(mut w: W, value: &T) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut w, value)?;
        w.write_all(b"\n")?;
        w.flush()
    }
    let captured = CAPTURE.with(|c| {
        c.borrow_mut()
            .as_mut()
            .map(|(out, _)| emit(&mut *out, value))
    });
    if let Some(result) = captured {
        return result;
    }
    let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match emit(stdout, value) {
        // As in `text`: the reader closed the pipe and has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// Writes one line of diagnostics (stderr).
pub fn note(args: std::fmt::Arguments<'_>) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((_, err)) => {
            let _ = writeln!(err, "{args}");
            true
        }
        None => false,
    });
    if !captured {
        eprintln!("{args}");
    }
}

/// Runs `f` with output captured; returns its result and (stdout, stderr).
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, String, String) {
    CAPTURE.with(|c| *c.borrow_mut() = Some((Vec::new(), Vec::new())));
    let result = f();
    let (out, err) = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (
        result,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// Whether output is going to a terminal (never, while captured).
pub fn is_terminal() -> bool {
    let captured = CAPTURE.with(|c| c.borrow().is_some());
    !captured && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

#[macro_export]
macro_rules! note {
    ($($t:tt)*) => { $crate::out::note(format_args!($($t)*)) };
}
