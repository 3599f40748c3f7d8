//! Arbitrary bytes as vCards: refused with an error or parsed, never a panic. Whatever parses
//! imports into a vault as at most one commit, and its vCard 4.0 export parses again to as
//! many cards as the vault holds contacts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rapport_formats::{plan, vcard_in, vcard_out, Limits};
use rapport_model::{ContactId, DeviceId, InteractionId, Vault, VaultId};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 64 * 1024,
        max_records: 200,
    };
    let Ok(parsed) = vcard_in::parse(data, "", limits) else {
        return;
    };
    let Ok(mut v) = Vault::create(DeviceId::from_bytes([1; 32]), "fuzz", VaultId::from_u64(1), 0)
    else {
        return;
    };
    let mut n = 0;
    let Ok(plan) = plan::plan(&v, parsed, || {
        n += 1;
        ContactId::from_u64(n)
    }) else {
        return;
    };
    let heads = v.heads();
    let applied = plan::apply(&mut v, &plan, "fuzz", 0, || InteractionId::from_u64(1), &mut |_| {});
    let changes = v.doc_mut().get_changes(&heads).len();
    if applied.is_err() {
        assert_eq!(changes, 0, "a failed import writes nothing");
        return;
    }
    assert!(changes <= 1, "an import is at most one commit");
    let Ok(contacts) = v.contacts() else { return };
    let mut pairs = Vec::new();
    for c in &contacts {
        pairs.push((c, v.contact_extras(c.id).ok().flatten().unwrap_or_default()));
    }
    let mut out = Vec::new();
    if vcard_out::write_all(&mut out, pairs.iter().map(|(c, e)| (*c, e))).is_err() {
        return;
    }
    if contacts.is_empty() {
        return;
    }
    let again = vcard_in::parse(&out[..], "", Limits::default())
        .expect("Rapport's own vCard export parses");
    assert_eq!(again.candidates.len(), contacts.len(), "every exported card re-imports");
});
