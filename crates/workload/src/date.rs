//! Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01).

use crate::words::MONTH_ABBR;

/// Milliseconds per day.
pub const DAY_MS: i64 = 86_400_000;

/// Day number of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day number (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // The ranges make these casts lossless: 1 <= d <= 31, 1 <= m <= 12, |y| is small.
    (y as i32, m as u32, d as u32)
}

/// `YYYY-MM-DD`.
pub fn ymd(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// LinkedIn's `05 Oct 2020` form of a `YYYY-MM-DD` string; `None` if it does not parse.
pub fn linkedin_date(iso: &str) -> Option<String> {
    let mut parts = iso.split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: usize = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let mon = MONTH_ABBR.get(m.checked_sub(1)?)?;
    Some(format!("{d:02} {mon} {y:04}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_through_civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2010, 1, 1) * DAY_MS, 1_262_304_000_000);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        for day in days_from_civil(2004, 1, 1)..days_from_civil(2027, 1, 1) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(ymd(days_from_civil(2020, 10, 5)), "2020-10-05");
        assert_eq!(linkedin_date("2020-10-05").as_deref(), Some("05 Oct 2020"));
        assert_eq!(linkedin_date("2020-13-05"), None);
    }
}
