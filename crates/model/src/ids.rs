//! Random record ids. Records live in maps keyed by these ids (never in bare lists), so two
//! devices that create records offline can never collide on a key and lose one whole record.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a string is not a record id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid id: ids are 16 lowercase hex characters, as `rapport list` prints them"
)]
pub struct ParseIdError(pub String);

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        // Stored and sent as its 16-character hex string. Written from a buffer on the stack
        // and read from the input's own bytes: going through an owned `String` (serde's
        // `try_from`/`into`) allocated twice per id, and a timeline holds several per
        // interaction.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(hex16(self.0, &mut [0; 16]))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$name, E> {
                        s.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }

        impl $name {
            /// A fresh random id. 64 random bits: a collision needs ~4 billion records in one vault.
            pub fn random(rng: &mut impl RngCore) -> Self {
                Self(rng.next_u64())
            }

            /// From the raw value (wire formats, deterministic tests).
            pub const fn from_u64(v: u64) -> Self {
                Self(v)
            }

            /// The raw value.
            pub const fn as_u64(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:016x}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:016x})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, ParseIdError> {
                let valid = s.len() == 16
                    && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !valid {
                    return Err(ParseIdError(s.to_owned()));
                }
                u64::from_str_radix(s, 16).map(Self).map_err(|_| ParseIdError(s.to_owned()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseIdError;
            fn try_from(s: String) -> Result<Self, ParseIdError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
    };
}

/// `v` as 16 lowercase hex digits, written into `buf`: what `Display` writes.
fn hex16(v: u64, buf: &mut [u8; 16]) -> &str {
    data_encoding::HEXLOWER.encode_mut(&v.to_be_bytes(), buf);
    // Only ASCII digits were written.
    std::str::from_utf8(buf).unwrap_or_default()
}

record_id!(
    /// Identifies a contact within a vault.
    ContactId
);
record_id!(
    /// Identifies an interaction (a note, call, meeting...) within a vault.
    InteractionId
);
record_id!(
    /// Identifies a group within a vault.
    GroupId
);
record_id!(
    /// Identifies a vault (an address book) across all the devices that hold it.
    VaultId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_display_round_trips_and_rejects_garbage() {
        let id = ContactId::from_u64(0x00ab_cdef_0123_4567);
        assert_eq!(id.to_string(), "00abcdef01234567");
        assert_eq!(id.to_string().parse::<ContactId>(), Ok(id));
        assert!("00ABCDEF01234567".parse::<ContactId>().is_err());
        assert!("abc".parse::<ContactId>().is_err());
        assert!("+0abcdef01234567".parse::<ContactId>().is_err());
    }

    /// The string an id was stored as before its serde impls were written by hand.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct AsString(String);

    #[test]
    fn ids_are_stored_as_their_hex_strings_and_refused_when_not_one() {
        for v in [0, 1, 0x00ab_cdef_0123_4567, u64::MAX, 0xf0e1_d2c3_b4a5_9687] {
            let id = InteractionId::from_u64(v);
            let old = AsString(id.to_string());
            let bytes = postcard::to_allocvec(&id).unwrap();
            assert_eq!(bytes, postcard::to_allocvec(&old).unwrap());
            assert_eq!(postcard::from_bytes::<InteractionId>(&bytes).unwrap(), id);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{v:016x}\""));
            assert_eq!(serde_json::from_str::<InteractionId>(&json).unwrap(), id);
            // An escaped string is handed over unborrowed: still read.
            let escaped = json.replacen('a', "\\u0061", 1);
            assert_eq!(serde_json::from_str::<InteractionId>(&escaped).unwrap(), id);
        }
        for bad in ["\"00ABCDEF01234567\"", "\"abc\"", "17", "null", "[]"] {
            assert!(serde_json::from_str::<ContactId>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<ContactId>("\"abc\"").unwrap_err();
        assert!(err.to_string().contains("`abc` is not a valid id"), "{err}");
        let short = postcard::to_allocvec(&AsString("abc".into())).unwrap();
        assert!(postcard::from_bytes::<ContactId>(&short).is_err());
    }
}
