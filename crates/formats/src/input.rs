//! Reading an input as text, bounded, with a clear error for what is not UTF-8 text.

use crate::ImportError;
use std::io::Read;

/// Reads all of `reader` as UTF-8 text, refusing more than `max_bytes`, UTF-16, binary data
/// (a NUL byte) and invalid UTF-8, each with the line where it is. A UTF-8 byte order mark is
/// dropped.
pub fn read_text(reader: impl Read, max_bytes: u64) -> Result<String, ImportError> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ImportError::TooLarge { max: max_bytes });
    }
    check_text(&bytes)?;
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    bytes.drain(..start);
    String::from_utf8(bytes).map_err(|e| ImportError::Encoding {
        line: line_at(e.as_bytes(), e.utf8_error().valid_up_to()),
    })
}

/// The checks of `read_text` on bytes already in memory.
pub(crate) fn check_text(bytes: &[u8]) -> Result<(), ImportError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ImportError::Utf16);
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(ImportError::Binary {
            line: line_at(bytes, at),
        });
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ImportError::Encoding {
            line: line_at(bytes, e.valid_up_to()),
        });
    }
    Ok(())
}

/// The 1-based line of byte offset `at`.
pub(crate) fn line_at(bytes: &[u8], at: usize) -> u64 {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_utf8_text_naming_the_line() {
        assert!(matches!(
            read_text(&b"a\nb\n\xE9t\xE9\n"[..], 100),
            Err(ImportError::Encoding { line: 3 })
        ));
        assert!(matches!(
            read_text(&b"ok\n\x00\x01"[..], 100),
            Err(ImportError::Binary { line: 2 })
        ));
        assert!(matches!(
            read_text(&b"\xFF\xFEa\x00"[..], 100),
            Err(ImportError::Utf16)
        ));
        assert!(matches!(
            read_text(&[b'a'; 101][..], 100),
            Err(ImportError::TooLarge { max: 100 })
        ));
        assert_eq!(read_text(&b"\xEF\xBB\xBFhi"[..], 100).unwrap(), "hi");
    }
}
