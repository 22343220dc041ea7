//! Reading values out of a resource's properties (CloudFormation) or arguments (Terraform), as
//! JSON: text, flags, numbers, lists, blocks. A mark (a value the files do not settle) reads as
//! none, so a caller never takes it for a setting.

use serde_json::Value as J;

use super::outside;
use crate::observed::{AdvancedSelector, BasicSelector, FieldSelector, Selectors};

/// Text (a number or a flag as written); `None` for a mark.
pub(crate) fn s(v: Option<&J>) -> Option<String> {
    match v? {
        J::String(s) if outside(s).is_some() => None,
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        J::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Text, a mark kept as it is (names and ARNs: a mark in them is followed by the audit).
pub(crate) fn raw(v: Option<&J>) -> Option<String> {
    match v? {
        J::String(s) => Some(s.clone()),
        other => s(Some(other)),
    }
}

/// Any value as text, as it joins a string: a string as it is (marks kept), anything else as
/// JSON writes it.
pub(crate) fn text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A flag: `true`/`false` in any case, as CloudFormation and Terraform read them.
pub(crate) fn b(v: Option<&J>) -> Option<bool> {
    match v? {
        J::Bool(b) => Some(*b),
        J::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn n(v: Option<&J>) -> Option<f64> {
    match v? {
        J::Number(n) => n.as_f64(),
        J::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A list of text (one value as a list of one), marks kept.
pub(crate) fn list(v: Option<&J>) -> Vec<String> {
    match v {
        Some(J::Array(a)) => a.iter().filter_map(|x| raw(Some(x))).collect(),
        Some(J::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// A block given once or as a list of blocks.
pub(crate) fn blocks(v: Option<&J>) -> Vec<&J> {
    match v {
        Some(J::Array(a)) => a.iter().collect(),
        Some(o @ J::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// `[{key: K, value: V}, ...]` as sorted pairs.
pub(crate) fn pairs(v: Option<&J>, key: &str, value: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = blocks(v)
        .into_iter()
        .filter_map(|d| Some((raw(d.get(key))?, raw(d.get(value))?)))
        .collect();
    out.sort();
    out
}

/// `{K: V, ...}` as sorted pairs.
pub(crate) fn map_pairs(v: Option<&J>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = match v {
        Some(J::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), raw(Some(v))?)))
            .collect(),
        _ => Vec::new(),
    };
    out.sort();
    out
}

/// The names a format gives a trail's event selectors' fields (CloudFormation's `ReadWriteType`,
/// Terraform's `read_write_type`, ...).
pub(crate) struct SelectorKeys {
    pub name: &'static str,
    pub field_selectors: &'static str,
    pub field: &'static str,
    /// `Equals`, `NotEquals`, `StartsWith`, `NotStartsWith`, `EndsWith`, `NotEndsWith`.
    pub matches: [&'static str; 6],
    pub read_write_type: &'static str,
    pub include_management_events: &'static str,
    pub exclude_management_event_sources: &'static str,
}

/// A trail's selectors: `advanced` when the format says there are advanced selectors, else
/// `basic`, else AWS's default (every management event). Each reader says when a list is
/// there; the fields and their defaults are the same in both formats.
pub(crate) fn selectors(advanced: Option<Vec<&J>>, basic: Vec<&J>, k: &SelectorKeys) -> Selectors {
    if let Some(advanced) = advanced {
        return Selectors::Advanced {
            selectors: advanced
                .into_iter()
                .map(|a| AdvancedSelector {
                    name: raw(a.get(k.name)),
                    field_selectors: blocks(a.get(k.field_selectors))
                        .into_iter()
                        .map(|f| {
                            let m = |i: usize| list(f.get(k.matches[i]));
                            FieldSelector {
                                field: raw(f.get(k.field)).unwrap_or_default(),
                                equals: m(0),
                                not_equals: m(1),
                                starts_with: m(2),
                                not_starts_with: m(3),
                                ends_with: m(4),
                                not_ends_with: m(5),
                            }
                        })
                        .collect(),
                })
                .collect(),
        };
    }
    if basic.is_empty() {
        return Selectors::Default;
    }
    Selectors::Basic {
        selectors: basic
            .into_iter()
            .map(|e| BasicSelector {
                read_write_type: raw(e.get(k.read_write_type)).unwrap_or_else(|| "All".into()),
                include_management_events: b(e.get(k.include_management_events)).unwrap_or(true),
                exclude_management_event_sources: list(e.get(k.exclude_management_event_sources)),
            })
            .collect(),
    }
}
