//! Imported extras of a contact: what an address book holds that Rapport has no field of its own
//! for, kept so that an export gives it back. Each is one key of the contact's map (see
//! docs/SCHEMA.md); they are read on demand (export, merge) and not part of `Contact`, so that
//! lists and the read view stay as small as they were.

use super::Vault;
use crate::error::{EditError, ReadError};
use crate::schema::contact as ck;
use crate::validate::{self, InvalidValue, MAX_SHORT_TEXT};
use crate::{ContactId, UnixMillis};
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value};
use serde::{Deserialize, Serialize};

/// Most bytes of vCard properties kept verbatim for one contact. Large enough for a small
/// photo; an address book's 5 MB portrait would make every sync of the vault carry it.
pub const MAX_VCARD_EXTRA: usize = 256 * 1_024;

/// Imported fields without a Rapport field of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactExtras {
    /// As the source wrote it, normalised where it is a date: `YYYY-MM-DD`, `--MM-DD` (no year),
    /// or free text.
    pub birthday: Option<String>,
    pub anniversary: Option<String>,
    /// vCard 4.0 property lines (CRLF-terminated, folded) that Rapport does not interpret:
    /// addresses, photos, nicknames, `X-` properties... An export writes them back as they are.
    pub vcard_extra: Option<String>,
}

impl ContactExtras {
    pub fn is_empty(&self) -> bool {
        *self == ContactExtras::default()
    }
}

impl Vault {
    /// A contact's extras; `None` if there is no such contact.
    pub fn contact_extras(&self, id: ContactId) -> Result<Option<ContactExtras>, ReadError> {
        let obj = match self.doc.get(&self.contacts, id.to_string())? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Ok(None),
        };
        Ok(Some(ContactExtras {
            birthday: self.str_at(&obj, ck::BIRTHDAY),
            anniversary: self.str_at(&obj, ck::ANNIVERSARY),
            vcard_extra: self.str_at(&obj, ck::VCARD_EXTRA),
        }))
    }

    /// Sets a contact's extras to exactly `extras` (absent values are cleared). Returns whether
    /// anything changed; writes nothing if it already looked like that.
    pub fn set_contact_extras(
        &mut self,
        id: ContactId,
        extras: &ContactExtras,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        let obj = self.contact_obj(id)?;
        let mut wanted: Vec<(&'static str, Option<String>)> = Vec::new();
        for (key, label, value) in [
            (ck::BIRTHDAY, "birthday", &extras.birthday),
            (ck::ANNIVERSARY, "anniversary", &extras.anniversary),
        ] {
            let v = value
                .as_deref()
                .map(|v| validate::text(label, v, MAX_SHORT_TEXT))
                .transpose()?;
            wanted.push((key, v));
        }
        if let Some(extra) = &extras.vcard_extra {
            if extra.len() > MAX_VCARD_EXTRA {
                return Err(InvalidValue::TooLong {
                    field: "kept vCard properties",
                    len: extra.len(),
                    max: MAX_VCARD_EXTRA,
                }
                .into());
            }
        }
        wanted.push((
            ck::VCARD_EXTRA,
            extras.vcard_extra.clone().filter(|e| !e.is_empty()),
        ));
        self.finish_contact_edit(id, &obj, now, |v| {
            let mut changed = false;
            for (key, value) in &wanted {
                let current = v.str_at(&obj, key);
                match value {
                    Some(val) if current.as_deref() != Some(val.as_str()) => {
                        v.doc.put(&obj, *key, val.as_str())?;
                        changed = true;
                    }
                    None if v.doc.get(&obj, *key)?.is_some() => {
                        v.doc.delete(&obj, *key)?;
                        changed = true;
                    }
                    _ => {}
                }
            }
            Ok(changed)
        })
    }
}
