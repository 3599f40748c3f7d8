//! `due`: follow-ups that are due, and contacts I have not talked to for longer than their
//! cadence, most urgent first.
//!
//! **Urgency** is how overdue an item is relative to its period: days overdue divided by the
//! cadence in days (`Period::approx_days`) for a contact, and by `FOLLOW_UP_SCALE_DAYS` for a
//! follow-up (a promise a week late is as urgent as a 90-day cadence 90 days late). Items not
//! yet due (`--within`) have a negative urgency. Ties go to the more trusted contact, then by
//! name.
//!
//! **Last interaction** is the newest interaction of any kind from any device that names the
//! contact (or a contact merged into it). Without one, the day I met (`met_on`), connected
//! (`connected_on`) or created the card counts as the start.

use super::graph::Resolver;
use super::{day_of, Book};
use crate::{
    Contact, ContactId, FollowUpState, GroupId, InteractionId, Period, TrustLevel, UnixMillis,
};
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

/// The period a follow-up's lateness is measured against (see the module documentation).
pub const FOLLOW_UP_SCALE_DAYS: u32 = 7;

/// Where a contact's cadence comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum CadenceSource {
    Contact,
    Group { id: GroupId, name: String },
    Tag { tag: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DueKind {
    FollowUp,
    KeepInTouch,
}

/// One line of `due`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DueItem {
    pub kind: DueKind,
    pub contact: ContactId,
    pub name: String,
    pub trust: Option<TrustLevel>,
    /// The day it is (or was) due, snoozes included.
    pub due: NaiveDate,
    /// Negative when it is due later (within the window).
    pub days_overdue: i64,
    /// The note a follow-up is attached to (its id is the follow-up's id).
    pub follow_up: Option<InteractionId>,
    /// The note's text, for a follow-up.
    pub text: Option<String>,
    pub cadence: Option<Period>,
    pub cadence_from: Option<CadenceSource>,
    pub last_interaction: Option<NaiveDate>,
    pub urgency: f64,
    /// Why it is there, in words.
    pub reason: String,
}

/// A contact's cadence: its own, else the shortest of its live groups' and tags' (by
/// `Period::approx_days`; on a tie, groups before tags, then by name).
pub fn effective_cadence(
    contact: &Contact,
    groups: &HashMap<GroupId, &crate::Group>,
    tag_cadences: &std::collections::BTreeMap<String, Period>,
) -> Option<(Period, CadenceSource)> {
    if let Some(c) = contact.cadence {
        return Some((c, CadenceSource::Contact));
    }
    let from_groups = contact.groups.iter().filter_map(|g| {
        let g = groups.get(g)?;
        let c = g.cadence?;
        g.deleted.is_none().then(|| {
            (
                c,
                CadenceSource::Group {
                    id: g.id,
                    name: g.name.clone(),
                },
            )
        })
    });
    let from_tags = contact.tags.iter().filter_map(|t| {
        tag_cadences
            .get(t)
            .map(|c| (*c, CadenceSource::Tag { tag: t.clone() }))
    });
    from_groups
        .chain(from_tags)
        .min_by_key(|(c, _)| c.approx_days())
}

/// Everything due on or before `today` plus `within`, most urgent first.
pub fn due(book: &Book<'_>, today: NaiveDate, within: Option<Period>) -> Vec<DueItem> {
    let horizon = within.map_or(today, |w| w.after(today));
    let resolver = Resolver::new(book.contacts);
    let groups: HashMap<GroupId, &crate::Group> = book.groups.iter().map(|g| (g.id, g)).collect();
    let mut last: HashMap<ContactId, UnixMillis> = HashMap::default();
    let mut notes: HashMap<InteractionId, &str> = HashMap::default();
    for i in book.interactions {
        notes.insert(i.id, i.text.as_str());
        for c in &i.contacts {
            if let Some(live) = resolver.live(*c) {
                let at = last.entry(live.id).or_insert(i.at);
                *at = (*at).max(i.at);
            }
        }
    }
    let mut items = Vec::new();
    for c in book.contacts.iter().filter(|c| !c.is_trashed()) {
        for (note, f) in &c.follow_ups {
            if f.state(horizon) == FollowUpState::Done {
                continue;
            }
            let due = f.effective_due();
            if due > horizon {
                continue;
            }
            let days = (today - due).num_days();
            let snoozed = match f.snoozed_until {
                Some(s) if s > f.due => format!(", snoozed to {s}"),
                _ => String::new(),
            };
            items.push(DueItem {
                kind: DueKind::FollowUp,
                contact: c.id,
                name: c.name.clone(),
                trust: c.trust,
                due,
                days_overdue: days,
                follow_up: Some(*note),
                text: notes.get(note).map(|t| (*t).to_owned()),
                cadence: None,
                cadence_from: None,
                last_interaction: last.get(&c.id).map(|t| day_of(*t)),
                urgency: days as f64 / f64::from(FOLLOW_UP_SCALE_DAYS),
                reason: format!("follow-up due {}{snoozed}: {}", f.due, lateness(days)),
            });
        }
        let Some((cadence, source)) = effective_cadence(c, &groups, book.tag_cadences) else {
            continue;
        };
        let talked = last.get(&c.id).map(|t| day_of(*t));
        let (since, what) = match (talked, c.met_on, c.connected_on) {
            (Some(d), _, _) => (d, "last talked"),
            (None, Some(d), _) => (d, "met"),
            (None, None, Some(d)) => (d, "connected"),
            (None, None, None) => (day_of(c.created), "added"),
        };
        let mut due = cadence.after(since);
        let mut snoozed = String::new();
        if let Some(s) = c.snoozed_until.filter(|s| *s > due) {
            due = s;
            snoozed = format!(", snoozed to {s}");
        }
        if due > horizon {
            continue;
        }
        let days = (today - due).num_days();
        let never = if talked.is_none() {
            " (no interaction since)"
        } else {
            ""
        };
        let source_text = match &source {
            CadenceSource::Contact => String::new(),
            CadenceSource::Group { name, .. } => format!(" (group {name})"),
            CadenceSource::Tag { tag } => format!(" (tag {tag})"),
        };
        items.push(DueItem {
            kind: DueKind::KeepInTouch,
            contact: c.id,
            name: c.name.clone(),
            trust: c.trust,
            due,
            days_overdue: days,
            follow_up: None,
            text: None,
            cadence: Some(cadence),
            cadence_from: Some(source),
            last_interaction: talked,
            urgency: days as f64 / f64::from(cadence.approx_days().max(1)),
            reason: format!(
                "{what} {since}{never}, {}{source_text}{snoozed}: {}",
                cadence.every(),
                lateness(days)
            ),
        });
    }
    items.sort_by(|a, b| {
        b.urgency
            .total_cmp(&a.urgency)
            .then(b.trust.cmp(&a.trust))
            .then(a.name.cmp(&b.name))
            .then(a.contact.cmp(&b.contact))
            .then(a.follow_up.cmp(&b.follow_up))
    });
    items
}

/// "36 days overdue", "due today", "due in 3 days".
fn lateness(days: i64) -> String {
    match days {
        0 => "due today".to_owned(),
        1 => "1 day overdue".to_owned(),
        -1 => "due tomorrow".to_owned(),
        d if d > 0 => format!("{d} days overdue"),
        d => format!("due in {} days", -d),
    }
}
