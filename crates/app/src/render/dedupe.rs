//! Text for `dedupe` and `merge`.

use super::{out, Out};
use crate::response::{DuplicateRow, Named};

pub fn duplicates(o: &mut Out, found: &[DuplicateRow]) {
    for d in found {
        out!(
            o,
            "{}  {} {}  <-  {} {}  ({})",
            if d.certain { "certain " } else { "probable" },
            d.keep.id,
            d.keep.name,
            d.merge.id,
            d.merge.name,
            d.reasons.join("; ")
        );
    }
    let certain = found.iter().filter(|d| d.certain).count();
    if found.is_empty() {
        out!(o, "no probable duplicates");
    } else if certain > 0 {
        out!(o, "{certain} certain (same email or URL): merge them with `rapport dedupe --apply`; others with `rapport merge A B`");
    }
}

pub fn deduped(o: &mut Out, merged: Option<&[(Named, Named)]>) {
    let Some(merged) = merged else {
        out!(o, "no certain duplicates (same email or URL) to merge");
        return;
    };
    for (keep, merge) in merged {
        out!(
            o,
            "merged {} {} into {} {}",
            merge.id,
            merge.name,
            keep.id,
            keep.name
        );
    }
    out!(o, "{} contacts merged", merged.len());
}

pub fn merged(o: &mut Out, keep: &Named, gone: &Named, moved: usize) {
    out!(
        o,
        "merged {} {} into {} {}: {moved} interactions moved; `rapport show {}` now shows {}",
        gone.id,
        gone.name,
        keep.id,
        keep.name,
        gone.id,
        keep.name
    );
}
