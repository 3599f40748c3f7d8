//! How `show` says who set each field: the device that wrote the operation holding the value
//! and the time of its change, as the read view keeps them.

use super::conflicts::device_label;
use crate::time;
use rapport_model::{Device, DeviceId, Origin};

pub struct Provenance<'a> {
    origins: &'a [Origin],
    devices: &'a [Device],
    me: DeviceId,
}

impl<'a> Provenance<'a> {
    pub fn new(origins: &'a [Origin], devices: &'a [Device], me: DeviceId) -> Self {
        Provenance {
            origins,
            devices,
            me,
        }
    }

    /// The most recent origin among `keys`; a key ending in `:` stands for every member of
    /// that set (the row shows the set, so it shows who last added to it).
    fn latest(&self, keys: &[&str]) -> Option<&'a Origin> {
        self.origins
            .iter()
            .filter(|o| {
                keys.iter().any(|k| {
                    if k.ends_with(':') {
                        o.key.starts_with(k)
                    } else {
                        o.key == *k
                    }
                })
            })
            .max_by_key(|o| o.at)
    }

    /// `  · phone, 2026-11-26 09:01`, or nothing when unknown.
    pub fn suffix(&self, keys: &[&str]) -> String {
        match self.latest(keys) {
            Some(o) => format!(
                "  · {}{}",
                device_label(self.devices, self.me, o.device),
                o.at.map(|t| format!(", {}", time::local(t)))
                    .unwrap_or_default()
            ),
            None => String::new(),
        }
    }

    /// Adds `"provenance": {key: {device, device_name, at}}` to a contact's JSON object.
    pub fn add_to_json(&self, mut value: serde_json::Value) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .origins
            .iter()
            .map(|o| {
                (
                    o.key.clone(),
                    serde_json::json!({
                        "device": o.device.map(|d| d.to_string()),
                        "device_name": device_label(self.devices, self.me, o.device),
                        "at": o.at.map(time::rfc3339),
                    }),
                )
            })
            .collect();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("provenance".to_owned(), serde_json::Value::Object(map));
        }
        value
    }
}
