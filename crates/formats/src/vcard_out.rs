//! vCard 4.0 export. `calcard` writes every property (escaping and folding); `vcard_in` reads
//! the result back to the same contact: Rapport's own fields as standard properties or
//! `X-RAPPORT-*`, the contact's id as `UID:urn:rapport:<id>` (unless it came with a UID of its
//! own), and the properties kept at import (`vcard_extra`) as they were.

use crate::vcard_in::RAPPORT_UID_PREFIX;
use calcard::common::PartialDateTime;
use calcard::vcard::{
    VCard, VCardEntry, VCardParameter, VCardProperty, VCardValue, VCardValueType, VCardVersion,
};
use rapport_model::{Contact, ContactExtras};

/// Appends one contact as a vCard 4.0.
pub fn write_contact(out: &mut String, c: &Contact, extras: &ContactExtras) -> std::fmt::Result {
    let mut entries = Vec::new();
    let text = |prop: VCardProperty, v: &str| VCardEntry::new(prop).with_value(v.to_owned());
    let kept_uid = extras
        .vcard_extra
        .as_deref()
        .and_then(crate::vcard_in::uid_in_extra);
    if kept_uid.is_none() {
        entries.push(text(
            VCardProperty::Uid,
            &format!("{RAPPORT_UID_PREFIX}{}", c.id),
        ));
    }
    entries.push(text(VCardProperty::Fn, &c.name));
    for e in &c.emails {
        entries.push(text(VCardProperty::Email, e));
    }
    for p in &c.phones {
        entries.push(text(VCardProperty::Tel, p));
    }
    for l in &c.links {
        entries.push(text(VCardProperty::Url, l));
    }
    if let Some(o) = &c.org {
        entries.push(text(VCardProperty::Org, o));
    }
    if let Some(t) = &c.title {
        entries.push(text(VCardProperty::Title, t));
    }
    if let Some(n) = &c.notes {
        entries.push(text(VCardProperty::Note, n));
    }
    if !c.tags.is_empty() {
        entries.push(
            VCardEntry::new(VCardProperty::Categories)
                .with_values(c.tags.iter().map(|t| VCardValue::Text(t.clone())).collect()),
        );
    }
    for (prop, value) in [
        (VCardProperty::Bday, &extras.birthday),
        (VCardProperty::Anniversary, &extras.anniversary),
    ] {
        if let Some(v) = value {
            entries.push(date_entry(prop, v));
        }
    }
    let x = |name: &str, v: String| text(VCardProperty::Other(name.to_owned()), &v);
    if let Some(t) = c.trust {
        entries.push(x("X-RAPPORT-TRUST", t.as_str().to_owned()));
    }
    if let Some(d) = c.met_on {
        entries.push(x("X-RAPPORT-MET-ON", d.to_string()));
    }
    if let Some(v) = &c.met_at {
        entries.push(x("X-RAPPORT-MET-AT", v.clone()));
    }
    if let Some(v) = &c.met_context {
        entries.push(x("X-RAPPORT-MET-CONTEXT", v.clone()));
    }
    if let Some(d) = c.connected_on {
        entries.push(x("X-RAPPORT-CONNECTED-ON", d.to_string()));
    }
    if let Some(p) = c.cadence {
        entries.push(x("X-RAPPORT-CADENCE", p.to_string()));
    }
    let card = VCard { entries };
    let mut text = String::new();
    card.write_to(&mut text, VCardVersion::V4_0)?;
    // The kept properties go back verbatim, before END:VCARD.
    match (
        extras.vcard_extra.as_deref(),
        text.strip_suffix("END:VCARD\r\n"),
    ) {
        (Some(extra), Some(body)) => {
            out.push_str(body);
            out.push_str(extra);
            if !extra.ends_with('\n') {
                out.push_str("\r\n");
            }
            out.push_str("END:VCARD\r\n");
        }
        _ => out.push_str(&text),
    }
    Ok(())
}

/// A BDAY or ANNIVERSARY: a date (`19800415`, `--0415`) when Rapport holds one, else text.
fn date_entry(prop: VCardProperty, v: &str) -> VCardEntry {
    let date = if let Some(md) = v.strip_prefix("--") {
        chrono::NaiveDate::parse_from_str(&format!("2000-{md}"), "%Y-%m-%d")
            .ok()
            .map(|d| (None, d))
    } else {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .ok()
            .map(|d| (Some(d), d))
    };
    use chrono::Datelike;
    match date {
        Some((year, d)) => {
            VCardEntry::new(prop).with_value(VCardValue::PartialDateTime(PartialDateTime {
                year: year.and_then(|y| u16::try_from(y.year()).ok()),
                month: u8::try_from(d.month()).ok(),
                day: u8::try_from(d.day()).ok(),
                ..Default::default()
            }))
        }
        None => VCardEntry::new(prop)
            .with_param(VCardParameter::value(VCardValueType::Text))
            .with_value(v.to_owned()),
    }
}

/// Writes contacts as one vCard 4.0 file.
pub fn write_all<'a>(
    mut w: impl std::io::Write,
    contacts: impl IntoIterator<Item = (&'a Contact, &'a ContactExtras)>,
) -> std::io::Result<()> {
    let mut buf = String::new();
    for (c, extras) in contacts {
        buf.clear();
        write_contact(&mut buf, c, extras).map_err(|_| std::io::Error::other("vCard writer"))?;
        w.write_all(buf.as_bytes())?;
    }
    w.flush()
}
