//! What the web app still reaches here: `import undo`, `revert` and `undo` as the CLI prints
//! them (`log`, `show --at`, `revert` and `undo` are rapport-app's requests now).

use crate::home::Home;
use anyhow::Result;

/// `rapport import undo`, printed.
pub fn import_undo(home: &Home) -> Result<()> {
    let response = rapport_app::handle(home, &rapport_app::Request::ImportUndo)?;
    crate::render::response(&response, false)
}

/// `rapport revert CONTACT --to POINT`, printed (the web app's revert button).
pub fn revert(home: &Home, contact: &str, to: &str) -> Result<()> {
    let request = rapport_app::Request::Revert {
        contact: contact.to_owned(),
        to: to.to_owned(),
    };
    crate::render::response(&rapport_app::handle(home, &request)?, false)
}

/// `rapport undo [--change C]`, printed (the web app's undo button).
pub fn undo(home: &Home, change: Option<&str>) -> Result<()> {
    let request = rapport_app::Request::Undo {
        change: change.map(str::to_owned),
    };
    crate::render::response(&rapport_app::handle(home, &request)?, false)
}

pub use rapport_app::interaction_candidates;
