//! `Response`: what a request produced, as typed data. Front ends render it: the CLI as text or
//! as the JSON of `Response::json` (the exact shapes `--json` has always printed), the web app
//! as pages. Owned and `Send`, so it can cross threads and the daemon's socket.

use crate::reports::{CheckReport, ImportReport, RepairReport, Roster};
use chrono::NaiveDate;
use rapport_model::relate::{Brief, DueItem, IntroGraph, IntroPath, Person};
use rapport_model::{
    Conflict, Contact, ContactId, Device, DeviceId, Group, GroupId, Interaction, InteractionId,
    Origin, Period, QuarantinePolicy,
};
use rapport_store::Quarantined;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What a request produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Response {
    /// A new record's id (a contact, an interaction, a group).
    Created {
        id: String,
    },
    /// `edit`: whether anything changed.
    Edited {
        id: ContactId,
        name: String,
        changed: bool,
    },
    /// `tag`: the contact's tags afterwards.
    Tagged {
        id: ContactId,
        name: String,
        tags: Vec<String>,
    },
    Trashed {
        id: ContactId,
        name: String,
    },
    Restored {
        id: ContactId,
        name: String,
    },
    /// `list`: contacts in the order to show them.
    Contacts(ContactList),
    /// The trash, sorted by name.
    Trash(ContactList),
    /// `show`.
    Card(Box<Card>),
    /// `search`: each contact with what matched.
    Found(SearchHits),
    /// `group add` / `group remove`.
    Membership {
        group: String,
        added: bool,
        names: Vec<String>,
    },
    GroupDeleted {
        id: GroupId,
        name: String,
    },
    GroupRenamed {
        id: GroupId,
        old: String,
        name: String,
    },
    GroupRestored {
        name: String,
        members: usize,
        members_readded: usize,
    },
    /// `group list`.
    Groups(Vec<GroupSummary>),
    /// `group show`.
    GroupCard(GroupCard),
    /// `intro TARGET`: the ways to reach the target, best first.
    Intro {
        target: Person,
        max_hops: u8,
        paths: Vec<IntroPath>,
    },
    /// `intro --graph`.
    IntroGraph(IntroGraph),
    /// `cadence`: whose, the new period (`None`: cleared), and whether anything changed.
    Cadence {
        what: String,
        period: Option<Period>,
        changed: bool,
    },
    /// `done`.
    FollowUpDone {
        id: InteractionId,
        name: String,
        changed: bool,
    },
    /// `snooze`.
    Snoozed {
        what: Snoozed,
        until: NaiveDate,
    },
    /// `due`.
    Due {
        today: NaiveDate,
        within: Option<Period>,
        items: Vec<DueItem>,
    },
    /// `due --ics`: an iCalendar file, its lines ending in CRLF.
    Calendar(String),
    /// `brief`.
    Brief(Box<Brief>),
    /// `conflicts`.
    Conflicts(ConflictList),
    /// `resolve`.
    Resolved {
        field: String,
        id: ContactId,
        name: String,
        value: String,
    },
    /// `quarantine show`.
    HeldBack(HeldBack),
    /// `quarantine accept`: how many records were let go (0: nothing was held).
    QuarantineAccepted {
        records: usize,
    },
    /// `quarantine reject`: how many records came back (`None`: nothing was held).
    QuarantineRejected {
        restored: Option<usize>,
    },
    /// `quarantine threshold`.
    QuarantinePolicy(QuarantinePolicy),
    /// `relay show | set | clear`: the vault's relay now (`None`: no relay), and whether
    /// this request changed it.
    Relay {
        url: Option<String>,
        changed: bool,
    },
    /// `log`: changes, newest first.
    Log(Vec<LogEntry>),
    /// `show --at`.
    ContactAt(Box<ContactAt>),
    /// `revert`: how many fields and interactions were put back.
    Reverted {
        id: ContactId,
        name: String,
        /// The point reverted to, as people read it.
        label: String,
        fields: usize,
        interactions: usize,
    },
    /// `dedupe`: probable duplicates, each with the contact that would stay.
    Duplicates(Vec<DuplicateRow>),
    /// `dedupe --apply`: the pairs merged (survivor, merged), or `None` when none was certain.
    Deduped(Option<Vec<(Named, Named)>>),
    /// `merge A B`.
    Merged {
        keep: Named,
        gone: Named,
        interactions_moved: usize,
    },
    /// `init`.
    Initialized {
        vault: String,
        device: DeviceId,
        name: String,
    },
    /// `device`.
    ThisDevice {
        id: DeviceId,
        name: String,
        has_vault: bool,
        /// Its iroh endpoint id: how devices of the vault reach it beyond the LAN.
        endpoint: rapport_model::EndpointId,
    },
    /// `status`: the roster, each other device as this device last saw it.
    Status(Roster),
    /// `devices`.
    Devices(Roster),
    /// `devices add`.
    DeviceAdded {
        id: DeviceId,
        name: String,
    },
    /// `devices revoke`.
    Revoked {
        id: DeviceId,
        name: String,
    },
    /// `devices leave`: the local copy stays readable in `dir`.
    Left {
        dir: PathBuf,
    },
    /// `export` to stdout: the whole file.
    Export(String),
    /// `export --out`: written atomically.
    Wrote {
        path: PathBuf,
        bytes: usize,
    },
    /// `import`.
    Imported(ImportReport),
    /// `check`: the store is intact.
    Checked(CheckReport),
    /// `repair`.
    Repaired(RepairReport),
    /// A backup's bytes (the web app's download).
    Backup(Vec<u8>),
    /// `backup PATH`.
    BackedUp {
        path: PathBuf,
        contacts: usize,
        bytes: usize,
    },
    /// `restore-backup`: what the merge changed here (nothing: the vault held it all).
    BackupMerged {
        path: PathBuf,
        /// Whether anything changed here.
        changed: bool,
        contacts: usize,
        interactions: usize,
        groups: usize,
    },
    /// `undo` and `import undo`.
    Undone {
        summary: String,
        /// The undone change's id, short.
        change: String,
        restored: usize,
        kept: usize,
    },
}

/// One line of `log`, in the shape `log --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub change: String,
    /// RFC 3339.
    pub time: String,
    pub device: Option<String>,
    pub device_name: Option<String>,
    pub message: String,
    pub fields: Vec<String>,
    /// A bulk change (an import): its fields are not listed.
    pub bulk: bool,
}

/// A contact as it was at a point in the past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactAt {
    pub contact: Contact,
    /// Oldest first.
    pub timeline: Vec<Interaction>,
    /// The point, as people read it (a local time, or `change 1a2b3c4d`).
    pub label: String,
    /// Every group, to name memberships.
    pub groups: Vec<Group>,
}

/// Fields with concurrent values, and the devices to name their writers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictList {
    pub conflicts: Vec<Conflict>,
    pub devices: Vec<Device>,
    pub this_device: DeviceId,
}

/// Deletions held back here, oldest first, and the devices to name who deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBack {
    pub held: Vec<Quarantined>,
    pub devices: Vec<Device>,
    pub this_device: DeviceId,
}

/// What `snooze` deferred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Snoozed {
    FollowUp {
        id: InteractionId,
        name: String,
    },
    /// A contact's keep-in-touch reminder, with this many open follow-ups.
    Contact {
        name: String,
        follow_ups: usize,
    },
}

/// Contacts and every group (to name their memberships).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactList {
    pub contacts: Vec<Contact>,
    pub groups: Vec<Group>,
}

/// A contact with its timeline, who set each field, and the names needed to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub contact: Contact,
    /// Oldest first.
    pub timeline: Vec<Interaction>,
    /// Live groups' names.
    pub group_names: BTreeMap<GroupId, String>,
    /// The names of the other contacts the card mentions (introduced by, interactions with).
    pub contact_names: BTreeMap<ContactId, String>,
    pub origins: Vec<Origin>,
    /// The vault's roster, to name devices.
    pub devices: Vec<Device>,
    pub this_device: DeviceId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHits {
    /// Sorted by name; each with what matched (`name`, `org`... or `<time> <kind>: <excerpt>`).
    pub hits: Vec<(Contact, Vec<String>)>,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub group: Group,
    /// Live contacts in it.
    pub members: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCard {
    pub group: Group,
    /// Live members, sorted by name.
    pub members: Vec<Contact>,
    pub groups: Vec<Group>,
}

/// A contact's id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A probable duplicate, in the shape `dedupe --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateRow {
    pub keep: Named,
    pub merge: Named,
    /// The same email or profile URL: `dedupe --apply` merges it.
    pub certain: bool,
    pub reasons: Vec<String>,
}
