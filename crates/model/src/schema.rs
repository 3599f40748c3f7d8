//! The layout of the vault document. `docs/SCHEMA.md` describes it for other tools; this module
//! is the single place in the code that names the keys.
//!
//! Migration path: `ROOT.schema_version` is an unsigned integer. A rapport that finds a higher
//! version refuses to open the vault (it would write data the newer schema does not expect).
//! A lower version is migrated on open by `Vault::migrate`, one step per version, each step one
//! commit, written only by the device that opens it; migrations must be idempotent under
//! concurrent application on two devices (add keys, never rename them in place).

/// The schema this code writes. Version 1 is the first.
pub const SCHEMA_VERSION: u64 = 1;

pub const SCHEMA_VERSION_KEY: &str = "schema_version";
pub const VAULT_ID: &str = "vault_id";
pub const CREATED: &str = "created";
pub const CONTACTS: &str = "contacts";
pub const INTERACTIONS: &str = "interactions";
pub const GROUPS: &str = "groups";
pub const DEVICES: &str = "devices";
/// Root map: device id -> revocation entry (JSON). Entries are never deleted; see `docs/SCHEMA.md`.
pub const REVOKED: &str = "revoked";

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
}

/// Keys inside one device map of the roster.
pub mod device {
    pub const NAME: &str = "name";
    pub const ADDED_AT: &str = "added_at";
    pub const ADDED_BY: &str = "added_by";
}
