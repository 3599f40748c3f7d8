//! Pairing a new device with a short one-time code, as a pure state machine.
//!
//! The joining device (A) and the pairing device (B, which holds the vault) run SPAKE2
//! (Ed25519 group, A/B roles) with the code's words as the password and its nameplate in both
//! identities. SPAKE2 alone does not fail on a wrong password, it just yields different keys,
//! so a key-confirmation round follows: each side sends a keyed blake3 MAC over both device ids
//! *as the TLS certificates of this very connection show them* and the vault id. A peer that
//! relays the exchange between two other TLS connections computes tags over the wrong ids.
//!
//! ```text
//! joiner                                   pairing device
//!   Start{spake_A}                    ->   consumes the code (one guess per code)
//!                                     <-   Reply{spake_B, vault id masked, tag_B}
//!   checks tag_B;
//!   Confirm{tag_A, endpoint, name}    ->   checks tag_A: adds the joiner (and its iroh
//!                                          endpoint id) to the roster
//!   (or Failed: the code is burned)   <-   Welcome (or Refused(WrongCode): burned)
//! ```
//!
//! The pairing device answers at most ONE SPAKE2 exchange per code: once it has sent a reply
//! derived from the password, the code either pairs that device or is burned (a failed
//! confirmation, a `Failed` from the joiner, or the joiner hanging up all burn it, since each
//! of them may have been a guess). An attacker therefore gets one online guess per code:
//! probability 2^-22 with two words from a 2,048-word list.
//!
//! No I/O: randomness and `now` are arguments.

mod code;
mod wire;

pub use code::{PairingCode, ParseCodeError, MAX_NAMEPLATE};
pub use wire::{Message, MessageReader, Refusal, MAX_MESSAGE, PAIR_VERSION};

use rand::{CryptoRng, RngCore};
use rapport_model::{DeviceId, EndpointId, VaultId};
use spake2::{Ed25519Group, Identity, Password, Spake2};

/// Why pairing did not happen, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PairError {
    #[error("the pairing code has expired: run `rapport pair` again for a new one")]
    Expired,
    #[error("this pairing code was already used: run `rapport pair` again for a new one")]
    Used,
    #[error("this pairing code is used up after a failed attempt: run `rapport pair` again for a new one")]
    Burned,
    #[error("the pairing code did not match, so it is now used up: run `rapport pair` again and type the new code carefully")]
    WrongCode,
    #[error("another device is pairing with this code right now: wait, or run `rapport pair` again for a new code")]
    Busy,
    #[error("the other device sent a malformed pairing message: check that both run the same rapport version")]
    Malformed,
    #[error("the other device speaks another pairing version: update rapport on both devices")]
    Version,
    #[error("the pairing device failed while adding this device: try `rapport pair` again")]
    Internal,
}

impl From<Refusal> for PairError {
    fn from(r: Refusal) -> PairError {
        match r {
            Refusal::Expired => PairError::Expired,
            Refusal::Used => PairError::Used,
            Refusal::Burned => PairError::Burned,
            Refusal::WrongCode => PairError::WrongCode,
            Refusal::Busy => PairError::Busy,
            Refusal::Malformed => PairError::Malformed,
            Refusal::Version => PairError::Version,
            Refusal::Internal => PairError::Internal,
        }
    }
}

impl PairError {
    /// What the pairing device tells the joiner.
    pub fn refusal(self) -> Refusal {
        match self {
            PairError::Expired => Refusal::Expired,
            PairError::Used => Refusal::Used,
            PairError::Burned => Refusal::Burned,
            PairError::WrongCode => Refusal::WrongCode,
            PairError::Busy => Refusal::Busy,
            PairError::Malformed => Refusal::Malformed,
            PairError::Version => Refusal::Version,
            PairError::Internal => Refusal::Internal,
        }
    }
}

fn identities(nameplate: u16) -> (Identity, Identity) {
    (
        Identity::new(format!("rapport-pair/1 nameplate {nameplate} joining device").as_bytes()),
        Identity::new(format!("rapport-pair/1 nameplate {nameplate} pairing device").as_bytes()),
    )
}

/// Keys derived from the SPAKE2 key: one for the tags, one to mask the vault id.
struct Keys {
    confirm: [u8; 32],
    mask: [u8; 8],
}

impl Keys {
    fn derive(spake_key: &[u8]) -> Keys {
        let confirm = blake3::derive_key("rapport-pair/1 key confirmation", spake_key);
        let full = blake3::derive_key("rapport-pair/1 vault id mask", spake_key);
        let mut mask = [0u8; 8];
        mask.copy_from_slice(&full[..8]);
        Keys { confirm, mask }
    }

    /// The tag of one side over both TLS device ids and the vault id; the joiner's tag also
    /// covers the endpoint id it announces, so the roster gets exactly the one it sent.
    fn tag(
        &self,
        side: &str,
        pairing: DeviceId,
        joining: DeviceId,
        vault: VaultId,
        endpoint: Option<EndpointId>,
    ) -> blake3::Hash {
        let mut h = blake3::Hasher::new_keyed(&self.confirm);
        h.update(side.as_bytes());
        h.update(pairing.as_bytes());
        h.update(joining.as_bytes());
        h.update(&vault.as_u64().to_be_bytes());
        match endpoint {
            Some(e) => h.update(&[1]).update(e.as_bytes()),
            None => h.update(&[0]),
        };
        h.finalize()
    }

    fn mask(&self, vault: VaultId) -> [u8; 8] {
        (vault.as_u64() ^ u64::from_be_bytes(self.mask)).to_be_bytes()
    }
}

const PAIRING_SIDE: &str = "pairing device";
const JOINING_SIDE: &str = "joining device";

/// The pairing device's side of one code's window.
pub struct Host {
    code: PairingCode,
    me: DeviceId,
    vault: VaultId,
    expires_at: u64,
    state: HostState,
}

enum HostState {
    Open,
    Waiting { keys: Keys, joiner: DeviceId },
    Paired,
    Burned,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("code", &self.code)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// A window for `code` that accepts a first message until `expires_at` (ms, caller's clock).
    pub fn new(code: PairingCode, me: DeviceId, vault: VaultId, expires_at: u64) -> Host {
        Host {
            code,
            me,
            vault,
            expires_at,
            state: HostState::Open,
        }
    }

    /// The joiner's first message, from the device its TLS certificate names. On success the
    /// code is consumed: it pairs this device or nobody.
    pub fn handle_start(
        &mut self,
        joiner: DeviceId,
        msg: &Message,
        now: u64,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Message, PairError> {
        let Message::Start { version, spake } = msg else {
            return Err(PairError::Malformed);
        };
        match self.state {
            HostState::Open => {}
            HostState::Waiting { .. } => return Err(PairError::Busy),
            HostState::Paired => return Err(PairError::Used),
            HostState::Burned => return Err(PairError::Burned),
        }
        if now >= self.expires_at {
            return Err(PairError::Expired);
        }
        if *version != PAIR_VERSION {
            return Err(PairError::Version);
        }
        let (id_a, id_b) = identities(self.code.nameplate());
        let password = Password::new(self.code.password().as_bytes());
        let (state, reply) =
            Spake2::<Ed25519Group>::start_b_with_rng(&password, &id_a, &id_b, &mut *rng);
        // A malformed point is refused before anything key-dependent leaves: no guess was made.
        let key = state.finish(spake).map_err(|_| PairError::Malformed)?;
        let keys = Keys::derive(&key);
        let tag = keys.tag(PAIRING_SIDE, self.me, joiner, self.vault, None);
        let masked_vault = keys.mask(self.vault);
        self.state = HostState::Waiting { keys, joiner };
        Ok(Message::Reply {
            spake: reply,
            masked_vault,
            tag: *tag.as_bytes(),
        })
    }

    /// The joiner's second message. `Ok`: add it to the roster, then send `Welcome`.
    pub fn handle_confirm(
        &mut self,
        joiner: DeviceId,
        msg: &Message,
    ) -> Result<Admission, PairError> {
        let HostState::Waiting {
            keys,
            joiner: expected,
        } = &self.state
        else {
            return Err(match self.state {
                HostState::Paired => PairError::Used,
                HostState::Burned => PairError::Burned,
                _ => PairError::Malformed,
            });
        };
        let result = match msg {
            Message::Confirm {
                tag,
                endpoint,
                name,
            } if *expected == joiner => {
                let want = keys.tag(JOINING_SIDE, self.me, joiner, self.vault, *endpoint);
                // blake3::Hash compares in constant time.
                if want == blake3::Hash::from_bytes(*tag) {
                    Ok(Admission {
                        name: name.clone(),
                        endpoint: *endpoint,
                    })
                } else {
                    Err(PairError::WrongCode)
                }
            }
            Message::Failed => Err(PairError::WrongCode),
            _ => Err(PairError::Malformed),
        };
        self.state = if result.is_ok() {
            HostState::Paired
        } else {
            HostState::Burned
        };
        result
    }

    /// The joiner went away mid-exchange: it may have learnt whether its guess was right from
    /// our tag, so the code is burned.
    pub fn abandon(&mut self) {
        if let HostState::Waiting { .. } = self.state {
            self.state = HostState::Burned;
        }
    }

    pub fn is_paired(&self) -> bool {
        matches!(self.state, HostState::Paired)
    }

    pub fn is_burned(&self) -> bool {
        matches!(self.state, HostState::Burned)
    }
}

/// What the pairing device learns of a joiner whose code was right: what to put in the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The name the joiner asked for (possibly empty).
    pub name: String,
    /// Its iroh endpoint id, written into its roster record at once, so the pairing device
    /// admits it beyond the LAN before the two sync again.
    pub endpoint: Option<EndpointId>,
}

/// The joining device's side.
pub struct Joiner {
    me: DeviceId,
    name: String,
    endpoint: Option<EndpointId>,
    state: Spake2<Ed25519Group>,
}

impl std::fmt::Debug for Joiner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joiner")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl Joiner {
    /// Starts pairing with `code`; returns the first message to send. `endpoint` is this
    /// device's iroh endpoint id, if it has that transport.
    pub fn start(
        code: &PairingCode,
        me: DeviceId,
        name: &str,
        endpoint: Option<EndpointId>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> (Joiner, Message) {
        let (id_a, id_b) = identities(code.nameplate());
        let password = Password::new(code.password().as_bytes());
        let (state, spake) =
            Spake2::<Ed25519Group>::start_a_with_rng(&password, &id_a, &id_b, &mut *rng);
        (
            Joiner {
                me,
                name: name.to_owned(),
                endpoint,
                state,
            },
            Message::Start {
                version: PAIR_VERSION,
                spake,
            },
        )
    }

    /// The pairing device's reply, from the device its TLS certificate names. On success,
    /// returns the `Confirm` to send and the vault being joined; on a wrong code, the caller
    /// sends `Message::Failed` (the code is burned on both sides).
    pub fn handle_reply(
        self,
        pairing: DeviceId,
        msg: &Message,
    ) -> Result<(Message, VaultId), PairError> {
        let (spake, masked_vault, tag) = match msg {
            Message::Reply {
                spake,
                masked_vault,
                tag,
            } => (spake, masked_vault, tag),
            Message::Refused(r) => return Err((*r).into()),
            _ => return Err(PairError::Malformed),
        };
        let key = self.state.finish(spake).map_err(|_| PairError::Malformed)?;
        let keys = Keys::derive(&key);
        let vault =
            VaultId::from_u64(u64::from_be_bytes(*masked_vault) ^ u64::from_be_bytes(keys.mask));
        if keys.tag(PAIRING_SIDE, pairing, self.me, vault, None) != blake3::Hash::from_bytes(*tag) {
            return Err(PairError::WrongCode);
        }
        let mine = keys.tag(JOINING_SIDE, pairing, self.me, vault, self.endpoint);
        Ok((
            Message::Confirm {
                tag: *mine.as_bytes(),
                endpoint: self.endpoint,
                name: self.name,
            },
            vault,
        ))
    }
}

#[cfg(test)]
mod tests;
