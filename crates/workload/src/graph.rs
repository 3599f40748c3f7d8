//! The introductions graph: who introduced whom (`introduced_by`) and who else took part in an
//! interaction (`with`), about three edges per contact, so that `rapport intro` and `brief`
//! have something to rank.
//!
//! It is drawn from its own random stream, after every contact exists, so adding it left the
//! contacts' fields and texts exactly as they were (W1's LinkedIn export is byte-identical).
//! Every edge points from a contact to an *earlier* one: people you knew before introduced you,
//! and a writer can add the contacts in order with every reference already present.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::text::weighted;
use crate::WContact;

/// Mixed into the workload's seed for the graph's stream ("intro" in ASCII).
const SALT: u64 = 0x69_6e_74_72_6f;
/// Chance that a contact (other than the first) was introduced by an earlier one.
const INTRODUCED_P: f64 = 0.5;
/// Weights of 0..=5 other participants added to a contact's interactions: mean 2.5, so with
/// the introductions about three edges per contact.
const PARTICIPANTS: [u32; 6] = [10, 15, 25, 25, 15, 10];
/// Chance that a participant is a colleague (same organisation) rather than anyone.
const SAME_ORG_P: f64 = 0.5;
/// Kinds of interaction that other people plausibly attend.
const SHARED_KINDS: &[&str] = &["meeting", "event", "met", "intro", "call"];

/// Fills `introduced_by` and every interaction's `with`, deterministically from `seed`.
pub(crate) fn introductions(seed: u64, contacts: &mut [WContact]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ SALT);
    // Earlier contacts of each organisation, for colleagues.
    let mut by_org: HashMap<String, Vec<usize>> = HashMap::new();
    for i in 0..contacts.len() {
        if i > 0 {
            link(&mut rng, contacts, i, &by_org);
        }
        if let Some(org) = &contacts[i].org {
            by_org.entry(org.clone()).or_default().push(i);
        }
    }
}

/// The edges of contact `i`, all to contacts before it.
fn link(
    rng: &mut ChaCha8Rng,
    contacts: &mut [WContact],
    i: usize,
    by_org: &HashMap<String, Vec<usize>>,
) {
    if rng.gen_bool(INTRODUCED_P) {
        contacts[i].introduced_by = Some(earlier(rng, i, true));
    }
    let n = weighted(rng, &PARTICIPANTS);
    if contacts[i].interactions.is_empty() {
        return;
    }
    let colleagues = contacts[i]
        .org
        .as_ref()
        .and_then(|o| by_org.get(o))
        .filter(|v| !v.is_empty());
    let shared: Vec<usize> = (0..contacts[i].interactions.len())
        .filter(|k| SHARED_KINDS.contains(&contacts[i].interactions[*k].kind))
        .collect();
    for _ in 0..n {
        let other = match colleagues {
            Some(v) if rng.gen_bool(SAME_ORG_P) => v[rng.gen_range(0..v.len() as u32) as usize],
            _ => earlier(rng, i, false),
        };
        let at = if shared.is_empty() {
            rng.gen_range(0..contacts[i].interactions.len() as u32) as usize
        } else {
            shared[rng.gen_range(0..shared.len() as u32) as usize]
        };
        let with = &mut contacts[i].interactions[at].with;
        if !with.contains(&other) {
            with.push(other);
        }
    }
}

/// An index below `i` (which is at least 1). With `hubs`, the smaller of two draws: older
/// acquaintances introduce more people, which gives the graph a few well-connected hubs.
fn earlier(rng: &mut ChaCha8Rng, i: usize, hubs: bool) -> usize {
    let n = i as u64;
    let a = rng.gen_range(0..n);
    let j = if hubs { a.min(rng.gen_range(0..n)) } else { a };
    j as usize
}

/// Edges of the graph: one per `introduced_by` and one per other participant of an
/// interaction.
pub fn introduction_edges(contacts: &[WContact]) -> usize {
    contacts
        .iter()
        .map(|c| {
            usize::from(c.introduced_by.is_some())
                + c.interactions.iter().map(|x| x.with.len()).sum::<usize>()
        })
        .sum()
}
