//! The devices and import pages' requests: the roster as `rapport devices` reads it (without
//! resetting the "new changes" counts, which belong to `rapport status`), exports and backups
//! as bytes, and an uploaded file imported exactly as `rapport import` imports a file.

use super::{AppBook, Host};
use crate::book::{BookError, BookResult, DeviceRow, ExportKind, ImportKind, ImportSummary};
use rapport_app::request::{ExportFormat, ImportSource};
use rapport_app::{Request, Response};
use std::path::Path;

fn unexpected(what: &str) -> BookError {
    BookError::Failed(format!(
        "the application answered something else than {what}: try again"
    ))
}

impl<H: Host> AppBook<H> {
    pub(super) fn device_rows(&self) -> BookResult<Vec<DeviceRow>> {
        let roster = match self.ask(&Request::Devices)? {
            Response::Devices(roster) => roster,
            _ => return Err(unexpected("the roster")),
        };
        Ok(roster
            .devices
            .into_iter()
            .map(|e| DeviceRow {
                id: e.device.id.to_string(),
                this_device: e.this_device,
                revoked: e.revoked || e.left,
                added_at: e.device.added_at,
                last_seen: e.peer.as_ref().and_then(|p| p.last_seen),
                last_synced: e.peer.as_ref().and_then(|p| p.last_synced),
                sync_state: e.peer.as_ref().map(|p| p.sync.as_str().to_owned()),
                address: e.peer.as_ref().and_then(|p| p.address.clone()),
                address_source: e.peer.as_ref().and_then(|p| p.address_source.clone()),
                changes_received: e.peer.as_ref().map_or(0, |p| p.changes_since_last_look),
                quarantined: e.peer.as_ref().map_or(0, |p| p.quarantined),
                name: e.device.name,
            })
            .collect())
    }

    pub(super) fn export_bytes(&self, kind: ExportKind) -> BookResult<Vec<u8>> {
        let format = |format| Request::Export { format, out: None };
        let request = match kind {
            ExportKind::Vcard => format(ExportFormat::Vcard),
            ExportKind::Csv => format(ExportFormat::Csv),
            ExportKind::Json => format(ExportFormat::Json),
            ExportKind::Backup => Request::Backup { path: None },
        };
        match self.ask(&request)? {
            Response::Export(text) => Ok(text.into_bytes()),
            Response::Backup(bytes) => Ok(bytes),
            _ => Err(unexpected("an export")),
        }
    }

    /// `Request::Import` reads a file: the upload is written, owner-only, to a fresh folder in
    /// the data folder under its own name (which `import undo` and the history show), imported,
    /// and removed whatever happened.
    pub(super) fn import_upload(
        &self,
        kind: ImportKind,
        name: &str,
        bytes: &[u8],
        apply: bool,
    ) -> BookResult<ImportSummary> {
        let dir = {
            let replica = self.replica.blocking_lock();
            replica
                .home
                .dir
                .join(format!(".web-import-{:016x}", rand::random::<u64>()))
        };
        let file_name = Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .unwrap_or_else(|| format!("upload.{}", kind.as_str()));
        let file = dir.join(&file_name);
        let written = std::fs::create_dir(&dir).and_then(|()| std::fs::write(&file, bytes));
        let result = match written {
            Err(e) => Err(BookError::Failed(format!(
                "could not keep the upload in {}: {e}; check the disk and try again",
                dir.display()
            ))),
            Ok(()) => {
                let source = match kind {
                    ImportKind::Linkedin => ImportSource::Linkedin { file: file.clone() },
                    ImportKind::Vcard => ImportSource::Vcard { path: file.clone() },
                    ImportKind::Csv => ImportSource::Csv {
                        file: file.clone(),
                        map: Vec::new(),
                    },
                };
                let request = Request::Import {
                    source,
                    dry_run: !apply,
                };
                if apply {
                    self.request(&request, &super::no_field)
                } else {
                    self.ask(&request)
                }
            }
        };
        let _ = std::fs::remove_dir_all(&dir);
        // The sentence names the file as the person chose it, not the folder it was kept in.
        let shown = file.display().to_string();
        let result = result.map_err(|e| match e {
            BookError::BadInput { field, message } => BookError::BadInput {
                field,
                message: message.replace(&shown, name),
            },
            BookError::NotFound(m) => BookError::NotFound(m.replace(&shown, name)),
            BookError::Failed(m) => BookError::Failed(m.replace(&shown, name)),
        });
        match result? {
            Response::Imported(report) => Ok(ImportSummary {
                created: report.created,
                updated: report.updated,
                unchanged: report.unchanged,
                skipped: report.skipped,
                warnings: report.warnings,
            }),
            _ => Err(unexpected("an import")),
        }
    }
}
