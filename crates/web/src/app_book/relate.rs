//! The relationship pages over the replica. Writes (`done`, `snooze`) are the application
//! layer's requests, answered with the CLI's sentences. Reads run the same queries as `due`
//! and `intro` (`rapport_model::relate`) on the store's relate index, as `rapport_app` does,
//! kept between pages until the vault's heads change, so that a card's "who can introduce
//! me" does not reread the index on each view, nor rebuild the acquaintance graph (built on
//! the first card that asks, kept with the records it indexes).

use super::{AppBook, Host};
use crate::book::{BookError, BookResult, SnoozeTarget};
use rapport_app::model::relate::{self, DueItem, IntroGraph, IntroPath};
use rapport_app::model::{Contact, ContactId, Group, GroupId, Interaction, InteractionId, Period};
use rapport_app::time;
use rapport_app::Request;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// Everything the queries read, from the view, at one set of heads.
#[derive(Debug)]
pub(super) struct Loaded {
    heads: String,
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    groups: Vec<Group>,
    tags: BTreeMap<String, Period>,
    acquaintances: OnceLock<relate::Acquaintances>,
}

impl Loaded {
    fn book(&self) -> relate::Book<'_> {
        relate::Book {
            contacts: &self.contacts,
            interactions: &self.interactions,
            groups: &self.groups,
            tag_cadences: &self.tags,
        }
    }
}

impl<H: Host> AppBook<H> {
    fn loaded(&self) -> BookResult<Arc<Loaded>> {
        let heads = self.heads()?;
        let mut slot = self.relate.lock().map_err(|_| {
            BookError::Failed("the relationship index failed; restart `rapport serve`".into())
        })?;
        if let Some(l) = slot.as_ref().filter(|l| l.heads == heads) {
            return Ok(l.clone());
        }
        // Let go of the old heads' records (and their graph) before reading the new ones, so
        // the two are never held at once: at W1 that is tens of MiB the daemon would keep as
        // its high-water mark after every change.
        *slot = None;
        // The store's relate index, as `rapport due` and `rapport intro` read it: slim
        // contacts and only the interactions the queries look at, no timeline decoded.
        let loaded = Arc::new(self.read(|v| {
            let book = v.relate_book()?;
            Ok(Loaded {
                heads: heads.clone(),
                contacts: book.contacts,
                interactions: book.interactions,
                groups: v.groups()?,
                tags: v.tag_cadences()?,
                acquaintances: OnceLock::new(),
            })
        })?);
        *slot = Some(loaded.clone());
        Ok(loaded)
    }

    pub(super) fn due_items(&self, within: Option<Period>) -> BookResult<Vec<DueItem>> {
        let l = self.loaded()?;
        Ok(relate::due(&l.book(), time::today(), within))
    }

    pub(super) fn paths_to(&self, target: ContactId) -> BookResult<Vec<IntroPath>> {
        let l = self.loaded()?;
        let book = l.book();
        let graph = l
            .acquaintances
            .get_or_init(|| relate::Acquaintances::build(&book));
        Ok(graph.intro_paths(&book, target, relate::DEFAULT_MAX_HOPS))
    }

    pub(super) fn graph(&self, group: Option<GroupId>) -> BookResult<IntroGraph> {
        let l = self.loaded()?;
        if let Some(g) = group {
            if !l.groups.iter().any(|x| x.id == g && x.deleted.is_none()) {
                return Err(BookError::NotFound(format!(
                    "no group has id {g}: it may have been deleted"
                )));
            }
        }
        Ok(relate::intro_graph(&l.book(), group))
    }

    pub(super) fn done(&self, id: InteractionId) -> BookResult<String> {
        self.app_action(&Request::Done { follow_up: id })
    }

    pub(super) fn defer(&self, target: SnoozeTarget, period: Period) -> BookResult<String> {
        let target = match target {
            SnoozeTarget::FollowUp(id) => id.to_string(),
            SnoozeTarget::Contact(id) => id.to_string(),
        };
        self.app_action(&Request::Snooze { target, period })
    }
}
