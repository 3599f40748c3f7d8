//! Reads: materialising plain records out of the document. Every value is checked as it is
//! read; a malformed value (from a damaged document or another program) is an error naming the
//! record and key, never a panic.

use super::write::StoredInteraction;
use super::Vault;
use crate::error::ReadError;
use crate::schema::{contact as ck, device as dk, group as gk};
use crate::{
    Contact, ContactField, ContactId, Device, DeviceId, FollowUp, Group, GroupId, Interaction,
    InteractionId, UnixMillis,
};
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef};
use serde::Serialize;

/// One of possibly several concurrent values of a field, with the device that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldValue {
    pub value: String,
    /// `None` when the writer's actor is not a device id (written by another program).
    pub device: Option<DeviceId>,
}

impl Vault {
    /// One contact, trashed or not.
    pub fn contact(&self, id: ContactId) -> Result<Option<Contact>, ReadError> {
        match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => self.read_contact(id, &obj, None).map(Some),
            _ => Ok(None),
        }
    }

    /// Every contact, trashed or not, in id order.
    /// How many contacts the vault holds, trashed ones included (as `contacts().len()`),
    /// without reading them: W30's 30,000 took a quarter of a second to materialise only to
    /// be counted at the end of a clone.
    pub fn contact_count(&self) -> usize {
        self.doc.length(&self.contacts)
    }

    pub fn contacts(&self) -> Result<Vec<Contact>, ReadError> {
        let mut out = Vec::new();
        for item in self.doc.map_range(&self.contacts, ..) {
            let id: ContactId = item
                .key
                .parse()
                .map_err(|_| malformed("contacts", &item.key))?;
            out.push(self.read_contact(id, &item.id(), None)?);
        }
        Ok(out)
    }

    /// Reads a contact map, as it is now (`heads` = None) or as it was at `heads` (history).
    pub(super) fn read_contact(
        &self,
        id: ContactId,
        obj: &ObjId,
        heads: Option<&[automerge::ChangeHash]>,
    ) -> Result<Contact, ReadError> {
        let mut c = Contact {
            id,
            name: String::new(),
            emails: Default::default(),
            phones: Default::default(),
            links: Default::default(),
            org: None,
            title: None,
            tags: Default::default(),
            groups: Default::default(),
            met_on: None,
            met_at: None,
            met_context: None,
            introduced_by: None,
            trust: None,
            connected_on: None,
            notes: None,
            created: 0,
            updated: 0,
            deleted: None,
            merged_into: None,
            cadence: None,
            snoozed_until: None,
            follow_ups: Default::default(),
        };
        // Follow-up parts arrive in key order (`follow_up:` before `follow_up_done:`), so
        // they are gathered first and joined at the end.
        let mut done: Vec<(InteractionId, UnixMillis)> = Vec::new();
        let mut snoozed: Vec<(InteractionId, chrono::NaiveDate)> = Vec::new();
        let bad = |key: &str| malformed(&id.to_string(), key);
        let items = match heads {
            Some(heads) => self.doc.map_range_at(obj, .., heads),
            None => self.doc.map_range(obj, ..),
        };
        for item in items {
            let key: &str = &item.key;
            let text = || match &item.value {
                ValueRef::Scalar(ScalarValueRef::Str(s)) => Ok(s.to_string()),
                _ => Err(bad(key)),
            };
            let int = || match &item.value {
                ValueRef::Scalar(ScalarValueRef::Int(i) | ScalarValueRef::Timestamp(i)) => Ok(*i),
                ValueRef::Scalar(ScalarValueRef::Uint(u)) => {
                    i64::try_from(*u).map_err(|_| bad(key))
                }
                _ => Err(bad(key)),
            };
            if let Some((prefix, member)) = split_member(key) {
                let note = || member.parse::<InteractionId>().map_err(|_| bad(key));
                let day = || crate::validate::date(&text()?).map_err(|_| bad(key));
                match prefix {
                    ck::FOLLOW_UP => {
                        let f = FollowUp {
                            due: day()?,
                            snoozed_until: None,
                            done: None,
                        };
                        c.follow_ups.insert(note()?, f);
                        continue;
                    }
                    ck::FOLLOW_UP_DONE => {
                        done.push((note()?, int()?));
                        continue;
                    }
                    ck::FOLLOW_UP_SNOOZE => {
                        snoozed.push((note()?, day()?));
                        continue;
                    }
                    _ => {}
                }
                if prefix == ck::GROUP {
                    c.groups.insert(member.parse().map_err(|_| bad(key))?);
                } else if let Some(set) = member_set(&mut c, prefix) {
                    set.insert(member.to_owned());
                }
                // Unknown prefixes are left alone: a newer schema may add sets.
                continue;
            }
            if is_edited_field(key) {
                read_edited_field(&mut c, key, Some(&text()?)).map_err(|()| bad(key))?;
                continue;
            }
            match key {
                ck::CREATED => c.created = int()?,
                ck::UPDATED => c.updated = int()?,
                ck::DELETED => c.deleted = Some(int()?),
                ck::MERGED_INTO => c.merged_into = Some(text()?.parse().map_err(|_| bad(key))?),
                ck::SNOOZED_UNTIL => {
                    c.snoozed_until = Some(crate::validate::date(&text()?).map_err(|_| bad(key))?)
                }
                // Unknown keys are kept in the document and ignored here (forward compatible).
                _ => {}
            }
        }
        // A done or snooze key without its due date (written by another program) is ignored.
        for (note, at) in done {
            if let Some(f) = c.follow_ups.get_mut(&note) {
                f.done = Some(at);
            }
        }
        for (note, until) in snoozed {
            if let Some(f) = c.follow_ups.get_mut(&note) {
                f.snoozed_until = Some(until);
            }
        }
        if c.updated == 0 {
            c.updated = c.created;
        }
        Ok(c)
    }

    /// One interaction, as the winning version shows it.
    pub fn interaction(&self, id: InteractionId) -> Result<Option<Interaction>, ReadError> {
        match self.doc.get(&self.interactions, id.to_string())? {
            Some((value, op)) => Ok(Some(into_interaction(
                id,
                decode_interaction(id, &value)?,
                &op,
            ))),
            None => Ok(None),
        }
    }

    /// Every version of an interaction that concurrent edits left: the winner first.
    pub fn interaction_versions(&self, id: InteractionId) -> Result<Vec<Interaction>, ReadError> {
        let mut all = Vec::new();
        for (value, op) in self.doc.get_all(&self.interactions, id.to_string())? {
            all.push(into_interaction(id, decode_interaction(id, &value)?, &op));
        }
        // get_all lists values in op order; the winner is the last one.
        all.reverse();
        Ok(all)
    }

    /// Every interaction, in id order.
    pub fn interactions(&self) -> Result<Vec<Interaction>, ReadError> {
        let mut out = Vec::new();
        for item in self.doc.map_range(&self.interactions, ..) {
            let id: InteractionId = item
                .key
                .parse()
                .map_err(|_| malformed("interactions", &item.key))?;
            let op = item.id();
            let value = item.value.into_value();
            out.push(into_interaction(id, decode_interaction(id, &value)?, &op));
        }
        Ok(out)
    }

    /// The interactions that involve a contact, oldest first. Scans every interaction: use a
    /// store's read view when this has to be fast.
    pub fn interactions_of(&self, contact: ContactId) -> Result<Vec<Interaction>, ReadError> {
        let mut out: Vec<Interaction> = self
            .interactions()?
            .into_iter()
            .filter(|i| i.contacts.contains(&contact))
            .collect();
        out.sort_by_key(|i| (i.at, i.id));
        Ok(out)
    }

    pub(super) fn stored_interaction(
        &self,
        id: InteractionId,
    ) -> Result<Option<StoredInteraction>, ReadError> {
        match self.doc.get(&self.interactions, id.to_string())? {
            Some((value, _)) => decode_interaction(id, &value).map(Some),
            None => Ok(None),
        }
    }

    /// One group, deleted or not.
    pub fn group(&self, id: GroupId) -> Result<Option<Group>, ReadError> {
        match self.doc.get(&self.groups, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => self.read_group(id, &obj).map(Some),
            _ => Ok(None),
        }
    }

    /// Every group, deleted or not.
    pub fn groups(&self) -> Result<Vec<Group>, ReadError> {
        let mut out = Vec::new();
        for item in self.doc.map_range(&self.groups, ..) {
            let id: GroupId = item
                .key
                .parse()
                .map_err(|_| malformed("groups", &item.key))?;
            out.push(self.read_group(id, &item.id())?);
        }
        Ok(out)
    }

    fn read_group(&self, id: GroupId, obj: &ObjId) -> Result<Group, ReadError> {
        let bad = |key: &str| malformed(&id.to_string(), key);
        let name = self.str_at(obj, gk::NAME).ok_or_else(|| bad(gk::NAME))?;
        Ok(Group {
            id,
            name,
            description: self.str_at(obj, gk::DESCRIPTION),
            created: self.int_at(obj, gk::CREATED)?.unwrap_or(0),
            deleted: self.int_at(obj, gk::DELETED)?,
            cadence: match self.str_at(obj, gk::CADENCE) {
                Some(t) => Some(t.parse().map_err(|_| bad(gk::CADENCE))?),
                None => None,
            },
        })
    }

    /// The device roster.
    pub fn devices(&self) -> Result<Vec<Device>, ReadError> {
        let mut out = Vec::new();
        for item in self.doc.map_range(&self.devices, ..) {
            let bad = || malformed("devices", &item.key);
            let id = DeviceId::from_hex(&item.key).map_err(|_| bad())?;
            let obj = item.id();
            out.push(Device {
                id,
                name: self.str_at(&obj, dk::NAME).unwrap_or_default(),
                added_at: self.int_at(&obj, dk::ADDED_AT)?.unwrap_or(0),
                added_by: match self.str_at(&obj, dk::ADDED_BY) {
                    Some(hex) => Some(DeviceId::from_hex(&hex).map_err(|_| bad())?),
                    None => None,
                },
            });
        }
        Ok(out)
    }

    /// Every value a contact field holds: more than one when devices set it concurrently.
    /// The first is the winner that `contact` shows; the rest lost the merge but are kept.
    pub fn field_values(
        &self,
        id: ContactId,
        field: ContactField,
    ) -> Result<Vec<FieldValue>, ReadError> {
        let obj = match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Ok(Vec::new()),
        };
        let mut out: Vec<FieldValue> = self
            .doc
            .get_all(&obj, field.key())?
            .into_iter()
            .map(|(value, exid)| FieldValue {
                value: match value {
                    Value::Scalar(s) => s
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| s.to_string()),
                    Value::Object(_) => String::new(),
                },
                device: device_of(&exid),
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    fn int_at(&self, obj: &ObjId, key: &str) -> Result<Option<UnixMillis>, ReadError> {
        match self.doc.get(obj, key)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => {
                as_i64(&s).map(Some).ok_or_else(|| malformed("record", key))
            }
            Some(_) => Err(malformed("record", key)),
        }
    }
}

/// The device that wrote an operation, from its Automerge actor.
pub(super) fn device_of(exid: &ObjId) -> Option<DeviceId> {
    match exid {
        ObjId::Id(_, actor, _) => <[u8; 32]>::try_from(actor.to_bytes())
            .ok()
            .map(DeviceId::from_bytes),
        ObjId::Root => None,
    }
}

fn as_i64(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(*i),
        ScalarValue::Uint(u) => i64::try_from(*u).ok(),
        _ => None,
    }
}

/// Whether `key` is one of the fields an edit sets and clears (`ContactField`).
pub(super) fn is_edited_field(key: &str) -> bool {
    ContactField::ALL.iter().any(|f| f.key() == key)
}

/// Reads the text of one field an edit sets and clears (`is_edited_field`) into `c`; `None`
/// is the key absent. `read_contact` and an edit written without the document
/// (`append_contact_edit`, which applies its own writes to the view's record) share it, so
/// that both read a field alike. `Err` for text that does not parse as the field.
pub(super) fn read_edited_field(c: &mut Contact, key: &str, text: Option<&str>) -> Result<(), ()> {
    fn parse<T: std::str::FromStr>(text: Option<&str>) -> Result<Option<T>, ()> {
        text.map(|t| t.parse().map_err(drop)).transpose()
    }
    let day = |text: Option<&str>| {
        text.map(|t| crate::validate::date(t).map_err(drop))
            .transpose()
    };
    let owned = |text: Option<&str>| text.map(str::to_owned);
    match key {
        "name" => c.name = text.unwrap_or_default().to_owned(),
        "org" => c.org = owned(text),
        "title" => c.title = owned(text),
        "notes" => c.notes = owned(text),
        "met_at" => c.met_at = owned(text),
        "met_context" => c.met_context = owned(text),
        "trust" => c.trust = parse(text)?,
        "met_on" => c.met_on = day(text)?,
        "connected_on" => c.connected_on = day(text)?,
        "introduced_by" => c.introduced_by = parse(text)?,
        ck::CADENCE => c.cadence = parse(text)?,
        _ => return Err(()),
    }
    Ok(())
}

/// The set of text members (`email:`, `phone:`, `link:`, `tag:` keys) that `prefix` names.
pub(super) fn member_set<'c>(
    c: &'c mut Contact,
    prefix: &str,
) -> Option<&'c mut crate::SortedSet<String>> {
    match prefix {
        ck::EMAIL => Some(&mut c.emails),
        ck::PHONE => Some(&mut c.phones),
        ck::LINK => Some(&mut c.links),
        ck::TAG => Some(&mut c.tags),
        _ => None,
    }
}

pub(super) fn split_member(key: &str) -> Option<(&str, &str)> {
    let colon = key.find(':')?;
    Some((&key[..=colon], &key[colon + 1..]))
}

pub(super) fn decode_interaction(
    id: InteractionId,
    value: &Value,
) -> Result<StoredInteraction, ReadError> {
    let bad = || malformed(&id.to_string(), "interaction");
    let json = match value {
        Value::Scalar(s) => s.as_str().ok_or_else(bad)?,
        Value::Object(_) => return Err(bad()),
    };
    serde_json::from_str(json).map_err(|_| bad())
}

pub(super) fn into_interaction(id: InteractionId, s: StoredInteraction, op: &ObjId) -> Interaction {
    Interaction {
        id,
        contacts: s.contacts,
        at: s.at,
        kind: s.kind,
        text: s.text,
        place: s.place,
        device: writer_of(op),
    }
}

/// The device that wrote an operation. A document written by another program may use actors
/// that are not device ids; those get a stable stand-in (blake3 of the actor).
fn writer_of(op: &ObjId) -> DeviceId {
    match op {
        ObjId::Id(_, actor, _) => device_of(op)
            .unwrap_or_else(|| DeviceId::from_bytes(*blake3::hash(actor.to_bytes()).as_bytes())),
        ObjId::Root => DeviceId::from_bytes([0; 32]),
    }
}

pub(super) fn malformed(id: &str, key: &str) -> ReadError {
    ReadError::Malformed {
        id: id.to_owned(),
        key: key.to_owned(),
    }
}
