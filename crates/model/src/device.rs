//! Device ids: who a device is, as far as sync is concerned.
//!
//! A device id is the blake3 hash of the DER `SubjectPublicKeyInfo` of the device's TLS key. Sync
//! pins peers by this id (mutual TLS, no certificate authority), so an id names a key, not a
//! certificate: a device may re-issue its certificate and keep its id.
//!
//! People read ids aloud and type them from one screen into another, so the display form follows
//! Syncthing's: base32 with a check character after every 13 characters, in dash-separated groups
//! of 7. A single mistyped character is always caught before it can pin the wrong key.

use data_encoding::{BASE32_NOPAD, HEXLOWER, HEXLOWER_PERMISSIVE};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The RFC 4648 base32 alphabet. A character's index here is its value for the check characters.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Base32 characters covered by one check character.
const CHUNK: usize = 13;
/// Base32 length of the 32 id bytes, without padding.
const BASE32_LEN: usize = 52;
/// Length of the display form without separators: 4 chunks of 13 characters plus 1 check each.
const CHECKED_LEN: usize = BASE32_LEN + BASE32_LEN / CHUNK;
/// Characters per dash-separated group in the display form.
const GROUP: usize = 7;
/// Length of the hex form.
const HEX_LEN: usize = 64;

/// The id of a device: blake3 of its TLS `SubjectPublicKeyInfo` DER.
///
/// `Display` gives the checked, grouped form (`XXXXXXX-XXXXXXX-...`, 8 groups of 7); `FromStr`
/// accepts that form in any case, with or without separators, and the 64-character hex form.
/// Serde uses the hex form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId([u8; 32]);

impl DeviceId {
    /// The id of the device whose TLS key has this DER `SubjectPublicKeyInfo` (the whole
    /// SEQUENCE, as rcgen's `subject_public_key_info()` and webpki's return it).
    pub fn from_spki(spki_der: &[u8]) -> DeviceId {
        DeviceId(*blake3::hash(spki_der).as_bytes())
    }

    /// An id from its raw 32 bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> DeviceId {
        DeviceId(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64-character lowercase hex form, for storage and logs.
    pub fn to_hex(&self) -> String {
        HEXLOWER.encode(&self.0)
    }

    /// Parses exactly 64 hex digits (either case, no separators).
    pub fn from_hex(hex: &str) -> Result<DeviceId, ParseDeviceIdError> {
        let found = hex.chars().count();
        if found != HEX_LEN {
            return Err(ParseDeviceIdError::WrongLength { found });
        }
        if let Some((position, found)) = hex
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(ParseDeviceIdError::BadHexCharacter {
                found,
                position: position + 1,
            });
        }
        // All 64 characters are ASCII hex digits (checked above, to name a bad one in the
        // error by its character position), so this decodes; an error would still be typed.
        let mut bytes = [0u8; 32];
        HEXLOWER_PERMISSIVE
            .decode_mut(hex.as_bytes(), &mut bytes)
            .map_err(|e| ParseDeviceIdError::BadHexCharacter {
                found: hex.chars().nth(e.error.position).unwrap_or_default(),
                position: e.error.position + 1,
            })?;
        Ok(DeviceId(bytes))
    }

    /// The first group of the display form (7 characters, 35 bits), for compact display where
    /// the full id does not fit. Not unique enough to pin a device: never parse it back.
    pub fn short(&self) -> String {
        let checked = self.checked_form();
        String::from_utf8_lossy(&checked[..GROUP]).into_owned()
    }

    /// The 56 characters of the display form, without separators: each 13-character chunk of
    /// the base32 encoding followed by its check character.
    fn checked_form(&self) -> [u8; CHECKED_LEN] {
        let base32 = BASE32_NOPAD.encode(&self.0);
        let mut out = [0u8; CHECKED_LEN];
        for (chunk, dest) in base32
            .as_bytes()
            .chunks(CHUNK)
            .zip(out.chunks_mut(CHUNK + 1))
        {
            dest[..CHUNK].copy_from_slice(chunk);
            // The base32 encoder only emits alphabet characters.
            let values = chunk.iter().map(|&c| base32_value(c).unwrap_or(0));
            dest[CHUNK] = ALPHABET[usize::from(luhn32_check(values))];
        }
        out
    }

    /// Parses the 56-character checked form, already stripped of separators.
    fn from_checked(compact: &[char]) -> Result<DeviceId, ParseDeviceIdError> {
        let mut values = [0u8; CHECKED_LEN];
        for (i, (&c, value)) in compact.iter().zip(values.iter_mut()).enumerate() {
            *value = u8::try_from(c.to_ascii_uppercase())
                .ok()
                .and_then(base32_value)
                .ok_or(ParseDeviceIdError::BadCharacter {
                    found: c,
                    group: i / GROUP + 1,
                })?;
        }
        let mut base32 = Vec::with_capacity(BASE32_LEN);
        for (chunk_index, chunk) in values.chunks(CHUNK + 1).enumerate() {
            let (data, check) = chunk.split_at(CHUNK);
            if luhn32_check(data.iter().copied()) != check[0] {
                // Chunk k (from 0) spans groups 2k+1 and 2k+2 and ends with its check character.
                return Err(ParseDeviceIdError::WrongCheck {
                    first_group: 2 * chunk_index + 1,
                    last_group: 2 * chunk_index + 2,
                });
            }
            base32.extend(data.iter().map(|&v| ALPHABET[usize::from(v)]));
        }
        // 52 base32 characters always decode to 32 bytes except when the last character has
        // non-zero trailing bits (then the id was not produced by `Display`).
        let decoded = BASE32_NOPAD
            .decode(&base32)
            .map_err(|_| ParseDeviceIdError::NotCanonical)?;
        let bytes = <[u8; 32]>::try_from(decoded.as_slice())
            .map_err(|_| ParseDeviceIdError::NotCanonical)?;
        Ok(DeviceId(bytes))
    }
}

/// The check character value (0..32) for `values` (each 0..32), by the Luhn mod N algorithm
/// with N = 32.
///
/// This is the textbook Luhn mod N: walking from the rightmost character to the left, the
/// factor alternates 2, 1, 2, ... starting with 2 on the rightmost; each product is folded to
/// `p / 32 + p % 32`; the check value brings the sum to a multiple of 32. Equivalently, a
/// chunk followed by its check character sums to 0 mod 32 when the factors run 1, 2, 1, ...
/// from the right (the check character gets 1).
///
/// Syncthing's `luhn32` differs: it starts with factor 1 on the *leftmost* character, so for a
/// 13-character chunk its factors are the opposite of ours and its check characters differ.
/// Syncthing ids are not Rapport ids anyway (different hash), so we use the textbook form.
///
/// Any single substituted character is detected: with factor 1 a change of value changes the
/// sum; with factor 2 the fold `c -> 2c / 32 + 2c % 32` maps 0..16 to the even numbers and
/// 16..32 to the odd ones, a permutation of 0..32, so a change of value changes the sum too
/// (and a changed check character no longer matches). Adjacent transpositions are detected
/// except for `A` <-> `7` (values 0 and 31), as in every Luhn mod N.
fn luhn32_check(values: impl DoubleEndedIterator<Item = u8>) -> u8 {
    const N: u32 = 32;
    let mut factor = 2;
    let mut sum = 0;
    for value in values.rev() {
        let product = factor * u32::from(value);
        sum += product / N + product % N;
        factor = 3 - factor;
    }
    // < 32, so the cast cannot truncate.
    ((N - sum % N) % N) as u8
}

/// The value of an uppercase base32 character, or `None` if it is not in the alphabet.
fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.checked_form().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(&String::from_utf8_lossy(group))?;
        }
        Ok(())
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({})", self.short())
    }
}

/// Why a string is not a device id. Each message tells the user what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseDeviceIdError {
    /// Nothing but separators and spaces.
    #[error(
        "the device id is empty: paste the id that `rapport device` shows on the other device"
    )]
    Empty,
    /// Neither 56 characters (display form) nor 64 (hex form), not counting separators.
    #[error(
        "the device id has {found} characters but needs 56 (or 64 hex digits), not counting dashes: \
         copy the whole id again from `rapport device` on that device"
    )]
    WrongLength {
        /// Characters found, not counting dashes and spaces.
        found: usize,
    },
    /// A character outside the base32 alphabet in the display form.
    #[error(
        "the device id contains {found:?} in group {group}, but ids use only letters A-Z and \
         digits 2-7 (never 0, 1, 8 or 9: did you mean O, I or B?): check group {group} against \
         `rapport device` on that device"
    )]
    BadCharacter {
        /// The offending character.
        found: char,
        /// The dash-separated group it is in, counting from 1.
        group: usize,
    },
    /// A check character does not match: some character in these groups is mistyped.
    #[error(
        "the device id has a typo in group {first_group} or {last_group} (the check character at \
         the end of group {last_group} does not match): copy the id again from `rapport device` \
         on that device"
    )]
    WrongCheck {
        /// First group of the failing chunk, counting from 1.
        first_group: usize,
        /// Last group of the failing chunk, ending with its check character.
        last_group: usize,
    },
    /// The 64-character form has a non-hex character.
    #[error(
        "the hex device id contains {found:?} at position {position}, which is not a hex digit \
         (0-9, a-f): copy the 64-character id again"
    )]
    BadHexCharacter {
        /// The offending character.
        found: char,
        /// Its position, counting from 1.
        position: usize,
    },
    /// Passes the checks but the last base32 character has stray low bits, so no device shows
    /// this id.
    #[error(
        "the device id is not one that any device shows (its last group is wrong): copy the id \
         again from `rapport device` on that device"
    )]
    NotCanonical,
}

impl FromStr for DeviceId {
    type Err = ParseDeviceIdError;

    /// Accepts the display form (any case, with or without dashes or spaces) and the hex form.
    fn from_str(s: &str) -> Result<DeviceId, ParseDeviceIdError> {
        let compact: Vec<char> = s
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .collect();
        match compact.len() {
            0 => Err(ParseDeviceIdError::Empty),
            CHECKED_LEN => DeviceId::from_checked(&compact),
            HEX_LEN => DeviceId::from_hex(&compact.iter().collect::<String>()),
            found => Err(ParseDeviceIdError::WrongLength { found }),
        }
    }
}

impl Serialize for DeviceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Hex for people and JSON; the raw 32 bytes for binary formats such as the store's
        // read view, where 100k interactions each carry an author.
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_hex())
        } else {
            serializer.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    /// Accepts whatever `FromStr` accepts; `Serialize` always writes hex.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DeviceId, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DeviceId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a device id (64 hex digits)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DeviceId, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<DeviceId, E> {
                <[u8; 32]>::try_from(v)
                    .map(DeviceId)
                    .map_err(|_| E::invalid_length(v.len(), &self))
            }
        }
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(Visitor)
        } else {
            deserializer.deserialize_bytes(Visitor)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample(seed: u8) -> DeviceId {
        DeviceId::from_spki(&[seed; 91])
    }

    /// Validation written the other way round: over a chunk followed by its check character,
    /// factors 1, 2, 1, ... from the right must give a sum that is 0 mod 32.
    fn chunk_is_valid(chunk: &[u8]) -> bool {
        let sum: u32 = chunk
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &c)| {
                let v = u32::from(base32_value(c).unwrap_or(255));
                let p = if i % 2 == 0 { v } else { 2 * v };
                p / 32 + p % 32
            })
            .sum();
        // Not `is_multiple_of`: the workspace MSRV (1.85) predates it.
        let remainder = sum % 32;
        remainder == 0
    }

    #[test]
    fn display_has_eight_groups_of_seven_with_valid_checks() {
        let id = sample(1);
        let shown = id.to_string();
        assert_eq!(shown.len(), 63);
        let groups: Vec<&str> = shown.split('-').collect();
        assert_eq!(groups.len(), 8);
        assert!(groups.iter().all(|g| g.len() == 7));
        assert!(shown.bytes().all(|c| c == b'-' || ALPHABET.contains(&c)));
        assert_eq!(id.short(), groups[0]);
        let compact: String = groups.concat();
        // The data characters are the plain base32 encoding.
        let data: String = compact
            .as_bytes()
            .chunks(14)
            .map(|c| String::from_utf8_lossy(&c[..13]).into_owned())
            .collect();
        assert_eq!(data, BASE32_NOPAD.encode(id.as_bytes()));
        for chunk in compact.as_bytes().chunks(14) {
            assert!(chunk_is_valid(chunk), "{}", String::from_utf8_lossy(chunk));
        }
    }

    #[test]
    fn luhn_check_known_values() {
        // All zeros ("AAAA...") need check value 0; a single 1 in the rightmost place is doubled
        // (2), so the check is 30; in the place before it counts once, so the check is 31.
        assert_eq!(luhn32_check([0u8; 13].into_iter()), 0);
        let mut v = [0u8; 13];
        v[12] = 1;
        assert_eq!(luhn32_check(v.into_iter()), 30);
        v = [0u8; 13];
        v[11] = 1;
        assert_eq!(luhn32_check(v.into_iter()), 31);
        // 16 doubled is 32, folded to 1 + 0 = 1.
        v = [0u8; 13];
        v[12] = 16;
        assert_eq!(luhn32_check(v.into_iter()), 31);
    }

    #[test]
    fn doubling_fold_is_a_permutation() {
        let mut seen = [false; 32];
        for c in 0u32..32 {
            let p = 2 * c;
            seen[usize::try_from(p / 32 + p % 32).unwrap()] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn display_round_trips() {
        for seed in 0..=255u8 {
            let id = sample(seed);
            assert_eq!(id.to_string().parse::<DeviceId>(), Ok(id));
        }
        for bytes in [[0u8; 32], [0xff; 32]] {
            let id = DeviceId::from_bytes(bytes);
            assert_eq!(id.to_string().parse::<DeviceId>(), Ok(id));
        }
    }

    #[test]
    fn every_single_substitution_is_detected() {
        for seed in [0u8, 7, 200] {
            let shown = sample(seed).to_string();
            let original = shown.as_bytes();
            for pos in 0..original.len() {
                for &sub in ALPHABET.iter() {
                    if sub == original[pos] {
                        continue;
                    }
                    let mut typo = original.to_vec();
                    typo[pos] = sub;
                    let typo = String::from_utf8(typo).unwrap();
                    let err = typo.parse::<DeviceId>().unwrap_err();
                    if original[pos] == b'-' {
                        assert_eq!(err, ParseDeviceIdError::WrongLength { found: 57 });
                    } else {
                        // The typo is reported in the chunk that holds it.
                        let group = pos / 8 + 1;
                        match err {
                            ParseDeviceIdError::WrongCheck {
                                first_group,
                                last_group,
                            } => assert!(
                                (first_group..=last_group).contains(&group),
                                "{typo}: group {group}, reported {first_group}-{last_group}"
                            ),
                            other => panic!("{typo}: {other:?}"),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn lowercase_spaces_and_no_dashes_are_accepted() {
        let id = sample(42);
        let shown = id.to_string();
        let lower = shown.to_lowercase();
        let compact = shown.replace('-', "");
        let spaced = shown.replace('-', " ");
        for s in [
            lower,
            compact.clone(),
            compact.to_lowercase(),
            spaced,
            format!("  {shown}\n"),
        ] {
            assert_eq!(s.parse::<DeviceId>(), Ok(id), "{s}");
        }
    }

    #[test]
    fn hex_round_trips() {
        let id = sample(3);
        let hex = id.to_hex();
        assert_eq!(hex.len(), 64);
        assert!(hex
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_eq!(DeviceId::from_hex(&hex), Ok(id));
        assert_eq!(DeviceId::from_hex(&hex.to_uppercase()), Ok(id));
        assert_eq!(hex.parse::<DeviceId>(), Ok(id));
        assert_eq!(DeviceId::from_bytes([0xab; 32]).to_hex(), "ab".repeat(32));
        assert_eq!(
            DeviceId::from_hex(&"0123456789abcdef".repeat(4))
                .unwrap()
                .as_bytes()[..8],
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
        );
    }

    #[test]
    fn from_spki_is_blake3() {
        let spki = b"not really an spki";
        assert_eq!(
            DeviceId::from_spki(spki).as_bytes(),
            blake3::hash(spki).as_bytes()
        );
    }

    #[test]
    fn wrong_length_is_rejected() {
        let shown = sample(9).to_string();
        let compact = shown.replace('-', "");
        assert_eq!(
            compact[..55].parse::<DeviceId>(),
            Err(ParseDeviceIdError::WrongLength { found: 55 })
        );
        assert_eq!(
            format!("{compact}A").parse::<DeviceId>(),
            Err(ParseDeviceIdError::WrongLength { found: 57 })
        );
        // The unchecked 52-character base32 form is not accepted: it has no typo protection.
        let unchecked = BASE32_NOPAD.encode(sample(9).as_bytes());
        assert_eq!(
            unchecked.parse::<DeviceId>(),
            Err(ParseDeviceIdError::WrongLength { found: 52 })
        );
        let hex = sample(9).to_hex();
        assert_eq!(
            hex[..63].parse::<DeviceId>(),
            Err(ParseDeviceIdError::WrongLength { found: 63 })
        );
        assert_eq!(
            DeviceId::from_hex(&format!("{hex}0")),
            Err(ParseDeviceIdError::WrongLength { found: 65 })
        );
        assert_eq!("".parse::<DeviceId>(), Err(ParseDeviceIdError::Empty));
        assert_eq!(" - -".parse::<DeviceId>(), Err(ParseDeviceIdError::Empty));
    }

    #[test]
    fn bad_characters_are_rejected() {
        let shown = sample(5).to_string();
        for bad in ['0', '1', '8', '9', '!', 'é', '_'] {
            // Position 9 is the second character of group 2.
            let mut typo: Vec<char> = shown.chars().collect();
            typo[9] = bad;
            let typo: String = typo.into_iter().collect();
            assert_eq!(
                typo.parse::<DeviceId>(),
                Err(ParseDeviceIdError::BadCharacter {
                    found: bad,
                    group: 2
                }),
                "{typo}"
            );
        }
        let mut hex = sample(5).to_hex();
        hex.replace_range(10..11, "g");
        assert_eq!(
            hex.parse::<DeviceId>(),
            Err(ParseDeviceIdError::BadHexCharacter {
                found: 'g',
                position: 11
            })
        );
    }

    #[test]
    fn stray_trailing_bits_are_rejected() {
        // 52 base32 characters carry 260 bits; the last 4 must be zero. Set one of them and fix
        // up the check character so only the canonical-encoding check can catch it.
        let compact = sample(11).to_string().replace('-', "");
        let mut chars: Vec<u8> = compact.into_bytes();
        let last_data = 54;
        let value = base32_value(chars[last_data]).unwrap() | 1;
        chars[last_data] = ALPHABET[usize::from(value)];
        let data: Vec<u8> = chars[42..55]
            .iter()
            .map(|&c| base32_value(c).unwrap())
            .collect();
        chars[55] = ALPHABET[usize::from(luhn32_check(data.into_iter()))];
        let s = String::from_utf8(chars).unwrap();
        assert_eq!(s.parse::<DeviceId>(), Err(ParseDeviceIdError::NotCanonical));
    }

    #[test]
    fn serde_uses_hex() {
        let id = sample(8);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_hex()));
        assert_eq!(serde_json::from_str::<DeviceId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<DeviceId>("\"nope\"").is_err());
    }

    #[test]
    fn debug_shows_short_form() {
        let id = sample(4);
        assert_eq!(format!("{id:?}"), format!("DeviceId({})", id.short()));
        assert_eq!(id.short().len(), 7);
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let e = ParseDeviceIdError::WrongCheck {
            first_group: 3,
            last_group: 4,
        };
        let msg = e.to_string();
        assert!(msg.contains("group 3 or 4"), "{msg}");
        assert!(msg.contains("rapport device"), "{msg}");
    }
}
