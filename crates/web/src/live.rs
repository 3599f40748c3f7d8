//! Live updates. The app has no change-event stream to subscribe to yet, so one task polls the
//! book's revision (the vault's heads, read from the store without loading the vault) twice a
//! second and every open page gets a Server-Sent Event when it changes: a sync from another
//! device, a CLI command or another tab. The page's script then refreshes what it shows,
//! unless the person is typing in a form (nothing they typed is lost).
//!
//! A pairing window's outcome is part of what a page shows but not of the vault: the new
//! device is written to the vault (the heads change, the page refreshes) a moment before the
//! window reports that it is done. So the watched revision carries the window's state too;
//! otherwise the page would keep saying "Waiting" until some unrelated change.

use crate::book::{PairingState, PairingView};
use crate::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(500);

pub async fn watch(state: Arc<State>) {
    loop {
        let book = state.book.clone();
        let read = tokio::task::spawn_blocking(move || {
            book.revision()
                .map(|heads| format!("{heads}{}", pairing_marker(book.pairing())))
        });
        if let Ok(Ok(revision)) = read.await {
            state.revision.send_if_modified(|current| {
                if *current == revision {
                    false
                } else {
                    *current = revision;
                    true
                }
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The pairing window's state, as a suffix that changes whenever what the page says about it
/// changes.
fn pairing_marker(pairing: Option<PairingView>) -> &'static str {
    match pairing.map(|p| p.state) {
        None => "",
        Some(PairingState::Waiting) => "/pairing",
        Some(PairingState::Done(_)) => "/paired",
        Some(PairingState::Failed(_)) => "/pairing-failed",
    }
}

pub async fn events(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut rx = state.revision.subscribe();
    // What the page was rendered from is what is current now: only later changes are news.
    rx.mark_unchanged();
    let stream = stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let revision = rx.borrow_and_update().clone();
        Some((Ok(Event::default().event("change").data(revision)), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
