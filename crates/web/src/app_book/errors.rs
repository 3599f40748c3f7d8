//! Refusals as the page shows them: the CLI's sentence, next to the form field it is about.

use crate::book::{BookError, BookResult};
use rapport_app::model::validate::InvalidValue;
use rapport_app::model::EditError;
use rapport_app::{AppError, ErrorKind, Response};

/// `e` and its causes, as the CLI prints an error.
pub(super) fn sentence(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !out.contains(&c_text) {
            out.push_str(": ");
            out.push_str(&c_text);
        }
        cause = c.source();
    }
    out
}

/// The CLI's sentence for `e`, typed for the page.
pub(super) fn to_book(
    e: &AppError,
    field: &dyn Fn(&InvalidValue) -> Option<&'static str>,
) -> BookError {
    let message = sentence(e);
    if let AppError::Edit(edit) = e {
        return match edit {
            EditError::NoSuchContact(_)
            | EditError::NoSuchGroup(_)
            | EditError::NoSuchInteraction(_) => BookError::NotFound(message),
            EditError::Invalid(inv) => BookError::BadInput {
                field: field(inv),
                message,
            },
            EditError::GroupExists(_) | EditError::NothingToDo | EditError::NoContacts => {
                BookError::BadInput {
                    field: None,
                    message,
                }
            }
            _ => BookError::Failed(message),
        };
    }
    match e.kind() {
        ErrorKind::NotFound | ErrorKind::Ambiguous => BookError::NotFound(message),
        ErrorKind::BadInput => BookError::BadInput {
            field: None,
            message,
        },
        _ => BookError::Failed(message),
    }
}

/// The CLI's sentence for `e`, for a page without a field to put it next to.
pub fn book_error(e: &AppError) -> BookError {
    to_book(e, &no_field)
}

/// The id a `Created` response carries.
pub(super) fn created<T: std::str::FromStr>(response: Response) -> BookResult<T> {
    match response {
        Response::Created { id } => id.parse().map_err(|_| {
            BookError::Failed(format!(
                "the new record's id `{id}` does not read back: try again"
            ))
        }),
        _ => Err(BookError::Failed(
            "the application answered something else than a new record: try again".into(),
        )),
    }
}

/// Which field of the add and edit forms a refused value belongs to.
pub(super) fn contact_field(inv: &InvalidValue) -> Option<&'static str> {
    Some(match inv {
        InvalidValue::Email(_) => "email",
        InvalidValue::Phone(_) => "phone",
        InvalidValue::Date(_) => "met_on",
        InvalidValue::Tag(_) => "tags",
        InvalidValue::Empty(_) | InvalidValue::NameRequired => "name",
        InvalidValue::TooLong { field, .. } => match *field {
            "name" => "name",
            "org" => "org",
            "title" => "title",
            "notes" => "notes",
            _ => return None,
        },
        _ => return None,
    })
}

pub(super) fn edit_field(inv: &InvalidValue) -> Option<&'static str> {
    match contact_field(inv) {
        Some("email") => Some("add_email"),
        Some("phone") => Some("add_phone"),
        other => other,
    }
}

pub(super) fn note_field(inv: &InvalidValue) -> Option<&'static str> {
    match inv {
        InvalidValue::Empty(_) | InvalidValue::TooLong { .. } => Some("text"),
        _ => None,
    }
}

pub(super) fn no_field(_: &InvalidValue) -> Option<&'static str> {
    None
}

pub(super) fn tag_field(_: &InvalidValue) -> Option<&'static str> {
    Some("add")
}
