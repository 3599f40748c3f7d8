//! CSV export: one row per contact, with the header names `rapport import csv` reads back.
//! Emails, phones, URLs and tags are `;`-separated within their cell.

use rapport_model::Contact;
use std::collections::BTreeMap;

/// The header of an export.
pub const HEADER: [&str; 15] = [
    "id",
    "name",
    "emails",
    "phones",
    "urls",
    "org",
    "title",
    "tags",
    "groups",
    "trust",
    "met_on",
    "met_at",
    "met_context",
    "connected_on",
    "notes",
];

/// Writes contacts as CSV. `group_names` names the groups (a contact's `groups` cell lists
/// them `;`-separated; groups are not read back by `import csv`).
pub fn write_all<'a>(
    w: impl std::io::Write,
    contacts: impl IntoIterator<Item = &'a Contact>,
    group_names: &BTreeMap<rapport_model::GroupId, String>,
) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADER)?;
    let join = |set: &mut dyn Iterator<Item = &str>| set.collect::<Vec<_>>().join(";");
    for c in contacts {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let groups = join(
            &mut c
                .groups
                .iter()
                .filter_map(|g| group_names.get(g).map(String::as_str)),
        );
        out.write_record([
            c.id.to_string(),
            c.name.clone(),
            join(&mut c.emails.iter().map(String::as_str)),
            join(&mut c.phones.iter().map(String::as_str)),
            join(&mut c.links.iter().map(String::as_str)),
            c.org.clone().unwrap_or_default(),
            c.title.clone().unwrap_or_default(),
            join(&mut c.tags.iter().map(String::as_str)),
            groups,
            c.trust.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            date(c.met_on),
            c.met_at.clone().unwrap_or_default(),
            c.met_context.clone().unwrap_or_default(),
            date(c.connected_on),
            c.notes.clone().unwrap_or_default(),
        ])?;
    }
    out.flush()?;
    Ok(())
}
