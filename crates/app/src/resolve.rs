//! Turning references the user typed (a name, an email, an id or its prefix) into records.

use crate::AppError;
use rapport_model::{resolve_contact_among, Contact, ContactId, Group, GroupId};
use rapport_store::ReadView;

/// Resolves a contact reference among live contacts (or trashed ones, for `restore`).
pub fn find_contact(contacts: &[Contact], query: &str, trashed: bool) -> Result<Contact, AppError> {
    // A merged contact is in the trash, but its id still resolves (to the survivor).
    let among = |c: &Contact| c.is_trashed() == trashed || (!trashed && c.merged_into.is_some());
    resolve_contact_among(query, contacts, &among)
        .cloned()
        .map_err(|e| AppError::unresolved(e, if trashed { " in the trash" } else { "" }))
}

/// Resolves a contact reference, reading only one record when it is an exact id (the common
/// case for scripts), and every contact otherwise.
pub fn lookup_contact(
    view: &ReadView<'_>,
    query: &str,
    trashed: bool,
) -> Result<Contact, AppError> {
    if let Ok(id) = query.trim().parse::<ContactId>() {
        if let Some(found) = view.contact_record(id)? {
            if found.is_trashed() == trashed && found.merged_into.is_none() {
                return Ok(found);
            }
        }
    }
    find_contact(&view.contacts()?, query, trashed)
}

/// Resolves a group by id or case-insensitive name, among live (or deleted) groups.
pub fn find_group(groups: &[Group], query: &str, deleted: bool) -> Result<Group, AppError> {
    let q = query.trim();
    let pool: Vec<&Group> = groups
        .iter()
        .filter(|g| g.deleted.is_some() == deleted)
        .collect();
    if let Ok(id) = q.parse::<GroupId>() {
        if let Some(g) = pool.iter().find(|g| g.id == id) {
            return Ok((*g).clone());
        }
    }
    let matches: Vec<&&Group> = pool
        .iter()
        .filter(|g| g.name.eq_ignore_ascii_case(q))
        .collect();
    // Only the deleted pool holds deleted groups: live ones are just "groups".
    let state = if deleted { "deleted group" } else { "group" };
    match matches.as_slice() {
        [one] => Ok((**one).clone()),
        [] => Err(AppError::NotFound(format!(
            "no {state} is named `{q}`: see `rapport group list{}`",
            if deleted { " --deleted" } else { "" }
        ))),
        many => Err(AppError::Ambiguous {
            message: format!("`{q}` names {} {state}s: use the id", many.len()),
            candidates: many
                .iter()
                .map(|g| crate::Candidate {
                    id: g.id.to_string(),
                    name: g.name.clone(),
                })
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: u64, name: &str, deleted: bool) -> Group {
        Group {
            id: format!("{id:016x}").parse().unwrap(),
            name: name.to_owned(),
            description: None,
            created: 0,
            deleted: deleted.then_some(1),
            cadence: None,
        }
    }

    #[test]
    fn two_live_groups_of_one_name_are_not_called_deleted() {
        let groups = [group(1, "Friends", false), group(2, "friends", false)];
        let e = find_group(&groups, "friends", false).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("`friends` names 2 groups: use the id"),
            "{msg}"
        );
        assert!(!msg.contains("deleted"), "{msg}");
        assert_eq!(e.exit_code(), 3);
    }

    #[test]
    fn two_deleted_groups_of_one_name_are_called_deleted() {
        let groups = [
            group(1, "Old", true),
            group(2, "old", true),
            group(3, "old", false),
        ];
        let msg = find_group(&groups, "old", true).unwrap_err().to_string();
        assert!(
            msg.starts_with("`old` names 2 deleted groups: use the id"),
            "{msg}"
        );
        assert!(msg.contains("0000000000000001  Old"), "{msg}");
    }
}
