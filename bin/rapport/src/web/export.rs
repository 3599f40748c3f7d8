//! Downloads: `rapport export` and `rapport backup`, run as the CLI's own commands into a
//! temporary file in the data folder (owner-only, like everything there), read back and
//! removed, so the page gets exactly the bytes the CLI writes.

use super::{cli_error, WebBook};
use crate::cli::{Command, ExportFormat};
use rapport_web::book::{BookError, BookResult, ExportKind};

impl WebBook {
    pub(super) fn export_bytes(&self, kind: ExportKind) -> BookResult<Vec<u8>> {
        let replica = self.replica.blocking_lock();
        let home = &replica.home;
        let path = home
            .dir
            .join(format!(".web-export-{:016x}.tmp", rand::random::<u64>()));
        let format = |format| Command::Export {
            format,
            out: Some(path.clone()),
        };
        let command = match kind {
            ExportKind::Vcard => format(ExportFormat::Vcard),
            ExportKind::Csv => format(ExportFormat::Csv),
            ExportKind::Json => format(ExportFormat::Json),
            ExportKind::Backup => Command::Backup { path: path.clone() },
        };
        let (result, _, _) = crate::out::capture(|| crate::cmd::dispatch(home, command));
        let bytes = result.map_err(|e| cli_error(&e)).and_then(|()| {
            std::fs::read(&path).map_err(|e| {
                BookError::Failed(format!(
                    "could not read the export back from {}: {e}; try again",
                    path.display()
                ))
            })
        });
        // Whatever happened, the temporary copy does not stay behind.
        let _ = std::fs::remove_file(&path);
        bytes
    }
}
