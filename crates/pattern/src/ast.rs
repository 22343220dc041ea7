//! The syntax tree of a CloudWatch Logs JSON filter pattern (`{ $.eventName = X || ... }`).
//!
//! Only plain data lives here: [`super::parse`] builds it, `print.rs` turns it back into
//! canonical text, `eval.rs` evaluates it. The tree keeps the grouping the user wrote where
//! it matters: a parenthesised `||` (or `&&`) inside another `||` (or `&&`) stays a nested
//! node, while an unparenthesised chain `a || b || c` is one node with three operands.

use serde::Serialize;

/// A whole JSON filter pattern: the expression between the outer `{` and `}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Pattern {
    /// The expression inside the braces.
    pub expr: Expr,
}

/// A boolean expression over comparisons.
///
/// The parser never builds an `Or` or `And` with fewer than two operands; code that builds
/// trees by hand may (an empty `Or` is false and an empty `And` is true when evaluated).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Expr {
    /// `a || b || ...`
    Or(Vec<Expr>),
    /// `a && b && ...` (binds tighter than `||`).
    And(Vec<Expr>),
    /// One comparison such as `$.eventName = PutUserPolicy`.
    Cmp(Comparison),
}

/// `selector op value`, e.g. `$.eventName = "PutUserPolicy"` or `$.errorCode NOT EXISTS`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Comparison {
    /// The property the comparison reads (`$.userIdentity.type`).
    pub selector: Selector,
    /// The operator.
    pub op: Op,
    /// The right-hand side; [`Value::None`] for the unary operators (`IS NULL`, `NOT EXISTS`, ...).
    pub value: Value,
}

/// A property selector: `$` followed by segments (`$.a.b[0]`, `$.['cluster.name']`, `$.*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Selector {
    /// The segments after `$`, outermost first. Never empty in a parsed pattern.
    pub segments: Vec<Segment>,
}

/// One step of a [`Selector`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// `.name`, or `.['name.with.dots']` in bracket notation.
    Field(String),
    /// `[n]`: the n-th array element (zero-based).
    Index(u64),
    /// `.*`: any object field (also any array element).
    AnyField,
    /// `[*]`: any array element (also any object field).
    AnyElement,
}

/// The comparison operators CloudWatch Logs documents for JSON patterns.
///
/// `EXISTS` alone and `IS NOT` are documented as unsupported, so they have no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `IS NULL`
    IsNull,
    /// `IS TRUE`
    IsTrue,
    /// `IS FALSE`
    IsFalse,
    /// `NOT EXISTS`
    NotExists,
}

impl Op {
    /// The operator as written in a pattern (`=`, `IS NULL`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::IsNull => "IS NULL",
            Op::IsTrue => "IS TRUE",
            Op::IsFalse => "IS FALSE",
            Op::NotExists => "NOT EXISTS",
        }
    }

    /// True for the operators that take no value (`IS ...`, `NOT EXISTS`).
    pub fn is_unary(self) -> bool {
        matches!(self, Op::IsNull | Op::IsTrue | Op::IsFalse | Op::NotExists)
    }

    /// True for `<`, `<=`, `>`, `>=` (which take a number only).
    pub fn is_relational(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub enum Value {
    /// A string, quoted or bare. `*` in it is a wildcard matching any run of characters
    /// (CloudWatch has no documented escape for a literal `*`).
    String(String),
    /// A bare number literal, kept as written (`400`, `-1.5`, `1e+3`).
    Number(String),
    /// A regular expression written `%...%`; the text between the percent signs.
    Regex(String),
    /// No value: the operator is unary.
    None,
}

impl Selector {
    /// The selector as a path without the leading `$.`: `eventName`, `userIdentity.type`,
    /// `a[0].b`. This is the key [`super::Known`] uses.
    pub fn path(&self) -> String {
        let full = self.to_string();
        match full.strip_prefix("$.") {
            Some(rest) => rest.to_string(),
            None => full.strip_prefix('$').unwrap_or(&full).to_string(),
        }
    }

    /// True when a segment is `.*` or `[*]`.
    pub fn has_wildcard(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::AnyField | Segment::AnyElement))
    }
}

impl Expr {
    /// The comparisons of this expression, left to right.
    pub fn leaves(&self) -> Vec<&Comparison> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, out: &mut Vec<&'a Comparison>) {
        match self {
            Expr::Or(items) | Expr::And(items) => {
                for item in items {
                    item.collect_leaves(out);
                }
            }
            Expr::Cmp(c) => out.push(c),
        }
    }

    /// A comparison `$.<path> = value` for a plain dotted path, as used by the canonical
    /// patterns (`eventName`, `eventSource`).
    pub fn field_equals(path: &str, value: &str) -> Expr {
        Expr::Cmp(Comparison {
            selector: Selector {
                segments: path
                    .split('.')
                    .map(|name| Segment::Field(name.to_string()))
                    .collect(),
            },
            op: Op::Eq,
            value: Value::String(value.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_drops_the_dollar_and_dot() {
        let s = Selector {
            segments: vec![
                Segment::Field("userIdentity".into()),
                Segment::Field("type".into()),
                Segment::Index(0),
            ],
        };
        assert_eq!(s.path(), "userIdentity.type[0]");
        assert!(!s.has_wildcard());
    }

    #[test]
    fn leaves_are_left_to_right() {
        let e = Expr::Or(vec![
            Expr::field_equals("eventName", "A"),
            Expr::And(vec![
                Expr::field_equals("eventName", "B"),
                Expr::field_equals("eventSource", "C"),
            ]),
        ]);
        let names: Vec<String> = e.leaves().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            names,
            vec!["$.eventName=A", "$.eventName=B", "$.eventSource=C"]
        );
    }

    #[test]
    fn serializes_as_tagged_data() {
        let p = Pattern {
            expr: Expr::field_equals("eventName", "A"),
        };
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(json["cmp"]["op"], "eq");
        assert_eq!(json["cmp"]["value"]["kind"], "string");
        assert_eq!(json["cmp"]["selector"]["segments"][0]["field"], "eventName");
    }
}
