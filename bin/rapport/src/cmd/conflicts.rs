//! What the web app's field editor still reaches here (`conflicts` and `resolve` are
//! rapport-app's requests now).

use anyhow::Result;
use rapport_model::{ContactField, ContactPatch};

/// The patch that sets `field` to what the user typed (`rapport_app::patch_for`).
pub(crate) fn patch_for(
    field: ContactField,
    value: &str,
    contacts: &[rapport_model::Contact],
) -> Result<ContactPatch> {
    Ok(rapport_app::patch_for(field, value, contacts)?)
}
