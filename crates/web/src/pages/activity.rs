//! A contact's interactions over time, for the card: one bar per month over the last two
//! years, drawn by the server as SVG (no script). The figure's label says in words what the
//! bars show, and each bar names its month and count, so nothing depends on seeing it.

use chrono::{DateTime, Datelike, Months, NaiveDate};
use maud::{html, Markup};
use rapport_app::model::Interaction;

/// How many months the chart covers, ending with the current one.
const MONTHS: u32 = 24;
const BAR: u32 = 14;
const HEIGHT: u32 = 48;

/// Interactions per month, oldest month first, and how many happened before the first month.
#[derive(Debug, PartialEq, Eq)]
pub struct Activity {
    pub months: Vec<(NaiveDate, usize)>,
    pub earlier: usize,
}

/// Buckets `timeline` by calendar month (UTC) over the `MONTHS` months that end with the month
/// of `now_ms`. Interactions dated after now (typed in the future) count in the last month.
pub fn activity(timeline: &[Interaction], now_ms: i64) -> Activity {
    let this_month = month_of(now_ms).unwrap_or_default();
    let first = this_month
        .checked_sub_months(Months::new(MONTHS - 1))
        .unwrap_or(this_month);
    let mut months: Vec<(NaiveDate, usize)> = (0..MONTHS)
        .filter_map(|i| first.checked_add_months(Months::new(i)))
        .map(|m| (m, 0))
        .collect();
    let mut earlier = 0;
    for i in timeline {
        let Some(m) = month_of(i.at) else { continue };
        if m < first {
            earlier += 1;
        } else if let Some(slot) = months.iter_mut().rev().find(|(start, _)| *start <= m) {
            slot.1 += 1;
        }
    }
    Activity { months, earlier }
}

fn month_of(ms: i64) -> Option<NaiveDate> {
    let d = DateTime::from_timestamp_millis(ms)?.date_naive();
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
}

fn month_name(m: NaiveDate) -> String {
    m.format("%b %Y").to_string()
}

/// The chart's summary sentence, also its accessible name.
pub fn summary(a: &Activity) -> String {
    let total: usize = a.months.iter().map(|(_, n)| n).sum();
    let (Some((first, _)), Some((last, _))) = (a.months.first(), a.months.last()) else {
        return String::new();
    };
    let mut s = format!(
        "Interactions per month, {} to {}: {total} in all",
        month_name(*first),
        month_name(*last)
    );
    if let Some((m, n)) = a
        .months
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
    {
        s.push_str(&format!(", most in {} ({n})", month_name(*m)));
    }
    if a.earlier > 0 {
        s.push_str(&format!("; {} earlier", a.earlier));
    }
    s
}

pub fn chart(timeline: &[Interaction], now_ms: i64) -> Markup {
    let a = activity(timeline, now_ms);
    let max = a.months.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let width = BAR * MONTHS;
    let label = summary(&a);
    html! {
        figure.activity {
            svg viewBox=(format!("0 0 {width} {}", HEIGHT + 2)) width=(width) height=(HEIGHT + 2)
                role="img" aria-label=(label) {
                @for (i, (month, n)) in a.months.iter().enumerate() {
                    @let h = (*n as u32 * HEIGHT).div_ceil(max as u32);
                    @let x = i as u32 * BAR;
                    g {
                        title { (format!("{}: {n}", month_name(*month))) }
                        // A hairline for an empty month, so the axis reads as time.
                        rect x=(x + 2) y=(HEIGHT - h.max(1) + 1) width=(BAR - 4) height=(h.max(1))
                            fill="currentColor" opacity=(if *n == 0 { "0.25" } else { "1" }) {}
                    }
                }
            }
            figcaption { (label) "." }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rapport_app::model::{ContactId, DeviceId, InteractionId, InteractionKind};

    fn at(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn note(ms: i64) -> Interaction {
        let mut rng = rand::thread_rng();
        Interaction {
            id: InteractionId::random(&mut rng),
            contacts: vec![ContactId::random(&mut rng)],
            at: ms,
            kind: InteractionKind::Note,
            text: String::new(),
            place: None,
            device: DeviceId::from_bytes([7; 32]),
        }
    }

    #[test]
    fn interactions_fall_in_their_month_and_older_ones_are_counted_apart() {
        let now = at(2026, 12, 6);
        let timeline = [
            note(at(2026, 12, 1)),
            note(at(2026, 12, 5)),
            note(at(2026, 5, 31)),
            note(at(2025, 1, 1)),
            note(at(2024, 12, 31)),
            note(at(2019, 3, 3)),
            note(at(2027, 2, 1)),
        ];
        let a = activity(&timeline, now);
        assert_eq!(a.months.len(), 24);
        assert_eq!(a.months[0].0, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        assert_eq!(a.months[0].1, 1, "Jan 2025");
        assert_eq!(a.months[16].1, 1, "May 2026");
        assert_eq!(a.months[23].1, 3, "Dec 2026, the future one included");
        assert_eq!(a.earlier, 2);
        let s = summary(&a);
        assert_eq!(
            s,
            "Interactions per month, Jan 2025 to Dec 2026: 5 in all, most in Dec 2026 (3); 2 earlier"
        );
    }

    #[test]
    fn the_chart_names_every_month_and_says_it_in_words() {
        let now = at(2026, 12, 6);
        let html = chart(&[note(at(2026, 11, 2))], now).into_string();
        assert!(html.contains("role=\"img\""), "{html}");
        assert!(html.contains("<title>Nov 2026: 1</title>"), "{html}");
        assert!(html.contains("<title>Jan 2025: 0</title>"), "{html}");
        assert!(html.contains("1 in all, most in Nov 2026 (1)"), "{html}");
        assert_eq!(html.matches("<rect").count(), 24);
    }
}
