//! The browser's side of the two exchanges that come before any vault byte, as pure state:
//! the proof of key (`rapport_sync::browser`) and the pairing joiner (`rapport_sync::pairing`,
//! the same SPAKE2 as every native joiner). The signature itself is made by the Worker with the
//! browser's non-extractable WebCrypto key; this code only says what to sign and checks what
//! the daemon answers.

use crate::error::LinkError;
use rapport_model::{DeviceId, VaultId};
use rapport_sync::browser::{
    Challenge, Message, MessageReader, Purpose, Reach, Refusal, PROOF_VERSION, SIGNATURE_LEN,
};
use rapport_sync::pairing::{self, Joiner, PairError, PairingCode};

/// What the Worker does next in the proof of key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofStep {
    /// No whole message yet: read more.
    Wait,
    /// Sign these bytes (ECDSA P-256 SHA-256, P1363) and send [`Proof::proof_message`].
    Sign(Vec<u8>),
    /// The daemon accepted this browser; `rest` is what already arrived after the verdict
    /// (for a pairing; a sync's first stream goes on with [`ProofStep::Reach`]).
    Accepted { rest: Vec<u8> },
    /// After a sync's `Accepted`: where the daemon serves WebTransport now and the hashes to
    /// pin from now on. Replaces what the browser kept.
    Reach(Reach),
}

/// One proof of key, from `Open` to the verdict.
#[derive(Debug)]
pub struct Proof {
    reader: MessageReader,
    purpose: Purpose,
    me: DeviceId,
    pinned: Vec<[u8; 32]>,
    challenge: Option<Challenge>,
    accepted: bool,
}

fn refusal(r: Refusal) -> LinkError {
    LinkError::Refused(match r {
        Refusal::Version => "that device runs another version of Rapport: update the older one",
        Refusal::BadProof => "that device could not verify this browser's key: reload the app and try again",
        Refusal::Untrusted => "this browser is not a device of that vault (never paired, or revoked): pair it with a new code",
        Refusal::NoPairing => "no pairing window is open there: run `rapport pair` on that device (or open Devices in its web app) and type the new code",
    })
}

impl Proof {
    /// A proof for `purpose` by the key whose SPKI is `spki`, refusing to sign for any
    /// certificate but the `pinned` hashes (the ones `serverCertificateHashes` pinned).
    pub fn new(purpose: Purpose, spki: &[u8], pinned: Vec<[u8; 32]>) -> Proof {
        Proof {
            reader: MessageReader::default(),
            purpose,
            me: DeviceId::from_spki(spki),
            pinned,
            challenge: None,
            accepted: false,
        }
    }

    /// The first message, `Open`.
    pub fn open_message(&self) -> Vec<u8> {
        Message::Open {
            version: PROOF_VERSION,
            purpose: self.purpose,
        }
        .encode()
    }

    /// Bytes from the daemon on the first stream (empty to read what is already buffered).
    pub fn push(&mut self, bytes: &[u8]) -> Result<ProofStep, LinkError> {
        self.reader
            .push(bytes)
            .map_err(|e| LinkError::Malformed(e.to_string()))?;
        let msg = self
            .reader
            .next_message()
            .map_err(|e| LinkError::Malformed(e.to_string()))?;
        match (msg, self.challenge) {
            (None, _) => Ok(ProofStep::Wait),
            (Some(Message::Challenge(c)), None) => {
                // A signature bound to a certificate we did not pin proves nothing about whom
                // this browser talks to.
                if !self.pinned.contains(&c.cert_hash) {
                    return Err(LinkError::Unpinned);
                }
                self.challenge = Some(c);
                Ok(ProofStep::Sign(c.signed_message()))
            }
            (Some(Message::Accepted { device }), Some(_))
                if device == self.me && !self.accepted =>
            {
                self.accepted = true;
                // A pairing's next bytes are SPAKE2's; a sync's are this protocol's `Reach`.
                let rest = match self.purpose {
                    Purpose::Pair => self.reader.take_rest(),
                    Purpose::Sync => Vec::new(),
                };
                Ok(ProofStep::Accepted { rest })
            }
            (Some(Message::Reach(r)), Some(_))
                if self.accepted && self.purpose == Purpose::Sync =>
            {
                Ok(ProofStep::Reach(r))
            }
            (Some(Message::Accepted { .. }), Some(_)) => Err(LinkError::Malformed(
                "the daemon accepted another device id than this browser's".into(),
            )),
            (Some(Message::Refused(r)), _) => Err(refusal(r)),
            (Some(other), _) => Err(LinkError::Malformed(format!("unexpected {other:?}"))),
        }
    }

    /// `Proof { spki, signature }`, once the Worker signed the challenge.
    pub fn proof_message(spki: &[u8], signature: &[u8]) -> Result<Vec<u8>, LinkError> {
        let signature: [u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| LinkError::BadInput("a P-256 signature is 64 bytes (r || s)".into()))?;
        Ok(Message::Proof {
            spki: spki.to_vec(),
            signature,
        }
        .encode())
    }

    /// The daemon's device id and vault, from its challenge.
    pub fn challenge(&self) -> Option<(DeviceId, VaultId)> {
        self.challenge.map(|c| (c.daemon, c.vault))
    }
}

/// What the Worker does next in a pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairStep {
    Wait,
    /// Send these bytes (the key confirmation) and read on.
    Send(Vec<u8>),
    /// The code was wrong: send these bytes (`Failed`, which burns the code on both sides),
    /// then stop with the error.
    Fail(Vec<u8>, PairError),
    /// In the roster of `vault`: fetch it on a new stream.
    Welcome(VaultId),
}

/// The joiner's side of one pairing, bound to the browser's proven id and the daemon's id
/// from the challenge (the ids the key confirmation covers). No iroh endpoint: a browser
/// reaches its daemons over WebTransport only.
#[derive(Debug)]
pub struct Pairing {
    joiner: Option<Joiner>,
    reader: pairing::MessageReader,
    daemon: DeviceId,
    vault: Option<VaultId>,
}

impl Pairing {
    /// Starts with the code the user typed; returns the first message. `rest` is what the
    /// proof's reader already held after the verdict.
    pub fn start(
        code: &str,
        spki: &[u8],
        name: &str,
        daemon: DeviceId,
        rest: &[u8],
    ) -> Result<(Pairing, Vec<u8>), LinkError> {
        let code: PairingCode = code
            .parse()
            .map_err(|e: pairing::ParseCodeError| LinkError::BadInput(e.to_string()))?;
        let me = DeviceId::from_spki(spki);
        let (joiner, start) = Joiner::start(&code, me, name, None, &mut rand::thread_rng());
        let mut reader = pairing::MessageReader::default();
        reader.push(rest)?;
        Ok((
            Pairing {
                joiner: Some(joiner),
                reader,
                daemon,
                vault: None,
            },
            start.encode(),
        ))
    }

    pub fn push(&mut self, bytes: &[u8]) -> Result<PairStep, LinkError> {
        self.reader.push(bytes)?;
        let Some(msg) = self.reader.next_message()? else {
            return Ok(PairStep::Wait);
        };
        if let Some(joiner) = self.joiner.take() {
            return match joiner.handle_reply(self.daemon, &msg) {
                Ok((confirm, vault)) => {
                    self.vault = Some(vault);
                    Ok(PairStep::Send(confirm.encode()))
                }
                Err(PairError::WrongCode) => Ok(PairStep::Fail(
                    pairing::Message::Failed.encode(),
                    PairError::WrongCode,
                )),
                Err(e) => Err(e.into()),
            };
        }
        match (msg, self.vault) {
            (pairing::Message::Welcome, Some(vault)) => Ok(PairStep::Welcome(vault)),
            (pairing::Message::Refused(r), _) => Err(PairError::from(r).into()),
            _ => Err(PairError::Malformed.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_sync::pairing::Host;

    const SPKI: &[u8] = b"the browser's public key";
    const DAEMON: DeviceId = DeviceId::from_bytes([7; 32]);
    const VAULT: VaultId = VaultId::from_u64(42);

    fn challenge(cert_hash: [u8; 32]) -> Vec<u8> {
        Message::Challenge(Challenge {
            nonce: [1; 32],
            cert_hash,
            vault: VAULT,
            daemon: DAEMON,
        })
        .encode()
    }

    #[test]
    fn the_proof_signs_only_a_pinned_certificate_and_reads_the_verdict() {
        let mut proof = Proof::new(Purpose::Sync, SPKI, vec![[2; 32]]);
        assert!(matches!(
            proof.push(&challenge([3; 32])),
            Err(LinkError::Unpinned)
        ));

        let mut proof = Proof::new(Purpose::Sync, SPKI, vec![[2; 32]]);
        let bytes = challenge([2; 32]);
        // Split anywhere: nothing until the whole challenge is in.
        assert_eq!(proof.push(&bytes[..10]).unwrap(), ProofStep::Wait);
        let ProofStep::Sign(message) = proof.push(&bytes[10..]).unwrap() else {
            panic!("a challenge asks for a signature");
        };
        assert!(message.starts_with(rapport_sync::browser::DOMAIN));
        assert_eq!(proof.challenge(), Some((DAEMON, VAULT)));
        // A sync's verdict is followed by where to reach the daemon, in the same read or not.
        let reach = Reach {
            cert_hashes: vec![[2; 32], [4; 32]],
            addrs: vec!["192.0.2.4:7450".parse().unwrap()],
        };
        let mut verdict = Message::Accepted {
            device: DeviceId::from_spki(SPKI),
        }
        .encode();
        verdict.extend_from_slice(&Message::Reach(reach.clone()).encode());
        assert_eq!(
            proof.push(&verdict).unwrap(),
            ProofStep::Accepted { rest: Vec::new() }
        );
        assert_eq!(proof.push(&[]).unwrap(), ProofStep::Reach(reach.clone()));
        assert!(proof.push(&Message::Reach(reach.clone()).encode()).is_ok());

        // A pairing's verdict hands on what follows it; a reach there is out of place.
        let mut pairing = Proof::new(Purpose::Pair, SPKI, vec![[2; 32]]);
        pairing.push(&challenge([2; 32])).unwrap();
        let mut verdict = Message::Accepted {
            device: DeviceId::from_spki(SPKI),
        }
        .encode();
        verdict.extend_from_slice(b"next");
        assert_eq!(
            pairing.push(&verdict).unwrap(),
            ProofStep::Accepted {
                rest: b"next".to_vec()
            }
        );
        assert!(Proof::new(Purpose::Sync, SPKI, vec![[2; 32]])
            .push(&Message::Reach(reach).encode())
            .is_err());

        let mut refused = Proof::new(Purpose::Sync, SPKI, vec![[2; 32]]);
        refused.push(&challenge([2; 32])).unwrap();
        assert!(matches!(
            refused.push(&Message::Refused(Refusal::Untrusted).encode()),
            Err(LinkError::Refused(_))
        ));
        assert!(Proof::proof_message(SPKI, &[0; 63]).is_err());
    }

    /// Runs the browser's pairing against the native host with `typed` as the code.
    fn pair(host_code: &PairingCode, typed: &str) -> (Result<PairStep, LinkError>, Host) {
        let me = DeviceId::from_spki(SPKI);
        let mut host = Host::new(host_code.clone(), DAEMON, VAULT, u64::MAX);
        let (mut pairing, start) = Pairing::start(typed, SPKI, "phone", DAEMON, &[]).unwrap();
        let mut reader = pairing::MessageReader::default();
        reader.push(&start).unwrap();
        let start = reader.next_message().unwrap().unwrap();
        let reply = host
            .handle_start(me, &start, 0, &mut rand::thread_rng())
            .unwrap();
        let step = pairing.push(&reply.encode()).unwrap();
        let sent = match &step {
            PairStep::Send(b) | PairStep::Fail(b, _) => b.clone(),
            other => panic!("{other:?}"),
        };
        reader.push(&sent).unwrap();
        let confirm = reader.next_message().unwrap().unwrap();
        match host.handle_confirm(me, &confirm) {
            Ok(_) => (pairing.push(&pairing::Message::Welcome.encode()), host),
            Err(_) => (Ok(step), host),
        }
    }

    #[test]
    fn pairing_with_the_right_code_is_welcomed_and_a_wrong_one_burns_it() {
        let code = PairingCode::generate(&mut rand::thread_rng());
        let (step, host) = pair(&code, &code.to_string());
        assert_eq!(step.unwrap(), PairStep::Welcome(VAULT));
        assert!(host.is_paired());

        let words = |c: &PairingCode| {
            let text = c.to_string();
            text.split_once('-').map(|(_, w)| w.to_owned()).unwrap()
        };
        let mut other = PairingCode::generate(&mut rand::thread_rng());
        while words(&other) == words(&code) {
            other = PairingCode::generate(&mut rand::thread_rng());
        }
        let wrong = format!("{}-{}", code.nameplate(), words(&other));
        let (step, host) = pair(&code, &wrong);
        assert!(matches!(step, Ok(PairStep::Fail(_, PairError::WrongCode))));
        assert!(host.is_burned());
        assert!(Pairing::start("not a code", SPKI, "phone", DAEMON, &[]).is_err());
    }
}
