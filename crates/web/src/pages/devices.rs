//! Devices: the vault's devices with their sync status (as `rapport status`), revoking one
//! after a confirmation page, quarantined deletions with accept and reject, and pairing a new
//! device with its code and a QR code drawn as SVG by the server (no script, no image
//! request). The page refreshes by itself when the new device joins, since joining changes
//! the vault's roster.

use super::{call, csrf, date, layout, see, AppState, Fields, Nav};
use crate::book::{BookError, HeldDeletion, PairingState};
use crate::State;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};

#[derive(Debug, serde::Deserialize)]
pub struct DevicesQuery {
    said: Option<u64>,
}

pub async fn page(
    axum::extract::State(state): AppState,
    Query(q): Query<DevicesQuery>,
) -> Response {
    let (devices, held) = match call(&state, |b| Ok((b.devices()?, b.quarantine()?))).await {
        Ok(d) => d,
        Err(e) => return super::error_page(&state, &e),
    };
    let said = super::recall(&state, q.said);
    let pairing = state.book.pairing();
    let when = |t: Option<i64>| t.map(date).unwrap_or_else(|| "never".into());
    let body = html! {
        h1 { "Devices" }
        @if let Some(s) = &said { p.done role="status" { (s) } }
        table.devices {
            caption.visually-hidden { "Devices of this vault" }
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "Id" } th scope="col" { "Added" }
                th scope="col" { "State" } th scope="col" { "Last seen" } th scope="col" { "Last synced" }
                th scope="col" { "Changes" } th scope="col" { "Address" } th scope="col" { span.visually-hidden { "Actions" } }
            } }
            tbody {
                @for d in &devices {
                    tr {
                        td { (d.name) @if d.this_device { " (this device)" } }
                        td { code { (d.id) } }
                        td { (date(d.added_at)) }
                        td {
                            @if d.revoked { "revoked" } @else { "trusted" }
                            @if let Some(s) = &d.sync_state { ", " (s) }
                        }
                        td { @if !d.this_device { (when(d.last_seen)) } }
                        td { @if !d.this_device { (when(d.last_synced)) } }
                        td {
                            @if !d.this_device {
                                (d.changes_received) " received since the last " code { "rapport status" }
                                @if d.quarantined > 0 { ", " strong { (d.quarantined) " deletions held back" } }
                            }
                        }
                        td {
                            @if let Some(a) = &d.address {
                                code { (a) }
                                @if let Some(src) = &d.address_source { " (" (source(src)) ")" }
                            }
                        }
                        td {
                            @if !d.this_device && !d.revoked {
                                a href=(format!("/devices/{}/revoke", d.id)) aria-label=(format!("Revoke {}", d.name)) { "Revoke…" }
                            }
                        }
                    }
                }
            }
        }
        (quarantine(&state, &held))
        section aria-labelledby="pair-h" {
            h2 id="pair-h" { "Pair a new device" }
            @match &pairing {
                Some(p) => {
                    p.code-line { "Pairing code: " strong.pair-code { (p.code) } }
                    (qr_svg(&p.link))
                    p { "On the new device run " code { "rapport join " (p.code) } " (add "
                        code { "--addr " (p.addresses.first().map(String::as_str).unwrap_or("HOST:PORT")) }
                        " if it is not on this network), or scan the QR code. A phone scans it to pair its browser: the code carries this device's WebTransport address and certificate hashes (start "
                        code { "rapport serve --app-url" } " with where you published the phone app, so the camera opens it)." }
                    @if !p.addresses.is_empty() {
                        p { "This device listens for it at: " @for a in &p.addresses { code.pair-addr { (a) } " " } }
                    }
                    p role="status" {
                        @match &p.state {
                            PairingState::Waiting => "Waiting for the new device… (this page updates by itself)",
                            PairingState::Done(s) => { strong { "Paired. " } (s) },
                            PairingState::Failed(s) => { strong { "Pairing failed: " } (s) },
                        }
                    }
                }
                None => {}
            }
            @if !matches!(pairing.as_ref().map(|p| &p.state), Some(PairingState::Waiting)) {
                form method="post" action="/devices/pair" {
                    (csrf(&state))
                    button type="submit" { "Pair a new device" }
                }
            }
        }
    };
    layout(&state, "Devices", Nav::Devices, body).into_response()
}

/// Where an address was learned, in words.
fn source(s: &str) -> &str {
    match s {
        "lan" => "found on the local network",
        "dialled" => "given or dialled",
        "accepted" => "it connected from there",
        other => other,
    }
}

fn quarantine(state: &State, held: &[HeldDeletion]) -> Markup {
    html! {
        section aria-labelledby="quarantine-h" {
            h2 id="quarantine-h" { "Quarantined deletions" }
            @if held.is_empty() {
                p { "Nothing is quarantined: no device deleted more at once than this one lets through without asking." }
            } @else {
                p { (held.len()) " records deleted on another device are held back here: they stay until you accept the deletion or reject it." }
                ul.held {
                    @for h in held {
                        li { (h.record) " " strong { (h.name) } " deleted by " (h.by) " on " (date(h.deleted_at))
                            " (received " (date(h.received)) ")" }
                    }
                }
                form.inline method="post" action="/devices/quarantine" data-confirm="Delete these records here too?" {
                    (csrf(state))
                    button type="submit" name="decision" value="accept" { "Accept: delete them here too" }
                }
                " "
                form.inline method="post" action="/devices/quarantine" data-confirm="Restore these records on every device?" {
                    (csrf(state))
                    button type="submit" name="decision" value="reject" { "Reject: restore them on every device" }
                }
            }
        }
    }
}

/// Back to the devices page with the action's sentence.
fn back(state: &State, said: String) -> Response {
    let n = super::remember(state, said);
    Redirect::to(&format!("/devices?said={n}")).into_response()
}

/// The confirmation step before a revocation: what it does, and a button to do it.
pub async fn confirm_revoke(
    axum::extract::State(state): AppState,
    Path(id): Path<String>,
) -> Response {
    let devices = match call(&state, |b| b.devices()).await {
        Ok(d) => d,
        Err(e) => return super::error_page(&state, &e),
    };
    let Some(d) = devices
        .iter()
        .find(|d| d.id == id && !d.this_device && !d.revoked)
    else {
        return super::error_page(
            &state,
            &BookError::NotFound(
                "no other trusted device has this id: it may be revoked already".into(),
            ),
        );
    };
    let body = html! {
        h1 { "Revoke " (d.name) "?" }
        p { "Revoking " strong { (d.name) } " (" code { (d.id) } ") makes every device of this vault refuse it from its next sync with this one. "
            "It keeps the copy it already has. Do this for a lost or stolen device; it cannot be paired back with the same identity." }
        form method="post" action=(format!("/devices/{}/revoke", d.id)) {
            (csrf(&state))
            button type="submit" { "Revoke " (d.name) }
            " "
            a href="/devices" { "Cancel" }
        }
    };
    layout(&state, "Revoke a device", Nav::Devices, body).into_response()
}

pub async fn revoke(axum::extract::State(state): AppState, Path(id): Path<String>) -> Response {
    match call(&state, move |b| b.revoke_device(&id)).await {
        Ok(said) => back(&state, said),
        Err(e) => super::error_page(&state, &e),
    }
}

pub async fn settle(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let f = Fields(fields);
    let accept = match f.get("decision") {
        Some("accept") => true,
        Some("reject") => false,
        _ => {
            return super::error_page(
                &state,
                &BookError::BadInput {
                    field: None,
                    message: "choose accept or reject: reload the devices page".into(),
                },
            )
        }
    };
    match call(&state, move |b| b.settle_quarantine(accept)).await {
        Ok(said) => back(&state, said),
        Err(e) => super::error_page(&state, &e),
    }
}

pub async fn pair(axum::extract::State(state): AppState) -> Response {
    match call(&state, |b| b.start_pairing()).await {
        Ok(()) => see("/devices"),
        Err(e) => super::error_page(&state, &e),
    }
}

/// The QR code of `link` as inline SVG: one path of unit squares, scaled by the viewBox.
fn qr_svg(link: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::new(link.as_bytes()) else {
        return html! { p { "(The pairing link is too long for a QR code; type the code instead.)" } };
    };
    let width = code.width();
    let mut path = String::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % width + 4, i / width + 4);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let size = width + 8;
    html! {
        svg.qr xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {size} {size}"))
            width="240" height="240" role="img" aria-label="QR code of the pairing link" {
            rect width=(size) height=(size) fill="#fff" {}
            path d=(path) fill="#000" {}
        }
    }
}
