//! vCard import (2.1, 3.0 and 4.0, as far as `calcard` parses them). `calcard` does the
//! parsing; this module only maps its properties to Rapport's fields.
//!
//! Mapped: FN (or N when FN is empty), EMAIL, TEL, URL, ORG, TITLE, NOTE, CATEGORIES (to tags),
//! BDAY and ANNIVERSARY (to the contact's extras), a Rapport UID (`urn:rapport:<id>`) and the
//! `X-RAPPORT-*` properties that `vcard_out` writes. Everything else (N, ADR, PHOTO, NICKNAME,
//! `X-` properties, other UIDs, values Rapport cannot store such as an EMAIL that is not an
//! address) is kept verbatim as vCard 4.0 lines in the contact's `vcard_extra`, so an export
//! gives it back. VERSION, PRODID and REV describe the file, not the person, and are dropped.

use crate::candidate::{short, Builder, MatchKey};
use crate::{ImportError, Limits, Parsed, Skipped};
use calcard::common::PartialDateTime;
use calcard::vcard::{VCard, VCardEntry, VCardProperty, VCardValue};
use calcard::{Entry, Parser};
use rapport_model::{validate, ContactExtras, ContactId, MAX_VCARD_EXTRA};
use std::io::Read;

/// The UID prefix of a card that Rapport exported: the rest is the contact's id.
pub const RAPPORT_UID_PREFIX: &str = "urn:rapport:";

/// Most lines of junk between cards reported one by one.
const MAX_REPORTED_JUNK: usize = 5;

/// Parses one vCard file. `label` names it in messages when several files are imported
/// (empty for a single file).
pub fn parse(reader: impl Read, label: &str, limits: Limits) -> Result<Parsed, ImportError> {
    let text = crate::read_text(reader, limits.max_bytes)?;
    parse_str(&text, label, limits)
}

/// Parses vCards already in memory (checked UTF-8 text).
pub fn parse_str(text: &str, label: &str, limits: Limits) -> Result<Parsed, ImportError> {
    // The line of each BEGIN:VCARD, to name cards by line. Locating the card boundaries is all
    // this does; calcard parses the cards.
    let begins: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| is_line(l, "BEGIN:VCARD"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    if begins.is_empty() {
        return Err(ImportError::NoCards);
    }
    if let Some(n) = unterminated(text) {
        let line = begins.get(n - 1).copied().unwrap_or(0);
        let at = if label.is_empty() {
            String::new()
        } else {
            format!("{label} ")
        };
        return Err(ImportError::Unterminated {
            record: format!("card {n} ({at}line {line})"),
        });
    }
    if begins.len() > limits.max_records {
        return Err(ImportError::TooManyRecords {
            max: limits.max_records,
        });
    }
    let name_card = |n: usize| {
        let at = if label.is_empty() {
            String::new()
        } else {
            format!("{label} ")
        };
        match begins.get(n - 1) {
            Some(line) => format!("card {n} ({at}line {line})"),
            None => format!("card {n} ({at})").replace(" ()", ""),
        }
    };
    let mut parsed = Parsed::default();
    let mut parser = Parser::new(text);
    let mut n = 0;
    let mut junk = 0;
    loop {
        match parser.entry() {
            Entry::VCard(card) => {
                n += 1;
                match map_card(&card, name_card(n)) {
                    Ok((candidate, mut warnings)) => {
                        parsed.warnings.append(&mut warnings);
                        parsed.candidates.push(candidate);
                    }
                    Err(skip) => parsed.skipped.push(skip),
                }
            }
            Entry::InvalidLine(line) => {
                junk += 1;
                if junk <= MAX_REPORTED_JUNK {
                    parsed.warnings.push(format!(
                        "{}ignored a line outside any card: `{}`",
                        if label.is_empty() {
                            String::new()
                        } else {
                            format!("{label}: ")
                        },
                        short(&line)
                    ));
                }
            }
            Entry::ICalendar(_) => parsed.warnings.push(format!(
                "{}ignored a calendar entry (this imports contacts only)",
                label
            )),
            Entry::UnterminatedComponent(_) | Entry::UnexpectedComponentEnd { .. } => {
                return Err(ImportError::Unterminated {
                    record: name_card(n + 1),
                })
            }
            Entry::TooManyComponents => {
                return Err(ImportError::TooManyRecords {
                    max: limits.max_records,
                })
            }
            Entry::Eof => break,
            _ => {}
        }
    }
    if junk > MAX_REPORTED_JUNK {
        parsed.warnings.push(format!(
            "{label}{}ignored {junk} lines outside any card in all",
            if label.is_empty() { "" } else { ": " }
        ));
    }
    if n == 0 {
        return Err(ImportError::NoCards);
    }
    Ok(parsed)
}

/// All the text of a property's values (components joined by `sep`).
fn text_of(e: &VCardEntry, sep: &str) -> String {
    e.values
        .iter()
        .filter_map(|v| match v {
            VCardValue::Text(t) => Some(t.clone()),
            VCardValue::Component(c) => Some(c.join(sep)),
            VCardValue::Integer(i) => Some(i.to_string()),
            other => other.as_text().map(str::to_owned),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// A vCard date as Rapport keeps it: `YYYY-MM-DD`, `--MM-DD` without a year, else the text.
fn date_of(e: &VCardEntry) -> Option<String> {
    match e.values.first()? {
        VCardValue::PartialDateTime(PartialDateTime {
            year,
            month: Some(m),
            day: Some(d),
            ..
        }) => Some(match year {
            Some(y) => format!("{y:04}-{m:02}-{d:02}"),
            None => format!("--{m:02}-{d:02}"),
        }),
        _ => Some(text_of(e, " ")).filter(|t| !t.trim().is_empty()),
    }
}

/// The name from N's components: prefix, given, additional, family, suffix.
fn name_from_n(e: &VCardEntry) -> String {
    let part = |i: usize| match e.values.get(i) {
        Some(VCardValue::Text(t)) => t.trim().to_owned(),
        Some(VCardValue::Component(c)) => c.join(" ").trim().to_owned(),
        _ => String::new(),
    };
    [part(3), part(1), part(2), part(0), part(4)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_x(e: &VCardEntry, name: &str) -> bool {
    matches!(&e.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case(name))
}

/// Maps one card, or says why it is skipped.
fn map_card(card: &VCard, record: String) -> Result<(crate::Candidate, Vec<String>), Skipped> {
    let mut b = Builder::new(record);
    let mut kept: Vec<String> = Vec::new();
    let mut extras = ContactExtras::default();
    let mut rapport_id: Option<ContactId> = None;
    let mut uid: Option<String> = None;
    let mut notes: Vec<String> = Vec::new();
    let mut fn_name = String::new();
    let mut n_name = String::new();
    for e in &card.entries {
        let keep = |kept: &mut Vec<String>| {
            let mut line = String::new();
            if e.write_to(&mut line, true).is_ok() {
                kept.push(line);
            }
        };
        let text = || text_of(e, ",");
        match &e.name {
            VCardProperty::Begin
            | VCardProperty::End
            | VCardProperty::Version
            | VCardProperty::Prodid
            | VCardProperty::Rev => {}
            VCardProperty::Fn => {
                if fn_name.is_empty() {
                    fn_name = text_of(e, " ").trim().to_owned();
                }
            }
            VCardProperty::N => {
                if n_name.is_empty() {
                    n_name = name_from_n(e);
                }
                keep(&mut kept);
            }
            VCardProperty::Email => {
                if !b.try_member(&text(), validate::email, |c| &mut c.emails) {
                    keep(&mut kept);
                }
            }
            VCardProperty::Tel => {
                let t = text();
                let t = t.trim().strip_prefix("tel:").unwrap_or(t.trim()).to_owned();
                if !b.try_member(&t, validate::phone, |c| &mut c.phones) {
                    keep(&mut kept);
                }
            }
            VCardProperty::Url => {
                if !b.try_member(&text(), validate::link, |c| &mut c.links) {
                    keep(&mut kept);
                }
            }
            VCardProperty::Org => {
                let org = e
                    .values
                    .iter()
                    .filter_map(|v| v.as_text())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                if b.c.org.is_none() {
                    b.c.org = b.short_text("organisation", &org);
                } else if !org.is_empty() {
                    keep(&mut kept);
                }
            }
            VCardProperty::Title => {
                if b.c.title.is_none() {
                    b.c.title = b.short_text("title", &text());
                } else if !text().trim().is_empty() {
                    keep(&mut kept);
                }
            }
            VCardProperty::Note => {
                let t = text();
                if !t.trim().is_empty() {
                    notes.push(t.trim().to_owned());
                }
            }
            VCardProperty::Categories => {
                for v in e.values.iter().filter_map(|v| v.as_text()) {
                    for t in v.split(',') {
                        b.tag(t);
                    }
                }
            }
            VCardProperty::Bday if extras.birthday.is_none() => extras.birthday = date_of(e),
            VCardProperty::Anniversary if extras.anniversary.is_none() => {
                extras.anniversary = date_of(e)
            }
            VCardProperty::Uid => {
                let t = text().trim().to_owned();
                match t.strip_prefix(RAPPORT_UID_PREFIX).map(str::parse) {
                    Some(Ok(id)) => rapport_id = Some(id),
                    _ => {
                        if !t.is_empty() && uid.is_none() {
                            uid = Some(t);
                        }
                        keep(&mut kept);
                    }
                }
            }
            _ if is_x(e, "X-RAPPORT-TRUST") => b.c.trust = text().trim().parse().ok(),
            _ if is_x(e, "X-RAPPORT-MET-ON") => b.c.met_on = b.date("met-on date", &text()),
            _ if is_x(e, "X-RAPPORT-MET-AT") => {
                b.c.met_at = b.short_text("place you met", &text_of(e, ","))
            }
            _ if is_x(e, "X-RAPPORT-MET-CONTEXT") => {
                b.c.met_context = b.long_text("context", &text_of(e, ","))
            }
            _ if is_x(e, "X-RAPPORT-CONNECTED-ON") => {
                b.c.connected_on = b.date("connected-on date", &text())
            }
            _ if is_x(e, "X-RAPPORT-CADENCE") => match text().parse() {
                Ok(p) => b.c.cadence = Some(p),
                Err(e) => {
                    let w = format!("{}: {e}; cadence not imported", b.c.record);
                    b.warnings.push(w)
                }
            },
            _ => keep(&mut kept),
        }
    }
    let name = if fn_name.is_empty() { n_name } else { fn_name };
    if let Err(reason) = b.name(&name) {
        return Err(Skipped {
            record: b.c.record,
            reason: format!("{reason} (FN or N)"),
        });
    }
    if !notes.is_empty() {
        b.c.notes = b.long_text("notes", &notes.join("\n\n"));
    }
    extras.vcard_extra = fit_kept(kept, &b.c.record, &mut b.warnings);
    b.c.extras = Some(extras);
    b.c.extras_replace = true;
    if let Some(id) = rapport_id {
        b.c.keys.push(MatchKey::Id(id));
    }
    if let Some(uid) = uid {
        b.c.keys.push(MatchKey::Uid(uid));
    }
    b.finish_keys();
    Ok((b.c, b.warnings))
}

/// The kept properties as one text, within `MAX_VCARD_EXTRA`: the largest are left out first
/// (in practice a big PHOTO), each with a warning.
fn fit_kept(mut kept: Vec<String>, record: &str, warnings: &mut Vec<String>) -> Option<String> {
    let mut total: usize = kept.iter().map(String::len).sum();
    while total > MAX_VCARD_EXTRA {
        let Some((i, _)) = kept.iter().enumerate().max_by_key(|(_, k)| k.len()) else {
            break;
        };
        let dropped = kept.remove(i);
        total -= dropped.len();
        let name: String = dropped
            .chars()
            .take_while(|c| *c != ':' && *c != ';')
            .collect();
        warnings.push(format!(
            "{record}: left out {name} ({} KiB; at most {} KiB of other vCard properties are kept per contact)",
            dropped.len() / 1024,
            MAX_VCARD_EXTRA / 1024
        ));
    }
    let text = kept.concat();
    (!text.is_empty()).then_some(text)
}

/// The UID kept in a contact's `vcard_extra`, if any (to match a re-imported card).
pub fn uid_in_extra(extra: &str) -> Option<String> {
    extra.split("\r\n").find_map(|line| {
        let upper = line.get(..4)?.to_ascii_uppercase();
        if upper == "UID:" || upper == "UID;" {
            line.split_once(':').map(|(_, v)| v.trim().to_owned())
        } else {
            None
        }
    })
}

/// The number (1-based) of the first card whose BEGIN:VCARD has no END:VCARD before the next
/// card or the end of the input: a file cut short. calcard would quietly accept it.
fn unterminated(text: &str) -> Option<usize> {
    let mut open: Option<usize> = None;
    let mut n = 0;
    for l in text.lines() {
        if is_line(l, "BEGIN:VCARD") {
            n += 1;
            if open.is_some() {
                return open;
            }
            open = Some(n);
        } else if is_line(l, "END:VCARD") {
            open = None;
        }
    }
    open
}

/// Whether `line` is the property line `what`. A line that starts with a space or a tab is the
/// continuation of a folded line (a photo's base64 can fold right before `BEGIN:VCARD`), never
/// a property of its own.
fn is_line(line: &str, what: &str) -> bool {
    line.trim_start_matches('\u{feff}')
        .trim_end()
        .eq_ignore_ascii_case(what)
}
