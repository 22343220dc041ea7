//! The lexical predicates of the filter-pattern language, shared by the parser and the printer:
//! which characters make a property name, which texts read as numbers.

/// A property name that can follow `.` without bracket notation.
pub(crate) fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char)
}

/// Characters the docs allow in a property name: alphanumerics, `-` and `_`.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// True when `s` is a number literal: `[+-]digits[.digits][(e|E)[+-]digits]`.
pub(crate) fn is_number_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if !digits(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_words() {
        for n in ["0", "-1", "+2.5", "1e3", "1E-3", "12.34e+10"] {
            assert!(is_number_literal(n), "{n}");
        }
        for w in [
            "",
            "-",
            "1.",
            ".5",
            "1e",
            "1.2.3",
            "123.123.*",
            "0x10",
            "inf",
            "1e+",
        ] {
            assert!(!is_number_literal(w), "{w}");
        }
    }

    #[test]
    fn names() {
        assert!(is_plain_name("event-Name_2"));
        assert!(!is_plain_name(""));
        assert!(!is_plain_name("a.b"));
        assert!(!is_name_char(' '));
    }
}
