//! Sign-in: a one-time code from `rapport ui`, or the token pasted into a form, exchanged for
//! a cookie (HttpOnly, SameSite=Strict, named per device).
//!
//! The answer to a good sign-in is a small page that moves on to the contacts with a meta
//! refresh, not a 303: a browser does not send a SameSite=Strict cookie along a redirect chain
//! that a file or another site started (`rapport ui` opens a local file), so a 303 would land
//! on the sign-in page again. The refresh is a navigation by our own page, which does carry
//! it, and it drops the code from the address bar.

use super::{csrf, layout, AppState, Fields, Nav};
use crate::State;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;

/// The cookie lasts a year: the token behind it is what is secret, and it is on this machine.
const COOKIE_MAX_AGE: u64 = 365 * 24 * 3600;

pub async fn page(
    axum::extract::State(state): AppState,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let q = Fields(query);
    if let Some(code) = q.get("once") {
        let (secrets, code) = (state.secrets.clone(), code.to_owned());
        let ok = tokio::task::spawn_blocking(move || secrets.take_once(&code))
            .await
            .unwrap_or(false);
        return if ok {
            signed_in(&state)
        } else {
            form(
                &state,
                Some("This sign-in link was used already or is over two minutes old: run `rapport ui` again."),
            )
        };
    }
    if let Some(token) = q.get("token") {
        return if state.secrets.token_matches(token) {
            signed_in(&state)
        } else {
            form(&state, Some(WRONG_TOKEN))
        };
    }
    form(&state, None)
}

const WRONG_TOKEN: &str =
    "That is not this device's sign-in token: run `rapport ui`, or copy the file ui-token from the data folder.";

pub async fn submit(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let fields = Fields(fields);
    match fields.get("token") {
        Some(t) if state.secrets.token_matches(t) => signed_in(&state),
        _ => form(&state, Some(WRONG_TOKEN)),
    }
}

pub async fn signout(axum::extract::State(state): AppState) -> Response {
    let cookie = format!(
        "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        state.cookie_name
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, cookie),
            (header::LOCATION, "/signin".into()),
        ],
    )
        .into_response()
}

fn signed_in(state: &State) -> Response {
    let cookie = format!(
        "{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={COOKIE_MAX_AGE}",
        state.cookie_name,
        state.secrets.cookie_value()
    );
    let body = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content="0; url=/contacts";
                title { "Signed in · Rapport" }
            }
            body { p { "Signed in. " a href="/contacts" { "Open your contacts" } "." } }
        }
    };
    ([(header::SET_COOKIE, cookie)], body).into_response()
}

fn form(state: &State, error: Option<&str>) -> Response {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let body = html! {
        h1 { "Sign in" }
        p { "Run " code { "rapport ui" } " to open this app signed in. Or paste this device's sign-in token (the file "
            code { "ui-token" } " in Rapport's data folder):" }
        form method="post" action="/signin" {
            (csrf(state))
            div.field {
                label for="token" { "Sign-in token" }
                input id="token" name="token" type="password" autocomplete="off" required
                    aria-describedby=[error.map(|_| "token-error")];
                @if let Some(e) = error {
                    p.error id="token-error" role="alert" { "Error: " (e) }
                }
            }
            button type="submit" { "Sign in" }
        }
    };
    (status, layout(state, "Sign in", Nav::None, body)).into_response()
}
