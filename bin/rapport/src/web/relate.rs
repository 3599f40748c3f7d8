//! The relationship pages' reads and writes over the replica: the same queries
//! (`rapport_model::relate`) and the same vault writes as `rapport due`, `intro`, `done` and
//! `snooze`, with the CLI's sentences. What the queries read is kept between pages until the
//! vault's heads change, so a card's "who can introduce me" does not reread every record.

use super::{no_field, WebBook};
use crate::time;
use rapport_app::resolve::lookup_contact;
use rapport_app::AppError;
use rapport_model::relate::{self, DueItem, IntroGraph, IntroPath};
use rapport_model::{Contact, ContactId, Group, GroupId, Interaction, InteractionId, Period};
use rapport_store::{ReadView, StoreError};
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

/// The live contact that holds a follow-up (as `rapport done` finds it).
fn owner_of(view: &ReadView<'_>, id: InteractionId) -> Result<Option<Contact>, StoreError> {
    Ok(view
        .contacts()?
        .into_iter()
        .find(|c| !c.is_trashed() && c.follow_ups.contains_key(&id)))
}

fn no_follow_up(id: InteractionId) -> anyhow::Error {
    AppError::NotFound(format!(
        "no follow-up has id {id}: `rapport due --within 1y` lists them with their ids"
    ))
    .into()
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
        let now = time::now_ms();
        let (name, changed) = self.write(&no_field, |vault, view| {
            let owner = owner_of(view, id)?.ok_or_else(|| no_follow_up(id))?;
            Ok((owner.name, vault.close_follow_up(owner.id, id, now)?))
        })?;
        Ok(if changed {
            format!("done: follow-up {id} ({name})")
        } else {
            format!("follow-up {id} ({name}) was already done")
        })
    }

    pub(super) fn defer(&self, target: SnoozeTarget, period: Period) -> BookResult<String> {
        let now = time::now_ms();
        let until = period.after(time::today());
        self.write(&no_field, |vault, view| match target {
            SnoozeTarget::FollowUp(id) => {
                let owner = owner_of(view, id)?.ok_or_else(|| no_follow_up(id))?;
                vault.snooze_follow_up(owner.id, id, until, now)?;
                Ok(format!(
                    "follow-up {id} ({}) snoozed until {until}",
                    owner.name
                ))
            }
            SnoozeTarget::Contact(id) => {
                let c = lookup_contact(view, &id.to_string(), false)?;
                let deferred = vault.snooze_contact(c.id, until, now)?;
                Ok(format!(
                    "{} snoozed until {until} (with {} open follow-up{})",
                    c.name,
                    deferred.len(),
                    if deferred.len() == 1 { "" } else { "s" }
                ))
            }
        })
    }
}
