//! `quarantine`: deletions from other devices that were too many to apply without asking.
//! The changes are in this device's vault and history; only the local view holds the
//! records back, until `accept` (let the deletion show here) or `reject` (write one change
//! that restores them, which reaches every device at the next sync).

use crate::cli::QuarantineCommand;
use crate::home::Home;
use crate::time;
use anyhow::Result;
use rapport_app::json::device_label;
use rapport_app::AppError;
use rapport_model::{Deletion, QuarantinePolicy, RecordRef};
use serde::Serialize;

pub fn run(home: &Home, command: QuarantineCommand) -> Result<()> {
    match command {
        QuarantineCommand::Show { json } => show(home, json),
        QuarantineCommand::Accept => accept(home),
        QuarantineCommand::Reject => reject(home),
        QuarantineCommand::Threshold {
            max,
            percent,
            floor,
        } => threshold(home, max, percent, floor),
    }
}

#[derive(Debug, Serialize)]
struct HeldJson {
    record: &'static str,
    id: String,
    name: String,
    deleted_at: String,
    by: Option<String>,
    by_name: String,
    received: String,
}

fn show(home: &Home, json: bool) -> Result<()> {
    let held = home.store.quarantined()?;
    let devices = home.read(|v| v.devices())?;
    let rows: Vec<HeldJson> = held
        .iter()
        .map(|q| {
            let (record, id) = match q.deletion.record {
                RecordRef::Contact(id) => ("contact", id.to_string()),
                RecordRef::Group(id) => ("group", id.to_string()),
            };
            HeldJson {
                record,
                id,
                name: q.deletion.name.clone(),
                deleted_at: time::rfc3339(q.deletion.deleted_at),
                by: q.deletion.by.map(|d| d.to_string()),
                by_name: device_label(&devices, home.device, q.deletion.by),
                received: time::rfc3339(q.received),
            }
        })
        .collect();
    if json {
        return crate::render::print_json(&rows);
    }
    if rows.is_empty() {
        crate::out!("nothing is quarantined");
        return Ok(());
    }
    for (r, q) in rows.iter().zip(&held) {
        crate::out!(
            "{} {}  {}  deleted by {} at {}",
            r.record,
            r.id,
            r.name,
            r.by_name,
            time::local(q.deletion.deleted_at)
        );
    }
    if !crate::out::is_terminal() {
        return Ok(());
    }
    crate::note!(
        "{} records would go; they stay here until `rapport quarantine accept` (let them go) or `rapport quarantine reject` (restore them on every device)",
        rows.len()
    );
    Ok(())
}

fn records(held: &[rapport_store::Quarantined]) -> Vec<RecordRef> {
    held.iter().map(|q| q.deletion.record).collect()
}

fn accept(home: &Home) -> Result<()> {
    let held = home.store.quarantined()?;
    if held.is_empty() {
        crate::out!("nothing is quarantined");
        return Ok(());
    }
    home.store.release(&records(&held))?;
    crate::out!(
        "accepted: {} records deleted on another device are now deleted here too",
        held.len()
    );
    Ok(())
}

fn reject(home: &Home) -> Result<()> {
    let held = home.store.quarantined()?;
    if held.is_empty() {
        crate::out!("nothing is quarantined");
        return Ok(());
    }
    let deletions: Vec<Deletion> = held.iter().map(|q| q.deletion.clone()).collect();
    let restored = super::write(home, |vault, _| {
        Ok(vault.undo_deletions(&deletions, time::now_ms())?)
    })?;
    home.store.release(&records(&held))?;
    crate::out!(
        "rejected: restored {restored} records in one change; it reaches your other devices at the next sync"
    );
    Ok(())
}

fn threshold(
    home: &Home,
    max: Option<u32>,
    percent: Option<u32>,
    floor: Option<u32>,
) -> Result<()> {
    let mut policy = home.store.quarantine_policy()?;
    if max.is_some() || percent.is_some() || floor.is_some() {
        if percent.is_some_and(|p| p > 100) {
            return Err(AppError::BadInput("--percent must be between 0 and 100".into()).into());
        }
        policy = QuarantinePolicy {
            max_count: max.unwrap_or(policy.max_count),
            percent: percent.unwrap_or(policy.percent),
            floor: floor.unwrap_or(policy.floor),
        };
        home.store.set_quarantine_policy(&policy)?;
    }
    crate::out!(
        "incoming changes that delete more than min({}, max({}, {} % of the live records)) contacts (or groups) at once are quarantined",
        policy.max_count,
        policy.floor,
        policy.percent
    );
    Ok(())
}
