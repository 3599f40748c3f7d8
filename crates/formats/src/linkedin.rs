//! LinkedIn's "Connections.csv" export.
//!
//! The file starts with a few `Notes:` lines, a blank line, then the header
//! `First Name,Last Name,URL,Email Address,Company,Position,Connected On` (older exports have no
//! `URL`). Company becomes the organisation, Position the title, and `Connected On`
//! (`05 Oct 2020`) the contact's connected-on date plus a first interaction. The profile URL
//! is the stable key; an export without one is matched by email, then by name and company.

use crate::candidate::{noon, Builder, Connection, MatchKey};
use crate::table::{CappedReader, Rows};
use crate::{ImportError, Limits, Parsed, Skipped};
use std::io::{BufRead, BufReader, Read};

/// The text of the first interaction logged for a new connection.
pub const CONNECTED_TEXT: &str = "Connected on LinkedIn";

/// How many lines before the header we look through: LinkedIn writes three or four.
const MAX_PREAMBLE_LINES: u64 = 50;

/// Parses a Connections.csv export.
pub fn parse(reader: impl Read, limits: Limits) -> Result<Parsed, ImportError> {
    let mut input = BufReader::new(CappedReader::new(reader, limits.max_bytes));
    let mut line = Vec::new();
    let mut line_no = 0;
    let header_line = loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(crate::table::map_io(limits))?;
        line_no += 1;
        if n == 0 || line_no > MAX_PREAMBLE_LINES {
            return Err(ImportError::NoLinkedInHeader);
        }
        crate::input::check_text(&line).map_err(|e| relocate(e, line_no))?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.to_ascii_lowercase().starts_with("first name,") {
            break line_no;
        }
    };
    let header = std::io::Cursor::new(line.clone());
    let mut rows = Rows::new(header.chain(input), header_line - 1, limits)?;
    let col = |name: &str| rows.column(name);
    let (first, last) = match (col("first name"), col("last name")) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(ImportError::NoLinkedInHeader),
    };
    let (url, email, company, position, connected) = (
        col("url"),
        col("email address"),
        col("company"),
        col("position"),
        col("connected on"),
    );
    let mut parsed = Parsed::default();
    if url.is_none() {
        parsed.key_note = Some(
            "this export has no URL column (an older LinkedIn export): contacts are matched by email, then by name and company".to_owned(),
        );
    }
    while let Some(row) = rows.next_row()? {
        let mut b = Builder::new(format!("line {}", row.line));
        let name = format!("{} {}", row.get(first), row.get(last));
        if let Err(reason) = b.name(name.trim()) {
            parsed.skipped.push(Skipped {
                record: b.c.record,
                reason,
            });
            continue;
        }
        let has_url = url.is_some_and(|i| b.link(row.get(i)) && !row.get(i).trim().is_empty());
        if let Some(i) = email {
            b.email(row.get(i));
        }
        b.c.org = company.and_then(|i| b.short_text("organisation", row.get(i)));
        b.c.title = position.and_then(|i| b.short_text("title", row.get(i)));
        if let Some(date) = connected.and_then(|i| b.date("connected-on date", row.get(i))) {
            b.c.connected_on = Some(date);
            b.c.connection = Some(Connection {
                at: noon(date),
                text: CONNECTED_TEXT.to_owned(),
            });
        }
        if has_url {
            // The profile URL is the one stable key: a changed email or company must not make
            // the same person a new contact.
            b.c.keys = b.c.links.iter().cloned().map(MatchKey::Link).collect();
        } else {
            b.finish_keys();
        }
        parsed.warnings.append(&mut b.warnings);
        parsed.candidates.push(b.c);
    }
    Ok(parsed)
}

/// An error found while checking one preamble line, moved to that line's number.
fn relocate(e: ImportError, line: u64) -> ImportError {
    match e {
        ImportError::Encoding { .. } => ImportError::Encoding { line },
        ImportError::Binary { .. } => ImportError::Binary { line },
        other => other,
    }
}
