//! What the roster, file and store commands found, as typed data (carried by `Response`),
//! with the JSON shapes their `--json` prints.

use crate::request::Millis;
use crate::time;
use rapport_model::{Device, DeviceId};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Every device of the roster with what this device knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// In the roster's order.
    pub devices: Vec<RosterEntry>,
    /// For each revoked device, how many of its changes arrived that no revoker had seen when
    /// revoking it (kept in the history), by device id.
    pub late_changes: Vec<(DeviceId, usize)>,
    /// Deletions from other devices held back here, in all.
    pub quarantined: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub device: Device,
    pub this_device: bool,
    /// Revoked, or left (`devices leave`): refused by every device that has heard of it.
    pub revoked: bool,
    pub left: bool,
    pub changes_after_revocation: usize,
    /// What this device knows of the peer; `None` for this device itself.
    pub peer: Option<PeerState>,
}

/// A peer as this device last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerState {
    pub address: Option<String>,
    /// Where the address was learned: `lan` (local network discovery), `dialled`, `accepted`.
    pub address_source: Option<String>,
    /// How the peer was last reached: `lan`, `direct` (iroh, hole punched) or `relay`.
    #[serde(default)]
    pub via: Option<String>,
    pub last_seen: Option<Millis>,
    pub last_synced: Option<Millis>,
    pub sync: SyncState,
    /// Changes this device received that the peer wrote, since the last `status`.
    pub changes_since_last_look: u64,
    /// Records whose deletion by the peer is held back here (`rapport quarantine show`).
    pub quarantined: usize,
}

/// How this device's heads compare with what it last shared with a peer. "Behind" cannot be
/// known without asking the peer; a running daemon keeps live sessions, so peers it can reach
/// stay `Equal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    NeverSynced,
    Equal,
    /// This device has changes the peer has not received.
    Ahead,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::NeverSynced => "never synced",
            SyncState::Equal => "equal",
            SyncState::Ahead => "ahead",
        }
    }
}

/// Skipped records and warnings kept for the summary; the rest are counted.
pub const MAX_LISTED: usize = 20;

/// What an import did, or with `dry_run` would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// `linkedin Connections.csv`: the kind and the file's name.
    pub source: String,
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// How many updates matched existing contacts by each kind of key.
    pub matched_by: Vec<(String, usize)>,
    pub key_note: Option<String>,
    /// The first `MAX_LISTED` skipped records (record, reason), and how many in all.
    pub skipped: Vec<(String, String)>,
    pub skipped_count: usize,
    /// The first `MAX_LISTED` warnings, and how many in all.
    pub warnings: Vec<String>,
    pub warning_count: usize,
}

impl ImportReport {
    /// Whether it wrote (or would write) nothing.
    pub fn is_noop(&self) -> bool {
        self.created == 0 && self.updated == 0
    }
}

/// What `check` found: the store is intact (else it failed), and its sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub contacts: usize,
    pub interactions: usize,
    pub snapshot_bytes: u64,
    pub change_chunks: u64,
    pub disk_bytes: u64,
    /// The read cache was stale and has been rebuilt.
    pub view_rebuilt: bool,
}

/// What `repair` kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairReport {
    pub contacts: usize,
    /// Where the damaged store was moved.
    pub aside: PathBuf,
    /// What could not be read, one line each.
    pub skipped: Vec<String>,
    /// The new id of this device, when its identity was lost.
    pub new_device: Option<DeviceId>,
}

/// One row of `devices --json`.
#[derive(Debug, Serialize)]
pub struct RosterJson {
    id: String,
    name: String,
    added_at: String,
    added_by: Option<String>,
    this_device: bool,
    revoked: bool,
    left: bool,
    changes_after_revocation: usize,
}

pub(crate) fn roster_json(roster: &Roster) -> Vec<RosterJson> {
    roster
        .devices
        .iter()
        .map(|e| RosterJson {
            id: e.device.id.to_string(),
            name: e.device.name.clone(),
            added_at: time::rfc3339(e.device.added_at),
            added_by: e.device.added_by.map(|b| b.to_string()),
            this_device: e.this_device,
            revoked: e.revoked,
            left: e.left,
            changes_after_revocation: e.changes_after_revocation,
        })
        .collect()
}

/// One row of `status --json`: each other device.
#[derive(Debug, Serialize)]
pub struct PeerJson {
    id: String,
    name: String,
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    last_seen: Option<String>,
    last_synced: Option<String>,
    state: &'static str,
    changes_since_last_look: u64,
    quarantined: usize,
}

pub(crate) fn status_json(roster: &Roster) -> Vec<PeerJson> {
    roster
        .devices
        .iter()
        .filter_map(|e| {
            let p = e.peer.as_ref()?;
            Some(PeerJson {
                id: e.device.id.to_string(),
                name: e.device.name.clone(),
                address: p.address.clone(),
                address_source: p.address_source.clone(),
                via: p.via.clone(),
                last_seen: p.last_seen.map(time::rfc3339),
                last_synced: p.last_synced.map(time::rfc3339),
                state: p.sync.as_str(),
                changes_since_last_look: p.changes_since_last_look,
                quarantined: p.quarantined,
            })
        })
        .collect()
}
/// `check --json`.
#[derive(Debug, Serialize)]
pub struct CheckJson {
    ok: bool,
    contacts: usize,
    interactions: usize,
    snapshot_bytes: u64,
    change_chunks: u64,
    disk_bytes: u64,
}

pub(crate) fn check_json(r: &CheckReport) -> CheckJson {
    CheckJson {
        ok: true,
        contacts: r.contacts,
        interactions: r.interactions,
        snapshot_bytes: r.snapshot_bytes,
        change_chunks: r.change_chunks,
        disk_bytes: r.disk_bytes,
    }
}
/// `device --json`.
#[derive(Debug, serde::Serialize)]
pub struct DeviceJson {
    id: String,
    name: String,
    has_vault: bool,
    endpoint: String,
}

pub(crate) fn device_json(
    id: &DeviceId,
    name: &str,
    has_vault: bool,
    endpoint: &rapport_model::EndpointId,
) -> DeviceJson {
    DeviceJson {
        id: id.to_string(),
        name: name.to_owned(),
        has_vault,
        endpoint: endpoint.to_hex(),
    }
}
