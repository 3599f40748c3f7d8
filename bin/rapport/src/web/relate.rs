//! The relationship pages over the replica. Writes (`done`, `snooze`) are the application
//! layer's requests, answered with the CLI's sentences. Reads run the same queries as `due`
//! and `intro` (`rapport_model::relate`) on records kept between pages until the vault's heads
//! change, so that a card's "who can introduce me" does not reread every contact and
//! interaction on each view (`rapport_app`'s own `intro` reads them per request).

use super::{no_field, to_book, WebBook};
use crate::time;
use rapport_app::Request;
use rapport_model::relate::{self, DueItem, IntroGraph, IntroPath};
use rapport_model::{Contact, ContactId, Group, GroupId, Interaction, InteractionId, Period};
use rapport_web::book::{BookError, BookResult, SnoozeTarget};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything the queries read, from the view, at one set of heads.
#[derive(Debug)]
pub(super) struct Loaded {
    heads: String,
    contacts: Vec<Contact>,
    interactions: Vec<Interaction>,
    groups: Vec<Group>,
    tags: BTreeMap<String, Period>,
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

impl WebBook {
    fn loaded(&self) -> BookResult<Arc<Loaded>> {
        let heads = self.heads()?;
        let mut slot = self.relate.lock().map_err(|_| {
            BookError::Failed("the relationship index failed; restart `rapport serve`".into())
        })?;
        if let Some(l) = slot.as_ref().filter(|l| l.heads == heads) {
            return Ok(l.clone());
        }
        let loaded = Arc::new(self.read(|v| {
            Ok(Loaded {
                heads: heads.clone(),
                contacts: v.contacts()?,
                interactions: v.interactions()?,
                groups: v.groups()?,
                tags: v.tag_cadences()?,
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
        Ok(relate::intro_paths(
            &l.book(),
            target,
            relate::DEFAULT_MAX_HOPS,
        ))
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

    /// Runs one request through the application layer, as the CLI does, and returns the
    /// sentence the CLI prints for its response.
    pub(super) fn app_action(&self, request: &Request) -> BookResult<String> {
        let mut replica = self.replica.blocking_lock();
        let response = rapport_app::handle(&replica.home, request)
            .map_err(|e| to_book(&e.into(), &no_field))?;
        if let Err(e) = replica.changed_locally() {
            crate::note!("warning: {e}");
        }
        Ok(rapport_app::render::text(&response, false)
            .stdout
            .trim()
            .to_owned())
    }
}
