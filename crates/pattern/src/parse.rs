//! Parsing pattern text into the tree, with errors that say where and what.
//!
//! Grammar (CloudWatch Logs "Filter pattern syntax", JSON section; whitespace is allowed
//! between any two tokens, never inside one):
//!
//! ```text
//! pattern    = "{" or "}"                       (at most 1024 characters in all)
//! or         = and { "||" and }
//! and        = primary { "&&" primary }         (&& binds tighter than ||)
//! primary    = "(" or ")" | comparison
//! comparison = selector ( ("=" | "!=") value
//!                       | ("<" | "<=" | ">" | ">=") number
//!                       | "IS" ("NULL" | "TRUE" | "FALSE")
//!                       | "NOT" "EXISTS" )
//! selector   = "$" { "." name | ".*" | "[" digits "]" | "[*]" | ["."] "['" key "']" }
//! value      = "\"" chars "\"" | "%" regex "%" | bare word (no spaces, no ( ) { } " % & | = ! < >)
//! ```
//!
//! Names are letters, digits, `-` and `_`. A bare word that reads as a number
//! (`-1.5`, `1e+3`) is a number; otherwise it is a string, as is every quoted value. In a
//! quoted string `\"` and `\\` stand for `"` and `\`. Keywords are accepted in any case.
//!
//! Documented quotas enforced as errors: 1024 characters, at most 2 regexes per pattern,
//! one wildcard per selector, 3 wildcard selectors per pattern. Documented as unsupported
//! and so rejected: `EXISTS` alone and `IS NOT`. Our own limit: 100 nested parentheses.

use std::fmt::{self, Display, Formatter};

use super::ast::{Comparison, Expr, Op, Pattern, Segment, Selector, Value};
use super::lex::{is_name_char, is_number_literal};
use super::regex::Regex;

/// The CloudWatch Logs limit on a filter pattern's length, in characters.
pub const MAX_PATTERN_CHARS: usize = 1024;
/// Documented quota: regular expressions in one JSON filter pattern.
pub(crate) const MAX_REGEXES: usize = 2;
/// Documented quota: selectors with a wildcard in one filter pattern.
pub(crate) const MAX_WILDCARD_SELECTORS: usize = 3;
/// Our own limit on nested parentheses (keeps recursion shallow).
pub(crate) const MAX_NESTING: usize = 100;

/// Why a pattern did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Zero-based character (not byte) offset of the problem in the text.
    pub position: usize,
    /// What the parser wanted there, in words.
    pub expected: String,
    /// What it found, ready to print: the offending text in double quotes, or a description
    /// such as `the end of the pattern`.
    pub found: String,
}

/// `at character 13: expected ..., found "me"`. The character number is one-based
/// (`position + 1`), as people count.
impl Display for ParseError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at character {}: expected {}, found {}",
            self.position + 1,
            self.expected,
            self.found
        )
    }
}

impl std::error::Error for ParseError {}

/// Characters of the pattern shown on each side of the caret in [`ParseError::snippet`].
const SNIPPET_CONTEXT: usize = 30;

impl ParseError {
    /// The pattern with a caret under the problem, as compilers show a source error:
    ///
    /// ```text
    /// {$.eventName = = X}
    ///                ^ expected a value after `=`: ..., found "="
    /// ```
    ///
    /// A long pattern is cut to the characters around the position (`…` marks each cut), and
    /// tabs and line breaks show as spaces so the caret stays under its character.
    pub fn snippet(&self, text: &str) -> String {
        let chars: Vec<char> = text
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        let at = self.position.min(chars.len());
        let start = at.saturating_sub(SNIPPET_CONTEXT);
        let end = (at + SNIPPET_CONTEXT).min(chars.len());
        let mut line = String::new();
        let mut caret = 0;
        if start > 0 {
            line.push('…');
            caret += 1;
        }
        line.extend(&chars[start..end]);
        caret += at - start;
        if end < chars.len() {
            line.push('…');
        }
        format!(
            "{line}\n{}^ expected {}, found {}",
            " ".repeat(caret),
            self.expected,
            self.found
        )
    }
}

/// Parses a JSON filter pattern such as `{ ($.eventName = PutUserPolicy) || ... }`.
///
/// Never panics, whatever the input.
pub fn parse(text: &str) -> Result<Pattern, ParseError> {
    let count = text.chars().count();
    if count > MAX_PATTERN_CHARS {
        return Err(ParseError {
            position: MAX_PATTERN_CHARS,
            expected: format!(
                "a pattern of at most {MAX_PATTERN_CHARS} characters (the CloudWatch Logs limit)"
            ),
            found: format!("{count} characters"),
        });
    }
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
        regexes: 0,
        wildcards: 0,
        last_bare: None,
    };
    p.pattern()
}

/// Characters that end a bare word.
fn is_structural(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | '{' | '}' | '"' | '%' | '&' | '|' | '=' | '!' | '<' | '>'
    )
}

const CONNECTIVE: &str = "`&&`, `||`";
const COMPARISON_OPS: &str =
    "a comparison operator (=, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE or NOT EXISTS)";

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    regexes: usize,
    wildcards: usize,
    /// End offset and text of the last bare value, for the "cannot contain spaces" hint.
    last_bare: Option<(usize, String)>,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(self.pos + i) == Some(c))
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The token at `at`, ready for [`ParseError::found`].
    fn found_at(&self, at: usize) -> String {
        let Some(c) = self.peek_at(at) else {
            return "the end of the pattern".into();
        };
        let two: String = self.chars.iter().skip(at).take(2).collect();
        let text: String = if ["&&", "||", "!=", "<=", ">="].contains(&two.as_str()) {
            two
        } else if c == '"' {
            let mut s = String::from('"');
            for &d in self.chars.iter().skip(at + 1).take(40) {
                s.push(d);
                if d == '"' {
                    break;
                }
            }
            s
        } else if is_structural(c) || c.is_whitespace() {
            c.to_string()
        } else {
            self.chars
                .iter()
                .skip(at)
                .take_while(|&&d| !d.is_whitespace() && !is_structural(d) && (c == '$' || d != ']'))
                .take(40)
                .collect()
        };
        format!("{text:?}")
    }

    fn error<T>(&self, at: usize, expected: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            position: at,
            expected: expected.into(),
            found: self.found_at(at),
        })
    }

    /// Text after a value or selector that ends at `end`, separated from it by whitespace
    /// and starting like a word: the mark of a line-wrapped copy (`PutRolePolic y`).
    fn word_after_space(&self, end: usize) -> bool {
        self.pos > end
            && (end..self.pos).all(|i| self.peek_at(i).is_some_and(char::is_whitespace))
            && self
                .peek()
                .is_some_and(|c| !c.is_whitespace() && !is_structural(c))
    }

    fn pattern(&mut self) -> Result<Pattern, ParseError> {
        self.skip_ws();
        if self.peek() != Some('{') {
            return self.error(
                self.pos,
                "`{` (a JSON filter pattern is wrapped in braces, like { $.eventName = PutUserPolicy })",
            );
        }
        self.pos += 1;
        let expr = self.or()?;
        self.skip_ws();
        if self.peek() != Some('}') {
            return self.error(
                self.pos,
                self.after_term(&format!("{CONNECTIVE} or the closing `}}`")),
            );
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek().is_some() {
            return self.error(self.pos, "the end of the pattern after the closing `}`");
        }
        Ok(Pattern { expr })
    }

    /// The "expected" text after a complete comparison, with a hint when a bare value was
    /// followed by more text after a space.
    fn after_term(&self, wanted: &str) -> String {
        match &self.last_bare {
            Some((end, text)) if self.word_after_space(*end) => format!(
                "{wanted} after the value {text} (a value without quotes cannot contain spaces; \
                 was it broken by a line wrap?)"
            ),
            _ => wanted.to_string(),
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        loop {
            self.skip_ws();
            if !self.starts_with("||") {
                break;
            }
            self.pos += 2;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.primary()?];
        loop {
            self.skip_ws();
            if !self.starts_with("&&") {
                break;
            }
            self.pos += 2;
            items.push(self.primary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        match self.peek() {
            Some('(') => {
                if self.depth >= MAX_NESTING {
                    return self.error(
                        self.pos,
                        format!("at most {MAX_NESTING} nested parentheses"),
                    );
                }
                self.depth += 1;
                self.pos += 1;
                let inner = self.or()?;
                self.skip_ws();
                if self.peek() != Some(')') {
                    return self.error(self.pos, self.after_term(&format!("{CONNECTIVE} or `)`")));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(inner)
            }
            Some('$') => self.comparison().map(Expr::Cmp),
            _ => self.error(
                self.pos,
                "a comparison such as $.eventName = PutUserPolicy, or `(`",
            ),
        }
    }

    fn comparison(&mut self) -> Result<Comparison, ParseError> {
        let start = self.pos;
        let selector = self.selector()?;
        let selector_end = self.pos;
        if selector.has_wildcard() {
            self.wildcards += 1;
            if self.wildcards > MAX_WILDCARD_SELECTORS {
                return self.error(
                    start,
                    format!(
                        "at most {MAX_WILDCARD_SELECTORS} selectors with a wildcard in one pattern"
                    ),
                );
            }
        }
        self.skip_ws();
        let op = match self.peek() {
            Some('!') if self.starts_with("!=") => {
                self.pos += 2;
                Op::Ne
            }
            Some('<') if self.starts_with("<=") => {
                self.pos += 2;
                Op::Le
            }
            Some('>') if self.starts_with(">=") => {
                self.pos += 2;
                Op::Ge
            }
            Some('<') => {
                self.pos += 1;
                Op::Lt
            }
            Some('>') => {
                self.pos += 1;
                Op::Gt
            }
            Some('=') => {
                self.pos += 1;
                Op::Eq
            }
            _ => self.keyword_op(&selector, selector_end)?,
        };
        let value = if op.is_unary() {
            Value::None
        } else if op.is_relational() {
            self.number_value(op)?
        } else {
            self.value(op)?
        };
        Ok(Comparison {
            selector,
            op,
            value,
        })
    }

    /// `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, at a word after the selector.
    fn keyword_op(&mut self, selector: &Selector, selector_end: usize) -> Result<Op, ParseError> {
        let at = self.pos;
        let word = self.word();
        match word.to_ascii_uppercase().as_str() {
            "IS" => {
                self.skip_ws();
                let second_at = self.pos;
                let second = self.word();
                match second.to_ascii_uppercase().as_str() {
                    "NULL" => Ok(Op::IsNull),
                    "TRUE" => Ok(Op::IsTrue),
                    "FALSE" => Ok(Op::IsFalse),
                    "NOT" => self.error(
                        second_at,
                        "NULL, TRUE or FALSE after IS (`IS NOT` is documented as unsupported)",
                    ),
                    _ => self.error(second_at, "NULL, TRUE or FALSE after IS"),
                }
            }
            "NOT" => {
                self.skip_ws();
                let second_at = self.pos;
                let second = self.word();
                if second.eq_ignore_ascii_case("EXISTS") {
                    Ok(Op::NotExists)
                } else {
                    self.error(second_at, "EXISTS after NOT")
                }
            }
            "EXISTS" => self.error(
                at,
                format!("{COMPARISON_OPS}; `EXISTS` alone is documented as unsupported"),
            ),
            _ => {
                self.pos = at;
                let hint = if self.word_after_space(selector_end) {
                    format!(
                        " after {selector} (a property selector cannot contain spaces; \
                         was it broken by a line wrap?)"
                    )
                } else {
                    format!(" after {selector}")
                };
                self.error(at, format!("{COMPARISON_OPS}{hint}"))
            }
        }
    }

    /// The value after `=` or `!=`.
    fn value(&mut self, op: Op) -> Result<Value, ParseError> {
        self.skip_ws();
        let at = self.pos;
        match self.peek() {
            Some('"') => self.quoted().map(Value::String),
            Some('%') => self.regex(),
            Some(c) if !c.is_whitespace() && !is_structural(c) => {
                let word = self.word();
                self.last_bare = Some((self.pos, word.clone()));
                Ok(if is_number_literal(&word) {
                    Value::Number(word)
                } else {
                    Value::String(word)
                })
            }
            _ => self.error(
                at,
                format!(
                    "a value after `{}`: a word, a \"quoted string\", a number or a %regex%",
                    op.as_str()
                ),
            ),
        }
    }

    fn number_value(&mut self, op: Op) -> Result<Value, ParseError> {
        self.skip_ws();
        let at = self.pos;
        let word = self.word();
        if is_number_literal(&word) {
            self.last_bare = Some((self.pos, word.clone()));
            Ok(Value::Number(word))
        } else {
            self.pos = at;
            self.error(at, format!("a number after `{}`", op.as_str()))
        }
    }

    /// A run of characters up to whitespace or a structural character (may be empty).
    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !c.is_whitespace() && !is_structural(c))
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `"..."`, at the opening quote.
    fn quoted(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(ParseError {
                        position: open,
                        expected: "a closing `\"` for the string that starts here".into(),
                        found: "the end of the pattern".into(),
                    })
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') if matches!(self.peek_at(self.pos + 1), Some('"' | '\\')) => {
                    if let Some(c) = self.peek_at(self.pos + 1) {
                        out.push(c);
                    }
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `%...%`, at the opening percent sign.
    fn regex(&mut self) -> Result<Value, ParseError> {
        let open = self.pos;
        let Some(len) = self.chars[open + 1..].iter().position(|&c| c == '%') else {
            return Err(ParseError {
                position: open,
                expected: "a closing `%` for the regular expression that starts here".into(),
                found: "the end of the pattern".into(),
            });
        };
        self.regexes += 1;
        if self.regexes > MAX_REGEXES {
            return self.error(
                open,
                format!("at most {MAX_REGEXES} regular expressions in one JSON filter pattern"),
            );
        }
        let body: String = self.chars[open + 1..open + 1 + len].iter().collect();
        if let Err(e) = Regex::new(&body) {
            return self.error(open + 1 + e.offset, e.message);
        }
        self.pos = open + len + 2;
        Ok(Value::Regex(body))
    }

    /// `$...`, at the dollar sign.
    fn selector(&mut self) -> Result<Selector, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    let dot = self.pos;
                    self.pos += 1;
                    match self.peek() {
                        Some('*') => {
                            self.pos += 1;
                            segments.push(Segment::AnyField);
                        }
                        Some('[') => segments.push(self.bracket()?),
                        Some(c) if is_name_char(c) => {
                            let name_start = self.pos;
                            while self.peek().is_some_and(is_name_char) {
                                self.pos += 1;
                            }
                            let name = self.chars[name_start..self.pos].iter().collect();
                            segments.push(Segment::Field(name));
                        }
                        _ => {
                            return self.error(
                                dot + 1,
                                "a property name after `.` (letters, digits, `-`, `_`; or ['key'] for other characters)",
                            )
                        }
                    }
                }
                Some('[') => segments.push(self.bracket()?),
                _ => break,
            }
        }
        if segments.is_empty() {
            return self.error(
                start + 1,
                "`.` and a property name after `$`, as in $.eventName",
            );
        }
        let wild = segments
            .iter()
            .filter(|s| matches!(s, Segment::AnyField | Segment::AnyElement))
            .count();
        if wild > 1 {
            return self.error(start, "at most one wildcard (`*`) in a property selector");
        }
        Ok(Selector { segments })
    }

    /// `[n]`, `[*]`, `['key']` or `["key"]`, at the opening bracket.
    fn bracket(&mut self) -> Result<Segment, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let segment = match self.peek() {
            Some('*') => {
                self.pos += 1;
                Segment::AnyElement
            }
            Some(q @ ('\'' | '"')) => {
                let key_start = self.pos + 1;
                let Some(len) = self.chars[key_start..].iter().position(|&c| c == q) else {
                    return self.error(open, "a closing quote and `]` for this key");
                };
                if len == 0 {
                    return self.error(key_start, "a property name inside the brackets");
                }
                self.pos = key_start + len + 1;
                Segment::Field(self.chars[key_start..key_start + len].iter().collect())
            }
            Some(c) if c.is_ascii_digit() => {
                let digits_start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[digits_start..self.pos].iter().collect();
                match digits.parse::<u64>() {
                    Ok(n) => Segment::Index(n),
                    Err(_) => {
                        return self.error(digits_start, "an array index that fits in 64 bits")
                    }
                }
            }
            _ => return self.error(self.pos, "an array index, `*` or a quoted key inside `[ ]`"),
        };
        if self.peek() != Some(']') {
            return self.error(self.pos, "`]`");
        }
        self.pos += 1;
        Ok(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(text: &str) -> Pattern {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> ParseError {
        match parse(text) {
            Ok(p) => panic!("{text} parsed as {p:?}"),
            Err(e) => e,
        }
    }

    fn field(name: &str) -> Segment {
        Segment::Field(name.into())
    }

    fn cmp(segments: Vec<Segment>, op: Op, value: Value) -> Expr {
        Expr::Cmp(Comparison {
            selector: Selector { segments },
            op,
            value,
        })
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    /// Every JSON example of the AWS "filter pattern syntax" page parses to the tree it means.
    #[test]
    fn documented_examples_parse() {
        let cases: Vec<(&str, Expr)> = vec![
            (
                r#"{ $.eventType = "UpdateTrail" }"#,
                cmp(vec![field("eventType")], Op::Eq, s("UpdateTrail")),
            ),
            (
                "{ $.sourceIPAddress != 123.123.* }",
                cmp(vec![field("sourceIPAddress")], Op::Ne, s("123.123.*")),
            ),
            (
                r#"{ $.arrayKey[0] = "value" }"#,
                cmp(
                    vec![field("arrayKey"), Segment::Index(0)],
                    Op::Eq,
                    s("value"),
                ),
            ),
            (
                "{ $.objectList[1].id = 2 }",
                cmp(
                    vec![field("objectList"), Segment::Index(1), field("id")],
                    Op::Eq,
                    Value::Number("2".into()),
                ),
            ),
            (
                "{ $.eventType = %Trail% }",
                cmp(
                    vec![field("eventType")],
                    Op::Eq,
                    Value::Regex("Trail".into()),
                ),
            ),
            (
                "{ $.arrayKey[*] = %val.{2}% }",
                cmp(
                    vec![field("arrayKey"), Segment::AnyElement],
                    Op::Eq,
                    Value::Regex("val.{2}".into()),
                ),
            ),
            (
                r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }",
                cmp(
                    vec![Segment::AnyField],
                    Op::Eq,
                    Value::Regex(r"111\.111\.111\.1[0-9]{1,2}".into()),
                ),
            ),
            (
                r#"{ $.['cluster.name'] = "c" }"#,
                cmp(vec![field("cluster.name")], Op::Eq, s("c")),
            ),
            (
                "{ $.SomeObject IS NULL }",
                cmp(vec![field("SomeObject")], Op::IsNull, Value::None),
            ),
            (
                "{ $.SomeOtherObject NOT EXISTS }",
                cmp(vec![field("SomeOtherObject")], Op::NotExists, Value::None),
            ),
            (
                "{ $.bandwidth > 75 }",
                cmp(vec![field("bandwidth")], Op::Gt, Value::Number("75".into())),
            ),
            (
                "{ $.latency < 50 }",
                cmp(vec![field("latency")], Op::Lt, Value::Number("50".into())),
            ),
            (
                "{ $.refreshRate >= 60 }",
                cmp(
                    vec![field("refreshRate")],
                    Op::Ge,
                    Value::Number("60".into()),
                ),
            ),
            (
                "{ $.responseTime <= 5 }",
                cmp(
                    vec![field("responseTime")],
                    Op::Le,
                    Value::Number("5".into()),
                ),
            ),
            (
                "{ $.errorCode = 400}",
                cmp(
                    vec![field("errorCode")],
                    Op::Eq,
                    Value::Number("400".into()),
                ),
            ),
            (
                "{ $.errorCode != 500 }",
                cmp(
                    vec![field("errorCode")],
                    Op::Ne,
                    Value::Number("500".into()),
                ),
            ),
            (
                "{ $.number[0] = 1e+3 }",
                cmp(
                    vec![field("number"), Segment::Index(0)],
                    Op::Eq,
                    Value::Number("1e+3".into()),
                ),
            ),
            (
                "{ $.number[0] != 1e-3 }",
                cmp(
                    vec![field("number"), Segment::Index(0)],
                    Op::Ne,
                    Value::Number("1e-3".into()),
                ),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ok(text).expr, want, "{text}");
        }
    }

    #[test]
    fn documented_compound_examples_group_as_documented() {
        let a = cmp(
            vec![field("user"), field("id")],
            Op::Eq,
            Value::Number("1".into()),
        );
        let b = cmp(
            vec![field("users"), Segment::Index(0), field("email")],
            Op::Eq,
            s("John.Doe@example.com"),
        );
        assert_eq!(
            ok(r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#).expr,
            Expr::And(vec![a, b])
        );
        let email = cmp(
            vec![field("user"), field("email")],
            Op::Eq,
            s("John.Stiles@example.com"),
        );
        let coord = cmp(
            vec![field("coordinates"), Segment::Index(0), Segment::Index(1)],
            Op::Eq,
            s("nonmatch"),
        );
        let action = cmp(
            vec![field("actions"), Segment::Index(2)],
            Op::Eq,
            s("nonmatch"),
        );
        // () > && > ||
        assert_eq!(
            ok(r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }"#).expr,
            Expr::Or(vec![email.clone(), Expr::And(vec![coord.clone(), action.clone()])])
        );
        assert_eq!(
            ok(r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }"#).expr,
            Expr::And(vec![Expr::Or(vec![email, coord]), action])
        );
    }

    #[test]
    fn cis_patterns_parse() {
        for text in [
            r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#,
            r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
            "{($.eventSource=kms.amazonaws.com)&&(($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}",
            "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)}",
            "{\n  ($.eventName = DeleteGroupPolicy) ||\n  ($.eventName = DeleteRolePolicy)\n}",
        ] {
            ok(text);
        }
    }

    #[test]
    fn keywords_in_any_case() {
        assert_eq!(ok("{$.a is null}"), ok("{$.a IS NULL}"));
        assert_eq!(ok("{$.a Not Exists}"), ok("{$.a NOT EXISTS}"));
        assert_eq!(ok("{$.a IS TRUE}").expr.leaves()[0].op, Op::IsTrue);
        assert_eq!(ok("{$.a IS FALSE}").expr.leaves()[0].op, Op::IsFalse);
    }

    #[test]
    fn pdf_line_wrap_breakage_is_an_error_with_its_position() {
        let e = err("{($.eventName=DeleteGroupPolicy)||($.eventNa me=DeleteRolePolicy)}");
        assert_eq!(e.position, 45);
        assert_eq!(e.found, "\"me\"");
        assert!(e.expected.contains("after $.eventNa"), "{}", e.expected);
        assert!(
            e.expected.contains("cannot contain spaces"),
            "{}",
            e.expected
        );
        assert!(e
            .to_string()
            .starts_with("at character 46: expected a comparison operator"));

        let e = err("{($.eventName=PutRolePolic y)||($.eventName=PutUserPolicy)}");
        assert_eq!(e.position, 27);
        assert_eq!(e.found, "\"y\"");
        assert!(
            e.expected.contains("after the value PutRolePolic"),
            "{}",
            e.expected
        );
        assert!(
            e.expected.contains("cannot contain spaces"),
            "{}",
            e.expected
        );
    }

    #[test]
    fn errors_say_where_and_what() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "the end of the pattern"),
            ("{}", 1, "\"}\""),
            ("{ }", 2, "\"}\""),
            ("$.a = 1", 0, "\"$.a\""),
            ("{$.a = 1", 8, "the end of the pattern"),
            ("{$.a = 1} x", 10, "\"x\""),
            ("{$.a EXISTS}", 5, "\"EXISTS\""),
            ("{$.a IS NOT NULL}", 8, "\"NOT\""),
            ("{$.a IS MAYBE}", 8, "\"MAYBE\""),
            ("{$.a NOT THERE}", 9, "\"THERE\""),
            ("{$.a > abc}", 7, "\"abc\""),
            ("{$.a = }", 7, "\"}\""),
            ("{$.a == 1}", 6, "\"=\""),
            ("{$ = 1}", 2, "\" \""),
            ("{$. a = 1}", 3, "\" \""),
            ("{$.a[x] = 1}", 5, "\"x\""),
            ("{$.a[0 = 1}", 6, "\" \""),
            ("{$.a = \"open}", 7, "the end of the pattern"),
            ("{$.a = %open}", 7, "the end of the pattern"),
            ("{$.a = %a(b)%}", 9, "\"(\""),
            ("{$.a = %%}", 8, "\"%\""),
            ("{$.a = 1 & $.b = 2}", 9, "\"&\""),
            ("{($.a = 1}", 9, "\"}\""),
            ("{$.a = 1)}", 8, "\")\""),
            ("{$.*.b[*] = 1}", 1, "\"$.*.b[*]\""),
            ("{$.a = %x% || $.b = %y% || $.c = %z%}", 33, "\"%\""),
            ("{$.*=1||$.*=2||$.*=3||$.*=4}", 22, "\"$.*\""),
            (
                "{$.a[99999999999999999999] = 1}",
                5,
                "\"99999999999999999999\"",
            ),
            ("{$.[''] = 1}", 5, "\"'\""),
        ];
        for &(text, position, found) in cases {
            let e = err(text);
            assert_eq!(
                (e.position, e.found.as_str()),
                (position, found),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn length_limit_counts_characters() {
        let value = "a".repeat(1024 - "{$.a=}".len());
        let text = format!("{{$.a={value}}}");
        assert_eq!(text.chars().count(), 1024);
        ok(&text);
        let text = format!("{{$.a={value}b}}");
        let e = err(&text);
        assert_eq!(e.position, 1024);
        assert_eq!(e.found, "1025 characters");
        // Multi-byte characters count once each.
        let value = "é".repeat(1024 - "{$.a=\"\"}".len());
        ok(&format!("{{$.a=\"{value}\"}}"));
    }

    #[test]
    fn snippets_put_a_caret_under_the_problem() {
        let text = "{$.eventName = = X}";
        let e = err(text);
        assert_eq!(
            e.snippet(text),
            "{$.eventName = = X}\n               ^ expected a value after `=`: a word, a \"quoted string\", a number or a %regex%, found \"=\""
        );
        // Cut around the position in a long pattern; line breaks show as spaces.
        let long = format!("{{\n{}$.a = = 1}}", "($.x = 1) && ".repeat(10));
        let e = err(&long);
        let s = e.snippet(&long);
        let (line, caret) = s.split_once('\n').expect("two lines");
        assert!(line.starts_with('…') && !line.contains('\n'), "{s}");
        let col = caret.find('^').expect("a caret");
        assert_eq!(line.chars().nth(col), Some('='), "{s}");
        assert_eq!(line.chars().count(), 35, "{s}");
        // At the end of the text the caret sits just after the last character.
        let e = err("{$.a = ");
        assert_eq!(
            e.snippet("{$.a = ").lines().nth(1).unwrap().find('^'),
            Some(7)
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{{{}$.a=1{}}}", "(".repeat(100), ")".repeat(100));
        ok(&deep);
        let deeper = format!("{{{}$.a=1{}}}", "(".repeat(101), ")".repeat(101));
        assert_eq!(err(&deeper).position, 101);
    }

    #[test]
    fn quoted_escapes() {
        let p = ok(r#"{$.a = "say \"hi\" \\ \n"}"#);
        assert_eq!(p.expr.leaves()[0].value, s("say \"hi\" \\ \\n"));
    }

    #[test]
    fn error_is_a_std_error() {
        let e: Box<dyn std::error::Error> = Box::new(err("{}"));
        assert!(e
            .to_string()
            .starts_with("at character 2: expected a comparison"));
    }

    fn token() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "{",
            "}",
            "(",
            ")",
            "&&",
            "||",
            "&",
            "|",
            "=",
            "!=",
            "!",
            "<",
            "<=",
            ">",
            ">=",
            "$",
            "$.",
            "$.eventName",
            "$.a.b",
            "$.a[0]",
            "$.[",
            "[",
            "]",
            "[*]",
            ".*",
            "['k']",
            "['",
            "IS",
            "NULL",
            "TRUE",
            "FALSE",
            "NOT",
            "EXISTS",
            "\"",
            "\"x\"",
            "\"\\",
            "%",
            "%a%",
            "%(%",
            "%a{2,1}%",
            "*",
            "*Policy",
            "1e+3",
            "-",
            " ",
            "\n",
            "é",
            "\u{0}",
            "PutUserPolicy",
            "%[",
            "%\\x",
            "9999999999999999999999",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_on_any_string(text in any::<String>()) {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_token_soup(tokens in prop::collection::vec(token(), 0..40)) {
            let text: String = tokens.concat();
            let _ = parse(&text);
            let braced = format!("{{{text}}}");
            if let Err(e) = parse(&braced) {
                prop_assert!(e.position <= braced.chars().count());
            }
        }

        #[test]
        fn errors_point_inside_the_text(text in "[{}()$.a-z=!<>&|\"% *\\[\\]0-9]{0,30}") {
            if let Err(e) = parse(&text) {
                prop_assert!(e.position <= text.chars().count());
                prop_assert!(!e.expected.is_empty());
            }
        }
    }
}
