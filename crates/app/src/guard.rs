//! What this device notices about changes that arrive from a peer, before it commits them:
//! how many came from each device (for `status`), and whether they trash more records than the
//! quarantine policy lets through (then the deletion is held back locally: the changes are
//! committed and stay in history, but the records stay visible here until the user decides).

use crate::home::Home;
use crate::AppError;
use rapport_model::{DeviceId, RecordRef, Touched};
use rapport_store::Quarantined;
use std::collections::BTreeMap;

/// Called with the loaded vault holding the applied changes and the store still holding the
/// state before them (so the read view says what was live).
pub fn check_incoming(home: &mut Home, touched: &Touched) -> Result<(), AppError> {
    if touched.is_empty() {
        return Ok(());
    }
    let before = home.store.heads()?;
    let me = home.device;
    let vault = home.vault_mut()?;
    let mut counts: BTreeMap<DeviceId, u64> = BTreeMap::new();
    for meta in vault.doc_mut().get_changes_meta(&before) {
        if let Ok(bytes) = <[u8; 32]>::try_from(meta.actor.to_bytes()) {
            let device = DeviceId::from_bytes(bytes);
            if device != me {
                *counts.entry(device).or_default() += 1;
            }
        }
    }
    // Every touched record that is now deleted; whether it was live is checked below, only if
    // there are enough of them to matter.
    let deleted = vault
        .deletions_in(touched, |_| true)
        .map_err(|e| AppError::Edit(e.into()))?;
    home.store.count_incoming(&counts)?;
    let policy = home.store.quarantine_policy()?;
    if deleted.len() <= policy.limit(0) {
        return Ok(());
    }
    let view = home.store.view();
    let mut held = Vec::new();
    let contacts = view.contacts()?;
    let groups = view.groups()?;
    let live_contacts: BTreeMap<_, _> = contacts
        .iter()
        .filter(|c| !c.is_trashed())
        .map(|c| (c.id, ()))
        .collect();
    let live_groups: BTreeMap<_, _> = groups
        .iter()
        .filter(|g| g.deleted.is_none())
        .map(|g| (g.id, ()))
        .collect();
    let was_live = |r: &RecordRef| match r {
        RecordRef::Contact(id) => live_contacts.contains_key(id),
        RecordRef::Group(id) => live_groups.contains_key(id),
    };
    let (contact_deletions, group_deletions): (Vec<_>, Vec<_>) = deleted
        .into_iter()
        .filter(|d| was_live(&d.record))
        .partition(|d| matches!(d.record, RecordRef::Contact(_)));
    let now = crate::time::now_ms();
    for (deletions, live, what) in [
        (contact_deletions, live_contacts.len(), "contacts"),
        (group_deletions, live_groups.len(), "groups"),
    ] {
        if policy.trips(deletions.len(), live) {
            // Said where the sync runs (the daemon's log, or the syncing command's stderr):
            // not a note kept for whichever command comes next.
            tracing::warn!(
                "rapport: incoming changes trash {} of {live} {what}: held back on this device; see `rapport quarantine show`",
                deletions.len()
            );
            held.extend(deletions.into_iter().map(|deletion| Quarantined {
                deletion,
                received: now,
            }));
        }
    }
    if !held.is_empty() {
        home.store.quarantine(&held)?;
    }
    Ok(())
}
