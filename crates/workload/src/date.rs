//! Dates as the generator uses them: day numbers (days since 1970-01-01), over `chrono`'s
//! proleptic Gregorian calendar.

use chrono::{Datelike, NaiveDate};

/// Milliseconds per day.
pub const DAY_MS: i64 = 86_400_000;

/// The date `y-m-d`. Only ever called with constant, valid dates: an invalid one is a bug.
fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => panic!("{y}-{m}-{d} is not a date"),
    }
}

/// Day number of a civil date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    i64::from(date(y, m, d).to_epoch_days())
}

/// The date of a day number, if chrono can represent it (about ±262,000 years).
fn from_days(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_epoch_days(i32::try_from(day).ok()?)
}

/// The year of a day number (0 outside chrono's range, which the generator never reaches).
pub fn year_of(day: i64) -> i32 {
    from_days(day).map_or(0, |d| d.year())
}

/// `YYYY-MM-DD` (empty outside chrono's range, which the generator never reaches).
pub fn ymd(day: i64) -> String {
    from_days(day).map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

/// LinkedIn's `05 Oct 2020` form of a `YYYY-MM-DD` string; `None` if it is not a date.
pub fn linkedin_date(iso: &str) -> Option<String> {
    let date = NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()?;
    Some(date.format("%d %b %Y").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_and_the_forms_the_exports_use() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2010, 1, 1) * DAY_MS, 1_262_304_000_000);
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
        assert_eq!(year_of(days_from_civil(2024, 12, 31)), 2024);
        assert_eq!(year_of(days_from_civil(2025, 1, 1)), 2025);
        assert_eq!(ymd(days_from_civil(2020, 10, 5)), "2020-10-05");
        assert_eq!(linkedin_date("2020-10-05").as_deref(), Some("05 Oct 2020"));
        assert_eq!(linkedin_date("2020-09-30").as_deref(), Some("30 Sep 2020"));
        assert_eq!(linkedin_date("2020-13-05"), None);
        assert_eq!(linkedin_date("2021-02-29"), None);
    }
}
