//! Plain records read out of the vault, and the inputs that change it. These are what every
//! other crate sees; only `vault` knows how they are laid out in the Automerge document.

use crate::{
    ContactId, DeviceId, GroupId, InteractionId, Period, SortedSet, TrustLevel, UnixMillis,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A person in the address book, as the current state of the vault shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub emails: SortedSet<String>,
    pub phones: SortedSet<String>,
    pub links: SortedSet<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    pub tags: SortedSet<String>,
    pub groups: SortedSet<GroupId>,
    pub met_on: Option<NaiveDate>,
    pub met_at: Option<String>,
    pub met_context: Option<String>,
    pub introduced_by: Option<ContactId>,
    pub trust: Option<TrustLevel>,
    pub connected_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub created: UnixMillis,
    pub updated: UnixMillis,
    /// Set when the contact is in the trash; `restore` clears it.
    pub deleted: Option<UnixMillis>,
    /// Set when this contact was merged into another (`rapport merge`): it is then also in the
    /// trash, and its id resolves to the survivor.
    pub merged_into: Option<ContactId>,
    /// How often to keep in touch with this person; wins over their groups' and tags'.
    pub cadence: Option<Period>,
    /// The keep-in-touch reminder is deferred until this day (`rapport snooze CONTACT`).
    pub snoozed_until: Option<NaiveDate>,
    /// Follow-ups, keyed by the note they are attached to.
    pub follow_ups: BTreeMap<InteractionId, FollowUp>,
}

impl Contact {
    pub fn is_trashed(&self) -> bool {
        self.deleted.is_some()
    }
}

/// Something to do about a contact by some day, attached to a note (whose text says what).
/// Stored as three independent keys (see docs/SCHEMA.md), so a close and a concurrent snooze
/// both survive a merge, and `done` then wins: closing wins by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub due: NaiveDate,
    pub snoozed_until: Option<NaiveDate>,
    /// When it was closed. Once present the follow-up is done, whatever else was written.
    pub done: Option<UnixMillis>,
}

/// Where a follow-up stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FollowUpState {
    Open,
    Snoozed,
    Done,
}

impl FollowUp {
    /// The day it next needs attention: its due date, or the end of a later snooze.
    pub fn effective_due(&self) -> NaiveDate {
        match self.snoozed_until {
            Some(s) if s > self.due => s,
            _ => self.due,
        }
    }

    /// Done beats everything; a snooze counts only until the day it ends.
    pub fn state(&self, today: NaiveDate) -> FollowUpState {
        if self.done.is_some() {
            FollowUpState::Done
        } else if self.snoozed_until.is_some_and(|s| s > today) {
            FollowUpState::Snoozed
        } else {
            FollowUpState::Open
        }
    }
}

/// The single-valued fields of a contact that can be set and cleared on their own. Each is one
/// key in the contact's map, so two devices editing different fields never conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContactField {
    Name,
    Org,
    Title,
    Notes,
    Trust,
    MetOn,
    MetAt,
    MetContext,
    IntroducedBy,
    ConnectedOn,
    Cadence,
}

impl ContactField {
    pub const ALL: [ContactField; 11] = [
        ContactField::Name,
        ContactField::Org,
        ContactField::Title,
        ContactField::Notes,
        ContactField::Trust,
        ContactField::MetOn,
        ContactField::MetAt,
        ContactField::MetContext,
        ContactField::IntroducedBy,
        ContactField::ConnectedOn,
        ContactField::Cadence,
    ];

    /// The key of this field in the contact's Automerge map (see docs/SCHEMA.md).
    pub fn key(self) -> &'static str {
        match self {
            ContactField::Name => "name",
            ContactField::Org => "org",
            ContactField::Title => "title",
            ContactField::Notes => "notes",
            ContactField::Trust => "trust",
            ContactField::MetOn => "met_on",
            ContactField::MetAt => "met_at",
            ContactField::MetContext => "met_context",
            ContactField::IntroducedBy => "introduced_by",
            ContactField::ConnectedOn => "connected_on",
            ContactField::Cadence => "cadence",
        }
    }
}

impl fmt::Display for ContactField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key().replace('_', "-"))
    }
}

/// A field name the user typed that is not a clearable field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown field `{0}`: use one of org, title, notes, trust, met-on, met-at, met-context, introduced-by, connected-on, cadence")]
pub struct ParseFieldError(pub String);

impl FromStr for ContactField {
    type Err = ParseFieldError;
    fn from_str(s: &str) -> Result<Self, ParseFieldError> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        ContactField::ALL
            .into_iter()
            .find(|f| f.key() == wanted)
            .ok_or_else(|| ParseFieldError(s.to_owned()))
    }
}

/// A change to one contact: fields to set, fields to clear, and set members to add or remove.
/// `add` uses the same type for the initial values. Values are validated by the vault, which
/// rejects the whole patch if any value is bad, so nothing is half-applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub trust: Option<TrustLevel>,
    pub met_on: Option<String>,
    pub met_at: Option<String>,
    pub met_context: Option<String>,
    pub introduced_by: Option<ContactId>,
    pub connected_on: Option<String>,
    pub cadence: Option<Period>,
    pub clear: Vec<ContactField>,
    pub add_emails: Vec<String>,
    pub remove_emails: Vec<String>,
    pub add_phones: Vec<String>,
    pub remove_phones: Vec<String>,
    pub add_links: Vec<String>,
    pub remove_links: Vec<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub add_groups: Vec<GroupId>,
    pub remove_groups: Vec<GroupId>,
}

impl ContactPatch {
    /// True when applying the patch would change nothing.
    pub fn is_empty(&self) -> bool {
        *self == ContactPatch::default()
    }
}

/// What kind of contact an interaction records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractionKind {
    Met,
    Call,
    Message,
    Email,
    Meeting,
    Event,
    Intro,
    Note,
}

impl InteractionKind {
    pub const ALL: [InteractionKind; 8] = [
        InteractionKind::Met,
        InteractionKind::Call,
        InteractionKind::Message,
        InteractionKind::Email,
        InteractionKind::Meeting,
        InteractionKind::Event,
        InteractionKind::Intro,
        InteractionKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Met => "met",
            InteractionKind::Call => "call",
            InteractionKind::Message => "message",
            InteractionKind::Email => "email",
            InteractionKind::Meeting => "meeting",
            InteractionKind::Event => "event",
            InteractionKind::Intro => "intro",
            InteractionKind::Note => "note",
        }
    }
}

impl fmt::Display for InteractionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown interaction kind; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown interaction kind `{0}`: use one of met, call, message, email, meeting, event, intro, note")]
pub struct ParseKindError(pub String);

impl FromStr for InteractionKind {
    type Err = ParseKindError;
    fn from_str(s: &str) -> Result<Self, ParseKindError> {
        let wanted = s.trim().to_ascii_lowercase();
        InteractionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| ParseKindError(s.to_owned()))
    }
}

/// Something that happened with one or more contacts: a note, a call, a meeting...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub id: InteractionId,
    pub contacts: Vec<ContactId>,
    pub at: UnixMillis,
    pub kind: InteractionKind,
    pub text: String,
    pub place: Option<String>,
    /// The device that wrote this version of the interaction.
    pub device: DeviceId,
}

/// The input for a new interaction; the vault fills in the id and the writing device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInteraction {
    pub contacts: Vec<ContactId>,
    pub at: UnixMillis,
    pub kind: InteractionKind,
    pub text: String,
    pub place: Option<String>,
}

/// A named group of contacts. Membership lives on the contact, so a deleted group that is
/// restored gets its members back with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: Option<String>,
    pub created: UnixMillis,
    pub deleted: Option<UnixMillis>,
    /// How often to keep in touch with its members (a member's own cadence wins).
    pub cadence: Option<Period>,
}

/// A device in the vault's replicated roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: DeviceId,
    pub name: String,
    pub added_at: UnixMillis,
    pub added_by: Option<DeviceId>,
}
