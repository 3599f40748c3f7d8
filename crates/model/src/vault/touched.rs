//! Which records a set of changes touched, so that a cached read view can be updated record by
//! record instead of being rebuilt from the whole document.

use super::Vault;
use crate::schema;
use crate::{ContactId, GroupId, InteractionId};
use automerge::{ChangeHash, PatchAction, Prop};
use std::collections::BTreeSet;

/// Records changed by some set of changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub contacts: BTreeSet<ContactId>,
    pub interactions: BTreeSet<InteractionId>,
    pub groups: BTreeSet<GroupId>,
    /// The device roster changed.
    pub devices: bool,
    /// The per-tag cadences changed (schema 2).
    pub tag_cadences: bool,
    /// Something outside the known collections changed (a root key, or a record under a key
    /// that is not a valid id): a view should be rebuilt from scratch.
    pub other: bool,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        *self == Touched::default()
    }

    /// Adds everything in `other` to `self`.
    pub fn extend(&mut self, other: Touched) {
        self.contacts.extend(other.contacts);
        self.interactions.extend(other.interactions);
        self.groups.extend(other.groups);
        self.devices |= other.devices;
        self.tag_cadences |= other.tag_cadences;
        self.other |= other.other;
    }

    fn note(&mut self, collection: &str, key: &str) {
        let ok = match collection {
            schema::CONTACTS => key.parse().map(|id| self.contacts.insert(id)).is_ok(),
            schema::INTERACTIONS => key.parse().map(|id| self.interactions.insert(id)).is_ok(),
            schema::GROUPS => key.parse().map(|id| self.groups.insert(id)).is_ok(),
            schema::DEVICES | schema::REVOKED => {
                self.devices = true;
                true
            }
            schema::TAG_CADENCES => {
                self.tag_cadences = true;
                true
            }
            _ => false,
        };
        self.other |= !ok;
    }
}

impl Vault {
    /// The records that differ between two sets of heads (for example before and after a
    /// merge). Costs one Automerge diff, proportional to the operations in between.
    pub fn touched_between(&mut self, before: &[ChangeHash], after: &[ChangeHash]) -> Touched {
        touched_between(&mut self.doc, before, after)
    }
}

/// `Vault::touched_between` for a bare document (a device that is still fetching its vault).
pub fn touched_between(
    doc: &mut automerge::AutoCommit,
    before: &[ChangeHash],
    after: &[ChangeHash],
) -> Touched {
    if before == after {
        return Touched::default();
    }
    touched_from_patches(&doc.diff(before, after))
}

/// The records that a list of Automerge patches touched (for callers that obtained the
/// patches more cheaply, such as from an indexed `diff_incremental`).
pub fn touched_from_patches(patches: &[automerge::Patch]) -> Touched {
    let mut touched = Touched::default();
    for patch in patches {
        // The full path of the changed property: the patch's path plus its own key.
        let mut props: Vec<String> = patch
            .path
            .iter()
            .filter_map(|(_, p)| match p {
                Prop::Map(k) => Some(k.clone()),
                Prop::Seq(_) => None,
            })
            .collect();
        match &patch.action {
            PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                props.push(key.clone())
            }
            PatchAction::Conflict { prop: Prop::Map(k) }
            | PatchAction::Increment {
                prop: Prop::Map(k), ..
            } => props.push(k.clone()),
            _ => {}
        }
        match props.as_slice() {
            [collection, key, ..] => touched.note(collection, key),
            // A root key changed (a collection itself, or schema metadata).
            _ => touched.other = true,
        }
    }
    touched
}
