//! The report: a Markdown table (measure | ours | baseline | ratio | target) with notes under
//! it, and the small statistics and formatting helpers its cells need.

use std::fmt::Write as _;
use std::time::Duration;

/// One suite's results.
#[derive(Debug)]
pub struct Table {
    title: String,
    rows: Vec<[String; 5]>,
    notes: Vec<String>,
}

impl Table {
    pub fn new(title: impl Into<String>) -> Table {
        Table {
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a row. `ratio` is ours / baseline, when the two are comparable.
    pub fn row(
        &mut self,
        measure: impl Into<String>,
        ours: impl Into<String>,
        baseline: impl Into<String>,
        ratio: Option<f64>,
        target: impl Into<String>,
    ) {
        let ratio = ratio.map_or_else(|| "—".to_owned(), |r| format!("{r:.2}×"));
        self.rows.push([
            measure.into(),
            ours.into(),
            baseline.into(),
            ratio,
            target.into(),
        ]);
    }

    /// A line printed under the table (context, caveats, breakdowns).
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn to_markdown(&self) -> String {
        let mut out = format!("## {}\n\n", self.title);
        out.push_str("| measure | ours | baseline | ratio | target |\n");
        out.push_str("|---|---:|---:|---:|---|\n");
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }
}

fn escape(cell: &str) -> String {
    let cell = if cell.is_empty() { "—" } else { cell };
    cell.replace('|', "\\|")
}

/// The median (mean of the two middle values for an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort_unstable();
    match s.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2,
    }
}

/// The 90th percentile, nearest rank (the maximum for fewer than ten samples).
pub fn p90(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort_unstable();
    let rank = (s.len() * 9).div_ceil(10);
    s.get(rank.saturating_sub(1)).copied().unwrap_or_default()
}

pub fn ratio(ours: f64, baseline: f64) -> Option<f64> {
    (baseline > 0.0).then(|| ours / baseline)
}

pub fn dur_ratio(ours: Duration, baseline: Duration) -> Option<f64> {
    ratio(ours.as_secs_f64(), baseline.as_secs_f64())
}

/// "12.3 ms", or "4.56 s" from ten seconds up.
pub fn time(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 10_000.0 {
        format!("{:.2} s", ms / 1e3)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Bytes in MiB (or KiB when small), with the exact count for large values.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", n / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", n / 1024.0)
    }
}

pub fn kib(n: u64) -> String {
    bytes(n.saturating_mul(1024))
}

/// An integer with thousands separators.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    #[test]
    fn median_and_p90_use_the_middle_and_the_nearest_rank() {
        assert_eq!(median(&ms(&[5, 1, 3])), Duration::from_millis(3));
        assert_eq!(median(&ms(&[4, 1, 3, 2])), Duration::from_micros(2500));
        assert_eq!(p90(&ms(&[7, 1, 2, 3, 4, 5, 6])), Duration::from_millis(7));
        assert_eq!(
            p90(&ms(&(1..=20).collect::<Vec<_>>())),
            Duration::from_millis(18)
        );
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn counts_and_cells_format() {
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        let mut t = Table::new("t");
        t.row("a|b", "1", "", Some(2.0), "x");
        assert!(t.to_markdown().contains("| a\\|b | 1 | — | 2.00× | x |"));
    }
}
