//! The pages. Each handler turns the request into one `Book` call, then renders HTML (GET) or
//! redirects (POST, so a reload never repeats an action). A refused value re-renders the page
//! with the book's sentence next to the field and what the person typed still in the form.

pub mod activity;
pub mod assets;
pub mod card;
pub mod conflicts;
pub mod contacts;
pub mod devices;
pub mod groups;
pub mod history;
pub mod import;
pub mod intro;
pub mod signin;
pub mod today;

use crate::book::{Book, BookError, BookResult};
use crate::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};
use std::sync::Arc;

pub type AppState = axum::extract::State<Arc<State>>;

/// Runs a book call on a blocking thread (it may take the store lock and fsync).
pub async fn call<T, F>(state: &State, f: F) -> BookResult<T>
where
    T: Send + 'static,
    F: FnOnce(&dyn Book) -> BookResult<T> + Send + 'static,
{
    let book = state.book.clone();
    tokio::task::spawn_blocking(move || f(&*book))
        .await
        .unwrap_or_else(|_| {
            Err(BookError::Failed(
                "the request stopped unexpectedly; nothing was half-written: try again".into(),
            ))
        })
}

/// A submitted form: its fields in order (a field can repeat, as the contact checkboxes do).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value, `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A form the book refused: which form, the field it is about, the sentence, and what was
/// typed (so the page shows it again).
#[derive(Debug, Clone)]
pub struct Problem {
    pub form: &'static str,
    pub field: Option<&'static str>,
    pub message: String,
    pub fields: Fields,
}

impl Problem {
    pub fn new(form: &'static str, error: BookError, fields: Fields) -> Problem {
        let (field, message) = match error {
            BookError::BadInput { field, message } => (field, message),
            other => (None, other.to_string()),
        };
        Problem {
            form,
            field,
            message,
            fields,
        }
    }

    /// What to show in `form`'s `field`: what was typed, if this form was the one refused.
    pub fn value<'a>(problem: Option<&'a Problem>, form: &str, field: &str) -> Option<&'a str> {
        problem
            .filter(|p| p.form == form)
            .and_then(|p| p.fields.get(field))
    }

    /// The sentence to show next to `field` of `form`, if it is about that field.
    pub fn message_for<'a>(
        problem: Option<&'a Problem>,
        form: &str,
        field: &str,
    ) -> Option<&'a str> {
        problem
            .filter(|p| p.form == form && p.field == Some(field))
            .map(|p| p.message.as_str())
    }

    /// The sentence to show at the top of `form`, if it is not about one field.
    pub fn general<'a>(problem: Option<&'a Problem>, form: &str) -> Option<&'a str> {
        problem
            .filter(|p| p.form == form && p.field.is_none())
            .map(|p| p.message.as_str())
    }
}

/// A text input with its label and, when refused, the sentence right under it (tied to it
/// with `aria-describedby` so a screen reader reads it too).
pub fn field(
    problem: Option<&Problem>,
    form: &'static str,
    name: &'static str,
    label: &str,
    kind: &str,
    current: Option<&str>,
) -> Markup {
    let id = format!("{form}-{name}");
    let error = Problem::message_for(problem, form, name);
    let value = Problem::value(problem, form, name)
        .or(current)
        .unwrap_or("");
    let err_id = format!("{id}-error");
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value)
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| err_id.as_str())];
            @if let Some(e) = error {
                p.error id=(err_id) role="alert" { "Error: " (e) }
            }
        }
    }
}

/// A sentence about the whole form, when the refusal is not about one field.
pub fn form_error(problem: Option<&Problem>, form: &str) -> Markup {
    html! {
        @if let Some(e) = Problem::general(problem, form) {
            p.error role="alert" { "Error: " (e) }
        }
    }
}

pub fn csrf(state: &State) -> Markup {
    html! { input type="hidden" name="csrf" value=(state.secrets.csrf()); }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Today,
    Contacts,
    Introductions,
    Groups,
    Conflicts,
    Import,
    Devices,
    None,
}

pub fn layout(state: &State, title: &str, active: Nav, body: Markup) -> Markup {
    let current = |n: Nav| (n == active).then_some("page");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(state.secrets.csrf());
                title { (title) " · Rapport" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Rapport" }
                    nav aria-label="Main" {
                        ul {
                            li { a href="/today" aria-current=[current(Nav::Today)] { "Today" } }
                            li { a href="/contacts" aria-current=[current(Nav::Contacts)] { "Contacts" } }
                            li { a href="/introductions" aria-current=[current(Nav::Introductions)] { "Introductions" } }
                            li { a href="/groups" aria-current=[current(Nav::Groups)] { "Groups" } }
                            li { a href="/conflicts" aria-current=[current(Nav::Conflicts)] { "Conflicts" } }
                            li { a href="/import" aria-current=[current(Nav::Import)] { "Import" } }
                            li { a href="/devices" aria-current=[current(Nav::Devices)] { "Devices" } }
                        }
                    }
                    span.device { "This device: " (state.book.device_name()) }
                    p.live role="status" aria-live="polite" id="live" {}
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

/// A page for an error that is not about a form field.
pub fn error_page(state: &State, error: &BookError) -> Response {
    let (status, title) = match error {
        BookError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
        BookError::BadInput { .. } => (StatusCode::BAD_REQUEST, "Refused"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Something failed"),
    };
    let body = html! {
        h1 { (title) }
        p.error role="alert" { (error.to_string()) }
        p { a href="/contacts" { "Back to contacts" } }
    };
    (status, layout(state, title, Nav::None, body)).into_response()
}

pub async fn home() -> Redirect {
    Redirect::to("/contacts")
}

pub async fn not_found(axum::extract::State(state): AppState) -> Response {
    error_page(
        &state,
        &BookError::NotFound("There is no page at this address.".into()),
    )
}

/// The last few sentences actions ended with, numbered (see `State::said`).
#[derive(Debug, Default)]
pub struct Said {
    next: u64,
    recent: std::collections::VecDeque<(u64, String)>,
}

impl Said {
    const KEPT: usize = 16;
}

/// Keeps an action's sentence; returns the number the next page asks for it by.
pub fn remember(state: &State, sentence: String) -> u64 {
    let Ok(mut said) = state.said.lock() else {
        return 0;
    };
    said.next += 1;
    let n = said.next;
    said.recent.push_back((n, sentence));
    if said.recent.len() > Said::KEPT {
        said.recent.pop_front();
    }
    n
}

/// The sentence numbered `n`, if it is still kept.
pub fn recall(state: &State, n: Option<u64>) -> Option<String> {
    let n = n?;
    let said = state.said.lock().ok()?;
    said.recent
        .iter()
        .find(|(k, _)| *k == n)
        .map(|(_, s)| s.clone())
}

/// After a successful action: go (with GET) to the page that shows its result.
pub fn see(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// "3 days ago", for the last-contacted column and the timeline.
pub fn ago(ms: i64) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    let days = (now - ms).max(0) / 86_400_000;
    match days {
        0 => "today".into(),
        1 => "yesterday".into(),
        d if d < 60 => format!("{d} days ago"),
        d if d < 730 => format!("{} months ago", d / 30),
        d => format!("{} years ago", d / 365),
    }
}

/// A local date for people.
pub fn date(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
