//! Finding probable duplicates: the same email, phone or profile URL, or close names at the
//! same organisation. The common case is two devices that each created the same person while
//! offline. Only the same email or URL is *certain* (`dedupe --apply` merges those); a phone
//! can be a shared switchboard and a close name can be a colleague.

use rapport_model::{Contact, ContactId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Names at least this similar (Jaro-Winkler, lowercased) at one organisation are flagged.
pub const NAME_SIMILARITY: f64 = 0.92;
/// Phone numbers shorter than this (extensions, short codes) are not evidence.
const MIN_PHONE_DIGITS: usize = 7;
/// An email, phone or URL shared by more contacts than this is an office switchboard or an
/// `info@` address, not one person: it says nothing about duplicates, and pairing all of its
/// holders would cost memory quadratic in their number.
pub const MAX_SHARED_KEY: usize = 20;

/// Why two contacts look like one person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Reason {
    SameEmail(String),
    SameUrl(String),
    SamePhone(String),
    /// Close names (similarity in percent) at this organisation.
    CloseNames {
        org: String,
        similarity: u8,
    },
}

impl Reason {
    pub fn is_certain(&self) -> bool {
        matches!(self, Reason::SameEmail(_) | Reason::SameUrl(_))
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::SameEmail(e) => write!(f, "same email {e}"),
            Reason::SameUrl(u) => write!(f, "same profile URL {u}"),
            Reason::SamePhone(p) => write!(f, "same phone {p}"),
            Reason::CloseNames { org, similarity } => {
                write!(f, "close names ({similarity}% alike) at {org}")
            }
        }
    }
}

/// Two contacts that are probably one person. `keep` is the older one (created first), which
/// survives a merge; `merge` would be merged into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    pub keep: ContactId,
    pub merge: ContactId,
    pub reasons: Vec<Reason>,
}

impl Duplicate {
    /// Same email or same URL: safe to merge without asking.
    pub fn is_certain(&self) -> bool {
        self.reasons.iter().any(Reason::is_certain)
    }
}

/// Probable duplicates among the live contacts (trashed and merged ones are left out), most
/// certain first, then by the surviving contact's id.
pub fn find(contacts: &[Contact]) -> Vec<Duplicate> {
    let live: Vec<&Contact> = contacts
        .iter()
        .filter(|c| !c.is_trashed() && c.merged_into.is_none())
        .collect();
    let mut pairs: BTreeMap<(ContactId, ContactId), Vec<Reason>> = BTreeMap::new();
    let order = |a: &Contact, b: &Contact| {
        if (a.created, a.id) <= (b.created, b.id) {
            (a.id, b.id)
        } else {
            (b.id, a.id)
        }
    };
    let mut by_key = |key: &str, make: &dyn Fn(&str) -> Reason, members: &[&Contact]| {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                pairs.entry(order(a, b)).or_default().push(make(key));
            }
        }
    };
    type Keys = fn(&Contact) -> Vec<String>;
    type Make<'a> = &'a dyn Fn(&str) -> Reason;
    let sets: [(Keys, Make<'_>); 3] = [
        (|c| c.emails.iter().cloned().collect(), &|k| {
            Reason::SameEmail(k.to_owned())
        }),
        (
            |c| c.links.iter().map(|l| canonical_url(l)).collect(),
            &|k| Reason::SameUrl(k.to_owned()),
        ),
        (
            |c| {
                c.phones
                    .iter()
                    .filter(|p| p.trim_start_matches('+').len() >= MIN_PHONE_DIGITS)
                    .cloned()
                    .collect()
            },
            &|k| Reason::SamePhone(k.to_owned()),
        ),
    ];
    for (keys, make) in sets {
        let mut groups: HashMap<String, Vec<&Contact>> = HashMap::new();
        for c in &live {
            for k in keys(c) {
                groups.entry(k).or_default().push(c);
            }
        }
        let mut keys: Vec<_> = groups
            .into_iter()
            .filter(|(_, v)| v.len() > 1 && v.len() <= MAX_SHARED_KEY)
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, members) in keys {
            by_key(&k, make, &members);
        }
    }
    // Names are compared within one organisation and one initial: names that Jaro-Winkler
    // rates this close almost always share their first letter, and the blocking keeps a large
    // employer's thousands of contacts from costing millions of comparisons.
    let mut by_org: HashMap<(String, Option<char>), Vec<&Contact>> = HashMap::new();
    for c in &live {
        if let Some(org) = c.org.as_deref().map(|o| o.trim().to_lowercase()) {
            if !org.is_empty() {
                let initial = c
                    .name
                    .trim()
                    .chars()
                    .next()
                    .map(|ch| ch.to_lowercase().next().unwrap_or(ch));
                by_org.entry((org, initial)).or_default().push(c);
            }
        }
    }
    for members in by_org.values() {
        let names: Vec<String> = members.iter().map(|c| c.name.to_lowercase()).collect();
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                let sim = strsim::jaro_winkler(&names[i], &names[j]);
                if sim >= NAME_SIMILARITY {
                    let org = members[i].org.clone().unwrap_or_default();
                    pairs
                        .entry(order(members[i], members[j]))
                        .or_default()
                        .push(Reason::CloseNames {
                            org,
                            similarity: (sim * 100.0).floor() as u8,
                        });
                }
            }
        }
    }
    let mut out: Vec<Duplicate> = pairs
        .into_iter()
        .map(|((keep, merge), mut reasons)| {
            reasons.sort();
            reasons.dedup();
            Duplicate {
                keep,
                merge,
                reasons,
            }
        })
        .collect();
    out.sort_by_key(|d| (!d.is_certain(), d.keep, d.merge));
    out
}

/// A profile URL without the differences that do not matter: scheme, `www.`, a trailing slash
/// and case (`https://www.linkedin.com/in/x/` and `http://linkedin.com/in/X` are one profile).
pub fn canonical_url(url: &str) -> String {
    let u = url.trim().to_lowercase();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(&u);
    let u = u.strip_prefix("www.").unwrap_or(u);
    u.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_model::ContactId;

    fn contact(id: u64, name: &str, org: Option<&str>, email: Option<&str>) -> Contact {
        Contact {
            id: ContactId::from_u64(id),
            name: name.to_owned(),
            emails: email.into_iter().map(str::to_owned).collect(),
            phones: Default::default(),
            links: Default::default(),
            org: org.map(str::to_owned),
            title: None,
            tags: Default::default(),
            groups: Default::default(),
            met_on: None,
            met_at: None,
            met_context: None,
            introduced_by: None,
            trust: None,
            connected_on: None,
            notes: None,
            created: id as i64,
            updated: id as i64,
            deleted: None,
            merged_into: None,
            cadence: None,
            snoozed_until: None,
            follow_ups: Default::default(),
        }
    }

    #[test]
    fn finds_same_email_and_close_names_at_one_org_with_reasons() {
        let mut a = contact(1, "Jeanne Yocum", Some("Acme"), Some("j@example.org"));
        a.links.insert("https://www.linkedin.com/in/jy/".into());
        let mut b = contact(2, "Jeanne Yocum", None, Some("j@example.org"));
        b.links.insert("http://linkedin.com/in/JY".into());
        let c = contact(3, "Omar Haddad", Some("Acme"), None);
        let d = contact(4, "Omar Hadad", Some("ACME"), None);
        let e = contact(5, "Omar Haddad", Some("Globex"), None);
        let mut gone = contact(6, "Jeanne Yocum", None, Some("j@example.org"));
        gone.merged_into = Some(a.id);
        gone.deleted = Some(1);
        let found = find(&[a, b, c, d, e, gone]);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].keep, ContactId::from_u64(1));
        assert_eq!(found[0].merge, ContactId::from_u64(2));
        assert!(found[0].is_certain());
        assert_eq!(
            found[0].reasons,
            vec![
                Reason::SameEmail("j@example.org".into()),
                Reason::SameUrl("linkedin.com/in/jy".into())
            ]
        );
        assert_eq!(
            (found[1].keep, found[1].merge),
            (ContactId::from_u64(3), ContactId::from_u64(4))
        );
        assert!(!found[1].is_certain());
        assert!(matches!(found[1].reasons[0], Reason::CloseNames { .. }));
    }

    #[test]
    fn an_address_shared_by_many_is_not_a_duplicate_reason() {
        let names = [
            "Ann", "Bob", "Cyd", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon",
        ];
        let few: Vec<Contact> = (0..MAX_SHARED_KEY as u64)
            .map(|i| {
                contact(
                    i + 1,
                    &format!("{} {i}", names[i as usize % 10]),
                    None,
                    Some("info@x.org"),
                )
            })
            .collect();
        let pairs = MAX_SHARED_KEY * (MAX_SHARED_KEY - 1) / 2;
        assert_eq!(find(&few).len(), pairs);
        let mut many = few;
        many.push(contact(99, "Zed", None, Some("info@x.org")));
        assert!(find(&many).is_empty(), "a switchboard address pairs nobody");
    }
}
