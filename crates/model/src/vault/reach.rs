//! Sync beyond the LAN: each device's iroh endpoint id and home relay in its own roster record,
//! and the vault-level relay setting (`rapport relay set|show|clear`). See `docs/SCHEMA.md`.

use super::Vault;
use crate::endpoint::{validate_relay_url, EndpointId, Reach};
use crate::error::{EditError, ReadError};
use crate::schema::{device as dk, RELAY};
use crate::{DeviceId, UnixMillis};
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value, ROOT};
use std::collections::BTreeMap;

impl Vault {
    /// The relay the vault's devices use beyond the LAN; `None` when nobody set one (the
    /// default: no relay is ever used unless the user names one).
    pub fn relay(&self) -> Result<Option<String>, ReadError> {
        Ok(self.read_root_str(RELAY)?.filter(|url| !url.is_empty()))
    }

    /// Sets (`Some`) or clears (`None`) the vault's relay. One commit; returns whether anything
    /// changed (setting the same URL again writes nothing).
    pub fn set_relay(&mut self, url: Option<&str>, now: UnixMillis) -> Result<bool, EditError> {
        if let Some(url) = url {
            validate_relay_url(url)?;
        }
        if self.relay()?.as_deref() == url {
            return Ok(false);
        }
        let result = self.doc.put(ROOT, RELAY, url.unwrap_or("")).map(|()| true);
        self.finish_or_abort(
            result,
            || match url {
                Some(url) => format!("set relay {url}"),
                None => "clear relay".to_owned(),
            },
            now,
        )
    }

    /// Every roster device that wrote how to reach it beyond the LAN. A malformed endpoint id
    /// (another program, a damaged peer) leaves that device out, never fails the read.
    pub fn reaches(&self) -> Result<BTreeMap<DeviceId, Reach>, ReadError> {
        let mut out = BTreeMap::new();
        for item in self.doc.map_range(&self.devices, ..) {
            let Ok(id) = DeviceId::from_hex(&item.key) else {
                continue;
            };
            let obj = item.id();
            let Some(endpoint) = self
                .str_at(&obj, dk::ENDPOINT)
                .and_then(|hex| EndpointId::from_hex(&hex).ok())
            else {
                continue;
            };
            let relay = self
                .str_at(&obj, dk::RELAY)
                .filter(|url| validate_relay_url(url).is_ok());
            out.insert(id, Reach { endpoint, relay });
        }
        Ok(out)
    }

    /// Writes this device's own reach into its roster record (the device must be in the
    /// roster). One commit, or nothing when the record already says the same.
    pub fn set_reach(
        &mut self,
        device: DeviceId,
        reach: &Reach,
        now: UnixMillis,
    ) -> Result<bool, EditError> {
        if let Some(url) = &reach.relay {
            validate_relay_url(url)?;
        }
        if self.reaches()?.get(&device) == Some(reach) {
            return Ok(false);
        }
        let obj = match self.doc.get(&self.devices, device.to_hex())? {
            Some((Value::Object(ObjType::Map), obj)) => obj,
            _ => return Err(EditError::NoSuchDevice(device)),
        };
        let result = (|| {
            self.doc.put(&obj, dk::ENDPOINT, reach.endpoint.to_hex())?;
            match &reach.relay {
                Some(url) => self.doc.put(&obj, dk::RELAY, url.as_str())?,
                None => self.doc.delete(&obj, dk::RELAY)?,
            }
            Ok(true)
        })();
        let written =
            self.finish_or_abort(result, || "set device endpoint and relay".to_owned(), now)?;
        self.touched.devices = true;
        Ok(written)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::VaultId;

    fn device(n: u8) -> DeviceId {
        DeviceId::from_bytes([n; 32])
    }

    #[test]
    fn relay_is_unset_by_default_and_can_be_set_and_cleared() {
        let mut v = Vault::create(device(1), "laptop", VaultId::from_u64(1), 1_000).unwrap();
        assert_eq!(v.relay().unwrap(), None);
        assert!(v
            .set_relay(Some("https://relay.example.org"), 2_000)
            .unwrap());
        assert!(!v
            .set_relay(Some("https://relay.example.org"), 3_000)
            .unwrap());
        assert_eq!(
            v.relay().unwrap().as_deref(),
            Some("https://relay.example.org")
        );
        assert!(v.set_relay(None, 4_000).unwrap());
        assert_eq!(v.relay().unwrap(), None);
        assert!(v.set_relay(Some("not a url"), 5_000).is_err());
    }

    #[test]
    fn a_device_writes_its_reach_into_its_own_record() {
        let mut v = Vault::create(device(1), "laptop", VaultId::from_u64(1), 1_000).unwrap();
        let reach = Reach {
            endpoint: EndpointId::from_bytes([9; 32]),
            relay: Some("https://relay.example.org".to_owned()),
        };
        assert!(v.set_reach(device(1), &reach, 2_000).unwrap());
        assert!(!v.set_reach(device(1), &reach, 3_000).unwrap());
        assert_eq!(v.reaches().unwrap().get(&device(1)), Some(&reach));
        let no_relay = Reach {
            relay: None,
            ..reach
        };
        assert!(v.set_reach(device(1), &no_relay, 4_000).unwrap());
        assert_eq!(v.reaches().unwrap().get(&device(1)), Some(&no_relay));
        assert!(matches!(
            v.set_reach(device(2), &no_relay, 5_000),
            Err(EditError::NoSuchDevice(_))
        ));
    }
}
