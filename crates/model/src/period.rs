//! Calendar periods: a cadence ("every 90 days", "every 6 months"), a snooze ("14d") or a
//! window (`due --within 7d`). Kept in the unit the user gave, so that "every month" lands on
//! the same day of the month rather than drifting by 30-day steps.

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest period accepted: ten years. Longer is a typo, not a cadence.
pub const MAX_PERIOD_DAYS: u32 = 3_660;

/// A number of days, weeks, months or years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Days(u32),
    Weeks(u32),
    Months(u32),
    Years(u32),
}

impl Period {
    /// The length in days, months counted as 30 and years as 365: for comparing cadences
    /// ("the shortest wins") and for saying how overdue something is relative to its cadence.
    pub fn approx_days(self) -> u32 {
        match self {
            Period::Days(n) => n,
            Period::Weeks(n) => n * 7,
            Period::Months(n) => n * 30,
            Period::Years(n) => n * 365,
        }
    }

    /// `date` plus this period, in calendar terms (31 January plus a month is 28 or 29
    /// February). Saturates at the end of chrono's range instead of failing.
    pub fn after(self, date: NaiveDate) -> NaiveDate {
        let out = match self {
            Period::Days(n) => date.checked_add_days(Days::new(n.into())),
            Period::Weeks(n) => date.checked_add_days(Days::new(u64::from(n) * 7)),
            Period::Months(n) => date.checked_add_months(Months::new(n)),
            Period::Years(n) => date.checked_add_months(Months::new(n.saturating_mul(12))),
        };
        out.unwrap_or(NaiveDate::MAX)
    }

    /// "every 90 days", "every month": how `due` explains a cadence.
    pub fn every(self) -> String {
        let (n, unit) = self.parts();
        if n == 1 {
            format!("every {unit}")
        } else {
            format!("every {n} {unit}s")
        }
    }

    fn parts(self) -> (u32, &'static str) {
        match self {
            Period::Days(n) => (n, "day"),
            Period::Weeks(n) => (n, "week"),
            Period::Months(n) => (n, "month"),
            Period::Years(n) => (n, "year"),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Days(n) => write!(f, "{n}d"),
            Period::Weeks(n) => write!(f, "{n}w"),
            Period::Months(n) => write!(f, "{n}mo"),
            Period::Years(n) => write!(f, "{n}y"),
        }
    }
}

/// A period the user wrote that rapport will not use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a period: write a number and a unit, such as 14d, 2w, 6mo or 1y (at most 10 years)")]
pub struct ParsePeriodError(pub String);

impl FromStr for Period {
    type Err = ParsePeriodError;
    fn from_str(s: &str) -> Result<Self, ParsePeriodError> {
        let bad = || ParsePeriodError(s.to_owned());
        let t = s.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (num, unit) = t.split_at(split);
        let n: u32 = num.parse().map_err(|_| bad())?;
        let period = match unit.trim() {
            "d" | "day" | "days" => Period::Days(n),
            "w" | "week" | "weeks" => Period::Weeks(n),
            "mo" | "m" | "month" | "months" => Period::Months(n),
            "y" | "year" | "years" => Period::Years(n),
            _ => return Err(bad()),
        };
        if n == 0 || n > MAX_PERIOD_DAYS || period.approx_days() > MAX_PERIOD_DAYS {
            return Err(bad());
        }
        Ok(period)
    }
}

impl TryFrom<String> for Period {
    type Error = ParsePeriodError;
    fn try_from(s: String) -> Result<Self, ParsePeriodError> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_print_and_add_in_calendar_units() {
        assert_eq!("90d".parse(), Ok(Period::Days(90)));
        assert_eq!(" 6MO ".parse(), Ok(Period::Months(6)));
        assert_eq!("2 weeks".parse(), Ok(Period::Weeks(2)));
        assert_eq!("1y".parse(), Ok(Period::Years(1)));
        for bad in ["", "d", "0d", "12", "5x", "11y", "-3d", "99999999999d"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        for p in [
            Period::Days(3),
            Period::Weeks(2),
            Period::Months(6),
            Period::Years(1),
        ] {
            assert_eq!(p.to_string().parse(), Ok(p));
        }
        let jan31 = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            Period::Months(1).after(jan31),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert_eq!(Period::Days(90).every(), "every 90 days");
        assert_eq!(Period::Months(1).every(), "every month");
        assert!(Period::Weeks(2).approx_days() < Period::Months(1).approx_days());
    }
}
