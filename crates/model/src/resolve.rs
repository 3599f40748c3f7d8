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
    let q = query.trim();
    let lower = q.to_lowercase();
    if let Some(exact) = contacts.iter().find(|c| c.id.to_string() == lower) {
        return Ok(follow_merges(exact, contacts));
    }
    let is_hex = q.len() >= 4 && q.len() <= 16 && q.bytes().all(|b| b.is_ascii_hexdigit());
    let rules: [&dyn Fn(&Contact) -> bool; 5] = [
        &|c| c.merged_into.is_none() && c.id.to_string() == lower,
        &|c| c.merged_into.is_none() && is_hex && c.id.to_string().starts_with(&lower),
        &|c| c.merged_into.is_none() && c.emails.contains(&lower),
        &|c| c.merged_into.is_none() && c.name.to_lowercase() == lower,
        &|c| c.merged_into.is_none() && !lower.is_empty() && c.name.to_lowercase().contains(&lower),
    ];
    for rule in rules {
        let matches: Vec<&Contact> = contacts.iter().filter(|c| rule(c)).collect();
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
fn follow_merges<'a>(c: &'a Contact, contacts: &'a [Contact]) -> &'a Contact {
    let mut current = c;
    for _ in 0..32 {
        let Some(next) = current.merged_into else {
            return current;
        };
        match contacts.iter().find(|x| x.id == next) {
            Some(found) => current = found,
            None => return current,
        }
    }
    current
}
