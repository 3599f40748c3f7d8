//! Putting records back as they were, as ONE new change. History is never rewritten: the
//! state in the past is read with Automerge's `*_at` reads and written again now.

use super::history::HistoryError;
use super::Vault;
use crate::schema::{contact as ck, group as gk};
use crate::{ContactId, GroupId, InteractionId, UnixMillis};
use automerge::transaction::Transactable;
use automerge::{
    ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef,
};
use std::collections::{BTreeMap, BTreeSet};

/// What a revert wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevertReport {
    /// Contact keys (fields, set members, trash state) written back.
    pub keys: usize,
    /// Interactions written back (restored, deleted or put back to an older version).
    pub interactions: usize,
}

/// What restoring a deleted group wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRestore {
    /// Memberships that had been lost since the deletion and were added back.
    pub members_readded: usize,
    /// Members of the group after the restore.
    pub members: usize,
}

/// One write of a plan: put a scalar, or delete the key.
type Write = (ObjId, String, Option<ScalarValue>);

impl Vault {
    /// Puts a contact back as it was at `heads`: every field, set member (emails, phones,
    /// links, tags, group memberships), its trash state and every interaction that involved it
    /// then or now. One commit, with the message `revert contact NAME to LABEL`. Keys that
    /// already hold the old value are not written (no false conflicts).
    pub fn revert_contact(
        &mut self,
        id: ContactId,
        heads: &[ChangeHash],
        label: &str,
        now: UnixMillis,
    ) -> Result<RevertReport, HistoryError> {
        self.revert_contact_among(id, heads, label, now, None)
    }

    /// `revert_contact`, looking only at the interactions in `candidates` (when given)
    /// instead of scanning every interaction then and now. The candidates must include every
    /// interaction that involved the contact at `heads` or now: its timeline plus those its
    /// history names (a store's history index knows them).
    pub fn revert_contact_among(
        &mut self,
        id: ContactId,
        heads: &[ChangeHash],
        label: &str,
        now: UnixMillis,
        candidates: Option<&BTreeSet<InteractionId>>,
    ) -> Result<RevertReport, HistoryError> {
        let obj = self.contact_obj(id)?;
        let past_obj = match self.doc.get_at(&self.contacts, id.to_string(), heads)? {
            Some((Value::Object(ObjType::Map), past)) if past == obj => past,
            _ => return Err(HistoryError::NotYetThere),
        };
        // Read everything first, then write: reads inside an open transaction would see it.
        let past = scalars(self.doc.map_range_at(&past_obj, .., heads));
        let current = scalars(self.doc.map_range(&obj, ..));
        let mut plan: Vec<Write> = Vec::new();
        let keys: BTreeSet<&String> = past.keys().chain(current.keys()).collect();
        for key in keys {
            if key == ck::CREATED || key == ck::UPDATED {
                continue;
            }
            let (was, is) = (past.get(key), current.get(key));
            if was != is {
                plan.push((obj.clone(), key.clone(), was.cloned()));
            }
        }
        let contact_keys = plan.len();
        let needle = id.to_string();
        // Only the interactions whose JSON names the contact (checked on the borrowed text,
        // so the other 100k of a large vault are not copied).
        let mentioning = |items: automerge::iter::MapRange<'_>| -> BTreeSet<String> {
            items
                .filter(|item| {
                    matches!(&item.value, ValueRef::Scalar(ScalarValueRef::Str(j)) if j.contains(needle.as_str()))
                })
                .map(|item| item.key.into_owned())
                .collect()
        };
        let keys: BTreeSet<String> = match candidates {
            Some(ids) => ids.iter().map(|i| i.to_string()).collect(),
            None => {
                let mut keys = mentioning(self.doc.map_range_at(&self.interactions, .., heads));
                keys.extend(mentioning(self.doc.map_range(&self.interactions, ..)));
                keys
            }
        };
        let mut interactions = BTreeSet::new();
        for key in &keys {
            // The version then, read whole (it may not mention the contact any more).
            let was = match self.doc.get_at(&self.interactions, key.as_str(), heads)? {
                Some((Value::Scalar(s), _)) => Some(s.into_owned()),
                _ => None,
            };
            let is = match self.doc.get(&self.interactions, key.as_str())? {
                Some((Value::Scalar(s), _)) => Some(s.into_owned()),
                _ => None,
            };
            let names = |v: &Option<ScalarValue>| {
                v.as_ref()
                    .and_then(|v| v.as_str())
                    .is_some_and(|j| j.contains(needle.as_str()))
            };
            if was != is && (names(&was) || names(&is)) && interactions.insert(key.clone()) {
                plan.push((self.interactions.clone(), key.clone(), was));
            }
        }
        if plan.is_empty() {
            return Err(HistoryError::NothingToRevert);
        }
        let name = self.str_at(&obj, "name").unwrap_or_default();
        let result = (|| -> Result<bool, automerge::AutomergeError> {
            apply(&mut self.doc, &plan)?;
            self.doc.put(&obj, ck::UPDATED, now)?;
            Ok(true)
        })();
        self.finish_or_abort(result, || format!("revert contact {name} to {label}"), now)?;
        self.touched.contacts.insert(id);
        for key in &interactions {
            if let Ok(i) = key.parse() {
                self.touched.interactions.insert(i);
            }
        }
        Ok(RevertReport {
            keys: contact_keys,
            interactions: interactions.len(),
        })
    }

    /// Restores a deleted group however long ago it was deleted: its name and description as
    /// they were just before the deletion, and every membership it had then that was lost
    /// since (memberships live on the contacts). One commit, `restore group NAME`.
    pub fn restore_group_as_before(
        &mut self,
        id: GroupId,
        now: UnixMillis,
    ) -> Result<GroupRestore, HistoryError> {
        let obj = self.group_obj(id)?;
        // The deletion is the change that wrote the `deleted` the group holds now; the state
        // to bring back is the one just before it.
        let deletion = self
            .change_that_wrote(&obj, gk::DELETED)
            .ok_or(HistoryError::GroupNotDeleted)?;
        let before: Vec<ChangeHash> = self.change(&deletion).map(|c| c.deps).unwrap_or_default();
        let was = self.group_at(id, &before)?;
        let now_group = self.group(id)?.ok_or(HistoryError::GroupNotDeleted)?;
        let name = was
            .as_ref()
            .map(|g| g.name.clone())
            .unwrap_or(now_group.name.clone());
        if self
            .groups()?
            .iter()
            .any(|g| g.id != id && g.deleted.is_none() && g.name.eq_ignore_ascii_case(&name))
        {
            return Err(HistoryError::GroupNameTaken(name));
        }
        let mut plan: Vec<Write> = Vec::new();
        if let Some(was) = &was {
            if was.name != now_group.name {
                plan.push((obj.clone(), gk::NAME.into(), Some(was.name.as_str().into())));
            }
            if was.description != now_group.description {
                let d = was.description.as_deref().map(ScalarValue::from);
                plan.push((obj.clone(), gk::DESCRIPTION.into(), d));
            }
        }
        plan.push((obj.clone(), gk::DELETED.into(), None));
        let key = format!("{}{id}", ck::GROUP);
        let then: Vec<ContactId> = if was.is_some() {
            self.members_at(id, &before)?
        } else {
            Vec::new()
        };
        let mut readded = Vec::new();
        for c in &then {
            let Ok(cobj) = self.contact_obj(*c) else {
                continue;
            };
            if self.doc.get(&cobj, key.as_str())?.is_none() {
                plan.push((cobj, key.clone(), Some(true.into())));
                readded.push(*c);
            }
        }
        let result = apply(&mut self.doc, &plan).map(|()| true);
        self.finish_or_abort(result, || format!("restore group {name}"), now)?;
        self.touched.groups.insert(id);
        self.touched.contacts.extend(readded.iter().copied());
        let members = self
            .contacts()?
            .iter()
            .filter(|c| c.groups.contains(&id))
            .count();
        Ok(GroupRestore {
            members_readded: readded.len(),
            members,
        })
    }
}

/// The scalar values of a map range, by key (objects are skipped: contacts hold none).
fn scalars(items: automerge::iter::MapRange<'_>) -> BTreeMap<String, ScalarValue> {
    items
        .filter_map(|item| match item.value.into_value() {
            Value::Scalar(s) => Some((item.key.into_owned(), s.into_owned())),
            Value::Object(_) => None,
        })
        .collect()
}

pub(super) fn apply(
    doc: &mut automerge::AutoCommit,
    plan: &[Write],
) -> Result<(), automerge::AutomergeError> {
    for (obj, key, value) in plan {
        match value {
            Some(v) => doc.put(obj, key.as_str(), v.clone())?,
            None => {
                if doc.get(obj, key.as_str())?.is_some() {
                    doc.delete(obj, key.as_str())?
                }
            }
        }
    }
    Ok(())
}
