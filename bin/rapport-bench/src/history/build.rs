//! The history suite's vault: W1 imported on device A (one batch, one durable commit, as the
//! `local` suite does), then 10 rounds of edits from three devices (A, a phone and a desktop,
//! all in A's roster). Each round every device edits the target contact, logs a note with it
//! and tags another contact; A commits each of its actions durably (as `rapport` does), then
//! merges the other two and commits what arrived (as a sync does), and they merge A back.

use crate::w1;
use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::Rng;
use rapport_model::{
    ContactId, ContactPatch, Device, DeviceId, InteractionId, InteractionKind, NewInteraction,
    UnixMillis, Vault,
};
use rapport_store::Store;
use rapport_workload::Workload;
use std::path::Path;

pub const ROUNDS: usize = 10;
const MINUTE: UnixMillis = 60_000;

/// What the measures need from the build.
#[derive(Debug)]
pub struct Built {
    pub target: ContactId,
    /// Another contact, for the baseline write (`note`).
    pub other: ContactId,
    /// For each round, a time after it and before the next (Unix ms).
    pub marks: Vec<UnixMillis>,
    /// Changes in the document.
    pub changes: usize,
    /// Changes that touched the target, as `log` should list them.
    pub target_changes: usize,
}

pub fn build(
    home: &Path,
    device: DeviceId,
    w: &Workload,
    rng: &mut StdRng,
    now: UnixMillis,
) -> Result<Built> {
    let prepared = w1::prepare(w, rng)?;
    // The rounds are ten minutes apart, after the vault's creation (`now`): a change is in
    // the past of a time only if everything it depends on is too.
    let base = now + MINUTE;
    let store = Store::open(&home.join("store")).context("opening the store")?;
    let mut a = store.load_vault(device).context("loading the vault")?;
    let phone = DeviceId::from_bytes(rng.gen());
    let desktop = DeviceId::from_bytes(rng.gen());
    for (id, name) in [(phone, "phone"), (desktop, "desktop")] {
        let d = Device {
            id,
            name: name.to_owned(),
            added_at: base,
            added_by: Some(device),
        };
        a.add_device(&d, base)?;
    }
    w1::write_batch(&mut a, &prepared, base)?;
    let touched = a.take_touched();
    store.commit(&mut a, &touched)?;
    let target = prepared[rng.gen_range(0..prepared.len())].id;
    let other = prepared[rng.gen_range(0..prepared.len())].id;
    let mut b = a.fork_as(phone);
    let mut c = a.fork_as(desktop);
    let mut marks = Vec::new();
    let mut target_changes = 1; // the import
    for round in 0..ROUNDS {
        let t = base + (round as i64 + 1) * 10 * MINUTE;
        for (k, v) in [&mut a, &mut b, &mut c].into_iter().enumerate() {
            let at = t + k as i64 * MINUTE;
            // A is the device on disk: each action is one durable commit, as the CLI does.
            let mut commit = |v: &mut Vault| -> Result<()> {
                if k == 0 {
                    let touched = v.take_touched();
                    store.commit(v, &touched)?;
                }
                Ok(())
            };
            edit_round(v, target, &prepared, rng, round, at, &mut commit)?;
            target_changes += 2;
        }
        let mut touched = a.merge(&mut b)?;
        touched.extend(a.merge(&mut c)?);
        store.commit(&mut a, &touched)?;
        b.merge(&mut a)?;
        c.merge(&mut a)?;
        marks.push(t + 5 * MINUTE);
    }
    let changes = a.changes().len();
    store.close()?;
    Ok(Built {
        target,
        other,
        marks,
        changes,
        target_changes,
    })
}

/// One device's three actions of a round: edit the target, note with it, tag another contact;
/// `commit` runs after each.
#[allow(clippy::too_many_arguments)]
fn edit_round(
    v: &mut Vault,
    target: ContactId,
    prepared: &[w1::PreparedContact],
    rng: &mut StdRng,
    round: usize,
    at: UnixMillis,
    commit: &mut dyn FnMut(&mut Vault) -> Result<()>,
) -> Result<()> {
    let who = v.device().short();
    let patch = ContactPatch {
        title: Some(format!("title {round} from {who}")),
        add_tags: vec![format!("round-{round}")],
        ..Default::default()
    };
    v.edit_contact(target, &patch, at)?;
    commit(v)?;
    let note = NewInteraction {
        contacts: vec![target],
        at,
        kind: InteractionKind::Call,
        text: format!("round {round}: call from {who} about the offsite"),
        place: None,
    };
    v.add_interaction(InteractionId::random(rng), &note, at + 1_000)?;
    commit(v)?;
    let someone = prepared[rng.gen_range(0..prepared.len())].id;
    let tag = ContactPatch {
        add_tags: vec![format!("seen-{round}")],
        ..Default::default()
    };
    if someone != target {
        v.edit_contact(someone, &tag, at + 2_000)?;
        commit(v)?;
    }
    Ok(())
}
