//! Printing the tree back to text: the canonical compact form and a readable form.
//!
//! Canonical form (`Display` for [`Pattern`]): no spaces around operators, every operand of
//! `||` / `&&` in parentheses, a lone comparison without them, values quoted only when
//! needed. For the CIS shape this gives exactly
//! `{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||...}`.
//! `parse(print(tree)) == tree` holds for every tree the parser can produce (a property test
//! checks it).
//!
//! Readable form ([`Comparison::human`]): spaces around the operator and every string value
//! quoted, e.g. `$.userIdentity.type = "Root"`; used in verdict explanations.

use std::fmt::{self, Display, Formatter};

use super::ast::{Comparison, Expr, Pattern, Segment, Selector, Value};
use super::lex::{is_number_literal, is_plain_name};

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.expr)
    }
}

/// The body of a pattern, without the outer braces.
impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Cmp(c) => write!(f, "{c}"),
            Expr::Or(items) => write_operands(f, items, "||"),
            Expr::And(items) => write_operands(f, items, "&&"),
        }
    }
}

fn write_operands(f: &mut Formatter<'_>, items: &[Expr], joiner: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(joiner)?;
        }
        write!(f, "({item})")?;
    }
    Ok(())
}

/// Compact form: `$.eventName=PutUserPolicy`, `$.errorCode NOT EXISTS`.
impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.op.is_unary() {
            write!(f, "{} {}", self.selector, self.op.as_str())
        } else {
            write!(f, "{}{}{}", self.selector, self.op.as_str(), self.value)
        }
    }
}

impl Comparison {
    /// Readable form for explanations: `$.userIdentity.type = "Root"`, `$.latency > 50`,
    /// `$.errorCode NOT EXISTS`. String values are always quoted here.
    pub fn human(&self) -> String {
        if self.op.is_unary() {
            return format!("{} {}", self.selector, self.op.as_str());
        }
        let value = match &self.value {
            Value::String(s) => quote(s),
            other => other.to_string(),
        };
        format!("{} {} {}", self.selector, self.op.as_str(), value)
    }
}

impl Display for Selector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.segments {
            match segment {
                Segment::Field(name) if is_plain_name(name) => write!(f, ".{name}")?,
                Segment::Field(name) if !name.contains('\'') => write!(f, ".['{name}']")?,
                // A key holding both quote characters cannot be written; single quotes are
                // the documented form, so fall back to them.
                Segment::Field(name) if !name.contains('"') => write!(f, ".[\"{name}\"]")?,
                Segment::Field(name) => write!(f, ".['{name}']")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::AnyField => f.write_str(".*")?,
                Segment::AnyElement => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

/// Compact form of a value: bare when that reads back as the same value, else quoted.
impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) if can_be_bare(s) => f.write_str(s),
            Value::String(s) => f.write_str(&quote(s)),
            Value::Number(n) => f.write_str(n),
            Value::Regex(r) => write!(f, "%{r}%"),
            Value::None => Ok(()),
        }
    }
}

/// A string prints bare only when made of plain characters and not readable as a number.
fn can_be_bare(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.*:/@+-".contains(c))
        && !is_number_literal(s)
}

/// `"..."` with `\` and `"` escaped by a backslash.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::ast::Op;
    use super::super::parse::parse;
    use super::*;
    use proptest::prelude::*;

    // The 16 events come from the embedded control spec, never typed twice.
    use super::super::CIS_EVENTS as EVENTS;

    fn canonical_text() -> String {
        let body: Vec<String> = EVENTS
            .iter()
            .map(|e| format!("($.eventName={e})"))
            .collect();
        format!("{{{}}}", body.join("||"))
    }

    #[test]
    fn canonical_cis_text_round_trips() {
        let text = canonical_text();
        let parsed = parse(&text).expect("canonical parses");
        assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn spaced_forms_print_compact() {
        let p = parse(r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#)
            .expect("parses");
        assert_eq!(
            p.to_string(),
            "{($.userIdentity.type=Root)&&($.userIdentity.invokedBy NOT EXISTS)&&($.eventType!=AwsServiceEvent)}"
        );
        let p = parse("{ $.eventName = PutUserPolicy }").expect("parses");
        assert_eq!(p.to_string(), "{$.eventName=PutUserPolicy}");
    }

    #[test]
    fn quotes_only_when_needed() {
        let cases = [
            (r#"{$.a = "UpdateTrail"}"#, "{$.a=UpdateTrail}"),
            (
                r#"{$.a = "John.Doe@example.com"}"#,
                "{$.a=John.Doe@example.com}",
            ),
            (r#"{$.a = "two words"}"#, r#"{$.a="two words"}"#),
            (r#"{$.a = "400"}"#, r#"{$.a="400"}"#),
            ("{$.a = 400}", "{$.a=400}"),
            (r#"{$.a = ""}"#, r#"{$.a=""}"#),
            (r#"{$.a = "say \"hi\""}"#, r#"{$.a="say \"hi\""}"#),
            (
                "{$.sourceIPAddress != 123.123.*}",
                "{$.sourceIPAddress!=123.123.*}",
            ),
            ("{$.eventType = %Trail%}", "{$.eventType=%Trail%}"),
            ("{ $.['cluster.name'] = \"c\" }", "{$.['cluster.name']=c}"),
            ("{ $.arrayKey[*] = %val.{2}% }", "{$.arrayKey[*]=%val.{2}%}"),
            ("{ $.SomeObject IS NULL }", "{$.SomeObject IS NULL}"),
        ];
        for (input, want) in cases {
            let p = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(p.to_string(), want, "{input}");
        }
    }

    #[test]
    fn grouping_is_kept_where_it_matters() {
        // && binds tighter, so the parentheses here change the meaning and must survive.
        let p = parse("{ ($.a = 1 || $.b = 2) && $.c = 3 }").expect("parses");
        assert_eq!(p.to_string(), "{(($.a=1)||($.b=2))&&($.c=3)}");
        let p = parse("{ $.a = 1 || $.b = 2 && $.c = 3 }").expect("parses");
        assert_eq!(p.to_string(), "{($.a=1)||(($.b=2)&&($.c=3))}");
        // Redundant parentheses around single comparisons vanish.
        let p = parse("{ ((($.a = 1))) || ($.b = 2) }").expect("parses");
        assert_eq!(p.to_string(), "{($.a=1)||($.b=2)}");
    }

    #[test]
    fn human_form_quotes_strings() {
        let p =
            parse(r#"{$.userIdentity.type = "Root" && $.x > 5 && $.y = *Policy}"#).expect("parses");
        let human: Vec<String> = p.expr.leaves().iter().map(|c| c.human()).collect();
        assert_eq!(
            human,
            vec![
                r#"$.userIdentity.type = "Root""#,
                "$.x > 5",
                r#"$.y = "*Policy""#
            ]
        );
    }

    // ---- property test: parse(print(tree)) == tree ----

    fn arb_name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z][A-Za-z0-9_-]{0,8}",
            // needs bracket notation
            "[a-z]{1,4}\\.[a-z]{1,4}",
            "[a-z ]{1,6}x",
        ]
    }

    fn arb_selector() -> impl Strategy<Value = Selector> {
        (
            arb_name(),
            prop::collection::vec(
                prop_oneof![
                    arb_name().prop_map(Segment::Field),
                    (0u64..20).prop_map(Segment::Index),
                ],
                0..3,
            ),
            prop::option::weighted(
                0.15,
                prop_oneof![Just(Segment::AnyField), Just(Segment::AnyElement)],
            ),
        )
            .prop_map(|(first, mut rest, wild)| {
                let mut segments = vec![Segment::Field(first)];
                if let Some(w) = wild {
                    rest.push(w);
                }
                segments.extend(rest);
                Selector { segments }
            })
    }

    fn arb_number() -> impl Strategy<Value = String> {
        "[+-]?[0-9]{1,5}(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?"
    }

    fn arb_regex() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "Trail",
            "val.{2}",
            "^[hc]at",
            "colou?r",
            "a{3,5}",
            "gra|ey",
            "\\d{1,3}\\.\\d{1,3}",
            "ab[0-9]*",
            "^starting|^shutting down",
            "\\x3A",
        ])
        .prop_map(str::to_string)
    }

    fn arb_comparison() -> impl Strategy<Value = Comparison> {
        let string_value = prop_oneof![
            "[A-Za-z0-9_.*:/@+-]{0,10}",
            any::<String>(),
            "[a-z\"\\\\ ]{0,6}",
        ]
        .prop_map(Value::String);
        let eq_value = prop_oneof![
            4 => string_value,
            2 => arb_number().prop_map(Value::Number),
            1 => arb_regex().prop_map(Value::Regex),
        ];
        let eq_op = prop_oneof![Just(Op::Eq), Just(Op::Ne)];
        let rel_op = prop_oneof![Just(Op::Lt), Just(Op::Le), Just(Op::Gt), Just(Op::Ge)];
        let unary = prop_oneof![
            Just(Op::IsNull),
            Just(Op::IsTrue),
            Just(Op::IsFalse),
            Just(Op::NotExists)
        ];
        prop_oneof![
            (arb_selector(), eq_op, eq_value).prop_map(|(selector, op, value)| Comparison {
                selector,
                op,
                value
            }),
            (arb_selector(), rel_op, arb_number()).prop_map(|(selector, op, n)| Comparison {
                selector,
                op,
                value: Value::Number(n)
            }),
            (arb_selector(), unary).prop_map(|(selector, op)| Comparison {
                selector,
                op,
                value: Value::None
            }),
        ]
    }

    fn arb_expr() -> impl Strategy<Value = Expr> {
        arb_comparison()
            .prop_map(Expr::Cmp)
            .prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                    prop::collection::vec(inner, 2..4).prop_map(Expr::And),
                ]
            })
    }

    /// The documented quotas a printed tree must respect to parse back.
    fn within_quotas(e: &Expr) -> bool {
        let leaves = e.leaves();
        let regexes = leaves
            .iter()
            .filter(|c| matches!(c.value, Value::Regex(_)))
            .count();
        let wild = leaves.iter().filter(|c| c.selector.has_wildcard()).count();
        regexes <= 2 && wild <= 3
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn parse_print_round_trips(expr in arb_expr()) {
            let pattern = Pattern { expr };
            let text = pattern.to_string();
            let parsed = parse(&text);
            if text.chars().count() <= 1024 && within_quotas(&pattern.expr) {
                prop_assert_eq!(parsed, Ok(pattern.clone()), "text: {}", text);
            } else {
                prop_assert!(parsed.is_err(), "text: {}", text);
            }
        }

        #[test]
        fn printing_is_stable(expr in arb_expr()) {
            let text = Pattern { expr }.to_string();
            if let Ok(p) = parse(&text) {
                prop_assert_eq!(p.to_string(), text);
            }
        }
    }
}
