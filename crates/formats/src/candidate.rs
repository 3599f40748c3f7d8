//! A contact as one record of an input describes it, already validated and normalised the way
//! the vault stores values, with the keys that say which existing contact it is.

use chrono::NaiveDate;
use rapport_model::validate::{self, MAX_LONG_TEXT, MAX_SHORT_TEXT};
use rapport_model::{ContactExtras, ContactId, TrustLevel, UnixMillis};
use std::fmt;

/// How a record is recognised as a contact the vault already holds, strongest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKey {
    /// A Rapport id (a vCard or CSV that Rapport exported).
    Id(ContactId),
    /// A vCard UID that is not a Rapport id, kept with the contact's vCard properties.
    Uid(String),
    /// A profile URL (LinkedIn's stable key).
    Link(String),
    Email(String),
    Phone(String),
    /// The exact name (lowercased) and organisation: the last resort, for records with nothing
    /// better, so that importing the same file twice still creates nothing twice.
    NameOrg(String, Option<String>),
}

impl MatchKey {
    /// Says what matched, for the summary: "by profile URL".
    pub fn kind(&self) -> &'static str {
        match self {
            MatchKey::Id(_) => "id",
            MatchKey::Uid(_) => "vCard UID",
            MatchKey::Link(_) => "profile URL",
            MatchKey::Email(_) => "email",
            MatchKey::Phone(_) => "phone",
            MatchKey::NameOrg(..) => "name and organisation",
        }
    }
}

impl fmt::Display for MatchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchKey::Id(id) => write!(f, "id {id}"),
            MatchKey::Uid(u) => write!(f, "UID {u}"),
            MatchKey::Link(u) => write!(f, "profile URL {u}"),
            MatchKey::Email(e) => write!(f, "email {e}"),
            MatchKey::Phone(p) => write!(f, "phone {p}"),
            MatchKey::NameOrg(n, Some(o)) => write!(f, "name {n} at {o}"),
            MatchKey::NameOrg(n, None) => write!(f, "name {n}"),
        }
    }
}

/// The first interaction an import logs for a new connection ("Connected on LinkedIn").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub at: UnixMillis,
    pub text: String,
}

/// One record of an input, ready to be planned against the vault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    /// Where the record is, for messages: `line 12`, `card 3 (line 40)`.
    pub record: String,
    /// Keys tried in order against existing contacts.
    pub keys: Vec<MatchKey>,
    pub name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub links: Vec<String>,
    pub tags: Vec<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub met_at: Option<String>,
    pub met_context: Option<String>,
    pub trust: Option<TrustLevel>,
    pub met_on: Option<NaiveDate>,
    pub connected_on: Option<NaiveDate>,
    /// How often to keep in touch (vCard `X-RAPPORT-CADENCE`).
    pub cadence: Option<rapport_model::Period>,
    /// `Some` when the format carries extras (vCard): the contact's extras become exactly
    /// these. `None` leaves a contact's extras alone.
    pub extras: Option<ContactExtras>,
    /// True when `extras` is the whole truth (a vCard): absent values then clear the
    /// contact's. False: only the values present are set.
    pub extras_replace: bool,
    pub connection: Option<Connection>,
}

/// Builds a candidate from raw values, normalising each the way the vault will, and recording
/// what had to be dropped.
#[derive(Debug)]
pub(crate) struct Builder {
    pub c: Candidate,
    pub warnings: Vec<String>,
}

impl Builder {
    pub fn new(record: String) -> Builder {
        Builder {
            c: Candidate {
                record,
                ..Default::default()
            },
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, what: &str, value: &str, why: impl fmt::Display) {
        self.warnings.push(format!(
            "{}: left out {what} `{}` ({why})",
            self.c.record,
            short(value)
        ));
    }

    /// Adds a value to a set; returns false (and warns) if it is not valid.
    pub fn email(&mut self, raw: &str) -> bool {
        self.member(raw, "email", validate::email, |c| &mut c.emails)
    }
    pub fn phone(&mut self, raw: &str) -> bool {
        self.member(raw, "phone", validate::phone, |c| &mut c.phones)
    }
    pub fn link(&mut self, raw: &str) -> bool {
        self.member(raw, "link", validate::link, |c| &mut c.links)
    }
    /// Tags are one lowercase word: "Business Contacts" becomes `business-contacts`.
    pub fn tag(&mut self, raw: &str) -> bool {
        let joined: String = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .replace(',', "-");
        if joined.is_empty() {
            return true;
        }
        self.member(&joined, "tag", validate::tag, |c| &mut c.tags)
    }

    /// `try_member` without the warning: for callers that keep a value they cannot use
    /// elsewhere (a vCard property kept verbatim).
    pub fn try_member(
        &mut self,
        raw: &str,
        normalise: fn(&str) -> Result<String, validate::InvalidValue>,
        set: fn(&mut Candidate) -> &mut Vec<String>,
    ) -> bool {
        if raw.trim().is_empty() {
            return true;
        }
        match normalise(raw) {
            Ok(v) => {
                let s = set(&mut self.c);
                if !s.contains(&v) {
                    s.push(v);
                }
                true
            }
            Err(_) => false,
        }
    }

    fn member(
        &mut self,
        raw: &str,
        what: &str,
        normalise: fn(&str) -> Result<String, validate::InvalidValue>,
        set: fn(&mut Candidate) -> &mut Vec<String>,
    ) -> bool {
        if self.try_member(raw, normalise, set) {
            return true;
        }
        self.warn(what, raw, "not valid");
        false
    }

    /// A single-line text field; an empty value is absent. Too long: warns and leaves it out.
    pub fn short_text(&mut self, what: &'static str, raw: &str) -> Option<String> {
        self.text(what, raw, MAX_SHORT_TEXT)
    }
    pub fn long_text(&mut self, what: &'static str, raw: &str) -> Option<String> {
        self.text(what, raw, MAX_LONG_TEXT)
    }
    fn text(&mut self, what: &'static str, raw: &str, max: usize) -> Option<String> {
        if raw.trim().is_empty() {
            return None;
        }
        match validate::text(what, raw, max) {
            Ok(v) => Some(v),
            Err(e) => {
                self.warn(what, raw, e);
                None
            }
        }
    }

    /// A date as `YYYY-MM-DD` or LinkedIn's `05 Oct 2020`.
    pub fn date(&mut self, what: &'static str, raw: &str) -> Option<NaiveDate> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        match parse_date(t) {
            Some(d) => Some(d),
            None => {
                self.warn(what, raw, "not a date like 2020-10-05 or 05 Oct 2020");
                None
            }
        }
    }

    /// Sets the name; the record is skipped (the reason returned) if there is none.
    pub fn name(&mut self, raw: &str) -> Result<(), String> {
        if raw.trim().is_empty() {
            return Err("it has no name".to_owned());
        }
        let name = validate::text("name", raw, MAX_SHORT_TEXT).map_err(|e| e.to_string())?;
        self.c.name = name;
        Ok(())
    }

    /// The usual fallback keys, after whatever the format put first: emails, then the name and
    /// organisation.
    pub fn finish_keys(&mut self) {
        let c = &mut self.c;
        for l in &c.links {
            c.keys.push(MatchKey::Link(l.clone()));
        }
        for e in &c.emails {
            c.keys.push(MatchKey::Email(e.clone()));
        }
        c.keys.push(MatchKey::NameOrg(
            c.name.to_lowercase(),
            c.org.as_ref().map(|o| o.to_lowercase()),
        ));
    }
}

/// `YYYY-MM-DD`, `YYYYMMDD` or `05 Oct 2020`.
pub(crate) fn parse_date(t: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d %b %Y"))
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"))
        .ok()
}

/// Noon UTC of a date, in Unix milliseconds: a date-only event shows on that day everywhere.
pub(crate) fn noon(d: NaiveDate) -> UnixMillis {
    d.and_hms_opt(12, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

/// A value shortened for a message.
pub(crate) fn short(v: &str) -> String {
    let v = v.trim();
    if v.chars().count() <= 60 {
        v.to_owned()
    } else {
        format!("{}…", v.chars().take(60).collect::<String>())
    }
}
