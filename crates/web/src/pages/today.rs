//! Today: what `rapport due` lists (follow-ups due or overdue, contacts past their cadence),
//! most urgent first, each with its reason; a follow-up can be marked done and anything
//! snoozed from the page.

use super::{call, csrf, layout, AppState, Fields, Nav};
use crate::book::{BookError, DueItem, DueKind, SnoozeTarget};
use crate::State;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use rapport_app::model::Period;

/// How far ahead the page can look, as offered in its filter (value, label).
const WINDOWS: [(&str, &str); 4] = [
    ("", "Due today or overdue"),
    ("7d", "And the next 7 days"),
    ("30d", "And the next 30 days"),
    ("1y", "And the next year"),
];

/// How long a snooze can defer, as offered next to each item.
const SNOOZES: [(&str, &str); 4] = [
    ("1d", "1 day"),
    ("7d", "1 week"),
    ("14d", "2 weeks"),
    ("1mo", "1 month"),
];

#[derive(Debug, serde::Deserialize)]
pub struct TodayQuery {
    #[serde(default)]
    within: String,
    said: Option<u64>,
}

pub async fn page(axum::extract::State(state): AppState, Query(q): Query<TodayQuery>) -> Response {
    let within = WINDOWS
        .iter()
        .map(|(v, _)| *v)
        .find(|v| *v == q.within)
        .unwrap_or("");
    let period = within.parse::<Period>().ok();
    let items = match call(&state, move |b| b.due(period)).await {
        Ok(items) => items,
        Err(e) => return super::error_page(&state, &e),
    };
    let said = super::recall(&state, q.said).unwrap_or_default();
    let body = html! {
        h1 { "Today" }
        p.done role="status" { (said) }
        form.filters method="get" action="/today" {
            div.field {
                label for="today-within" { "Show" }
                select id="today-within" name="within" {
                    @for (v, label) in WINDOWS {
                        option value=(v) selected[v == within] { (label) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
        @if items.is_empty() {
            p.empty { "Nothing is due: no follow-up is waiting and nobody is past their cadence." }
        } @else {
            p { (items.len()) @if items.len() == 1 { " item" } @else { " items" } ", most urgent first." }
            ol.due {
                @for (n, item) in items.iter().enumerate() {
                    (row(&state, n, item, within))
                }
            }
        }
    };
    layout(&state, "Today", Nav::Today, body).into_response()
}

fn row(state: &State, n: usize, item: &DueItem, within: &str) -> Markup {
    let (what, target) = match (item.kind, item.follow_up) {
        (DueKind::FollowUp, Some(f)) => ("Follow-up", format!("follow-up:{f}")),
        _ => ("Keep in touch", format!("contact:{}", item.contact)),
    };
    let about = match &item.text {
        Some(t) => format!("“{t}” for {}", item.name),
        None => item.name.clone(),
    };
    let overdue = if item.days_overdue > 0 {
        "overdue"
    } else {
        "due"
    };
    html! {
        li.due-item data-state=(overdue) {
            p.due-head {
                span.due-kind { (what) ": " }
                a href=(format!("/contacts/{}", item.contact)) { (item.name) }
                @if let Some(t) = item.trust { " " span.badge { "(" (t.as_str()) ")" } }
            }
            @if let Some(text) = &item.text { p.due-text { q { (text) } } }
            p.reason { (item.reason) }
            div.due-actions {
                @if let Some(f) = item.follow_up {
                    form.inline method="post" action="/today/done" {
                        (csrf(state))
                        input type="hidden" name="id" value=(f.to_string());
                        input type="hidden" name="within" value=(within);
                        button type="submit" aria-label=(format!("Mark follow-up {about} done")) { "Done" }
                    }
                    " "
                }
                form.inline method="post" action="/today/snooze" {
                    (csrf(state))
                    input type="hidden" name="target" value=(target);
                    input type="hidden" name="within" value=(within);
                    label for=(format!("snooze-{n}")) { "Snooze " span.visually-hidden { (about) " " } "for" }
                    " "
                    select id=(format!("snooze-{n}")) name="period" {
                        @for (v, label) in SNOOZES { option value=(v) { (label) } }
                    }
                    " "
                    button type="submit" aria-label=(format!("Snooze {about}")) { "Snooze" }
                }
            }
        }
    }
}

/// Back to the page with the same window, after an action, with its sentence.
fn back(state: &State, f: &Fields, said: String) -> Response {
    let n = super::remember(state, said);
    let within = f
        .get("within")
        .filter(|w| WINDOWS.iter().any(|(v, _)| v == w))
        .unwrap_or("");
    Redirect::to(&format!("/today?within={within}&said={n}")).into_response()
}

fn incomplete() -> BookError {
    BookError::BadInput {
        field: None,
        message: "this form is incomplete: reload the Today page".into(),
    }
}

pub async fn done(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    let Some(id) = f.get("id").and_then(|i| i.parse().ok()) else {
        return super::error_page(&state, &incomplete());
    };
    match call(&state, move |b| b.close_follow_up(id)).await {
        Ok(said) => back(&state, &f, said),
        Err(e) => super::error_page(&state, &e),
    }
}

pub async fn snooze(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    let target =
        f.get("target")
            .and_then(|t| t.split_once(':'))
            .and_then(|(kind, id)| match kind {
                "follow-up" => id.parse().ok().map(SnoozeTarget::FollowUp),
                "contact" => id.parse().ok().map(SnoozeTarget::Contact),
                _ => None,
            });
    let period = f.get("period").and_then(|p| p.parse::<Period>().ok());
    let (Some(target), Some(period)) = (target, period) else {
        return super::error_page(&state, &incomplete());
    };
    match call(&state, move |b| b.snooze(target, period)).await {
        Ok(said) => back(&state, &f, said),
        Err(e) => super::error_page(&state, &e),
    }
}
