//! The relationship layer's queries: who can introduce me to someone (`intro`), whom I should
//! get back to (`due`) and what to remember before a meeting (`brief`). Pure functions over
//! records already read (from the vault or from a store's read view): no document, no clock;
//! `today` is an argument.

mod acquaint;
mod brief;
mod due;
mod graph;
mod intro;

pub use acquaint::Acquaintances;
pub use brief::{brief, Brief, DeviceTouch, Mutual, OpenFollowUp, LAST_INTERACTIONS};
pub use due::{due, effective_cadence, CadenceSource, DueItem, DueKind, FOLLOW_UP_SCALE_DAYS};
pub use graph::{Evidence, Person};
pub use intro::{
    intro_graph, intro_paths, GraphEdge, GraphNode, Hop, IntroGraph, IntroPath, DEFAULT_MAX_HOPS,
    MAX_PATHS,
};

use crate::{Contact, Group, Interaction, Period, UnixMillis};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What the queries read: every contact (trashed and merged ones too, so that references to
/// them can be followed or skipped), every interaction, every group and the tag cadences.
#[derive(Debug, Clone, Copy)]
pub struct Book<'a> {
    pub contacts: &'a [Contact],
    pub interactions: &'a [Interaction],
    pub groups: &'a [Group],
    pub tag_cadences: &'a BTreeMap<String, Period>,
}

/// The UTC day of a time (interactions carry Unix milliseconds).
pub fn day_of(at: UnixMillis) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.date_naive())
        .unwrap_or(NaiveDate::MIN)
}
