//! Matching parsed records to the vault, and writing the result as one commit.
//!
//! `plan` is read-only (it is what `--dry-run` prints); `apply` (in `plan/apply.rs`) writes a
//! plan as one `Vault::batch` whose commit message starts with `import ` — the whole import is
//! one Automerge change, which is how `rapport import undo` finds and reverts it.

use crate::candidate::MatchKey;
use crate::{Candidate, ImportError, Parsed, Skipped};
use rapport_model::{ContactExtras, ContactId, ContactPatch, Vault};
use std::collections::HashMap;

mod apply;
pub use apply::{apply, commit_message, COMMIT_PREFIX};

/// What an import will do with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A new contact, with this id (the record's own Rapport id when it is free).
    Create(ContactId),
    /// An existing contact gains or changes these values.
    Update {
        id: ContactId,
        patch: Box<ContactPatch>,
        extras: Option<ContactExtras>,
        /// Log the record's first interaction (a new connection date).
        log_connection: bool,
    },
    Unchanged(ContactId),
}

/// One planned record.
#[derive(Debug, Clone)]
pub struct Planned {
    pub candidate: Candidate,
    pub action: Action,
    /// The key that matched an existing contact, for the summary.
    pub matched_by: Option<&'static str>,
}

/// The whole plan, and what the summary prints.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub items: Vec<Planned>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
    pub key_note: Option<String>,
}

impl Plan {
    pub fn created(&self) -> usize {
        self.count(|a| matches!(a, Action::Create(_)))
    }
    pub fn updated(&self) -> usize {
        self.count(|a| matches!(a, Action::Update { .. }))
    }
    pub fn unchanged(&self) -> usize {
        self.count(|a| matches!(a, Action::Unchanged(_)))
    }
    fn count(&self, f: impl Fn(&Action) -> bool) -> usize {
        self.items.iter().filter(|p| f(&p.action)).count()
    }
    /// How many updates matched by each kind of key.
    pub fn matched_by(&self) -> Vec<(&'static str, usize)> {
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        for by in self.items.iter().filter_map(|p| p.matched_by) {
            match counts.iter_mut().find(|(k, _)| *k == by) {
                Some((_, n)) => *n += 1,
                None => counts.push((by, 1)),
            }
        }
        counts
    }
    /// Whether applying it writes anything.
    pub fn is_noop(&self) -> bool {
        self.created() == 0 && self.updated() == 0
    }
}

/// Plans `parsed` against the live contacts of `vault`. `new_id` makes the id of each new
/// contact that brings none of its own (randomness is the caller's).
pub fn plan(
    vault: &Vault,
    parsed: Parsed,
    mut new_id: impl FnMut() -> ContactId,
) -> Result<Plan, ImportError> {
    let read = |e: rapport_model::ReadError| ImportError::Apply {
        record: "the vault".to_owned(),
        reason: e.to_string(),
    };
    let contacts = vault.contacts().map_err(read)?;
    let mut index: HashMap<MatchKey, ContactId> = HashMap::new();
    let mut taken: std::collections::HashSet<ContactId> = std::collections::HashSet::new();
    // Live contacts first, so that they win a key over a trashed contact; trashed and merged
    // contacts are matched too, so that importing a file again never brings back as new someone
    // the user deleted or merged.
    let mut ordered: Vec<&rapport_model::Contact> = contacts.iter().collect();
    ordered.sort_by_key(|c| c.is_trashed());
    let wants_uid = parsed
        .candidates
        .iter()
        .any(|c| c.keys.iter().any(|k| matches!(k, MatchKey::Uid(_))));
    for c in ordered {
        taken.insert(c.id);
        index.entry(MatchKey::Id(c.id)).or_insert(c.id);
        for l in &c.links {
            index.entry(MatchKey::Link(l.clone())).or_insert(c.id);
        }
        for e in &c.emails {
            index.entry(MatchKey::Email(e.clone())).or_insert(c.id);
        }
        index
            .entry(MatchKey::NameOrg(
                c.name.to_lowercase(),
                c.org.as_ref().map(|o| o.to_lowercase()),
            ))
            .or_insert(c.id);
        if wants_uid {
            let extras = vault.contact_extras(c.id).map_err(read)?;
            if let Some(uid) = extras
                .and_then(|e| e.vcard_extra)
                .and_then(|x| crate::vcard_in::uid_in_extra(&x))
            {
                index.entry(MatchKey::Uid(uid)).or_insert(c.id);
            }
        }
    }
    let by_id: HashMap<ContactId, &rapport_model::Contact> =
        contacts.iter().map(|c| (c.id, c)).collect();
    let mut out = Plan {
        skipped: parsed.skipped,
        warnings: parsed.warnings,
        key_note: parsed.key_note,
        ..Default::default()
    };
    // The identity (strongest key) of each record already planned in this import: a second
    // record with the same one is the same person listed twice. Only the strongest key counts:
    // two cards with their own ids or UIDs that share an email (a couple, an office address)
    // are two people.
    let mut seen: HashMap<MatchKey, String> = HashMap::new();
    // Contacts that others were merged into stand for several records: an import may add to
    // them, never overwrite them from one of those records.
    let survivors: std::collections::HashSet<ContactId> =
        contacts.iter().filter_map(|c| c.merged_into).collect();
    // Existing contacts already matched by a record of this import.
    let mut matched: HashMap<ContactId, String> = HashMap::new();
    for cand in parsed.candidates {
        let identity = cand
            .keys
            .first()
            .filter(|k| !matches!(k, MatchKey::NameOrg(..)))
            .cloned();
        if let Some(first) = identity.as_ref().and_then(|k| seen.get(k).map(|r| (k, r))) {
            out.skipped.push(Skipped {
                record: cand.record.clone(),
                reason: format!("it has the same {} as {}", first.0.kind(), first.1),
            });
            continue;
        }
        if let Some(k) = identity {
            seen.insert(k, cand.record.clone());
        }
        let found = cand
            .keys
            .iter()
            .find_map(|k| index.get(k).map(|id| (k.kind(), *id)));
        // Through a merge (or onto a merge's survivor), the record may describe the merged-away
        // contact: it may add to the survivor but not rename or overwrite it.
        let found = found.and_then(|(by, id)| {
            follow(&by_id, id).map(|c| (by, c, c.id != id || survivors.contains(&c.id)))
        });
        if let Some(first) = found.and_then(|(_, c, _)| matched.get(&c.id)) {
            out.skipped.push(Skipped {
                record: cand.record.clone(),
                reason: format!("it matches the same contact as {first}"),
            });
            continue;
        }
        if let Some((_, c, _)) = found {
            matched.insert(c.id, cand.record.clone());
        }
        let (found, through_merge) = match found {
            Some((by, c, merged)) => (Some((by, c)), merged),
            None => (None, false),
        };
        if let Some((by, trashed)) = found.filter(|(_, c)| c.is_trashed()) {
            out.skipped.push(Skipped {
                record: cand.record.clone(),
                reason: format!(
                    "it matches (by {by}) {} {}, who is in the trash: `rapport restore {}` brings them back",
                    trashed.id, trashed.name, trashed.id
                ),
            });
            continue;
        }
        let planned = match found {
            Some((by, existing)) => {
                let extras = match &cand.extras {
                    Some(_) => vault.contact_extras(existing.id).map_err(read)?,
                    None => None,
                };
                let action = update_of(existing, extras.unwrap_or_default(), &cand, through_merge);
                Planned {
                    candidate: cand,
                    action,
                    matched_by: Some(by),
                }
            }
            None => {
                let own = cand.keys.iter().find_map(|k| match k {
                    MatchKey::Id(id) if !taken.contains(id) => Some(*id),
                    _ => None,
                });
                let id = match own {
                    Some(id) => id,
                    None => fresh_id(&mut new_id, &taken)?,
                };
                taken.insert(id);
                Planned {
                    candidate: cand,
                    action: Action::Create(id),
                    matched_by: None,
                }
            }
        };
        out.items.push(planned);
    }
    Ok(out)
}

/// The contact `id` names, following merges to the survivor (bounded: a damaged document
/// could hold a cycle).
fn follow<'a>(
    by_id: &HashMap<ContactId, &'a rapport_model::Contact>,
    mut id: ContactId,
) -> Option<&'a rapport_model::Contact> {
    for _ in 0..32 {
        let c = by_id.get(&id)?;
        match c.merged_into {
            Some(next) if by_id.contains_key(&next) => id = next,
            _ => return Some(c),
        }
    }
    by_id.get(&id).copied()
}

/// A new id that no record of the vault uses (a random 64-bit id practically never collides;
/// a generator that keeps colliding is a bug, reported instead of looping).
fn fresh_id(
    new_id: &mut impl FnMut() -> ContactId,
    taken: &std::collections::HashSet<ContactId>,
) -> Result<ContactId, ImportError> {
    for _ in 0..64 {
        let id = new_id();
        if !taken.contains(&id) {
            return Ok(id);
        }
    }
    Err(ImportError::Apply {
        record: "the vault".to_owned(),
        reason: "no free contact id could be made".to_owned(),
    })
}

/// What changes when `cand` is imported over `c`: values it brings that differ are set, set
/// members it brings are added. Nothing is removed: an import only adds what it knows.
fn update_of(
    c: &rapport_model::Contact,
    current: ContactExtras,
    cand: &Candidate,
    additive_only: bool,
) -> Action {
    let differs = |new: &Option<String>, old: &Option<String>| match new {
        Some(n) if Some(n) != old.as_ref() => Some(n.clone()),
        _ => None,
    };
    let missing = |new: &[String], old: &rapport_model::SortedSet<String>| -> Vec<String> {
        new.iter().filter(|v| !old.contains(*v)).cloned().collect()
    };
    let date = |d: Option<chrono::NaiveDate>, old: Option<chrono::NaiveDate>| match d {
        Some(d) if Some(d) != old => Some(d.format("%Y-%m-%d").to_string()),
        _ => None,
    };
    let patch = ContactPatch {
        name: (cand.name != c.name).then(|| cand.name.clone()),
        org: differs(&cand.org, &c.org),
        title: differs(&cand.title, &c.title),
        notes: differs(&cand.notes, &c.notes),
        met_at: differs(&cand.met_at, &c.met_at),
        met_context: differs(&cand.met_context, &c.met_context),
        trust: cand.trust.filter(|t| Some(*t) != c.trust),
        met_on: date(cand.met_on, c.met_on),
        connected_on: date(cand.connected_on, c.connected_on),
        cadence: cand.cadence.filter(|p| Some(*p) != c.cadence),
        add_emails: missing(&cand.emails, &c.emails),
        add_phones: missing(&cand.phones, &c.phones),
        add_links: missing(&cand.links, &c.links),
        add_tags: missing(&cand.tags, &c.tags),
        ..Default::default()
    };
    let patch = if additive_only {
        ContactPatch {
            add_emails: patch.add_emails,
            add_phones: patch.add_phones,
            add_links: patch.add_links,
            add_tags: patch.add_tags,
            ..Default::default()
        }
    } else {
        patch
    };
    let extras = cand
        .extras
        .as_ref()
        .filter(|_| !additive_only)
        .and_then(|new| {
            let wanted = if cand.extras_replace {
                new.clone()
            } else {
                ContactExtras {
                    birthday: new.birthday.clone().or(current.birthday.clone()),
                    anniversary: new.anniversary.clone().or(current.anniversary.clone()),
                    vcard_extra: current.vcard_extra.clone(),
                }
            };
            (wanted != current).then_some(wanted)
        });
    // A connection date the contact did not have yet gets its first interaction; one it
    // already had was logged by the import that set it.
    let log_connection = cand.connection.is_some() && c.connected_on.is_none() && !additive_only;
    if patch.is_empty() && extras.is_none() && !log_connection {
        Action::Unchanged(c.id)
    } else {
        Action::Update {
            id: c.id,
            patch: Box::new(patch),
            extras,
            log_connection,
        }
    }
}

impl Planned {
    pub(crate) fn is_create(&self) -> bool {
        matches!(self.action, Action::Create(_))
    }
}
