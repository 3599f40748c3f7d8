//! A contact's card: fields with who set them, tags, groups, trust, how we met, who introduced
//! us, the timeline, and forms to edit, log an interaction, tag, and trash or restore.

use super::{call, csrf, date, field, form_error, layout, see, AppState, Fields, Nav, Problem};
use crate::book::{BookError, Card, ContactEdit, IntroPath, NewNote};
use crate::State;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use rapport_app::model::{ContactId, InteractionKind, Period, TrustLevel};

fn parse_id(state: &State, id: &str) -> Result<ContactId, Response> {
    id.parse::<ContactId>().map_err(|_| {
        super::error_page(
            state,
            &BookError::NotFound(format!("`{id}` is not a contact id.")),
        )
    })
}

pub async fn page(axum::extract::State(state): AppState, Path(id): Path<String>) -> Response {
    let id = match parse_id(&state, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    render(&state, id, None).await
}

async fn render(state: &State, id: ContactId, problem: Option<&Problem>) -> Response {
    let read = call(state, move |b| Ok((b.card(id)?, b.intro_paths(id)?))).await;
    let (card, paths) = match read {
        Ok(r) => r,
        Err(e) => return super::error_page(state, &e),
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = card.contact.name.clone();
    (
        status,
        layout(
            state,
            &title,
            Nav::Contacts,
            body(state, &card, &paths, problem),
        ),
    )
        .into_response()
}

/// Who set `key`, and when, as a short line under the value.
fn origin(card: &Card, key: &str) -> Markup {
    let Some(o) = card.provenance.iter().find(|o| o.key == key) else {
        return html! {};
    };
    html! {
        span.origin {
            "set by " (o.device.as_deref().unwrap_or("another program"))
            @if let Some(at) = o.at { " on " (date(at)) }
        }
    }
}

fn body(state: &State, card: &Card, paths: &[IntroPath], problem: Option<&Problem>) -> Markup {
    let c = &card.contact;
    let id = c.id.to_string();
    let action = |what: &str| format!("/contacts/{id}/{what}");
    let text_row = |label: &str, key: &str, value: Option<&str>| {
        html! {
            @if let Some(v) = value {
                div.row { dt { (label) } dd { (v) " " (origin(card, key)) } }
            }
        }
    };
    let met_on = c.met_on.map(|d| d.to_string());
    let connected_on = c.connected_on.map(|d| d.to_string());
    html! {
        h1 { (c.name) @if c.is_trashed() { " " span.badge { "(in the trash)" } } }
        p.origin-line { (origin(card, "name")) " · " a href=(format!("/contacts/{id}/history")) { "History" } }
        section aria-labelledby="fields-h" {
            h2 id="fields-h" { "Details" }
            dl.fields {
                (text_row("Organisation", "org", c.org.as_deref()))
                (text_row("Title", "title", c.title.as_deref()))
                @for e in &c.emails {
                    div.row { dt { "Email" } dd { a href=(format!("mailto:{e}")) { (e) } " " (origin(card, &format!("email:{e}"))) } }
                }
                @for p in &c.phones {
                    div.row { dt { "Phone" } dd { (p) " " (origin(card, &format!("phone:{p}"))) } }
                }
                @for l in &c.links {
                    div.row { dt { "Link" } dd { (l) " " (origin(card, &format!("link:{l}"))) } }
                }
                (text_row("Trust", "trust", c.trust.map(|t| t.as_str())))
                (text_row("Met on", "met_on", met_on.as_deref()))
                (text_row("Met at", "met_at", c.met_at.as_deref()))
                (text_row("How we met", "met_context", c.met_context.as_deref()))
                @if let Some((iid, name)) = &card.introducer {
                    div.row { dt { "Introduced by" } dd { a href=(format!("/contacts/{iid}")) { (name) } " " (origin(card, "introduced_by")) } }
                }
                (text_row("Connected on", "connected_on", connected_on.as_deref()))
                (text_row("Notes", "notes", c.notes.as_deref()))
            }
        }
        (edit_form(state, card, problem, &action("edit")))
        @if !c.is_trashed() { (super::intro::paths_section(&c.name, paths)) }
        section aria-labelledby="tags-h" {
            h2 id="tags-h" { "Tags" }
            @if c.tags.is_empty() { p { "No tags." } }
            ul.tags {
                @for t in &c.tags {
                    li {
                        span.tag { "#" (t) }
                        form.inline method="post" action=(action("tags")) {
                            (csrf(state))
                            input type="hidden" name="remove" value=(t);
                            button type="submit" aria-label=(format!("Remove tag {t}")) { "Remove" }
                        }
                    }
                }
            }
            form method="post" action=(action("tags")) {
                (csrf(state))
                (form_error(problem, "tags"))
                (field(problem, "tags", "add", "Add tags (separated by spaces)", "text", None))
                button type="submit" { "Add tag" }
            }
        }
        section aria-labelledby="groups-h" {
            h2 id="groups-h" { "Groups" }
            @let member: Vec<_> = card.groups.iter().filter(|g| c.groups.contains(&g.id) && g.deleted.is_none()).collect();
            @if member.is_empty() { p { "In no group." } }
            ul {
                @for g in &member {
                    li {
                        a href=(format!("/groups#group-{}", g.id)) { (g.name) }
                        " "
                        form.inline method="post" action=(action("groups")) {
                            (csrf(state))
                            input type="hidden" name="group" value=(g.id.to_string());
                            button type="submit" name="action" value="remove" aria-label=(format!("Remove from group {}", g.name)) { "Remove" }
                        }
                    }
                }
            }
            @let others: Vec<_> = card.groups.iter().filter(|g| !c.groups.contains(&g.id) && g.deleted.is_none()).collect();
            @if !others.is_empty() {
                form method="post" action=(action("groups")) {
                    (csrf(state))
                    (form_error(problem, "groups"))
                    div.field {
                        label for="add-group" { "Add to group" }
                        select id="add-group" name="group" {
                            @for g in &others { option value=(g.id.to_string()) { (g.name) } }
                        }
                    }
                    button type="submit" name="action" value="add" { "Add to group" }
                }
            }
        }
        (note_form(state, problem, &action("note")))
        section aria-labelledby="timeline-h" {
            h2 id="timeline-h" { "Timeline" }
            @if card.timeline.is_empty() { p { "No interactions yet." } }
            @else { (super::activity::chart(&card.timeline, chrono::Utc::now().timestamp_millis())) }
            ol.timeline reversed {
                @for i in card.timeline.iter().rev() {
                    li {
                        span.when { (date(i.at)) } " · "
                        span.kind { (i.kind.as_str()) }
                        @if let Some(p) = &i.place { " · at " (p) }
                        p { (i.text) }
                    }
                }
            }
        }
        section aria-labelledby="danger-h" {
            h2 id="danger-h" { "Trash" }
            @if c.is_trashed() {
                form method="post" action=(action("restore")) {
                    (csrf(state))
                    button type="submit" { "Restore from the trash" }
                }
            } @else {
                form method="post" action=(action("trash")) data-confirm=(format!("Move {} to the trash?", c.name)) {
                    (csrf(state))
                    button type="submit" { "Move to the trash" }
                }
            }
        }
    }
}

fn edit_form(state: &State, card: &Card, problem: Option<&Problem>, action: &str) -> Markup {
    let c = &card.contact;
    let open = problem.is_some_and(|p| p.form == "edit");
    let trust = Problem::value(problem, "edit", "trust")
        .map(str::to_owned)
        .or(c.trust.map(|t| t.as_str().to_owned()))
        .unwrap_or_default();
    let met_on = c.met_on.map(|d| d.to_string());
    let cadence = c.cadence.map(|p| p.to_string());
    let notes = Problem::value(problem, "edit", "notes").or(c.notes.as_deref());
    html! {
        details.edit open[open] {
            summary { "Edit details" }
            form method="post" action=(action) {
                (csrf(state))
                (form_error(problem, "edit"))
                (field(problem, "edit", "name", "Name", "text", Some(&c.name)))
                (field(problem, "edit", "org", "Organisation", "text", c.org.as_deref()))
                (field(problem, "edit", "title", "Title", "text", c.title.as_deref()))
                div.field {
                    label for="edit-trust" { "Trust" }
                    select id="edit-trust" name="trust" {
                        option value="" { "Not set" }
                        @for t in TrustLevel::ALL {
                            option value=(t.as_str()) selected[trust == t.as_str()] { (t.as_str()) }
                        }
                    }
                }
                (field(problem, "edit", "met_on", "Met on (YYYY-MM-DD)", "text", met_on.as_deref()))
                (field(problem, "edit", "met_at", "Met at", "text", c.met_at.as_deref()))
                (field(problem, "edit", "met_context", "How we met", "text", c.met_context.as_deref()))
                (field(problem, "edit", "add_email", "Add an email", "email", None))
                (field(problem, "edit", "add_phone", "Add a phone", "tel", None))
                (field(problem, "edit", "cadence", "Keep in touch every (14d, 2w, 6mo, 1y; empty for none)", "text", cadence.as_deref()))
                div.field {
                    label for="edit-notes" { "Notes" }
                    textarea id="edit-notes" name="notes" rows="3" { (notes.unwrap_or("")) }
                    @if let Some(e) = Problem::message_for(problem, "edit", "notes") {
                        p.error role="alert" { "Error: " (e) }
                    }
                }
                button type="submit" { "Save changes" }
            }
        }
    }
}

fn note_form(state: &State, problem: Option<&Problem>, action: &str) -> Markup {
    let kind = Problem::value(problem, "note", "kind").unwrap_or("note");
    let text = Problem::value(problem, "note", "text").unwrap_or("");
    html! {
        section aria-labelledby="note-h" {
            h2 id="note-h" { "Log an interaction" }
            form.note method="post" action=(action) {
                (csrf(state))
                (form_error(problem, "note"))
                div.field {
                    label for="note-kind" { "Kind" }
                    select id="note-kind" name="kind" {
                        @for k in InteractionKind::ALL {
                            option value=(k.as_str()) selected[kind == k.as_str()] { (k.as_str()) }
                        }
                    }
                }
                (field(problem, "note", "at", "When (YYYY-MM-DD or YYYY-MM-DD HH:MM; empty for now)", "text", None))
                (field(problem, "note", "place", "Place", "text", None))
                (field(problem, "note", "follow_up", "Follow up on (YYYY-MM-DD; optional)", "text", None))
                div.field {
                    label for="note-text" { "What happened" }
                    textarea id="note-text" name="text" rows="3" { (text) }
                    @if let Some(e) = Problem::message_for(problem, "note", "text") {
                        p.error role="alert" { "Error: " (e) }
                    }
                }
                button type="submit" { "Log interaction" }
            }
        }
    }
}

/// Runs one card action; on success goes back to the card, on refusal shows it next to the
/// field with what was typed.
async fn act<F>(state: &State, id: &str, form: &'static str, fields: Fields, f: F) -> Response
where
    F: FnOnce(&dyn crate::Book, ContactId, &Fields) -> crate::BookResult<()> + Send + 'static,
{
    let id = match parse_id(state, id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let f2 = fields.clone();
    match call(state, move |b| f(b, id, &f2)).await {
        Ok(()) => see(&format!("/contacts/{id}")),
        Err(e @ BookError::NotFound(_)) => super::error_page(state, &e),
        Err(e) => render(state, id, Some(&Problem::new(form, e, fields))).await,
    }
}

type Posted = Form<Vec<(String, String)>>;

pub async fn edit(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(&state, &id, "edit", Fields(fields), |b, id, f| {
        let trust = match f.text("trust") {
            None => Some(None),
            Some(t) => Some(Some(
                t.parse::<TrustLevel>()
                    .map_err(|e| BookError::bad("trust", e.to_string()))?,
            )),
        };
        let edit = ContactEdit {
            name: f.get("name").map(|v| v.trim().to_owned()),
            org: f.get("org").map(|v| v.trim().to_owned()),
            title: f.get("title").map(|v| v.trim().to_owned()),
            notes: f.get("notes").map(|v| v.trim().to_owned()),
            trust,
            met_on: f.get("met_on").map(|v| v.trim().to_owned()),
            met_at: f.get("met_at").map(|v| v.trim().to_owned()),
            met_context: f.get("met_context").map(|v| v.trim().to_owned()),
            add_email: f.text("add_email"),
            add_phone: f.text("add_phone"),
            cadence: match f.get("cadence").map(str::trim) {
                None => None,
                Some("") => Some(None),
                Some(p) => Some(Some(
                    p.parse::<Period>()
                        .map_err(|e| BookError::bad("cadence", e.to_string()))?,
                )),
            },
        };
        b.edit_contact(id, &edit)
    })
    .await
}

pub async fn note(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(&state, &id, "note", Fields(fields), |b, id, f| {
        let kind = f
            .get("kind")
            .unwrap_or("note")
            .parse::<InteractionKind>()
            .map_err(|e| BookError::bad("kind", e.to_string()))?;
        let note = NewNote {
            kind,
            at: f.text("at"),
            text: f.get("text").unwrap_or("").trim().to_owned(),
            place: f.text("place"),
            follow_up: f
                .text("follow_up")
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                        BookError::bad(
                            "follow_up",
                            format!("`{d}` is not a valid date: write it as YYYY-MM-DD"),
                        )
                    })
                })
                .transpose()?,
        };
        b.log_interaction(id, &note)
    })
    .await
}

pub async fn tags(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(&state, &id, "tags", Fields(fields), |b, id, f| {
        let add: Vec<String> = f
            .get("add")
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|t| t.trim_start_matches('#'))
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let remove: Vec<String> = f.all("remove").map(str::to_owned).collect();
        if add.is_empty() && remove.is_empty() {
            return Err(BookError::bad("add", "type a tag to add"));
        }
        b.tag(id, &add, &remove)
    })
    .await
}

pub async fn groups(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(&state, &id, "groups", Fields(fields), |b, id, f| {
        let group =
            f.get("group")
                .and_then(|g| g.parse().ok())
                .ok_or_else(|| BookError::BadInput {
                    field: None,
                    message: "choose a group".into(),
                })?;
        b.set_members(group, &[id], f.get("action") != Some("remove"))
    })
    .await
}

pub async fn trash(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(&state, &id, "trash", Fields(fields), |b, id, _| b.trash(id)).await
}

pub async fn restore(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Posted,
) -> Response {
    act(&state, &id, "trash", Fields(fields), |b, id, _| {
        b.restore(id)
    })
    .await
}
