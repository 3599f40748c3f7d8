//! The layout of the vault document. `docs/SCHEMA.md` describes it for other tools; this module
//! is the single place in the code that names the keys.
//!
//! Migration path: `ROOT.schema_version` is an unsigned integer. A rapport that finds a higher
//! version refuses to open the vault (it would write data the newer schema does not expect).
//! A lower version is migrated on open by `Vault::migrate`, one step per version, each step one
//! commit, written only by the device that opens it; migrations must be idempotent under
//! concurrent application on two devices (add keys, never rename them in place).

/// The schema this code writes. Version 1 is the first; 2 added cadences and follow-ups
/// (the root map `tag_cadences`, created by the migration from 1).
pub const SCHEMA_VERSION: u64 = 2;

pub const SCHEMA_VERSION_KEY: &str = "schema_version";
pub const VAULT_ID: &str = "vault_id";
pub const CREATED: &str = "created";
pub const CONTACTS: &str = "contacts";
pub const INTERACTIONS: &str = "interactions";
pub const GROUPS: &str = "groups";
pub const DEVICES: &str = "devices";
/// Root map: device id -> revocation entry (JSON). Entries are never deleted; see `docs/SCHEMA.md`.
pub const REVOKED: &str = "revoked";
/// Root map (schema 2): tag -> cadence. Created by `init` or by the migration from schema 1;
/// two devices migrating at once leave two copies, which readers union (see docs/SCHEMA.md).
pub const TAG_CADENCES: &str = "tag_cadences";
/// Root scalar: the relay URL every device of the vault uses beyond the LAN (`rapport relay
/// set`). Absent or empty: no relay. Any device may write it; the last writer wins.
pub const RELAY: &str = "relay";

/// Keys inside one contact map besides the `ContactField` keys.
pub mod contact {
    pub const CREATED: &str = "created";
    pub const UPDATED: &str = "updated";
    pub const DELETED: &str = "deleted";
    /// The id of the contact this one was merged into (`Vault::merge_contacts`).
    pub const MERGED_INTO: &str = "merged_into";
    /// Imported extras (`ContactExtras`): free-form dates and vCard properties kept verbatim.
    pub const BIRTHDAY: &str = "birthday";
    pub const ANNIVERSARY: &str = "anniversary";
    pub const VCARD_EXTRA: &str = "vcard_extra";
    /// Schema 2: how often to keep in touch (`Period` text, e.g. `90d`).
    pub const CADENCE: &str = "cadence";
    /// Schema 2: the keep-in-touch reminder is deferred until this `YYYY-MM-DD`.
    pub const SNOOZED_UNTIL: &str = "snoozed_until";
    /// Schema 2: a follow-up attached to a note, as three independent keys per note id:
    /// `follow_up:<note>` = due date, `follow_up_snooze:<note>` = snoozed until,
    /// `follow_up_done:<note>` = when it was closed (present = closed, whatever else says).
    pub const FOLLOW_UP: &str = "follow_up:";
    pub const FOLLOW_UP_SNOOZE: &str = "follow_up_snooze:";
    pub const FOLLOW_UP_DONE: &str = "follow_up_done:";
    /// Set members are keys `prefix + value` with the value `true`: an add-wins set with one
    /// operation per member, and no nested object that two devices could create twice.
    pub const EMAIL: &str = "email:";
    pub const PHONE: &str = "phone:";
    pub const LINK: &str = "link:";
    pub const TAG: &str = "tag:";
    pub const GROUP: &str = "group:";
}

/// Keys inside one group map.
pub mod group {
    pub const NAME: &str = "name";
    pub const DESCRIPTION: &str = "description";
    pub const CREATED: &str = "created";
    pub const DELETED: &str = "deleted";
    /// Schema 2: how often to keep in touch with the members.
    pub const CADENCE: &str = "cadence";
}

/// Keys inside one device map of the roster.
pub mod device {
    pub const NAME: &str = "name";
    pub const ADDED_AT: &str = "added_at";
    pub const ADDED_BY: &str = "added_by";
    /// The device's iroh endpoint id (64 hex digits), written by the device itself.
    pub const ENDPOINT: &str = "endpoint";
    /// The device's home relay URL, written by the device itself; absent when it has none.
    pub const RELAY: &str = "relay";
}
