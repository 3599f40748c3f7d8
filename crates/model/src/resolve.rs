//! Turning what the user typed (`jeanne`, an email, an id prefix) into one contact.

use crate::{Contact, ContactId};

/// Why a contact reference did not pick exactly one contact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    #[error("no contact matches `{0}`: try `rapport search {0}` or `rapport list`")]
    NotFound(String),
    #[error("`{query}` matches {} contacts: use more of the name, an email or the id", candidates.len())]
    Ambiguous {
        query: String,
        /// (id, name) of each candidate, for the CLI to list.
        candidates: Vec<(ContactId, String)>,
    },
}

/// Finds the one contact that `query` refers to, among `contacts`. Tried in order, and the first
/// rule that matches anything decides: exact id; id prefix (4+ hex chars); exact email; exact
/// name (case-insensitive); a case-insensitive part of a name.
///
/// A contact that was merged into another (`merged_into`) is found only by its exact id, and
/// then resolves to the contact it was merged into (following a chain of merges), if that one
/// is among `contacts`; no other rule matches it, so it never makes a name ambiguous.
pub fn resolve_contact<'a>(
    query: &str,
    contacts: &'a [Contact],
) -> Result<&'a Contact, ResolveError> {
    resolve_contact_among(query, contacts, &|_| true)
}

/// `resolve_contact` among the contacts that `among` accepts (the others are as if absent),
/// without copying them out first: at 10k contacts the copy was most of a lookup's time.
pub fn resolve_contact_among<'a>(
    query: &str,
    contacts: &'a [Contact],
    among: &dyn Fn(&Contact) -> bool,
) -> Result<&'a Contact, ResolveError> {
    let q = query.trim();
    let lower = q.to_lowercase();
    // Ids are compared as numbers: formatting every contact's id took longer than the search.
    let exact_id = lower.parse::<ContactId>().ok();
    let is_hex = q.len() >= 4 && q.len() <= 16 && q.bytes().all(|b| b.is_ascii_hexdigit());
    let prefix = is_hex
        .then(|| u64::from_str_radix(&lower, 16).ok())
        .flatten()
        .map(|p| (p, 64 - 4 * lower.len() as u32));
    let has_prefix = |c: &Contact| {
        prefix.is_some_and(|(p, shift)| c.id.as_u64().checked_shr(shift).unwrap_or(0) == p)
    };
    if let Some(exact) = contacts.iter().find(|c| Some(c.id) == exact_id && among(c)) {
        return Ok(follow_merges(exact, contacts, among));
    }
    let rules: [&dyn Fn(&Contact) -> bool; 5] = [
        &|c| Some(c.id) == exact_id,
        &|c| has_prefix(c),
        &|c| c.emails.contains(&lower),
        &|c| c.name.to_lowercase() == lower,
        &|c| !lower.is_empty() && c.name.to_lowercase().contains(&lower),
    ];
    for rule in rules {
        let matches: Vec<&Contact> = contacts
            .iter()
            .filter(|c| c.merged_into.is_none() && among(c) && rule(c))
            .collect();
        match matches.as_slice() {
            [] => continue,
            [one] => return Ok(one),
            many => {
                return Err(ResolveError::Ambiguous {
                    query: q.to_owned(),
                    candidates: many.iter().map(|c| (c.id, c.name.clone())).collect(),
                })
            }
        }
    }
    Err(ResolveError::NotFound(q.to_owned()))
}

/// The contact that `c` was (transitively) merged into, if it is among `contacts`; else `c`.
/// Bounded, so a cycle written by a damaged or hostile document cannot loop forever.
fn follow_merges<'a>(
    c: &'a Contact,
    contacts: &'a [Contact],
    among: &dyn Fn(&Contact) -> bool,
) -> &'a Contact {
    let mut current = c;
    for _ in 0..32 {
        let Some(next) = current.merged_into else {
            return current;
        };
        match contacts.iter().find(|x| x.id == next && among(x)) {
            Some(found) => current = found,
            None => return current,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SortedSet;
    use std::collections::BTreeMap;

    fn contact(id: u64, name: &str, email: &str) -> Contact {
        Contact {
            id: ContactId::from_u64(id),
            name: name.to_owned(),
            emails: SortedSet::from([email.to_owned()]),
            phones: SortedSet::new(),
            links: SortedSet::new(),
            org: None,
            title: None,
            tags: SortedSet::new(),
            groups: SortedSet::new(),
            met_on: None,
            met_at: None,
            met_context: None,
            introduced_by: None,
            trust: None,
            connected_on: None,
            notes: None,
            created: 0,
            updated: 0,
            deleted: None,
            merged_into: None,
            cadence: None,
            snoozed_until: None,
            follow_ups: BTreeMap::new(),
        }
    }

    fn book() -> Vec<Contact> {
        let mut merged = contact(0xabce_0000_0000_0003, "Jeanne Old", "old@example.org");
        merged.merged_into = Some(ContactId::from_u64(0xabcd_0000_0000_0001));
        merged.deleted = Some(1);
        vec![
            contact(0xabcd_0000_0000_0001, "Jeanne Okafor", "j@example.org"),
            contact(0xabcd_1000_0000_0002, "Jean Valjean", "v@example.org"),
            merged,
        ]
    }

    fn found(query: &str) -> Result<u64, ResolveError> {
        let all = book();
        resolve_contact(query, &all).map(|c| c.id.as_u64())
    }

    #[test]
    fn each_rule_finds_its_contact() {
        assert_eq!(found("abcd000000000001"), Ok(0xabcd_0000_0000_0001));
        assert_eq!(
            found("ABCD1"),
            Ok(0xabcd_1000_0000_0002),
            "a prefix, any case"
        );
        assert_eq!(found("abcd10000000000"), Ok(0xabcd_1000_0000_0002));
        assert_eq!(found("v@example.org"), Ok(0xabcd_1000_0000_0002));
        assert_eq!(found("jean valjean"), Ok(0xabcd_1000_0000_0002));
        assert_eq!(found("okafor"), Ok(0xabcd_0000_0000_0001));
        assert!(
            matches!(found("abc"), Err(ResolveError::NotFound(_))),
            "3 chars: no prefix"
        );
        assert!(matches!(found("nobody"), Err(ResolveError::NotFound(_))));
    }

    #[test]
    fn a_shared_prefix_or_name_part_is_ambiguous() {
        for q in ["abcd", "jean"] {
            let all = book();
            match resolve_contact(q, &all) {
                Err(ResolveError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
                other => panic!("{q}: {other:?}"),
            }
        }
        // Only the merged contact has this prefix, and a prefix never finds a merged contact.
        assert!(matches!(found("abce"), Err(ResolveError::NotFound(_))));
    }

    #[test]
    fn a_merged_contact_resolves_by_exact_id_to_its_survivor_only() {
        assert_eq!(found("abce000000000003"), Ok(0xabcd_0000_0000_0001));
        assert!(matches!(
            found("old@example.org"),
            Err(ResolveError::NotFound(_))
        ));
    }

    #[test]
    fn contacts_outside_among_are_as_if_absent() {
        let all = book();
        let not_jeanne = |c: &Contact| c.id.as_u64() != 0xabcd_0000_0000_0001;
        let r = resolve_contact_among("jean", &all, &not_jeanne).map(|c| c.id.as_u64());
        assert_eq!(r, Ok(0xabcd_1000_0000_0002));
        // The merged contact's survivor is left out: its exact id stops at itself.
        let r = resolve_contact_among("abce000000000003", &all, &not_jeanne).map(|c| c.id.as_u64());
        assert_eq!(r, Ok(0xabce_0000_0000_0003));
    }
}
