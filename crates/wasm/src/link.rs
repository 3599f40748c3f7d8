//! Sync with a daemon, pure: the same `rapport_sync::Session` every device runs, driven by the
//! Worker with bytes from the WebTransport stream and `Date.now()`. Two shapes:
//!
//! - [`Fetch`]: a device that was just paired fetches the whole vault into an empty document
//!   (hello with vault id 0, as `rapport clone` does), then [`Fetch::finish`] checks it is the
//!   vault it paired with and that this browser is in its roster, and gives the snapshot to
//!   store and the replica to run.
//! - [`Link`]: the live session of a paired browser. Whatever the daemon sends is applied to the
//!   replica's document and comes back as a [`Step`]: the change bytes to append to IndexedDB
//!   and the frames to send. The Worker sends the frames only after the append completed, so a
//!   change counts as received (the daemon's sync state moves on) only once it is durable here.

use crate::error::LinkError;
use crate::replica::Replica;
use rapport_model::automerge::AutoCommit;
use rapport_model::{DeviceId, VaultId};
use rapport_sync::{Event, Hello, Limits, Role, Session, CLONE_VAULT, PROTOCOL_VERSION};

/// What one call produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Step {
    /// Change bytes to append to storage BEFORE `frames` are sent (empty when nothing arrived).
    pub persist: Vec<u8>,
    /// Frames for the daemon, concatenated.
    pub frames: Vec<u8>,
    /// Changes from the daemon were applied (the page re-reads what it shows).
    pub applied: bool,
    /// The exchange settled.
    pub quiet: bool,
}

fn frames(session: &mut Session) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(f) = session.poll_transmit() {
        out.extend_from_slice(&f);
    }
    out
}

/// A browser's live session with one daemon.
#[derive(Debug)]
pub struct Link {
    session: Session,
}

impl Link {
    /// Opens the session with `daemon` (the id its challenge named and the browser trusts);
    /// `step().frames` holds the hello and first sync message.
    pub fn open(
        replica: &mut Replica,
        daemon: DeviceId,
        sync_state: Option<&[u8]>,
        now: u64,
    ) -> Result<(Link, Step), LinkError> {
        let hello = Hello {
            version: PROTOCOL_VERSION,
            vault: replica.vault_id()?,
            device: replica.device(),
        };
        let mut session = Session::new(
            Role::Initiator,
            hello,
            Some(daemon),
            sync_state,
            true,
            Limits::default(),
            now,
        );
        session.start(replica.doc_mut(), now);
        let mut link = Link { session };
        let step = link.drain(replica)?;
        Ok((link, step))
    }

    /// Bytes from the daemon.
    pub fn receive(
        &mut self,
        replica: &mut Replica,
        bytes: &[u8],
        now: u64,
    ) -> Result<Step, LinkError> {
        let handled = self.session.handle_bytes(replica.doc_mut(), bytes, now);
        let step = self.drain(replica)?;
        handled?;
        Ok(step)
    }

    /// A local edit was persisted: tell the daemon now.
    pub fn local_change(&mut self, replica: &mut Replica, now: u64) -> Result<Step, LinkError> {
        self.session.handle_local_change(replica.doc_mut(), now);
        self.drain(replica)
    }

    /// Announces this side's heads again (anti-entropy for a long session).
    pub fn resync(&mut self, replica: &mut Replica, now: u64) -> Result<Step, LinkError> {
        self.session.resync(replica.doc_mut(), now);
        self.drain(replica)
    }

    /// When `handle_timeout` is due, in `Date.now()` milliseconds.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.session.poll_timeout()
    }

    pub fn handle_timeout(&mut self, now: u64) -> Result<(), LinkError> {
        Ok(self.session.handle_timeout(now)?)
    }

    /// The shared heads with this daemon, to start the next session from.
    pub fn sync_state(&self) -> Vec<u8> {
        self.session.encoded_sync_state()
    }

    fn drain(&mut self, replica: &mut Replica) -> Result<Step, LinkError> {
        let mut step = Step::default();
        while let Some(event) = self.session.poll_event() {
            match event {
                Event::Applied(touched) => {
                    step.applied = true;
                    replica.absorb(&touched)?;
                }
                Event::Quiet { .. } | Event::Finished { .. } => step.quiet = true,
                // Only a version-3 replica is sent a whole document as a zstd frame; this one
                // speaks version 2 in the browser build (no zstd) and keeps no snapshots.
                Event::Connected { .. } | Event::WholeDocument { .. } => {}
            }
        }
        if step.applied {
            step.persist = replica.unpersisted();
        }
        step.frames = frames(&mut self.session);
        Ok(step)
    }
}

/// A freshly paired browser fetching the whole vault.
#[derive(Debug)]
pub struct Fetch {
    doc: AutoCommit,
    session: Session,
    me: DeviceId,
    done: Option<bool>,
}

impl Fetch {
    /// Starts the fetch from `daemon`; returns the frames to send first.
    pub fn start(spki: &[u8], daemon: DeviceId, now: u64) -> (Fetch, Vec<u8>) {
        let me = DeviceId::from_spki(spki);
        let hello = Hello {
            version: PROTOCOL_VERSION,
            vault: CLONE_VAULT,
            device: me,
        };
        let mut doc = AutoCommit::new();
        let mut session = Session::new(
            Role::Initiator,
            hello,
            Some(daemon),
            None,
            false,
            Limits::default(),
            now,
        );
        session.start(&mut doc, now);
        let out = frames(&mut session);
        (
            Fetch {
                doc,
                session,
                me,
                done: None,
            },
            out,
        )
    }

    /// Bytes from the daemon; returns the frames to send.
    pub fn receive(&mut self, bytes: &[u8], now: u64) -> Result<Vec<u8>, LinkError> {
        if self.done.is_some() {
            // The session ended with our `Done`; whatever trails it changes nothing.
            return Ok(Vec::new());
        }
        let handled = self.session.handle_bytes(&mut self.doc, bytes, now);
        while let Some(event) = self.session.poll_event() {
            if let Event::Finished { equal } = event {
                self.done = Some(equal);
            }
        }
        let out = frames(&mut self.session);
        handled?;
        Ok(out)
    }

    /// Whether the daemon said the fetch is complete (`Some(true)`), or it ended short.
    pub fn finished(&self) -> Option<bool> {
        self.done
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        self.session.poll_timeout()
    }

    pub fn handle_timeout(&mut self, now: u64) -> Result<(), LinkError> {
        Ok(self.session.handle_timeout(now)?)
    }

    /// The fetched vault as a replica, and the snapshot to store before anything is shown.
    /// Refused unless it is the vault the pairing named and this browser is in its roster.
    pub fn finish(self, spki: &[u8], vault: VaultId) -> Result<(Replica, Vec<u8>), LinkError> {
        if self.done != Some(true) {
            return Err(LinkError::Incomplete);
        }
        debug_assert_eq!(self.me, DeviceId::from_spki(spki));
        Replica::from_fetched(self.doc, spki, vault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::{ContactId, ContactPatch, Device, Vault};

    const NOW: u64 = 1_765_000_000_000;
    const SPKI: &[u8] = b"the browser's public key";

    /// The daemon's side: a vault and a live responder session, pumped by hand.
    struct Daemon {
        vault: Vault,
        session: Session,
    }

    impl Daemon {
        fn new(vault: Vault, live: bool) -> Daemon {
            let mut vault = vault;
            let hello = Hello {
                version: PROTOCOL_VERSION,
                vault: vault.vault_id().unwrap(),
                device: vault.device(),
            };
            let session = Session::new(
                Role::Responder,
                hello,
                Some(DeviceId::from_spki(SPKI)),
                None,
                live,
                Limits::default(),
                NOW,
            );
            let _ = vault.heads();
            Daemon { vault, session }
        }

        fn receive(&mut self, bytes: &[u8]) -> Vec<u8> {
            self.session
                .handle_bytes(self.vault.doc_mut(), bytes, NOW)
                .unwrap();
            frames(&mut self.session)
        }
    }

    fn add(vault: &mut Vault, name: &str) -> ContactId {
        let id = ContactId::random(&mut rand::thread_rng());
        let patch = ContactPatch {
            name: Some(name.to_owned()),
            ..ContactPatch::default()
        };
        vault.add_contact(id, &patch, NOW as i64).unwrap();
        id
    }

    fn daemon_vault(with_browser: bool) -> Vault {
        let me = DeviceId::from_bytes([7; 32]);
        let mut v = Vault::create(me, "laptop", VaultId::from_u64(42), NOW as i64).unwrap();
        add(&mut v, "Ada Lovelace");
        if with_browser {
            let phone = Device {
                id: DeviceId::from_spki(SPKI),
                name: "phone".into(),
                added_at: NOW as i64,
                added_by: Some(me),
            };
            v.add_device(&phone, NOW as i64).unwrap();
        }
        v
    }

    fn fetch(daemon: &mut Daemon) -> Fetch {
        let (mut fetch, mut out) = Fetch::start(SPKI, daemon.vault.device(), NOW);
        for _ in 0..20 {
            if out.is_empty() {
                break;
            }
            if daemon.session.is_closed() {
                break;
            }
            let back = daemon.receive(&out);
            out = fetch.receive(&back, NOW).unwrap();
        }
        fetch
    }

    #[test]
    fn a_paired_browser_fetches_the_vault_then_a_live_link_carries_changes_both_ways() {
        let mut daemon = Daemon::new(daemon_vault(true), false);
        let fetched = fetch(&mut daemon);
        assert_eq!(fetched.finished(), Some(true));
        let (mut phone, snapshot) = fetched.finish(SPKI, VaultId::from_u64(42)).unwrap();
        assert!(!snapshot.is_empty());
        assert_eq!(phone.counts(), (1, 0));

        // The live session: the daemon's new contact arrives as bytes to persist, and the
        // snapshot plus those bytes load back the same vault.
        let laptop = daemon.vault.device();
        phone.check_daemon(laptop, VaultId::from_u64(42)).unwrap();
        assert!(phone
            .check_daemon(DeviceId::from_bytes([9; 32]), VaultId::from_u64(42))
            .is_err());
        let mut daemon = Daemon::new(
            std::mem::replace(&mut daemon.vault, daemon_vault(false)),
            true,
        );
        add(&mut daemon.vault, "Charles Babbage");
        let (mut link, first) = Link::open(&mut phone, laptop, None, NOW).unwrap();
        let mut stored = Vec::new();
        let mut out = first.frames;
        for _ in 0..20 {
            if out.is_empty() {
                break;
            }
            let back = daemon.receive(&out);
            let step = link.receive(&mut phone, &back, NOW).unwrap();
            if step.applied {
                assert!(
                    !step.persist.is_empty(),
                    "applied changes come with bytes to store"
                );
                stored.push(step.persist);
            }
            out = step.frames;
        }
        assert_eq!(phone.counts(), (2, 0), "the index follows what arrived");
        let loaded = Replica::load(SPKI, &snapshot, &stored).unwrap();
        assert_eq!(loaded.counts(), (2, 0));

        // A local edit goes out live.
        phone
            .add_contact("Grace Hopper", &[], &[], NOW as i64)
            .unwrap();
        let step = link.local_change(&mut phone, NOW).unwrap();
        assert!(!step.frames.is_empty());
        let mut out = step.frames;
        for _ in 0..20 {
            if out.is_empty() {
                break;
            }
            let back = daemon.receive(&out);
            out = link.receive(&mut phone, &back, NOW).unwrap().frames;
        }
        let names: Vec<String> = daemon
            .vault
            .contacts()
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert!(names.contains(&"Grace Hopper".to_owned()), "{names:?}");
    }

    #[test]
    fn a_fetched_vault_without_this_browser_in_its_roster_is_refused() {
        let mut daemon = Daemon::new(daemon_vault(false), false);
        let fetched = fetch(&mut daemon);
        assert!(matches!(
            fetched.finish(SPKI, VaultId::from_u64(42)),
            Err(LinkError::NotInRoster)
        ));
        let mut daemon = Daemon::new(daemon_vault(true), false);
        assert!(matches!(
            fetch(&mut daemon).finish(SPKI, VaultId::from_u64(43)),
            Err(LinkError::WrongVault)
        ));
    }
}
