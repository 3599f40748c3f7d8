//! A deterministic network simulator for the sync session: 2 to 20 in-memory peers, a seeded
//! RNG, and a network that drops connections, duplicates, reorders and delays frames,
//! partitions and heals, and restarts peers from what they persisted. It runs until quiet
//! within a step bound and then checks that every peer holds the same heads and the same
//! materialised vault.
//!
//! Some connections are live (as between two `serve` daemons): they stay open, hear of local
//! edits (and of changes a peer applied from another connection) and send them at once, mostly
//! as pushes; they save their sync state whenever they go quiet, as the driver does.
//!
//! Replay a failing seed with `RAPPORT_SIM_SEED=<seed> cargo test -p rapport-sync --test sim`.
//! A longer sweep: `RAPPORT_SIM_SWEEP=500 cargo test --release -p rapport-sync --test sim sweep`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapport_model::automerge::AutoCommit;
use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind, NewInteraction, Vault,
    VaultId,
};
use rapport_sync::{Event, Hello, Limits, Role, Session, PROTOCOL_VERSION};
use std::collections::{BTreeMap, BTreeSet};

const VAULT: VaultId = VaultId::from_u64(42);

/// How hostile the network is, in percent per opportunity.
#[derive(Debug, Clone, Copy)]
struct Faults {
    drop_connection: u32,
    duplicate: u32,
    max_delay: u64,
    partition: u32,
    restart: u32,
}

const CALM: Faults = Faults {
    drop_connection: 0,
    duplicate: 0,
    max_delay: 3,
    partition: 0,
    restart: 0,
};

struct Peer {
    device: DeviceId,
    vault: Vault,
    /// What the peer's store holds: the document as of its last persisted event.
    persisted: Vec<u8>,
    /// Persisted sync state per remote peer.
    sync_states: BTreeMap<usize, Vec<u8>>,
}

impl Peer {
    fn persist(&mut self) {
        self.persisted = self.vault.doc_mut().save();
    }

    fn restart(&mut self) {
        let doc = AutoCommit::load(&self.persisted).expect("persisted bytes load");
        self.vault = Vault::open(doc, self.device).expect("persisted vault opens");
    }
}

/// A frame in flight: delivered at `at`, to `to`, on connection `conn`.
struct InFlight {
    at: u64,
    conn: u64,
    to: usize,
    bytes: Vec<u8>,
}

struct Conn {
    id: u64,
    a: usize,
    b: usize,
    /// The session at `a` (initiator) and at `b` (responder).
    sa: Session,
    sb: Session,
    live: bool,
}

struct Sim {
    rng: ChaCha8Rng,
    peers: Vec<Peer>,
    conns: Vec<Conn>,
    in_flight: Vec<InFlight>,
    next_conn: u64,
    now: u64,
    partition: Option<BTreeSet<usize>>,
    next_id: u64,
    applied: u64,
    finished: u64,
    /// `Quiet { equal: true }` events: a live session that caught up with its peer.
    settled_live: u64,
    broken: u64,
    /// Percent of new connections that are live.
    live_share: u32,
    pushes: u64,
}

fn device(n: usize) -> DeviceId {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
    DeviceId::from_bytes(b)
}

impl Sim {
    fn new(seed: u64, n: usize) -> Sim {
        let mut first = Vault::create(device(0), "peer 0", VAULT, 0).unwrap();
        let mut peers = Vec::new();
        for i in 0..n {
            // Only peer 0 creates the vault; every other peer starts from a copy of it.
            let vault = if i == 0 {
                first.fork_as(device(0))
            } else {
                first.fork_as(device(i))
            };
            let mut p = Peer {
                device: device(i),
                vault,
                persisted: Vec::new(),
                sync_states: BTreeMap::new(),
            };
            p.persist();
            peers.push(p);
        }
        Sim {
            rng: ChaCha8Rng::seed_from_u64(seed),
            peers,
            conns: Vec::new(),
            in_flight: Vec::new(),
            next_conn: 0,
            now: 0,
            partition: None,
            next_id: 1,
            applied: 0,
            finished: 0,
            settled_live: 0,
            broken: 0,
            live_share: 0,
            pushes: 0,
        }
    }

    fn can_talk(&self, a: usize, b: usize) -> bool {
        match &self.partition {
            Some(side) => side.contains(&a) == side.contains(&b),
            None => true,
        }
    }

    fn hello(&self, i: usize) -> Hello {
        Hello {
            version: PROTOCOL_VERSION,
            vault: VAULT,
            device: self.peers[i].device,
        }
    }

    fn connect(&mut self, a: usize, b: usize) {
        if a == b
            || self
                .conns
                .iter()
                .any(|c| (c.a, c.b) == (a, b) || (c.a, c.b) == (b, a))
        {
            return;
        }
        let limits = Limits {
            reply_timeout_ms: 200,
            max_session_ms: 5_000,
            ..Limits::default()
        };
        let live = self.live_share > 0 && self.rng.gen_range(0..100) < self.live_share;
        let sa = Session::new(
            Role::Initiator,
            self.hello(a),
            Some(self.peers[b].device),
            self.peers[a].sync_states.get(&b).map(Vec::as_slice),
            live,
            limits,
            self.now,
        );
        let sb = Session::new(
            Role::Responder,
            self.hello(b),
            Some(self.peers[a].device),
            self.peers[b].sync_states.get(&a).map(Vec::as_slice),
            live,
            limits,
            self.now,
        );
        // As the QUIC driver does: the initiator's first message rides with its hello.
        let mut sa = sa;
        sa.start(self.peers[a].vault.doc_mut(), self.now);
        self.next_conn += 1;
        self.conns.push(Conn {
            id: self.next_conn,
            a,
            b,
            sa,
            sb,
            live,
        });
    }

    /// What the daemon does after a write or an applied change: wake `i`'s live sessions.
    fn wake(&mut self, i: usize) {
        let now = self.now;
        for conn in &mut self.conns {
            if !conn.live {
                continue;
            }
            let session = if conn.a == i {
                &mut conn.sa
            } else if conn.b == i {
                &mut conn.sb
            } else {
                continue;
            };
            if !session.is_closed() {
                session.handle_local_change(self.peers[i].vault.doc_mut(), now);
            }
        }
    }

    fn random_edit(&mut self, i: usize) {
        let id_n = self.next_id;
        self.next_id += 1;
        let now = self.now as i64;
        let contacts: Vec<ContactId> = self.peers[i]
            .vault
            .contacts()
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        let choice = self.rng.gen_range(0..4);
        let vault = &mut self.peers[i].vault;
        match (choice, contacts.is_empty()) {
            (0, _) | (_, true) => {
                let patch = ContactPatch {
                    name: Some(format!("Person {id_n}")),
                    add_tags: vec![format!("t{}", id_n % 5)],
                    ..Default::default()
                };
                vault
                    .add_contact(ContactId::from_u64(id_n * 1000 + i as u64), &patch, now)
                    .unwrap();
            }
            (1, false) => {
                let c = contacts[self.rng.gen_range(0..contacts.len())];
                let patch = ContactPatch {
                    org: Some(format!("Org {}", self.rng.gen_range(0..10))),
                    add_tags: vec![format!("t{}", self.rng.gen_range(0..8))],
                    ..Default::default()
                };
                let _ = vault.edit_contact(c, &patch, now).unwrap();
            }
            (2, false) => {
                let c = contacts[self.rng.gen_range(0..contacts.len())];
                let new = NewInteraction {
                    contacts: vec![c],
                    at: now,
                    kind: InteractionKind::Note,
                    text: format!("note {id_n} from peer {i}"),
                    place: None,
                };
                vault
                    .add_interaction(InteractionId::from_u64(id_n * 1000 + i as u64), &new, now)
                    .unwrap();
            }
            _ => {
                let c = contacts[self.rng.gen_range(0..contacts.len())];
                vault.trash_contact(c, now).unwrap();
            }
        }
        vault.take_touched();
        self.peers[i].persist();
        self.wake(i);
    }

    /// Moves every session's output onto the network, with faults.
    fn pump(&mut self, faults: Faults) {
        for conn in &mut self.conns {
            for (session, to) in [(&mut conn.sa, conn.b), (&mut conn.sb, conn.a)] {
                while let Some(bytes) = session.poll_transmit() {
                    let delay = self.rng.gen_range(1..=faults.max_delay.max(1));
                    if self.rng.gen_range(0..100) < faults.duplicate {
                        self.in_flight.push(InFlight {
                            at: self.now + delay + 1,
                            conn: conn.id,
                            to,
                            bytes: bytes.clone(),
                        });
                    }
                    self.in_flight.push(InFlight {
                        at: self.now + delay,
                        conn: conn.id,
                        to,
                        bytes,
                    });
                }
            }
        }
    }

    fn deliver(&mut self) {
        let now = self.now;
        let mut due: Vec<InFlight> = Vec::new();
        self.in_flight.retain_mut(|f| {
            if f.at <= now {
                due.push(std::mem::replace(
                    f,
                    InFlight {
                        at: 0,
                        conn: 0,
                        to: 0,
                        bytes: Vec::new(),
                    },
                ));
                false
            } else {
                true
            }
        });
        // Frames due at the same tick arrive in a random order (reordering).
        for k in (1..due.len()).rev() {
            let j = self.rng.gen_range(0..=k);
            due.swap(k, j);
        }
        for f in due {
            let Some(ci) = self.conns.iter().position(|c| c.id == f.conn) else {
                continue; // the connection is gone
            };
            let conn = &mut self.conns[ci];
            let (session, peer, other) = if f.to == conn.a {
                (&mut conn.sa, conn.a, conn.b)
            } else {
                (&mut conn.sb, conn.b, conn.a)
            };
            let vault = &mut self.peers[peer].vault;
            let result = session.handle_bytes(vault.doc_mut(), &f.bytes, now);
            // As the driver does: what a frame applied before the session broke is still
            // reported, and persisted below.
            let broke = result.is_err();
            self.broken += u64::from(broke);
            let mut applied = false;
            let mut quiet = false;
            while let Some(e) = session.poll_event() {
                applied |= matches!(e, Event::Applied(_));
                quiet |= matches!(e, Event::Quiet { .. });
                if matches!(e, Event::Quiet { equal: true }) {
                    self.settled_live += 1;
                }
                if let Event::Finished { equal } = e {
                    self.finished += 1;
                    assert!(equal || session.peer().is_some());
                }
            }
            let state = quiet.then(|| session.encoded_sync_state());
            self.applied += u64::from(applied);
            if applied {
                self.peers[peer].persist();
            }
            if let Some(state) = state {
                // As the driver does: a live session keeps its saved state current.
                self.peers[peer].sync_states.insert(other, state);
            }
            if applied {
                self.wake(peer);
            }
        }
    }

    /// Ends closed or timed-out sessions, saving their sync states.
    fn reap(&mut self) {
        let now = self.now;
        let mut keep = Vec::new();
        for mut conn in std::mem::take(&mut self.conns) {
            let _ = conn.sa.handle_timeout(now);
            let _ = conn.sb.handle_timeout(now);
            if conn.sa.is_closed() || conn.sb.is_closed() {
                self.pushes += conn.sa.pushes_sent() + conn.sb.pushes_sent();
                let (a, b) = (conn.a, conn.b);
                if conn.sa.is_closed() && conn.sb.is_closed() {
                    self.peers[a]
                        .sync_states
                        .insert(b, conn.sa.encoded_sync_state());
                    self.peers[b]
                        .sync_states
                        .insert(a, conn.sb.encoded_sync_state());
                }
                // Let a Done frame still in flight reach the responder before dropping.
                let pending = self.in_flight.iter().any(|f| f.conn == conn.id);
                if pending {
                    keep.push(conn);
                }
            } else {
                keep.push(conn);
            }
        }
        self.conns = keep;
    }

    fn step(&mut self, faults: Faults, edit_chance: u32) {
        self.now += 1;
        let n = self.peers.len();
        if edit_chance > 0 && self.rng.gen_range(0..100) < edit_chance {
            let i = self.rng.gen_range(0..n);
            self.random_edit(i);
        }
        if self.rng.gen_range(0..100) < faults.partition {
            self.partition = if self.partition.is_some() {
                None
            } else {
                Some((0..n).filter(|_| self.rng.gen_bool(0.5)).collect())
            };
        }
        if self.rng.gen_range(0..100) < faults.restart {
            let i = self.rng.gen_range(0..n);
            self.conns.retain(|c| c.a != i && c.b != i);
            self.peers[i].restart();
        }
        if !self.conns.is_empty() && self.rng.gen_range(0..100) < faults.drop_connection {
            let k = self.rng.gen_range(0..self.conns.len());
            self.conns.remove(k);
        }
        self.conns.retain(|c| match &self.partition {
            Some(side) => side.contains(&c.a) == side.contains(&c.b),
            None => true,
        });
        if self.rng.gen_range(0..100) < 30 {
            let a = self.rng.gen_range(0..n);
            let b = self.rng.gen_range(0..n);
            if self.can_talk(a, b) {
                self.connect(a, b);
            }
        }
        self.pump(faults);
        self.deliver();
        self.reap();
    }

    fn converged(&mut self) -> bool {
        let heads: Vec<_> = self
            .peers
            .iter_mut()
            .map(|p| {
                let mut h = p.vault.heads();
                h.sort();
                h
            })
            .collect();
        heads.windows(2).all(|w| w[0] == w[1])
    }

    /// Heals the network and syncs pairs in a ring until everyone agrees. Live connections are
    /// closed first (a live pair that has settled says nothing more), from then on one-shot.
    fn settle(&mut self, max_steps: u64) -> Result<u64, String> {
        self.partition = None;
        self.live_share = 0;
        for conn in &self.conns {
            self.pushes += conn.sa.pushes_sent() + conn.sb.pushes_sent();
        }
        self.conns.clear();
        self.in_flight.clear();
        let n = self.peers.len();
        for step in 0..max_steps {
            if self.converged() && self.conns.is_empty() {
                return Ok(step);
            }
            if self.conns.is_empty() {
                for i in 0..n {
                    self.connect(i, (i + 1) % n);
                }
            }
            self.step(CALM, 0);
        }
        Err(format!("did not converge within {max_steps} calm steps"))
    }

    fn assert_same_vault(&mut self) {
        let first = materialise(&self.peers[0].vault);
        for (i, p) in self.peers.iter().enumerate().skip(1) {
            assert_eq!(materialise(&p.vault), first, "peer {i} differs from peer 0");
        }
    }
}

fn materialise(v: &Vault) -> String {
    format!(
        "{:?}\n{:?}\n{:?}",
        v.contacts().unwrap(),
        v.interactions().unwrap(),
        v.groups().unwrap()
    )
}

fn seed_for(name: &str) -> u64 {
    if let Ok(s) = std::env::var("RAPPORT_SIM_SEED") {
        return s.parse().expect("RAPPORT_SIM_SEED is a u64");
    }
    let h = blake3::hash(name.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap())
}

fn run(name: &str, seed: u64, peers: usize, steps: u64, faults: Faults) -> Sim {
    run_with(name, seed, peers, steps, faults, 0)
}

fn run_with(
    name: &str,
    seed: u64,
    peers: usize,
    steps: u64,
    faults: Faults,
    live_share: u32,
) -> Sim {
    let mut sim = Sim::new(seed, peers);
    sim.live_share = live_share;
    let mut diverged = false;
    for _ in 0..steps {
        sim.step(faults, 20);
        diverged |= !sim.converged();
    }
    assert!(
        diverged,
        "{name}: seed {seed}: the peers never diverged, so nothing was tested"
    );
    match sim.settle(20_000) {
        Ok(_) => sim.assert_same_vault(),
        Err(e) => panic!("{name}: seed {seed}: {e}; replay with RAPPORT_SIM_SEED={seed}"),
    }
    let edits = sim.next_id;
    assert!(
        edits > 5,
        "the workload made too few edits to test anything ({edits})"
    );
    // The peers diverged and then converged; that must have gone through sessions. Whether any
    // session also finished cleanly is up to the faults: under a hostile seed every session
    // that applied something can break before it settles (seen in a 5,000-seed sweep: 2
    // applies, 16 broken sessions, converged).
    assert!(
        sim.applied > 0,
        "{name}: seed {seed}: the peers converged without any session applying a change"
    );
    if faults.duplicate > 0 || faults.drop_connection > 0 {
        eprintln!(
            "{name}: seed {seed}: {edits} edits, {} applies, {} sessions finished, {} live \
             sessions settled, {} broken",
            sim.applied, sim.finished, sim.settled_live, sim.broken
        );
    }
    sim
}

const HOSTILE: Faults = Faults {
    drop_connection: 3,
    duplicate: 5,
    max_delay: 20,
    partition: 2,
    restart: 1,
};

#[test]
fn two_peers_converge_on_a_calm_network() {
    let seed = seed_for("two_peers_converge_on_a_calm_network");
    run("calm", seed, 2, 300, CALM);
}

#[test]
fn five_peers_converge_through_drops_duplicates_partitions_and_restarts() {
    let name = "five_peers_converge_through_drops_duplicates_partitions_and_restarts";
    run(name, seed_for(name), 5, 600, HOSTILE);
}

#[test]
fn twenty_peers_converge_under_faults() {
    let name = "twenty_peers_converge_under_faults";
    run(name, seed_for(name), 20, 400, HOSTILE);
}

/// A fixed set of seeds in CI; `RAPPORT_SIM_SWEEP=N` runs N more.
#[test]
fn sweep() {
    let extra: u64 = std::env::var("RAPPORT_SIM_SWEEP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed_for("sweep"));
    for k in 0..(8 + extra) {
        let seed = rng.next_u64();
        let peers = 2 + (k as usize % 5);
        run_with("sweep", seed, peers, 200, HOSTILE, 50);
    }
}

#[test]
fn live_and_one_shot_sessions_converge_under_faults() {
    let name = "live_and_one_shot_sessions_converge_under_faults";
    let sim = run_with(name, seed_for(name), 5, 600, HOSTILE, 60);
    assert!(sim.pushes > 0, "{name}: no live session ever pushed");
}

/// Live sessions on a calm network, as between daemons: every edit reaches every peer through
/// pushes alone, and the network goes quiet with everyone in agreement, no reconnect needed.
#[test]
fn live_sessions_alone_converge_through_pushes() {
    let name = "live_sessions_alone_converge_through_pushes";
    let seed = seed_for(name);
    let n = 4;
    let mut sim = Sim::new(seed, n);
    sim.live_share = 100;
    for a in 0..n {
        for b in a + 1..n {
            sim.connect(a, b);
        }
    }
    for _ in 0..300 {
        sim.step(CALM, 20);
    }
    let mut quiet_at = None;
    for step in 0..2_000 {
        sim.step(CALM, 0);
        if sim.in_flight.is_empty() && sim.converged() {
            quiet_at = Some(step);
            break;
        }
    }
    assert!(
        quiet_at.is_some(),
        "{name}: seed {seed}: live sessions did not converge; replay with RAPPORT_SIM_SEED={seed}"
    );
    assert_eq!(
        sim.conns.len(),
        n * (n - 1) / 2,
        "{name}: a live session broke"
    );
    let pushes: u64 = sim
        .conns
        .iter()
        .map(|c| c.sa.pushes_sent() + c.sb.pushes_sent())
        .sum();
    assert!(pushes > 10, "{name}: only {pushes} pushes");
    sim.assert_same_vault();
}
