//! `rapport group ...`

use crate::home::Home;
use crate::request::GroupRequest;
use crate::resolve::{find_contact, find_group};
use crate::response::{GroupCard, GroupSummary, Response};
use crate::{time, AppError};
use rapport_model::{ContactPatch, GroupId, HistoryError};

pub fn handle(home: &Home, request: &GroupRequest) -> Result<Response, AppError> {
    match request {
        GroupRequest::Create { name, description } => {
            let id = home.write(|vault, _| {
                let id = GroupId::random(&mut rand::thread_rng());
                vault.create_group(id, name, description.as_deref(), time::now_ms())?;
                Ok(id)
            })?;
            Ok(Response::Created { id: id.to_string() })
        }
        GroupRequest::Members {
            group,
            contacts,
            add,
        } => membership(home, group, contacts, *add),
        GroupRequest::Rename { group, name } => {
            let g = home.write(|vault, view| {
                let g = find_group(&view.groups()?, group, false)?;
                vault.rename_group(g.id, name, time::now_ms())?;
                Ok(g)
            })?;
            Ok(Response::GroupRenamed {
                id: g.id,
                old: g.name,
                name: name.clone(),
            })
        }
        GroupRequest::Delete { group } => {
            let g = home.write(|vault, view| {
                let g = find_group(&view.groups()?, group, false)?;
                vault.delete_group(g.id, time::now_ms())?;
                Ok(g)
            })?;
            Ok(Response::GroupDeleted {
                id: g.id,
                name: g.name,
            })
        }
        GroupRequest::Restore { group } => {
            // However long ago it was deleted: name, description and every membership it had
            // just before the deletion come back (see `Vault::restore_group_as_before`).
            let (g, restored) = home.write(|vault, view| {
                let g = find_group(&view.groups()?, group, true)?;
                let restored = vault
                    .restore_group_as_before(g.id, time::now_ms())
                    .map_err(|e| match e {
                        HistoryError::Edit(e) => AppError::Edit(e),
                        other => AppError::BadInput(other.to_string()),
                    })?;
                Ok((g, restored))
            })?;
            let members = home.read(|v| v.contacts())?;
            let n = members
                .iter()
                .filter(|c| !c.is_trashed() && c.groups.contains(&g.id))
                .count();
            Ok(Response::GroupRestored {
                name: g.name,
                members: n,
                members_readded: restored.members_readded,
            })
        }
        GroupRequest::List { deleted } => {
            let (groups, contacts) = home.read(|v| Ok((v.groups()?, v.contacts()?)))?;
            let mut shown: Vec<_> = groups
                .into_iter()
                .filter(|g| *deleted || g.deleted.is_none())
                .collect();
            shown.sort_by_key(|g| g.name.to_lowercase());
            let count = |id| {
                contacts
                    .iter()
                    .filter(|c| !c.is_trashed() && c.groups.contains(&id))
                    .count()
            };
            Ok(Response::Groups(
                shown
                    .into_iter()
                    .map(|g| GroupSummary {
                        members: count(g.id),
                        group: g,
                    })
                    .collect(),
            ))
        }
        GroupRequest::Show { group } => {
            let (groups, contacts) = home.read(|v| Ok((v.groups()?, v.contacts()?)))?;
            let g = find_group(&groups, group, false)
                .or_else(|e| find_group(&groups, group, true).map_err(|_| e))?;
            let mut members: Vec<_> = contacts
                .into_iter()
                .filter(|c| !c.is_trashed() && c.groups.contains(&g.id))
                .collect();
            // By name only, as before (ties keep the view's order, which is by id).
            members.sort_by_key(|c| c.name.to_lowercase());
            Ok(Response::GroupCard(GroupCard {
                group: g,
                members,
                groups,
            }))
        }
    }
}

/// Adds or removes several contacts as one action (one commit).
fn membership(
    home: &Home,
    group: &str,
    queries: &[String],
    add: bool,
) -> Result<Response, AppError> {
    let (g, names) = home.write(|vault, view| {
        let g = find_group(&view.groups()?, group, false)?;
        let contacts = view.contacts()?;
        let mut names = Vec::new();
        let verb = if add { "add to" } else { "remove from" };
        let now = time::now_ms();
        vault.batch(&format!("{verb} group {}", g.name), now, |vault| {
            for q in queries {
                let c = find_contact(&contacts, q, false)?;
                let patch = if add {
                    ContactPatch {
                        add_groups: vec![g.id],
                        ..Default::default()
                    }
                } else {
                    ContactPatch {
                        remove_groups: vec![g.id],
                        ..Default::default()
                    }
                };
                vault.edit_contact(c.id, &patch, now)?;
                names.push(c.name);
            }
            Ok::<(), AppError>(())
        })?;
        Ok((g, names))
    })?;
    Ok(Response::Membership {
        group: g.name,
        added: add,
        names,
    })
}
