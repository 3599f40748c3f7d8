//! Just enough of a Rust lexer for the architecture rules: comments and literals must not count
//! as uses (`// sled 0.34 flushes...`, `"sled: {e}"`), and string literals are what a key
//! prefix is written as.

/// One token of code: an identifier, `::`, or a single punctuation character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub line: usize,
}

/// A string literal (plain, byte or raw), with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub text: String,
    pub line: usize,
}

/// A source file split into code tokens and string literals; comments are dropped.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub literals: Vec<Literal>,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub fn lex(source: &str) -> Lexed {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Lexed::default();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some((hashes, start)) = raw_string_start(&chars, i) {
            let (text, end, lines) = raw_string(&chars, start, hashes);
            out.literals.push(Literal { text, line });
            line += lines;
            i = end;
        } else if c == '"' || (c == 'b' && next == Some('"')) {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let (text, end, lines) = string(&chars, start);
            out.literals.push(Literal { text, line });
            line += lines;
            i = end;
        } else if c == '\'' || (c == 'b' && next == Some('\'')) {
            let start = if c == 'b' { i + 1 } else { i };
            i = char_literal_end(&chars, start).unwrap_or(start + 1);
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.tokens.push(Token { text, line });
        } else if c == ':' && next == Some(':') {
            out.tokens.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.tokens.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// If a raw string (`r"`, `r#"`, `br##"`) starts at `i`: its number of `#`s and the index of
/// its first character.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && is_ident(chars[i - 1]) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// A raw string's text, the index after it, and the newlines in it.
fn raw_string(chars: &[char], start: usize, hashes: usize) -> (String, usize, usize) {
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            let text: String = chars[start..i].iter().collect();
            let lines = text.matches('\n').count();
            return (text, i + 1 + hashes, lines);
        }
        i += 1;
    }
    let text: String = chars[start..].iter().collect();
    let lines = text.matches('\n').count();
    (text, chars.len(), lines)
}

/// A string's text (escapes kept as written), the index after it, and the newlines in it.
fn string(chars: &[char], start: usize) -> (String, usize, usize) {
    let mut i = start;
    let mut lines = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => break,
            '\n' => {
                lines += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    let end = i.min(chars.len());
    (chars[start..end].iter().collect(), end + 1, lines)
}

/// The index after a char literal starting at the `'` at `i`, or `None` if it is a lifetime.
fn char_literal_end(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i + 1)? {
        '\\' => {
            let mut j = i + 2;
            while j < chars.len() && chars[j] != '\'' && chars[j] != '\n' {
                j += 1;
            }
            Some(j + 1)
        }
        _ if chars.get(i + 2) == Some(&'\'') => Some(i + 3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(source: &str) -> Vec<String> {
        lex(source).tokens.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn comments_and_literals_are_not_code() {
        let source = "// sled::Db\n/* quinn:: /* nested */ tokio:: */ let s = \"sled::x\";\nlet c = '\"'; fn f<'a>(x: &'a str) {}\nlet r = r#\"tokio::\"#; let b = b\"view/\";";
        let tokens = idents(source);
        assert!(!tokens
            .iter()
            .any(|t| t == "sled" || t == "quinn" || t == "tokio"));
        assert!(tokens.contains(&"a".to_string()), "a lifetime is code");
        let lexed = lex(source);
        let literals: Vec<&str> = lexed.literals.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(literals, ["sled::x", "tokio::", "view/"]);
        assert_eq!(lexed.literals[0].line, 2);
        assert_eq!(lexed.literals[2].line, 4);
    }

    #[test]
    fn paths_keep_their_separators_and_lines() {
        let lexed = lex("use crate::{a, b::c};\n\nsuper::d::e();");
        let texts: Vec<&str> = lexed.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "use", "crate", "::", "{", "a", ",", "b", "::", "c", "}", ";", "super", "::", "d",
                "::", "e", "(", ")", ";"
            ]
        );
        assert_eq!(lexed.tokens.last().map(|t| t.line), Some(3));
    }
}
