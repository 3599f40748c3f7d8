//! Devices: the vault's devices, and pairing a new one with its code and a QR code drawn as
//! SVG by the server (no script, no image request). The page refreshes by itself when the
//! new device joins, since joining changes the vault's roster.

use super::{call, csrf, date, layout, see, AppState, Nav};
use crate::book::PairingState;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

pub async fn page(axum::extract::State(state): AppState) -> Response {
    let devices = match call(&state, |b| b.devices()).await {
        Ok(d) => d,
        Err(e) => return super::error_page(&state, &e),
    };
    let pairing = state.book.pairing();
    let body = html! {
        h1 { "Devices" }
        table.devices {
            caption.visually-hidden { "Devices of this vault" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "Id" } th scope="col" { "Added" } th scope="col" { "State" } } }
            tbody {
                @for d in &devices {
                    tr {
                        td { (d.name) @if d.this_device { " (this device)" } }
                        td { code { (d.id) } }
                        td { (date(d.added_at)) }
                        td { @if d.revoked { "revoked" } @else { "trusted" } }
                    }
                }
            }
        }
        p { "Revoking a device, sync status and quarantined deletions are not in the app yet: use "
            code { "rapport devices revoke" } ", " code { "rapport status" } " and " code { "rapport quarantine" } "." }
        section aria-labelledby="pair-h" {
            h2 id="pair-h" { "Pair a new device" }
            @match &pairing {
                Some(p) => {
                    p.code-line { "Pairing code: " strong.pair-code { (p.code) } }
                    (qr_svg(&p.link))
                    p { "On the new device run " code { "rapport join " (p.code) } " (add "
                        code { "--addr " (p.addresses.first().map(String::as_str).unwrap_or("HOST:PORT")) }
                        " if it is not on this network), or scan the QR code." }
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
