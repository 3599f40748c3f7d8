//! Revocation: a device that must never be trusted again.
//!
//! Revocations live in the root map `revoked` (device id -> JSON entry) and are never deleted,
//! so no merge can undo one: a device is revoked if ANY value under its key, in ANY of the
//! (possibly concurrently created) `revoked` maps, says so. Reads therefore use `get_all`, not
//! the merge winner. Entries record the revoker's heads at the moment it revoked, which is what
//! "after the revocation" means for that device's changes: those the revoker had not seen.

use super::Vault;
use crate::error::EditError;
use crate::schema;
use crate::{DeviceId, ReadError, UnixMillis};
use automerge::transaction::Transactable;
use automerge::{ActorId, ChangeHash, ObjId, ObjType, ReadDoc, Value, ROOT};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One device's revocation, as one replica wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub device: DeviceId,
    /// When, by the revoker's clock (0 if the entry is not readable).
    pub at: UnixMillis,
    /// Who wrote it (`None` if the entry is not readable).
    pub by: Option<DeviceId>,
    /// The device removed itself (`rapport devices leave`).
    pub left: bool,
    /// The revoker's heads just before it revoked.
    pub heads: Vec<ChangeHash>,
}

/// The operation that wrote a revocation entry: its actor and counter.
type OpRef = (ActorId, u64);

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    at: UnixMillis,
    by: String,
    #[serde(default)]
    left: bool,
    #[serde(default)]
    heads: Vec<String>,
}

impl Vault {
    /// Revokes `device` (or records that this device left, when `device` is this device).
    /// Writing it again is harmless: any entry revokes.
    pub fn revoke_device(&mut self, device: DeviceId, now: UnixMillis) -> Result<(), EditError> {
        let left = device == self.device;
        let heads: Vec<String> = self.doc.get_heads().iter().map(|h| h.to_string()).collect();
        let entry = Entry {
            at: now,
            by: self.device.to_hex(),
            left,
            heads,
        };
        let json = serde_json::to_string(&entry).map_err(|_| EditError::NothingToDo)?;
        let result = (|| {
            // Any map among the concurrent values, not only the winner: if a bad peer made a
            // scalar win, a new `put_object` would supersede every map this replica has seen
            // and with them every revocation.
            let existing = self
                .doc
                .get_all(ROOT, schema::REVOKED)?
                .into_iter()
                .find_map(|(value, id)| match value {
                    Value::Object(ObjType::Map) => Some(id),
                    _ => None,
                });
            let map = match existing {
                Some(id) => id,
                // Vaults created before revocation existed get the map on first use. Two
                // devices doing that at once create two maps; reads union them.
                None => self.doc.put_object(ROOT, schema::REVOKED, ObjType::Map)?,
            };
            self.doc.put(&map, device.to_hex(), json.as_str())?;
            Ok::<_, automerge::AutomergeError>(true)
        })();
        let verb = if left { "leave vault" } else { "revoke device" };
        self.finish_or_abort(result, || format!("{verb} {}", device.short()), now)?;
        self.touched.devices = true;
        Ok(())
    }

    /// Every revocation entry, from every concurrent value.
    pub fn revocations(&self) -> Result<Vec<Revocation>, ReadError> {
        Ok(self.entries()?.into_iter().map(|(r, _)| r).collect())
    }

    /// Revocations with the id of the operation that wrote each.
    fn entries(&self) -> Result<Vec<(Revocation, ObjId)>, ReadError> {
        let mut out = Vec::new();
        for (value, map) in self.doc.get_all(ROOT, schema::REVOKED)? {
            if !matches!(value, Value::Object(ObjType::Map)) {
                continue;
            }
            for item in self.doc.map_range(&map, ..) {
                let Ok(device) = DeviceId::from_hex(&item.key) else {
                    continue;
                };
                for (v, op) in self.doc.get_all(&map, item.key.as_ref())? {
                    let entry = match &v {
                        Value::Scalar(s) => s
                            .as_str()
                            .and_then(|t| serde_json::from_str::<Entry>(t).ok()),
                        _ => None,
                    };
                    // An unreadable value still revokes: any value under the key does.
                    let revocation = match entry {
                        Some(e) => Revocation {
                            device,
                            at: e.at,
                            by: DeviceId::from_hex(&e.by).ok(),
                            left: e.left,
                            heads: e.heads.iter().filter_map(|h| h.parse().ok()).collect(),
                        },
                        None => Revocation {
                            device,
                            at: 0,
                            by: None,
                            left: false,
                            heads: Vec::new(),
                        },
                    };
                    out.push((revocation, op));
                }
            }
        }
        Ok(out)
    }

    /// The revoked devices.
    pub fn revoked(&self) -> Result<BTreeSet<DeviceId>, ReadError> {
        Ok(self.revocations()?.into_iter().map(|r| r.device).collect())
    }

    /// For each revoked device, how many of its changes this replica holds that no revoker
    /// had seen when it revoked: written after the revocation, or relayed to us by a device
    /// that had not heard of it. They are kept (dropping them would break the history of
    /// honest devices that built on them) and shown to the user.
    pub fn changes_after_revocation(&mut self) -> Result<BTreeMap<DeviceId, usize>, ReadError> {
        let mut known: BTreeMap<DeviceId, (Vec<ChangeHash>, Vec<OpRef>)> = BTreeMap::new();
        for (r, op) in self.entries()? {
            let slot = known.entry(r.device).or_default();
            slot.0.extend(r.heads);
            if let ObjId::Id(counter, actor, _) = op {
                slot.1.push((actor, counter));
            }
        }
        let mut out = BTreeMap::new();
        for (device, (mut heads, ops)) in known {
            heads.sort();
            heads.dedup();
            // Heads we do not hold cannot be asked about; without any, count nothing rather
            // than every change the device ever made.
            heads.retain(|h| self.doc.get_change_by_hash(h).is_some());
            if heads.is_empty() {
                continue;
            }
            let actor = super::actor_for(device);
            let n = self
                .doc
                .get_changes_meta(&heads)
                .iter()
                .filter(|c| *c.actor == actor)
                // A device's own `leave` is not a change made after its revocation.
                .filter(|c| {
                    !ops.iter()
                        .any(|(a, n)| *a == actor && (c.start_op..=c.max_op).contains(n))
                })
                .count();
            if n > 0 {
                out.insert(device, n);
            }
        }
        Ok(out)
    }
}
