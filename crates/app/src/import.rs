//! `import linkedin|vcard|csv`: parse the whole input first (a bad file changes nothing), plan
//! it against the vault, then write it as ONE commit whose message starts with `import `
//! (e.g. `import linkedin Connections.csv: 120 created, 3 updated`), which is what
//! `import undo` looks for.

use crate::home::Home;
use crate::reports::{ImportReport, MAX_LISTED};
use crate::request::ImportSource;
use crate::response::Response;
use crate::{time, AppError};
use rapport_formats::plan::{self, Plan};
use rapport_formats::{linkedin, table, vcard_in, ImportError, Limits, Parsed};
use rapport_model::{ContactId, InteractionId};
use std::path::Path;

/// Runs an import; `progress(done, total)` is told as records are written.
pub fn run(
    home: &Home,
    source: &ImportSource,
    dry_run: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Response, AppError> {
    let limits = Limits::default();
    let path = source.path();
    let bad = |e: ImportError| -> AppError {
        AppError::BadInput(format!("cannot import {}: {e}", path.display()))
    };
    let parsed = match source {
        ImportSource::Csv { file, map } => {
            let maps = table::parse_maps(map).map_err(|e| AppError::BadInput(e.to_string()))?;
            table::parse(open(file, limits)?, &maps, limits).map_err(bad)?
        }
        ImportSource::Vcard { path } => parse_vcards(path, limits).map_err(bad)?,
        ImportSource::Linkedin { file } => {
            linkedin::parse(open(file, limits)?, limits).map_err(bad)?
        }
    };
    let parsed = parsed.require_some().map_err(bad)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let label = format!("{} {name}", source.kind());
    let new_contact = || ContactId::random(&mut rand::thread_rng());
    if dry_run {
        let plan = home.with_vault(|vault| plan::plan(vault, parsed, new_contact).map_err(bad))?;
        return Ok(Response::Imported(report(label, &plan, true)));
    }
    let now = time::now_ms();
    let progress = std::cell::RefCell::new(progress);
    let plan = home.write(|vault, _| {
        let plan = plan::plan(vault, parsed.clone(), new_contact).map_err(bad)?;
        let total = plan.items.len();
        let mut progress = progress.borrow_mut();
        let mut tick = |n: usize| (*progress)(n, total);
        plan::apply(
            vault,
            &plan,
            &label,
            now,
            || InteractionId::random(&mut rand::thread_rng()),
            &mut tick,
        )
        .map_err(bad)?;
        Ok(plan)
    })?;
    Ok(Response::Imported(report(label, &plan, false)))
}

fn report(source: String, plan: &Plan, dry_run: bool) -> ImportReport {
    ImportReport {
        source,
        dry_run,
        created: plan.created(),
        updated: plan.updated(),
        unchanged: plan.unchanged(),
        matched_by: plan
            .matched_by()
            .into_iter()
            .map(|(by, n)| (by.to_owned(), n))
            .collect(),
        key_note: plan.key_note.clone(),
        skipped: plan
            .skipped
            .iter()
            .take(MAX_LISTED)
            .map(|s| (s.record.clone(), s.reason.clone()))
            .collect(),
        skipped_count: plan.skipped.len(),
        warnings: plan.warnings.iter().take(MAX_LISTED).cloned().collect(),
        warning_count: plan.warnings.len(),
    }
}

/// Opens a file to import, refusing one over the size limit before reading any of it.
fn open(path: &Path, limits: Limits) -> Result<std::fs::File, AppError> {
    let file = std::fs::File::open(path).map_err(AppError::file(format!(
        "could not open {}: check the path",
        path.display()
    )))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limits.max_bytes {
        return Err(AppError::BadInput(format!(
            "cannot import {}: it is {size} bytes, over the import limit of {} bytes: split it into smaller files",
            path.display(),
            limits.max_bytes
        )));
    }
    Ok(file)
}

/// One .vcf file, or every .vcf/.vcard file of a folder (sorted by name), within one budget.
fn parse_vcards(path: &Path, limits: Limits) -> Result<Parsed, ImportError> {
    if !path.is_dir() {
        let file = std::fs::File::open(path)?;
        return vcard_in::parse(file, "", limits);
    }
    let mut files: Vec<_> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("vcf") || e.eq_ignore_ascii_case("vcard")
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ImportError::NoCards);
    }
    let mut left = limits;
    let mut all = Parsed::default();
    for file in files {
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let size = std::fs::metadata(&file)?.len();
        if size > left.max_bytes {
            return Err(ImportError::TooLarge {
                max: limits.max_bytes,
            });
        }
        // This file may use what is left of the budget; the next files get the rest.
        let cap = left;
        left.max_bytes -= size;
        let parsed = vcard_in::parse(std::fs::File::open(&file)?, &label, cap).map_err(|e| {
            ImportError::InFile {
                file: label.clone(),
                source: Box::new(e),
            }
        })?;
        left.max_records = left
            .max_records
            .saturating_sub(parsed.candidates.len() + parsed.skipped.len());
        all.extend(parsed);
    }
    Ok(all)
}
