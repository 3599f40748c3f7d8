//! Text for the commands that read or write files: `export`, `import`, `backup`,
//! `restore-backup`, and the store's `check` and `repair`.

use super::{out, Out};
use crate::reports::{CheckReport, ImportReport, RepairReport, MAX_LISTED};

pub fn import(o: &mut Out, r: &ImportReport) {
    let source = &r.source;
    let (created, updated, unchanged, skipped) =
        (r.created, r.updated, r.unchanged, r.skipped_count);
    if r.dry_run {
        out!(o, "dry run of import {source} (nothing was written): would create {created}, update {updated}; {unchanged} unchanged, {skipped} skipped");
    } else if r.is_noop() {
        out!(
            o,
            "imported {source}: nothing to change; {unchanged} unchanged, {skipped} skipped"
        );
    } else {
        out!(o, "imported {source}: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped (undo with `rapport import undo`)");
    }
    for (by, n) in &r.matched_by {
        out!(o, "  matched {n} existing contacts by {by}");
    }
    if let Some(note) = &r.key_note {
        out!(o, "  note: {note}");
    }
    for (record, reason) in &r.skipped {
        out!(o, "  skipped {record}: {reason}");
    }
    if skipped > MAX_LISTED {
        out!(o, "  ... and {} more skipped", skipped - MAX_LISTED);
    }
    for w in &r.warnings {
        out!(o, "  warning: {w}");
    }
    if r.warning_count > MAX_LISTED {
        out!(
            o,
            "  ... and {} more warnings",
            r.warning_count - MAX_LISTED
        );
    }
}

pub fn check(o: &mut Out, r: &CheckReport) {
    out!(o, "the store is intact");
    out!(o, "  contacts       {}", r.contacts);
    out!(o, "  interactions   {}", r.interactions);
    out!(
        o,
        "  snapshot       {} bytes + {} change chunks",
        r.snapshot_bytes,
        r.change_chunks
    );
    out!(o, "  on disk        {} bytes", r.disk_bytes);
    if r.view_rebuilt {
        out!(o, "  the read cache was stale and has been rebuilt");
    }
}

pub fn repaired(o: &mut Out, r: &RepairReport) {
    out!(
        o,
        "repaired: {} contacts kept; the damaged store is at {}",
        r.contacts,
        r.aside.display()
    );
    for s in &r.skipped {
        out!(o, "  skipped {s}");
    }
    if !r.skipped.is_empty() {
        out!(
            o,
            "  sync with another device of this vault to get those changes back"
        );
    }
    if let Some(id) = r.new_device {
        out!(
            o,
            "  this device's identity was lost, so it has a new id {id}: run `rapport devices add {id}` on your other devices"
        );
    }
}
