//! Judging a metric filter pattern against the events a control requires (CIS 4.4: the 16
//! IAM policy events), two ways: strictly (is it the canonical text?) and by meaning.
//!
//! Rules, in order:
//! 1. `Exact`: the text is [`canonical_pattern`] of the required events, whitespace between
//!    tokens aside ([`same_text_ignoring_whitespace`]). Security Hub CloudWatch.4 passes it.
//! 2. `Unparseable`: it does not parse; `detail` carries the error and its position.
//! 3. For each required event N, the pattern is evaluated in Kleene logic knowing only
//!    `eventName = N` and `eventSource = <event_source>`. `True`: covered. `False`: N is in
//!    `missing_events`. `Unknown`: it depends on other fields; every comparison that is
//!    `Unknown` and helps carry the result (see below) goes to `narrowing_terms` as
//!    `N: narrowed by <term>`. Any missing or narrowed event makes the verdict `Narrower`.
//! 4. Probes: the control's look-alikes from its spec (for CIS 4.4: `GetPolicy`,
//!    `ListPolicies`, `CreatePolicyVersionX`, `GetRolePolicy`, `ListAttachedRolePolicies`,
//!    Auto Scaling `DeletePolicy`, sign-in `ConsoleLogin`), an unlisted `SomeOtherEvent` from `event_source` (catches `!=`), one
//!    probe per name the pattern itself compares `$.eventName` with by `=` that is not
//!    required (`*` read as `X`, source unknown; at most 64), any event from `event_source`
//!    with the name unknown, and any event with nothing known. A probe is an extra match
//!    when the pattern's result on it ranks above the canonical pattern's
//!    (`False` < `Unknown` < `True`), e.g. `Unknown` or `True` where the canonical is
//!    `False`; the terms carrying the result are named. Extra matches make the verdict
//!    `Broader` (unless already `Narrower`; they are listed either way).
//! 5. Otherwise `Equivalent`: same events, different text, which Security Hub still fails.
//!
//! "Carries the result": for `||`, the operands whose truth equals the result; for `&&`,
//! all operands. So in `(eventName = N && $.u = 1) || (eventName = M && $.v = 2)` for event
//! N only `$.u = 1` is named: the second branch is false and cannot matter.
//!
//! The canonical pattern has no `eventSource` term, so it matches Auto Scaling's
//! `DeletePolicy` too; a pattern that adds `$.eventSource = iam.amazonaws.com` is therefore
//! not broader, and (the source being known for the required events) not narrower either.
//!
//! Known limits: comparisons are treated as independent, so a tautology such as
//! `($.a = 1 || $.a != 1)` is `Unknown`; such a pattern is reported `Narrower` although it is
//! not (conservative: never reports a narrowing filter as complete). Broader-ness is found
//! only through the probes: a term that matches no probe (say `$.eventName = %^Tag%`, whose
//! names the probes do not contain) is not seen, and such a pattern is reported
//! `Equivalent`.

use serde::Serialize;

use super::ast::{Expr, Op, Pattern, Value};
use super::eval::{combine, explain, Known, Leaves, Truth};
use super::parse::parse;

/// How a pattern compares with the canonical pattern of the required events.
///
/// Its name on the wire is [`Verdict::as_str`]: serde reads it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Verdict {
    /// The canonical text, whitespace aside.
    Exact,
    /// Other text, same events.
    Equivalent,
    /// Every required event, and more.
    Broader,
    /// Misses a required event, or matches one only when other fields agree.
    Narrower,
    /// Not a valid JSON filter pattern.
    Unparseable,
    /// The judge cannot decide (a regex, a number, an array selector...): never compliant.
    Undecided,
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Verdict {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Verdict".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "How a pattern compares with the canonical pattern of the required events.",
            "type": "string",
            "enum": Verdict::ALL.map(|v| v.as_str()),
        })
    }
}

impl From<Verdict> for &'static str {
    fn from(v: Verdict) -> &'static str {
        v.as_str()
    }
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::Exact,
        Verdict::Equivalent,
        Verdict::Broader,
        Verdict::Narrower,
        Verdict::Unparseable,
        Verdict::Undecided,
    ];

    /// `exact`, `equivalent`, `broader`, `narrower`, `unparseable` or `undecided`: the one
    /// source of its name, in text and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Exact => "exact",
            Verdict::Equivalent => "equivalent",
            Verdict::Broader => "broader",
            Verdict::Narrower => "narrower",
            Verdict::Unparseable => "unparseable",
            Verdict::Undecided => "undecided",
        }
    }
}

/// The verdict with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Judgement {
    /// The verdict.
    pub verdict: Verdict,
    /// Required events the pattern never matches (Kleene `False`), in the required order.
    pub missing_events: Vec<String>,
    /// `Event: narrowed by <term>`, one per (event, term), for required events the pattern
    /// matches only depending on other fields (Kleene `Unknown`).
    pub narrowing_terms: Vec<String>,
    /// `Probe: matched by <terms>` for look-alike events the pattern matches (or may match)
    /// and the canonical pattern does not; for a required pattern that is not an event list,
    /// witnesses of events the filter matches and the required pattern does not.
    pub extra_matches: Vec<String>,
    /// For a required pattern that is not an event list: witnesses of events the required
    /// pattern matches and the filter misses, e.g. `errorCode="AccessDenied~x~", without
    /// sourceIPAddress`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_cases: Vec<String>,
    /// One sentence explaining the verdict.
    pub detail: String,
    /// Why the pattern did not parse (an `Unparseable` verdict), for a caret under the place.
    #[serde(skip)]
    pub parse_error: Option<crate::ParseError>,
}

impl Judgement {
    /// `Exact` with no reasons yet: where both judges start.
    fn exact() -> Judgement {
        Judgement {
            verdict: Verdict::Exact,
            missing_events: Vec::new(),
            narrowing_terms: Vec::new(),
            extra_matches: Vec::new(),
            missing_cases: Vec::new(),
            detail: String::new(),
            parse_error: None,
        }
    }
}

/// The canonical pattern for `events`, in their order:
/// `{($.eventName=A)||($.eventName=B)||...}`; `{$.eventName=A}` for one event.
pub fn canonical_pattern(events: &[String]) -> String {
    canonical(events).to_string()
}

fn canonical(events: &[String]) -> Pattern {
    let mut items: Vec<Expr> = events
        .iter()
        .map(|e| Expr::field_equals("eventName", e))
        .collect();
    let expr = if items.len() == 1 {
        items.remove(0)
    } else {
        Expr::Or(items)
    };
    Pattern { expr }
}

/// True when `a` and `b` are the same text once whitespace between tokens is dropped:
/// both split into the same tokens (`{ } ( ) || && = != < <= > >=`, selectors, words,
/// `"quoted strings"`, `%regexes%`). Whitespace inside a token counts, so
/// `$.eventNa me` is not `$.eventName`, `"a b"` is not `"ab"`, `| |` is not `||` and
/// `IS NULL` is not `ISNULL`.
pub fn same_text_ignoring_whitespace(a: &str, b: &str) -> bool {
    tokens(a) == tokens(b)
}

/// Splits pattern text into tokens the way the parser reads them (without checking
/// the grammar).
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let structural = |c: char| "(){}\"%&|=!<>".contains(c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == '"' || c == '%' {
            // Up to the closing mark; `\"` does not close a string.
            i += 1;
            while i < chars.len() && chars[i] != c {
                if c == '"' && chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
        } else if i + 1 < chars.len()
            && ["||", "&&", "!=", "<=", ">="]
                .iter()
                .any(|op| op.starts_with(c) && op.ends_with(chars[i + 1]))
        {
            i += 2;
        } else if structural(c) {
            i += 1;
        } else {
            // A word or a selector; a selector's bracketed key may hold quotes and spaces.
            while i < chars.len() && !chars[i].is_whitespace() && !structural(chars[i]) {
                if c == '$' && (chars[i] == '\'' || chars[i] == '"') {
                    let quote = chars[i];
                    i += 1;
                    while i < chars.len() && chars[i] != quote {
                        i += 1;
                    }
                }
                i += 1;
            }
            i = i.min(chars.len());
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

struct Probe {
    label: String,
    known: Known,
}

/// A name no control requires, for patterns that match "anything but ...".
const OTHER_EVENT: &str = "SomeOtherEvent";

/// Most probes derived from the pattern's own `$.eventName = ...` terms.
const MAX_DERIVED_PROBES: usize = 64;

fn probe(name: Option<&str>, source: Option<&str>) -> Probe {
    let mut known = Known::new();
    if let Some(n) = name {
        known.insert("eventName", n);
    }
    if let Some(s) = source {
        known.insert("eventSource", s);
    }
    let label = match (name, source) {
        (Some(n), Some(s)) => format!("{n} ({s})"),
        (Some(n), None) => format!("{n} (eventSource unknown)"),
        (None, Some(s)) => format!("any event from {s} (eventName unknown)"),
        (None, None) => "any event (no field known)".into(),
    };
    Probe { label, known }
}

/// The probes, in report order: the fixed look-alikes, an unrelated event from
/// `event_source`, one event per name the pattern itself compares `$.eventName` with (`*`
/// read as `X`; source unknown) unless required or already probed, then the two probes with
/// the name unknown.
fn probes(
    event_source: &str,
    pattern: &Pattern,
    required: &[String],
    look_alikes: &[(String, String)],
) -> Vec<Probe> {
    let mut out: Vec<Probe> = look_alikes
        .iter()
        .map(|(name, source)| probe(Some(name), Some(source)))
        .collect();
    out.push(probe(Some(OTHER_EVENT), Some(event_source)));
    let mut seen: Vec<String> = look_alikes.iter().map(|(n, _)| n.to_string()).collect();
    seen.push(OTHER_EVENT.to_string());
    seen.extend(required.iter().cloned());
    let mut derived = 0;
    for leaf in pattern.expr.leaves() {
        let (Op::Eq, Value::String(text)) = (leaf.op, &leaf.value) else {
            continue;
        };
        if leaf.selector.has_wildcard() || leaf.selector.path() != "eventName" {
            continue;
        }
        let name = text.replace('*', "X");
        if seen.contains(&name) || derived >= MAX_DERIVED_PROBES {
            continue;
        }
        out.push(probe(Some(&name), None));
        seen.push(name);
        derived += 1;
    }
    out.push(probe(None, Some(event_source)));
    out.push(probe(None, None));
    out
}

/// Judges `text` against the required event names from `event_source`
/// (`iam.amazonaws.com` for CIS 4.4), probing the control's `look_alikes` (event name, event
/// source; from its spec). See the module docs for the rules.
pub fn judge(
    text: &str,
    required_events: &[String],
    event_source: &str,
    look_alikes: &[(String, String)],
) -> Judgement {
    let canonical_text = canonical_pattern(required_events);
    let mut judgement = Judgement::exact();
    if !required_events.is_empty() && same_text_ignoring_whitespace(text, &canonical_text) {
        judgement.detail = format!(
            "is the canonical pattern (whitespace aside): it matches the {} required events, as Security Hub expects",
            required_events.len()
        );
        return judgement;
    }
    let pattern = match parse(text) {
        Ok(p) => p,
        Err(e) => {
            judgement.verdict = Verdict::Unparseable;
            judgement.detail =
                format!("cannot be read as a CloudWatch Logs JSON filter pattern: {e}");
            judgement.parse_error = Some(e);
            return judgement;
        }
    };
    let leaves = Leaves::new(&pattern.expr);
    // Readable terms, and which leaf indices carry each one.
    let term = |i: usize| leaves.get(i).map(|c| c.human());

    let mut narrowed_events = Vec::new();
    let mut narrowing_terms_seen: Vec<String> = Vec::new();
    for event in required_events {
        let known = Known::new()
            .with("eventName", event.as_str())
            .with("eventSource", event_source);
        let truths = leaves.truths(&known);
        match combine(&pattern.expr, &truths) {
            Truth::True => {}
            Truth::False => judgement.missing_events.push(event.clone()),
            Truth::Unknown => {
                let witnesses = explain(&pattern.expr, &truths).1;
                narrowed_events.push(event.clone());
                let mut terms: Vec<String> = Vec::new();
                for i in witnesses {
                    if truths.get(i) != Some(&Truth::Unknown) {
                        continue;
                    }
                    if let Some(t) = term(i) {
                        if !terms.contains(&t) {
                            terms.push(t);
                        }
                    }
                }
                for t in terms {
                    judgement
                        .narrowing_terms
                        .push(format!("{event}: narrowed by {t}"));
                    if !narrowing_terms_seen.contains(&t) {
                        narrowing_terms_seen.push(t);
                    }
                }
            }
        }
    }

    let canonical_tree = canonical(required_events);
    let canonical_leaves = Leaves::new(&canonical_tree.expr);
    let mut extra_labels = Vec::new();
    for probe in probes(event_source, &pattern, required_events, look_alikes) {
        let base = combine(&canonical_tree.expr, &canonical_leaves.truths(&probe.known));
        let truths = leaves.truths(&probe.known);
        let truth = combine(&pattern.expr, &truths);
        if truth.rank() <= base.rank() {
            continue;
        }
        let witnesses = explain(&pattern.expr, &truths).1;
        let mut terms: Vec<String> = Vec::new();
        for i in witnesses {
            if let Some(t) = term(i) {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
        let how = if truth == Truth::True {
            "matched by"
        } else {
            "may be matched (depending on other fields) by"
        };
        judgement
            .extra_matches
            .push(format!("{}: {how} {}", probe.label, terms.join(", ")));
        extra_labels.push(probe.label);
    }

    let n = required_events.len();
    if !judgement.missing_events.is_empty() || !narrowed_events.is_empty() {
        judgement.verdict = Verdict::Narrower;
        let mut parts = Vec::new();
        if !judgement.missing_events.is_empty() {
            parts.push(format!(
                "misses {} of the {n} required events ({})",
                judgement.missing_events.len(),
                judgement.missing_events.join(", ")
            ));
        }
        if !narrowed_events.is_empty() {
            parts.push(format!(
                "matches {} of them only when other fields agree ({}: {})",
                narrowed_events.len(),
                narrowing_terms_seen.join(", "),
                narrowed_events.join(", ")
            ));
        }
        if !extra_labels.is_empty() {
            parts.push(format!(
                "it also matches events the canonical pattern does not ({})",
                extra_labels.join("; ")
            ));
        }
        judgement.detail = format!("narrower than required: {}", parts.join("; "));
    } else if !extra_labels.is_empty() {
        judgement.verdict = Verdict::Broader;
        judgement.detail = format!(
            "covers the {n} required events but also matches events the canonical pattern does not: {}",
            extra_labels.join("; ")
        );
    } else {
        judgement.verdict = Verdict::Equivalent;
        judgement.detail = "matches the same events as the CIS pattern but is not its exact text: Security Hub will still fail it".into();
    }
    judgement
}

/// Judges `text` against a required pattern that is not an event list (CIS 4.1, 4.3, ...):
/// `Exact` when it is one of the `accepted` texts (or `required` itself), whitespace aside;
/// otherwise by meaning ([`super::compare_meaning`]): `Equivalent`, `Narrower` (with
/// `missing_cases`), `Broader` (with `extra_matches`), `Unparseable` or `Undecided`.
pub fn judge_pattern(text: &str, required: &str, accepted: &[String]) -> Judgement {
    let mut j = Judgement::exact();
    // Parse first: text that does not parse cannot be an accepted text (they all parse), and a
    // hostile text fails here fast (the 1024-character limit) instead of being tokenized once
    // per accepted text.
    let f = match parse(text) {
        Ok(p) => p,
        Err(e) => {
            j.verdict = Verdict::Unparseable;
            j.detail = format!("cannot be read as a CloudWatch Logs JSON filter pattern: {e}");
            j.parse_error = Some(e);
            return j;
        }
    };
    if std::iter::once(required)
        .chain(accepted.iter().map(String::as_str))
        .any(|a| same_text_ignoring_whitespace(text, a))
    {
        j.detail = "is a text the CIS benchmark or Security Hub publishes (whitespace aside), as Security Hub expects".into();
        return j;
    }
    let r = match parse(required) {
        Ok(p) => p,
        Err(e) => {
            j.verdict = Verdict::Undecided;
            j.detail = format!("the required pattern does not parse: {e}");
            return j;
        }
    };
    match super::compare_meaning(&f, &r) {
        super::Meaning::Same => {
            j.verdict = Verdict::Equivalent;
            j.detail = "matches the same events as the CIS pattern but is not its exact text: Security Hub will still fail it".into();
        }
        super::Meaning::Differs { missed, extra } => {
            j.verdict = if missed.is_empty() {
                Verdict::Broader
            } else {
                Verdict::Narrower
            };
            j.detail = if missed.is_empty() {
                format!("broader than required: also matches {}", extra.join("; "))
            } else {
                format!("narrower than required: misses {}", missed.join("; "))
            };
            j.missing_cases = missed;
            j.extra_matches = extra;
        }
        super::Meaning::Undecided(why) => {
            j.verdict = Verdict::Undecided;
            j.detail = format!("not judged: {why}; an undecided filter never counts as compliant");
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The 16 events come from the embedded control spec, never typed twice.
    use super::super::CIS_EVENTS as EVENTS;

    fn events() -> Vec<String> {
        EVENTS.iter().map(|s| s.to_string()).collect()
    }

    const IAM: &str = "iam.amazonaws.com";

    /// The look-alikes from the embedded CIS 4.4 spec.
    fn look_alikes() -> Vec<(String, String)> {
        crate::fixtures::cis_4_4_look_alikes()
    }

    /// `($.eventName = X)` terms for `names`, formatted by `term`, joined by `sep`.
    fn body(names: &[&str], term: impl Fn(&str) -> String, sep: &str) -> String {
        names.iter().map(|n| term(n)).collect::<Vec<_>>().join(sep)
    }

    fn j(text: &str) -> Judgement {
        judge(text, &events(), IAM, &look_alikes())
    }

    fn compact() -> String {
        format!(
            "{{{}}}",
            body(&EVENTS, |n| format!("($.eventName={n})"), "||")
        )
    }

    #[test]
    fn canonical_is_built_from_the_list() {
        assert_eq!(
            canonical_pattern(&events()),
            "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"
        );
        assert_eq!(canonical_pattern(&["A".to_string()]), "{$.eventName=A}");
    }

    #[test]
    fn whitespace_rules() {
        assert!(same_text_ignoring_whitespace(
            "{ ($.a = 1) || ($.b = 2) }",
            "{($.a=1)||($.b=2)}"
        ));
        assert!(same_text_ignoring_whitespace(
            "{\n\t$.a   IS  NULL\n}",
            "{$.a IS NULL}"
        ));
        assert!(!same_text_ignoring_whitespace(
            "{$.a ISNULL}",
            "{$.a IS NULL}"
        ));
        assert!(!same_text_ignoring_whitespace(
            "{$.eventNa me=X}",
            "{$.eventName=X}"
        ));
        assert!(!same_text_ignoring_whitespace(
            "{$.a=PutRolePolic y}",
            "{$.a=PutRolePolicy}"
        ));
        assert!(!same_text_ignoring_whitespace(
            r#"{$.a="x y"}"#,
            r#"{$.a="xy"}"#
        ));
        assert!(same_text_ignoring_whitespace(
            r#"{ $.a = "x y" }"#,
            r#"{$.a="x y"}"#
        ));
        assert!(!same_text_ignoring_whitespace(
            r#"{$.a="\" x"}"#,
            r#"{$.a="\"x"}"#
        ));
        assert!(!same_text_ignoring_whitespace("{$.a=%a b%}", "{$.a=%ab%}"));
        assert!(!same_text_ignoring_whitespace("{$.a=\"A\"}", "{$.a=A}"));
        assert!(!same_text_ignoring_whitespace(
            "{$.a=1| |$.b=2}",
            "{$.a=1||$.b=2}"
        ));
        assert!(!same_text_ignoring_whitespace("{$.a [0]=1}", "{$.a[0]=1}"));
        assert!(!same_text_ignoring_whitespace("{$.a! =1}", "{$.a!=1}"));
        assert!(same_text_ignoring_whitespace(
            "{ $.['a b'] = 1 }",
            "{$.['a b']=1}"
        ));
        assert!(!same_text_ignoring_whitespace(
            "{$.['a b']=1}",
            "{$.['ab']=1}"
        ));
        assert!(same_text_ignoring_whitespace("", "  \n"));
    }

    #[test]
    fn compact_canonical_is_exact() {
        let r = j(&compact());
        assert_eq!(r.verdict, Verdict::Exact, "{}", r.detail);
        assert!(r.missing_events.is_empty() && r.narrowing_terms.is_empty());
    }

    #[test]
    fn aws_spaced_form_is_exact() {
        let text = format!(
            "{{ {} }}",
            body(&EVENTS, |n| format!("($.eventName = {n})"), " || ")
        );
        assert_eq!(j(&text).verdict, Verdict::Exact);
    }

    #[test]
    fn multi_line_form_is_exact() {
        let text = format!(
            "{{\n  {}\n}}\n",
            body(&EVENTS, |n| format!("($.eventName = {n})"), " ||\n  ")
        );
        assert_eq!(j(&text).verdict, Verdict::Exact);
    }

    #[test]
    fn reordered_is_equivalent() {
        let mut names = EVENTS.to_vec();
        names.reverse();
        let r = j(&format!(
            "{{{}}}",
            body(&names, |n| format!("($.eventName={n})"), "||")
        ));
        assert_eq!(r.verdict, Verdict::Equivalent, "{}", r.detail);
        assert_eq!(
            r.detail,
            "matches the same events as the CIS pattern but is not its exact text: Security Hub will still fail it"
        );
    }

    #[test]
    fn quoted_values_are_equivalent() {
        let r = j(&compact().replace("=PutUserPolicy", "=\"PutUserPolicy\""));
        assert_eq!(r.verdict, Verdict::Equivalent, "{}", r.detail);
        let all = format!(
            "{{{}}}",
            body(&EVENTS, |n| format!("($.eventName = \"{n}\")"), " || ")
        );
        assert_eq!(j(&all).verdict, Verdict::Equivalent);
    }

    #[test]
    fn redundant_parentheses_are_equivalent() {
        let doubled = format!(
            "{{{}}}",
            body(&EVENTS, |n| format!("(($.eventName={n}))"), "||")
        );
        assert_eq!(j(&doubled).verdict, Verdict::Equivalent);
        let wrapped = format!(
            "{{({})}}",
            body(&EVENTS, |n| format!("($.eventName={n})"), "||")
        );
        assert_eq!(j(&wrapped).verdict, Verdict::Equivalent);
    }

    #[test]
    fn pdf_breakage_is_unparseable_with_a_position() {
        let r = j(&compact().replace(
            "$.eventName=DeleteRolePolicy",
            "$.eventNa me=DeleteRolePolicy",
        ));
        assert_eq!(r.verdict, Verdict::Unparseable);
        assert!(r.detail.contains("at character 46"), "{}", r.detail);
        assert!(r.detail.contains("found \"me\""), "{}", r.detail);

        let r = j(&compact().replace("=PutRolePolicy", "=PutRolePolic y"));
        assert_eq!(r.verdict, Verdict::Unparseable);
        assert!(r.detail.contains("PutRolePolic"), "{}", r.detail);
        assert!(r.detail.contains("found \"y\""), "{}", r.detail);
    }

    #[test]
    fn eleven_event_subset_is_narrower() {
        let r = j(&format!(
            "{{{}}}",
            body(&EVENTS[..11], |n| format!("($.eventName={n})"), "||")
        ));
        assert_eq!(r.verdict, Verdict::Narrower);
        assert_eq!(
            r.missing_events,
            vec![
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy"
            ]
        );
        assert!(r.narrowing_terms.is_empty() && r.extra_matches.is_empty());
        assert!(
            r.detail.contains("misses 5 of the 16 required events"),
            "{}",
            r.detail
        );
    }

    #[test]
    fn root_only_is_narrower_for_all_sixteen() {
        let inner = body(&EVENTS, |n| format!("($.eventName={n})"), "||");
        let r = j(&format!(
            "{{({inner}) && ($.userIdentity.type = \"Root\")}}"
        ));
        assert_eq!(r.verdict, Verdict::Narrower);
        assert!(r.missing_events.is_empty());
        assert_eq!(r.narrowing_terms.len(), 16);
        assert_eq!(
            r.narrowing_terms[5],
            "PutUserPolicy: narrowed by $.userIdentity.type = \"Root\""
        );
        assert!(r.extra_matches.is_empty());
    }

    #[test]
    fn error_code_not_exists_is_narrower() {
        let inner = body(&EVENTS, |n| format!("($.eventName={n})"), "||");
        let r = j(&format!("{{({inner}) && ($.errorCode NOT EXISTS)}}"));
        assert_eq!(r.verdict, Verdict::Narrower);
        assert_eq!(r.narrowing_terms.len(), 16);
        assert!(r
            .narrowing_terms
            .iter()
            .all(|t| t.ends_with(": narrowed by $.errorCode NOT EXISTS")));
    }

    #[test]
    fn suffix_wildcard_misses_the_version_events() {
        let r = j("{$.eventName = *Policy}");
        assert_eq!(r.verdict, Verdict::Narrower);
        assert_eq!(
            r.missing_events,
            vec!["CreatePolicyVersion", "DeletePolicyVersion"]
        );
        assert!(r.extra_matches.contains(
            &"GetPolicy (iam.amazonaws.com): matched by $.eventName = \"*Policy\"".to_string()
        ));
        assert!(r
            .extra_matches
            .iter()
            .any(|m| m.starts_with("GetRolePolicy ")));
        assert!(!r
            .extra_matches
            .iter()
            .any(|m| m.starts_with("ListPolicies ")));
        assert!(r.detail.contains("also matches"), "{}", r.detail);
    }

    #[test]
    fn both_wildcards_are_broader() {
        let r = j("{($.eventName = *Policy) || ($.eventName = *PolicyVersion)}");
        assert_eq!(r.verdict, Verdict::Broader, "{}", r.detail);
        assert!(r.missing_events.is_empty() && r.narrowing_terms.is_empty());
        let labels: Vec<&str> = r
            .extra_matches
            .iter()
            .map(|m| m.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(
            labels,
            vec![
                "GetPolicy (iam.amazonaws.com)",
                "GetRolePolicy (iam.amazonaws.com)",
                "XPolicy (eventSource unknown)",
                "XPolicyVersion (eventSource unknown)",
            ]
        );
    }

    #[test]
    fn extra_event_is_broader() {
        let r = j(&compact().replace("}", "||($.eventName = GetPolicy)}"));
        assert_eq!(r.verdict, Verdict::Broader);
        assert_eq!(
            r.extra_matches,
            vec!["GetPolicy (iam.amazonaws.com): matched by $.eventName = \"GetPolicy\""]
        );
    }

    #[test]
    fn all_of_iam_is_broader() {
        let r = j("{$.eventSource = iam.amazonaws.com}");
        assert_eq!(r.verdict, Verdict::Broader);
        assert!(r.missing_events.is_empty() && r.narrowing_terms.is_empty());
        assert_eq!(r.extra_matches.len(), 7, "{:?}", r.extra_matches);
        assert!(r.extra_matches.contains(
            &"SomeOtherEvent (iam.amazonaws.com): matched by $.eventSource = \"iam.amazonaws.com\""
                .to_string()
        ));
        assert!(r.extra_matches.contains(
            &"any event from iam.amazonaws.com (eventName unknown): matched by $.eventSource = \"iam.amazonaws.com\"".to_string()
        ));
    }

    #[test]
    fn event_source_restriction_is_equivalent() {
        let inner = body(&EVENTS, |n| format!("($.eventName = {n})"), " || ");
        let r = j(&format!(
            "{{ ($.eventSource = iam.amazonaws.com) && ({inner}) }}"
        ));
        assert_eq!(r.verdict, Verdict::Equivalent, "{r:?}");
        let quoted = format!("{{ $.eventSource = \"iam.amazonaws.com\" && ({inner}) }}");
        assert_eq!(j(&quoted).verdict, Verdict::Equivalent);
    }

    #[test]
    fn too_long_is_unparseable() {
        let mut text = compact();
        while text.chars().count() <= 1024 {
            text = text.replace("}", "||($.eventName=DeleteGroupPolicy)}");
        }
        let r = j(&text);
        assert_eq!(r.verdict, Verdict::Unparseable);
        assert!(r.detail.contains("1024"), "{}", r.detail);
    }

    #[test]
    fn empty_forms_are_unparseable() {
        for text in ["", "   ", "{}", "{ }"] {
            let r = j(text);
            assert_eq!(r.verdict, Verdict::Unparseable, "{text:?}");
            assert!(r.detail.contains("at character"), "{}", r.detail);
        }
    }

    #[test]
    fn verdicts_serialize_lowercase() {
        let r = j("{}");
        let v = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(v["verdict"], "unparseable");
        for verdict in [
            Verdict::Exact,
            Verdict::Equivalent,
            Verdict::Broader,
            Verdict::Narrower,
            Verdict::Unparseable,
        ] {
            assert_eq!(
                serde_json::to_value(verdict).unwrap_or_default(),
                verdict.as_str()
            );
        }
    }

    #[test]
    fn only_the_terms_that_matter_are_named() {
        let r = j(&compact().replace(
            "($.eventName=PutUserPolicy)",
            "($.eventName=PutUserPolicy && $.userIdentity.type = Root)||($.eventName=GetUser && $.x = 1)",
        ));
        assert_eq!(r.verdict, Verdict::Narrower);
        assert_eq!(
            r.narrowing_terms,
            vec!["PutUserPolicy: narrowed by $.userIdentity.type = \"Root\""]
        );
    }

    #[test]
    fn unknown_probe_results_are_reported_as_possible() {
        let r = j(&compact().replace("}", "||($.eventName = Get* && $.userIdentity.type = Root)}"));
        assert_eq!(r.verdict, Verdict::Broader);
        assert!(r.extra_matches[0].starts_with(
            "GetPolicy (iam.amazonaws.com): may be matched (depending on other fields) by $.eventName = \"Get*\", $.userIdentity.type = \"Root\""
        ), "{:?}", r.extra_matches);
    }

    #[test]
    fn names_the_pattern_adds_are_probed() {
        let r = j(&compact().replace("}", "||($.eventName = GetUser)||($.eventName = Tag*)}"));
        assert_eq!(r.verdict, Verdict::Broader);
        assert_eq!(
            r.extra_matches,
            vec![
                "GetUser (eventSource unknown): matched by $.eventName = \"GetUser\"",
                "TagX (eventSource unknown): matched by $.eventName = \"Tag*\"",
            ]
        );
        // Another service's event, named with its source.
        let r = j(&compact().replace(
            "}",
            "||($.eventSource = sts.amazonaws.com && $.eventName = AssumeRole)}",
        ));
        assert_eq!(r.verdict, Verdict::Broader);
        assert_eq!(
            r.extra_matches,
            vec!["AssumeRole (eventSource unknown): may be matched (depending on other fields) by $.eventSource = \"sts.amazonaws.com\", $.eventName = \"AssumeRole\""]
        );
    }

    #[test]
    fn negations_are_broader() {
        let r = j(&compact().replace("}", "||($.eventName != GetPolicy)}"));
        assert_eq!(r.verdict, Verdict::Broader);
        assert!(r
            .extra_matches
            .iter()
            .any(|m| m.starts_with("SomeOtherEvent (iam.amazonaws.com): matched by")));
        assert!(!r.extra_matches.iter().any(|m| m.starts_with("GetPolicy ")));
    }

    #[test]
    fn no_required_events() {
        assert_eq!(canonical_pattern(&[]), "{}");
        let r = judge("{$.eventName = X}", &[], IAM, &[]);
        assert_eq!(r.verdict, Verdict::Broader);
        assert_eq!(judge("{}", &[], IAM, &[]).verdict, Verdict::Unparseable);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn judge_never_panics(text in any::<String>()) {
            let _ = j(&text);
        }

        #[test]
        fn whitespace_only_edits_are_exact_exactly_when_they_parse(
            cuts in prop::collection::vec((0usize..600, prop::sample::select(vec![" ", "\n", "\t", "  "])), 1..4)
        ) {
            let mut text: Vec<char> = compact().chars().collect();
            for (cut, ws) in cuts {
                let at = cut.min(text.len());
                text.splice(at..at, ws.chars());
            }
            let text: String = text.into_iter().collect();
            let exact = j(&text).verdict == Verdict::Exact;
            prop_assert_eq!(exact, parse(&text).is_ok(), "{}", text);
        }

        #[test]
        fn judge_never_panics_on_variants(cut in 0usize..400, insert in "[ ()|&=$.*\"%a-z]{0,3}") {
            let mut text: Vec<char> = compact().chars().collect();
            let at = cut.min(text.len());
            text.splice(at..at, insert.chars());
            let text: String = text.into_iter().collect();
            let r = j(&text);
            if r.verdict == Verdict::Exact {
                prop_assert_eq!(parse(&text), parse(&compact()));
            }
        }
    }
}
