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
    exit_if_pipe_closed(written)
}

/// As in `text`: a reader that closed the pipe has what it wanted, so the command ends there.
fn exit_if_pipe_closed(written: std::io::Result<()>) -> std::io::Result<()> {
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => other,
    }
}

/// Writes `items` as `json` writes a pretty JSON array of `shape(item)`, byte for byte, with
/// the items rendered on up to four threads at once, a few thousand at a time and in order.
/// A cold `list --json` at W30 spent 60 of its 160 ms rendering 30k contacts (20 MB) on one
/// thread.
pub fn json_array<'a, T: Sync, J: serde::Serialize>(
    items: &'a [T],
    shape: impl Fn(&'a T) -> J + Sync,
) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    exit_if_pipe_closed(write_json_array(&mut w, items, shape).and_then(|()| w.flush()))
}

/// Items per thread per round: each round holds a few MB of rendered JSON at W30.
const ITEMS_PER_PART: usize = 2048;

fn write_json_array<'a, T: Sync, J: serde::Serialize>(
    w: &mut impl Write,
    items: &'a [T],
    shape: impl Fn(&'a T) -> J + Sync,
) -> std::io::Result<()> {
    if items.is_empty() {
        return w.write_all(b"[]\n");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let shape = &shape;
    w.write_all(b"[\n")?;
    // Each part's buffer is reused round after round: fresh ones cost a page fault per 4 KiB.
    let mut buffers: Vec<Vec<u8>> = Vec::new();
    for (round, items) in items.chunks(threads * ITEMS_PER_PART).enumerate() {
        let parts = std::thread::scope(|scope| {
            let workers: Vec<_> = items
                .chunks(ITEMS_PER_PART)
                .map(|part| {
                    let buffer = buffers.pop().unwrap_or_default();
                    scope.spawn(move || render_part(part, shape, buffer))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect::<Vec<_>>()
        });
        for (i, part) in parts.into_iter().enumerate() {
            if round > 0 || i > 0 {
                w.write_all(b",\n")?;
            }
            let part = part?;
            // The part written as a pretty array of its own: `[\n` ... `\n]`.
            w.write_all(
                part.get(2..part.len().saturating_sub(2))
                    .unwrap_or_default(),
            )?;
            buffers.push(part);
        }
    }
    w.write_all(b"\n]\n")
}

/// `part`, a non-empty slice, written into `buffer` as a pretty array of its own: within
/// its brackets, its items are as they appear inside the whole array (indented one level,
/// separated by `,\n`).
fn render_part<'a, T, J: serde::Serialize>(
    part: &'a [T],
    shape: &impl Fn(&'a T) -> J,
    mut buffer: Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    struct Part<'p, 'a, T, F>(&'a [T], &'p F);
    impl<'a, T, J: serde::Serialize, F: Fn(&'a T) -> J> serde::Serialize for Part<'_, 'a, T, F> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(self.1))
        }
    }
    buffer.clear();
    serde_json::to_writer_pretty(&mut buffer, &Part(part, shape)).map_err(std::io::Error::from)?;
    Ok(buffer)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn both(items: &[serde_json::Value]) -> (String, String) {
        let mut ours = Vec::new();
        write_json_array(&mut ours, items, |v| v).unwrap();
        let mut theirs = serde_json::to_vec_pretty(items).unwrap();
        theirs.push(b'\n');
        (
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap(),
        )
    }

    #[test]
    fn a_parallel_array_is_byte_for_byte_serde_jsons_pretty_array() {
        let item = |i: usize| {
            serde_json::json!({
                "id": i,
                "name": format!("line one\nline {i}"),
                "tags": ["a", "b"],
                "empty": [],
                "nested": {"x": null, "y": [1, {"z": "\"quoted\""}]},
            })
        };
        // Empty, one item, and sizes around a part and a round (of up to four parts).
        for n in [
            0,
            1,
            2,
            ITEMS_PER_PART,
            ITEMS_PER_PART + 1,
            4 * ITEMS_PER_PART + 3,
        ] {
            let items: Vec<_> = (0..n).map(item).collect();
            let (ours, theirs) = both(&items);
            assert_eq!(ours, theirs, "{n} items");
        }
    }
}
