//! `Vault`: the contact book as one Automerge document, written by one device.
//!
//! Every public write is one user action and one commit, with a message that says what was done
//! and the caller's `now` as its time. Layout and merge rules are in `crate::schema` and
//! `docs/SCHEMA.md`.

mod append;
mod append_edit;
mod attribute;
mod backup;
mod bulk;
mod extras;
mod history;
mod lan;
mod merge_contacts;
mod reach;
mod read;
mod relations;
mod revert;
mod revoke;
mod touched;
mod undo;
mod write;
// Issue 6: conflicts you can see, provenance, guard against mass deletion.
mod conflicts;
mod deletions;
mod provenance;

pub use append::{append_interaction, AppendedChange, AppendedInteraction, Tip};
pub use append_edit::{append_contact_edit, AppendedEdit, EditAppend};
pub use attribute::{AttributedChange, BULK_OPS};
pub use backup::MergeBackupError;
pub use bulk::NewContact;
pub use conflicts::{Conflict, RecordRef, Written};
pub use deletions::{count_kinds, Deletion, QuarantinePolicy};
pub use extras::{ContactExtras, MAX_VCARD_EXTRA};
pub use history::{ChangeInfo, HistoryError};
pub use merge_contacts::MergeReport;
pub use provenance::{AllChangeTimes, ContactOrigins, Origin};

pub use read::FieldValue;
pub use revert::{GroupRestore, RevertReport};
pub use revoke::Revocation;
pub use touched::{touched_between, touched_from_patches, Touched};
pub use undo::{undone_by, UndoReport, UNDOES};

use crate::error::OpenError;
use crate::schema::{self, SCHEMA_VERSION};
use crate::{ContactId, Device, DeviceId, UnixMillis, VaultId};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT,
};
use std::collections::HashSet;

/// One device's replica of an address book.
#[derive(Debug)]
pub struct Vault {
    doc: AutoCommit,
    device: DeviceId,
    contacts: ObjId,
    interactions: ObjId,
    groups: ObjId,
    devices: ObjId,
    touched: Touched,
    /// Set inside `batch`: writes then share one commit.
    batch_depth: u32,
    /// Contacts added by the current batch, so that its interactions need not look each one
    /// up again (an import of W1 spent 0.25 s on those 100k lookups). Empty outside a batch.
    added_in_batch: HashSet<ContactId>,
}

impl Vault {
    /// Creates a new vault. Only one device ever does this for a given vault: every other device
    /// starts from a copy, because two devices that each created `contacts` would see one of the
    /// two maps (and everything in it) lose the merge.
    pub fn create(
        device: DeviceId,
        device_name: &str,
        vault_id: VaultId,
        now: UnixMillis,
    ) -> Result<Vault, OpenError> {
        let mut doc = AutoCommit::new().with_actor(actor_for(device));
        doc.put(ROOT, schema::SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
        doc.put(ROOT, schema::VAULT_ID, vault_id.to_string())?;
        doc.put(ROOT, schema::CREATED, now)?;
        for key in [
            schema::CONTACTS,
            schema::INTERACTIONS,
            schema::GROUPS,
            schema::DEVICES,
            schema::REVOKED,
            schema::TAG_CADENCES,
        ] {
            doc.put_object(ROOT, key, ObjType::Map)?;
        }
        let devices = match doc.get(ROOT, schema::DEVICES)? {
            Some((_, id)) => id,
            None => return Err(OpenError::NotAVault(schema::DEVICES)),
        };
        write::put_device(
            &mut doc,
            &devices,
            &Device {
                id: device,
                name: device_name.to_owned(),
                added_at: now,
                added_by: None,
            },
        )?;
        doc.commit_with(commit_options("create vault".to_owned(), now));
        Vault::open(doc, device)
    }

    /// Wraps a loaded document, checking that it is a vault this code understands. Writes will
    /// carry `device` as their Automerge actor, so each device writes with its own stable actor.
    pub fn open(mut doc: AutoCommit, device: DeviceId) -> Result<Vault, OpenError> {
        doc.set_actor(actor_for(device));
        let version = match doc.get(ROOT, schema::SCHEMA_VERSION_KEY)? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(v) => *v,
                ScalarValue::Int(v) if *v >= 0 => *v as u64,
                _ => return Err(OpenError::WrongType(schema::SCHEMA_VERSION_KEY)),
            },
            Some(_) => return Err(OpenError::WrongType(schema::SCHEMA_VERSION_KEY)),
            None => return Err(OpenError::NotAVault(schema::SCHEMA_VERSION_KEY)),
        };
        if version > SCHEMA_VERSION {
            return Err(OpenError::TooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let map = |doc: &AutoCommit, key: &'static str| match doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            Some(_) => Err(OpenError::WrongType(key)),
            None => Err(OpenError::NotAVault(key)),
        };
        let contacts = map(&doc, schema::CONTACTS)?;
        let interactions = map(&doc, schema::INTERACTIONS)?;
        let groups = map(&doc, schema::GROUPS)?;
        let devices = map(&doc, schema::DEVICES)?;
        Ok(Vault {
            doc,
            device,
            contacts,
            interactions,
            groups,
            devices,
            touched: Touched::default(),
            batch_depth: 0,
            added_in_batch: HashSet::new(),
        })
    }

    /// The device this replica writes as.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The vault's id, shared by every device that holds it.
    pub fn vault_id(&self) -> Result<VaultId, crate::ReadError> {
        self.read_root_str(schema::VAULT_ID)?
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| crate::ReadError::Malformed {
                id: "root".to_owned(),
                key: schema::VAULT_ID.to_owned(),
            })
    }

    /// The current heads of the document.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The underlying document, for persistence and sync.
    pub fn doc(&self) -> &AutoCommit {
        &self.doc
    }

    /// Mutable access for persistence and sync (saving, applying sync messages). Changes that
    /// arrive this way are not in `take_touched`; use `touched_between` after them.
    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Gives back the document, for example to hand it to a store.
    pub fn into_doc(self) -> AutoCommit {
        self.doc
    }

    /// The records changed by local writes since the last call.
    pub fn take_touched(&mut self) -> Touched {
        std::mem::take(&mut self.touched)
    }

    /// Runs several writes as one user action: one commit with `message`. If `f` fails, every
    /// write it made is rolled back, so nothing is half-applied.
    pub fn batch<T, E>(
        &mut self,
        message: &str,
        now: UnixMillis,
        f: impl FnOnce(&mut Vault) -> Result<T, E>,
    ) -> Result<T, E> {
        self.batch_depth += 1;
        let result = f(self);
        self.batch_depth -= 1;
        if self.batch_depth == 0 {
            self.added_in_batch.clear();
            match &result {
                Ok(_) => {
                    self.doc
                        .commit_with(commit_options(message.to_owned(), now));
                }
                Err(_) => {
                    self.doc.rollback();
                }
            }
        }
        result
    }

    /// A copy of this replica that writes as another device: how tests make two devices
    /// that edit the same vault concurrently.
    pub fn fork_as(&mut self, device: DeviceId) -> Vault {
        let doc = self.doc.fork().with_actor(actor_for(device));
        Vault {
            doc,
            device,
            contacts: self.contacts.clone(),
            interactions: self.interactions.clone(),
            groups: self.groups.clone(),
            devices: self.devices.clone(),
            touched: Touched::default(),
            batch_depth: 0,
            added_in_batch: HashSet::new(),
        }
    }

    /// Merges another replica's changes into this one and reports which records changed.
    pub fn merge(&mut self, other: &mut Vault) -> Result<Touched, automerge::AutomergeError> {
        let before = self.doc.get_heads();
        self.doc.merge(&mut other.doc)?;
        let after = self.doc.get_heads();
        Ok(self.touched_between(&before, &after))
    }

    fn finish(&mut self, message: impl FnOnce() -> String, now: UnixMillis) {
        if self.batch_depth == 0 {
            self.doc.commit_with(commit_options(message(), now));
        }
    }

    fn abort(&mut self) {
        if self.batch_depth == 0 {
            self.doc.rollback();
        }
    }

    fn read_root_str(&self, key: &str) -> Result<Option<String>, crate::ReadError> {
        Ok(match self.doc.get(ROOT, key)? {
            Some((Value::Scalar(s), _)) => s.as_str().map(str::to_owned),
            _ => None,
        })
    }
}

/// The Automerge actor of a device: its 32-byte device id. Stable across restarts, unique per
/// device; the store's lock keeps two processes from writing as one device at once.
pub fn actor_for(device: DeviceId) -> ActorId {
    ActorId::from(device.as_bytes().as_slice())
}

/// Commit times are Unix seconds, as Automerge's other implementations write them.
fn commit_options(message: String, now: UnixMillis) -> CommitOptions {
    CommitOptions::default()
        .with_message(message)
        .with_time(now.div_euclid(1000))
}
