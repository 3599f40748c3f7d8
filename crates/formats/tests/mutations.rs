//! A bounded, seeded stand-in for the fuzz targets that runs in the normal test suite: every
//! fixture, mutated (bytes flipped, cut, duplicated, lines swapped), goes through the parsers;
//! each must refuse it or parse it, never panic. The seed is derived from the test's name and
//! printed; replay one with `RAPPORT_TEST_SEED`.
#![allow(clippy::unwrap_used)]

use rand::{rngs::StdRng, Rng, SeedableRng};
use rapport_formats::{linkedin, table, vcard_in, Limits};
use std::path::Path;

const MUTANTS_PER_FIXTURE: usize = 150;

fn seed() -> u64 {
    if let Some(s) = std::env::var("RAPPORT_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return s;
    }
    let name = "mutated_fixtures_never_panic_the_parsers";
    u64::from_le_bytes(fnv1a(name.as_bytes()))
}

/// FNV-1a: a stable seed from the test name without another dependency.
fn fnv1a(bytes: &[u8]) -> [u8; 8] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.to_le_bytes()
}

fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.gen_range(1..6) {
        if out.is_empty() {
            out.push(rng.gen());
            continue;
        }
        let at = rng.gen_range(0..out.len());
        match rng.gen_range(0..6) {
            0 => out[at] = rng.gen(),
            1 => out.truncate(at),
            2 => {
                let end = (at + rng.gen_range(1..64)).min(out.len());
                let chunk = out[at..end].to_vec();
                out.splice(at..at, chunk);
            }
            3 => {
                out.remove(at);
            }
            4 => out.insert(at, *b",;:\"\\\n=\r".get(rng.gen_range(0..8)).unwrap()),
            _ => {
                let end = (at + rng.gen_range(1..16)).min(out.len());
                out.drain(at..end);
            }
        }
    }
    out
}

#[test]
fn mutated_fixtures_never_panic_the_parsers() {
    let seed = seed();
    println!("seed {seed} (replay with RAPPORT_TEST_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/import");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let limits = Limits {
        max_bytes: 64 * 1024,
        max_records: 500,
    };
    for file in files {
        let original = std::fs::read(&file).unwrap();
        for _ in 0..MUTANTS_PER_FIXTURE {
            let input = mutate(&mut rng, &original);
            if let Ok(p) = linkedin::parse(&input[..], limits) {
                assert!(p.candidates.iter().all(|c| !c.name.is_empty()));
            }
            let _ = table::parse(&input[..], &[], limits);
            if let Ok(p) = vcard_in::parse(&input[..], "", limits) {
                assert!(p.candidates.iter().all(|c| !c.name.is_empty()));
            }
        }
    }
}
