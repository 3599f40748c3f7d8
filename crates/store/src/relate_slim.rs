//! The relate index's contact: the fields the relationship queries read, with ids as integers
//! and days as day numbers. `Contact`'s own serde form spells ids as hex strings and dates
//! and periods as text (that form is shared with JSON), and parsing them back was most of
//! what decoding the index cost: a cold `due` on W1 parsed 10k contacts' worth.

use chrono::{Datelike, NaiveDate};
use rapport_model::SortedSet;
use rapport_model::{
    Contact, ContactId, FollowUp, GroupId, InteractionId, Period, TrustLevel, UnixMillis,
};
use serde::{Deserialize, Serialize};

/// A day as days since 0001-01-01 (chrono's `num_days_from_ce`).
type Day = i32;

fn day(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

/// A day number read back from the index; `None` (damage) for one out of chrono's range.
fn date(d: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(d)
}

/// `Period` as (unit, count): 0 days, 1 weeks, 2 months, 3 years.
fn period(p: Period) -> (u8, u32) {
    match p {
        Period::Days(n) => (0, n),
        Period::Weeks(n) => (1, n),
        Period::Months(n) => (2, n),
        Period::Years(n) => (3, n),
    }
}

fn unperiod((unit, n): (u8, u32)) -> Option<Period> {
    Some(match unit {
        0 => Period::Days(n),
        1 => Period::Weeks(n),
        2 => Period::Months(n),
        3 => Period::Years(n),
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SlimFollowUp {
    note: u64,
    due: Day,
    snoozed_until: Option<Day>,
    done: Option<UnixMillis>,
}

/// A contact without phones, links, org, title, met-at, met-context and notes, which no
/// relationship query reads.
///
/// `E` and `T` are how its emails and tags are read: as sets, or passed over (`Skipped`) by a
/// query that never looks at them. Decoding them into sets was three fifths of decoding a
/// contact, and a fifth of a cold `intro` on W30, which reads neither when the target is
/// named by id. Only the sets are ever written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SlimContact<E = SortedSet<String>, T = SortedSet<String>> {
    id: u64,
    name: String,
    /// Kept: a contact is found by email as well as by name. Sets, as in `Contact`: postcard
    /// writes a set as it writes a list (the bytes of format 8 are unchanged), and decoding
    /// straight into the set skips collecting, sorting and rebuilding it, which was a tenth
    /// of a cold `due`.
    emails: E,
    tags: T,
    groups: Vec<u64>,
    met_on: Option<Day>,
    introduced_by: Option<u64>,
    trust: Option<TrustLevel>,
    connected_on: Option<Day>,
    created: UnixMillis,
    updated: UnixMillis,
    deleted: Option<UnixMillis>,
    merged_into: Option<u64>,
    cadence: Option<(u8, u32)>,
    snoozed_until: Option<Day>,
    follow_ups: Vec<SlimFollowUp>,
}

/// A list of strings read past without allocating: it decodes to an empty set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Skipped, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Skipped;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Skipped, A::Error> {
                // Borrowed from the bucket's bytes: checked as UTF-8, never copied.
                while seq.next_element::<&'de str>()?.is_some() {}
                Ok(Skipped)
            }
        }
        d.deserialize_seq(Visitor)
    }
}

impl From<Skipped> for SortedSet<String> {
    fn from(_: Skipped) -> Self {
        SortedSet::new()
    }
}

impl SlimContact {
    pub(crate) fn of(c: &Contact) -> SlimContact {
        SlimContact {
            id: c.id.as_u64(),
            name: c.name.clone(),
            emails: c.emails.clone(),
            tags: c.tags.clone(),
            groups: c.groups.iter().map(|g| g.as_u64()).collect(),
            met_on: c.met_on.map(day),
            introduced_by: c.introduced_by.map(ContactId::as_u64),
            trust: c.trust,
            connected_on: c.connected_on.map(day),
            created: c.created,
            updated: c.updated,
            deleted: c.deleted,
            merged_into: c.merged_into.map(ContactId::as_u64),
            cadence: c.cadence.map(period),
            snoozed_until: c.snoozed_until.map(day),
            follow_ups: c
                .follow_ups
                .iter()
                .map(|(note, f)| SlimFollowUp {
                    note: note.as_u64(),
                    due: day(f.due),
                    snoozed_until: f.snoozed_until.map(day),
                    done: f.done,
                })
                .collect(),
        }
    }
}

impl<E: Into<SortedSet<String>>, T: Into<SortedSet<String>>> SlimContact<E, T> {
    /// The contact, with the fields the index leaves out (and those read as `Skipped`) empty;
    /// `None` if a day or a period does not decode (the caller reports view damage).
    pub(crate) fn contact(self) -> Option<Contact> {
        let opt_date = |d: Option<Day>| d.map(date).map_or(Some(None), |d| d.map(Some));
        let mut follow_ups = std::collections::BTreeMap::new();
        for f in self.follow_ups {
            let snoozed_until = opt_date(f.snoozed_until)?;
            follow_ups.insert(
                InteractionId::from_u64(f.note),
                FollowUp {
                    due: date(f.due)?,
                    snoozed_until,
                    done: f.done,
                },
            );
        }
        Some(Contact {
            id: ContactId::from_u64(self.id),
            name: self.name,
            emails: self.emails.into(),
            phones: SortedSet::new(),
            links: SortedSet::new(),
            org: None,
            title: None,
            tags: self.tags.into(),
            groups: self.groups.into_iter().map(GroupId::from_u64).collect(),
            met_on: opt_date(self.met_on)?,
            met_at: None,
            met_context: None,
            introduced_by: self.introduced_by.map(ContactId::from_u64),
            trust: self.trust,
            connected_on: opt_date(self.connected_on)?,
            notes: None,
            created: self.created,
            updated: self.updated,
            deleted: self.deleted,
            merged_into: self.merged_into.map(ContactId::from_u64),
            cadence: self
                .cadence
                .map(unperiod)
                .map_or(Some(None), |p| p.map(Some))?,
            snoozed_until: opt_date(self.snoozed_until)?,
            follow_ups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn jeanne() -> Contact {
        Contact {
            id: ContactId::from_u64(7),
            name: "Jeanne Okafor".to_owned(),
            emails: SortedSet::from(["j@example.org".to_owned(), "a@example.org".to_owned()]),
            phones: SortedSet::from(["+44 20 7946 0000".to_owned()]),
            links: SortedSet::from(["https://example.org".to_owned()]),
            org: Some("Acme".to_owned()),
            title: Some("CTO".to_owned()),
            tags: SortedSet::from(["climbing".to_owned(), "friend".to_owned()]),
            groups: SortedSet::from([GroupId::from_u64(3), GroupId::from_u64(1)]),
            met_on: Some(d("2019-03-02")),
            met_at: Some("RustConf".to_owned()),
            met_context: Some("a talk".to_owned()),
            introduced_by: Some(ContactId::from_u64(9)),
            trust: Some(TrustLevel::Trusted),
            connected_on: Some(d("0001-01-01")),
            notes: Some("notes".to_owned()),
            created: 1,
            updated: 2,
            deleted: Some(3),
            merged_into: Some(ContactId::from_u64(u64::MAX)),
            cadence: Some(Period::Months(6)),
            snoozed_until: Some(d("2026-12-20")),
            follow_ups: BTreeMap::from([(
                InteractionId::from_u64(11),
                FollowUp {
                    due: d("2026-12-01"),
                    snoozed_until: None,
                    done: Some(5),
                },
            )]),
        }
    }

    #[test]
    fn a_contact_comes_back_without_the_left_out_fields_only() {
        let c = jeanne();
        let bytes = postcard::to_allocvec(&SlimContact::of(&c)).unwrap();
        let back = postcard::from_bytes::<SlimContact>(&bytes)
            .unwrap()
            .contact()
            .unwrap();
        let expected = Contact {
            phones: SortedSet::new(),
            links: SortedSet::new(),
            org: None,
            title: None,
            met_at: None,
            met_context: None,
            notes: None,
            ..c
        };
        assert_eq!(back, expected);
    }

    #[test]
    fn a_set_is_written_as_the_list_format_8_wrote() {
        let set = SortedSet::from(["a@example.org".to_owned(), "b@example.org".to_owned()]);
        let list: Vec<String> = set.iter().cloned().collect();
        assert_eq!(
            postcard::to_allocvec(&set).unwrap(),
            postcard::to_allocvec(&list).unwrap()
        );
    }

    #[test]
    fn a_damaged_period_or_day_is_refused() {
        let mut s = SlimContact::of(&jeanne());
        s.cadence = Some((9, 1));
        assert_eq!(s.clone().contact(), None);
        s.cadence = None;
        s.met_on = Some(i32::MAX);
        assert_eq!(s.contact(), None);
    }
}
