//! Read requests. They read the store's view only; none of them loads the Automerge document
//! while the view is current.

use crate::home::Home;
use crate::request::ListFilter;
use crate::resolve::{find_contact, find_group};
use crate::response::{Card, ContactList, Response, SearchHits};
use crate::{time, AppError};
use rapport_model::{Contact, ContactId, DeviceId};
use rapport_store::{ReadView, StoreError};
use std::collections::{BTreeMap, BTreeSet};

pub fn list(home: &Home, filter: &ListFilter) -> Result<Response, AppError> {
    let tag = filter.tag.as_ref().map(|t| t.trim().to_lowercase());
    let (mut contacts, groups) = home.read(|v| Ok((v.contacts()?, v.groups()?)))?;
    let group = filter
        .group
        .as_ref()
        .map(|g| find_group(&groups, g, false))
        .transpose()?;
    let min_trust = filter.trust_at_least;
    contacts.retain(|c| {
        !c.is_trashed()
            && tag.as_ref().is_none_or(|t| c.tags.contains(t))
            && group.as_ref().is_none_or(|g| c.groups.contains(&g.id))
            && min_trust.is_none_or(|m| c.trust.is_some_and(|t| t >= m))
    });
    sort_by_name(&mut contacts);
    Ok(Response::Contacts(ContactList { contacts, groups }))
}

pub fn show(home: &Home, query: &str) -> Result<Response, AppError> {
    // An exact id (what scripts and `list` give) reads one record instead of every contact,
    // and the whole card in one read. A merged-away id goes the long way, which follows it
    // to the survivor.
    let by_id = match query.trim().parse::<ContactId>() {
        Ok(id) => home.read(|v| match v.contact_record(id)? {
            Some(c) if c.merged_into.is_none() => card_of(v, c, home.device).map(Some),
            _ => Ok(None),
        })?,
        Err(_) => None,
    };
    let card = match by_id {
        Some(card) => card,
        None => {
            let contacts = home.read(|v| v.contacts())?;
            let found = find_contact(&contacts, query, false)
                .or_else(|e| find_contact(&contacts, query, true).map_err(|_| e))?;
            home.read(|v| {
                v.contact_record(found.id)?
                    .map(|c| card_of(v, c, home.device))
                    .transpose()
            })?
            .ok_or_else(|| {
                AppError::NotFound(format!("contact {} vanished while reading", found.id))
            })?
        }
    };
    Ok(Response::Card(Box::new(card)))
}

/// The card of `contact` as the view holds it, shown on `this_device`.
fn card_of(v: &ReadView<'_>, contact: Contact, this_device: DeviceId) -> Result<Card, StoreError> {
    let timeline = v.timeline(contact.id)?;
    let mut mentioned: BTreeSet<ContactId> = contact.introduced_by.into_iter().collect();
    for i in &timeline {
        mentioned.extend(i.contacts.iter().filter(|x| **x != contact.id));
    }
    let mut contact_names = BTreeMap::new();
    for id in mentioned {
        // An unreadable or missing contact is shown by its id.
        if let Ok(Some(x)) = v.contact_record(id) {
            contact_names.insert(id, x.name);
        }
    }
    Ok(Card {
        group_names: v
            .groups()?
            .into_iter()
            .filter(|g| g.deleted.is_none())
            .map(|g| (g.id, g.name))
            .collect(),
        origins: v.provenance(contact.id)?,
        devices: v.devices()?,
        contact,
        timeline,
        contact_names,
        this_device,
    })
}

pub fn search(home: &Home, query: &str) -> Result<Response, AppError> {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Err(AppError::BadInput(
            "the search query is empty: give a word to look for".into(),
        ));
    }
    let (contacts, groups, text_hits) = home.read(|v| {
        let text_hits: BTreeMap<ContactId, Vec<String>> = v
            .timelines_matching(&needle, |_, timeline| {
                let hits: Vec<String> = timeline
                    .iter()
                    .filter(|i| {
                        contains_ci(&i.text, &needle)
                            || i.place.as_deref().is_some_and(|p| contains_ci(p, &needle))
                    })
                    .map(|i| {
                        format!(
                            "{} {}: {}",
                            time::local(i.at),
                            i.kind,
                            snippet(&i.text, &needle)
                        )
                    })
                    .collect();
                (!hits.is_empty()).then_some(hits)
            })?
            .into_iter()
            .collect();
        // Only contacts that can match are decoded: those whose timelines matched, and those
        // whose own stored text holds the needle.
        let also = text_hits.keys().copied().collect();
        Ok((v.contacts_matching(&needle, &also)?, v.groups()?, text_hits))
    })?;
    let mut hits: Vec<(Contact, Vec<String>)> = Vec::new();
    for c in contacts.into_iter().filter(|c| !c.is_trashed()) {
        let mut matched = Vec::new();
        if contains_ci(&c.name, &needle) {
            matched.push("name".to_owned());
        }
        if c.org.as_deref().is_some_and(|o| contains_ci(o, &needle)) {
            matched.push("org".to_owned());
        }
        if c.title.as_deref().is_some_and(|o| contains_ci(o, &needle)) {
            matched.push("title".to_owned());
        }
        if c.emails.iter().any(|e| e.contains(&needle)) {
            matched.push("email".to_owned());
        }
        if c.tags.iter().any(|t| t.contains(&needle)) {
            matched.push("tag".to_owned());
        }
        if c.notes.as_deref().is_some_and(|n| contains_ci(n, &needle)) {
            matched.push("notes".to_owned());
        }
        if let Some(lines) = text_hits.get(&c.id) {
            matched.extend(lines.iter().cloned());
        }
        if !matched.is_empty() {
            hits.push((c, matched));
        }
    }
    hits.sort_by_cached_key(|a| name_key(&a.0));
    Ok(Response::Found(SearchHits { hits, groups }))
}

pub fn trash(home: &Home) -> Result<Response, AppError> {
    let (mut contacts, groups) = home.read(|v| Ok((v.contacts()?, v.groups()?)))?;
    contacts.retain(Contact::is_trashed);
    sort_by_name(&mut contacts);
    Ok(Response::Trash(ContactList { contacts, groups }))
}

pub(crate) fn sort_by_name(contacts: &mut [Contact]) {
    contacts.sort_by_cached_key(name_key);
}

fn name_key(c: &Contact) -> (String, ContactId) {
    // The same key for an ASCII name, made without `to_lowercase`'s per-character Unicode
    // mapping: it was a twentieth of a cold `list --json` at W30 (perf).
    let name = if c.name.is_ascii() {
        c.name.to_ascii_lowercase()
    } else {
        c.name.to_lowercase()
    };
    (name, c.id)
}

/// Whether `haystack` holds `lower_needle` (already lowercase), ignoring case.
fn contains_ci(haystack: &str, lower_needle: &str) -> bool {
    if lower_needle.is_ascii() {
        find_ascii_ci(haystack, lower_needle).is_some()
    } else {
        haystack.to_lowercase().contains(lower_needle)
    }
}

/// The byte offset of the first match of an ASCII `lower_needle` in `haystack`, ignoring ASCII
/// case: bytewise, as the store's prefilter (`ReadView::timelines_matching`) compares, so
/// that what it lets through is matched the same way (a byte past ASCII never equals one of
/// the needle's). Comparing window by window, and lowercasing every hit's text as a Unicode
/// string, were a seventh of a cold search for a common word at W30 (perf).
fn find_ascii_ci(haystack: &str, lower_needle: &str) -> Option<usize> {
    let lower = haystack.as_bytes().to_ascii_lowercase();
    memchr::memmem::find(&lower, lower_needle.as_bytes())
}

/// A short excerpt of `text` around the first match.
fn snippet(text: &str, lower_needle: &str) -> String {
    const WIDTH: usize = 60;
    let at = if lower_needle.is_ascii() {
        find_ascii_ci(text, lower_needle)
    } else {
        // An offset into a lowercase of another length would not point into `text`.
        let lower = text.to_lowercase();
        if lower.len() != text.len() {
            return text.chars().take(WIDTH * 2).collect();
        }
        lower.find(lower_needle)
    };
    if text.len() <= WIDTH {
        return text.to_owned();
    }
    let at = at.unwrap_or(0);
    let mut start = at.saturating_sub(WIDTH / 2);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + WIDTH).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    format!("{prefix}{}{suffix}", &text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_in_ascii_and_beyond() {
        assert!(contains_ci("Met at the OffSite", "offsite"));
        assert!(contains_ci("Café Müller, Offsite", "offsite"));
        assert!(!contains_ci("Café Müller", "offsite"));
        assert!(contains_ci("Café MÜLLER", "müller"));
        assert!(!contains_ci("Cafe Muller", "müller"));
        assert!(!contains_ci("off", "offsite"));
    }

    #[test]
    fn a_snippet_is_the_window_around_the_first_match() {
        let text = format!("{} OffSite plans {}", "a".repeat(100), "b".repeat(100));
        let s = snippet(&text, "offsite");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("OffSite plans"), "{s}");
        assert_eq!(s.chars().filter(|c| *c != '…').count(), 60);
        // A window never cuts a character, whatever lies around the match.
        let accented = format!("{} Offsite {}", "é".repeat(80), "ü".repeat(80));
        let s = snippet(&accented, "offsite");
        assert!(s.contains("Offsite"), "{s}");
        assert_eq!(
            snippet("short Offsite note", "offsite"),
            "short Offsite note"
        );
        // Without a match (a field matched elsewhere), the text's start.
        assert!(snippet(&text, "zzz").starts_with("aaa"));
    }
}
