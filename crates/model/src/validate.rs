//! Checks and normal forms for user-supplied values. Each error is one sentence that says what
//! to do, because these messages go straight to the user.

use chrono::NaiveDate;

/// A value the user typed that the vault will not store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidValue {
    #[error("`{0}` is not a valid email address: write it as name@example.org")]
    Email(String),
    #[error(
        "`{0}` is not a valid phone number: use digits, spaces, dashes and an optional leading +"
    )]
    Phone(String),
    #[error(
        "`{0}` is not a valid link: write a full URL such as https://www.linkedin.com/in/someone"
    )]
    Link(String),
    #[error("`{0}` is not a relay URL: give an https:// URL with a host, such as https://relay.example.org")]
    RelayUrl(String),
    #[error("`{0}` is not a valid date: write it as YYYY-MM-DD, for example 2024-05-17")]
    Date(String),
    #[error("`{0}` is not a valid tag: tags are one word, without spaces or commas")]
    Tag(String),
    #[error("the {0} must not be empty: give it some text, or use --clear to remove it")]
    Empty(&'static str),
    #[error("a contact must keep a name: give a new one with --name instead of clearing it")]
    NameRequired,
    #[error("a contact cannot have introduced themselves: name the person who introduced you")]
    SelfIntroduction,
    #[error("the {field} is {len} bytes long, over the limit of {max}: shorten it")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
}

/// Limits on one value. They keep a single record far below the sync frame limit and keep
/// every list command fast; a real note is a few hundred bytes.
pub const MAX_SHORT_TEXT: usize = 1_024;
pub const MAX_LONG_TEXT: usize = 64 * 1_024;

/// Normalises an email address: trimmed, domain lowercased (the local part is case-sensitive by
/// the RFC, but we lowercase it too because every real provider treats it so and duplicates
/// that differ only by case are a common import artefact).
pub fn email(input: &str) -> Result<String, InvalidValue> {
    let trimmed = input.trim();
    let parsed: email_address::EmailAddress = trimmed
        .parse()
        .map_err(|_| InvalidValue::Email(input.to_owned()))?;
    // email_address accepts `a@b`; a contact book wants a routable-looking domain.
    if !parsed.domain().contains('.') || trimmed.len() > 254 {
        return Err(InvalidValue::Email(input.to_owned()));
    }
    Ok(parsed.as_str().to_lowercase())
}

/// Normalises a phone number to `+digits` or `digits`, so that `+44 20 7946 0123` and
/// `+44-20-7946-0123` are one set member.
pub fn phone(input: &str) -> Result<String, InvalidValue> {
    let trimmed = input.trim();
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return Err(InvalidValue::Phone(input.to_owned())),
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(3..=20).contains(&digits) {
        return Err(InvalidValue::Phone(input.to_owned()));
    }
    Ok(out)
}

/// Checks a link: an absolute http(s) URL with a host and no whitespace.
pub fn link(input: &str) -> Result<String, InvalidValue> {
    let trimmed = input.trim();
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let ok = match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            host.contains('.')
                && !trimmed.chars().any(char::is_whitespace)
                && trimmed.len() <= 2_048
        }
        None => false,
    };
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(InvalidValue::Link(input.to_owned()))
    }
}

/// Parses a calendar date written as `YYYY-MM-DD`.
pub fn date(input: &str) -> Result<NaiveDate, InvalidValue> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d")
        .map_err(|_| InvalidValue::Date(input.to_owned()))
}

/// Normalises a tag: trimmed and lowercased; one word.
pub fn tag(input: &str) -> Result<String, InvalidValue> {
    let t = input.trim().to_lowercase();
    if t.is_empty() || t.len() > 64 || t.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(InvalidValue::Tag(input.to_owned()));
    }
    Ok(t)
}

/// Checks free text: not empty when it is a name, and within a length limit.
pub fn text(field: &'static str, input: &str, max: usize) -> Result<String, InvalidValue> {
    let t = input.trim();
    if t.is_empty() {
        return Err(InvalidValue::Empty(field));
    }
    if t.len() > max {
        return Err(InvalidValue::TooLong {
            field,
            len: t.len(),
            max,
        });
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_normalised() {
        assert_eq!(
            email(" Jeanne@Example.ORG ").as_deref(),
            Ok("jeanne@example.org")
        );
        assert!(email("jeanne").is_err());
        assert!(email("jeanne@localhost").is_err());
        assert!(email("a b@example.org").is_err());
    }

    #[test]
    fn phones_collapse_punctuation() {
        assert_eq!(phone("+44 (20) 7946-0123").as_deref(), Ok("+442079460123"));
        assert!(phone("call me").is_err());
        assert!(phone("12").is_err());
        assert!(phone("4+4").is_err());
    }

    #[test]
    fn links_need_scheme_and_host() {
        assert!(link("https://www.linkedin.com/in/x").is_ok());
        assert!(link("www.linkedin.com/in/x").is_err());
        assert!(link("https://localhost").is_err());
        assert!(link("https://a.b/c d").is_err());
    }

    #[test]
    fn dates_and_tags() {
        assert!(date("2024-02-29").is_ok());
        assert!(date("2023-02-29").is_err());
        assert!(date("17/05/2024").is_err());
        assert_eq!(tag(" VIP ").as_deref(), Ok("vip"));
        assert!(tag("two words").is_err());
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", "abcdefghijk", 10).is_err());
    }
}
