//! The history code paths called directly on a loaded vault (as a daemon holds it), each
//! against its plain counterpart, and the generic undo of the whole W1 import.

use anyhow::{bail, Context, Result};
use rapport_model::DeviceId;
use std::path::Path;
use std::time::{Duration, Instant};

/// The history code paths called directly, each against its plain counterpart.
pub struct InProcess {
    pub undo_import: Duration,
    pub undo_import_commit: Duration,
    pub undo_import_restored: usize,
    pub load: Duration,
    pub show: Vec<Duration>,
    pub log: Vec<Duration>,
    pub at: Vec<Duration>,
    pub revert: Vec<Duration>,
    pub note: Vec<Duration>,
}

pub fn in_process(
    home: &Path,
    device: DeviceId,
    target: rapport_model::ContactId,
    marks: &[i64],
    runs: usize,
) -> Result<InProcess> {
    use rapport_model::{InteractionId, InteractionKind, NewInteraction, RecordRef};
    use std::collections::BTreeSet;
    let timed = |f: &mut dyn FnMut() -> Result<()>| -> Result<Vec<Duration>> {
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f()?;
                Ok(start.elapsed())
            })
            .collect()
    };
    let start = Instant::now();
    let store = rapport_store::Store::open(&home.join("store"))?;
    let mut vault = store.load_vault(device)?;
    let load = start.elapsed();
    let show = timed(&mut || {
        store
            .view()
            .contact(target)?
            .context("the target is missing")?;
        Ok(())
    })?;
    let log = timed(&mut || {
        store.view().history(RecordRef::Contact(target), None)?;
        Ok(())
    })?;
    // As the CLI does: only the interactions the contact's timeline and history name.
    let candidates = |store: &rapport_store::Store| -> Result<BTreeSet<InteractionId>> {
        let view = store.view();
        let mut ids: BTreeSet<InteractionId> =
            view.timeline(target)?.into_iter().map(|i| i.id).collect();
        for e in view.history(RecordRef::Contact(target), None)? {
            ids.extend(e.fields.iter().filter_map(|f| {
                f.strip_prefix("interaction:")?
                    .parse::<InteractionId>()
                    .ok()
            }));
        }
        Ok(ids)
    };
    let at = timed(&mut || {
        let ids = candidates(&store)?;
        let heads = vault.heads_at_time(marks[5]);
        vault
            .contact_at(target, &heads)?
            .context("the target is missing")?;
        vault.interactions_of_at_among(target, &heads, &ids)?;
        Ok(())
    })?;
    let mut i: usize = 0;
    let now = marks[marks.len() - 1] + 3_600_000;
    let revert = timed(&mut || {
        i += 1;
        let heads = vault.heads_at_time(if i.is_multiple_of(2) {
            marks[2]
        } else {
            marks[7]
        });
        let ids = candidates(&store)?;
        vault.revert_contact_among(target, &heads, "bench", now + i as i64, Some(&ids))?;
        let touched = vault.take_touched();
        store.commit(&mut vault, &touched)?;
        Ok(())
    })?;
    let note = timed(&mut || {
        i += 1;
        let new = NewInteraction {
            contacts: vec![target],
            at: now,
            kind: InteractionKind::Note,
            text: format!("in-process note {i}"),
            place: None,
        };
        vault.add_interaction(InteractionId::from_u64(i as u64), &new, now + i as i64)?;
        let touched = vault.take_touched();
        store.commit(&mut vault, &touched)?;
        Ok(())
    })?;
    // What `import undo` will cost: the generic undo of the whole W1 import (one change).
    let import = vault
        .changes()
        .into_iter()
        .find(|c| c.summary().starts_with("import"))
        .context("the import change is missing")?;
    let start = Instant::now();
    let report = vault.undo_change(import.hash, now + 7_200_000, "undo import W1")?;
    let undo_import = start.elapsed();
    let start = Instant::now();
    let touched = vault.take_touched();
    store.commit(&mut vault, &touched)?;
    let undo_import_commit = start.elapsed();
    let live = vault.contacts()?.iter().filter(|c| !c.is_trashed()).count();
    if live != 0 {
        bail!("{live} contacts are still live after undoing the import");
    }
    store.close()?;
    Ok(InProcess {
        undo_import,
        undo_import_commit,
        undo_import_restored: report.restored,
        load,
        show,
        log,
        at,
        revert,
        note,
    })
}
