//! Why an input was refused as a whole. Each message is one sentence that names the line or
//! record and says what to do; nothing was imported when one of these is returned.

/// An input that cannot be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("the input is over the import limit of {max} bytes: split it into smaller files")]
    TooLarge { max: u64 },
    #[error("the input has more than {max} records: split it into smaller files")]
    TooManyRecords { max: usize },
    #[error("line {line} is not valid UTF-8 text: save the file as UTF-8 and import it again")]
    Encoding { line: u64 },
    #[error("the file is UTF-16 text: save it as UTF-8 and import it again")]
    Utf16,
    #[error(
        "the file is not text (binary data on line {line}): check that you picked the right file"
    )]
    Binary { line: u64 },
    #[error("line {line} is not valid CSV ({detail}): put fields that hold commas or quotes in double quotes, double the quotes inside them, and import again")]
    Csv { line: u64, detail: String },
    #[error("line {line} has {found} fields where the header has {expected}: check the quoting on that line and import again")]
    FieldCount {
        line: u64,
        found: u64,
        expected: u64,
    },
    #[error("the file has no LinkedIn header line (`First Name,Last Name,...,Connected On`): export Connections.csv again from LinkedIn, or use `rapport import csv`")]
    NoLinkedInHeader,
    #[error("the CSV header has no name column: name one `name` (or `first name` and `last name`), or map one with --map COLUMN=name")]
    NoNameColumn,
    #[error("the file holds no vCard (no BEGIN:VCARD line): check that it is a .vcf file")]
    NoCards,
    #[error(
        "{record} is not terminated (no END:VCARD): the file looks cut short; export it again"
    )]
    Unterminated { record: String },
    #[error("nothing in the input could be imported; the first record, {record}, was skipped because {reason}: fix it and import again")]
    NothingImportable { record: String, reason: String },
    #[error("`{0}` is not a valid --map: write it as COLUMN=FIELD, with FIELD one of {fields}", fields = crate::table::FIELD_NAMES)]
    BadMap(String),
    #[error("the import could not be written ({record}): {reason}")]
    Apply { record: String, reason: String },
    /// One file of a folder import was refused.
    #[error("in {file}, {source}")]
    InFile {
        file: String,
        source: Box<ImportError>,
    },
    #[error("reading the input failed: {0}")]
    Io(#[from] std::io::Error),
}
