//! The regular-expression subset CloudWatch Logs documents for `%...%` filter values: checked
//! against the documented subset, parsed by `regex-syntax` and matched by `regex-automata`
//! (both well-kept crates of the `regex` project, already in the dependency tree).
//!
//! Supported, as documented ("Supported regular expressions (regex) syntax"): literal
//! alphanumerics and the symbols `: _ # = @ / ; , -` (and the space, which a documented
//! example uses); `^` `$` anchors; `.`; character classes `[abc]`, `[a-z]`, `[^...]`;
//! quantifiers `?` `*` `+` `{m,n}` (`{m}`, `{m,}`, `{,n}`, spaces allowed inside); `|`
//! alternation of whole branches; escapes `\d \D \s \S \w \W \xhh` and `\` before a symbol
//! for that symbol literally. Rejected, as documented: `(` and `)` (no sub-patterns), other
//! symbols such as `!`, and multi-byte characters; and what the docs do not list: word
//! boundaries and other escapes of letters (`\b`, `\A`, `\pL`), POSIX classes (`[[:alpha:]]`),
//! nested classes and class set operations (`[a&&b]`).
//!
//! A regex matches when it matches anywhere in the value (`%Trail%` matches `UpdateTrail`),
//! case-sensitively, with `.` matching any character. `\d \s \w` are ASCII classes. Matching
//! is by finite automata: time linear in the subject, never exponential backtracking.
//!
//! Limits (not documented by AWS; ours): counted repetition at most 1000, and the compiled
//! automaton at most 256 KiB; a regex past them is rejected as too large. Every rejection names a
//! character offset inside the regex.

use regex_automata::meta;
use regex_syntax::ast::{self, Ast, ClassSet, ClassSetItem, RepetitionKind, RepetitionRange};

/// Largest `m` or `n` accepted in `{m,n}`.
const MAX_REPEAT: u32 = 1000;
/// Largest compiled automaton accepted, in bytes.
const MAX_NFA_BYTES: usize = 256 * 1024;

/// Why a regex was rejected: the char offset inside the regex text, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegexError {
    /// Char offset of the problem, counted from the first character after the opening `%`.
    pub offset: usize,
    /// What was expected or why the character is refused.
    pub message: String,
}

/// A compiled regex.
#[derive(Debug, Clone)]
pub(crate) struct Regex {
    inner: meta::Regex,
}

impl Regex {
    /// Checks `text` (the part between the `%` signs) against the documented subset and
    /// compiles it.
    pub(crate) fn new(text: &str) -> Result<Regex, RegexError> {
        let err = |offset: usize, message: &str| {
            Err(RegexError {
                offset,
                message: message.into(),
            })
        };
        if text.is_empty() {
            return err(0, "a regular expression between the % signs");
        }
        for (i, c) in text.chars().enumerate() {
            if !is_allowed_char(c) {
                let why = match c {
                    '(' | ')' => "parentheses are not supported in CloudWatch regex (no sub-patterns)",
                    _ if !c.is_ascii() => "multi-byte characters are not supported in CloudWatch regex",
                    _ => "a character CloudWatch regex supports (letters, digits, : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \\ * + .); use \\xhh for others",
                };
                return err(i, why);
            }
        }
        // All ASCII from here: byte offsets are char offsets.
        let (normal, origin) = normalize(text);
        let back = |offset: usize| origin.get(offset).copied().unwrap_or(text.len());
        let tree = ast::parse::ParserBuilder::new()
            .nest_limit(100)
            .build()
            .parse(&normal)
            .map_err(|e| RegexError {
                offset: back(e.span().start.offset),
                message: e.kind().to_string(),
            })?;
        check(&tree).map_err(|(offset, message)| RegexError {
            offset: back(offset),
            message,
        })?;
        let inner = meta::Builder::new()
            .configure(meta::Config::new().nfa_size_limit(Some(MAX_NFA_BYTES)))
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .dot_matches_new_line(true),
            )
            .build(&normal)
            .map_err(|_| RegexError {
                offset: 0,
                message: format!(
                    "a smaller regular expression (the compiled automaton may take at most {MAX_NFA_BYTES} bytes)"
                ),
            })?;
        Ok(Regex { inner })
    }

    /// True when the regex matches somewhere in `subject`.
    pub(crate) fn is_match(&self, subject: &str) -> bool {
        self.inner.is_match(subject.as_bytes())
    }
}

fn is_allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":_#=@/;,- ^$?[]{}|\\*+.".contains(c)
}

/// CloudWatch's counted repetitions in the form `regex-syntax` reads: spaces inside `{...}`
/// dropped, `{,n}` as `{0,n}`. Returns the text and, for each of its bytes, the offset in the
/// original (so errors point at what the user wrote).
fn normalize(text: &str) -> (String, Vec<usize>) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c == '\\' && i + 1 < bytes.len() {
            out.push(c);
            out.push(bytes[i + 1] as char);
            origin.extend([i, i + 1]);
            i += 2;
            continue;
        }
        if c == '{' {
            if let Some(len) = text[i..].find('}') {
                let inner = &text[i + 1..i + len];
                if inner
                    .chars()
                    .all(|x| x.is_ascii_digit() || x == ',' || x == ' ')
                {
                    out.push('{');
                    origin.push(i);
                    let mut first = true;
                    for (k, x) in inner.char_indices() {
                        if x == ' ' {
                            continue;
                        }
                        if first && x == ',' {
                            out.push('0');
                            origin.push(i + 1 + k);
                        }
                        first = false;
                        out.push(x);
                        origin.push(i + 1 + k);
                    }
                    out.push('}');
                    origin.push(i + len);
                    i += len + 1;
                    continue;
                }
            }
        }
        out.push(c);
        origin.push(i);
        i += 1;
    }
    (out, origin)
}

/// Reject what the documented subset leaves out; `Err((offset, why))`.
fn check(tree: &Ast) -> Result<(), (usize, String)> {
    let at = |span: &ast::Span, why: &str| Err((span.start.offset, why.to_string()));
    match tree {
        Ast::Empty(_) | Ast::Dot(_) | Ast::ClassPerl(_) => Ok(()),
        Ast::Literal(l) => match l.kind {
            ast::LiteralKind::Verbatim
            | ast::LiteralKind::Meta
            | ast::LiteralKind::Superfluous
            | ast::LiteralKind::HexFixed(ast::HexLiteralKind::X) => Ok(()),
            _ => at(&l.span, "an escape CloudWatch regex supports (\\d \\D \\s \\S \\w \\W \\xhh, or \\ before a symbol)"),
        },
        Ast::Assertion(a) => match a.kind {
            ast::AssertionKind::StartLine | ast::AssertionKind::EndLine => Ok(()),
            _ => at(&a.span, "an assertion CloudWatch regex supports (only ^ and $)"),
        },
        Ast::ClassUnicode(c) => at(&c.span, "a class CloudWatch regex supports (\\p classes are not)"),
        Ast::ClassBracketed(c) => check_class(&c.kind),
        Ast::Repetition(r) => {
            if let RepetitionKind::Range(range) = &r.op.kind {
                let (m, n) = match *range {
                    RepetitionRange::Exactly(m) => (m, m),
                    RepetitionRange::AtLeast(m) => (m, m),
                    RepetitionRange::Bounded(m, n) => (m, n),
                };
                if m.max(n) > MAX_REPEAT {
                    return at(
                        &r.op.span,
                        &format!("a count of at most {MAX_REPEAT} in {{m,n}}"),
                    );
                }
            }
            if !r.greedy {
                return at(&r.op.span, "a greedy quantifier (lazy quantifiers such as *? are not supported)");
            }
            if matches!(*r.ast, Ast::Repetition(_)) {
                return at(&r.op.span, "one quantifier per item (a quantifier of a quantifier is not supported)");
            }
            check(&r.ast)
        }
        Ast::Group(g) => at(&g.span, "parentheses are not supported in CloudWatch regex (no sub-patterns)"),
        Ast::Flags(f) => at(&f.span, "flags are not supported in CloudWatch regex"),
        Ast::Alternation(a) => {
            // An empty branch (`Policy|`) would match every value.
            if let Some(empty) = a.asts.iter().find(|b| matches!(b, Ast::Empty(_))) {
                return at(empty.span(), "something on each side of | (an empty alternative matches everything)");
            }
            a.asts.iter().try_for_each(check)
        }
        Ast::Concat(c) => c.asts.iter().try_for_each(check),
    }
}

fn check_class(set: &ClassSet) -> Result<(), (usize, String)> {
    match set {
        ClassSet::BinaryOp(op) => Err((
            op.span.start.offset,
            "a plain character class (class set operations are not supported)".into(),
        )),
        ClassSet::Item(item) => check_item(item),
    }
}

fn check_item(item: &ClassSetItem) -> Result<(), (usize, String)> {
    let at = |span: &ast::Span, why: &str| Err((span.start.offset, why.to_string()));
    match item {
        ClassSetItem::Empty(_) | ClassSetItem::Range(_) | ClassSetItem::Perl(_) => Ok(()),
        ClassSetItem::Literal(l) => check(&Ast::Literal(Box::new(l.clone()))),
        ClassSetItem::Ascii(a) => at(
            &a.span,
            "a plain character class ([:name:] classes are not supported)",
        ),
        ClassSetItem::Unicode(u) => at(
            &u.span,
            "a class CloudWatch regex supports (\\p classes are not)",
        ),
        ClassSetItem::Bracketed(b) => at(
            &b.span,
            "a plain character class (nested classes are not supported)",
        ),
        ClassSetItem::Union(u) => u.items.iter().try_for_each(check_item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, s: &str) -> bool {
        Regex::new(re)
            .unwrap_or_else(|e| panic!("{re}: {e:?}"))
            .is_match(s)
    }

    #[test]
    fn documented_operator_examples() {
        // Each line is an example from the docs' "Usage of supported operators".
        assert!(m("^[hc]at", "hat") && m("^[hc]at", "cat is here"));
        assert!(!m("^[hc]at", "a hat"));
        assert!(m("[hc]at$", "a hat") && !m("[hc]at$", "hats"));
        assert!(m("colou?r", "color") && m("colou?r", "colour"));
        assert!(m("[abc]", "xbx") && !m("[abc]", "xyz"));
        assert!(m("[a-z]", "Q1q") && !m("[a-z]", "Q1"));
        assert!(m("[abcx-z]", "y") && !m("[abcx-z]", "w"));
        assert!(m("^a{3,5}$", "aaa") && m("^a{3,5}$", "aaaaa"));
        assert!(!m("^a{3,5}$", "aa") && !m("^a{3,5}$", "aaaaaa"));
        assert!(m("gra|ey", "gra") && m("gra|ey", "grey"));
        assert!(m(
            "^starting|^initializing|^shutting down",
            "shutting down now"
        ));
        assert!(!m(
            "^starting|^initializing|^shutting down",
            "skipping initializing"
        ));
        assert!(m("abcc|ab[^c]$", "abcc x") && m("abcc|ab[^c]$", "aba"));
        assert!(!m("abcc|ab[^c]$", "aac"));
        assert!(m("\\[.\\]", "[a]") && m("\\[.\\]", "[ ]") && !m("\\[.\\]", "[]"));
        assert!(m("10\\.10\\.0\\.1", "10.10.0.1") && !m("10\\.10\\.0\\.1", "10010,051"));
        assert!(m("10.10.0.1", "10010,051"));
        assert!(m("ab*c", "ac") && m("ab*c", "abc") && m("ab*c", "abbbc"));
        assert!(m("ab[0-9]*", "ab") && m("ab[0-9]*", "ab129"));
        assert!(m("ab+c", "abbc") && !m("ab+c", "ac"));
        assert!(m(".at", "hat") && m(".at", " at") && m(".at", "#at"));
        assert!(m("\\d", "a1") && !m("\\d", "ab") && m("\\D", "1a") && !m("\\D", "12"));
        assert!(m("\\s", "a b") && m("\\s", "a\tb") && !m("\\s", "ab") && m("\\S", " a "));
        assert!(m("\\w", "-_-") && !m("\\w", "-.-") && m("\\W", "a-b") && !m("\\W", "ab_9"));
        assert!(m("\\x3A", "a:b") && m("\\x28", "f(x)") && !m("\\x3A", "ab"));
        assert!(m("AUTHORIZED", "[ERROR 401] UNAUTHORIZED REQUEST"));
        assert!(m("AUTHORIZED", "[SUCCESS 200] AUTHORIZED REQUEST"));
        assert!(m(
            "\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}",
            "ip 10.0.0.1 x"
        ));
        assert!(m("[Ee]rror|[Ff]ail", "an error") && m("[Ee]rror|[Ff]ail", "Fail"));
    }

    #[test]
    fn open_ended_counts() {
        assert!(m("^a{2,}$", "aaaa") && !m("^a{2,}$", "a"));
        assert!(m("^a{,2}b", "aab") && !m("^a{,2}b$", "aaab"));
        assert!(m("^a{2}$", "aa") && !m("^a{2}$", "aaa"));
        assert!(m("^a{2, 3}$", "aaa"));
    }

    #[test]
    fn rejects_what_the_docs_reject() {
        for (re, at) in [
            ("something!", 9),
            ("(ab)", 0),
            ("ab)", 2),
            ("caf\u{e9}", 3),
            ("*a", 0),
            ("a**", 2),
            ("a{5,3}", 1),
            ("[abc", 0),
            // `]` right after `[` is a literal, so the class is unclosed from the `[`.
            ("[]", 0),
            ("a{x}", 2),
            // The escape is cut short at the end of the regex.
            ("\\x4", 3),
            ("a{2000}", 1),
            ("", 0),
            ("Policy|", 7),
            ("a*?", 1),
        ] {
            let err = Regex::new(re)
                .err()
                .unwrap_or_else(|| panic!("{re} accepted"));
            assert_eq!(err.offset, at, "{re}: {err:?}");
        }
    }

    #[test]
    fn huge_programs_are_refused_not_built() {
        assert!(Regex::new("a{1000}b{1000}c{1000}d{1000}e{1000}f{1000}g{1000}h{1000}i{1000}j{1000}k{1000}l{1000}m{1000}n{1000}o{1000}p{1000}q{1000}r{1000}s{1000}t{1000}u{1000}").is_err());
    }

    #[test]
    fn no_exponential_blowup() {
        let re = Regex::new("a*a*a*a*a*a*a*a*a*a*a*a*b").unwrap_or_else(|e| panic!("{e:?}"));
        let subject = "a".repeat(5000);
        let t = std::time::Instant::now();
        assert!(!re.is_match(&subject));
        assert!(t.elapsed().as_secs() < 5);
    }
}
