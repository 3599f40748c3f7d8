//! Schema 2's relationship writes: cadences (per contact is a plain field; per group and per
//! tag here), follow-ups attached to notes, snoozes, introductions and the migration from
//! schema 1. Each public method is one user action and one commit.
//!
//! Follow-ups are three independent keys on the contact (`follow_up:<note>` = due,
//! `follow_up_snooze:<note>`, `follow_up_done:<note>`). Closing writes only `done`, snoozing
//! only `snooze`; a concurrent close and snooze therefore both survive a merge, and readers
//! treat a present `done` as closed whatever the snooze says. No ordering of concurrent
//! writes can reopen a closed follow-up; only an explicit `undo` of the close deletes `done`.

use super::Vault;
use crate::error::EditError;
use crate::schema::{self, contact as ck, group as gk, SCHEMA_VERSION};
use crate::{
    ContactId, FollowUpState, GroupId, InteractionId, InteractionKind, NewInteraction, Period,
    UnixMillis,
};
use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use chrono::NaiveDate;
use std::collections::BTreeMap;

impl Vault {
    /// Logs a note and attaches a follow-up due on `due` to its first contact, as one commit.
    pub fn add_note_with_follow_up(
        &mut self,
        id: InteractionId,
        new: &NewInteraction,
        due: NaiveDate,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let owner = *new.contacts.first().ok_or(EditError::NoContacts)?;
        let message = format!(
            "log {} interaction {id} with a follow-up due {due}",
            new.kind
        );
        self.batch(&message, now, |v| {
            v.add_interaction(id, new, now)?;
            let obj = v.contact_obj(owner)?;
            v.finish_contact_edit(owner, &obj.clone(), now, |v| {
                v.doc
                    .put(&obj, format!("{}{id}", ck::FOLLOW_UP), day(due))?;
                Ok(true)
            })?;
            Ok(())
        })
    }

    /// Closes a follow-up. Returns false (writing nothing) if it was already closed.
    pub fn close_follow_up(
        &mut self,
        contact: ContactId,
        note: InteractionId,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        let state = self.follow_up_state(contact, note, now)?;
        if state == FollowUpState::Done {
            return Ok(false);
        }
        let obj = self.contact_obj(contact)?;
        self.finish_contact_edit(contact, &obj.clone(), now, |v| {
            v.doc
                .put(&obj, format!("{}{note}", ck::FOLLOW_UP_DONE), now)?;
            Ok(true)
        })
    }

    /// Defers an open follow-up until `until`. A closed one stays closed.
    pub fn snooze_follow_up(
        &mut self,
        contact: ContactId,
        note: InteractionId,
        until: NaiveDate,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        if self.follow_up_state(contact, note, now)? == FollowUpState::Done {
            return Err(EditError::FollowUpDone(note));
        }
        let obj = self.contact_obj(contact)?;
        self.finish_contact_edit(contact, &obj.clone(), now, |v| {
            v.doc
                .put(&obj, format!("{}{note}", ck::FOLLOW_UP_SNOOZE), day(until))?;
            Ok(true)
        })?;
        Ok(())
    }

    /// Defers everything due about a contact until `until`: the keep-in-touch reminder and
    /// every follow-up that is not closed. One commit. Returns the follow-ups it deferred.
    pub fn snooze_contact(
        &mut self,
        contact: ContactId,
        until: NaiveDate,
        now: UnixMillis,
    ) -> Result<Vec<InteractionId>, EditError> {
        let c = self
            .contact(contact)?
            .ok_or(EditError::NoSuchContact(contact))?;
        let open: Vec<InteractionId> = c
            .follow_ups
            .iter()
            .filter(|(_, f)| f.done.is_none() && f.effective_due() < until)
            .map(|(id, _)| *id)
            .collect();
        let obj = self.contact_obj(contact)?;
        self.finish_contact_edit(contact, &obj.clone(), now, |v| {
            v.doc.put(&obj, ck::SNOOZED_UNTIL, day(until))?;
            for note in &open {
                v.doc
                    .put(&obj, format!("{}{note}", ck::FOLLOW_UP_SNOOZE), day(until))?;
            }
            Ok(true)
        })?;
        Ok(open)
    }

    /// Sets (or with `None` clears) a group's cadence. Returns false if it already was that.
    pub fn set_group_cadence(
        &mut self,
        id: GroupId,
        cadence: Option<Period>,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        let obj = self.group_obj(id)?;
        let name = self.group(id)?.map(|g| g.name).unwrap_or_default();
        let current = self.str_at(&obj, gk::CADENCE);
        let wanted = cadence.map(|c| c.to_string());
        if current == wanted {
            return Ok(false);
        }
        let result = match &wanted {
            Some(c) => self.doc.put(&obj, gk::CADENCE, c.as_str()),
            None => self.doc.delete(&obj, gk::CADENCE),
        };
        let message = || match &wanted {
            Some(c) => format!("set cadence of group {name} to {c}"),
            None => format!("clear cadence of group {name}"),
        };
        self.finish_or_abort(result.map(|()| true), message, now)?;
        self.touched.groups.insert(id);
        Ok(true)
    }

    /// Sets (or clears) the cadence of everyone with `tag`. Written into every copy of the
    /// `tag_cadences` map (two devices that migrated at once made two), so all agree.
    pub fn set_tag_cadence(
        &mut self,
        tag: &str,
        cadence: Option<Period>,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        let tag = crate::validate::tag(tag)?;
        if self.tag_cadences()?.get(&tag).copied() == cadence {
            return Ok(false);
        }
        let result = (|| -> Result<bool, AutomergeError> {
            let mut maps = self.tag_cadence_maps()?;
            if maps.is_empty() {
                // A schema-1 vault that was never migrated: made on first use, like `revoked`.
                maps.push(
                    self.doc
                        .put_object(ROOT, schema::TAG_CADENCES, ObjType::Map)?,
                );
            }
            for map in &maps {
                match cadence {
                    Some(c) => self.doc.put(map, tag.as_str(), c.to_string())?,
                    None => {
                        if self.doc.get(map, tag.as_str())?.is_some() {
                            self.doc.delete(map, tag.as_str())?;
                        }
                    }
                }
            }
            Ok(true)
        })();
        let message = || match cadence {
            Some(c) => format!("set cadence of tag {tag} to {c}"),
            None => format!("clear cadence of tag {tag}"),
        };
        self.finish_or_abort(result, message, now)?;
        self.touched.tag_cadences = true;
        Ok(true)
    }

    /// Tag -> cadence, the union of every copy of the map (the winning copy's value first).
    pub fn tag_cadences(&self) -> Result<BTreeMap<String, Period>, crate::ReadError> {
        let mut out = BTreeMap::new();
        // get_all lists the winning copy last: read it last so that its values win.
        for map in self.tag_cadence_maps()? {
            for item in self.doc.map_range(&map, ..) {
                let text = match &item.value {
                    automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => s.to_string(),
                    _ => return Err(super::read::malformed(schema::TAG_CADENCES, &item.key)),
                };
                let period: Period = text
                    .parse()
                    .map_err(|_| super::read::malformed(schema::TAG_CADENCES, &item.key))?;
                out.insert(item.key.to_string(), period);
            }
        }
        Ok(out)
    }

    fn tag_cadence_maps(&self) -> Result<Vec<ObjId>, AutomergeError> {
        Ok(self
            .doc
            .get_all(ROOT, schema::TAG_CADENCES)?
            .into_iter()
            .filter(|(v, _)| matches!(v, Value::Object(ObjType::Map)))
            .map(|(_, id)| id)
            .collect())
    }

    /// Records that I introduced `a` and `b`: one `intro` interaction naming both, at `at`,
    /// and, with `set_introduced_by`, `b`'s `introduced_by` set to `a` (b came to know people
    /// through a). One commit.
    #[allow(clippy::too_many_arguments)]
    pub fn introduce(
        &mut self,
        id: InteractionId,
        a: ContactId,
        b: ContactId,
        at: UnixMillis,
        note: Option<&str>,
        set_introduced_by: bool,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        if a == b {
            return Err(crate::validate::InvalidValue::SelfIntroduction.into());
        }
        let name = |v: &Vault, c: ContactId| -> Result<String, EditError> {
            Ok(v.contact(c)?.ok_or(EditError::NoSuchContact(c))?.name)
        };
        let (name_a, name_b) = (name(self, a)?, name(self, b)?);
        let new = NewInteraction {
            contacts: vec![a, b],
            at,
            kind: InteractionKind::Intro,
            text: note
                .map(str::to_owned)
                .unwrap_or_else(|| format!("Introduced {name_a} and {name_b}")),
            place: None,
        };
        self.batch(&format!("introduce {name_a} and {name_b}"), now, |v| {
            v.add_interaction(id, &new, now)?;
            if set_introduced_by {
                let patch = crate::ContactPatch {
                    introduced_by: Some(a),
                    ..Default::default()
                };
                v.edit_contact(b, &patch, now)?;
            }
            Ok(())
        })
    }

    /// The schema version the document says it has.
    pub fn schema_version(&self) -> u64 {
        match self.doc.get(ROOT, schema::SCHEMA_VERSION_KEY) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Uint(v) => *v,
                ScalarValue::Int(v) => u64::try_from(*v).unwrap_or(0),
                _ => 0,
            },
            _ => 0,
        }
    }

    /// Brings an older document up to `SCHEMA_VERSION`, one commit per step. Steps only add
    /// keys, so two devices migrating the same vault at once converge (a doubled map is
    /// unioned by its readers). Returns whether anything was written.
    pub fn migrate(&mut self, now: UnixMillis) -> Result<bool, EditError> {
        let mut wrote = false;
        if self.schema_version() < 2 {
            let result = (|| -> Result<bool, AutomergeError> {
                if self.tag_cadence_maps()?.is_empty() {
                    self.doc
                        .put_object(ROOT, schema::TAG_CADENCES, ObjType::Map)?;
                }
                self.doc.put(ROOT, schema::SCHEMA_VERSION_KEY, 2u64)?;
                Ok(true)
            })();
            self.finish_or_abort(result, || "migrate schema 1 to 2".to_owned(), now)?;
            self.touched.other = true;
            wrote = true;
        }
        debug_assert!(self.schema_version() == SCHEMA_VERSION);
        Ok(wrote)
    }

    fn follow_up_state(
        &self,
        contact: ContactId,
        note: InteractionId,
        now: UnixMillis,
    ) -> Result<FollowUpState, EditError> {
        let c = self
            .contact(contact)?
            .ok_or(EditError::NoSuchContact(contact))?;
        let f = c
            .follow_ups
            .get(&note)
            .ok_or(EditError::NoSuchFollowUp(note))?;
        let today = chrono::DateTime::from_timestamp_millis(now)
            .map(|t| t.date_naive())
            .unwrap_or(f.due);
        Ok(f.state(today))
    }
}

fn day(d: NaiveDate) -> ScalarValue {
    ScalarValue::Str(d.format("%Y-%m-%d").to_string().into())
}
