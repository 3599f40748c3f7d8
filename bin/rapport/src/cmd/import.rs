//! `rapport import linkedin|vcard|csv`: parse the whole input first (a bad file changes
//! nothing), plan it against the vault, then write it as ONE commit whose message starts with
//! `import ` (e.g. `import linkedin Connections.csv: 120 created, 3 updated`), which is what
//! `rapport import undo` looks for.

use crate::cli::ImportCommand;
use crate::home::Home;
use crate::time;
use anyhow::{Context, Result};
use rapport_app::AppError;
use rapport_formats::plan::{self, Plan};
use rapport_formats::{linkedin, table, vcard_in, ImportError, Limits, Parsed};
use rapport_model::{ContactId, InteractionId};
use std::path::Path;

/// Lines of skipped records and of warnings printed before "... and N more".
const MAX_LISTED: usize = 20;

pub fn run(home: &Home, command: ImportCommand) -> Result<()> {
    let limits = Limits::default();
    let (kind, path, dry_run) = match &command {
        // `import undo` is rapport-app's `Request::ImportUndo`: `request` sends it there.
        ImportCommand::Undo => {
            let response = rapport_app::handle(home, &rapport_app::Request::ImportUndo)?;
            return crate::render::response(&response, false);
        }
        ImportCommand::Linkedin { file, dry_run } => ("linkedin", file, *dry_run),
        ImportCommand::Vcard { path, dry_run } => ("vcard", path, *dry_run),
        ImportCommand::Csv { file, dry_run, .. } => ("csv", file, *dry_run),
    };
    let bad = |e: ImportError| -> anyhow::Error {
        AppError::BadInput(format!("cannot import {}: {e}", path.display())).into()
    };
    let parsed = match &command {
        ImportCommand::Csv { file, map, .. } => {
            let maps = table::parse_maps(map).map_err(|e| AppError::BadInput(e.to_string()))?;
            table::parse(open(file, limits)?, &maps, limits).map_err(bad)?
        }
        ImportCommand::Vcard { path, .. } => parse_vcards(path, limits).map_err(bad)?,
        // `Undo` returned above.
        ImportCommand::Linkedin { .. } | ImportCommand::Undo => {
            linkedin::parse(open(path, limits)?, limits).map_err(bad)?
        }
    };
    let parsed = parsed.require_some().map_err(bad)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let source = format!("{kind} {name}");
    let new_contact = || ContactId::random(&mut rand::thread_rng());
    if dry_run {
        let vault = home.store.load_vault(home.device)?;
        let plan = plan::plan(&vault, parsed, new_contact).map_err(bad)?;
        print_summary(&source, &plan, true);
        return Ok(());
    }
    let now = time::now_ms();
    let plan = super::write(home, |vault, _| {
        let plan = plan::plan(vault, parsed.clone(), new_contact).map_err(bad)?;
        let bar = progress_bar(plan.items.len());
        let mut tick = |n: usize| {
            if let Some(bar) = &bar {
                bar.set_position(n as u64);
            }
        };
        plan::apply(
            vault,
            &plan,
            &source,
            now,
            || InteractionId::random(&mut rand::thread_rng()),
            &mut tick,
        )
        .map_err(bad)?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok(plan)
    })?;
    print_summary(&source, &plan, false);
    Ok(())
}

/// Opens a file to import, refusing one over the size limit before reading any of it.
fn open(path: &Path, limits: Limits) -> Result<std::fs::File> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("could not open {}: check the path", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limits.max_bytes {
        return Err(AppError::BadInput(format!(
            "cannot import {}: it is {size} bytes, over the import limit of {} bytes: split it into smaller files",
            path.display(),
            limits.max_bytes
        ))
        .into());
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

/// A progress bar on stderr, only when a person is watching.
fn progress_bar(len: usize) -> Option<indicatif::ProgressBar> {
    if len < 1_000 || !crate::out::is_terminal() || std::env::var_os("NO_COLOR").is_some() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("importing {bar:40} {pos}/{len} records")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn print_summary(source: &str, plan: &Plan, dry_run: bool) {
    let (created, updated, unchanged, skipped) = (
        plan.created(),
        plan.updated(),
        plan.unchanged(),
        plan.skipped.len(),
    );
    if dry_run {
        crate::out!("dry run of import {source} (nothing was written): would create {created}, update {updated}; {unchanged} unchanged, {skipped} skipped");
    } else if plan.is_noop() {
        crate::out!(
            "imported {source}: nothing to change; {unchanged} unchanged, {skipped} skipped"
        );
    } else {
        crate::out!("imported {source}: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped (undo with `rapport import undo`)");
    }
    for (by, n) in plan.matched_by() {
        crate::out!("  matched {n} existing contacts by {by}");
    }
    if let Some(note) = &plan.key_note {
        crate::out!("  note: {note}");
    }
    for s in plan.skipped.iter().take(MAX_LISTED) {
        crate::out!("  skipped {}: {}", s.record, s.reason);
    }
    if skipped > MAX_LISTED {
        crate::out!("  ... and {} more skipped", skipped - MAX_LISTED);
    }
    for w in plan.warnings.iter().take(MAX_LISTED) {
        crate::out!("  warning: {w}");
    }
    if plan.warnings.len() > MAX_LISTED {
        crate::out!(
            "  ... and {} more warnings",
            plan.warnings.len() - MAX_LISTED
        );
    }
}
