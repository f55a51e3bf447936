//! Text folding for search: lowercase, strip Vietnamese diacritics, `đ` → `d`.
//!
//! SQLite's `LOWER()`/`LIKE` are ASCII-only, so every searchable name is stored with a
//! folded twin column computed here, and queries are folded the same way.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    // Collapse runs of whitespace so "dak  lak" finds "Đắk Lắk".
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đắk Lắk"), "dak lak");
        assert_eq!(fold("  Hệ thống  ĐIỀU KHIỂN "), "he thong dieu khien");
        assert_eq!(fold("Sở Tài chính"), "so tai chinh");
        assert_eq!(fold("Ứng cứu sự cố"), "ung cuu su co");
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
