//! A new interaction written without loading the document: what a one-shot `rapport note`
//! does, so that it costs what the note is worth rather than what the vault is (loading W30
//! takes seconds; the note needs none of it).
//!
//! A change needs of the document only its heads (the new change's dependencies), the largest
//! operation counter in it (the change's first counter follows it) and the sequence number of
//! this device's last change. `Tip` holds those, and the object id of the interactions map; the
//! store keeps the tip of every document it commits, beside the document. An interaction is one
//! `put` of a new key in that map, so the operation overwrites nothing and its predecessor list
//! is empty: nothing else has to be read from the document. The change is byte for byte the
//! one `add_interaction` commits (a test below compares them), so a device that loads it later
//! cannot tell how it was written.
//!
//! Only new interactions are written this way. An edit of an existing record overwrites values
//! whose operation ids only the document knows, so it goes through `Vault` as before.

use super::attribute::AttributedChange;
use super::history::{device_of_actor, ChangeInfo};
use super::write::StoredInteraction;
use super::Vault;
use crate::error::EditError;
use crate::schema::SCHEMA_VERSION;
use crate::vault::conflicts::RecordRef;
use crate::{ContactId, DeviceId, Interaction, InteractionId, NewInteraction, UnixMillis};
use automerge::legacy::{Key, ObjectId, Op, OpId, OpType, SortedVec};
use automerge::transaction::Transactable;
use automerge::ScalarValue;
use automerge::{ActorId, AutomergeError, Change, ChangeHash, ExpandedChange, ObjId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU64;

/// What a new change needs of the document it extends (see the module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tip {
    /// The document's heads, sorted.
    pub heads: Vec<[u8; 32]>,
    /// The largest operation counter in the document.
    pub max_op: u64,
    /// The device whose changes `seq` counts.
    pub device: DeviceId,
    /// The sequence number of that device's last change (0 if it wrote none).
    pub seq: u64,
    /// The hash of that change: a new change depends on it as well as on the heads, as
    /// Automerge's own transactions do, when the heads no longer include it (another device's
    /// change came after it).
    pub last: Option<[u8; 32]>,
    /// The interactions map: its creating operation's counter and actor.
    pub interactions: (u64, Vec<u8>),
}

impl Tip {
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.heads.iter().map(|h| ChangeHash(*h)).collect()
    }

    /// The dependencies of a change built on this tip: the heads, and this device's last
    /// change if they do not include it (as `Automerge::transaction_args` does).
    pub fn deps(&self) -> Vec<ChangeHash> {
        deps_of(self.heads(), self.last)
    }
}

/// A new change's dependencies, as `Automerge::transaction_args` makes them: the heads, and
/// this device's `last` change when another device's change has since taken its place there.
pub(super) fn deps_of(mut heads: Vec<ChangeHash>, last: Option<[u8; 32]>) -> Vec<ChangeHash> {
    if let Some(last) = last.map(ChangeHash) {
        if !heads.contains(&last) {
            heads.push(last);
        }
    }
    heads
}

/// A change built from a `Tip` without the document, with what every append files of it.
#[derive(Debug, Clone)]
pub struct AppendedChange {
    pub change: Change,
    /// The heads of the tip it was built on: it extends exactly those (its dependencies may
    /// also name this device's last change, see `Tip::deps`).
    pub base: Vec<ChangeHash>,
    /// The change as the history index lists it.
    pub attributed: AttributedChange,
    /// The tip of the document with the change.
    pub tip: Tip,
}

impl AppendedChange {
    /// The change of `ops` (their ids follow the tip's largest counter), written by
    /// `tip.device` on the document at `tip` with `message` at `now`, as `Vault::finish`
    /// commits a transaction; `records` is what it touched, for the history index.
    pub(super) fn build(
        tip: &Tip,
        ops: Vec<Op>,
        message: String,
        now: UnixMillis,
        records: BTreeMap<RecordRef, BTreeSet<String>>,
    ) -> Result<AppendedChange, AutomergeError> {
        let start = tip.max_op + 1;
        let last = start + ops.len() as u64 - 1;
        let time = now.div_euclid(1000);
        let deps = tip.deps();
        let change = Change::from(ExpandedChange {
            operations: ops,
            actor_id: ActorId::from(tip.device.as_bytes().as_slice()),
            hash: None,
            seq: tip.seq + 1,
            start_op: NonZeroU64::new(start).ok_or(AutomergeError::Fail)?,
            time,
            message: Some(message.clone()),
            deps: deps.clone(),
            extra_bytes: Vec::new(),
            author: None,
        });
        let hash = change.hash();
        let attributed = AttributedChange {
            info: ChangeInfo {
                hash,
                time: time.saturating_mul(1000),
                device: device_of_actor(change.actor_id()),
                message,
                deps,
                seq: tip.seq + 1,
                ops: last + 1 - start,
                max_op: last,
            },
            records,
            bulk: false,
        };
        let next = Tip {
            heads: vec![hash.0],
            max_op: last,
            device: tip.device,
            seq: tip.seq + 1,
            last: Some(hash.0),
            interactions: tip.interactions.clone(),
        };
        Ok(AppendedChange {
            change,
            base: tip.heads(),
            attributed,
            tip: next,
        })
    }
}

/// A change that logs one new interaction, with the interaction as the document now reads it.
#[derive(Debug, Clone)]
pub struct AppendedInteraction {
    pub written: AppendedChange,
    pub interaction: Interaction,
}

impl Vault {
    /// The tip of the document as it stands, or `None` when a change built from it could
    /// differ from what the vault itself would write: an open transaction, or a document of an
    /// older schema (the first write migrates it). `known` is an earlier tip of this document
    /// (the one the store kept): only the changes since it are read, as metadata.
    pub fn tip(&mut self, known: Option<&Tip>) -> Option<Tip> {
        if self.batch_depth != 0 || self.doc.pending_ops() != 0 {
            return None;
        }
        if self.schema_version() != SCHEMA_VERSION {
            return None;
        }
        let ObjId::Id(counter, actor, _) = &self.interactions else {
            return None;
        };
        let interactions = (*counter, actor.to_bytes().to_vec());
        let (max_op, seq, last) = self.counters(known);
        let mut heads = self.doc.get_heads();
        heads.sort();
        Some(Tip {
            heads: heads.iter().map(|h| h.0).collect(),
            max_op,
            device: self.device,
            seq,
            last,
            interactions,
        })
    }

    /// The largest operation counter of the document, and the sequence number and hash of this
    /// device's last change, read from change metadata: `get_last_local_change` and
    /// `get_change_by_hash` rebuild the whole change, 0.8 s for W30's import.
    pub(super) fn counters(&mut self, known: Option<&Tip>) -> (u64, u64, Option<[u8; 32]>) {
        let known = known.filter(|t| {
            t.device == self.device
                && t.heads()
                    .iter()
                    .all(|h| self.doc.get_change_meta_by_hash(h).is_some())
        });
        let (since, mut max_op, mut seq, mut last) = match known {
            Some(t) => (t.heads(), t.max_op, t.seq, t.last),
            None => (Vec::new(), 0, 0, None),
        };
        let me = super::actor_for(self.device);
        for m in self.doc.get_changes_meta(&since) {
            max_op = max_op.max(m.max_op);
            if *m.actor == me && m.seq > seq {
                seq = m.seq;
                last = Some(m.hash.0);
            }
        }
        (max_op, seq, last)
    }
}

/// The change `Vault::add_interaction(id, new, now)` would commit on the document at `tip`, as
/// written by `tip.device`. The caller has checked that the contacts exist (from the read view);
/// the interaction itself is validated here as `add_interaction` validates it.
pub fn append_interaction(
    tip: &Tip,
    id: InteractionId,
    new: &NewInteraction,
    now: UnixMillis,
) -> Result<AppendedInteraction, EditError> {
    if new.contacts.is_empty() {
        return Err(EditError::NoContacts);
    }
    let stored = StoredInteraction::validated(new)?;
    let json = serde_json::to_string(&stored).map_err(|_| AutomergeError::Fail)?;
    let interactions = ObjectId::Id(OpId(
        tip.interactions.0,
        ActorId::from(tip.interactions.1.as_slice()),
    ));
    let op = Op {
        action: OpType::Put(ScalarValue::Str(json.as_str().into())),
        obj: interactions,
        key: Key::from(id.to_string().as_str()),
        pred: SortedVec::new(),
        insert: false,
    };
    let field = format!("interaction:{id}");
    let records: BTreeMap<RecordRef, BTreeSet<String>> = stored
        .contacts
        .iter()
        .map(|c: &ContactId| (RecordRef::Contact(*c), BTreeSet::from([field.clone()])))
        .collect();
    let message = format!("log {} interaction {id}", new.kind.as_str());
    let written = AppendedChange::build(tip, vec![op], message, now, records)?;
    let interaction = Interaction {
        id,
        contacts: stored.contacts,
        at: stored.at,
        kind: stored.kind,
        text: stored.text,
        place: stored.place,
        device: tip.device,
    };
    Ok(AppendedInteraction {
        written,
        interaction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContactPatch, InteractionKind, VaultId};

    const NOW: UnixMillis = 1_765_000_000_123;

    fn vault_with(n: u64) -> (Vault, Vec<ContactId>) {
        let me = DeviceId::from_bytes([7; 32]);
        let mut vault = Vault::create(me, "laptop", VaultId::from_u64(5), NOW).unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let id = ContactId::from_u64(i + 1);
            let patch = ContactPatch {
                name: Some(format!("Person {i}")),
                ..Default::default()
            };
            vault.add_contact(id, &patch, NOW).unwrap();
            ids.push(id);
        }
        (vault, ids)
    }

    fn note(contacts: Vec<ContactId>) -> NewInteraction {
        NewInteraction {
            contacts,
            at: NOW - 5_000,
            kind: InteractionKind::Meeting,
            text: "lunch at the \"corner\" café".into(),
            place: Some("Lyon".into()),
        }
    }

    #[test]
    fn the_appended_change_is_the_one_add_interaction_commits() {
        let (mut vault, ids) = vault_with(3);
        let tip = vault.tip(None).unwrap();
        let new = note(vec![ids[2], ids[0]]);
        let id = InteractionId::from_u64(99);
        let appended = append_interaction(&tip, id, &new, NOW + 7_000).unwrap();

        vault.add_interaction(id, &new, NOW + 7_000).unwrap();
        let written = vault.doc.get_last_local_change().unwrap().clone();
        assert_eq!(written.raw_bytes(), appended.written.change.raw_bytes());
        assert_eq!(
            vault.interaction(id).unwrap().unwrap(),
            appended.interaction
        );
        assert_eq!(vault.tip(None).unwrap(), appended.written.tip);
        assert_eq!(vault.tip(Some(&tip)).unwrap(), appended.written.tip);
        let attributed = vault.attribute_changes(&tip.heads(), None);
        assert_eq!(attributed, vec![appended.written.attributed]);
    }

    #[test]
    fn after_another_devices_change_it_also_depends_on_this_devices_last() {
        let (mut vault, ids) = vault_with(2);
        let mut phone = vault.fork_as(DeviceId::from_bytes([9; 32]));
        phone
            .add_interaction(InteractionId::from_u64(1), &note(vec![ids[1]]), NOW)
            .unwrap();
        vault.merge(&mut phone).unwrap();
        let tip = vault.tip(None).unwrap();
        assert_eq!(tip.heads.len(), 1);
        let new = note(vec![ids[0]]);
        let id = InteractionId::from_u64(2);
        let appended = append_interaction(&tip, id, &new, NOW).unwrap();
        assert_eq!(appended.written.change.deps().len(), 2);
        vault.add_interaction(id, &new, NOW).unwrap();
        let written = vault.doc.get_last_local_change().unwrap().clone();
        assert_eq!(written.raw_bytes(), appended.written.change.raw_bytes());
    }

    #[test]
    fn an_appended_change_applies_to_another_copy_and_chains() {
        let (mut vault, ids) = vault_with(2);
        let mut other = vault.fork_as(vault.device);
        let tip = vault.tip(None).unwrap();
        let first =
            append_interaction(&tip, InteractionId::from_u64(1), &note(vec![ids[0]]), NOW).unwrap();
        let second = append_interaction(
            &first.written.tip,
            InteractionId::from_u64(2),
            &note(vec![ids[1]]),
            NOW,
        )
        .unwrap();
        other
            .doc
            .apply_changes([first.written.change, second.written.change])
            .unwrap();
        assert_eq!(other.interactions().unwrap().len(), 2);
        assert_eq!(other.tip(None).unwrap(), second.written.tip);
        // The device's own next local write follows the appended ones.
        other
            .add_interaction(InteractionId::from_u64(3), &note(vec![ids[0]]), NOW)
            .unwrap();
        assert_eq!(
            other.doc.get_last_local_change().unwrap().seq(),
            second.written.tip.seq + 1
        );

        // Another device's changes move the counter, not this device's sequence.
        let known = other.tip(None).unwrap();
        let mut laptop = other.fork_as(DeviceId::from_bytes([9; 32]));
        let patch = ContactPatch {
            name: Some("From the laptop".into()),
            ..Default::default()
        };
        laptop
            .add_contact(ContactId::from_u64(77), &patch, NOW)
            .unwrap();
        let theirs = laptop.doc.get_last_local_change().unwrap().clone();
        other.doc.apply_changes([theirs.clone()]).unwrap();
        let after = other.tip(Some(&known)).unwrap();
        assert_eq!(after, other.tip(None).unwrap());
        assert_eq!((after.seq, after.max_op), (known.seq, theirs.max_op()));
    }

    #[test]
    fn it_validates_the_interaction_as_add_interaction_does() {
        let (mut vault, _) = vault_with(1);
        let tip = vault.tip(None).unwrap();
        let err = append_interaction(&tip, InteractionId::from_u64(1), &note(vec![]), NOW);
        assert!(matches!(err, Err(EditError::NoContacts)));
        let mut long = note(vec![ContactId::from_u64(1)]);
        long.text = "x".repeat(crate::validate::MAX_LONG_TEXT + 1);
        assert!(append_interaction(&tip, InteractionId::from_u64(1), &long, NOW).is_err());
    }
}
