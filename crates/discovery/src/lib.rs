//! Finding a vault's other devices, and a pairing device, on the local network (mDNS), without
//! telling strangers in the room who is there.
//!
//! - `beacon` (pure): the rotating beacons. A device of a vault announces a keyed blake3 of the
//!   vault's LAN secret and the time window; a pairing device announces one derived from the
//!   pairing nameplate only. Only holders of the key can recognise a beacon.
//! - `mdns` (I/O): announcing beacons (`Lan::announce`, re-announced at every window) and
//!   browsing (`Lan::browse`, `Lan::find`) with `mdns-sd`.
//!
//! This crate knows nothing of vaults, devices or QUIC: the binary passes keys in and gets
//! socket addresses out, and authenticates whoever answers there with TLS as usual. A beacon
//! only says "try this address"; it never grants trust.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod beacon;
pub mod mdns;

pub use beacon::{Beacon, BeaconKey, Window, WINDOW_SECS};
pub use mdns::{Addresses, Announcement, Browser, Lan, LanError, Sighting, SERVICE_TYPE};
