//! Arbitrary bytes as a LinkedIn export and as a generic CSV: refused with an error or parsed,
//! never a panic; whatever parses also plans and applies to a vault without a panic, as one
//! commit, and every record that was kept has a name.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rapport_formats::{linkedin, plan, table, Limits};
use rapport_model::{ContactId, DeviceId, InteractionId, Vault, VaultId};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 64 * 1024,
        max_records: 200,
    };
    let parsed = [
        linkedin::parse(data, limits),
        table::parse(data, &[], limits),
    ];
    for p in parsed.into_iter().flatten() {
        assert!(p.candidates.iter().all(|c| !c.name.trim().is_empty()));
        let Ok(mut v) = Vault::create(DeviceId::from_bytes([1; 32]), "fuzz", VaultId::from_u64(1), 0)
        else {
            return;
        };
        let mut n = 0;
        let Ok(plan) = plan::plan(&v, p, || {
            n += 1;
            ContactId::from_u64(n)
        }) else {
            return;
        };
        let heads = v.heads();
        let mut i = 0;
        let applied = plan::apply(&mut v, &plan, "fuzz", 0, || {
            i += 1;
            InteractionId::from_u64(i)
        }, &mut |_| {});
        let changes = v.doc_mut().get_changes(&heads).len();
        match applied {
            Ok(()) => assert!(changes <= 1, "an import is at most one commit"),
            Err(_) => assert_eq!(changes, 0, "a failed import writes nothing"),
        }
    }
});
