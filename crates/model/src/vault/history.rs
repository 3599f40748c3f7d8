//! The vault as it was: the list of changes, the heads at a point in time, and records read at
//! given heads (Automerge's `*_at` reads). Nothing here writes; `revert.rs` and `undo.rs` build
//! their writes on these reads.
//!
//! A point in the past is a set of heads. A change hash names the state right after that change
//! (heads = `[hash]`); a time names every change committed at or before it (commit times have
//! one-second resolution), closed under dependencies so that the heads are a real state even
//! when a device's clock was wrong.

use super::read::{decode_interaction, into_interaction, malformed};
use super::Vault;
use crate::error::{EditError, ReadError};
use crate::schema::{contact as ck, group as gk};
use crate::{Contact, ContactId, DeviceId, Group, GroupId, Interaction, InteractionId, UnixMillis};
use automerge::{ActorId, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValueRef, Value, ValueRef};
use std::collections::{BTreeSet, HashMap, HashSet};

/// One change of the document, as `log` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    pub hash: ChangeHash,
    /// Commit time in Unix milliseconds (whole seconds: that is what changes record).
    pub time: UnixMillis,
    /// The device that wrote it; `None` when its actor is not a device id (another program).
    pub device: Option<DeviceId>,
    pub message: String,
    pub deps: Vec<ChangeHash>,
    /// The change's sequence number among its device's changes.
    pub seq: u64,
    /// How many operations it holds.
    pub ops: u64,
    /// The counter of its last operation: a Lamport clock (a change's counters exceed those
    /// of every change it depends on), so it orders changes made within one second.
    pub max_op: u64,
}

impl ChangeInfo {
    /// The first line of the message: what the change did.
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// Why a history command could not be done. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    #[error("no change starts with `{0}`: see `rapport log` for change ids")]
    NoSuchChange(String),
    #[error("`{0}` starts several changes: give more characters of the change id")]
    AmbiguousChange(String),
    #[error("a change id needs at least 4 hex characters; `{0}` is too short")]
    ChangeTooShort(String),
    #[error("the contact did not exist yet at that point: pick a later time or change")]
    NotYetThere,
    #[error("it already looked like that: there is nothing to revert")]
    NothingToRevert,
    #[error("that change cannot be undone: it created the vault")]
    Genesis,
    #[error("nothing to undo: every value that change wrote has been changed since ({kept} kept)")]
    AllChangedSince { kept: usize },
    #[error("there is no action of this device left to undo")]
    NothingToUndo,
    #[error("the group is not deleted: there is nothing to restore")]
    GroupNotDeleted,
    #[error("a group named `{0}` already exists: delete it first, then restore this one")]
    GroupNameTaken(String),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl From<automerge::AutomergeError> for HistoryError {
    fn from(e: automerge::AutomergeError) -> Self {
        HistoryError::Edit(e.into())
    }
}

impl Vault {
    /// Every change of the document, parents before children.
    pub fn changes(&mut self) -> Vec<ChangeInfo> {
        self.changes_after(&[])
    }

    /// The changes that are not in the history of `since`, parents before children.
    pub fn changes_after(&mut self, since: &[ChangeHash]) -> Vec<ChangeInfo> {
        let metas: Vec<ChangeInfo> = self
            .doc
            .get_changes_meta(since)
            .into_iter()
            .map(change_info)
            .collect();
        topological(metas)
    }

    /// One change, by hash.
    pub fn change(&mut self, hash: &ChangeHash) -> Option<ChangeInfo> {
        self.doc.get_change_meta_by_hash(hash).map(change_info)
    }

    /// The change whose hash starts with `prefix` (hex, at least 4 characters).
    pub fn find_change(&mut self, prefix: &str) -> Result<ChangeHash, HistoryError> {
        let p = prefix.trim().to_ascii_lowercase();
        if p.len() < 4 {
            return Err(HistoryError::ChangeTooShort(p));
        }
        if let Ok(hash) = p.parse::<ChangeHash>() {
            if self.doc.get_change_meta_by_hash(&hash).is_some() {
                return Ok(hash);
            }
        }
        let found: Vec<ChangeHash> = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| m.hash)
            .filter(|h| h.to_string().starts_with(&p))
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(HistoryError::NoSuchChange(p)),
            _ => Err(HistoryError::AmbiguousChange(p)),
        }
    }

    /// The heads of the vault as it was at `time` (Unix ms): every change committed at or
    /// before that second whose dependencies are all in too. Empty when nothing was.
    pub fn heads_at_time(&mut self, time: UnixMillis) -> Vec<ChangeHash> {
        let changes = self.changes();
        let mut kept: HashSet<ChangeHash> = HashSet::new();
        for c in &changes {
            if c.time <= time && c.deps.iter().all(|d| kept.contains(d)) {
                kept.insert(c.hash);
            }
        }
        heads_of(&changes, &kept)
    }

    /// A contact as it was at `heads`, or `None` if it did not exist then.
    pub fn contact_at(
        &self,
        id: ContactId,
        heads: &[ChangeHash],
    ) -> Result<Option<Contact>, ReadError> {
        match self.doc.get_at(&self.contacts, id.to_string(), heads)? {
            Some((Value::Object(ObjType::Map), obj)) => {
                self.read_contact(id, &obj, Some(heads)).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The interactions that involved a contact at `heads`, oldest first. Scans the
    /// interactions of that time, decoding only those whose text names the contact's id.
    pub fn interactions_of_at(
        &self,
        contact: ContactId,
        heads: &[ChangeHash],
    ) -> Result<Vec<Interaction>, ReadError> {
        let needle = contact.to_string();
        let mut out = Vec::new();
        for item in self.doc.map_range_at(&self.interactions, .., heads) {
            // Checked on the borrowed text: the others are never copied.
            let mentions = matches!(&item.value, ValueRef::Scalar(ScalarValueRef::Str(j)) if j.contains(needle.as_str()));
            if !mentions {
                continue;
            }
            let op = item.id();
            let value = item.value.into_value();
            let id: InteractionId = item
                .key
                .parse()
                .map_err(|_| malformed("interactions", &item.key))?;
            let stored = decode_interaction(id, &value)?;
            if stored.contacts.contains(&contact) {
                out.push(into_interaction(id, stored, &op));
            }
        }
        out.sort_by_key(|i| (i.at, i.id));
        Ok(out)
    }

    /// An interaction as it was at `heads` (the winning version then), or `None` if it did
    /// not exist then. The read view uses it to find where it had filed an interaction.
    pub fn interaction_at(
        &self,
        id: InteractionId,
        heads: &[ChangeHash],
    ) -> Result<Option<Interaction>, ReadError> {
        match self.doc.get_at(&self.interactions, id.to_string(), heads)? {
            Some((value, op)) => Ok(Some(into_interaction(
                id,
                decode_interaction(id, &value)?,
                &op,
            ))),
            None => Ok(None),
        }
    }

    /// Like `interactions_of_at`, but reads only the interactions `candidates` (for example
    /// the contact's timeline plus those its history names), not every interaction.
    pub fn interactions_of_at_among(
        &self,
        contact: ContactId,
        heads: &[ChangeHash],
        candidates: &BTreeSet<InteractionId>,
    ) -> Result<Vec<Interaction>, ReadError> {
        let mut out = Vec::new();
        for id in candidates {
            if let Some((value, op)) = self.doc.get_at(&self.interactions, id.to_string(), heads)? {
                let stored = decode_interaction(*id, &value)?;
                if stored.contacts.contains(&contact) {
                    out.push(into_interaction(*id, stored, &op));
                }
            }
        }
        out.sort_by_key(|i| (i.at, i.id));
        Ok(out)
    }

    /// A group as it was at `heads`, or `None` if it did not exist then.
    pub fn group_at(&self, id: GroupId, heads: &[ChangeHash]) -> Result<Option<Group>, ReadError> {
        let obj = match self.doc.get_at(&self.groups, id.to_string(), heads)? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Ok(None),
        };
        let bad = |key: &str| malformed(&id.to_string(), key);
        let str_at = |key: &str| -> Option<String> {
            match self.doc.get_at(&obj, key, heads) {
                Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
                _ => None,
            }
        };
        let int_at = |key: &str| -> Option<i64> {
            match self.doc.get_at(&obj, key, heads) {
                Ok(Some((Value::Scalar(s), _))) => s.as_i64(),
                _ => None,
            }
        };
        Ok(Some(Group {
            id,
            name: str_at(gk::NAME).ok_or_else(|| bad(gk::NAME))?,
            description: str_at(gk::DESCRIPTION),
            created: int_at(gk::CREATED).unwrap_or(0),
            deleted: int_at(gk::DELETED),
            cadence: str_at(gk::CADENCE).and_then(|t| t.parse().ok()),
        }))
    }

    /// The contacts that were members of a group at `heads` (whatever their trash state).
    pub fn members_at(
        &self,
        group: GroupId,
        heads: &[ChangeHash],
    ) -> Result<Vec<ContactId>, ReadError> {
        let key = format!("{}{group}", ck::GROUP);
        let mut out = Vec::new();
        for item in self.doc.map_range_at(&self.contacts, .., heads) {
            let id: ContactId = item
                .key
                .parse()
                .map_err(|_| malformed("contacts", &item.key))?;
            if self.doc.get_at(item.id(), key.as_str(), heads)?.is_some() {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The change that wrote the value an object key holds now (`None` for a missing key).
    pub(super) fn change_that_wrote(&self, obj: &ObjId, key: &str) -> Option<ChangeHash> {
        match self.doc.get(obj, key) {
            Ok(Some((_, op))) => self.doc.hash_for_opid(&op),
            _ => None,
        }
    }
}

/// A change's metadata as `log` and `undo` use it (Automerge times are seconds).
fn change_info(m: automerge::ChangeMetadata<'_>) -> ChangeInfo {
    ChangeInfo {
        hash: m.hash,
        time: m.timestamp.saturating_mul(1000),
        device: device_of_actor(&m.actor),
        message: m.message.map(|s| s.into_owned()).unwrap_or_default(),
        deps: m.deps,
        seq: m.seq,
        ops: (m.max_op + 1).saturating_sub(m.start_op),
        max_op: m.max_op,
    }
}

/// The device of an Automerge actor, when the actor is a device id.
pub(super) fn device_of_actor(actor: &ActorId) -> Option<DeviceId> {
    <[u8; 32]>::try_from(actor.to_bytes())
        .ok()
        .map(DeviceId::from_bytes)
}

/// The changes of `kept` that no other change of `kept` depends on.
fn heads_of(changes: &[ChangeInfo], kept: &HashSet<ChangeHash>) -> Vec<ChangeHash> {
    let mut covered: HashSet<ChangeHash> = HashSet::new();
    for c in changes.iter().filter(|c| kept.contains(&c.hash)) {
        covered.extend(c.deps.iter().copied());
    }
    let mut heads: Vec<ChangeHash> = kept
        .iter()
        .filter(|h| !covered.contains(h))
        .copied()
        .collect();
    heads.sort();
    heads
}

/// Orders changes so that every change comes after its dependencies (Kahn's algorithm, ties
/// broken by the order given). Dependencies outside the list are already satisfied.
fn topological(changes: Vec<ChangeInfo>) -> Vec<ChangeInfo> {
    let index: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash, i))
        .collect();
    let mut waiting = vec![0usize; changes.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        for d in &c.deps {
            if let Some(&p) = index.get(d) {
                waiting[i] += 1;
                children[p].push(i);
            }
        }
    }
    let mut ready: std::collections::VecDeque<usize> =
        (0..changes.len()).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(changes.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &ch in &children[i] {
            waiting[ch] -= 1;
            if waiting[ch] == 0 {
                ready.push_back(ch);
            }
        }
    }
    let mut slots: Vec<Option<ChangeInfo>> = changes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
