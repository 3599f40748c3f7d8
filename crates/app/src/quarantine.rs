//! `quarantine`: deletions from other devices that were too many to apply without asking.
//! The changes are in this device's vault and history; only the local view holds the
//! records back, until `accept` (let the deletion show here) or `reject` (write one change
//! that restores them, which reaches every device at the next sync).

use crate::home::Home;
use crate::request::QuarantineRequest;
use crate::response::{HeldBack, Response};
use crate::{time, AppError};
use rapport_model::{Deletion, QuarantinePolicy, RecordRef};

pub fn handle(home: &Home, request: &QuarantineRequest) -> Result<Response, AppError> {
    match *request {
        QuarantineRequest::Show => Ok(Response::HeldBack(HeldBack {
            held: home.store.quarantined()?,
            devices: home.read(|v| v.devices())?,
            this_device: home.device,
        })),
        QuarantineRequest::Accept => {
            let held = home.store.quarantined()?;
            if !held.is_empty() {
                home.store.release(&records(&held))?;
            }
            Ok(Response::QuarantineAccepted {
                records: held.len(),
            })
        }
        QuarantineRequest::Reject => reject(home),
        QuarantineRequest::Threshold {
            max,
            percent,
            floor,
        } => threshold(home, max, percent, floor),
    }
}

fn records(held: &[rapport_store::Quarantined]) -> Vec<RecordRef> {
    held.iter().map(|q| q.deletion.record).collect()
}

fn reject(home: &Home) -> Result<Response, AppError> {
    let held = home.store.quarantined()?;
    if held.is_empty() {
        return Ok(Response::QuarantineRejected { restored: None });
    }
    let deletions: Vec<Deletion> = held.iter().map(|q| q.deletion.clone()).collect();
    let restored = home.write(|vault, _| Ok(vault.undo_deletions(&deletions, time::now_ms())?))?;
    home.store.release(&records(&held))?;
    Ok(Response::QuarantineRejected {
        restored: Some(restored),
    })
}

fn threshold(
    home: &Home,
    max: Option<u32>,
    percent: Option<u32>,
    floor: Option<u32>,
) -> Result<Response, AppError> {
    let mut policy = home.store.quarantine_policy()?;
    if max.is_some() || percent.is_some() || floor.is_some() {
        if percent.is_some_and(|p| p > 100) {
            return Err(AppError::BadInput(
                "--percent must be between 0 and 100".into(),
            ));
        }
        policy = QuarantinePolicy {
            max_count: max.unwrap_or(policy.max_count),
            percent: percent.unwrap_or(policy.percent),
            floor: floor.unwrap_or(policy.floor),
        };
        home.store.set_quarantine_policy(&policy)?;
    }
    Ok(Response::QuarantinePolicy(policy))
}
