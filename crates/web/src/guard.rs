//! The checks every request passes before a page sees it, in this order:
//! 1. `Host` is this server's loopback address (DNS rebinding gets 403);
//! 2. a state-changing request comes from our own pages (`Sec-Fetch-Site`, `Origin`);
//! 3. the sign-in cookie is present (pages redirect to sign-in, everything else gets 401);
//! 4. a state-changing request carries the CSRF token (header, query or form field).
//!
//! And every response gets the security headers.

use crate::State;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

/// A form post is at most this long; uploads (multipart) are bounded by their own route.
const MAX_FORM: usize = 1 << 20;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// The WebTransport endpoint and certificate hashes, as JSON (public: see `WebTransportInfo`).
pub(crate) const WEBTRANSPORT_JSON: &str = "/webtransport.json";

/// Paths a browser may reach before signing in.
fn is_public(path: &str) -> bool {
    // The phone app (`/app/`) is static files that hold no data; its data never comes from here.
    path == "/signin"
        || path.starts_with("/assets/")
        || path == WEBTRANSPORT_JSON
        || path == "/app"
        || path.starts_with("/app/")
}

pub async fn check(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = match admit(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(refusal) => refusal,
    };
    add_headers(response.headers_mut(), &state);
    response
}

async fn admit(state: &State, request: Request) -> Result<Request, Response> {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.hosts.iter().any(|h| h == host) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "This address is not the Rapport app's: open it at 127.0.0.1, localhost or [::1] with its port.",
        ));
    }
    let changes_state = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes_state && is_cross_site(headers, host) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Refused a request that another site sent to the Rapport app.",
        ));
    }
    let path = request.uri().path();
    if is_public(path) {
        return Ok(request);
    }
    if !signed_in(headers, state) {
        if *request.method() == Method::GET && !path.starts_with("/events") {
            return Err(Redirect::to("/signin").into_response());
        }
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "Sign in first: run `rapport ui`, or open /signin.",
        ));
    }
    if changes_state {
        return check_csrf(state, request).await;
    }
    Ok(request)
}

/// True when the browser says the request came from another site. `Sec-Fetch-Site` decides
/// when the browser sends it: with `Referrer-Policy: no-referrer`, Chromium sends
/// `Origin: null` even on our own form posts. Otherwise `Origin`, when present, must be ours.
/// A request with neither (curl, scripts) is not cross-site by this test; it still needs the
/// cookie and the CSRF token, which another site cannot read.
fn is_cross_site(headers: &HeaderMap, host: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let expected = format!("http://{host}");
        return origin.as_bytes() != expected.as_bytes();
    }
    false
}

pub fn signed_in(headers: &HeaderMap, state: &State) -> bool {
    cookie(headers, &state.cookie_name).is_some_and(|v| state.secrets.cookie_matches(v))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn check_csrf(state: &State, request: Request) -> Result<Request, Response> {
    let refused = || {
        refuse(
            StatusCode::FORBIDDEN,
            "This form is out of date (its security token does not match): reload the page and try again.",
        )
    };
    let in_header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| state.secrets.csrf_matches(v));
    let in_query = request
        .uri()
        .query()
        .and_then(|q| form_value(q.as_bytes(), "csrf"))
        .is_some_and(|v| state.secrets.csrf_matches(&v));
    if in_header || in_query {
        return Ok(request);
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(refused());
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "This form is too large (over 1 MiB): shorten what you typed.",
        )
    })?;
    match form_value(&bytes, "csrf") {
        Some(v) if state.secrets.csrf_matches(&v) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(refused()),
    }
}

fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn refuse(status: StatusCode, sentence: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        sentence,
    )
        .into_response()
}

fn add_headers(headers: &mut HeaderMap, state: &State) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    // The phone app sets its own policy (it compiles WebAssembly); every other page gets this.
    if !headers.contains_key("content-security-policy") {
        set(
            headers,
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        );
    }
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "cross-origin-resource-policy", "same-origin");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    let _ = state;
}
