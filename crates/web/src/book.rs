//! What the pages ask of the contact book: the port between the web app and the application
//! layer. Every method is one user action or one read, run on a blocking thread (the
//! implementation takes the daemon's store lock and may fsync). A write through it is the same
//! action the CLI runs: durable before it returns, synced live, undoable.
//!
//! Why a trait rather than calling the application crate from the pages: the pages stay
//! testable with a book in memory (the handler tests), and `app_book::AppBook`, the one over
//! the daemon's replica, can keep what pages need between requests (the list's search index).

use rapport_app::model::{
    Contact, ContactId, Group, GroupId, Interaction, InteractionId, InteractionKind, Period,
    TrustLevel, UnixMillis,
};

pub use rapport_app::model::relate::{DueItem, DueKind, IntroGraph, IntroPath};

/// How the contacts list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    /// Longest since the last interaction first (never contacted before anyone).
    LastContacted,
    /// Most recently changed first.
    Updated,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Name, Sort::LastContacted, Sort::Updated];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::LastContacted => "last-contacted",
            Sort::Updated => "updated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::LastContacted => "Longest since contact",
            Sort::Updated => "Recently changed",
        }
    }

    pub fn parse(s: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .unwrap_or_default()
    }
}

/// One page of the contacts list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Words to look for in names, organisations, emails, tags and interaction text.
    pub text: String,
    pub tag: Option<String>,
    pub group: Option<GroupId>,
    pub trust_at_least: Option<TrustLevel>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: ContactId,
    pub name: String,
    pub org: Option<String>,
    pub tags: Vec<String>,
    pub trust: Option<TrustLevel>,
    pub last_contacted: Option<UnixMillis>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactPage {
    pub rows: Vec<ContactRow>,
    /// How many contacts match, over all pages.
    pub total: usize,
    /// Every tag in use, for the filter.
    pub tags: Vec<String>,
    /// Live groups, for the filter and for adding the selected contacts to one.
    pub groups: Vec<Group>,
}

/// Who last set one field of a card, and when.
#[derive(Debug, Clone)]
pub struct FieldOrigin {
    pub key: String,
    /// The device's name where known, else its short id.
    pub device: Option<String>,
    pub at: Option<UnixMillis>,
}

#[derive(Debug, Clone)]
pub struct Card {
    pub contact: Contact,
    /// Oldest first.
    pub timeline: Vec<Interaction>,
    pub provenance: Vec<FieldOrigin>,
    /// Every group, deleted ones included, for names and the "add to group" control.
    pub groups: Vec<Group>,
    pub introducer: Option<(ContactId, String)>,
}

#[derive(Debug, Clone)]
pub struct GroupRow {
    pub group: Group,
    pub members: Vec<(ContactId, String)>,
}

/// One value of a field that two devices edited at once.
#[derive(Debug, Clone)]
pub struct CompetingValue {
    pub value: String,
    /// The device's name, "this device", or "another program".
    pub device: String,
    pub at: Option<UnixMillis>,
    /// The value every device shows now (until someone picks).
    pub shown: bool,
}

/// A field with competing values. Only contacts' fields can be resolved from the page.
#[derive(Debug, Clone)]
pub struct FieldConflict {
    pub contact: Option<ContactId>,
    /// The record's name as it reads now.
    pub name: String,
    /// The field's key (`org`, `met_on`...).
    pub field: String,
    pub values: Vec<CompetingValue>,
}

/// The formats the import page takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// LinkedIn's `Connections.csv`.
    Linkedin,
    Vcard,
    /// A CSV file with a header line (`rapport export csv` writes one).
    Csv,
}

impl ImportKind {
    pub const ALL: [ImportKind; 3] = [ImportKind::Linkedin, ImportKind::Vcard, ImportKind::Csv];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Linkedin => "linkedin",
            ImportKind::Vcard => "vcard",
            ImportKind::Csv => "csv",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Linkedin => "LinkedIn export (Connections.csv)",
            ImportKind::Vcard => "vCard (.vcf)",
            ImportKind::Csv => "CSV with a header line",
        }
    }
}

/// What an import does (dry run) or did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Where each skipped record is, and why.
    pub skipped: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

/// A device of this vault.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub name: String,
    pub id: String,
    pub this_device: bool,
    pub revoked: bool,
    pub added_at: UnixMillis,
    /// When this device last heard from it (any session), and last completed a sync with it.
    pub last_seen: Option<UnixMillis>,
    pub last_synced: Option<UnixMillis>,
    /// `equal`, `ahead` (this device has changes it has not sent) or `never synced`, as
    /// `rapport status` says; `None` for this device.
    pub sync_state: Option<String>,
    /// The address it was last reached at, and where that came from (`lan`, `dialled`,
    /// `accepted`).
    pub address: Option<String>,
    pub address_source: Option<String>,
    /// Changes received from it since the last `rapport status`.
    pub changes_received: u64,
    /// Deletions it made that are held back here (quarantine).
    pub quarantined: usize,
}

/// What the export links download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Vcard,
    Csv,
    Json,
    /// The whole vault as an Automerge document (as `rapport backup`).
    Backup,
}

impl ExportKind {
    pub const ALL: [ExportKind; 4] = [
        ExportKind::Vcard,
        ExportKind::Csv,
        ExportKind::Json,
        ExportKind::Backup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Vcard => "vcard",
            ExportKind::Csv => "csv",
            ExportKind::Json => "json",
            ExportKind::Backup => "backup",
        }
    }

    pub fn parse(s: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The downloaded file's name and type.
    pub fn file(self) -> (&'static str, &'static str) {
        match self {
            ExportKind::Vcard => ("rapport-contacts.vcf", "text/vcard; charset=utf-8"),
            ExportKind::Csv => ("rapport-contacts.csv", "text/csv; charset=utf-8"),
            ExportKind::Json => ("rapport-contacts.json", "application/json"),
            ExportKind::Backup => ("rapport-backup.automerge", "application/octet-stream"),
        }
    }
}

/// A deletion from another device held back here because it deleted too much at once.
#[derive(Debug, Clone)]
pub struct HeldDeletion {
    /// `contact` or `group`.
    pub record: &'static str,
    pub id: String,
    pub name: String,
    pub deleted_at: UnixMillis,
    /// The deleting device's name, or "another program".
    pub by: String,
    pub received: UnixMillis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairingState {
    Waiting,
    /// The sentence `rapport pair` ends with.
    Done(String),
    Failed(String),
}

/// The pairing window the page opened, if any.
#[derive(Debug, Clone)]
pub struct PairingView {
    /// `7-harbor-velvet`.
    pub code: String,
    /// Where the new device can reach this one.
    pub addresses: Vec<String>,
    /// The `rapport:` link the QR code carries (code, addresses, device).
    pub link: String,
    pub state: PairingState,
}

/// A new contact from the "add" form. Values are as the person typed them; the book
/// validates them exactly as `rapport add` does.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: String,
    pub org: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tags: Vec<String>,
}

/// An edit from a card: `Some` sets a field, `Some("")` clears it, `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct ContactEdit {
    pub name: Option<String>,
    pub org: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub trust: Option<Option<TrustLevel>>,
    pub met_on: Option<String>,
    pub met_at: Option<String>,
    pub met_context: Option<String>,
    pub add_email: Option<String>,
    pub add_phone: Option<String>,
    /// `Some(None)` clears the contact's own cadence.
    pub cadence: Option<Option<Period>>,
}

#[derive(Debug, Clone)]
pub struct NewNote {
    pub kind: InteractionKind,
    /// `None` means now.
    pub at: Option<String>,
    pub text: String,
    pub place: Option<String>,
    /// A follow-up due that day, attached to the note (as `rapport note --follow-up`).
    pub follow_up: Option<chrono::NaiveDate>,
}

/// One value a change wrote: what it was just before and just after (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field's key (`org`, `tag:vip`, `interaction:<id>`...).
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One change of a contact, as `rapport log CONTACT` lists it, with what it did.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// The change's full id (hex).
    pub change: String,
    pub at: UnixMillis,
    /// The device's name, "this device", or "another program".
    pub device: String,
    pub summary: String,
    pub fields: Vec<FieldChange>,
    /// A bulk change (an import): its fields are not listed.
    pub bulk: bool,
}

/// A card as it was at some point (as `rapport show --at`).
#[derive(Debug, Clone)]
pub struct PastCard {
    /// "2026-05-01 10:00:00" or "change 1a2b3c4d".
    pub label: String,
    pub contact: Contact,
    /// Oldest first.
    pub timeline: Vec<Interaction>,
}

/// What a snooze on the Today page defers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnoozeTarget {
    /// One follow-up (its id is its note's).
    FollowUp(InteractionId),
    /// Keeping in touch with a contact, and its open follow-ups (as `rapport snooze CONTACT`).
    Contact(ContactId),
}

/// Why the book refused or failed. The message is the CLI's sentence for the same mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The person typed something the book will not store; `field` names the form field the
    /// message belongs next to, when there is one.
    #[error("{message}")]
    BadInput {
        field: Option<&'static str>,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// The store or the disk failed; nothing was written.
    #[error("{0}")]
    Failed(String),
}

impl BookError {
    pub fn bad(field: &'static str, message: impl Into<String>) -> BookError {
        BookError::BadInput {
            field: Some(field),
            message: message.into(),
        }
    }
}

pub type BookResult<T> = Result<T, BookError>;

/// Where a browser device reaches the daemon over WebTransport, and the certificate hashes it
/// pins (`serverCertificateHashes`: lower-case hex SHA-256 of each DER, the one served now
/// first, then the next). Public: a WebTransport handshake shows the certificate to anyone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WebTransportInfo {
    /// The UDP port; a page served by this daemon dials `https://127.0.0.1:PORT/rapport`
    /// (or the host it was loaded from).
    pub port: u16,
    pub cert_hashes: Vec<String>,
    /// Unix seconds when the served certificate expires.
    pub expires_at: u64,
    pub device_id: String,
    pub vault_id: String,
}

/// The contact book as the pages see it. Implementations block (store locks, fsync): the web
/// app calls them from `spawn_blocking`.
pub trait Book: Send + Sync + 'static {
    /// A name for this device, for the cookie (so two devices' apps on one browser keep
    /// separate sign-ins) and the page header.
    fn device_name(&self) -> String;
    fn device_tag(&self) -> String;
    /// The daemon's WebTransport endpoint for browser devices, if it serves one.
    fn webtransport(&self) -> Option<WebTransportInfo> {
        None
    }
    /// A value that changes whenever the vault does (its heads), for live updates.
    fn revision(&self) -> BookResult<String>;

    fn contacts(&self, query: &ListQuery) -> BookResult<ContactPage>;
    fn card(&self, id: ContactId) -> BookResult<Card>;
    fn add_contact(&self, new: &NewContact) -> BookResult<ContactId>;
    fn edit_contact(&self, id: ContactId, edit: &ContactEdit) -> BookResult<()>;
    fn tag(&self, id: ContactId, add: &[String], remove: &[String]) -> BookResult<()>;
    fn log_interaction(&self, id: ContactId, note: &NewNote) -> BookResult<()>;
    fn trash(&self, id: ContactId) -> BookResult<()>;
    fn restore(&self, id: ContactId) -> BookResult<()>;

    /// Every group, deleted ones included, with live members.
    fn groups(&self) -> BookResult<Vec<GroupRow>>;
    fn create_group(&self, name: &str) -> BookResult<GroupId>;
    fn rename_group(&self, id: GroupId, name: &str) -> BookResult<()>;
    fn delete_group(&self, id: GroupId) -> BookResult<()>;
    /// Restores a deleted group with the members it had.
    fn restore_group(&self, id: GroupId) -> BookResult<()>;
    /// Adds (or removes) several contacts at once: one action, one undo.
    fn set_members(&self, group: GroupId, contacts: &[ContactId], add: bool) -> BookResult<()>;

    /// Reads an uploaded file as `kind` and plans it against the vault; writes it (one
    /// commit, undone by `undo_import`) only if `apply`. Same limits and refusals as
    /// `rapport import`.
    fn import(
        &self,
        kind: ImportKind,
        name: &str,
        bytes: &[u8],
        apply: bool,
    ) -> BookResult<ImportSummary>;
    /// Undoes the last import; returns the CLI's sentence saying what was undone.
    fn undo_import(&self) -> BookResult<String>;

    fn devices(&self) -> BookResult<Vec<DeviceRow>>;
    /// Opens a pairing window (as `rapport pair`); `pairing` then shows its code and state.
    fn start_pairing(&self) -> BookResult<()>;
    fn pairing(&self) -> Option<PairingView>;

    /// Fields edited on two devices at once.
    fn conflicts(&self) -> BookResult<Vec<FieldConflict>>;
    /// Settles a contact's field on `value` on every device (as `rapport resolve`).
    fn resolve(&self, contact: ContactId, field: &str, value: &str) -> BookResult<()>;

    /// Follow-ups due and contacts past their cadence, due by today plus `within`, most
    /// urgent first (as `rapport due --within`).
    fn due(&self, within: Option<Period>) -> BookResult<Vec<DueItem>>;
    /// Closes a follow-up (as `rapport done`); returns the CLI's sentence.
    fn close_follow_up(&self, id: InteractionId) -> BookResult<String>;
    /// Defers a follow-up or a contact by `period` from today (as `rapport snooze`).
    fn snooze(&self, target: SnoozeTarget, period: Period) -> BookResult<String>;
    /// Who can introduce me to `target`, ranked (as `rapport intro`, default hops).
    fn intro_paths(&self, target: ContactId) -> BookResult<Vec<IntroPath>>;
    /// Who introduced whom, optionally around one group (as `rapport intro --graph`).
    fn intro_graph(&self, group: Option<GroupId>) -> BookResult<IntroGraph>;

    /// The contact's changes, newest first, at most `limit`, each with its values before and
    /// after (as `rapport log CONTACT`).
    fn history(&self, id: ContactId, limit: usize) -> BookResult<Vec<HistoryRow>>;
    /// The card as it was at `at`: a time the CLI accepts or a change id (as `show --at`).
    /// A bad `at` is refused for the field `at`.
    fn card_at(&self, id: ContactId, at: &str) -> BookResult<PastCard>;
    /// Puts the card back as it was at `to` (as `rapport revert`); returns the CLI's sentence.
    fn revert(&self, id: ContactId, to: &str) -> BookResult<String>;
    /// Undoes a change, or this device's last action (as `rapport undo [CHANGE]`).
    fn undo(&self, change: Option<&str>) -> BookResult<String>;

    /// Revokes a device of the roster by id (as `rapport devices revoke`); the CLI's sentence.
    fn revoke_device(&self, id: &str) -> BookResult<String>;
    /// Deletions from other devices held back here (as `rapport quarantine show`).
    fn quarantine(&self) -> BookResult<Vec<HeldDeletion>>;
    /// Lets the held deletions happen here (`accept`) or restores the records on every device
    /// (as `rapport quarantine accept|reject`); the CLI's sentence.
    fn settle_quarantine(&self, accept: bool) -> BookResult<String>;

    /// Every live contact as vCard, CSV or JSON (as `rapport export`), or the whole vault as a
    /// backup (as `rapport backup`): the bytes the CLI would write to a file.
    fn export(&self, kind: ExportKind) -> BookResult<Vec<u8>>;
}
