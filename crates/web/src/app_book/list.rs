//! The contact list's index: every live contact with the lower-cased text a search looks in
//! (name, organisation, emails, tags, interaction text and places), so that a keystroke in the
//! search box scans memory instead of decoding every stored contact and timeline again.
//!
//! It is built once, then kept up to date from the store's view log (`Store::view_changes_since`):
//! after a write only the contacts it changed are reread. Rebuilding it after every action cost
//! 0.8 s on W1 and took the daemon from 283 MiB to 1.3 GB.

use rapport_app::model::SortedSet;
use rapport_app::model::{Contact, ContactId, Interaction};
use rapport_app::{AppError, Home};
use std::collections::BTreeMap;

/// One contact as the list searches and sorts it.
#[derive(Debug)]
pub(super) struct Entry {
    pub contact: Contact,
    pub last_contacted: Option<i64>,
    /// The lower-cased name, the key of the list's default order.
    pub name_key: String,
    /// Lower-cased name, organisation, emails, tags and interaction text and places.
    pub haystack: String,
}

impl Entry {
    fn new(contact: Contact, timeline: &[Interaction]) -> Entry {
        let mut hay = format!("{} {} ", contact.name, contact.org.as_deref().unwrap_or(""));
        for s in contact.emails.iter().chain(&contact.tags) {
            hay.push_str(s);
            hay.push(' ');
        }
        for i in timeline {
            hay.push_str(&i.text);
            hay.push(' ');
            hay.push_str(i.place.as_deref().unwrap_or(""));
            hay.push(' ');
        }
        Entry {
            last_contacted: timeline.iter().map(|i| i.at).max(),
            name_key: contact.name.to_lowercase(),
            haystack: hay.to_lowercase(),
            contact,
        }
    }
}

/// The live (untrashed) contacts, in id order, and how many of them carry each tag.
#[derive(Debug)]
pub(super) struct ListIndex {
    /// Where the store's view log stood when this was last brought up to date.
    mark: u64,
    pub entries: BTreeMap<ContactId, Entry>,
    tags: BTreeMap<String, usize>,
}

impl ListIndex {
    /// Reads every contact and timeline.
    pub fn build(home: &Home) -> Result<ListIndex, AppError> {
        let mark = home.store.view_mark();
        let mut index = ListIndex {
            mark,
            entries: BTreeMap::new(),
            tags: BTreeMap::new(),
        };
        let (contacts, mut timelines) = home.read(|v| {
            let mut timelines = BTreeMap::new();
            v.for_each_timeline(|id, t| {
                timelines.insert(id, t);
            })?;
            Ok((v.contacts()?, timelines))
        })?;
        for c in contacts {
            let timeline = timelines.remove(&c.id).unwrap_or_default();
            index.put(c.id, Some((c, timeline)));
        }
        Ok(index)
    }

    /// Brings the index up to what the store's view holds now: rereads the contacts the view
    /// log says changed, or everything when it cannot say.
    pub fn refresh(self, home: &Home) -> Result<ListIndex, AppError> {
        let mark = home.store.view_mark();
        let Some(changed) = home.store.view_changes_since(self.mark) else {
            return ListIndex::build(home);
        };
        let mut index = self;
        if changed.is_empty() {
            index.mark = mark;
            return Ok(index);
        }
        let read = home.read(|v| {
            let mut read = Vec::with_capacity(changed.len());
            for id in &changed {
                read.push((*id, v.contact(*id)?.map(|c| (c.contact, c.timeline))));
            }
            Ok(read)
        })?;
        for (id, record) in read {
            index.put(id, record);
        }
        index.mark = mark;
        Ok(index)
    }

    /// Every tag a live contact carries, sorted.
    pub fn tags(&self) -> Vec<String> {
        self.tags.keys().cloned().collect()
    }

    /// Replaces (or with `None`, or a trashed contact, removes) the entry of `id`.
    fn put(&mut self, id: ContactId, record: Option<(Contact, Vec<Interaction>)>) {
        if let Some(old) = self.entries.remove(&id) {
            self.count_tags(&old.contact.tags, false);
        }
        let Some((contact, timeline)) = record.filter(|(c, _)| !c.is_trashed()) else {
            return;
        };
        self.count_tags(&contact.tags, true);
        self.entries.insert(id, Entry::new(contact, &timeline));
    }

    fn count_tags(&mut self, tags: &SortedSet<String>, add: bool) {
        for t in tags {
            if add {
                *self.tags.entry(t.clone()).or_default() += 1;
            } else if let Some(n) = self.tags.get_mut(t) {
                *n -= 1;
                if *n == 0 {
                    self.tags.remove(t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rapport_app::model::{InteractionKind, Vault, VaultId};
    use rapport_app::request::{ContactFields, NewNote, TagChange};
    use rapport_app::{handle, Request, Response};

    fn home(dir: &std::path::Path) -> Home {
        let home = Home::open(dir, Some("laptop")).unwrap();
        let mut vault = Vault::create(
            home.device,
            "laptop",
            VaultId::from_u64(7),
            1_700_000_000_000,
        )
        .unwrap();
        home.store.create_vault(&mut vault).unwrap();
        home
    }

    fn add(home: &Home, name: &str) -> String {
        let request = Request::Add {
            name: name.into(),
            fields: ContactFields {
                org: Some("Acme".into()),
                tags: vec!["friend".into()],
                ..Default::default()
            },
        };
        match handle(home, &request).unwrap() {
            Response::Created { id } => id,
            other => panic!("{other:?}"),
        }
    }

    fn note(home: &Home, contact: &str, with: &[&str], text: &str) {
        let request = Request::Note(NewNote {
            contact: contact.into(),
            text: text.into(),
            kind: InteractionKind::Meeting,
            at: Some(1_750_000_000_000),
            place: Some("Kafé Nord".into()),
            with: with.iter().map(|w| w.to_string()).collect(),
            follow_up: None,
        });
        handle(home, &request).unwrap();
    }

    /// What a search can see of the index.
    fn seen(index: &ListIndex) -> Vec<(ContactId, String, Option<i64>, String, String)> {
        index
            .entries
            .iter()
            .map(|(id, e)| {
                (
                    *id,
                    e.contact.name.clone(),
                    e.last_contacted,
                    e.name_key.clone(),
                    e.haystack.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn an_index_kept_up_to_date_equals_one_built_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let home = home(dir.path());
        let (ada, bo, cy) = (add(&home, "Ada"), add(&home, "Bo"), add(&home, "Cy"));
        let index = ListIndex::build(&home).unwrap();
        assert_eq!(index.entries.len(), 3);

        note(&home, &ada, &[&bo], "Talked about the Rust meetup");
        let tag = |c: &str, change: TagChange| Request::Tag {
            contact: c.into(),
            changes: vec![change],
        };
        handle(&home, &tag(&bo, TagChange::Add("climbing".into()))).unwrap();
        handle(&home, &tag(&ada, TagChange::Remove("friend".into()))).unwrap();
        handle(
            &home,
            &Request::Trash {
                contact: cy.clone(),
            },
        )
        .unwrap();
        let dee = add(&home, "Dee");

        let index = index.refresh(&home).unwrap();
        let fresh = ListIndex::build(&home).unwrap();
        assert_eq!(seen(&index), seen(&fresh));
        assert_eq!(index.tags(), fresh.tags());
        assert_eq!(
            index.tags(),
            vec!["climbing".to_owned(), "friend".to_owned()]
        );
        let bo: ContactId = bo.parse().unwrap();
        assert!(index.entries[&bo]
            .haystack
            .contains("rust meetup kafé nord"));
        assert_eq!(index.entries[&bo].last_contacted, Some(1_750_000_000_000));
        assert!(!index.entries.contains_key(&cy.parse().unwrap()));
        assert!(index.entries.contains_key(&dee.parse().unwrap()));

        // Restored from the trash, it is listed again.
        handle(
            &home,
            &Request::Restore {
                contact: cy.clone(),
            },
        )
        .unwrap();
        let index = index.refresh(&home).unwrap();
        assert!(index.entries.contains_key(&cy.parse().unwrap()));
        assert_eq!(seen(&index), seen(&ListIndex::build(&home).unwrap()));
    }
}
