//! CSV: a bounded, line-numbered row reader shared by the LinkedIn and generic importers, and
//! the generic importer, which maps columns by their header names (or `--map COLUMN=FIELD`).

use crate::candidate::{Builder, MatchKey};
use crate::{ImportError, Limits, Parsed, Skipped};
use std::collections::BTreeMap;
use std::io::Read;

/// The fields a column can be mapped to, as `--map` takes them.
pub const FIELD_NAMES: &str = "name, first_name, last_name, email, phone, url, org, title, notes, tags, trust, met_on, met_at, met_context, connected_on, birthday, anniversary, id, ignore";

/// A reader that fails once more than `max` bytes went through it, so a 200 MB file is refused
/// after 64 MiB instead of being read whole.
#[derive(Debug)]
pub(crate) struct CappedReader<R> {
    inner: R,
    left: u64,
}

#[derive(Debug)]
struct OverLimit;
impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("over the import limit")
    }
}
impl std::error::Error for OverLimit {}

impl<R: Read> CappedReader<R> {
    pub fn new(inner: R, max: u64) -> Self {
        CappedReader { inner, left: max }
    }
}

/// Maps an I/O error of a `CappedReader`, telling the limit apart.
pub(crate) fn map_io(limits: Limits) -> impl Fn(std::io::Error) -> ImportError {
    move |e| {
        if e.get_ref().is_some_and(|inner| inner.is::<OverLimit>()) {
            ImportError::TooLarge {
                max: limits.max_bytes,
            }
        } else {
            ImportError::Io(e)
        }
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(OverLimit));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// One data row and the line it starts on.
#[derive(Debug)]
pub(crate) struct Row {
    pub line: u64,
    fields: csv::StringRecord,
}

impl Row {
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).unwrap_or("")
    }
}

/// Rows of a CSV file with a header, streamed: each is checked for UTF-8, binary data and its
/// field count, and numbered by its line in the file.
pub(crate) struct Rows<R: Read> {
    reader: csv::Reader<R>,
    headers: Vec<String>,
    /// Lines of the file before the header line.
    offset: u64,
    limits: Limits,
    count: usize,
    record: csv::ByteRecord,
}

impl<R: Read> Rows<R> {
    pub fn new(input: R, offset: u64, limits: Limits) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let raw = reader
            .byte_headers()
            .map_err(|e| map_csv(e, offset, limits))?
            .clone();
        let mut headers = Vec::new();
        for field in raw.iter() {
            crate::input::check_text(field).map_err(|e| at_line(e, offset + 1))?;
            headers.push(normalise_header(&String::from_utf8_lossy(field)));
        }
        Ok(Rows {
            reader,
            headers,
            offset,
            limits,
            count: 0,
            record: csv::ByteRecord::new(),
        })
    }

    /// The index of the column whose normalised header is `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn next_row(&mut self) -> Result<Option<Row>, ImportError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| map_csv(e, self.offset, self.limits))?;
        if !more {
            return Ok(None);
        }
        let line = self.offset + self.record.position().map_or(0, |p| p.line());
        self.count += 1;
        if self.count > self.limits.max_records {
            return Err(ImportError::TooManyRecords {
                max: self.limits.max_records,
            });
        }
        for field in self.record.iter() {
            crate::input::check_text(field).map_err(|e| at_line(e, line))?;
        }
        let fields = csv::StringRecord::from_byte_record(self.record.clone())
            .map_err(|_| ImportError::Encoding { line })?;
        Ok(Some(Row { line, fields }))
    }
}

fn at_line(e: ImportError, line: u64) -> ImportError {
    match e {
        ImportError::Encoding { .. } => ImportError::Encoding { line },
        ImportError::Binary { .. } => ImportError::Binary { line },
        other => other,
    }
}

fn map_csv(e: csv::Error, offset: u64, limits: Limits) -> ImportError {
    let line = offset + e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => map_io(limits)(io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ImportError::FieldCount {
            line,
            found: len,
            expected: expected_len,
        },
        csv::ErrorKind::Utf8 { .. } => ImportError::Encoding { line },
        other => ImportError::Csv {
            line,
            detail: format!("{other:?}"),
        },
    }
}

/// `First Name`, `first_name` and `first-name` are one column name.
fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a generic CSV column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Url,
    Org,
    Title,
    Notes,
    Tags,
    Trust,
    MetOn,
    MetAt,
    MetContext,
    ConnectedOn,
    Birthday,
    Anniversary,
    Id,
    Ignore,
}

/// Header names (normalised) each field is recognised by without `--map`.
const ALIASES: &[(Field, &[&str])] = &[
    (Field::Name, &["name", "full name", "display name", "fn"]),
    (Field::FirstName, &["first name", "given name", "first"]),
    (
        Field::LastName,
        &["last name", "family name", "surname", "last"],
    ),
    (
        Field::Email,
        &[
            "email",
            "emails",
            "e mail",
            "email address",
            "e mail address",
            "mail",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "phones",
            "telephone",
            "mobile",
            "phone number",
            "tel",
        ],
    ),
    (
        Field::Url,
        &[
            "url",
            "urls",
            "link",
            "links",
            "website",
            "profile url",
            "linkedin",
        ],
    ),
    (
        Field::Org,
        &["org", "organisation", "organization", "company"],
    ),
    (Field::Title, &["title", "job title", "position", "role"]),
    (Field::Notes, &["notes", "note", "comments"]),
    (Field::Tags, &["tags", "tag", "categories", "labels"]),
    (Field::Trust, &["trust"]),
    (Field::MetOn, &["met on"]),
    (Field::MetAt, &["met at"]),
    (Field::MetContext, &["met context", "context"]),
    (Field::ConnectedOn, &["connected on"]),
    (Field::Birthday, &["birthday", "bday", "date of birth"]),
    (Field::Anniversary, &["anniversary"]),
    (Field::Id, &["id"]),
];

fn field_named(name: &str) -> Option<Field> {
    let n = normalise_header(name);
    if n == "ignore" {
        return Some(Field::Ignore);
    }
    ALIASES
        .iter()
        .find(|(_, names)| names[0] == n || names.contains(&n.as_str()))
        .map(|(f, _)| *f)
}

/// Parses `--map COLUMN=FIELD` options (FIELD as `FIELD_NAMES` lists them).
pub fn parse_maps(maps: &[String]) -> Result<Vec<(String, String)>, ImportError> {
    maps.iter()
        .map(|m| match m.split_once('=') {
            Some((col, field)) if !col.trim().is_empty() && field_named(field).is_some() => {
                Ok((normalise_header(col), field.trim().to_owned()))
            }
            _ => Err(ImportError::BadMap(m.clone())),
        })
        .collect()
}

/// Parses a generic CSV file with a header line. Multi-valued cells (emails, phones, URLs,
/// tags) hold values separated by `;`, as `rapport export csv` writes them.
pub fn parse(
    reader: impl Read,
    maps: &[(String, String)],
    limits: Limits,
) -> Result<Parsed, ImportError> {
    let mut rows = Rows::new(CappedReader::new(reader, limits.max_bytes), 0, limits)?;
    let explicit: BTreeMap<&str, Field> = maps
        .iter()
        .filter_map(|(c, f)| field_named(f).map(|f| (c.as_str(), f)))
        .collect();
    let mut columns: Vec<(usize, Field)> = Vec::new();
    let mut ignored = Vec::new();
    for (i, h) in rows.headers().iter().enumerate() {
        match explicit.get(h.as_str()).copied().or_else(|| field_named(h)) {
            Some(Field::Ignore) => {}
            Some(f) => columns.push((i, f)),
            None if h.is_empty() => {}
            None => ignored.push(h.clone()),
        }
    }
    let has = |f: Field| columns.iter().any(|(_, g)| *g == f);
    if !has(Field::Name) && !has(Field::FirstName) && !has(Field::LastName) {
        return Err(ImportError::NoNameColumn);
    }
    let mut parsed = Parsed::default();
    if !ignored.is_empty() {
        parsed.warnings.push(format!(
            "columns not imported: {} (map one with --map COLUMN=FIELD)",
            ignored.join(", ")
        ));
    }
    while let Some(row) = rows.next_row()? {
        let mut b = Builder::new(format!("line {}", row.line));
        let (mut name, mut first, mut last) = (String::new(), String::new(), String::new());
        let mut id = None;
        for (i, field) in &columns {
            let v = row.get(*i);
            let many = || v.split(';').map(str::trim).filter(|s| !s.is_empty());
            match field {
                Field::Name => name = v.trim().to_owned(),
                Field::FirstName => first = v.trim().to_owned(),
                Field::LastName => last = v.trim().to_owned(),
                Field::Email => many().for_each(|x| {
                    b.email(x);
                }),
                Field::Phone => many().for_each(|x| {
                    b.phone(x);
                }),
                Field::Url => many().for_each(|x| {
                    b.link(x);
                }),
                Field::Tags => v
                    .split([';', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .for_each(|x| {
                        b.tag(x);
                    }),
                Field::Org => b.c.org = b.short_text("organisation", v),
                Field::Title => b.c.title = b.short_text("title", v),
                Field::Notes => b.c.notes = b.long_text("notes", v),
                Field::MetAt => b.c.met_at = b.short_text("place you met", v),
                Field::MetContext => b.c.met_context = b.long_text("context", v),
                Field::Trust if !v.trim().is_empty() => match v.parse() {
                    Ok(t) => b.c.trust = Some(t),
                    Err(_) => b.warnings.push(format!(
                        "line {}: left out trust `{}` (use stranger, acquainted, met, worked-with or trusted)",
                        row.line,
                        crate::candidate::short(v)
                    )),
                },
                Field::MetOn => b.c.met_on = b.date("met-on date", v),
                Field::ConnectedOn => b.c.connected_on = b.date("connected-on date", v),
                Field::Birthday | Field::Anniversary if !v.trim().is_empty() => {
                    let value = b.short_text("date", v);
                    let extras = b.c.extras.get_or_insert_with(Default::default);
                    if *field == Field::Birthday {
                        extras.birthday = value;
                    } else {
                        extras.anniversary = value;
                    }
                }
                Field::Id => id = v.trim().parse().ok(),
                Field::Trust | Field::Birthday | Field::Anniversary | Field::Ignore => {}
            }
        }
        if name.is_empty() {
            name = format!("{first} {last}").trim().to_owned();
        }
        if let Err(reason) = b.name(&name) {
            parsed.skipped.push(Skipped {
                record: b.c.record,
                reason,
            });
            continue;
        }
        if let Some(extras) = &mut b.c.extras {
            // A CSV has no vCard properties: keep the contact's own.
            extras.vcard_extra = None;
        }
        if let Some(id) = id {
            b.c.keys.push(MatchKey::Id(id));
        }
        b.finish_keys();
        parsed.warnings.append(&mut b.warnings);
        parsed.candidates.push(b.c);
    }
    Ok(parsed)
}
