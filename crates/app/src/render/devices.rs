//! Text for `status` and the device commands.

use super::{out, Out};
use crate::reports::Roster;
use crate::time;
use rapport_model::DeviceId;
use std::path::Path;

/// `status`: held-back deletions, late changes of revoked devices, then one line per peer.
pub fn status(o: &mut Out, roster: &Roster) {
    if roster.quarantined > 0 {
        out!(
            o,
            "QUARANTINED: {} deletions from another device are held back here: `rapport quarantine show`",
            roster.quarantined
        );
    }
    if roster.devices.iter().all(|e| e.peer.is_none()) {
        out!(o, "no other devices yet: `rapport pair` adds one");
    }
    late_changes(o, roster);
    let when = |t: Option<i64>| t.map(time::rfc3339).unwrap_or_else(|| "never".to_owned());
    for e in &roster.devices {
        let Some(p) = &e.peer else { continue };
        let id = e.device.id.to_string();
        out!(
            o,
            "{}  {}  {}  last seen {}, last synced {}{}{}  ({} new changes from it since the last status)",
            id.get(..7).unwrap_or(&id),
            e.device.name,
            p.sync.as_str(),
            when(p.last_seen),
            when(p.last_synced),
            p.address
                .as_ref()
                .map(|a| format!("  at {a}"))
                .unwrap_or_default(),
            p.via
                .as_ref()
                .map(|v| format!("  via {v}"))
                .unwrap_or_default(),
            p.changes_since_last_look
        );
    }
}

/// `devices`: one line per device of the roster, then late changes of revoked devices.
pub fn devices(o: &mut Out, roster: &Roster) {
    for e in &roster.devices {
        let me = if e.this_device { "  (this device)" } else { "" };
        let state = match (e.revoked, e.left) {
            (true, true) => "  (left)",
            (true, false) => "  (revoked)",
            _ => "",
        };
        out!(o, "{}  {}{me}{state}", e.device.id, e.device.name);
    }
    late_changes(o, roster);
}

/// One line per revoked device with changes made after its revocation, naming it.
fn late_changes(o: &mut Out, roster: &Roster) {
    let name = |id: &DeviceId| {
        roster
            .devices
            .iter()
            .find(|e| e.device.id == *id)
            .map(|e| e.device.name.clone())
            .unwrap_or_else(|| id.short())
    };
    for (id, n) in &roster.late_changes {
        out!(
            o,
            "{n} change{} from revoked device {} ({}) after its revocation: kept, review them with `rapport list`",
            if *n == 1 { "" } else { "s" },
            name(id),
            id.short()
        );
    }
}

pub fn added(o: &mut Out, id: &DeviceId, name: &str) {
    out!(o, "trusted {name} ({id})");
}

pub fn revoked(o: &mut Out, id: &DeviceId, name: &str) {
    out!(
        o,
        "revoked {name} ({id}): your other devices refuse it as soon as they sync with this one"
    );
}

/// What `devices leave` says, run here or by the daemon.
pub fn left_message(dir: &Path) -> String {
    format!(
        "this device left the vault: the others refuse it from their next sync on, and it syncs with nobody. Its local copy stays readable in {}; delete that folder to erase it",
        dir.display()
    )
}
