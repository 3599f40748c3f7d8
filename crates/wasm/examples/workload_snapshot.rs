//! Writes a seeded workload (W1 by default: 10,000 contacts x 10 interactions) as a saved vault,
//! for measuring the phone app on a realistic vault (tests/browser/bench-phone.mjs stores it in
//! the browser's IndexedDB as the snapshot). Not a test and not part of the app.
//!
//! `cargo run --release -p rapport-wasm --example workload_snapshot -- OUT [CONTACTS]`

use rand::SeedableRng;
use rapport_model::{DeviceId, Vault, VaultId};
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: workload_snapshot OUT [CONTACTS]")?;
    let count: usize = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let now = 1_765_000_000_000;
    let w = rapport_workload::generate(42, count, 10);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let contacts = rapport_workload::vault::new_contacts(&w, &mut rng)?;
    let device = DeviceId::from_spki(b"workload device");
    let mut vault = Vault::create(device, "workload", VaultId::random(&mut rng), now)?;
    vault.add_contacts("import workload", now, &contacts)?;
    let bytes = vault.doc_mut().save();
    std::fs::write(&out, &bytes)?;
    println!("{out}: {count} contacts, {} bytes", bytes.len());
    Ok(())
}
