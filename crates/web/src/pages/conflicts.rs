//! Conflicts: each field two devices edited at once, its competing values and who wrote them;
//! picking one settles it on every device.

use super::{call, csrf, date, layout, see, AppState, Fields, Nav};
use crate::book::BookError;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use rapport_app::model::ContactId;

pub async fn page(axum::extract::State(state): AppState) -> Response {
    let conflicts = match call(&state, |b| b.conflicts()).await {
        Ok(c) => c,
        Err(e) => return super::error_page(&state, &e),
    };
    let body = html! {
        h1 { "Conflicts" }
        @if conflicts.is_empty() {
            p { "No conflicts: no field was edited on two devices at once." }
        }
        @for c in &conflicts {
            @let field = c.field.replace('_', " ");
            section.conflict aria-label=(format!("{} – {field}", c.name)) {
                h2 {
                    @if let Some(id) = c.contact { a href=(format!("/contacts/{id}")) { (c.name) } }
                    @else { (c.name) " (group)" }
                    " – " (field)
                }
                ul {
                    @for v in &c.values {
                        li {
                            q { (v.value) } " by " (v.device)
                            @if let Some(at) = v.at { " on " (date(at)) }
                            @if v.shown { " " strong { "(shown now)" } }
                            @if let Some(id) = c.contact {
                                " "
                                form.inline method="post" action="/conflicts/resolve" {
                                    (csrf(&state))
                                    input type="hidden" name="contact" value=(id.to_string());
                                    input type="hidden" name="field" value=(c.field);
                                    input type="hidden" name="value" value=(v.value);
                                    button type="submit" aria-label=(format!("Keep “{}” for {field} of {}", v.value, c.name)) { "Keep this" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(&state, "Conflicts", Nav::Conflicts, body).into_response()
}

pub async fn resolve(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    let contact = f.get("contact").and_then(|c| c.parse::<ContactId>().ok());
    let (Some(contact), Some(field), Some(value)) = (
        contact,
        f.get("field").map(str::to_owned),
        f.get("value").map(str::to_owned),
    ) else {
        return super::error_page(
            &state,
            &BookError::BadInput {
                field: None,
                message: "this form is incomplete: reload the conflicts page".into(),
            },
        );
    };
    match call(&state, move |b| b.resolve(contact, &field, &value)).await {
        Ok(()) => see("/conflicts"),
        Err(e) => super::error_page(&state, &e),
    }
}
