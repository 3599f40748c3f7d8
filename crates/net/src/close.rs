//! Why a connection was closed, as one code both ends agree on.
//!
//! QUIC carries an application close code with every close. Rapport gives each reason its own
//! code, so the other side can tell "revoked" from "busy" without reading the reason text.

use quinn::VarInt;

/// The application close codes of Rapport's connections (sync and pairing endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    /// The conversation finished normally.
    Done,
    /// The device is shutting down (its daemon stopped).
    ShuttingDown,
    /// The device runs as many sessions as it allows, in all or with this peer.
    Busy,
    /// A newer connection from the same device took this one's place (the old one was stale:
    /// its process was killed, or the machine slept).
    Replaced,
    /// The peer is no longer trusted: it was revoked, or this device left the vault.
    Revoked,
    /// The peer presented no device certificate.
    NoCertificate,
    /// The pairing exchange failed (wrong code, or the code was used up).
    PairingFailed,
    /// The pairing device refused this device.
    PairingRefused,
    /// A local-network probe learnt which device listens at an address, and hangs up.
    Identified,
    /// An iroh connection from an endpoint id that belongs to no trusted device of the roster
    /// (a stranger, or a revoked device), closed before any vault byte.
    Untrusted,
}

impl CloseCode {
    const ALL: [CloseCode; 10] = [
        CloseCode::Done,
        CloseCode::ShuttingDown,
        CloseCode::Busy,
        CloseCode::Replaced,
        CloseCode::Revoked,
        CloseCode::NoCertificate,
        CloseCode::PairingFailed,
        CloseCode::PairingRefused,
        CloseCode::Identified,
        CloseCode::Untrusted,
    ];

    /// The number on the wire. Stable: peers of other versions read it.
    pub fn code(self) -> u32 {
        match self {
            CloseCode::Done => 0,
            CloseCode::ShuttingDown => 1,
            CloseCode::Busy => 2,
            CloseCode::Replaced => 3,
            CloseCode::Revoked => 4,
            CloseCode::NoCertificate => 5,
            CloseCode::PairingFailed => 6,
            CloseCode::PairingRefused => 7,
            CloseCode::Identified => 8,
            CloseCode::Untrusted => 9,
        }
    }

    /// The code a peer sent; `None` for a number this version does not know.
    pub fn from_code(code: u64) -> Option<CloseCode> {
        CloseCode::ALL
            .into_iter()
            .find(|c| u64::from(c.code()) == code)
    }

    /// The reason text sent with the code (for packet captures and older peers' logs).
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::Done => "done",
            CloseCode::ShuttingDown => "shutting down",
            CloseCode::Busy => "too many sessions",
            CloseCode::Replaced => "replaced by a newer connection from this device",
            CloseCode::Revoked => "this device was revoked",
            CloseCode::NoCertificate => "no device certificate",
            CloseCode::PairingFailed => "pairing failed",
            CloseCode::PairingRefused => "pairing refused",
            CloseCode::Identified => "found on the local network",
            CloseCode::Untrusted => "this endpoint is not a device of the vault",
        }
    }

    pub(crate) fn varint(self) -> VarInt {
        VarInt::from_u32(self.code())
    }
}

impl std::fmt::Display for CloseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_and_round_trips() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CloseCode::ALL {
            assert!(seen.insert(c.code()), "{c:?} reuses code {}", c.code());
            assert_eq!(CloseCode::from_code(u64::from(c.code())), Some(c));
        }
        assert_eq!(CloseCode::from_code(999), None);
    }
}
