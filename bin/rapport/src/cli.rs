//! The command line, as clap sees it. `--help` is the user's manual, so doc comments here are
//! written for people, not for programmers.

use clap::{Args, Parser, Subcommand};
use rapport_app::{Millis, TagChange};
use rapport_model::{ContactField, DeviceId, EndpointId, InteractionKind, TrustLevel};
use std::path::PathBuf;

/// `--at`: a time as `rapport_app::time::parse_at` reads it.
fn parse_at(s: &str) -> Result<Millis, rapport_app::AppError> {
    rapport_app::time::parse_at(s)
}

/// `resolve`'s FIELD: every field a conflict can be on, the name included.
fn parse_field(s: &str) -> Result<ContactField, rapport_app::AppError> {
    s.parse().map_err(|_| {
        rapport_app::AppError::BadInput(format!(
            "`{s}` is not a contact field: use name, org, title, notes, trust, met-on, met-at, met-context, introduced-by or connected-on"
        ))
    })
}

/// A device id as `rapport device` prints it on that device.
fn parse_endpoint_id(s: &str) -> Result<EndpointId, rapport_app::AppError> {
    EndpointId::from_hex(s).map_err(|e| rapport_app::AppError::BadInput(e.to_string()))
}

fn parse_device_id(s: &str) -> Result<DeviceId, rapport_app::AppError> {
    s.parse()
        .map_err(|e: rapport_model::device::ParseDeviceIdError| {
            rapport_app::AppError::BadInput(e.to_string())
        })
}

/// Rapport: a local-first contact book that remembers how you know people.
///
/// Your vault lives on this device and syncs directly with your other devices. Every command
/// works offline. Data goes to stdout, errors to stderr; read commands take --json.
#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The device's data folder [default: the platform's data directory].
    #[arg(long, global = true, env = "RAPPORT_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create this device and a new, empty vault.
    Init {
        /// A name for this device, shown to your other devices.
        #[arg(long, value_name = "DEVICE_NAME")]
        name: Option<String>,
    },
    /// Add a contact and print its id.
    Add {
        /// The person's name.
        name: String,
        #[command(flatten)]
        fields: ContactArgs,
    },
    /// Change a contact: set or clear fields, add or remove emails, phones and links.
    Edit {
        /// An id, id prefix, name, email, or unambiguous part of a name.
        contact: String,
        #[command(flatten)]
        edit: EditArgs,
    },
    /// Log an interaction (a note, call, meeting...) with a contact; prints its id.
    Note {
        contact: String,
        /// What happened.
        text: String,
        /// met, call, message, email, meeting, event, intro or note.
        #[arg(long, default_value = "note")]
        kind: InteractionKind,
        /// When: YYYY-MM-DD, "YYYY-MM-DD HH:MM" (local time) or RFC 3339 [default: now].
        #[arg(long, value_name = "DATE", value_parser = parse_at)]
        at: Option<Millis>,
        /// Where it happened.
        #[arg(long)]
        place: Option<String>,
        /// Another contact who was part of it (repeatable).
        #[arg(long = "with", value_name = "CONTACT")]
        with: Vec<String>,
        /// Attach a follow-up due on this day (YYYY-MM-DD); `rapport done ID` closes it.
        #[arg(long, value_name = "DATE")]
        follow_up: Option<chrono::NaiveDate>,
    },
    /// Add and remove tags: `rapport tag jeanne +vip -old`.
    Tag {
        contact: String,
        /// +tag adds, -tag removes; a bare tag adds.
        #[arg(required = true, allow_hyphen_values = true, num_args = 1..)]
        changes: Vec<TagChange>,
    },
    /// Manage groups.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// List contacts, sorted by name.
    List {
        /// Only contacts with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only members of this group (name or id).
        #[arg(long)]
        group: Option<String>,
        /// Only contacts trusted at least this much: stranger, acquainted, met, worked-with,
        /// trusted.
        #[arg(long, value_name = "LEVEL")]
        trust_at_least: Option<TrustLevel>,
        #[arg(long)]
        json: bool,
    },
    /// Show a contact's card and the timeline of interactions.
    Show {
        contact: String,
        #[arg(long)]
        json: bool,
        /// Show the contact as it was at a time (YYYY-MM-DD, "YYYY-MM-DD HH:MM" local time,
        /// RFC 3339) or right after a change (its id from `rapport log`, 4+ characters).
        #[arg(long, value_name = "TIME|CHANGE")]
        at: Option<String>,
    },
    /// Search names, organisations, emails, tags and interaction text.
    Search {
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Move a contact to the trash (it can be restored).
    Rm { contact: String },
    /// List the contacts in the trash.
    Trash {
        #[arg(long)]
        json: bool,
    },
    /// Take a contact out of the trash.
    Restore { contact: String },
    /// Show this device: its id (give it to your other devices) and name. On a fresh home it
    /// creates the device's identity without a vault.
    Device {
        /// A name for this device, used when the identity is created.
        #[arg(long, value_name = "DEVICE_NAME")]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the devices that share this vault, or add one.
    Devices {
        #[command(subcommand)]
        command: Option<DevicesCommand>,
        #[arg(long)]
        json: bool,
    },
    /// Run this device's sync daemon: accept trusted devices and sync with them.
    Serve {
        /// Address to listen on. Use 127.0.0.1:PORT to stay on this machine.
        #[arg(long, default_value = "0.0.0.0:7447", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// Do not announce or look for devices on the local network.
        #[arg(long)]
        no_discovery: bool,
        /// Where the web app listens (this machine only: 127.0.0.1, localhost or [::1]).
        #[arg(
            long,
            default_value = "127.0.0.1:7449",
            value_name = "ADDR",
            conflicts_with = "no_ui"
        )]
        ui: std::net::SocketAddr,
        /// Do not serve the web app.
        #[arg(long)]
        no_ui: bool,
        /// Where browser devices reach this daemon over WebTransport (UDP; default: the
        /// --listen address's IP, port 7450). Only devices in the roster get vault bytes.
        #[arg(
            long,
            value_name = "ADDR",
            env = "RAPPORT_BROWSER_ADDR",
            conflicts_with = "no_browser"
        )]
        browser: Option<std::net::SocketAddr>,
        /// Do not serve browser devices (WebTransport).
        #[arg(long)]
        no_browser: bool,
        /// Where you published the phone app (`rapport ui --export-pwa`), e.g.
        /// https://you.example/rapport/: the pairing QR code then opens it on the phone, with
        /// the code, this daemon's addresses and certificate hashes in the address's fragment
        /// (which never reaches that host).
        #[arg(
            long,
            value_name = "URL",
            env = "RAPPORT_APP_URL",
            conflicts_with = "no_browser",
            value_parser = app_url
        )]
        app_url: Option<String>,
    },
    /// Open the web app in the browser, signed in, starting `rapport serve` first if it is not
    /// running. The sign-in is a one-time link that expires in two minutes.
    Ui {
        /// Print the one-time sign-in address instead of opening a browser.
        #[arg(long)]
        no_open: bool,
        /// Write the phone app's files (the offline browser replica served at /app/) into DIR,
        /// to publish on an HTTPS origin, instead of opening the web app. The data never goes
        /// to that host: it stays in each browser and syncs with your devices.
        #[arg(long, value_name = "DIR", conflicts_with = "no_open")]
        export_pwa: Option<std::path::PathBuf>,
    },
    /// Sync once with another device of this vault; exits 0 only when both hold the same
    /// changes.
    Sync {
        /// A device of this vault (name, or id or its first characters), synced at the address
        /// it was last reached at.
        #[arg(required_unless_present = "addr", conflicts_with = "addr")]
        device: Option<String>,
        /// The other device's address, as HOST:PORT.
        #[arg(long, value_name = "ADDR")]
        addr: Option<std::net::SocketAddr>,
    },
    /// Make this a new device of an existing vault: trust the device at ADDR and fetch the
    /// vault from it. On that device, run `rapport devices add <this device's id>` first.
    Clone {
        /// The address of a device that holds the vault, as HOST:PORT (on the same network).
        #[arg(required_unless_present = "endpoint", conflicts_with = "endpoint")]
        addr: Option<std::net::SocketAddr>,
        /// That device's id, as `rapport device` prints it there.
        #[arg(long, value_name = "ID")]
        id: String,
        /// A name for this device.
        #[arg(long, value_name = "DEVICE_NAME")]
        name: Option<String>,
        /// Beyond the local network: that device's iroh endpoint id (`rapport device` prints
        /// it there); it must have added this one with `devices add ID --endpoint`.
        #[arg(long, value_name = "ENDPOINT_ID", value_parser = parse_endpoint_id, requires = "relay")]
        endpoint: Option<EndpointId>,
        /// The relay both devices use (`rapport relay show` there).
        #[arg(long, value_name = "URL", requires = "endpoint")]
        relay: Option<String>,
        /// Send every packet through the relay, never directly (hides this device's IP
        /// addresses from the other device).
        #[arg(long, requires = "endpoint")]
        relay_only: bool,
    },
    /// See Rapport work in one command: three devices in a temporary folder edit offline,
    /// sync over QUIC on loopback, and show the merged result.
    Demo {
        /// Keep the demo's folder instead of deleting it.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
    /// Show each other device: when it was last seen and synced, and whether this device has
    /// changes it has not sent it yet.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Check the store and report sizes; exits non-zero if anything is damaged.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Salvage a damaged store: keep every intact change, move the damaged store aside.
    Repair,
    /// Add a new device to this vault: prints a one-time code (and a QR code) to give to
    /// `rapport join` on the new device, and waits for it. Works whether or not `serve` runs.
    Pair {
        /// How long the code stays valid: 90s, 5m, 1h.
        #[arg(long, default_value = "5m", value_parser = crate::pairing::parse_timeout)]
        timeout: std::time::Duration,
        /// Print {"code", "addresses", "device_id"} as the first line, for scripts.
        #[arg(long)]
        json: bool,
        /// Address to wait on. Use 127.0.0.1:PORT to stay on this machine.
        #[arg(long, default_value = "0.0.0.0:7448", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// Do not announce the pairing window on the local network.
        #[arg(long)]
        no_discovery: bool,
    },
    /// Make this a new device of an existing vault with the code that `rapport pair` shows on a
    /// device that holds it (or the link in its QR code); fetches the vault.
    Join {
        /// The code, like 7-harbor-velvet, or the rapport: link from the QR code.
        code: String,
        /// The pairing device's address, as HOST:PORT [default: look for it on the network].
        #[arg(long, value_name = "ADDR")]
        addr: Option<std::net::SocketAddr>,
        /// A name for this device.
        #[arg(long, value_name = "DEVICE_NAME")]
        name: Option<String>,
    },
    /// List changes, newest first: when, on which device, what was done and which fields.
    /// With a contact or --group, only the changes that touched it.
    Log {
        /// A contact (id, name, email...). Omit it to list every change of the vault.
        #[arg(conflicts_with = "group")]
        contact: Option<String>,
        /// Only the changes of this group (name or id): its creation, deletion and members.
        #[arg(long)]
        group: Option<String>,
        /// At most this many changes.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Put a contact back as it was at a time or change: fields, emails, phones, links, tags,
    /// groups, trash state and interactions. Writes one new change; history is kept.
    Revert {
        contact: String,
        /// A time (YYYY-MM-DD, "YYYY-MM-DD HH:MM" local time, RFC 3339) or a change id from
        /// `rapport log`: the contact is put back as it was then.
        #[arg(long, value_name = "TIME|CHANGE")]
        to: String,
    },
    /// Undo the last action made on this device, whatever command made it. Values changed
    /// since (here or on another device) are kept. Run it again to undo the action before.
    Undo {
        /// Undo this change (an id from `rapport log`) instead of the last local action.
        #[arg(long, value_name = "CHANGE")]
        change: Option<String>,
    },
    /// List the fields that two devices edited at once: the value every device shows, the
    /// values that lost, and which device wrote each and when.
    Conflicts {
        #[arg(long)]
        json: bool,
    },
    /// Settle a conflict: every device shows VALUE for FIELD after a sync.
    Resolve {
        contact: String,
        /// name, org, title, notes, trust, met-on, met-at, met-context, introduced-by or
        /// connected-on.
        #[arg(value_parser = parse_field)]
        field: ContactField,
        /// The value to keep: one of those `rapport conflicts` lists, or a new one.
        value: String,
    },
    /// Deletions from another device held back because they were too many at once.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// The relay the vault's devices use to sync when they are not on the same network.
    /// None by default: without one, devices sync only where they can reach each other
    /// directly. The setting syncs to every device. Self-host one with `iroh-relay` (see the
    /// README, "Syncing away from home"); the relay sees only encrypted packets, endpoint ids,
    /// IP addresses and timing.
    Relay {
        #[command(subcommand)]
        command: RelayCommand,
    },
    /// Import contacts from LinkedIn, vCard or a spreadsheet. Every import is one change;
    /// importing the same file again updates contacts instead of duplicating them.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export every contact (not the trash) as vCard 4.0, CSV or JSON.
    Export {
        /// vcard, csv or json (JSON: the shape of `list --json`, plus interactions).
        format: ExportFormat,
        /// Write to this file (atomically) instead of stdout.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Write the whole vault to PATH as a standard Automerge document (see docs/SCHEMA.md).
    Backup { path: PathBuf },
    /// Merge a backup written by `rapport backup` into this vault. It never replaces or removes
    /// anything: what the vault holds stays, and what only the backup holds comes back.
    RestoreBackup { path: PathBuf },
    /// List probable duplicate contacts, with the reason for each.
    Dedupe {
        /// Merge the certain ones (the same email or profile URL) into the older contact.
        #[arg(long)]
        apply: bool,
        #[arg(long)]
        json: bool,
    },
    /// Merge contact B into contact A: A gains B's emails, phones, links, tags, groups, empty
    /// fields and interactions; B goes to the trash and its id resolves to A from then on.
    Merge {
        /// The contact that stays.
        a: String,
        /// The contact merged into A.
        b: String,
    },
    /// Who can introduce me to TARGET: paths through introductions and shared interactions,
    /// ranked by the trust of the person I would ask first, then how recent the evidence
    /// is, then length. With --graph, who introduced whom, as nodes and edges.
    Intro {
        /// The person to reach: an id, name, email or unambiguous part of a name.
        #[arg(required_unless_present = "graph")]
        target: Option<String>,
        /// The longest chain to consider, in hops between people (1 to 6).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=6))]
        max_hops: u8,
        /// Print the introductions graph (introduced-by links and intro interactions).
        #[arg(long, conflicts_with = "target")]
        graph: bool,
        /// With --graph: only the edges that touch this group's members.
        #[arg(long, requires = "graph", value_name = "GROUP")]
        group: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record that I introduced A and B: one `intro` interaction with both.
    Introduce {
        a: String,
        b: String,
        /// What was said; default "Introduced A and B".
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// When: YYYY-MM-DD, "YYYY-MM-DD HH:MM" (local time) or RFC 3339 [default: now].
        #[arg(long, value_name = "DATE", value_parser = parse_at)]
        at: Option<Millis>,
        /// Also record B as introduced by A (B's introduced-by field).
        #[arg(long)]
        set_introduced_by: bool,
    },
    /// How often to keep in touch: `cadence jeanne 90d`, `cadence --group Investors 30d`,
    /// `cadence --tag climbing 6mo`; --clear removes one. A contact's own cadence wins over
    /// its groups' and tags', and among those the shortest wins.
    Cadence {
        /// CONTACT PERIOD, or PERIOD with --group or --tag (PERIOD: 14d, 2w, 6mo, 1y).
        #[arg(num_args = 0..=2, value_name = "CONTACT PERIOD")]
        args: Vec<String>,
        #[arg(long, value_name = "GROUP", conflicts_with = "tag")]
        group: Option<String>,
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        /// Remove the cadence instead of setting one.
        #[arg(long)]
        clear: bool,
    },
    /// Close a follow-up (its id is the id of the note it is attached to).
    Done {
        #[arg(value_name = "FOLLOWUP-ID")]
        follow_up: rapport_model::InteractionId,
    },
    /// Defer a follow-up, or everything due about a contact, by a period (14d, 2w, 1mo).
    Snooze {
        /// A follow-up id, or a contact (its keep-in-touch reminder and open follow-ups).
        #[arg(value_name = "CONTACT|FOLLOWUP")]
        target: String,
        period: rapport_model::Period,
    },
    /// What is due, most urgent first: follow-ups due or overdue, and contacts whose last
    /// interaction is older than their cadence. Each line says why.
    Due {
        /// Also list what falls due within this period (7d, 2w...).
        #[arg(long, value_name = "PERIOD")]
        within: Option<rapport_model::Period>,
        #[arg(long, conflicts_with = "ics")]
        json: bool,
        /// Print an iCalendar file instead (`rapport due --ics > due.ics`).
        #[arg(long)]
        ics: bool,
    },
    /// One screen about a contact before you meet: who, how you met, trust, the last
    /// interactions, open follow-ups, groups and tags, whom you both know, and when each of
    /// your devices last changed the card.
    Brief {
        contact: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum RelayCommand {
    /// Show the vault's relay.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Use this relay, e.g. `https://relay.example.org` (your own `iroh-relay`).
    Set { url: String },
    /// Use no relay any more.
    Clear,
}

#[derive(Debug, Clone, Subcommand)]
pub enum QuarantineCommand {
    /// List the records that the held-back changes would delete, and which device deleted them.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Let the deletion happen on this device too.
    Accept,
    /// Restore the records with one change that reaches every device at the next sync.
    Reject,
    /// Show or set when incoming deletions are held back: more than
    /// min(MAX, max(FLOOR, PERCENT % of live records)) contacts, or groups, at once.
    Threshold {
        /// At most this many [default: 20].
        #[arg(long)]
        max: Option<u32>,
        /// At most this share of the live records [default: 10].
        #[arg(long)]
        percent: Option<u32>,
        /// Always let this many through [default: 3].
        #[arg(long)]
        floor: Option<u32>,
    },
}

impl Command {
    /// Makes the command's file paths absolute against `base`: the daemon runs forwarded
    /// commands in its own working folder, and the user meant theirs.
    pub fn resolve_paths(&mut self, base: &std::path::Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        match self {
            Command::Import { command } => match command {
                ImportCommand::Linkedin { file, .. } | ImportCommand::Csv { file, .. } => fix(file),
                ImportCommand::Vcard { path, .. } => fix(path),
                ImportCommand::Undo => {}
            },
            Command::Export { out: Some(out), .. } => fix(out),
            Command::Backup { path } | Command::RestoreBackup { path } => fix(path),
            _ => {}
        }
    }
}

/// What `import` reads.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// LinkedIn's Connections.csv (Settings > Data privacy > Get a copy of your data).
    /// Contacts are matched by profile URL (older exports without one: by email).
    Linkedin {
        file: PathBuf,
        /// Show what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// vCard 2.1, 3.0 or 4.0: one .vcf file, or a folder of them. Properties Rapport has no
    /// field for are kept and exported again.
    Vcard {
        path: PathBuf,
        /// Show what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Undo the last import made on this device, in one new change: contacts it created go to
    /// the trash and values it set are put back, except values edited since.
    Undo,
    /// A spreadsheet saved as CSV with a header line. Columns are found by name (name or
    /// first/last name, email, phone, url, org/company, title/position, notes, tags, ...);
    /// several emails, phones or tags in one cell are separated by `;`.
    Csv {
        file: PathBuf,
        /// Read column COLUMN as FIELD (repeatable), e.g. --map "E-mail 2=email";
        /// FIELD `ignore` skips a column.
        #[arg(long, value_name = "COLUMN=FIELD")]
        map: Vec<String>,
        /// Show what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Vcard,
    Csv,
    Json,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DevicesCommand {
    /// Trust a device: it may sync this vault. Give the id that `rapport device` prints on it.
    Add {
        #[arg(value_parser = parse_device_id)]
        id: DeviceId,
        /// A name for the device.
        #[arg(long)]
        name: Option<String>,
        /// Its iroh endpoint id (`rapport device` prints it there): admit it beyond the LAN
        /// too, for instance to `rapport clone --endpoint` through the relay.
        #[arg(long, value_name = "ENDPOINT_ID", value_parser = parse_endpoint_id)]
        endpoint: Option<EndpointId>,
    },
    /// Revoke a lost or stolen device (name or id): every device refuses it from its next sync
    /// on. Permanent: a revoked device can never be trusted again.
    Revoke { device: String },
    /// Remove this device from the vault. The others refuse it from then on; its local copy
    /// stays readable until you delete its folder.
    Leave,
}

/// The options of `edit`: the fields of `add`, plus a new name, removals and clears.
#[derive(Debug, Clone, Args)]
pub struct EditArgs {
    /// A new name.
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub fields: ContactArgs,
    /// Remove an email address (repeatable).
    #[arg(long, value_name = "EMAIL")]
    pub remove_email: Vec<String>,
    /// Remove a phone number (repeatable).
    #[arg(long, value_name = "PHONE")]
    pub remove_phone: Vec<String>,
    /// Remove a link (repeatable).
    #[arg(long, value_name = "URL")]
    pub remove_url: Vec<String>,
    /// Remove a tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub remove_tag: Vec<String>,
    /// Clear a field: org, title, notes, trust, met-on, met-at, met-context, introduced-by,
    /// connected-on (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub clear: Vec<ContactField>,
}

/// Fields shared by `add` and `edit`.
#[derive(Debug, Clone, Args, Default)]
pub struct ContactArgs {
    /// An email address (repeatable).
    #[arg(long, value_name = "EMAIL")]
    pub email: Vec<String>,
    /// A phone number (repeatable).
    #[arg(long, value_name = "PHONE")]
    pub phone: Vec<String>,
    /// A link, such as a LinkedIn profile URL (repeatable).
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,
    /// Organisation.
    #[arg(long)]
    pub org: Option<String>,
    /// Job title.
    #[arg(long)]
    pub title: Option<String>,
    /// A tag (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// stranger, acquainted, met, worked-with or trusted.
    #[arg(long, value_name = "LEVEL")]
    pub trust: Option<TrustLevel>,
    /// When you met: YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub met_on: Option<String>,
    /// Where you met.
    #[arg(long, value_name = "PLACE")]
    pub met_at: Option<String>,
    /// The context you met in.
    #[arg(long, value_name = "TEXT")]
    pub met_context: Option<String>,
    /// The contact who introduced you.
    #[arg(long, value_name = "CONTACT")]
    pub introduced_by: Option<String>,
    /// When you connected (e.g. on LinkedIn): YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub connected_on: Option<String>,
    /// Free-form notes about the person.
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Add contacts to a group.
    Add {
        group: String,
        #[arg(required = true, num_args = 1..)]
        contacts: Vec<String>,
    },
    /// Remove contacts from a group.
    Remove {
        group: String,
        #[arg(required = true, num_args = 1..)]
        contacts: Vec<String>,
    },
    /// Give a group a new name (by its id or current name).
    Rename { group: String, name: String },
    /// Delete a group. Its members keep their membership, so a restore brings them back.
    Delete { group: String },
    /// Restore a deleted group with all of its members.
    Restore { group: String },
    /// List groups with their member counts.
    List {
        /// Include deleted groups.
        #[arg(long)]
        deleted: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show a group and its members.
    Show {
        group: String,
        #[arg(long)]
        json: bool,
    },
}

/// The phone app's address: http(s) only, and no fragment (the pairing link adds its own).
fn app_url(s: &str) -> Result<String, String> {
    let ok = (s.starts_with("https://") || s.starts_with("http://")) && !s.contains('#');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "`{s}` is not the address of the published phone app: give its https:// address, without a #"
        ))
    }
}
