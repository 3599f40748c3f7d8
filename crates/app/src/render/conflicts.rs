//! Text for `conflicts`, `resolve` and `quarantine`.

use super::{out, Out};
use crate::json::device_label;
use crate::response::{ConflictList, HeldBack};
use crate::time;
use rapport_model::{QuarantinePolicy, RecordRef, Written};

pub fn conflicts(o: &mut Out, list: &ConflictList) {
    if list.conflicts.is_empty() {
        out!(
            o,
            "no conflicts: no field was edited on two devices at once"
        );
        return;
    }
    for c in &list.conflicts {
        let (kind, id) = match c.record {
            RecordRef::Contact(id) => ("", id.to_string()),
            RecordRef::Group(id) => ("group ", id.to_string()),
        };
        out!(o, "{kind}{id}  {}  {}", c.name, c.field.replace('_', "-"));
        let mut line = |label: &str, w: &Written| {
            out!(
                o,
                "    {label:<5} {:?}  by {}{}",
                w.value,
                device_label(&list.devices, list.this_device, w.device),
                w.at.map(|t| format!(" at {}", time::local(t)))
                    .unwrap_or_default()
            );
        };
        line("kept", &c.winner);
        for other in &c.others {
            line("lost", other);
        }
    }
    if o.terminal {
        o.note(format!(
            "{} conflicts; `rapport resolve CONTACT FIELD VALUE` settles one on every device",
            list.conflicts.len()
        ));
    }
}

pub fn held_back(o: &mut Out, h: &HeldBack) {
    if h.held.is_empty() {
        out!(o, "nothing is quarantined");
        return;
    }
    for q in &h.held {
        let (record, id) = match q.deletion.record {
            RecordRef::Contact(id) => ("contact", id.to_string()),
            RecordRef::Group(id) => ("group", id.to_string()),
        };
        out!(
            o,
            "{record} {id}  {}  deleted by {} at {}",
            q.deletion.name,
            device_label(&h.devices, h.this_device, q.deletion.by),
            time::local(q.deletion.deleted_at)
        );
    }
    if o.terminal {
        o.note(format!(
            "{} records would go; they stay here until `rapport quarantine accept` (let them go) or `rapport quarantine reject` (restore them on every device)",
            h.held.len()
        ));
    }
}

pub fn accepted(o: &mut Out, records: usize) {
    match records {
        0 => out!(o, "nothing is quarantined"),
        n => out!(
            o,
            "accepted: {n} records deleted on another device are now deleted here too"
        ),
    }
}

pub fn rejected(o: &mut Out, restored: Option<usize>) {
    match restored {
        None => out!(o, "nothing is quarantined"),
        Some(n) => out!(
            o,
            "rejected: restored {n} records in one change; it reaches your other devices at the next sync"
        ),
    }
}

pub fn policy(o: &mut Out, p: &QuarantinePolicy) {
    out!(
        o,
        "incoming changes that delete more than min({}, max({}, {} % of the live records)) contacts (or groups) at once are quarantined",
        p.max_count,
        p.floor,
        p.percent
    );
}
