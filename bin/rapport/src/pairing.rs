//! The pairing window's timeout, as `pair --timeout` takes it. The window itself is
//! `rapport_node::pairing`.

use std::time::Duration;

/// Parses `90s`, `5m`, `1h` or a bare number of seconds.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write it like 90s, 5m or 1h"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => {
            return Err(format!(
                "`{s}` is not a duration: write it like 90s, 5m or 1h"
            ))
        }
    };
    let secs = secs.unwrap_or(u64::MAX);
    if secs == 0 || secs > 24 * 3600 {
        return Err("the pairing timeout must be between 1s and 24h".into());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse() {
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_timeout("90"), Ok(Duration::from_secs(90)));
        assert!(parse_timeout("0s").is_err() && parse_timeout("5y").is_err());
        // Would overflow u64 seconds: refused, not wrapped to a short window.
        assert!(parse_timeout("307445734561825861m").is_err());
        assert!(parse_timeout("99999999999999999999h").is_err());
    }
}
