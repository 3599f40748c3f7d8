//! Live updates. The app has no change-event stream to subscribe to yet, so one task polls the
//! book's revision (the vault's heads, read from the store without loading the vault) twice a
//! second and every open page gets a Server-Sent Event when it changes: a sync from another
//! device, a CLI command or another tab. The page's script then refreshes what it shows,
//! unless the person is typing in a form (nothing they typed is lost).

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
        if let Ok(Ok(revision)) = tokio::task::spawn_blocking(move || book.revision()).await {
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
