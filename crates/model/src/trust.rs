//! The trust scale: ordered, so `list --trust-at-least met` is a comparison.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How much the user trusts a contact, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustLevel {
    Stranger,
    Acquainted,
    Met,
    WorkedWith,
    Trusted,
}

impl TrustLevel {
    pub const ALL: [TrustLevel; 5] = [
        TrustLevel::Stranger,
        TrustLevel::Acquainted,
        TrustLevel::Met,
        TrustLevel::WorkedWith,
        TrustLevel::Trusted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrustLevel::Stranger => "stranger",
            TrustLevel::Acquainted => "acquainted",
            TrustLevel::Met => "met",
            TrustLevel::WorkedWith => "worked-with",
            TrustLevel::Trusted => "trusted",
        }
    }
}

impl fmt::Display for TrustLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown trust level; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trust level `{0}`: use one of stranger, acquainted, met, worked-with, trusted")]
pub struct ParseTrustError(pub String);

impl FromStr for TrustLevel {
    type Err = ParseTrustError;
    fn from_str(s: &str) -> Result<Self, ParseTrustError> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        TrustLevel::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| ParseTrustError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_levels_are_ordered_and_parse() {
        assert!(TrustLevel::Stranger < TrustLevel::Acquainted);
        assert!(TrustLevel::WorkedWith < TrustLevel::Trusted);
        assert_eq!("Worked_With".parse(), Ok(TrustLevel::WorkedWith));
        assert!("friend".parse::<TrustLevel>().is_err());
        for t in TrustLevel::ALL {
            assert_eq!(t.as_str().parse(), Ok(t));
        }
    }
}
