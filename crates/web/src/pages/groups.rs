//! Groups: create, rename, delete (with a confirmation), restore a deleted group with its
//! members, and add or remove several contacts at once (from the contacts page's checkboxes).

use super::{call, csrf, field, form_error, layout, see, AppState, Fields, Nav, Problem};
use crate::book::{BookError, GroupRow};
use crate::State;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use rapport_app::model::{ContactId, GroupId};

type Posted = Form<Vec<(String, String)>>;

pub async fn page(axum::extract::State(state): AppState) -> Response {
    render(&state, None).await
}

async fn render(state: &State, problem: Option<&Problem>) -> Response {
    let mut groups = match call(state, |b| b.groups()).await {
        Ok(g) => g,
        Err(e) => return super::error_page(state, &e),
    };
    groups.sort_by_key(|g| g.group.name.to_lowercase());
    let (live, deleted): (Vec<&GroupRow>, Vec<&GroupRow>) =
        groups.iter().partition(|g| g.group.deleted.is_none());
    let body = html! {
        h1 { "Groups" }
        form method="post" action="/groups" {
            (csrf(state))
            (form_error(problem, "create"))
            (field(problem, "create", "name", "New group's name", "text", None))
            button type="submit" { "Create group" }
        }
        (form_error(problem, "group"))
        @if live.is_empty() { p { "No groups yet." } }
        @for g in &live { (group(state, g, problem)) }
        section aria-labelledby="deleted-h" {
            h2 id="deleted-h" { "Deleted groups" }
            @if deleted.is_empty() { p { "None." } }
            ul {
                @for g in &deleted {
                    li id=(format!("group-{}", g.group.id)) {
                        (g.group.name) " (deleted) "
                        form.inline method="post" action=(format!("/groups/{}/restore", g.group.id)) {
                            (csrf(state))
                            button type="submit" aria-label=(format!("Restore group {}", g.group.name)) { "Restore" }
                        }
                    }
                }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, layout(state, "Groups", Nav::Groups, body)).into_response()
}

fn group(state: &State, g: &GroupRow, problem: Option<&Problem>) -> Markup {
    let id = g.group.id.to_string();
    let heading = format!("group-{id}-h");
    html! {
        section.group id=(format!("group-{id}")) aria-labelledby=(heading) {
            h2 id=(heading) { (g.group.name) " " span.count { "(" (g.members.len()) " members)" } }
            @if let Some(d) = &g.group.description { p { (d) } }
            ul.members {
                @for (cid, name) in &g.members {
                    li {
                        a href=(format!("/contacts/{cid}")) { (name) }
                        " "
                        form.inline method="post" action="/groups/members" {
                            (csrf(state))
                            input type="hidden" name="group" value=(id);
                            input type="hidden" name="ids" value=(cid.to_string());
                            input type="hidden" name="back" value="/groups";
                            button type="submit" name="action" value="remove"
                                aria-label=(format!("Remove {name} from {}", g.group.name)) { "Remove" }
                        }
                    }
                }
            }
            form.inline method="post" action=(format!("/groups/{id}/rename")) {
                (csrf(state))
                @let fid = format!("rename-{id}");
                label for=(fid) { "Rename " (g.group.name) " to" }
                " "
                input id=(fid) name="name" type="text" value=(Problem::value(problem, "rename", "name").unwrap_or(&g.group.name));
                button type="submit" { "Rename" }
            }
            " "
            form.inline method="post" action=(format!("/groups/{id}/delete"))
                data-confirm=(format!("Delete the group {}? You can restore it later.", g.group.name)) {
                (csrf(state))
                button type="submit" aria-label=(format!("Delete group {}", g.group.name)) { "Delete" }
            }
        }
    }
}

fn group_id(s: &str) -> Result<GroupId, BookError> {
    s.parse()
        .map_err(|_| BookError::NotFound(format!("`{s}` is not a group id.")))
}

async fn act<F>(state: &State, form: &'static str, fields: Fields, back: String, f: F) -> Response
where
    F: FnOnce(&dyn crate::Book, &Fields) -> crate::BookResult<()> + Send + 'static,
{
    let f2 = fields.clone();
    match call(state, move |b| f(b, &f2)).await {
        Ok(()) => see(&back),
        Err(e @ BookError::NotFound(_)) => super::error_page(state, &e),
        Err(e) => render(state, Some(&Problem::new(form, e, fields))).await,
    }
}

pub async fn create(axum::extract::State(state): AppState, Form(fields): Posted) -> Response {
    act(
        &state,
        "create",
        Fields(fields),
        "/groups".into(),
        |b, f| {
            let name = f.get("name").unwrap_or("").trim().to_owned();
            b.create_group(&name).map(|_| ())
        },
    )
    .await
}

pub async fn rename(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(
        &state,
        "group",
        Fields(fields),
        "/groups".into(),
        move |b, f| {
            let name = f.get("name").unwrap_or("").trim().to_owned();
            b.rename_group(group_id(&id)?, &name)
        },
    )
    .await
}

pub async fn delete(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(
        &state,
        "group",
        Fields(fields),
        "/groups".into(),
        move |b, _| b.delete_group(group_id(&id)?),
    )
    .await
}

pub async fn restore(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(
        &state,
        "group",
        Fields(fields),
        "/groups".into(),
        move |b, _| b.restore_group(group_id(&id)?),
    )
    .await
}

/// Several contacts join or leave one group, as one action.
pub async fn members(axum::extract::State(state): AppState, Form(fields): Posted) -> Response {
    let fields = Fields(fields);
    // Only our own pages are valid places to go back to.
    let back = match fields.get("back") {
        Some(b @ ("/contacts" | "/groups")) => b.to_owned(),
        _ => "/groups".to_owned(),
    };
    let form = if back == "/contacts" { "bulk" } else { "group" };
    let result = {
        let f = fields.clone();
        call(&state, move |b| {
            let group = group_id(f.get("group").unwrap_or(""))?;
            let ids = f
                .all("ids")
                .map(|s| {
                    s.parse::<ContactId>()
                        .map_err(|_| BookError::NotFound(format!("`{s}` is not a contact id.")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if ids.is_empty() {
                return Err(BookError::BadInput {
                    field: None,
                    message: "tick at least one contact first".into(),
                });
            }
            b.set_members(group, &ids, f.get("action") != Some("remove"))
        })
        .await
    };
    match result {
        Ok(()) => see(&back),
        Err(e @ BookError::NotFound(_)) => super::error_page(&state, &e),
        Err(e) if form == "bulk" => {
            let problem = Problem::new(form, e, fields);
            super::contacts::render_problem(&state, &problem).await
        }
        Err(e) => render(&state, Some(&Problem::new(form, e, fields))).await,
    }
}
