//! `rapport due --ics`: the due list as an iCalendar file (RFC 5545) that any calendar
//! imports, written with the `icalendar` crate rather than by hand.
//!
//! Each item is an all-day event on the day it is due. Its UID is stable (the follow-up's note
//! id, or the contact's id and "keep-in-touch"), so importing a newer export updates the
//! events instead of duplicating them.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use rapport_model::relate::{DueItem, DueKind};

/// The calendar for `items`; `stamp` is the export time (DTSTAMP), passed in like every time.
pub fn due_calendar(items: &[DueItem], stamp: DateTime<Utc>) -> String {
    let mut cal = Calendar::new();
    cal.name("Rapport: due");
    for item in items {
        let (uid, summary) = match (item.kind, item.follow_up) {
            (DueKind::FollowUp, Some(note)) => {
                let what = item.text.as_deref().unwrap_or("follow up");
                (
                    format!("follow-up-{note}@rapport"),
                    format!("Follow up with {}: {}", item.name, first_line(what)),
                )
            }
            _ => (
                format!("keep-in-touch-{}@rapport", item.contact),
                format!("Get in touch with {}", item.name),
            ),
        };
        let event = Event::new()
            .uid(&uid)
            .timestamp(stamp)
            .summary(&summary)
            .description(&item.reason)
            .all_day(item.due)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

/// At most the first line, and at most 200 characters of it: a calendar title, not the note.
fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::{CalendarComponent, DatePerhapsTime};
    use rapport_model::{ContactId, InteractionId, Period};

    fn item(kind: DueKind, name: &str, due: &str, note: Option<u64>) -> DueItem {
        DueItem {
            kind,
            contact: ContactId::from_u64(1),
            name: name.into(),
            trust: None,
            due: due.parse().unwrap(),
            days_overdue: 3,
            follow_up: note.map(InteractionId::from_u64),
            text: note.map(|_| "Send the deck\nand the numbers".into()),
            cadence: Some(Period::Days(90)),
            cadence_from: None,
            last_interaction: None,
            urgency: 0.1,
            reason: "last talked 2025-08-02, every 90 days: 36 days overdue".into(),
        }
    }

    #[test]
    fn the_due_calendar_parses_back_with_one_all_day_event_per_item() {
        let items = [
            item(
                DueKind::FollowUp,
                "Jeanne; \"Yocum\"",
                "2026-12-20",
                Some(7),
            ),
            item(DueKind::KeepInTouch, "Ann, of Paris", "2026-12-21", None),
        ];
        let stamp = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let text = due_calendar(&items, stamp);
        let parsed: Calendar = text.parse().unwrap();
        let events: Vec<&Event> = parsed
            .components
            .iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[0].get_summary(),
            Some("Follow up with Jeanne; \"Yocum\": Send the deck")
        );
        assert_eq!(
            events[0].get_uid(),
            Some("follow-up-0000000000000007@rapport")
        );
        assert_eq!(
            events[0].get_start(),
            Some(DatePerhapsTime::Date("2026-12-20".parse().unwrap()))
        );
        assert_eq!(
            events[1].get_summary(),
            Some("Get in touch with Ann, of Paris")
        );
        assert_eq!(
            events[1].get_description(),
            Some("last talked 2025-08-02, every 90 days: 36 days overdue")
        );
    }
}
