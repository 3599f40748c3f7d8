//! The `local` suite's table: one row per figure with its baseline, and notes that break the
//! figures down.

use super::{commands, Figures};
use crate::table::{self, bytes, count, dur_ratio, kib, ratio, time, Table};
use std::path::Path;

pub(super) fn table(f: &Figures) -> Table {
    let Figures {
        seed,
        runs,
        rapport,
        contacts,
        interactions,
        text_bytes,
        generate,
        init,
        imp,
        prof,
        base,
        base_rss,
        load,
        load_rss,
        base_load,
        word,
        word_hits,
        contact,
        device_runs,
        list,
        search,
        note,
        check,
        check_json,
        disk_import,
        disk_after,
        compact,
        live,
    } = f;
    let load_median = table::median(load);
    let base_load_median = table::median(base_load);
    let records = (contacts + interactions) as f64;

    let mut t = Table::new(format!(
        "rapport-bench local — W1 (seed {}, {} runs)",
        seed, runs
    ));

    // 1. Import.
    let base_total = base.build + base.save;
    t.row(
        "Import W1: build (`Vault::batch`, 1 commit)",
        time(imp.batch),
        format!("{} (raw, 1 commit/contact)", time(base.build)),
        dur_ratio(imp.batch, base.build),
        "",
    );
    t.row(
        "Import W1: durable `Store::commit`",
        format!(
            "{}{}",
            time(imp.commit),
            if imp.compacted { " (compacted)" } else { "" }
        ),
        format!("{} (`save()`)", time(base.save)),
        dur_ratio(imp.commit, base.save),
        "",
    );
    t.row(
        "Import W1: total (batch + commit + close)",
        time(imp.total()),
        format!("{} (build + `save()`)", time(base_total)),
        dur_ratio(imp.total(), base_total),
        "≤ 1× (assumed)",
    );
    t.row(
        "Import W1: Automerge operations",
        count(imp.ops),
        count(base.ops),
        ratio(imp.ops as f64, base.ops as f64),
        "",
    );

    // 2. Load.
    t.row(
        format!("`AutoCommit::load` of the saved document (median of {runs})"),
        time(load_median),
        format!("{} (raw doc)", time(base_load_median)),
        dur_ratio(load_median, base_load_median),
        "",
    );
    t.row(
        "`save()` size",
        bytes(prof.saved.len() as u64),
        format!("{} (raw doc)", bytes(base.saved.len() as u64)),
        ratio(prof.saved.len() as f64, base.saved.len() as f64),
        "",
    );

    // 3 and 4. Whole commands, against the load.
    let load_cell = format!("{} (load)", time(load_median));
    let commands: [(&str, &commands::Runs, &str); 4] = [
        (
            "Cold `rapport device --json` (opens the store only)",
            device_runs,
            "",
        ),
        ("Cold `rapport list --json`", list, "≤ 50 ms"),
        ("Cold `rapport search WORD`", search, "≤ 50 ms"),
        ("Durable `rapport note`", note, "≤ 1.2× load"),
    ];
    for (what, r, target) in commands {
        t.row(
            format!("{what}: median"),
            time(r.median()),
            load_cell.clone(),
            dur_ratio(r.median(), load_median),
            target,
        );
        t.row(
            format!("{what}: p90"),
            time(r.p90()),
            load_cell.clone(),
            dur_ratio(r.p90(), load_median),
            "",
        );
    }

    // 5. Disk, against save().
    let saved_len = prof.saved.len() as u64;
    t.row(
        "Disk: every file under store/ after the import",
        bytes(disk_import.total),
        format!("{} (`save()`)", bytes(saved_len)),
        ratio(disk_import.total as f64, saved_len as f64),
        "≤ 2×",
    );
    t.row(
        format!("Disk: after {runs} notes and `rapport check`"),
        bytes(disk_after.total),
        format!("{} (`save()`)", bytes(saved_len)),
        ratio(disk_after.total as f64, saved_len as f64),
        "≤ 2×",
    );
    t.row(
        format!("Disk: blocks allocated after {runs} notes (`du`)"),
        bytes(disk_after.allocated),
        format!("{} (`save()`)", bytes(saved_len)),
        ratio(disk_after.allocated as f64, saved_len as f64),
        "—",
    );

    // 6. Memory, against one in-process load of the same document.
    let rss_base = |k: Option<u64>, what: &str| {
        k.map_or_else(|| "n/a".to_owned(), |k| format!("{} ({what})", kib(k)))
    };
    let rss_ratio = |ours: Option<u64>, base: Option<u64>| match (ours, base) {
        (Some(o), Some(b)) => ratio(o as f64, b as f64),
        _ => None,
    };
    t.row(
        "Peak RSS: import, in-process (above the RSS before)",
        imp.peak_rss_delta_kib.map_or_else(|| "n/a".to_owned(), kib),
        rss_base(*base_rss, "raw build"),
        rss_ratio(imp.peak_rss_delta_kib, *base_rss),
        "",
    );
    let procs: [(&str, u64); 5] = [
        ("device", device_runs.max_rss_kib),
        ("list", list.max_rss_kib),
        ("search", search.max_rss_kib),
        ("note", note.max_rss_kib),
        ("check", check.max_rss_kib),
    ];
    for (what, rss) in procs {
        t.row(
            format!("Peak RSS: `rapport {what}` (whole process)"),
            kib(rss),
            rss_base(*load_rss, "one load, Δ"),
            rss_ratio(Some(rss), *load_rss),
            "",
        );
    }

    // Notes: context and breakdowns.
    t.note(format!(
        "W1: {} contacts, {} interactions, {} of text; generated in {}. Machine: {} CPUs. \
         Cold = a new process per run; the page cache is warm (nothing is dropped).",
        count(*contacts as u64),
        count(*interactions as u64),
        bytes(*text_bytes as u64),
        time(*generate),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    ));
    t.note(format!(
        "Binary under test: `{}`{}. `rapport init`: {}.",
        rapport.display(),
        modified(rapport),
        time(*init),
    ));
    let remainder = imp.commit.saturating_sub(prof.save + prof.read_touched);
    t.note(format!(
        "Import breakdown: store open + load of the empty vault {} (not counted); batch {}; \
         commit {} ≈ `save_nocompress()` for the compaction {} ({} saved) + reading back the \
         {} touched records for the view {} + the rest (zstd of the view's buckets, sled batch, \
         fsyncs; the snapshot's zstd runs beside these on a second core) {}; close {}. A commit this large compacts directly: \
         encoding its change chunk first (`save_after`) would add {}. One more \
         `Store::compact` of the final store, timed alone: {}. Operations per record: {:.1} \
         (ours) vs {:.1} (raw); changes {} vs {}.",
        time(imp.open),
        time(imp.batch),
        time(imp.commit),
        time(prof.save),
        bytes(imp.change_bytes as u64),
        count(records as u64),
        time(prof.read_touched),
        time(remainder),
        time(imp.close),
        time(prof.save_after),
        time(*compact),
        imp.ops as f64 / records,
        base.ops as f64 / records,
        count(imp.changes),
        count(base.changes),
    ));
    t.note(format!(
        "Store after the import (`Store::stats`): snapshot {}, {} change chunks ({}), \
         disk {}. Files: sled/ {}, snapshots/ {}, buckets/ {} in {} files; {} in blocks \
         allocated (what `du` counts). Largest: {}.",
        bytes(imp.stats.snapshot_bytes),
        imp.stats.change_chunks,
        bytes(imp.stats.change_bytes),
        bytes(imp.stats.disk_bytes),
        bytes(disk_import.under("sled")),
        bytes(disk_import.under("snapshots")),
        bytes(disk_import.under("buckets")),
        disk_import.count_under("buckets"),
        bytes(disk_import.allocated),
        disk_import.breakdown(),
    ));
    t.note(format!(
        "After the notes, `rapport check --json` ({}): snapshot {}, {} change chunks, disk {}. \
         Largest files: {}.",
        time(check.wall),
        json_bytes(check_json, "snapshot_bytes"),
        check_json
            .get("change_chunks")
            .and_then(serde_json::Value::as_u64)
            .map_or_else(|| "?".to_owned(), |n| n.to_string()),
        json_bytes(check_json, "disk_bytes"),
        disk_after.breakdown(),
    ));
    let live_total: u64 = live.iter().map(|f| f.2).sum();
    let families: Vec<String> = live
        .iter()
        .map(|(f, n, b)| format!("`{f}` {} in {}", bytes(*b), count(*n)))
        .collect();
    t.note(format!(
        "Live data in sled at the end (keys + values, read back with sled): {} — {}; sled's \
         files after the import were {}. Bucketed families hold only file references in sled.",
        bytes(live_total),
        families.join(", "),
        bytes(disk_import.under("sled")),
    ));
    t.note(format!(
        "Search word `{word}` is in {} of {} interaction texts; notes went to contact {contact} \
         (the first of `list --json`).",
        count(*word_hits as u64),
        count(*interactions as u64),
    ));
    t.note(format!(
        "Memory: children's peaks are `wait4` ru_maxrss, each child spawned by a small measurer \
         process so that it does not inherit this one's high-water mark. Baselines are \
         in-process peaks above the RSS before: one `AutoCommit::load` of our document, and the \
         raw build. The import's peak above the RSS before was {} by the end of the batch; \
         redone alone, `save_after` (which the import's commit skips) added {} and \
         `save_nocompress()` {}; this process peaked at {} after the import (W1 included).",
        imp.batch_rss_delta_kib
            .map_or_else(|| "n/a".to_owned(), kib),
        prof.save_after_rss_kib
            .map_or_else(|| "n/a".to_owned(), kib),
        prof.save_rss_kib.map_or_else(|| "n/a".to_owned(), kib),
        imp.peak_rss_kib.map_or_else(|| "n/a".to_owned(), kib),
    ));
    t.note(
        "Raw baseline layout: `contacts` map of maps, one key per field, emails/phones/links/tags \
         as nested lists; `interactions` map of maps with at, kind, text, place (if any), \
         contact. The import target is an assumption (no target was set): writing fewer \
         operations should not be slower than the raw layout.",
    );
    t
}

fn json_bytes(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_u64)
        .map_or_else(|| "?".to_owned(), bytes)
}

fn modified(path: &Path) -> String {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    match age {
        Some(a) => format!(" (built {} min ago)", a.as_secs() / 60),
        None => String::new(),
    }
}
