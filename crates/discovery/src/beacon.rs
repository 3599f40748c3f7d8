//! Beacons: the only thing a device puts on the local network. Pure: the time window and the
//! random nonce are arguments, so every rule here is unit-tested without I/O.
//!
//! A beacon is `nonce || tag`, written as one DNS label:
//! - `nonce`: 8 random bytes, new for every announcement (every window, every device). It keeps
//!   the mDNS instance names of two devices of one vault distinct (one name each, no conflict
//!   renaming) and makes two beacons of the same vault unlinkable to anyone without the key.
//! - `tag`: the first 10 bytes of a keyed blake3 of `window || nonce`, under a key derived
//!   (`blake3::derive_key`, one context string per kind) from:
//!   - the vault's 32-byte LAN secret, for a device of a vault (only the vault's devices hold it);
//!   - the pairing nameplate alone, for a pairing window. Never the code words: the nameplate is
//!     public by design, so a stranger learns nothing here that helps guess the secret part.
//!
//! Windows are `WINDOW_SECS` long; a browser accepts the previous, current and next window, so
//! clocks that disagree by up to one window still find each other.

use data_encoding::BASE32_DNSSEC;

/// How long one beacon lives: announcements rotate to a fresh nonce and tag at each boundary.
pub const WINDOW_SECS: u64 = 600;

const VAULT_CONTEXT: &str = "rapport 2026-11 lan beacon: vault devices v1";
const PAIRING_CONTEXT: &str = "rapport 2026-11 lan beacon: pairing nameplate v1";
const NONCE_LEN: usize = 8;
const TAG_LEN: usize = 10;
/// Length of a beacon label: base32 (lowercase, DNS-safe) of 18 bytes.
pub const LABEL_LEN: usize = (8 * (NONCE_LEN + TAG_LEN)).div_ceil(5);

/// A time window: Unix seconds divided by `WINDOW_SECS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window(pub u64);

impl Window {
    /// The window that holds `unix_secs`.
    pub fn at(unix_secs: u64) -> Window {
        Window(unix_secs / WINDOW_SECS)
    }

    /// The windows a browser accepts at this one: one either side, for clock skew.
    pub fn accepted(self) -> [Window; 3] {
        [
            Window(self.0.saturating_sub(1)),
            self,
            Window(self.0.saturating_add(1)),
        ]
    }
}

/// What a beacon proves knowledge of.
#[derive(Clone, PartialEq, Eq)]
pub enum BeaconKey {
    /// A device of the vault that holds this LAN secret.
    Vault([u8; 32]),
    /// A device offering a pairing window under this nameplate.
    Pairing(u16),
}

impl std::fmt::Debug for BeaconKey {
    // Never print the secret (logs, panics, test output).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BeaconKey::Vault(_) => f.write_str("Vault(<secret>)"),
            BeaconKey::Pairing(n) => write!(f, "Pairing({n})"),
        }
    }
}

impl BeaconKey {
    fn mac_key(&self) -> [u8; 32] {
        match self {
            BeaconKey::Vault(secret) => blake3::derive_key(VAULT_CONTEXT, secret),
            BeaconKey::Pairing(nameplate) => {
                blake3::derive_key(PAIRING_CONTEXT, &nameplate.to_be_bytes())
            }
        }
    }

    fn tag(&self, window: Window, nonce: &[u8; NONCE_LEN]) -> [u8; TAG_LEN] {
        let mut hasher = blake3::Hasher::new_keyed(&self.mac_key());
        hasher.update(&window.0.to_be_bytes());
        hasher.update(nonce);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&hasher.finalize().as_bytes()[..TAG_LEN]);
        tag
    }
}

/// One announced beacon, as it appears in an mDNS instance name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Beacon {
    nonce: [u8; NONCE_LEN],
    tag: [u8; TAG_LEN],
}

impl Beacon {
    /// The beacon for `key` in `window`, with a fresh random `nonce` chosen by the caller.
    pub fn derive(key: &BeaconKey, window: Window, nonce: [u8; NONCE_LEN]) -> Beacon {
        Beacon {
            nonce,
            tag: key.tag(window, &nonce),
        }
    }

    /// The DNS-safe label: lowercase base32 (`0-9a-v`), `LABEL_LEN` characters.
    pub fn label(&self) -> String {
        let mut bytes = [0u8; NONCE_LEN + TAG_LEN];
        bytes[..NONCE_LEN].copy_from_slice(&self.nonce);
        bytes[NONCE_LEN..].copy_from_slice(&self.tag);
        BASE32_DNSSEC.encode(&bytes)
    }

    /// Reads a label seen on the network; `None` for anything that is not a beacon (other
    /// software may use the service type too, and anyone can announce anything).
    pub fn parse(label: &str) -> Option<Beacon> {
        if label.len() != LABEL_LEN {
            return None;
        }
        let bytes = BASE32_DNSSEC.decode(label.as_bytes()).ok()?;
        let nonce: [u8; NONCE_LEN] = bytes.get(..NONCE_LEN)?.try_into().ok()?;
        let tag: [u8; TAG_LEN] = bytes.get(NONCE_LEN..)?.try_into().ok()?;
        let beacon = Beacon { nonce, tag };
        // Base32 has spare bits in the last character: insist on the one canonical spelling,
        // so one beacon has exactly one label.
        (beacon.label() == label).then_some(beacon)
    }

    /// The random part: lets a device skip its own announcements.
    pub fn nonce(&self) -> [u8; NONCE_LEN] {
        self.nonce
    }

    /// The index of the first key in `keys` this beacon was made with, in a window accepted
    /// at `now`; `None` if none (a stranger's beacon, or one too old or too new).
    pub fn recognise(&self, keys: &[BeaconKey], now: Window) -> Option<usize> {
        keys.iter().position(|key| {
            now.accepted()
                .iter()
                .any(|w| equal_in_constant_time(&key.tag(*w, &self.nonce), &self.tag))
        })
    }
}

/// Compares tags without an early exit, so timing says nothing about how much matched.
fn equal_in_constant_time(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];
    const OTHER: [u8; 32] = [8; 32];
    const NOW: Window = Window(2_966_000);

    fn vault() -> BeaconKey {
        BeaconKey::Vault(SECRET)
    }

    #[test]
    fn window_boundaries_fall_every_ten_minutes() {
        assert_eq!(Window::at(0), Window(0));
        assert_eq!(Window::at(599), Window(0));
        assert_eq!(Window::at(600), Window(1));
        assert_eq!(
            Window(0).accepted(),
            [Window(0), Window(0), Window(1)],
            "no underflow at the epoch"
        );
    }

    #[test]
    fn a_label_is_one_short_lowercase_dns_label_that_parses_back() {
        let beacon = Beacon::derive(&vault(), NOW, [1, 2, 3, 4, 5, 6, 7, 8]);
        let label = beacon.label();
        assert_eq!(label.len(), LABEL_LEN);
        assert!(label.len() <= 63);
        assert!(label
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert_eq!(Beacon::parse(&label), Some(beacon));
    }

    #[test]
    fn a_device_of_the_vault_recognises_the_beacon_in_adjacent_windows_only() {
        let beacon = Beacon::derive(&vault(), NOW, [9; 8]);
        let keys = [BeaconKey::Vault(OTHER), vault()];
        for now in [Window(NOW.0 - 1), NOW, Window(NOW.0 + 1)] {
            assert_eq!(beacon.recognise(&keys, now), Some(1), "at {now:?}");
        }
        for now in [Window(NOW.0 - 2), Window(NOW.0 + 2), Window(0)] {
            assert_eq!(beacon.recognise(&keys, now), None, "at {now:?}");
        }
    }

    #[test]
    fn a_stranger_without_the_secret_cannot_recognise_the_beacon() {
        let beacon = Beacon::derive(&vault(), NOW, [9; 8]);
        let mut wrong = SECRET;
        wrong[31] ^= 1;
        let guesses: Vec<BeaconKey> = (0..=999)
            .map(BeaconKey::Pairing)
            .chain([BeaconKey::Vault(wrong), BeaconKey::Vault([0; 32])])
            .collect();
        assert_eq!(beacon.recognise(&guesses, NOW), None);
    }

    #[test]
    fn two_beacons_of_one_vault_share_nothing_visible() {
        // New nonce per announcement: neither the label nor its tag repeats, so a stranger
        // cannot link two devices, or one device across windows.
        let a = Beacon::derive(&vault(), NOW, [1; 8]);
        let b = Beacon::derive(&vault(), NOW, [2; 8]);
        let c = Beacon::derive(&vault(), Window(NOW.0 + 1), [1; 8]);
        assert_ne!(a.tag, b.tag);
        assert_ne!(a.tag, c.tag);
        assert_ne!(a.label(), b.label());
        assert_ne!(a.label()[..13], b.label()[..13]);
        assert_eq!(Beacon::derive(&vault(), NOW, [1; 8]), a, "deterministic");
    }

    #[test]
    fn a_pairing_beacon_is_found_by_its_nameplate_and_no_other() {
        let beacon = Beacon::derive(&BeaconKey::Pairing(7), NOW, [3; 8]);
        assert_eq!(beacon.recognise(&[BeaconKey::Pairing(7)], NOW), Some(0));
        assert_eq!(beacon.recognise(&[BeaconKey::Pairing(8)], NOW), None);
        assert_eq!(beacon.recognise(&[BeaconKey::Pairing(70)], NOW), None);
        assert_eq!(beacon.recognise(&[vault()], NOW), None);
    }

    #[test]
    fn vault_and_pairing_keys_are_separated_by_context() {
        // A secret whose first bytes spell a nameplate must not collide with that nameplate.
        let mut secret = [0u8; 32];
        secret[..2].copy_from_slice(&7u16.to_be_bytes());
        assert_ne!(
            BeaconKey::Vault(secret).mac_key(),
            BeaconKey::Pairing(7).mac_key()
        );
    }

    #[test]
    fn anything_that_is_not_a_canonical_beacon_label_is_ignored() {
        let label = Beacon::derive(&vault(), NOW, [4; 8]).label();
        assert_eq!(Beacon::parse(""), None);
        assert_eq!(Beacon::parse("my-printer"), None);
        assert_eq!(Beacon::parse(&label.to_uppercase()), None);
        assert_eq!(Beacon::parse(&format!("{label}0")), None);
        assert_eq!(Beacon::parse(&label[1..]), None);
        assert_eq!(Beacon::parse(&"z".repeat(LABEL_LEN)), None);
        // Same decoded bytes, different spare bits in the last character.
        let last = label.chars().last().unwrap_or('0');
        let twin = format!(
            "{}{}",
            &label[..LABEL_LEN - 1],
            if last == '0' { '1' } else { '0' }
        );
        if let Some(b) = Beacon::parse(&twin) {
            assert_ne!(b.label(), label);
        }
    }

    #[test]
    fn the_debug_form_never_shows_the_secret() {
        let shown = format!("{:?}", vault());
        assert!(!shown.contains('7'), "{shown}");
    }
}
