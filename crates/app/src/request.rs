//! `Request`: every user action as typed data. A front end builds one (the CLI from its
//! arguments, the web app from a form) and hands it to `App::handle`; strings the user typed
//! as references (a contact's name, an id prefix, a group name) stay strings, because
//! resolving them needs the vault, but kinds, levels, field names and times are typed.

use rapport_model::{ContactField, DeviceId, InteractionId, InteractionKind, Period, TrustLevel};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Unix milliseconds (UTC), as the model keeps every time.
pub type Millis = i64;

/// One user action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Request {
    /// Add a contact; answers `Response::Created` with its id.
    Add { name: String, fields: ContactFields },
    /// Change a contact's fields.
    Edit { contact: String, edit: ContactEdit },
    /// Log an interaction with a contact (and others); answers `Created` with its id.
    Note(NewNote),
    /// Add and remove tags.
    Tag {
        contact: String,
        changes: Vec<TagChange>,
    },
    /// Move a contact to the trash.
    Trash { contact: String },
    /// Take a contact out of the trash.
    Restore { contact: String },
    /// Live contacts, sorted by name, filtered.
    List(ListFilter),
    /// A contact's card and timeline.
    Show { contact: String },
    /// Contacts whose fields or interactions hold the query.
    Search { query: String },
    /// The contacts in the trash.
    ListTrash,
    /// Groups.
    Group(GroupRequest),
    /// Who can introduce me to `target`, in at most `max_hops` hops (1 to 6).
    Intro { target: String, max_hops: u8 },
    /// The introductions graph, or only the edges touching a group's members.
    IntroGraph { group: Option<String> },
    /// Record that I introduced `a` and `b`; answers `Created` with the interaction's id.
    Introduce {
        a: String,
        b: String,
        note: Option<String>,
        at: Option<Millis>,
        /// Also record `b` as introduced by `a`.
        set_introduced_by: bool,
    },
    /// Set (or with `None`, clear) a keep-in-touch cadence.
    Cadence {
        target: CadenceTarget,
        period: Option<Period>,
    },
    /// Close a follow-up.
    Done { follow_up: InteractionId },
    /// Defer a follow-up, or everything due about a contact.
    Snooze { target: String, period: Period },
    /// What is due, most urgent first; with `calendar`, as an iCalendar file.
    Due {
        within: Option<Period>,
        calendar: bool,
    },
    /// One screen about a contact before a meeting.
    Brief { contact: String },
    /// Fields two devices edited at once.
    Conflicts,
    /// Settle a conflict: every device shows `value` for `field` after a sync.
    Resolve {
        contact: String,
        #[serde(with = "field_name")]
        field: ContactField,
        value: String,
    },
    /// Deletions from another device held back.
    Quarantine(QuarantineRequest),
    /// Changes, newest first: the vault's, a contact's or a group's.
    Log {
        contact: Option<String>,
        group: Option<String>,
        limit: Option<usize>,
    },
    /// A contact as it was at `at`: a time or a change id (which only the vault can tell).
    ShowAt { contact: String, at: String },
    /// Put a contact back as it was at `to` (a time or a change id), as one new change.
    Revert { contact: String, to: String },
    /// Undo the last action of this device, or the change `change`.
    Undo { change: Option<String> },
    /// Undo the last import of this device.
    ImportUndo,
    /// Probable duplicate contacts; with `apply`, merge the certain ones.
    Dedupe { apply: bool },
    /// Merge contact `b` into contact `a`.
    Merge { a: String, b: String },
    /// This device's id and name.
    ThisDevice,
    /// Each other device as this device last saw it; the "new changes" counts start again.
    Status,
    /// The vault's roster, with what this device knows of each peer.
    Devices,
    /// Trust a device: it may sync this vault.
    /// `endpoint`: its iroh endpoint id (`rapport device` prints it there), so it is admitted
    /// beyond the LAN too, for instance to `clone` through the relay.
    AddDevice {
        id: DeviceId,
        name: Option<String>,
        endpoint: Option<rapport_model::EndpointId>,
    },
    /// Revoke a device, by name or id prefix.
    Revoke { device: String },
    /// This device leaves the vault.
    Leave,
    /// Every live contact as text, or with `out`, written to that file (an absolute path).
    Export {
        format: ExportFormat,
        out: Option<PathBuf>,
    },
    /// Import contacts; with `dry_run`, only say what would change.
    Import { source: ImportSource, dry_run: bool },
    /// Verify the store and report its sizes.
    Check,
    /// The vault as an Automerge document, written to `path` (absolute), or as bytes.
    Backup { path: Option<PathBuf> },
    /// Merge a backup into the vault.
    RestoreBackup { path: PathBuf },
    /// The relay the vault's devices use beyond the local network.
    Relay(RelayRequest),
}

/// `relay show | set URL | clear`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelayRequest {
    Show,
    Set { url: String },
    Clear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    /// vCard 4.0.
    Vcard,
    Csv,
    /// The shape of `list --json`, each contact with its interactions, then groups and tag
    /// cadences.
    Json,
}

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportSource {
    /// LinkedIn's Connections.csv.
    Linkedin { file: PathBuf },
    /// One .vcf file, or a folder of them.
    Vcard { path: PathBuf },
    /// A spreadsheet, with `--map COLUMN=FIELD` overrides.
    Csv { file: PathBuf, map: Vec<String> },
}

impl ImportSource {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ImportSource::Linkedin { .. } => "linkedin",
            ImportSource::Vcard { .. } => "vcard",
            ImportSource::Csv { .. } => "csv",
        }
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        match self {
            ImportSource::Linkedin { file } | ImportSource::Csv { file, .. } => file,
            ImportSource::Vcard { path } => path,
        }
    }
}

/// `rapport quarantine ...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuarantineRequest {
    Show,
    /// Let the held-back deletions happen here too.
    Accept,
    /// Restore the records with one change.
    Reject,
    /// Show the threshold, changing what is given.
    Threshold {
        max: Option<u32>,
        percent: Option<u32>,
        floor: Option<u32>,
    },
}

/// Whose cadence `cadence` sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CadenceTarget {
    Contact(String),
    Group(String),
    Tag(String),
}

/// The fields `add` and `edit` can set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFields {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub urls: Vec<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub trust: Option<TrustLevel>,
    /// A date, YYYY-MM-DD (the vault validates it).
    pub met_on: Option<String>,
    pub met_at: Option<String>,
    pub met_context: Option<String>,
    /// A contact reference.
    pub introduced_by: Option<String>,
    /// A date, YYYY-MM-DD.
    pub connected_on: Option<String>,
    pub notes: Option<String>,
}

/// What `edit` changes: the fields of `add`, a new name, removals and clears.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactEdit {
    pub name: Option<String>,
    pub fields: ContactFields,
    pub remove_emails: Vec<String>,
    pub remove_phones: Vec<String>,
    pub remove_urls: Vec<String>,
    pub remove_tags: Vec<String>,
    #[serde(with = "field_names")]
    pub clear: Vec<ContactField>,
}

/// A new interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNote {
    pub contact: String,
    pub text: String,
    pub kind: InteractionKind,
    /// When it happened [default: now].
    pub at: Option<Millis>,
    pub place: Option<String>,
    /// Other contacts who were part of it.
    pub with: Vec<String>,
    /// A follow-up due on this day, attached to the note (in the same commit).
    pub follow_up: Option<chrono::NaiveDate>,
}

/// `+tag` or `-tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TagChange {
    Add(String),
    Remove(String),
}

impl std::str::FromStr for TagChange {
    type Err = std::convert::Infallible;

    /// `+tag` adds, `-tag` removes, a bare tag adds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.split_at_checked(1) {
            Some(("+", t)) => TagChange::Add(t.to_owned()),
            Some(("-", t)) => TagChange::Remove(t.to_owned()),
            _ => TagChange::Add(s.to_owned()),
        })
    }
}

/// Which contacts `list` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListFilter {
    pub tag: Option<String>,
    /// A group's name or id.
    pub group: Option<String>,
    pub trust_at_least: Option<TrustLevel>,
}

/// `rapport group ...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupRequest {
    Create {
        name: String,
        description: Option<String>,
    },
    /// Add (or, with `add: false`, remove) contacts, as one change.
    Members {
        group: String,
        contacts: Vec<String>,
        add: bool,
    },
    /// Give a live group a new name.
    Rename {
        group: String,
        name: String,
    },
    Delete {
        group: String,
    },
    Restore {
        group: String,
    },
    List {
        deleted: bool,
    },
    Show {
        group: String,
    },
}

/// `ContactField` has no serde form in the model; it travels as its CLI name (`met-on`).
/// (`#[serde(with = "rapport_app::request::field_names")]`, also used by the binary.)
pub mod field_names {
    use rapport_model::ContactField;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(fields: &[ContactField], s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        names.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ContactField>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| n.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

/// One `ContactField` by its CLI name.
mod field_name {
    use rapport_model::ContactField;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(field: &ContactField, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&field.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ContactField, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
