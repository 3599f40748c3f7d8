//! Import and export for Rapport: LinkedIn's "Connections.csv", vCard (2.1, 3.0, 4.0), generic
//! CSV and JSON, plus duplicate detection.
//!
//! Pure like the model: parsers read from any `std::io::Read`, writers write to any
//! `std::io::Write` or `String`; no disk, network or clock of their own (time and randomness are
//! arguments). The binary opens files and commits durably.
//!
//! An import runs in three steps, so that a bad file changes nothing:
//! 1. **parse** the whole input into [`Candidate`]s (each value validated and normalised the way
//!    the vault stores it), or fail with an [`ImportError`] that names the line or record;
//! 2. **plan** against the vault ([`plan::plan`]): each candidate is matched to an existing
//!    contact by a stable key and becomes a create, an update, unchanged or skipped (with the
//!    reason) — this is what `--dry-run` prints;
//! 3. **apply** the plan as ONE `Vault::batch`, one Automerge commit whose message starts with
//!    `import ` (see [`plan::apply`]), so the whole import can be undone as one change.
//!
//! Memory is bounded by [`Limits`]: the input is refused above `max_bytes` and `max_records`;
//! CSV is streamed record by record and vCard is parsed one file at a time, so what is held is
//! one file's text plus the candidates.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod candidate;
pub mod csv_out;
pub mod dedupe;
mod error;
pub mod ics_out;
mod input;
pub mod linkedin;
pub mod plan;
pub mod table;
pub mod vcard_in;
pub mod vcard_out;

pub use candidate::{Candidate, Connection, MatchKey};
pub use error::ImportError;
pub use input::read_text;

/// Bounds on one import. Defaults: 64 MiB and 100,000 records — a LinkedIn export of 30,000
/// connections is about 4 MB, a phone's address book with photos a few tens of MB. At these
/// limits an import holds at most one 64 MiB file's text plus ~1 KiB per candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes read from one input (a file, or all files of a directory together).
    pub max_bytes: u64,
    /// Most records (rows or cards) in one import.
    pub max_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_records: 100_000,
        }
    }
}

/// A record that was not imported, and why (printed in the import summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where it is: `line 12`, `card 3 (line 40)`.
    pub record: String,
    pub reason: String,
}

/// What parsing an input produced: the candidates in file order, records skipped with their
/// reason, and warnings about values that were dropped or kept aside.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
    /// How records are matched to existing contacts, when it is worth saying (an old LinkedIn
    /// export without URLs is matched by email).
    pub key_note: Option<String>,
}

impl Parsed {
    /// Adds another input's results (a directory of vCard files).
    pub fn extend(&mut self, other: Parsed) {
        self.candidates.extend(other.candidates);
        self.skipped.extend(other.skipped);
        self.warnings.extend(other.warnings);
        if self.key_note.is_none() {
            self.key_note = other.key_note;
        }
    }

    /// Fails if there were records but none could be imported: a file of nothing but bad
    /// records is a bad file, and the user should hear about it as an error.
    pub fn require_some(self) -> Result<Parsed, ImportError> {
        if self.candidates.is_empty() {
            if let Some(first) = self.skipped.first() {
                return Err(ImportError::NothingImportable {
                    record: first.record.clone(),
                    reason: first.reason.clone(),
                });
            }
        }
        Ok(self)
    }
}
