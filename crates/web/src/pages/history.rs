//! A contact's history: each change with what it did (old → new), by which device and when;
//! the card as it was at a chosen change or time; revert to that point; undo a change or the
//! last action. The same actions as `rapport log`, `show --at`, `revert` and `undo`.

use super::{call, csrf, date, layout, AppState, Fields, Nav, Problem};
use crate::book::{BookError, FieldChange, HistoryRow, PastCard};
use crate::State;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use rapport_app::model::ContactId;

/// Changes listed at most (the CLI's `log --limit` reads more).
const LIMIT: usize = 50;

#[derive(Debug, serde::Deserialize)]
pub struct AtQuery {
    #[serde(default)]
    at: String,
    said: Option<u64>,
}

fn parse_id(state: &State, id: &str) -> Result<ContactId, Response> {
    id.parse::<ContactId>().map_err(|_| {
        super::error_page(
            state,
            &BookError::NotFound(format!("`{id}` is not a contact id.")),
        )
    })
}

pub async fn page(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Query(q): Query<AtQuery>,
) -> Response {
    let id = match parse_id(&state, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let at = q.at.trim().to_owned();
    let read = call(&state, move |b| {
        let card = b.card(id)?;
        let rows = b.history(id, LIMIT)?;
        let past = if at.is_empty() {
            None
        } else {
            Some(b.card_at(id, &at))
        };
        Ok((card.contact.name, rows, past))
    })
    .await;
    let (name, rows, past) = match read {
        Ok(r) => r,
        Err(e) => return super::error_page(&state, &e),
    };
    let said = super::recall(&state, q.said);
    let (past, problem) = match past {
        Some(Ok(p)) => (Some(p), None),
        Some(Err(e @ BookError::BadInput { .. })) | Some(Err(e @ BookError::NotFound(_))) => {
            let fields = Fields(vec![("at".into(), q.at.clone())]);
            let e = match e {
                BookError::NotFound(message)
                | BookError::BadInput {
                    field: None,
                    message,
                } => BookError::bad("at", message),
                other => other,
            };
            (None, Some(Problem::new("past", e, fields)))
        }
        Some(Err(e)) => return super::error_page(&state, &e),
        None => (None, None),
    };
    let here = format!("/contacts/{id}/history");
    let body = html! {
        h1 { "History of " (name) }
        p { a href=(format!("/contacts/{id}")) { "Back to the card" } }
        @if let Some(s) = &said { p.done role="status" { (s) } }
        form method="post" action="/history/undo" {
            (csrf(&state))
            input type="hidden" name="back" value=(here);
            button type="submit" { "Undo my last action" }
            " " span.hint { "(the last change made on this device, whichever card it was)" }
        }
        section aria-labelledby="past-h" {
            h2 id="past-h" { "The card as it was" }
            form.filters method="get" action=(here) {
                (super::form_error(problem.as_ref(), "past"))
                (super::field(problem.as_ref(), "past", "at", "At (YYYY-MM-DD, YYYY-MM-DD HH:MM, or a change id)", "text", past.as_ref().map(|_| q.at.as_str())))
                button type="submit" { "Show" }
            }
            @if let Some(p) = &past { (past_card(&state, id, p, &q.at)) }
        }
        section aria-labelledby="changes-h" {
            h2 id="changes-h" { "Changes, newest first" }
            @if rows.is_empty() { p { "No change is recorded for this contact." } }
            ol.history {
                @for r in &rows { (row(&state, id, r, &here)) }
            }
            @if rows.len() == LIMIT {
                p.hint { "Only the last " (LIMIT) " changes are listed: " code { "rapport log " (id.to_string()) } " lists them all." }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        layout(&state, &format!("History of {name}"), Nav::Contacts, body),
    )
        .into_response()
}

fn shown(v: &Option<String>) -> Markup {
    match v {
        Some(v) => html! { (v) },
        None => html! { em { "(none)" } },
    }
}

fn row(state: &State, id: ContactId, r: &HistoryRow, here: &str) -> Markup {
    let short = &r.change[..8.min(r.change.len())];
    html! {
        li.change {
            p.change-head {
                strong { (r.summary) } br;
                span.origin { (date(r.at)) " · by " (r.device) " · change " code { (short) } }
            }
            @if r.bulk {
                p.hint { "A bulk change (an import): its fields are not listed." }
            } @else if !r.fields.is_empty() {
                table.diff {
                    caption.visually-hidden { "What change " (short) " did" }
                    thead { tr { th scope="col" { "Field" } th scope="col" { "Before" } th scope="col" { "After" } } }
                    tbody {
                        @for FieldChange { field, old, new } in &r.fields {
                            tr { th scope="row" { (field) } td { (shown(old)) } td { "→ " (shown(new)) } }
                        }
                    }
                }
            }
            p.change-actions {
                a href=(format!("/contacts/{id}/history?at={}", r.change)) { "The card as it was after change " (short) }
                " "
                form.inline method="post" action="/history/undo" data-confirm=(format!("Undo change {short} ({})?", r.summary)) {
                    (csrf(state))
                    input type="hidden" name="change" value=(r.change);
                    input type="hidden" name="back" value=(here);
                    button type="submit" aria-label=(format!("Undo change {short}")) { "Undo this change" }
                }
            }
        }
    }
}

fn past_card(state: &State, id: ContactId, p: &PastCard, at: &str) -> Markup {
    let c = &p.contact;
    let row = |label: &str, value: Option<String>| {
        html! { @if let Some(v) = value.filter(|v| !v.is_empty()) { div.row { dt { (label) } dd { (v) } } } }
    };
    let join = |items: Vec<String>| (!items.is_empty()).then(|| items.join(", "));
    html! {
        div.past aria-labelledby="past-card-h" {
            h3 id="past-card-h" { (c.name) " as it was at " (p.label) }
            @if c.is_trashed() { p { "(It was in the trash.)" } }
            dl.fields.past-fields {
                (row("Organisation", c.org.clone()))
                (row("Title", c.title.clone()))
                (row("Emails", join(c.emails.iter().cloned().collect())))
                (row("Phones", join(c.phones.iter().cloned().collect())))
                (row("Tags", join(c.tags.iter().map(|t| format!("#{t}")).collect())))
                (row("Trust", c.trust.map(|t| t.as_str().to_owned())))
                (row("Met on", c.met_on.map(|d| d.to_string())))
                (row("Met at", c.met_at.clone()))
                (row("How we met", c.met_context.clone()))
                (row("Notes", c.notes.clone()))
                (row("Keep in touch", c.cadence.map(|p| p.every())))
            }
            @if !p.timeline.is_empty() {
                h4 { "Timeline then" }
                ol.timeline reversed {
                    @for i in p.timeline.iter().rev() {
                        li { span.when { (date(i.at)) } " · " span.kind { (i.kind.as_str()) } p { (i.text) } }
                    }
                }
            }
            form method="post" action=(format!("/contacts/{id}/revert")) data-confirm=(format!("Put {} back as it was at {}?", c.name, p.label)) {
                (csrf(state))
                input type="hidden" name="to" value=(at);
                button type="submit" { "Revert the card to this point" }
                " " span.hint { "(one action: it can be undone)" }
            }
        }
    }
}

/// Back to where the action was started (a history page), with its sentence.
fn back(state: &State, f: &Fields, said: String) -> Response {
    let n = super::remember(state, said);
    // Only a contact's history page of this app: never an address elsewhere.
    let to = f
        .get("back")
        .filter(|b| {
            b.strip_prefix("/contacts/")
                .and_then(|rest| rest.strip_suffix("/history"))
                .is_some_and(|id| id.parse::<ContactId>().is_ok())
        })
        .unwrap_or("/today");
    Redirect::to(&format!("{to}?said={n}")).into_response()
}

pub async fn revert(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let id = match parse_id(&state, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let f = Fields(fields);
    let Some(to) = f.text("to") else {
        return super::error_page(
            &state,
            &BookError::BadInput {
                field: None,
                message: "say which point to revert to: pick a change in the history".into(),
            },
        );
    };
    match call(&state, move |b| b.revert(id, &to)).await {
        Ok(said) => {
            let f = Fields(vec![("back".into(), format!("/contacts/{id}/history"))]);
            back(&state, &f, said)
        }
        Err(e) => super::error_page(&state, &e),
    }
}

pub async fn undo(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    let change = f.text("change");
    match call(&state, move |b| b.undo(change.as_deref())).await {
        Ok(said) => back(&state, &f, said),
        Err(e) => super::error_page(&state, &e),
    }
}
