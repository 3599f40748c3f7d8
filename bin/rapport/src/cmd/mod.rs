//! The commands the binary still runs itself, one function each, reading what they need from
//! the home and printing their result; `dispatch` sends the rest to rapport-app. Nothing here
//! knows the daemon: `route` decides where a command runs.

pub mod demo;
pub mod device;
pub mod maintenance;
pub mod pair;
pub mod revoke;
pub mod sync;

use crate::cli::Command;
use crate::home::Home;
use crate::request::Routed;
use anyhow::Result;
use rapport_app::AppError;
use rapport_store::StoreError;

/// Runs a command that makes an application `Request` against `home` and prints its answer.
pub fn dispatch(home: &Home, command: Command) -> Result<()> {
    let (request, json) = match crate::request::from_command(command)? {
        Routed::App(request, json) => (request, json),
        // `route` runs these itself, before a store is open; reaching here is a bug, reported
        // as an error rather than a panic.
        Routed::Bin => anyhow::bail!(
            "rapport cannot run this command here (an internal routing bug): please report it"
        ),
    };
    let mut bar = Progress::default();
    let result =
        rapport_app::handle_with_progress(home, &request, &mut |done, total| bar.tick(done, total));
    bar.finish();
    for note in home.take_notes() {
        crate::note!("{note}");
    }
    let response = result?;
    let printed = crate::render::response(&response, json);
    // Printed: what is left is the response's memory. A one-shot command leaves it to the
    // exit (`Home::release`): freeing 30,000 contacts one allocation at a time was about a
    // sixth of a cold `list --json` at W30 (perf: free, unlink_chunk, malloc_consolidate).
    home.release(response);
    printed
}

/// A progress bar on stderr for a long write (an import of 1,000 records or more), only when
/// a person is watching.
#[derive(Default)]
struct Progress {
    /// Decided at the first tick, when the total is known.
    decided: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn tick(&mut self, done: usize, total: usize) {
        if !self.decided {
            self.decided = true;
            let watched = total >= 1_000
                && crate::out::is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            if watched {
                let bar = indicatif::ProgressBar::new(total as u64);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "importing {bar:40} {pos}/{len} records",
                ) {
                    bar.set_style(style);
                }
                self.bar = Some(bar);
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `Home::open`, with the error as `anyhow` (its type still picks the exit code).
pub fn open_home(dir: &std::path::Path, create_identity: Option<&str>) -> Result<Home> {
    Ok(Home::open(dir, create_identity)?)
}

pub fn is_locked(e: &anyhow::Error) -> bool {
    let store = e
        .downcast_ref::<StoreError>()
        .or(match e.downcast_ref::<AppError>() {
            Some(AppError::Store(s)) => Some(s),
            _ => None,
        });
    store.is_some_and(|s| s.kind() == rapport_store::StoreErrorKind::Locked)
}
