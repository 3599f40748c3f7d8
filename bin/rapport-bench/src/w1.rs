//! A workload as vault writes: the values a user would have typed, through `Vault`'s public API.
//! Ids and inputs are prepared first, so that a timed write measures the vault and nothing else.

use anyhow::{Context, Result};
use rand::RngCore;
use rapport_model::{ContactId, ContactPatch, InteractionId, NewInteraction, UnixMillis, Vault};
use rapport_workload::Workload;

/// One contact and its interactions, ready to write.
#[derive(Debug)]
pub struct PreparedContact {
    pub id: ContactId,
    pub patch: ContactPatch,
    pub interactions: Vec<(InteractionId, NewInteraction)>,
}

/// Gives every record a random id (from `rng`, so a seed gives the same ids) and turns the
/// workload's plain values into the vault's inputs. The introductions graph only points to
/// earlier contacts, so writing the result in order finds every reference already there.
pub fn prepare(w: &Workload, rng: &mut impl RngCore) -> Result<Vec<PreparedContact>> {
    let mut ids: Vec<ContactId> = Vec::with_capacity(w.contacts.len());
    let earlier = |ids: &[ContactId], j: usize| -> Result<ContactId> {
        ids.get(j)
            .copied()
            .with_context(|| format!("contact {j} is referenced before it exists"))
    };
    w.contacts
        .iter()
        .map(|c| {
            let id = ContactId::random(rng);
            let mut patch = rapport_workload::vault::contact_patch(c)?;
            patch.introduced_by = c.introduced_by.map(|j| earlier(&ids, j)).transpose()?;
            let interactions = c
                .interactions
                .iter()
                .map(|i| {
                    let mut contacts = vec![id];
                    for j in &i.with {
                        contacts.push(earlier(&ids, *j)?);
                    }
                    let new = NewInteraction {
                        contacts,
                        at: i.at_ms,
                        kind: i.kind.parse()?,
                        text: i.text.clone(),
                        place: i.place.clone(),
                    };
                    Ok((InteractionId::random(rng), new))
                })
                .collect::<Result<_>>()?;
            ids.push(id);
            Ok(PreparedContact {
                id,
                patch,
                interactions,
            })
        })
        .collect()
}

/// Writes everything as one user action: one `batch`, hence one Automerge commit.
pub fn write_batch(vault: &mut Vault, prepared: &[PreparedContact], now: UnixMillis) -> Result<()> {
    vault.batch("import W1", now, |v| -> Result<()> {
        for c in prepared {
            v.add_contact(c.id, &c.patch, now)
                .with_context(|| format!("adding contact {}", c.id))?;
            for (id, new) in &c.interactions {
                v.add_interaction(*id, new, now)
                    .with_context(|| format!("adding interaction {id}"))?;
            }
        }
        Ok(())
    })
}
