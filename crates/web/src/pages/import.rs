//! Import: upload a LinkedIn export, a vCard file or a CSV file, see what it would do (the dry
//! run), then apply it as one change; undo the last import. The file waits on the server
//! between preview and apply, so applying never asks the browser to send it again.

use super::{call, csrf, layout, AppState, Nav};
use crate::book::{BookError, ExportKind, ImportKind, ImportSummary};
use crate::State;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};

/// The importers' own limit is 64 MiB; the form's other fields fit in the slack.
pub const MAX_UPLOAD: usize = (64 << 20) + (64 << 10);

/// Records listed on the preview before "and N more".
const MAX_LISTED: usize = 50;

#[derive(Debug)]
pub struct Upload {
    /// Random: the apply form names the upload it previewed.
    id: String,
    kind: ImportKind,
    name: String,
    bytes: Vec<u8>,
}

pub async fn page(axum::extract::State(state): AppState) -> Response {
    render(&state, None, StatusCode::OK)
}

fn render(state: &State, result: Option<Markup>, status: StatusCode) -> Response {
    let csrf_q = format!("/import/preview?csrf={}", state.secrets.csrf());
    let body = html! {
        h1 { "Import" }
        @if let Some(r) = result { (r) }
        form method="post" action=(csrf_q) enctype="multipart/form-data" {
            div.field {
                label for="import-kind" { "Format" }
                select id="import-kind" name="kind" {
                    @for k in ImportKind::ALL { option value=(k.as_str()) { (k.label()) } }
                }
            }
            div.field {
                label for="import-file" { "File (at most 64 MiB and 100,000 records)" }
                input id="import-file" name="file" type="file" required;
            }
            button type="submit" { "Preview import" }
        }
        section aria-labelledby="undo-h" {
            h2 id="undo-h" { "Undo the last import" }
            form method="post" action="/import/undo" data-confirm="Undo the last import?" {
                (csrf(state))
                button type="submit" { "Undo last import" }
            }
        }
        section aria-labelledby="export-h" {
            h2 id="export-h" { "Export and backup" }
            p { "Every contact that is not in the trash, as a file to download:" }
            ul.exports {
                li { a href="/export/vcard" download { "vCard 4.0 (.vcf)" } " – for phones and other address books" }
                li { a href="/export/csv" download { "CSV" } " – for spreadsheets; imports back here" }
                li { a href="/export/json" download { "JSON" } " – with interactions, groups and cadences" }
            }
            p { a href="/export/backup" download { "Download a backup" } " of the whole vault (history, trash and all) as an Automerge document; "
                code { "rapport restore-backup FILE" } " merges it back." }
        }
    };
    (status, layout(state, "Import", Nav::Import, body)).into_response()
}

fn summary(s: &ImportSummary) -> Markup {
    html! {
        ul.summary {
            li { (s.created) " to create" }
            li { (s.updated) " to update" }
            li { (s.unchanged) " unchanged" }
            li { (s.skipped.len()) " skipped" }
        }
        @if !s.skipped.is_empty() {
            h3 { "Skipped" }
            ul {
                @for (record, reason) in s.skipped.iter().take(MAX_LISTED) { li { (record) ": " (reason) } }
                @if s.skipped.len() > MAX_LISTED { li { "… and " (s.skipped.len() - MAX_LISTED) " more" } }
            }
        }
        @if !s.warnings.is_empty() {
            h3 { "Warnings" }
            ul { @for w in s.warnings.iter().take(MAX_LISTED) { li { (w) } } }
        }
    }
}

fn refused(state: &State, e: &BookError) -> Response {
    let status = match e {
        BookError::BadInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        BookError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let r = html! { p.error role="alert" { "Error: " (e.to_string()) } };
    render(state, Some(r), status)
}

pub async fn preview(axum::extract::State(state): AppState, mut form: Multipart) -> Response {
    let mut kind = ImportKind::Linkedin;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return refused(
                    &state,
                    &BookError::BadInput {
                        field: None,
                        message: "the upload did not arrive whole (or is over 64 MiB): try again with a smaller file".into(),
                    },
                )
            }
        };
        match field.name() {
            Some("kind") => {
                let text = field.text().await.unwrap_or_default();
                kind = ImportKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == text)
                    .unwrap_or(ImportKind::Linkedin);
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        return refused(
                            &state,
                            &BookError::BadInput {
                                field: None,
                                message: "the file is over the import limit of 64 MiB: split it into smaller files".into(),
                            },
                        )
                    }
                }
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file else {
        return refused(
            &state,
            &BookError::BadInput {
                field: None,
                message: "choose a file to import".into(),
            },
        );
    };
    let upload = Upload {
        id: data_encoding::HEXLOWER.encode(&rand::random::<[u8; 16]>()),
        kind,
        name,
        bytes,
    };
    let (result, upload) = {
        let state2 = state.clone();
        match tokio::task::spawn_blocking(move || {
            let r = state2
                .book
                .import(upload.kind, &upload.name, &upload.bytes, false);
            (r, upload)
        })
        .await
        {
            Ok(pair) => pair,
            Err(_) => {
                return refused(
                    &state,
                    &BookError::Failed("the preview stopped unexpectedly: try again".into()),
                )
            }
        }
    };
    let s = match result {
        Ok(s) => s,
        Err(e) => return refused(&state, &e),
    };
    let r = html! {
        section.preview aria-labelledby="preview-h" {
            h2 id="preview-h" { "Preview of " (upload.name) " (nothing written yet)" }
            (summary(&s))
            form method="post" action="/import/apply" {
                (csrf(&state))
                input type="hidden" name="upload" value=(upload.id);
                button type="submit" { "Apply this import" }
            }
        }
    };
    if let Ok(mut slot) = state.upload.lock() {
        *slot = Some(upload);
    }
    render(&state, Some(r), StatusCode::OK)
}

pub async fn apply(
    axum::extract::State(state): AppState,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let wanted = super::Fields(fields).get("upload").unwrap_or("").to_owned();
    let upload = state
        .upload
        .lock()
        .ok()
        .and_then(|mut slot| slot.take_if(|u| u.id == wanted));
    let Some(upload) = upload else {
        return refused(
            &state,
            &BookError::BadInput {
                field: None,
                message: "this preview is out of date (another file was previewed since, or it was applied): upload the file again".into(),
            },
        );
    };
    let name = upload.name.clone();
    match call(&state, move |b| {
        b.import(upload.kind, &upload.name, &upload.bytes, true)
    })
    .await
    {
        Ok(s) => {
            let r = html! {
                section.done role="status" {
                    h2 { "Imported " (name) }
                    (summary(&s))
                    p { "Undo it below if it was not what you wanted." }
                }
            };
            render(&state, Some(r), StatusCode::OK)
        }
        Err(e) => refused(&state, &e),
    }
}

pub async fn undo(axum::extract::State(state): AppState) -> Response {
    match call(&state, |b| b.undo_import()).await {
        Ok(said) => render(
            &state,
            Some(html! { p.done role="status" { (said) } }),
            StatusCode::OK,
        ),
        Err(e) => refused(&state, &e),
    }
}

/// A download: the export or backup as an attachment, never cached.
pub async fn export(
    axum::extract::State(state): AppState,
    axum::extract::Path(kind): axum::extract::Path<String>,
) -> Response {
    let Some(kind) = ExportKind::parse(&kind) else {
        return super::error_page(
            &state,
            &BookError::NotFound(format!("there is no export called `{kind}`")),
        );
    };
    match call(&state, move |b| b.export(kind)).await {
        Ok(bytes) => {
            let (name, content_type) = kind.file();
            (
                [
                    (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => super::error_page(&state, &e),
    }
}
