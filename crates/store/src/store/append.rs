//! Appending a new interaction without the document: a one-shot `rapport note` reads the tip
//! that the last commit kept (`meta/tip`), builds its change from it
//! (`rapport_model::append_interaction`), and hands it here. The change is written exactly as
//! `commit` writes a change chunk: with the read view's and the history index's updates in the
//! same atomic batch, made durable (flush, fsync, `acknowledged`) before this returns.
//!
//! The tip is a cache of the document: it counts only while its heads are the stored heads,
//! which every commit rewrites with it. Anything else (no tip yet, another change since, a
//! stale view, change chunks due to be folded into a snapshot, which needs the document) sends
//! the caller back to loading the vault, which writes the tip again.

use super::Store;
use crate::bucket::{Buckets, Replaced};
use crate::chunk;
use crate::codec;
use crate::error::StoreError;
use crate::keys;
use crate::view_write::{self, Refiled};
use rapport_model::{AppendedChange, AppendedEdit, AppendedInteraction, ContactId, Tip, Vault};
use std::collections::BTreeSet;

impl Store {
    /// The tip of the stored document, when a new interaction can be appended to it without
    /// loading the document; `None` sends the caller to load the vault.
    pub fn appendable_tip(&self) -> Result<Option<Tip>, StoreError> {
        let Some(tip) = self.stored_tip() else {
            return Ok(None);
        };
        if tip.heads() != self.saved_heads()? || !self.view_is_current()? {
            return Ok(None);
        }
        Ok(Some(tip))
    }

    /// The tip the last commit kept, whatever heads it is for; a tip that does not decode is
    /// no tip (it is a cache, never a reason to refuse a write).
    pub(super) fn stored_tip(&self) -> Option<Tip> {
        let sealed = self.db.get(keys::TIP).ok()??;
        postcard::from_bytes(chunk::open(keys::TIP, &sealed)?).ok()
    }

    /// Adds to `batch` the tip of `vault` as committed (or its removal, when the vault has
    /// none), computed from the tip kept before so that only the new changes are read.
    pub(super) fn write_tip(
        &self,
        batch: &mut sled::Batch,
        vault: &mut Vault,
    ) -> Result<(), StoreError> {
        let known = self.stored_tip();
        match vault.tip(known.as_ref()) {
            Some(tip) => batch.insert(keys::TIP, codec::encode(keys::TIP, &tip)?),
            None => batch.remove(keys::TIP),
        }
        batch.remove(keys::OLD_TIP);
        Ok(())
    }

    /// Writes `appended`, built from `appendable_tip`, durably, with the view and the history
    /// index, as `commit` would have written the same change. Returns `false`, having written
    /// nothing, when it cannot be appended now: the document moved since the tip (the change
    /// does not extend exactly the stored heads), the view is stale or damaged, or the change
    /// chunks are due to be folded into a snapshot. The caller then loads the vault.
    pub fn append_interaction(&self, appended: &AppendedInteraction) -> Result<bool, StoreError> {
        self.append(&appended.written, |buckets| {
            // A new interaction joins its contacts' timelines (it was in none).
            let refiled = [Refiled {
                id: appended.interaction.id,
                before: Vec::new(),
                now: Some(appended.interaction.clone()),
            }];
            view_write::refile(&self.path, buckets, &refiled, &BTreeSet::new())
        })
    }

    /// Writes `appended`, an edit of one contact built from `appendable_tip` and the view's
    /// `contact_for_edit`, as `append_interaction` writes a new interaction (same refusals).
    pub fn append_contact_edit(&self, appended: &AppendedEdit) -> Result<bool, StoreError> {
        self.append(&appended.written, |buckets| {
            let id = appended.contact.id;
            buckets.set(
                keys::VIEW_CONTACTS,
                id,
                Some(codec::plain(&appended.contact)?),
            )?;
            let origins = codec::plain(&appended.origins)?;
            buckets.set(keys::VIEW_PROVENANCE, id, Some(origins))?;
            // No conflict entry changes: the edit was refused if the contact had any. Its
            // relate index entry is refreshed from the record just set.
            view_write::refile(&self.path, buckets, &[], &BTreeSet::from([id]))
        })
    }

    /// The part of both appends that does not depend on what the change wrote: `view` files
    /// it in the read view's buckets and returns the contacts whose view changed.
    fn append(
        &self,
        written: &AppendedChange,
        view: impl FnOnce(&mut Buckets<'_>) -> Result<BTreeSet<ContactId>, StoreError>,
    ) -> Result<bool, StoreError> {
        let saved = self.saved_heads()?;
        let mut base = written.base.to_vec();
        base.sort();
        if base != saved {
            return Ok(false);
        }
        let bytes = written.change.raw_bytes();
        if self.pending()?.compacts_with(bytes.len() as u64) || !self.view_is_current()? {
            return Ok(false);
        }
        self.ensure_room(bytes.len() as u64)?;
        let heads = written.tip.heads();
        let mut batch = sled::Batch::default();
        self.append_chunk(&mut batch, bytes, &heads)?;
        batch.insert(keys::TIP, codec::encode(keys::TIP, &written.tip)?);
        batch.remove(keys::OLD_TIP);
        let mut replaced = Replaced::default();
        let mut buckets = Buckets::new(&self.db, &self.path);
        let changed = match view(&mut buckets) {
            Ok(changed) => changed,
            // A damaged view is repaired from the document, which the caller loads.
            Err(StoreError::ViewDamaged { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        replaced.extend(buckets.write(&mut batch)?);
        batch.insert(
            keys::VIEW_HEADS,
            chunk::seal(keys::VIEW_HEADS, &codec::encode_heads(&heads)),
        );
        // The history index, if it covered the document as it was (as `commit` does).
        if crate::history::indexed_heads(&self.db).as_deref() == Some(saved.as_slice()) {
            let changes = [written.attributed.clone()];
            let added = crate::history::add(
                &self.db,
                &self.path,
                &mut batch,
                &changes,
                &heads,
                &mut replaced,
            );
            match added {
                Ok(()) => {}
                // As in `commit`: the index goes stale, and `index_history` rebuilds it.
                Err(StoreError::ViewDamaged { .. }) => batch.remove(keys::HIST_HEADS),
                Err(e) => return Err(e),
            }
        }
        self.apply_durably(batch)?;
        replaced.remove(&self.path);
        self.log_view_change(Some(changed));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{add, new_store, open, ME, T0};
    use rapport_model::{
        append_contact_edit, append_interaction, Conflict, Contact, ContactOrigins, ContactPatch,
        EditAppend, Interaction, InteractionId, InteractionKind, NewInteraction, RecordRef,
    };

    fn note(contacts: Vec<ContactId>, text: &str) -> NewInteraction {
        NewInteraction {
            contacts,
            at: T0 + 60_000,
            kind: InteractionKind::Call,
            text: text.to_owned(),
            place: None,
        }
    }

    /// The relate index's sealed values, which are sled values (not files).
    fn relate_values(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for family in [keys::VIEW_RELATE, keys::VIEW_RELATE_GRAPH] {
            for item in store.db().scan_prefix(family.as_bytes()) {
                let (k, v) = item.unwrap();
                out.push((k.to_vec(), v.to_vec()));
            }
        }
        out
    }

    #[test]
    fn an_appended_note_is_stored_viewed_and_indexed_as_a_committed_one() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let (a, b) = (add(&store, &mut vault, 1), add(&store, &mut vault, 2));
        add(&store, &mut vault, 3);
        drop(vault);
        assert!(store.history_is_current().unwrap());

        let tip = store
            .appendable_tip()
            .unwrap()
            .expect("a commit keeps the tip");
        let id = InteractionId::from_u64(40);
        let appended =
            append_interaction(&tip, id, &note(vec![b, a], "a call"), T0 + 90_000).unwrap();
        let mark = store.view_mark();
        assert!(store.append_interaction(&appended).unwrap());
        assert_eq!(store.view_changes_since(mark), Some([a, b].into()));
        let heads = vec![appended.written.change.hash()];
        assert_eq!(store.heads().unwrap(), heads);
        assert_eq!(crate::ack::read(store.path()).unwrap(), heads);
        assert!(store.view_is_current().unwrap() && store.history_is_current().unwrap());
        let card = store.view().contact(a).unwrap().unwrap();
        assert!(card
            .timeline
            .iter()
            .any(|i| i.id == id && i.text == "a call"));
        let history = store.view().history(RecordRef::Contact(b), None).unwrap();
        assert_eq!(history[0].hash, appended.written.change.hash().0);
        assert_eq!(history[0].fields, vec![format!("interaction:{id}")]);
        let cards = |store: &Store| {
            [a, b].map(|c| {
                let v = store.view().contact(c).unwrap().unwrap();
                (v.contact, v.timeline)
            })
        };
        let before = cards(&store);
        let relate = relate_values(&store);
        store.close().unwrap();

        // A reopened store loads the change, and the view rebuilt from that document is the
        // one the append wrote.
        let store = open(dir.path());
        let mut vault = store.load_vault(ME).unwrap();
        assert_eq!(
            vault.interaction(id).unwrap(),
            Some(appended.interaction.clone())
        );
        assert_eq!(vault.tip(None), Some(appended.written.tip.clone()));
        store.rebuild_view(&mut vault).unwrap();
        assert_eq!(cards(&store), before);
        assert_eq!(relate_values(&store), relate);
    }

    #[test]
    fn an_appended_edit_is_stored_viewed_and_indexed_as_a_committed_one() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let (a, b) = (add(&store, &mut vault, 1), add(&store, &mut vault, 2));
        drop(vault);
        let edit = |tip: &Tip, patch: &ContactPatch, now| {
            let (contact, origins) = store.view().contact_for_edit(a).unwrap().unwrap();
            let exists = |c: ContactId| [a, b].contains(&c);
            append_contact_edit(tip, &contact, &origins, patch, exists, now).unwrap()
        };
        let patch = ContactPatch {
            org: Some("Acme".into()),
            introduced_by: Some(b),
            add_tags: vec!["vip".into()],
            add_emails: vec!["new@example.org".into()],
            ..Default::default()
        };
        let tip = store.appendable_tip().unwrap().unwrap();
        let EditAppend::Appended(appended) = edit(&tip, &patch, T0 + 90_000) else {
            panic!("the edit was not appended");
        };
        let mark = store.view_mark();
        assert!(store.append_contact_edit(&appended).unwrap());
        assert_eq!(store.view_changes_since(mark), Some([a].into()));
        assert_eq!(store.heads().unwrap(), vec![appended.written.change.hash()]);
        let history = store.view().history(RecordRef::Contact(a), None).unwrap();
        assert_eq!(history[0].hash, appended.written.change.hash().0);
        // The same edit again changes nothing, and writes nothing.
        let tip = store.appendable_tip().unwrap().unwrap();
        assert!(matches!(
            edit(&tip, &patch, T0 + 95_000),
            EditAppend::Unchanged
        ));
        let view = |store: &Store| {
            let v = store.view();
            (
                v.contact(a).unwrap().unwrap().contact,
                v.contact_for_edit(a).unwrap().unwrap().1,
                v.provenance(a).unwrap(),
            )
        };
        let before = view(&store);
        assert!(before.0.tags.contains("vip") && before.0.org.as_deref() == Some("Acme"));
        let relate = relate_values(&store);
        store.close().unwrap();

        // The document reloaded reads as the append said, and a view rebuilt from it is the
        // one the append wrote.
        let store = open(dir.path());
        let mut vault = store.load_vault(ME).unwrap();
        assert_eq!(vault.contact(a).unwrap().unwrap(), appended.contact);
        assert_eq!(vault.tip(None), Some(appended.written.tip.clone()));
        store.rebuild_view(&mut vault).unwrap();
        assert_eq!(view(&store), before);
        assert_eq!(relate_values(&store), relate);
    }

    /// The view's records of `ids`: record and origins, timeline; and every conflict.
    type ViewOf = (
        Vec<(Contact, ContactOrigins)>,
        Vec<Vec<Interaction>>,
        Vec<Conflict>,
    );
    fn view_of(store: &Store, ids: &[ContactId]) -> ViewOf {
        let v = store.view();
        let records = ids
            .iter()
            .map(|c| v.contact_for_edit(*c).unwrap().unwrap())
            .collect();
        let timelines = ids.iter().map(|c| v.timeline(*c).unwrap()).collect();
        (records, timelines, v.conflicts().unwrap())
    }

    /// What a one-shot edit of `id` would append now, from the stored tip and the view.
    fn edit_now(store: &Store, id: ContactId, patch: &ContactPatch, now: i64) -> EditAppend {
        let tip = store
            .appendable_tip()
            .unwrap()
            .expect("a tip after every write");
        let view = store.view();
        let (contact, origins) = view.contact_for_edit(id).unwrap().unwrap();
        let exists = |c: ContactId| matches!(view.contact_record(c), Ok(Some(_)));
        append_contact_edit(&tip, &contact, &origins, patch, exists, now).unwrap()
    }

    /// Appended notes and edits, interleaved at random with commits of a loaded vault, with
    /// another device's changes merged in (so that the heads move past this device's last
    /// change) and with conflicts (which an append must leave to the document): after every
    /// step the tip follows the document, and the view is the one a rebuild gives.
    #[test]
    fn appends_interleaved_with_commits_and_merges_keep_the_view_a_rebuild_gives() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(15);
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let ids: Vec<ContactId> = (1..=5).map(|n| add(&store, &mut vault, n)).collect();
        drop(vault);
        let phone = crate::store::testing::device(2);
        let (mut appended, mut declined) = (0, 0);
        for step in 0..60u64 {
            let now = T0 + 1_000 * step as i64;
            let id = ids[rng.gen_range(0..ids.len())];
            let patch = match rng.gen_range(0..4) {
                0 => ContactPatch {
                    add_tags: vec![format!("t{}", rng.gen_range(0..3))],
                    ..Default::default()
                },
                1 => ContactPatch {
                    remove_tags: vec![format!("t{}", rng.gen_range(0..3))],
                    ..Default::default()
                },
                2 => ContactPatch {
                    org: Some(format!("Org {}", rng.gen_range(0..3))),
                    introduced_by: Some(ids[rng.gen_range(0..ids.len())]).filter(|i| *i != id),
                    ..Default::default()
                },
                _ => ContactPatch {
                    title: Some(format!("Title {step}")),
                    add_emails: vec![format!("p{step}@example.org")],
                    ..Default::default()
                },
            };
            match rng.gen_range(0..10) {
                // A one-shot edit, or the vault when the append declines.
                0..=4 => match edit_now(&store, id, &patch, now) {
                    EditAppend::Appended(a) => {
                        assert!(store.append_contact_edit(&a).unwrap(), "step {step}");
                        appended += 1;
                    }
                    EditAppend::Unchanged => {}
                    EditAppend::NeedsDocument => {
                        declined += 1;
                        let mut vault = store.load_vault(ME).unwrap();
                        vault.edit_contact(id, &patch, now).unwrap();
                        let touched = vault.take_touched();
                        store.commit(&mut vault, &touched).unwrap();
                    }
                },
                // A one-shot note.
                5..=6 => {
                    let tip = store.appendable_tip().unwrap().unwrap();
                    let new = note(vec![id], &format!("note {step}"));
                    let a =
                        append_interaction(&tip, InteractionId::from_u64(100 + step), &new, now)
                            .unwrap();
                    assert!(store.append_interaction(&a).unwrap(), "step {step}");
                }
                // Another device's edit merged in; half the time a concurrent one of ours too,
                // which leaves the contact's org in conflict.
                _ => {
                    let mut vault = store.load_vault(ME).unwrap();
                    let mut other = vault.fork_as(phone);
                    let theirs = ContactPatch {
                        org: Some(format!("Phone org {step}")),
                        ..Default::default()
                    };
                    other.edit_contact(id, &theirs, now).unwrap();
                    if rng.gen_bool(0.5) {
                        let ours = ContactPatch {
                            org: Some(format!("Laptop org {step}")),
                            ..Default::default()
                        };
                        vault.edit_contact(id, &ours, now).unwrap();
                    }
                    let mut touched = vault.take_touched();
                    touched.extend(vault.merge(&mut other).unwrap());
                    store.commit(&mut vault, &touched).unwrap();
                }
            }
            // After every step: the tip follows the document, and the view is the one a
            // rebuild from the document gives.
            let kept = view_of(&store, &ids);
            let relate = relate_values(&store);
            let mut vault = store.load_vault(ME).unwrap();
            assert_eq!(
                store.appendable_tip().unwrap(),
                vault.tip(None),
                "step {step}"
            );
            store.rebuild_view(&mut vault).unwrap();
            assert_eq!(view_of(&store, &ids), kept, "step {step}");
            assert_eq!(relate_values(&store), relate, "step {step}");
        }
        assert!(
            appended >= 10 && declined >= 1,
            "{appended} appended, {declined} declined"
        );
    }

    #[test]
    fn a_tip_left_behind_is_refused_and_the_next_commit_keeps_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let a = add(&store, &mut vault, 1);
        let tip = store.appendable_tip().unwrap().unwrap();
        assert_eq!(Some(tip.clone()), vault.tip(None));
        // The loaded vault writes: the kept tip moves with it, and the old one is refused.
        add(&store, &mut vault, 2);
        let stale =
            append_interaction(&tip, InteractionId::from_u64(9), &note(vec![a], "x"), T0).unwrap();
        assert!(!store.append_interaction(&stale).unwrap());
        assert_eq!(store.heads().unwrap(), {
            let mut h = vault.heads();
            h.sort();
            h
        });
        let tip = store.appendable_tip().unwrap().unwrap();
        assert_eq!(Some(tip), vault.tip(None));
        // A stale view sends the caller to the vault too.
        store.db().remove(keys::VIEW_HEADS).unwrap();
        assert_eq!(store.appendable_tip().unwrap(), None);
    }

    #[test]
    fn a_store_written_before_tips_existed_gets_one_at_its_next_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        add(&store, &mut vault, 1);
        // What an older rapport leaves: no tip (and a damaged one reads as none).
        store.db().remove(keys::TIP).unwrap();
        assert_eq!(store.appendable_tip().unwrap(), None);
        store
            .db()
            .insert(keys::TIP, b"not a sealed tip".to_vec())
            .unwrap();
        assert_eq!(store.appendable_tip().unwrap(), None);
        add(&store, &mut vault, 2);
        assert_eq!(store.appendable_tip().unwrap(), vault.tip(None));
        assert!(store.appendable_tip().unwrap().is_some());
    }

    #[test]
    fn a_tip_under_the_old_key_is_never_read_and_goes_at_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let a = add(&store, &mut vault, 1);
        let tip = store.appendable_tip().unwrap().unwrap();
        // A tip in this build's layout, under the key older builds read (as the previous
        // release left it): this build does not read it...
        let leave_old_tip = || {
            let sealed = codec::encode(keys::OLD_TIP, &tip).unwrap();
            store.db().insert(keys::OLD_TIP, sealed).unwrap();
        };
        store.db().remove(keys::TIP).unwrap();
        leave_old_tip();
        assert_eq!(store.appendable_tip().unwrap(), None);
        // ...and a commit removes it, so an older build finds no tip and loads the document.
        add(&store, &mut vault, 2);
        assert_eq!(store.db().get(keys::OLD_TIP).unwrap(), None);
        assert!(store.db().get(keys::TIP).unwrap().is_some());
        // So does an append.
        leave_old_tip();
        let tip = store.appendable_tip().unwrap().unwrap();
        let new =
            append_interaction(&tip, InteractionId::from_u64(99), &note(vec![a], "y"), T0).unwrap();
        assert!(store.append_interaction(&new).unwrap());
        assert_eq!(store.db().get(keys::OLD_TIP).unwrap(), None);
    }

    #[test]
    fn appends_stop_when_the_chunks_are_due_for_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut vault) = new_store(dir.path());
        let a = add(&store, &mut vault, 1);
        drop(vault);
        let mut appended = 0;
        while let Some(tip) = store.appendable_tip().unwrap() {
            let new = note(vec![a], &format!("call {appended}"));
            let next = append_interaction(&tip, InteractionId::from_u64(100 + appended), &new, T0)
                .unwrap();
            if !store.append_interaction(&next).unwrap() {
                break;
            }
            appended += 1;
            assert!(appended < 200, "appends never stopped");
        }
        let chunks = store.stats().unwrap().change_chunks;
        assert!(
            appended > 100 && chunks >= 127,
            "{appended} appends, {chunks} chunks"
        );
        // The vault path folds them, and appending resumes.
        let mut vault = store.load_vault(ME).unwrap();
        assert_eq!(vault.interactions().unwrap().len() as u64, 1 + appended);
        add(&store, &mut vault, 2);
        assert_eq!(store.stats().unwrap().change_chunks, 0);
        assert!(store.appendable_tip().unwrap().is_some());
    }
}
