//! Writes a seeded workload (W1 by default: 10,000 contacts x 10 interactions) as a saved vault,
//! for measuring the phone app on a realistic vault (tests/browser/bench-phone.mjs stores it in
//! the browser's IndexedDB as the snapshot). Not a test and not part of the app.
//!
//! `cargo run --release -p rapport-wasm --example workload_snapshot -- OUT [CONTACTS]`

use rand::SeedableRng;
use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, NewContact, NewInteraction, Vault, VaultId,
};
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
    let ids: Vec<ContactId> = w
        .contacts
        .iter()
        .map(|_| ContactId::random(&mut rng))
        .collect();
    let mut contacts = Vec::with_capacity(ids.len());
    for (c, id) in w.contacts.iter().zip(&ids) {
        let mut interactions = Vec::new();
        for i in &c.interactions {
            let mut with = vec![*id];
            with.extend(i.with.iter().filter_map(|j| ids.get(*j)));
            let new = NewInteraction {
                contacts: with,
                at: i.at_ms,
                kind: i.kind.parse()?,
                text: i.text.clone(),
                place: i.place.clone(),
            };
            interactions.push((InteractionId::random(&mut rng), new));
        }
        let patch = ContactPatch {
            name: Some(c.name.clone()),
            org: c.org.clone(),
            title: c.title.clone(),
            add_emails: c.emails.clone(),
            add_tags: c.tags.clone(),
            ..ContactPatch::default()
        };
        contacts.push(NewContact {
            id: *id,
            patch,
            extras: None,
            interactions,
        });
    }
    let device = DeviceId::from_spki(b"workload device");
    let mut vault = Vault::create(device, "workload", VaultId::random(&mut rng), now)?;
    vault.add_contacts("import workload", now, &contacts)?;
    let bytes = vault.doc_mut().save();
    std::fs::write(&out, &bytes)?;
    println!("{out}: {count} contacts, {} bytes", bytes.len());
    Ok(())
}
