//! Where command output goes: stdout for results, stderr for notes. Every command's result is
//! typed data rendered here, in the CLI process, whether it ran here or in the daemon, so
//! nothing else in the binary prints.

use std::io::Write;

/// Writes text that is already lines (stdout).
pub fn text(text: &str) {
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

/// Writes a value as pretty JSON and a newline (stdout), streamed: a `list --json` of 10k
/// contacts is megabytes, and building it as one string first cost a tenth of the command in
/// page faults and copies. The writer is a concrete type, not `dyn Write`, so that
/// serde_json's many small writes are inlined.
pub fn json<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut w, value)
        .map_err(std::io::Error::from)
        .and_then(|()| w.write_all(b"\n"))
        .and_then(|()| w.flush());
    match written {
        // As in `text`: the reader closed the pipe and has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// Writes one line of diagnostics (stderr).
pub fn note(args: std::fmt::Arguments<'_>) {
    eprintln!("{args}");
}

/// Whether stdout is a terminal (then text may use colour and a progress bar).
pub fn is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdout())
}

#[macro_export]
macro_rules! note {
    ($($t:tt)*) => { $crate::out::note(format_args!($($t)*)) };
}
