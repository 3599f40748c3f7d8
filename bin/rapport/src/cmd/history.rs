//! `import undo` as the CLI prints it (`log`, `show --at`, `revert` and `undo` are
//! rapport-app's requests now, and the web app calls them as such).

use crate::home::Home;
use anyhow::Result;

/// `rapport import undo`, printed.
pub fn import_undo(home: &Home) -> Result<()> {
    let response = rapport_app::handle(home, &rapport_app::Request::ImportUndo)?;
    crate::render::response(&response, false)
}
