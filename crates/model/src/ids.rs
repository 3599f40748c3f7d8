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
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(u64);

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
}
