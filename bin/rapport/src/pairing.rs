//! The pairing window's timeout, as `pair --timeout` takes it. The window itself is
//! `rapport_node::pairing`.

use std::time::Duration;

/// Parses a duration as humantime writes it (`90s`, `5m`, `1h 30m`), or a bare number of
/// seconds, and keeps it within what a pairing window may last.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let parsed = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // humantime requires a unit; a bare number has always meant seconds here.
        s.parse::<u64>().map(Duration::from_secs).ok()
    } else {
        // humantime refuses what would overflow, so a huge number is never wrapped into a
        // short window.
        humantime::parse_duration(s).ok()
    };
    let timeout =
        parsed.ok_or_else(|| format!("`{s}` is not a duration: write it like 90s, 5m or 1h"))?;
    if timeout < Duration::from_secs(1) || timeout > Duration::from_secs(24 * 3600) {
        return Err("the pairing timeout must be between 1s and 24h".into());
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse() {
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_timeout("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_timeout("0s").is_err() && parse_timeout("5y").is_err());
        assert!(parse_timeout("soon").is_err() && parse_timeout("").is_err());
        // Would overflow u64 seconds: refused, not wrapped to a short window.
        assert!(parse_timeout("307445734561825861m").is_err());
        assert!(parse_timeout("99999999999999999999h").is_err());
    }
}
