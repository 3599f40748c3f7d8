//! A workload as the vault's own inputs ([`NewContact`]s for `Vault::add_contacts`): what a
//! user would have typed, every field the workload has, with an id per record drawn from the
//! caller's `rng` (so a seed gives the same ids). Behind the `vault` feature, for the benchmarks
//! and tests that fill a real vault; the generator itself knows nothing of the model.

use crate::Workload;
use rand::RngCore;
use rapport_model::{ContactId, ContactPatch, InteractionId, NewContact, NewInteraction};

/// Why a workload could not be turned into vault inputs: the generator and the model disagree
/// about a vocabulary, a bug in one of them to fix there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultInputError {
    #[error("the workload's interaction kind {0:?} is not one the vault knows: align world::KINDS with the model")]
    Kind(&'static str),
    #[error("the workload's trust level {0:?} is not one the vault knows: align world::TRUST_LEVELS with the model")]
    Trust(&'static str),
    #[error("contact {0} of the workload is referenced before it exists: the generator must only point back")]
    Reference(usize),
}

/// Every contact of `w` with its fields and interactions, in order; the interactions' other
/// participants point only to earlier contacts. Without the introductions graph
/// (`introduced_by`): `add_contacts` takes it only for contacts already in the vault, and
/// nothing measured with these inputs reads it.
pub fn new_contacts(
    w: &Workload,
    rng: &mut impl RngCore,
) -> Result<Vec<NewContact>, VaultInputError> {
    let mut ids: Vec<ContactId> = Vec::with_capacity(w.contacts.len());
    let mut out = Vec::with_capacity(w.contacts.len());
    for c in &w.contacts {
        let earlier = |j: usize| ids.get(j).copied().ok_or(VaultInputError::Reference(j));
        let id = ContactId::random(rng);
        let mut interactions = Vec::with_capacity(c.interactions.len());
        for i in &c.interactions {
            let mut contacts = vec![id];
            for j in &i.with {
                contacts.push(earlier(*j)?);
            }
            let new = NewInteraction {
                contacts,
                at: i.at_ms,
                kind: i.kind.parse().map_err(|_| VaultInputError::Kind(i.kind))?,
                text: i.text.clone(),
                place: i.place.clone(),
            };
            interactions.push((InteractionId::random(rng), new));
        }
        let patch = contact_patch(c)?;
        ids.push(id);
        out.push(NewContact {
            id,
            patch,
            extras: None,
            interactions,
        });
    }
    Ok(out)
}

/// The contact's own fields as a patch that sets them all (no introduction).
pub fn contact_patch(c: &crate::WContact) -> Result<ContactPatch, VaultInputError> {
    let trust = c
        .trust
        .map(|t| t.parse().map_err(|_| VaultInputError::Trust(t)))
        .transpose()?;
    Ok(ContactPatch {
        name: Some(c.name.clone()),
        org: c.org.clone(),
        title: c.title.clone(),
        notes: c.notes.clone(),
        trust,
        met_on: c.met_on.clone(),
        met_at: c.met_at.clone(),
        connected_on: c.connected_on.clone(),
        add_emails: c.emails.clone(),
        add_phones: c.phones.clone(),
        add_links: c.links.clone(),
        add_tags: c.tags.clone(),
        ..ContactPatch::default()
    })
}
