//! The vault's roster: `devices` (list, add, revoke, leave) and `status` (each peer as this
//! device last saw it). What the network learned about a peer (its address, when it was last
//! seen) is read from the store, where the sync node keeps it; nothing here dials.

use crate::home::Home;
use crate::reports::{PeerState, Roster, RosterEntry, SyncState};
use crate::response::Response;
use crate::{time, AppError};
use rapport_model::automerge::sync::State;
use rapport_model::{Device, DeviceId, EditError, EndpointId, Reach};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// What `devices` and `status` say about revoked devices: who is revoked (and whether it left
/// by itself), and how many of a revoked device's changes arrived that no revoker had seen.
#[derive(Debug, Default)]
pub struct RevocationInfo {
    pub revoked: BTreeMap<DeviceId, bool>,
    pub after: BTreeMap<DeviceId, usize>,
}

/// Reads the vault's revocations (this loads the whole document).
pub fn revocations(home: &Home) -> Result<RevocationInfo, AppError> {
    home.with_vault(|vault| {
        let mut out = RevocationInfo::default();
        for r in vault.revocations()? {
            *out.revoked.entry(r.device).or_default() |= r.left;
        }
        out.after = vault.changes_after_revocation()?;
        Ok(out)
    })
}

/// The roster with what this device knows of each peer; the incoming change counts are left
/// as they are (`status` resets them: it is the user's look).
pub fn roster(home: &Home) -> Result<Roster, AppError> {
    let devices = home.read(|v| v.devices())?;
    let mut ours = home.store.heads()?;
    ours.sort();
    let incoming = home.store.incoming()?;
    let held = home.store.quarantined()?;
    let revoked = revocations(home)?;
    let mut entries = Vec::with_capacity(devices.len());
    for d in devices {
        let this_device = d.id == home.device;
        let peer = if this_device {
            None
        } else {
            let info = rapport_node::peers::get(&home.store, d.id);
            let shared = home
                .store
                .peer_state(d.id)?
                .and_then(|b| State::decode(&b).ok())
                .map(|s| {
                    let mut h = s.shared_heads;
                    h.sort();
                    h
                });
            Some(PeerState {
                address: info.addr.map(|a| a.to_string()),
                address_source: info.source,
                via: info.via,
                last_seen: info.last_seen_ms,
                last_synced: info.last_synced_ms,
                sync: match shared {
                    None => SyncState::NeverSynced,
                    Some(h) if h == ours => SyncState::Equal,
                    Some(_) => SyncState::Ahead,
                },
                changes_since_last_look: incoming.get(&d.id).copied().unwrap_or(0),
                quarantined: held.iter().filter(|q| q.deletion.by == Some(d.id)).count(),
            })
        };
        entries.push(RosterEntry {
            this_device,
            revoked: revoked.revoked.contains_key(&d.id),
            left: revoked.revoked.get(&d.id).copied().unwrap_or(false),
            changes_after_revocation: revoked.after.get(&d.id).copied().unwrap_or(0),
            peer,
            device: d,
        });
    }
    Ok(Roster {
        devices: entries,
        late_changes: revoked.after.into_iter().collect(),
        quarantined: held.len(),
    })
}

/// `status`: the roster as `roster` reads it; then the incoming counts start again from zero.
pub fn status(home: &Home) -> Result<Response, AppError> {
    let roster = roster(home)?;
    // Counted from the next sync on: this was the look.
    home.store.reset_incoming()?;
    Ok(Response::Status(roster))
}

/// Trusts a device: it may sync this vault. With its iroh `endpoint`, also beyond the LAN: the
/// endpoint goes into its roster record with the vault's relay, as pairing writes it.
pub fn add(
    home: &Home,
    id: DeviceId,
    name: Option<&str>,
    endpoint: Option<EndpointId>,
) -> Result<Response, AppError> {
    if id == home.device {
        return Err(AppError::BadInput(
            "that is this device's own id: give the id of the other device".into(),
        ));
    }
    let name = name
        .map(str::to_owned)
        .unwrap_or_else(|| format!("device {}", id.short()));
    home.write(|vault, _| {
        let device = Device {
            id,
            name: name.clone(),
            added_at: time::now_ms(),
            added_by: Some(home.device),
        };
        vault.add_device(&device, time::now_ms())?;
        if let Some(endpoint) = endpoint {
            let reach = Reach {
                endpoint,
                relay: vault.relay()?,
            };
            vault.set_reach(id, &reach, time::now_ms())?;
        }
        Ok(())
    })?;
    Ok(Response::DeviceAdded { id, name })
}

/// Revokes a device of the roster, by name or id prefix. Every device refuses it at the TLS
/// handshake once it has synced with one that heard of it, and closes live sessions with it.
pub fn revoke(home: &Home, query: &str) -> Result<Response, AppError> {
    let device = find(home, query)?;
    if device.id == home.device {
        return Err(AppError::BadInput(
            "that is this device: use `rapport devices leave` to remove it from the vault".into(),
        ));
    }
    let now = time::now_ms();
    home.write(|vault, _| {
        // One action: the revocation and a new LAN secret, so the revoked device can no longer
        // recognise the vault's beacons (it never receives the new secret).
        vault.batch(
            &format!("revoke device {}", device.id.short()),
            now,
            |vault| -> Result<(), EditError> {
                vault.revoke_device(device.id, now)?;
                vault.rotate_lan_secret(rand::random(), now)?;
                Ok(())
            },
        )?;
        Ok(())
    })?;
    Ok(Response::Revoked {
        id: device.id,
        name: device.name,
    })
}

/// Records that this device leaves the vault. Telling the other devices is the network's job
/// (a daemon's live sessions, or the CLI's `tell_peers`).
pub fn leave(home: &Home) -> Result<Response, AppError> {
    home.write(|vault, _| {
        vault.revoke_device(home.device, time::now_ms())?;
        Ok(())
    })?;
    Ok(Response::Left {
        dir: home.dir.clone(),
    })
}

/// Whether `d` is the device the user called `query` (lowercased): its name, or a prefix of
/// its id as shown or in hex.
fn called(d: &Device, query: &str) -> bool {
    d.name.to_lowercase() == query
        || d.id.to_string().to_lowercase().starts_with(query)
        || d.id.to_hex().starts_with(query)
}

fn find(home: &Home, query: &str) -> Result<Device, AppError> {
    let q = query.trim().to_lowercase();
    let devices = home.read(|v| v.devices())?;
    let matches: Vec<_> = devices.iter().filter(|d| called(d, &q)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(AppError::NotFound(format!(
            "no device of this vault is called `{query}`: see `rapport devices`"
        ))),
        _ => Err(AppError::NotFound(format!(
            "`{query}` matches several devices: use more of the id"
        ))),
    }
}

/// Where `sync` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncTarget {
    /// An address: the one typed, or the LAN address the device was last reached at.
    Addr(SocketAddr),
    /// A device this device never reached on the LAN but whose roster record names an iroh
    /// endpoint and a relay: dial it beyond the LAN, with no address typed.
    Iroh(DeviceId),
}

/// Where `sync` goes: `addr`, or the address another device of the roster (by name or id
/// prefix) was last reached at, or that device over iroh when its record says how.
pub fn sync_target(
    home: &Home,
    addr: Option<SocketAddr>,
    device: Option<&str>,
) -> Result<SyncTarget, AppError> {
    if let Some(addr) = addr {
        return Ok(SyncTarget::Addr(addr));
    }
    let query = device.unwrap_or_default().trim().to_lowercase();
    let devices = home.read(|v| v.devices())?;
    let matches: Vec<_> = devices
        .iter()
        .filter(|d| d.id != home.device && called(d, &query))
        .collect();
    let device = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(AppError::NotFound(format!(
                "no other device of this vault is called `{query}`: see `rapport devices`"
            )))
        }
        _ => {
            return Err(AppError::NotFound(format!(
                "`{query}` matches several devices: use more of the id"
            )))
        }
    };
    if let Some(addr) = rapport_node::peers::get(&home.store, device.id).addr {
        return Ok(SyncTarget::Addr(addr));
    }
    let reach = home.with_vault(|v| Ok::<_, AppError>(v.reaches()?.remove(&device.id)))?;
    match reach {
        Some(r) if r.relay.is_some() => Ok(SyncTarget::Iroh(device.id)),
        _ => Err(AppError::Failed(format!(
            "this device has never reached {} and does not know its address: use `rapport sync --addr HOST:PORT` once, or name a relay with `rapport relay set URL`",
            device.name
        ))),
    }
}
