//! Merging two contacts that are the same person (`rapport merge`, `rapport dedupe --apply`).
//! The common case is two devices that each created the same person while offline.
//!
//! The survivor keeps its own values and gains everything the other had: set members united,
//! empty fields filled in, notes joined. Interactions and introductions that named the merged
//! contact name the survivor. The merged contact stays in the document (in the trash, with
//! `merged_into`), so its id still resolves and a device that edits it concurrently loses
//! nothing: the edit is on a record a user can still see and restore.

use super::Vault;
use crate::error::EditError;
use crate::schema::contact as ck;
use crate::{Contact, ContactExtras, ContactId, ContactPatch, InteractionId, UnixMillis};
use automerge::transaction::Transactable;

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Interactions that now name the survivor instead of the merged contact.
    pub interactions_moved: Vec<InteractionId>,
    /// Contacts whose `introduced_by` now names the survivor.
    pub introductions_moved: Vec<ContactId>,
}

impl Vault {
    /// Merges `merged` into `survivor`, as one commit. Nothing is written if anything fails.
    pub fn merge_contacts(
        &mut self,
        survivor: ContactId,
        merged: ContactId,
        now: UnixMillis,
    ) -> Result<MergeReport, EditError> {
        if survivor == merged {
            return Err(EditError::MergeSelf);
        }
        let keep = self
            .contact(survivor)?
            .ok_or(EditError::NoSuchContact(survivor))?;
        let gone = self
            .contact(merged)?
            .ok_or(EditError::NoSuchContact(merged))?;
        if let Some(into) = gone.merged_into {
            return Err(EditError::AlreadyMerged(merged, into));
        }
        if let Some(into) = keep.merged_into {
            return Err(EditError::AlreadyMerged(survivor, into));
        }
        let message = format!("merge contact {} into {}", gone.name, keep.name);
        self.batch(&message, now, |v| {
            let patch = union_patch(&keep, &gone);
            if !patch.is_empty() {
                v.edit_contact(survivor, &patch, now)?;
            }
            let extras = union_extras(
                v.contact_extras(survivor)?.unwrap_or_default(),
                v.contact_extras(merged)?.unwrap_or_default(),
            );
            v.set_contact_extras(survivor, &extras, now)?;
            v.carry_follow_ups(survivor, &keep, &gone, now)?;
            let mut report = MergeReport::default();
            for i in v.interactions()? {
                if !i.contacts.contains(&merged) {
                    continue;
                }
                let Some(mut stored) = v.stored_interaction(i.id)? else {
                    continue;
                };
                let mut contacts = Vec::with_capacity(stored.contacts.len());
                for c in stored.contacts {
                    let c = if c == merged { survivor } else { c };
                    if !contacts.contains(&c) {
                        contacts.push(c);
                    }
                }
                stored.contacts = contacts;
                v.put_interaction(i.id, &stored, "merge", now)?;
                report.interactions_moved.push(i.id);
            }
            for c in v.contacts()? {
                if c.introduced_by == Some(merged) && c.id != survivor {
                    let patch = ContactPatch {
                        introduced_by: Some(survivor),
                        ..Default::default()
                    };
                    v.edit_contact(c.id, &patch, now)?;
                    report.introductions_moved.push(c.id);
                }
            }
            let obj = v.contact_obj(merged)?;
            let result = (|| -> Result<bool, automerge::AutomergeError> {
                v.doc.put(&obj, ck::MERGED_INTO, survivor.to_string())?;
                v.doc.put(&obj, ck::DELETED, now)?;
                v.doc.put(&obj, ck::UPDATED, now)?;
                Ok(true)
            })();
            v.finish_or_abort(result, String::new, now)?;
            v.touched.contacts.insert(merged);
            v.touched.contacts.insert(survivor);
            Ok(report)
        })
    }
}

impl Vault {
    /// Gives the survivor the merged contact's follow-ups it lacks (with their snooze and
    /// done keys) and its keep-in-touch snooze if it has none.
    fn carry_follow_ups(
        &mut self,
        survivor: ContactId,
        keep: &Contact,
        gone: &Contact,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let carried: Vec<_> = gone
            .follow_ups
            .iter()
            .filter(|(n, _)| !keep.follow_ups.contains_key(n))
            .collect();
        let snooze = gone.snoozed_until.filter(|_| keep.snoozed_until.is_none());
        if carried.is_empty() && snooze.is_none() {
            return Ok(());
        }
        let obj = self.contact_obj(survivor)?;
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        self.finish_contact_edit(survivor, &obj.clone(), now, |v| {
            for (note, f) in &carried {
                v.doc
                    .put(&obj, format!("{}{note}", ck::FOLLOW_UP), day(f.due))?;
                if let Some(s) = f.snoozed_until {
                    v.doc
                        .put(&obj, format!("{}{note}", ck::FOLLOW_UP_SNOOZE), day(s))?;
                }
                if let Some(d) = f.done {
                    v.doc
                        .put(&obj, format!("{}{note}", ck::FOLLOW_UP_DONE), d)?;
                }
            }
            if let Some(s) = snooze {
                v.doc.put(&obj, ck::SNOOZED_UNTIL, day(s))?;
            }
            Ok(true)
        })?;
        Ok(())
    }
}

/// The edit that gives `keep` everything `gone` has that it lacks.
fn union_patch(keep: &Contact, gone: &Contact) -> ContactPatch {
    let missing = |a: &crate::SortedSet<String>, b: &crate::SortedSet<String>| {
        b.difference(a).cloned().collect::<Vec<_>>()
    };
    let fill = |mine: &Option<String>, theirs: &Option<String>| match (mine, theirs) {
        (None, Some(t)) => Some(t.clone()),
        _ => None,
    };
    let notes = match (&keep.notes, &gone.notes) {
        (None, Some(t)) => Some(t.clone()),
        (Some(mine), Some(theirs)) if !mine.contains(theirs.as_str()) => {
            Some(format!("{mine}\n\n{theirs}"))
        }
        _ => None,
    };
    ContactPatch {
        org: fill(&keep.org, &gone.org),
        title: fill(&keep.title, &gone.title),
        notes,
        met_at: fill(&keep.met_at, &gone.met_at),
        met_context: fill(&keep.met_context, &gone.met_context),
        met_on: match (keep.met_on, gone.met_on) {
            (None, Some(d)) => Some(d.format("%Y-%m-%d").to_string()),
            _ => None,
        },
        // The earlier connection date is the real one; the later is a re-connection.
        connected_on: match (keep.connected_on, gone.connected_on) {
            (None, Some(d)) => Some(d.format("%Y-%m-%d").to_string()),
            (Some(k), Some(g)) if g < k => Some(g.format("%Y-%m-%d").to_string()),
            _ => None,
        },
        // The higher trust level: what one device knew about the person is still true.
        trust: match (keep.trust, gone.trust) {
            (k, Some(g)) if k.is_none_or(|k| g > k) => Some(g),
            _ => None,
        },
        cadence: match (keep.cadence, gone.cadence) {
            (None, Some(c)) => Some(c),
            _ => None,
        },
        introduced_by: match (keep.introduced_by, gone.introduced_by) {
            (None, Some(i)) if i != keep.id => Some(i),
            _ => None,
        },
        add_emails: missing(&keep.emails, &gone.emails),
        add_phones: missing(&keep.phones, &gone.phones),
        add_links: missing(&keep.links, &gone.links),
        add_tags: missing(&keep.tags, &gone.tags),
        add_groups: gone.groups.difference(&keep.groups).copied().collect(),
        ..Default::default()
    }
}

fn union_extras(keep: ContactExtras, gone: ContactExtras) -> ContactExtras {
    let vcard_extra = match (keep.vcard_extra, gone.vcard_extra) {
        (Some(mine), Some(theirs)) => {
            let mut out = mine.clone();
            // Whole property lines (a folded line continues with a space): add the ones the
            // survivor lacks, up to the size limit.
            for prop in split_properties(&theirs) {
                if !mine.contains(prop) && out.len() + prop.len() <= super::MAX_VCARD_EXTRA {
                    out.push_str(prop);
                }
            }
            Some(out)
        }
        (mine, theirs) => mine.or(theirs),
    };
    ContactExtras {
        birthday: keep.birthday.or(gone.birthday),
        anniversary: keep.anniversary.or(gone.anniversary),
        vcard_extra,
    }
}

/// Splits CRLF-terminated, folded vCard lines into whole properties.
pub(crate) fn split_properties(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let next = bytes.get(i + 1);
            if !matches!(next, Some(b' ') | Some(b'\t')) {
                out.push(&text[start..=i]);
                start = i + 1;
            }
        }
        i += 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}
