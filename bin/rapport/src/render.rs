//! Output: JSON objects for scripts, plain text for people (built by `rapport_app::render`).

use rapport_app::Response;
use serde::Serialize;

/// Prints a value as JSON on stdout, streamed (see `out::json`).
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    crate::out::json(value)?;
    Ok(())
}

/// Prints a response: its JSON form with `json` (when it has one), else its text for people
/// (`rapport_app::render`, the same text whether the command ran here or in the daemon).
pub fn response(r: &Response, json: bool) -> anyhow::Result<()> {
    if json {
        if let Some(value) = r.json() {
            if let rapport_app::json::Json::Contacts(list) = &value {
                crate::out::json_array(list.contacts(), |c| list.shape(c))?;
                return Ok(());
            }
            return print_json(&value);
        }
    }
    let text = rapport_app::render::text(r, crate::out::is_terminal());
    crate::out::text(&text.stdout);
    for note in text.notes {
        crate::note!("{note}");
    }
    Ok(())
}
