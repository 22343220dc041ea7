//! TEMPORARY stand-in for the filter-pattern module (being written separately); same public API.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Exact,
    Equivalent,
    Broader,
    Narrower,
    Unparseable,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Exact => "exact",
            Verdict::Equivalent => "equivalent",
            Verdict::Broader => "broader",
            Verdict::Narrower => "narrower",
            Verdict::Unparseable => "unparseable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub verdict: Verdict,
    pub missing_events: Vec<String>,
    pub narrowing_terms: Vec<String>,
    pub extra_matches: Vec<String>,
    pub detail: String,
}

pub fn canonical_pattern(events: &[String]) -> String {
    let terms: Vec<String> = events
        .iter()
        .map(|e| format!("($.eventName={e})"))
        .collect();
    format!("{{{}}}", terms.join("||"))
}

pub fn same_text_ignoring_whitespace(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    strip(a) == strip(b)
}

pub fn judge(text: &str, required_events: &[String], _event_source: &str) -> Judgement {
    let exact = same_text_ignoring_whitespace(text, &canonical_pattern(required_events));
    Judgement {
        verdict: if exact {
            Verdict::Exact
        } else {
            Verdict::Narrower
        },
        missing_events: vec![],
        narrowing_terms: vec![],
        extra_matches: vec![],
        detail: String::new(),
    }
}
