//! Writes. Each public method validates all of its input first, then writes, then commits;
//! on any failure the open transaction is rolled back, so nothing is half-applied.

use super::Vault;
use crate::error::EditError;
use crate::schema::{self, contact as ck, group as gk};
use crate::validate::{self, MAX_LONG_TEXT, MAX_SHORT_TEXT};
use crate::{
    ContactField, ContactId, ContactPatch, Device, GroupId, InteractionId, NewInteraction,
    UnixMillis,
};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, AutomergeError, ObjId, ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

/// How an interaction is stored: one JSON string under its id. One operation per interaction
/// instead of one per field; interactions are written whole and edited whole, so nothing is lost
/// by not splitting them (a concurrent edit keeps both versions, visible through `get_all`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredInteraction {
    pub contacts: Vec<ContactId>,
    pub at: UnixMillis,
    pub kind: crate::InteractionKind,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    // No author field: the device that wrote a version is the Automerge actor of the operation
    // that holds it, which costs nothing to store and cannot disagree with the history.
}

impl StoredInteraction {
    /// `new` as stored, its text and place validated: the one way both the single and the
    /// bulk write (`bulk.rs`) build it, so they store the same bytes.
    pub(crate) fn validated(new: &NewInteraction) -> Result<StoredInteraction, EditError> {
        Ok(StoredInteraction {
            contacts: new.contacts.clone(),
            at: new.at,
            kind: new.kind,
            text: validate::text("text", &new.text, MAX_LONG_TEXT)?,
            place: optional_text("place", new.place.as_deref())?,
        })
    }
}

/// A patch whose values are all validated and normalised.
#[derive(Default)]
pub(super) struct ValidPatch {
    pub(super) set: Vec<(&'static str, String)>,
    pub(super) clear: Vec<&'static str>,
    pub(super) add: Vec<String>,
    pub(super) remove: Vec<String>,
}

impl Vault {
    /// Adds a contact. The patch must give a name.
    pub fn add_contact(
        &mut self,
        id: ContactId,
        patch: &ContactPatch,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let name = patch
            .name
            .as_deref()
            .ok_or(validate::InvalidValue::Empty("name"))?;
        let valid = self.validate_patch(patch)?;
        let name = validate::text("name", name, MAX_SHORT_TEXT)?;
        let result = (|| -> Result<(), AutomergeError> {
            let obj = self
                .doc
                .put_object(&self.contacts, id.to_string(), ObjType::Map)?;
            self.doc.put(&obj, ck::CREATED, now)?;
            self.write_new_contact(&obj, &valid)
        })();
        self.finish_or_abort(result.map(|()| true), || format!("add contact {name}"), now)?;
        self.touched.contacts.insert(id);
        if self.batch_depth > 0 {
            self.added_in_batch.insert(id);
        }
        Ok(())
    }

    /// Edits a contact: sets, clears, adds and removes what the patch says. Returns false (and
    /// writes nothing) if the contact already looked like that.
    pub fn edit_contact(
        &mut self,
        id: ContactId,
        patch: &ContactPatch,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        if patch.is_empty() {
            return Err(EditError::NothingToDo);
        }
        let obj = self.contact_obj(id)?;
        if patch.introduced_by == Some(id) {
            return Err(validate::InvalidValue::SelfIntroduction.into());
        }
        let valid = self.validate_patch(patch)?;
        self.finish_contact_edit(id, &obj, now, |v| v.apply_patch(&obj, &valid))
    }

    /// Ends an edit of one contact: `edit` writes and says whether anything changed; then
    /// `updated` is stamped, the edit committed as "edit contact NAME" (or rolled back on an
    /// error), and the contact marked touched.
    pub(super) fn finish_contact_edit(
        &mut self,
        id: ContactId,
        obj: &ObjId,
        now: UnixMillis,
        edit: impl FnOnce(&mut Vault) -> Result<bool, AutomergeError>,
    ) -> Result<bool, EditError> {
        let name = self.contact_name(obj);
        let result = edit(self).and_then(|changed| {
            if changed {
                self.doc.put(obj, ck::UPDATED, now)?;
            }
            Ok(changed)
        });
        let changed = self.finish_or_abort(result, || format!("edit contact {name}"), now)?;
        if changed {
            self.touched.contacts.insert(id);
        }
        Ok(changed)
    }

    /// Moves a contact to the trash. Its data stays; `restore_contact` brings it back. An edit
    /// made concurrently on another device is kept and is there after a restore.
    pub fn trash_contact(&mut self, id: ContactId, now: UnixMillis) -> Result<(), EditError> {
        let obj = self.contact_obj(id)?;
        let name = self.contact_name(&obj);
        let result = (|| -> Result<bool, AutomergeError> {
            self.doc.put(&obj, ck::DELETED, now)?;
            self.doc.put(&obj, ck::UPDATED, now)?;
            Ok(true)
        })();
        self.finish_or_abort(result, || format!("trash contact {name}"), now)?;
        self.touched.contacts.insert(id);
        Ok(())
    }

    /// Takes a contact out of the trash.
    pub fn restore_contact(&mut self, id: ContactId, now: UnixMillis) -> Result<(), EditError> {
        let obj = self.contact_obj(id)?;
        let name = self.contact_name(&obj);
        let result = (|| -> Result<bool, AutomergeError> {
            self.doc.delete(&obj, ck::DELETED)?;
            self.doc.put(&obj, ck::UPDATED, now)?;
            Ok(true)
        })();
        self.finish_or_abort(result, || format!("restore contact {name}"), now)?;
        self.touched.contacts.insert(id);
        Ok(())
    }

    /// Logs an interaction with one or more contacts.
    pub fn add_interaction(
        &mut self,
        id: InteractionId,
        new: &NewInteraction,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        if new.contacts.is_empty() {
            return Err(EditError::NoContacts);
        }
        for c in &new.contacts {
            if !self.added_in_batch.contains(c) {
                self.contact_obj(*c)?;
            }
        }
        let stored = StoredInteraction::validated(new)?;
        self.put_interaction(id, &stored, new.kind.as_str(), now)
    }

    /// Replaces the text of an interaction. The previous text stays in history; if another
    /// device edits the same interaction concurrently, both versions are kept.
    pub fn edit_interaction_text(
        &mut self,
        id: InteractionId,
        text: &str,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let mut stored = self
            .stored_interaction(id)?
            .ok_or(EditError::NoSuchInteraction(id))?;
        stored.text = validate::text("text", text, MAX_LONG_TEXT)?;
        self.put_interaction(id, &stored, "edit", now)
    }

    pub(super) fn put_interaction(
        &mut self,
        id: InteractionId,
        stored: &StoredInteraction,
        what: &str,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let json = serde_json::to_string(stored).map_err(|_| AutomergeError::Fail)?;
        let result = self
            .doc
            .put(&self.interactions, id.to_string(), json)
            .map(|()| true);
        self.finish_or_abort(result, || format!("log {what} interaction {id}"), now)?;
        self.touched.interactions.insert(id);
        Ok(())
    }

    /// Creates a group. Names are unique among groups that are not deleted.
    pub fn create_group(
        &mut self,
        id: GroupId,
        name: &str,
        description: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let name = validate::text("group name", name, MAX_SHORT_TEXT)?;
        let description = optional_text("description", description)?;
        if self
            .groups()?
            .iter()
            .any(|g| g.deleted.is_none() && g.name.eq_ignore_ascii_case(&name))
        {
            return Err(EditError::GroupExists(name));
        }
        let result = (|| -> Result<bool, AutomergeError> {
            let obj = self
                .doc
                .put_object(&self.groups, id.to_string(), ObjType::Map)?;
            self.doc.put(&obj, gk::NAME, name.as_str())?;
            self.doc.put(&obj, gk::CREATED, now)?;
            if let Some(d) = &description {
                self.doc.put(&obj, gk::DESCRIPTION, d.as_str())?;
            }
            Ok(true)
        })();
        self.finish_or_abort(result, || format!("create group {name}"), now)?;
        self.touched.groups.insert(id);
        Ok(())
    }

    /// Soft-deletes a group. Memberships stay on the contacts, so a restore brings them back.
    pub fn delete_group(&mut self, id: GroupId, now: UnixMillis) -> Result<(), EditError> {
        self.set_group_deleted(id, Some(now), now)
    }

    /// Restores a deleted group, with all of its members.
    pub fn restore_group(&mut self, id: GroupId, now: UnixMillis) -> Result<(), EditError> {
        self.set_group_deleted(id, None, now)
    }

    /// Renames a live group (the web app's "rename"). Names stay unique among live groups.
    pub fn rename_group(
        &mut self,
        id: GroupId,
        name: &str,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let name = validate::text("group name", name, MAX_SHORT_TEXT)?;
        let obj = self.group_obj(id)?;
        let old = self.group(id)?.map(|g| g.name).unwrap_or_default();
        if old == name {
            return Err(EditError::NothingToDo);
        }
        if self
            .groups()?
            .iter()
            .any(|g| g.id != id && g.deleted.is_none() && g.name.eq_ignore_ascii_case(&name))
        {
            return Err(EditError::GroupExists(name));
        }
        let result = self.doc.put(&obj, gk::NAME, name.as_str());
        self.finish_or_abort(
            result.map(|()| true),
            || format!("rename group {old} to {name}"),
            now,
        )?;
        self.touched.groups.insert(id);
        Ok(())
    }

    fn set_group_deleted(
        &mut self,
        id: GroupId,
        deleted: Option<UnixMillis>,
        now: UnixMillis,
    ) -> Result<(), EditError> {
        let obj = self.group_obj(id)?;
        let name = self.group(id)?.map(|g| g.name).unwrap_or_default();
        let result = match deleted {
            Some(at) => self.doc.put(&obj, gk::DELETED, at),
            None => self.doc.delete(&obj, gk::DELETED),
        };
        let verb = if deleted.is_some() {
            "delete"
        } else {
            "restore"
        };
        self.finish_or_abort(
            result.map(|()| true),
            || format!("{verb} group {name}"),
            now,
        )?;
        self.touched.groups.insert(id);
        Ok(())
    }

    /// Adds a device to the roster.
    pub fn add_device(&mut self, device: &Device, now: UnixMillis) -> Result<(), EditError> {
        let name = validate::text("device name", &device.name, MAX_SHORT_TEXT)?;
        let devices = self.devices.clone();
        let result = put_device(&mut self.doc, &devices, device).map(|()| true);
        self.finish_or_abort(
            result,
            || format!("add device {name} ({})", device.id.short()),
            now,
        )?;
        self.touched.devices = true;
        Ok(())
    }

    // ---- helpers ----

    pub(super) fn finish_or_abort(
        &mut self,
        result: Result<bool, AutomergeError>,
        message: impl FnOnce() -> String,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        match result {
            Ok(true) => {
                self.finish(message, now);
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => {
                self.abort();
                Err(e.into())
            }
        }
    }

    pub(super) fn contact_obj(&self, id: ContactId) -> Result<ObjId, EditError> {
        match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(EditError::NoSuchContact(id)),
        }
    }

    pub(super) fn group_obj(&self, id: GroupId) -> Result<ObjId, EditError> {
        match self.doc.get(&self.groups, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(EditError::NoSuchGroup(id)),
        }
    }

    fn contact_name(&self, obj: &ObjId) -> String {
        self.str_at(obj, ContactField::Name.key())
            .unwrap_or_default()
    }

    pub(super) fn str_at(&self, obj: &ObjId, key: &str) -> Option<String> {
        match self.doc.get(obj, key) {
            Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
            _ => None,
        }
    }

    pub(super) fn validate_patch(&self, p: &ContactPatch) -> Result<ValidPatch, EditError> {
        validate_patch_with(
            p,
            |c| self.contact_obj(c).map(drop),
            |g| self.group_obj(g).map(drop),
        )
    }

    /// Writes a validated patch, skipping every operation that would not change the value we
    /// see (fewer operations, and no false conflicts). Returns whether anything was written.
    /// `apply_patch` on a contact object created in this change: there is nothing to compare
    /// with or to clear, so it writes without reading first. The result is the same (a key
    /// both set and cleared, or added and removed, ends absent); an import of W1 spent ~0.4 s
    /// of its 3.3 s batch on those reads.
    fn write_new_contact(&mut self, obj: &ObjId, v: &ValidPatch) -> Result<(), AutomergeError> {
        for (key, value) in &v.set {
            if !v.clear.contains(key) {
                self.doc.put(obj, *key, value.as_str())?;
            }
        }
        for key in &v.add {
            if !v.remove.contains(key) {
                self.doc.put(obj, key.as_str(), true)?;
            }
        }
        Ok(())
    }

    fn apply_patch(&mut self, obj: &ObjId, v: &ValidPatch) -> Result<bool, AutomergeError> {
        let mut changed = false;
        for (key, value) in &v.set {
            if self.str_at(obj, key).as_deref() != Some(value.as_str()) {
                self.doc.put(obj, *key, value.as_str())?;
                changed = true;
            }
        }
        for key in &v.clear {
            if self.doc.get(obj, *key)?.is_some() {
                self.doc.delete(obj, *key)?;
                changed = true;
            }
        }
        for key in &v.add {
            if self.doc.get(obj, key.as_str())?.is_none() {
                self.doc.put(obj, key.as_str(), true)?;
                changed = true;
            }
        }
        for key in &v.remove {
            if self.doc.get(obj, key.as_str())?.is_some() {
                self.doc.delete(obj, key.as_str())?;
                changed = true;
            }
        }
        Ok(changed)
    }
}

/// Validates and normalises a patch, as `Vault::validate_patch` does, with the existence of the
/// contacts and groups it names checked by the caller: against the document, or the read view
/// for an edit written without it (`append_contact_edit`).
pub(super) fn validate_patch_with(
    p: &ContactPatch,
    contact_exists: impl Fn(ContactId) -> Result<(), EditError>,
    group_exists: impl Fn(GroupId) -> Result<(), EditError>,
) -> Result<ValidPatch, EditError> {
    let mut v = ValidPatch::default();

    if let Some(name) = &p.name {
        v.set.push((
            ContactField::Name.key(),
            validate::text("name", name, MAX_SHORT_TEXT)?,
        ));
    }
    let texts = [
        (ContactField::Org, &p.org, "organisation", MAX_SHORT_TEXT),
        (ContactField::Title, &p.title, "title", MAX_SHORT_TEXT),
        (ContactField::Notes, &p.notes, "notes", MAX_LONG_TEXT),
        (
            ContactField::MetAt,
            &p.met_at,
            "place you met",
            MAX_SHORT_TEXT,
        ),
        (
            ContactField::MetContext,
            &p.met_context,
            "context",
            MAX_LONG_TEXT,
        ),
    ];
    for (field, value, label, max) in texts {
        if let Some(value) = value {
            v.set
                .push((field.key(), validate::text(label, value, max)?));
        }
    }
    if let Some(t) = p.trust {
        v.set
            .push((ContactField::Trust.key(), t.as_str().to_owned()));
    }
    for (field, value) in [
        (ContactField::MetOn, &p.met_on),
        (ContactField::ConnectedOn, &p.connected_on),
    ] {
        if let Some(d) = value {
            v.set.push((
                field.key(),
                validate::date(d)?.format("%Y-%m-%d").to_string(),
            ));
        }
    }
    if let Some(c) = p.cadence {
        v.set.push((ContactField::Cadence.key(), c.to_string()));
    }
    if let Some(c) = p.introduced_by {
        contact_exists(c)?;
        v.set
            .push((ContactField::IntroducedBy.key(), c.to_string()));
    }
    for field in &p.clear {
        if *field == ContactField::Name {
            return Err(validate::InvalidValue::NameRequired.into());
        }
        v.clear.push(field.key());
    }
    type Normalise = fn(&str) -> Result<String, validate::InvalidValue>;
    let sets: [(&str, &Vec<String>, &Vec<String>, Normalise); 4] = [
        (ck::EMAIL, &p.add_emails, &p.remove_emails, validate::email),
        (ck::PHONE, &p.add_phones, &p.remove_phones, validate::phone),
        (ck::LINK, &p.add_links, &p.remove_links, validate::link),
        (ck::TAG, &p.add_tags, &p.remove_tags, validate::tag),
    ];
    for (prefix, add, remove, normalise) in sets {
        for a in add {
            v.add.push(format!("{prefix}{}", normalise(a)?));
        }
        for r in remove {
            // A value that does not normalise cannot be in the set; removing it is a no-op
            // only if it is also not there verbatim.
            let key = normalise(r).unwrap_or_else(|_| r.trim().to_owned());
            v.remove.push(format!("{prefix}{key}"));
        }
    }
    for g in &p.add_groups {
        group_exists(*g)?;
        v.add.push(format!("{}{g}", ck::GROUP));
    }
    for g in &p.remove_groups {
        v.remove.push(format!("{}{g}", ck::GROUP));
    }
    Ok(v)
}

pub(super) fn optional_text(
    label: &'static str,
    value: Option<&str>,
) -> Result<Option<String>, EditError> {
    value
        .map(|v| validate::text(label, v, MAX_SHORT_TEXT))
        .transpose()
        .map_err(Into::into)
}

/// Writes one roster entry. Used by `Vault::create` before the vault exists as a `Vault`.
pub(super) fn put_device(
    doc: &mut AutoCommit,
    devices: &ObjId,
    device: &Device,
) -> Result<(), AutomergeError> {
    let obj = doc.put_object(devices, device.id.to_hex(), ObjType::Map)?;
    doc.put(&obj, schema::device::NAME, device.name.as_str())?;
    doc.put(&obj, schema::device::ADDED_AT, device.added_at)?;
    if let Some(by) = device.added_by {
        doc.put(&obj, schema::device::ADDED_BY, by.to_hex())?;
    }
    Ok(())
}
