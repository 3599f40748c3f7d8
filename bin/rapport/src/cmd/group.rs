//! `rapport group ...`

use super::{find_contact, find_group};
use crate::cli::GroupCommand;
use crate::home::Home;
use crate::render::{self, contact_json, group_names};
use crate::time;
use anyhow::Result;
use rapport_model::{ContactPatch, GroupId};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct GroupJson<'a> {
    id: String,
    name: &'a str,
    description: Option<&'a str>,
    members: usize,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<String>,
}

pub fn run(home: &Home, command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::Create { name, description } => {
            let id = home.write(|vault, _| {
                let id = GroupId::random(&mut rand::thread_rng());
                vault.create_group(id, &name, description.as_deref(), time::now_ms())?;
                Ok(id)
            })?;
            crate::out!("{id}");
        }
        GroupCommand::Add { group, contacts } => membership(home, &group, &contacts, true)?,
        GroupCommand::Remove { group, contacts } => membership(home, &group, &contacts, false)?,
        GroupCommand::Delete { group } => {
            let g = home.write(|vault, view| {
                let g = find_group(&view.groups()?, &group, false)?;
                vault.delete_group(g.id, time::now_ms())?;
                Ok(g)
            })?;
            crate::out!(
                "deleted group {} (members keep it; `rapport group restore {}` brings it back)",
                g.name,
                g.id
            );
        }
        GroupCommand::Restore { group } => {
            // However long ago it was deleted: name, description and every membership it had
            // just before the deletion come back (see `Vault::restore_group_as_before`).
            let (g, restored) = home.write(|vault, view| {
                let g = find_group(&view.groups()?, &group, true)?;
                let restored = vault
                    .restore_group_as_before(g.id, time::now_ms())
                    .map_err(|e| match e {
                        rapport_model::HistoryError::Edit(e) => anyhow::Error::new(e),
                        other => super::BadInput(other.to_string()).into(),
                    })?;
                Ok((g, restored))
            })?;
            let members = home.read(|v| v.contacts())?;
            let n = members
                .iter()
                .filter(|c| !c.is_trashed() && c.groups.contains(&g.id))
                .count();
            let readded = match restored.members_readded {
                0 => String::new(),
                k => format!(" ({k} memberships lost since the deletion were added back)"),
            };
            crate::out!("restored group {} with {n} members{readded}", g.name);
        }
        GroupCommand::List { deleted, json } => {
            let (groups, contacts) = home.read(|v| Ok((v.groups()?, v.contacts()?)))?;
            let mut shown: Vec<_> = groups
                .iter()
                .filter(|g| deleted || g.deleted.is_none())
                .collect();
            shown.sort_by_key(|g| g.name.to_lowercase());
            let count = |id| {
                contacts
                    .iter()
                    .filter(|c| !c.is_trashed() && c.groups.contains(&id))
                    .count()
            };
            if json {
                let out: Vec<GroupJson<'_>> = shown
                    .iter()
                    .map(|g| GroupJson {
                        id: g.id.to_string(),
                        name: &g.name,
                        description: g.description.as_deref(),
                        members: count(g.id),
                        created: time::rfc3339(g.created),
                        deleted: g.deleted.map(time::rfc3339),
                    })
                    .collect();
                return render::print_json(&out);
            }
            for g in shown {
                let state = if g.deleted.is_some() {
                    "  (deleted)"
                } else {
                    ""
                };
                crate::out!("{}  {}  {} members{state}", g.id, g.name, count(g.id));
            }
        }
        GroupCommand::Show { group, json } => {
            let (groups, contacts) = home.read(|v| Ok((v.groups()?, v.contacts()?)))?;
            let g = find_group(&groups, &group, false)
                .or_else(|e| find_group(&groups, &group, true).map_err(|_| e))?;
            let mut members: Vec<_> = contacts
                .iter()
                .filter(|c| !c.is_trashed() && c.groups.contains(&g.id))
                .collect();
            members.sort_by_key(|c| c.name.to_lowercase());
            if json {
                let names = group_names(&groups);
                #[derive(Serialize)]
                struct Out<'a> {
                    #[serde(flatten)]
                    group: GroupJson<'a>,
                    contacts: Vec<render::ContactJson<'a>>,
                }
                return render::print_json(&Out {
                    group: GroupJson {
                        id: g.id.to_string(),
                        name: &g.name,
                        description: g.description.as_deref(),
                        members: members.len(),
                        created: time::rfc3339(g.created),
                        deleted: g.deleted.map(time::rfc3339),
                    },
                    contacts: members.iter().map(|c| contact_json(c, &names)).collect(),
                });
            }
            crate::out!("{}  ({} members)", g.name, members.len());
            if let Some(d) = &g.description {
                crate::out!("  {d}");
            }
            for c in members {
                crate::out!("  {}", render::contact_line(c));
            }
        }
    }
    Ok(())
}

/// Adds or removes several contacts as one action (one commit).
fn membership(home: &Home, group: &str, queries: &[String], add: bool) -> Result<()> {
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
            anyhow::Ok(())
        })?;
        Ok((g, names))
    })?;
    let verb = if add { "added to" } else { "removed from" };
    crate::out!("{verb} {}: {}", g.name, names.join(", "));
    Ok(())
}
