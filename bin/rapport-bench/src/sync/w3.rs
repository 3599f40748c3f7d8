//! Measure 2, W3: devices that start from one small common vault (device 0 creates it, the others
//! are `fork_as` copies), each make 1,000 small edits offline (a tag, a note or a field edit on
//! a random contact, one commit each, seeded), then converge in a star: every other device syncs
//! once with device 0 in turn (after which device 0 and the last device hold everything), then
//! the others sync with device 0 a second time. One-shot sessions over QUIC, each starting from
//! the sync state saved by the previous session between the same two devices (none at first).
//! The baseline runs the same schedule with Automerge's raw sync messages in memory, its states
//! persisted between sessions the same way (`State::encode`/`decode`).

use super::edits::Editor;
use super::quic;
use super::raw::{self, RawSync};
use super::replica::BenchReplica;
use anyhow::{bail, Result};
use rapport_model::automerge::sync::State;
use rapport_model::automerge::AutoCommit;
use rapport_model::{UnixMillis, Vault};
use std::time::{Duration, Instant};

/// An encoded sync state, once a pair has synced.
type Saved = Option<Vec<u8>>;

/// Common vault: contacts × interactions each.
pub const COMMON: (usize, usize) = (100, 5);

#[derive(Debug, Default)]
pub struct W3 {
    pub devices: usize,
    pub edits: usize,
    pub sessions: usize,
    /// Frames both ways over every session (the initiators' SessionReports), and UDP payload.
    pub bytes: u64,
    pub udp_bytes: u64,
    /// Wall time of the whole schedule (handshakes included), per run.
    pub ours: Vec<Duration>,
    pub base: Vec<Duration>,
    pub base_sync: RawSync,
    /// Time to make the edits (all devices), and each device's document size after them.
    pub edit_time: Duration,
    pub save_bytes: u64,
}

/// The session schedule: (initiator, responder) pairs, in order.
pub fn schedule(devices: usize) -> Vec<(usize, usize)> {
    let first: Vec<_> = (1..devices).map(|i| (i, 0)).collect();
    let second: Vec<_> = (1..devices.saturating_sub(1)).map(|i| (i, 0)).collect();
    first.into_iter().chain(second).collect()
}

pub async fn run(
    devices: usize,
    edits: usize,
    seed: u64,
    now: UnixMillis,
    runs: usize,
) -> Result<W3> {
    let ids = quic::identities(devices)?;
    let peers = quic::bind(&ids)?;
    let w = rapport_workload::generate(seed, COMMON.0, COMMON.1);
    let (mut common, _) = super::build_vault(&w, peers[0].id, seed)?;
    let contacts = Editor::contact_ids(&common)?;
    let mut vaults: Vec<Vault> = peers.iter().map(|p| common.fork_as(p.id)).collect();
    let start = Instant::now();
    for (i, v) in vaults.iter_mut().enumerate() {
        let mut editor = Editor::new(seed ^ (i as u64 + 1), contacts.clone(), now);
        for _ in 0..edits {
            editor.any(v)?;
        }
    }
    let mut out = W3 {
        devices,
        edits,
        sessions: schedule(devices).len(),
        edit_time: start.elapsed(),
        save_bytes: vaults
            .iter_mut()
            .map(|v| v.doc_mut().save().len() as u64)
            .sum::<u64>()
            / devices as u64,
        ..W3::default()
    };
    for run in 0..runs {
        super::progress(&format!("W3, {devices} devices, run {}/{runs}", run + 1));
        // Ours: each device a replica over a copy of its edited vault.
        let replicas: Vec<_> = vaults
            .iter_mut()
            .zip(&peers)
            .map(|(v, p)| BenchReplica::with_vault(v.fork_as(p.id)).map(BenchReplica::shared))
            .collect::<Result<_>>()?;
        let (mut bytes, mut udp) = (0, 0);
        let start = Instant::now();
        for (i, j) in schedule(devices) {
            let shot = quic::one_shot(
                &peers[i],
                replicas[i].clone(),
                &peers[j],
                replicas[j].clone(),
            )
            .await?;
            bytes += shot.report.bytes_sent + shot.report.bytes_received;
            udp += shot.udp_bytes;
        }
        out.ours.push(start.elapsed());
        out.bytes = bytes;
        out.udp_bytes = udp;
        let mut heads = Vec::new();
        for r in &replicas {
            let mut h = r.lock().await.automerge().get_heads();
            h.sort();
            heads.push(h);
        }
        if heads.windows(2).any(|w| w[0] != w[1]) {
            bail!("W3 over QUIC did not converge");
        }
        drop(replicas);

        // Automerge's own, same schedule, in memory.
        let mut docs: Vec<AutoCommit> = vaults.iter_mut().map(|v| v.doc_mut().fork()).collect();
        // Per pair (i, 0): the state device i saved for 0, and the one 0 saved for i.
        let mut states: Vec<(Saved, Saved)> = vec![(None, None); devices];
        let mut total = RawSync::default();
        let start = Instant::now();
        for (i, j) in schedule(devices) {
            let decode = |s: &Saved| -> Result<State> {
                Ok(match s {
                    Some(b) => State::decode(b)?,
                    None => State::new(),
                })
            };
            let (mut si, mut sj) = (decode(&states[i].0)?, decode(&states[i].1)?);
            let (lo, hi) = docs.split_at_mut(i);
            let one = raw::sync(&mut hi[0], &mut si, &mut lo[j], &mut sj)?;
            total.add(one);
            states[i] = (Some(si.encode()), Some(sj.encode()));
        }
        out.base.push(start.elapsed());
        out.base_sync = total;
        let mut first = docs[0].get_heads();
        first.sort();
        for d in &mut docs {
            let mut h = d.get_heads();
            h.sort();
            if h != first {
                bail!("W3 with raw Automerge did not converge");
            }
        }
    }
    for p in &peers {
        p.node.shutdown().await;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_star_syncs_everyone_with_device_0_then_all_but_the_last_again() {
        assert_eq!(schedule(2), vec![(1, 0)]);
        assert_eq!(
            schedule(5),
            vec![(1, 0), (2, 0), (3, 0), (4, 0), (1, 0), (2, 0), (3, 0)]
        );
    }
}
