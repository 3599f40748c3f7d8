//! `repair`: salvages a damaged store (`rapport_app::repair`), which no daemon can hold.

use anyhow::Result;
use std::path::Path;

pub fn repair(dir: &Path) -> Result<()> {
    crate::render::response(&rapport_app::repair(dir)?, false)
}
