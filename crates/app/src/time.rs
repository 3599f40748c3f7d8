//! The clock and date parsing live here, at the edge: the model is given `now`.

use crate::AppError;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Parses `--at`: `YYYY-MM-DD` (noon local time, so the day survives any time zone),
/// `YYYY-MM-DD HH:MM` in local time, or RFC 3339.
pub fn parse_at(input: &str) -> Result<i64, AppError> {
    let s = input.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.timestamp_millis());
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|dt| dt.timestamp_millis())
    };
    for fmt in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            if let Some(ms) = local(naive) {
                return Ok(ms);
            }
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(ms) = day.and_hms_opt(12, 0, 0).and_then(local) {
            return Ok(ms);
        }
    }
    Err(AppError::BadInput(format!(
        "`{input}` is not a valid time: write YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" or an RFC 3339 time"
    )))
}

/// Formats Unix milliseconds as an RFC 3339 UTC time, for JSON.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Formats Unix milliseconds as a local date and time, for people.
pub fn local(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Today in local time: what `due` and `snooze` count from.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}
