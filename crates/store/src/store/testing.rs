//! Helpers for the store's unit tests.
#![allow(clippy::unwrap_used)]

use super::Store;
use rapport_model::{
    ContactId, ContactPatch, DeviceId, InteractionId, InteractionKind, NewInteraction, Vault,
    VaultId,
};
use std::path::Path;

pub(crate) const T0: i64 = 1_700_000_000_000;
pub(crate) const ME: DeviceId = device(1);

pub(crate) const fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 32])
}

/// `Store::open`, retried for up to two seconds: sled lets go of its file lock from
/// background threads a moment after a close.
pub(crate) fn open(dir: &Path) -> Store {
    for _ in 0..100 {
        if let Ok(store) = Store::open(dir) {
            return store;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Store::open(dir).unwrap()
}

/// A store holding a new vault.
pub(crate) fn new_store(dir: &Path) -> (Store, Vault) {
    let store = open(dir);
    let mut vault = Vault::create(ME, "laptop", VaultId::from_u64(1), T0).unwrap();
    store.create_vault(&mut vault).unwrap();
    (store, vault)
}

/// Adds contact `n` with a note about them to `vault`, without committing.
pub(crate) fn add_contact(vault: &mut Vault, n: u64) -> ContactId {
    let id = ContactId::from_u64(n);
    let patch = ContactPatch {
        name: Some(format!("Person {n}")),
        ..Default::default()
    };
    vault.add_contact(id, &patch, T0 + n as i64).unwrap();
    vault
        .add_interaction(
            InteractionId::from_u64(n),
            &NewInteraction {
                contacts: vec![id],
                at: T0,
                kind: InteractionKind::Note,
                text: format!("note number {n}"),
                place: None,
            },
            T0,
        )
        .unwrap();
    id
}

/// Adds contact `n` and commits it.
pub(crate) fn add(store: &Store, vault: &mut Vault, n: u64) -> ContactId {
    let id = add_contact(vault, n);
    let touched = vault.take_touched();
    store.commit(vault, &touched).unwrap();
    id
}

/// Every key under `prefix`, as text.
pub(crate) fn keys_under(store: &Store, prefix: &[u8]) -> Vec<String> {
    store
        .db()
        .scan_prefix(prefix)
        .keys()
        .map(|k| String::from_utf8_lossy(&k.unwrap()).into_owned())
        .collect()
}

/// The names of the files in a folder of the store.
pub(crate) fn files_in(store: &Store, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(store.path().join(folder))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
