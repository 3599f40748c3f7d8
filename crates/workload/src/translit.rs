//! ASCII folding for e-mail local parts, domains and URL slugs.

/// Lowercase ASCII replacement for each folded letter group.
const FOLD: &[(&str, &str)] = &[
    ("a", "àáâãäåāăąạảấầẩẫậắằẳẵặǎ"),
    ("c", "çćčĉċ"),
    ("d", "ďđð"),
    ("e", "èéêëēĕėęěẹẻẽếềểễệ"),
    ("g", "ğĝġģ"),
    ("i", "ìíîïĩīĭįıịỉ"),
    ("l", "łľĺļ"),
    ("n", "ñńňņ"),
    ("o", "òóôõöøōŏőơọỏốồổỗộớờởỡợ"),
    ("r", "řŕ"),
    ("s", "śšşŝș"),
    ("t", "ťţț"),
    ("u", "ùúûüũūŭůűųưụủứừửữự"),
    ("y", "ýÿŷỳỵỷỹ"),
    ("z", "źżž"),
    ("ss", "ß"),
    ("ae", "æ"),
    ("oe", "œ"),
    ("th", "þ"),
];

/// The ASCII spelling of one lowercase character: itself if ASCII, a folded form if known,
/// otherwise nothing (combining marks and unknown scripts are dropped).
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for (ascii, group) in FOLD {
        if group.contains(c) {
            out.push_str(ascii);
            return;
        }
    }
}

/// Lowercase ASCII transliteration of `s` ("Łukasz Nguyễn" → "lukasz nguyen").
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        fold_char(c, &mut out);
    }
    out
}

/// Folded `s` keeping only `[a-z0-9]`, with runs of anything else turned into one `sep`
/// (`None`: dropped). Never starts or ends with `sep`.
pub fn slug(s: &str, sep: Option<char>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending = false;
    for c in fold(s).chars() {
        if c.is_ascii_alphanumeric() {
            if pending && !out.is_empty() {
                if let Some(sep) = sep {
                    out.push(sep);
                }
            }
            pending = false;
            out.push(c);
        } else {
            pending = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accented_names_to_ascii() {
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("Łukasz"), "lukasz");
        assert_eq!(fold("Nguyễn"), "nguyen");
        assert_eq!(fold("Ólafsdóttir"), "olafsdottir");
        assert_eq!(fold("Þóra Groß"), "thora gross");
        assert_eq!(slug("O'Brien", None), "obrien");
        assert_eq!(slug("van der Berg", Some('-')), "van-der-berg");
        assert_eq!(slug("  Harlow, Finch & Co. ", Some('-')), "harlow-finch-co");
    }
}
