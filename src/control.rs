//! A control spec: what one CIS monitoring control requires, read from `plans/*.toml`.
//!
//! The control is data, not code: the event list, the resource names and the alarm settings all
//! come from the spec. The default spec (CIS 4.4) is embedded in the binary; `--control FILE`
//! points at another one. The canonical filter pattern is always built from the event list.

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::Error;
use crate::pattern;

/// The spec of the default control (CIS 4.4, IAM policy changes).
pub const DEFAULT_SPEC: &str = include_str!("../plans/cis-4.4-iam-policy-changes.toml");
/// The default control's id.
pub const DEFAULT_ID: &str = "cis-4.4";

/// Every spec embedded in the binary, by id, in CIS order.
pub const SPECS: &[(&str, &str)] = &[
    (
        "cis-4.1",
        include_str!("../plans/cis-4.1-unauthorized-api-calls.toml"),
    ),
    (
        "cis-4.2",
        include_str!("../plans/cis-4.2-console-signin-without-mfa.toml"),
    ),
    (
        "cis-4.3",
        include_str!("../plans/cis-4.3-root-account-usage.toml"),
    ),
    ("cis-4.4", DEFAULT_SPEC),
    (
        "cis-4.5",
        include_str!("../plans/cis-4.5-cloudtrail-config-changes.toml"),
    ),
    (
        "cis-4.6",
        include_str!("../plans/cis-4.6-console-authentication-failures.toml"),
    ),
    (
        "cis-4.7",
        include_str!("../plans/cis-4.7-cmk-disable-or-deletion.toml"),
    ),
    (
        "cis-4.8",
        include_str!("../plans/cis-4.8-s3-bucket-policy-changes.toml"),
    ),
    (
        "cis-4.9",
        include_str!("../plans/cis-4.9-config-changes.toml"),
    ),
    (
        "cis-4.10",
        include_str!("../plans/cis-4.10-security-group-changes.toml"),
    ),
    (
        "cis-4.11",
        include_str!("../plans/cis-4.11-nacl-changes.toml"),
    ),
    (
        "cis-4.12",
        include_str!("../plans/cis-4.12-network-gateway-changes.toml"),
    ),
    (
        "cis-4.13",
        include_str!("../plans/cis-4.13-route-table-changes.toml"),
    ),
    (
        "cis-4.14",
        include_str!("../plans/cis-4.14-vpc-changes.toml"),
    ),
    (
        "cis-4.15",
        include_str!("../plans/cis-4.15-organizations-changes.toml"),
    ),
];

/// One monitoring control, as read from its spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Short id used in output and on the command line, e.g. `cis-4.4`.
    pub id: String,
    pub title: String,
    /// CIS benchmark ids this control carries across versions.
    #[serde(default)]
    pub cis: Vec<String>,
    /// Security Hub control id, e.g. `CloudWatch.4` (none for CIS 4.15).
    #[serde(default)]
    pub security_hub: Option<String>,
    /// The `eventSource` of an event-list control's events (CIS 4.4: `iam.amazonaws.com`).
    #[serde(default)]
    pub event_source: Option<String>,
    /// Event sources whose management events the trail must log for this control.
    #[serde(default)]
    pub event_sources: Vec<String>,
    /// An event-list control: the CloudTrail event names the filter must match, in canonical
    /// order; the pattern is built from them, never typed.
    #[serde(default)]
    pub events: Vec<String>,
    /// The required pattern, verbatim: the text trailwatch creates (for a control that is not an
    /// event list).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Every text Security Hub or a CIS version accepts (the strict judge's `exact`).
    #[serde(default)]
    pub accepted: Vec<String>,
    /// Which text is created, which are accepted, and why, where the sources disagree.
    #[serde(default)]
    pub pattern_notes: Option<String>,
    /// The published texts, quoted with their source.
    #[serde(default)]
    pub published: Vec<Published>,
    /// CloudTrail events the required pattern must match.
    #[serde(default)]
    pub sample: Vec<SampleEvent>,
    /// Look-alike events the required pattern must not match.
    #[serde(default)]
    pub lookalike: Vec<SampleEvent>,
    pub filter: FilterSpec,
    pub alarm: AlarmSpec,
    pub topic: TopicSpec,
}

/// A published text of the pattern and where it is from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Published {
    pub source: String,
    pub text: String,
}

/// A sample CloudTrail event (JSON text) with a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleEvent {
    pub name: String,
    pub event: String,
}

/// Default metric filter name and the metric it publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    pub name: String,
    pub metric_name: String,
    pub namespace: String,
    pub metric_value: String,
}

/// Default alarm name and the settings that make it fire on one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub statistic: String,
    pub period: i32,
    pub threshold: f64,
    pub comparison_operator: String,
    pub evaluation_periods: i32,
    pub treat_missing_data: String,
}

/// The shared SNS topic all monitoring alarms notify.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
}

impl Control {
    /// The title without the CIS wording around it: `IAM policy changes`.
    pub fn short_title(&self) -> &str {
        self.title
            .strip_prefix("A log metric filter and alarm exist for ")
            .unwrap_or(&self.title)
    }

    /// The embedded default control (CIS 4.4).
    pub fn embedded() -> Control {
        Control::builtin(DEFAULT_ID).expect("the default control is embedded")
    }

    /// An embedded control by id (`cis-4.3`).
    pub fn builtin(id: &str) -> Option<Control> {
        SPECS.iter().find(|(i, _)| *i == id).map(|(i, text)| {
            // Every embedded spec is checked by a unit test; failing here is a build defect.
            Control::from_toml(text, &format!("embedded {i}"))
                .expect("embedded control spec is valid")
        })
    }

    /// Every embedded control, in CIS order.
    pub fn all() -> Vec<Control> {
        SPECS
            .iter()
            .filter_map(|(id, _)| Control::builtin(id))
            .collect()
    }

    /// An embedded control by any id `trailwatch controls` shows: `cis-4.4`, `CIS-4.4`, `4.4`,
    /// `CloudWatch.4` (Security Hub), `5.4` (CIS v6/v7), `3.4` (CIS v1.2). An id that names
    /// several controls is refused, naming them.
    pub fn find(id: &str) -> Result<Control, Error> {
        let want = id.trim().to_ascii_lowercase();
        let names = |c: &Control| -> Vec<String> {
            let mut n = vec![c.id.to_ascii_lowercase()];
            n.extend(c.security_hub.iter().map(|s| s.to_ascii_lowercase()));
            // `4.4`, `3.4 (v1.2)`, `5.4 (v6, v7)`: the number before any parenthesis.
            n.extend(
                c.cis
                    .iter()
                    .map(|x| x.split('(').next().unwrap_or_default().trim().to_string()),
            );
            n
        };
        let found: Vec<Control> = Control::all()
            .into_iter()
            .filter(|c| names(c).contains(&want))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::BadInput {
                what: "--control",
                value: id.to_string(),
                why: format!(
                    "no such control (see `trailwatch controls`: {}) and no such spec file",
                    SPECS.iter().map(|(i, _)| *i).collect::<Vec<_>>().join(", ")
                ),
            }),
            many => Err(Error::BadInput {
                what: "--control",
                value: id.to_string(),
                why: format!(
                    "names several controls: {}",
                    many.iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// `--control` values: comma-separated embedded ids ([`Control::find`]) and control spec
    /// files (a path ending `.toml`, or one that exists).
    pub fn select(value: &str) -> Result<Vec<Control>, Error> {
        let mut out: Vec<Control> = Vec::new();
        for id in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let path = Path::new(id);
            let c = if id.ends_with(".toml") || path.exists() {
                Control::from_file(path)?
            } else {
                Control::find(id)?
            };
            if !out.iter().any(|x| x.id == c.id) {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err(Error::BadInput {
                what: "--control",
                value: value.to_string(),
                why: "names no control".into(),
            });
        }
        Ok(out)
    }

    /// Read a control spec from a file.
    pub fn from_file(path: &Path) -> Result<Control, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::BadInput {
            what: "control spec",
            value: path.display().to_string(),
            why: e.to_string(),
        })?;
        Control::from_toml(&text, &path.display().to_string())
    }

    /// Parse and validate a control spec; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Control, Error> {
        let bad = |why: String| Error::BadInput {
            what: "control spec",
            value: origin.to_string(),
            why,
        };
        let control: Control = toml::from_str(text).map_err(|e| bad(toml_error(text, &e)))?;
        if let Some(e) = control
            .events
            .iter()
            .find(|e| e.is_empty() || !e.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(bad(format!(
                "event name {e:?} is not a CloudTrail event name"
            )));
        }
        match (&control.pattern, control.events.is_empty()) {
            (None, true) => {
                return Err(bad(
                    "give `pattern` (or `events` for an event-list control)".into(),
                ))
            }
            (Some(p), false) if *p != pattern::canonical_pattern(&control.events) => {
                return Err(bad(
                    "`pattern` differs from the pattern built from `events`: give one of them"
                        .into(),
                ))
            }
            _ => {}
        }
        let required = control.canonical_pattern();
        if required.chars().count() > 1024 {
            return Err(bad(format!(
                "the required pattern is {} characters; CloudWatch Logs allows 1024",
                required.chars().count()
            )));
        }
        let parsed = pattern::parse(&required)
            .map_err(|e| bad(format!("the required pattern does not parse: {e}")))?;
        for (i, a) in control.accepted.iter().enumerate() {
            pattern::parse(a)
                .map_err(|e| bad(format!("accepted text #{} does not parse: {e}", i + 1)))?;
        }
        for (list, must) in [(&control.sample, true), (&control.lookalike, false)] {
            for s in list {
                let event: serde_json::Value = serde_json::from_str(&s.event)
                    .map_err(|e| bad(format!("sample event {:?} is not JSON: {e}", s.name)))?;
                // An event list's look-alikes are probes judged against the canonical pattern,
                // which has no eventSource term: the same name from another service matches it.
                let other_source = event.get("eventSource").and_then(|v| v.as_str())
                    != control.event_source.as_deref();
                if !must && !control.events.is_empty() && other_source {
                    continue;
                }
                if pattern::matches(&parsed, &event) != must {
                    return Err(bad(format!(
                        "the required pattern {} the {} {:?}",
                        if must { "does not match" } else { "matches" },
                        if must { "sample" } else { "look-alike" },
                        s.name
                    )));
                }
            }
        }
        control.check_settings().map_err(bad)?;
        Ok(control)
    }

    /// This control's requirement in the pattern crate's terms (the same judge as [`judge`]).
    ///
    /// [`judge`]: Control::judge
    pub fn to_requirement(&self) -> pattern::Requirement {
        if self.events.is_empty() {
            pattern::Requirement::Pattern {
                required: self.canonical_pattern(),
                accepted: self.accepted.clone(),
            }
        } else {
            pattern::Requirement::Events {
                events: self.events.clone(),
                event_source: self.event_source.clone().unwrap_or_default(),
                look_alikes: self.look_alikes(),
            }
        }
    }

    /// Judge a filter's pattern against this control's required pattern: the event-list judge
    /// for an event-list control (CIS 4.4), the judge by meaning for any other.
    pub fn judge(&self, text: &str) -> pattern::Judgement {
        if self.events.is_empty() {
            pattern::judge_pattern(text, &self.canonical_pattern(), &self.accepted)
        } else {
            pattern::judge(
                text,
                &self.events,
                self.event_source.as_deref().unwrap_or(""),
                &self.look_alikes(),
            )
        }
    }

    /// `(eventName, eventSource)` of each look-alike in the spec (the event-list judge's probes).
    pub fn look_alikes(&self) -> Vec<(String, String)> {
        self.lookalike
            .iter()
            .filter_map(|l| {
                let e: serde_json::Value = serde_json::from_str(&l.event).ok()?;
                Some((
                    e.get("eventName")?.as_str()?.to_string(),
                    e.get("eventSource")?.as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// Sample events for `check --verify-with-aws`: the built ones for an event-list control,
    /// the spec's samples and look-alikes otherwise.
    pub fn samples(&self) -> Vec<pattern::Sample> {
        if !self.events.is_empty() {
            return pattern::samples(
                &self.events,
                self.event_source.as_deref().unwrap_or(""),
                &self.look_alikes(),
            );
        }
        self.sample
            .iter()
            .chain(&self.lookalike)
            .filter_map(|s| {
                Some(pattern::Sample {
                    label: s.name.clone(),
                    event: serde_json::from_str(&s.event).ok()?,
                })
            })
            .collect()
    }

    /// What the filter must match, in a few words (`the 16 events`, `the required pattern`).
    pub fn requirement(&self) -> String {
        if self.events.is_empty() {
            "the required pattern".into()
        } else {
            format!("the {} events", self.events.len())
        }
    }

    /// `CIS 4.3 / Security Hub CloudWatch.1` for messages.
    pub fn label(&self) -> String {
        let cis = self.cis.first().map(String::as_str).unwrap_or(&self.id);
        match &self.security_hub {
            Some(sh) => format!("CIS {cis} / Security Hub {sh}"),
            None => format!("CIS {cis}"),
        }
    }

    /// Names and alarm settings must be ones AWS accepts and must give an alarm that fires on a
    /// single event (otherwise trailwatch would create alarms its own audit rejects).
    fn check_settings(&self) -> Result<(), String> {
        let name_ok = |what: &str, v: &str, max: usize, extra: &str| {
            let ok = !v.is_empty()
                && v.len() <= max
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c) || extra.contains(c));
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{what} {v:?} is not a valid name (1-{max} letters, digits, - _ .{extra})"
                ))
            }
        };
        name_ok("filter.name", &self.filter.name, 512, " /#")?;
        name_ok("filter.metric_name", &self.filter.metric_name, 255, " /#")?;
        name_ok("filter.namespace", &self.filter.namespace, 255, " /#:")?;
        if self.filter.namespace.starts_with("AWS/") {
            return Err(
                "filter.namespace may not start with AWS/ (reserved for AWS services)".into(),
            );
        }
        name_ok("alarm.name", &self.alarm.name, 255, " /#:()")?;
        name_ok("topic.name", &self.topic.name, 256, "")?;
        if self.topic.name.contains('.') {
            return Err(format!(
                "topic.name {:?} may hold only letters, digits, - and _",
                self.topic.name
            ));
        }
        if self.filter.metric_value.trim().is_empty() {
            return Err("filter.metric_value is empty".into());
        }
        let a = &self.alarm;
        if !["Sum", "SampleCount"].contains(&a.statistic.as_str()) {
            return Err(format!(
                "alarm.statistic {:?}: a count of events needs Sum (or SampleCount)",
                a.statistic
            ));
        }
        let fires = match a.comparison_operator.as_str() {
            "GreaterThanOrEqualToThreshold" => a.threshold > 0.0 && a.threshold <= 1.0,
            "GreaterThanThreshold" => (0.0..1.0).contains(&a.threshold),
            _ => false,
        };
        if !fires {
            return Err(format!(
                "alarm.comparison_operator {:?} with threshold {} does not fire on a single event",
                a.comparison_operator, a.threshold
            ));
        }
        if a.evaluation_periods != 1 {
            return Err("alarm.evaluation_periods must be 1 (fire on the first event)".into());
        }
        if !([10, 20, 30].contains(&a.period) || (a.period >= 60 && a.period % 60 == 0)) {
            return Err(format!(
                "alarm.period {} is not 10, 20, 30 or a multiple of 60 seconds",
                a.period
            ));
        }
        if !["breaching", "notBreaching", "ignore", "missing"]
            .contains(&a.treat_missing_data.as_str())
        {
            return Err(format!(
                "alarm.treat_missing_data {:?} is not one of breaching, notBreaching, ignore, missing",
                a.treat_missing_data
            ));
        }
        Ok(())
    }

    /// The event sources whose management events the trail must log for this control.
    pub fn sources(&self) -> Vec<&str> {
        self.event_source
            .iter()
            .chain(&self.event_sources)
            .map(String::as_str)
            .collect()
    }

    /// The pattern trailwatch creates: built from the event list, or the spec's `pattern`.
    pub fn canonical_pattern(&self) -> String {
        if self.events.is_empty() {
            self.pattern.clone().unwrap_or_default()
        } else {
            pattern::canonical_pattern(&self.events)
        }
    }
}

/// A TOML error in one line: where (line, column, and the key at that place) and what.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    let Some(span) = e.span() else {
        return msg;
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    // The key on that line, qualified by the table it is in.
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#'));
    let table = text
        .lines()
        .take(line)
        .filter_map(|l| {
            let l = l.trim();
            (l.starts_with('[') && !l.starts_with("[["))
                .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .last();
    let key = match (table, key) {
        (Some(t), Some(k)) => format!(", key `{t}.{k}`"),
        (None, Some(k)) => format!(", key `{k}`"),
        _ => String::new(),
    };
    format!("line {line}, column {column}{key}: {msg}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_id_controls_shows_finds_its_control() {
        for id in [
            "cis-4.4",
            "CIS-4.4",
            "4.4",
            "CloudWatch.4",
            "cloudwatch.4",
            "5.4",
            "3.4",
        ] {
            assert_eq!(Control::find(id).unwrap().id, "cis-4.4", "{id}");
        }
        assert_eq!(Control::find("CloudWatch.1").unwrap().id, "cis-4.3");
        let e = Control::find("4.99").unwrap_err().to_string();
        assert!(
            e.starts_with("invalid --control \"4.99\": no such control"),
            "{e}"
        );
    }

    #[test]
    fn a_list_may_mix_ids_and_spec_files() {
        let dir = std::env::temp_dir().join(format!("tw-select-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mine.toml");
        std::fs::write(&file, SPECS[0].1).unwrap();
        let value = format!("{},CloudWatch.4", file.display());
        let ids: Vec<String> = Control::select(&value)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["cis-4.1", "cis-4.4"]);
    }

    use super::*;

    #[test]
    fn every_embedded_spec_is_complete_and_consistent() {
        let all = Control::all();
        assert_eq!(all.len(), SPECS.len());
        for c in &all {
            let required = c.canonical_pattern();
            let parsed = pattern::parse(&required).unwrap_or_else(|e| panic!("{}: {e}", c.id));
            assert!(required.chars().count() <= 1024, "{}", c.id);
            assert_eq!(c.filter.namespace, "CISBenchmark", "{}", c.id);
            assert_eq!(
                c.topic.name, "cis-benchmark-alarms",
                "{}: one shared topic",
                c.id
            );
            // Its own text is exact.
            assert_eq!(
                c.judge(&required).verdict,
                pattern::Verdict::Exact,
                "{}",
                c.id
            );
            if c.events.is_empty() {
                assert!(
                    c.sample.len() >= 2 && c.lookalike.len() >= 2,
                    "{}: samples",
                    c.id
                );
                assert!(
                    c.accepted
                        .iter()
                        .any(|a| pattern::same_text_ignoring_whitespace(a, &required)),
                    "{}: `pattern` is among the accepted texts",
                    c.id
                );
            }
            for s in &c.sample {
                let e: serde_json::Value = serde_json::from_str(&s.event).unwrap();
                assert!(pattern::matches(&parsed, &e), "{}: sample {}", c.id, s.name);
            }
            for s in &c.lookalike {
                let e: serde_json::Value = serde_json::from_str(&s.event).unwrap();
                // An event list's canonical pattern has no eventSource term: the same name from
                // another service (Auto Scaling's DeletePolicy for 4.4) matches it too.
                let other_source = e["eventSource"].as_str() != c.event_source.as_deref();
                if c.events.is_empty() || !other_source {
                    assert!(
                        !pattern::matches(&parsed, &e),
                        "{}: look-alike {}",
                        c.id,
                        s.name
                    );
                }
            }
            // Term by term: every published text is, token for token, one the strict judge
            // accepts, and parses.
            for p in &c.published {
                assert!(
                    c.accepted
                        .iter()
                        .chain(std::iter::once(&required))
                        .any(|a| pattern::same_text_ignoring_whitespace(a, &p.text)),
                    "{}: published text from {:?} is not among the accepted texts: {}",
                    c.id,
                    p.source,
                    p.text
                );
                pattern::parse(&p.text).unwrap_or_else(|e| panic!("{}: {}: {e}", c.id, p.source));
            }
        }
        // Ids, names and metrics are unique: one filter and one alarm per control.
        let mut names: Vec<&str> = all.iter().map(|c| c.alarm.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    /// Judge tables per control, from rewrites of its own required pattern.
    #[test]
    fn each_control_judges_rewrites_equivalent_narrower_and_broader() {
        use crate::pattern::{Expr, Pattern, Verdict};
        for c in Control::all() {
            let required = pattern::parse(&c.canonical_pattern()).unwrap();
            // The same terms in reverse order (and extra parentheses) mean the same.
            let reversed = match &required.expr {
                Expr::Or(items) => Expr::Or(items.iter().rev().cloned().collect()),
                Expr::And(items) => Expr::And(items.iter().rev().cloned().collect()),
                other => Expr::Or(vec![other.clone()]),
            };
            let narrower = Expr::And(vec![
                required.expr.clone(),
                Expr::field_equals("awsRegion", "eu-north-1"),
            ]);
            let broader = Expr::Or(vec![
                required.expr.clone(),
                Expr::field_equals("eventName", "SomethingElseEntirely"),
            ]);
            for (label, expr, want) in [
                ("reordered", reversed, Verdict::Equivalent),
                ("narrowed by a region", narrower, Verdict::Narrower),
                ("widened by an event", broader, Verdict::Broader),
            ] {
                let text = Pattern { expr }.to_string();
                let j = c.judge(&text);
                let got = if j.verdict == Verdict::Exact && label == "reordered" {
                    // A single-term pattern reversed is itself.
                    Verdict::Equivalent
                } else {
                    j.verdict
                };
                assert_eq!(got, want, "{} {label}: {text} -> {j:?}", c.id);
            }
            // Unparseable text and a regex outside the fragment.
            assert_eq!(
                c.judge("{ $.eventNa me = X }").verdict,
                Verdict::Unparseable,
                "{}",
                c.id
            );
            if c.events.is_empty() {
                assert_eq!(
                    c.judge("{ $.eventName = %Delete% }").verdict,
                    Verdict::Undecided,
                    "{}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn toml_errors_name_the_line_column_and_key() {
        let text = DEFAULT_SPEC.replace("threshold = 1.0", "threshold = \"one\"");
        let err = Control::from_toml(&text, "c.toml").unwrap_err().to_string();
        let line = text
            .lines()
            .position(|l| l.contains("threshold ="))
            .unwrap()
            + 1;
        assert!(
            err.contains(&format!("line {line}, column")) && err.contains("key `alarm.threshold`"),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        let text = DEFAULT_SPEC.replace("[topic]", "[topic\n");
        let err = Control::from_toml(&text, "c.toml").unwrap_err().to_string();
        assert!(err.contains("line ") && !err.contains('\n'), "{err}");
    }

    #[test]
    fn embedded_spec_is_cis_4_4_with_sixteen_events() {
        let c = Control::embedded();
        assert_eq!(c.id, "cis-4.4");
        assert_eq!(c.security_hub.as_deref(), Some("CloudWatch.4"));
        assert_eq!(c.events.len(), 16);
        assert_eq!(c.filter.namespace, "CISBenchmark");
        assert_eq!(c.alarm.statistic, "Sum");
        assert_eq!(c.alarm.comparison_operator, "GreaterThanOrEqualToThreshold");
        assert_eq!(c.topic.name, "cis-benchmark-alarms");
    }

    #[test]
    fn canonical_pattern_is_built_from_the_list_in_order() {
        let c = Control::embedded();
        let p = c.canonical_pattern();
        assert!(p.starts_with("{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"));
        assert!(p.ends_with("||($.eventName=DetachGroupPolicy)}"));
        assert_eq!(p.matches("$.eventName=").count(), 16);
        assert!(!p.contains(' '));
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        let text = DEFAULT_SPEC.replace("\"PutRolePolicy\",", "\"PutRolePolic y\",");
        let err = Control::from_toml(&text, "x.toml").unwrap_err().to_string();
        assert!(
            err.contains("x.toml") && err.contains("PutRolePolic y"),
            "{err}"
        );
        let err = Control::from_toml("id = 1", "y.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("y.toml"), "{err}");
        for (from, to, needle) in [
            ("threshold = 1.0", "threshold = 5.0", "does not fire"),
            ("statistic = \"Sum\"", "statistic = \"Average\"", "Average"),
            (
                "name = \"cis-benchmark-alarms\"",
                "name = \"bad topic\"",
                "bad topic",
            ),
            (
                "namespace = \"CISBenchmark\"",
                "namespace = \"AWS/Logs\"",
                "AWS/",
            ),
            (
                "evaluation_periods = 1",
                "evaluation_periods = 3",
                "evaluation_periods",
            ),
            ("period = 300", "period = 45", "alarm.period 45"),
        ] {
            let text = DEFAULT_SPEC.replace(from, to);
            assert_ne!(text, DEFAULT_SPEC, "{from}");
            let err = Control::from_toml(&text, "z.toml").unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    /// The pattern crate keeps its own reference lists (it stands alone); they must say what the
    /// embedded specs say.
    #[test]
    fn the_pattern_crates_reference_lists_agree_with_the_specs() {
        use crate::pattern::fixtures;
        let all = Control::all();
        let by_id = |id: &str| all.iter().find(|c| c.id == id).expect(id);
        let c44 = by_id("cis-4.4");
        assert_eq!(c44.events, fixtures::cis_4_4_events());
        assert_eq!(c44.event_source.as_deref(), Some(fixtures::CIS_4_4_SOURCE));
        assert_eq!(c44.look_alikes(), fixtures::cis_4_4_look_alikes());
        assert_eq!(c44.to_requirement(), fixtures::requirements()[0]);
        for (id, text) in fixtures::REQUIRED_PATTERNS {
            assert_eq!(by_id(id).pattern.as_deref(), Some(text), "{id}");
        }
    }

    /// Hostile text against every embedded control (the crate's property tests use its own
    /// reference requirements): every mutation at several sizes and places, never a panic, and
    /// every rejection names a position inside the text.
    #[test]
    fn hostile_mutations_of_every_control_never_panic() {
        use crate::pattern::hostile::{exercise, mutate};
        let all = Control::all();
        assert_eq!(all.len(), 15);
        let requirements: Vec<_> = all.iter().map(Control::to_requirement).collect();
        for c in &all {
            // The requirement judges as the control does.
            let seed = c.canonical_pattern();
            assert_eq!(c.to_requirement().judge(&seed), c.judge(&seed), "{}", c.id);
            for choice in 0..9 {
                for (n, at) in [(1, 0), (64, 7), (1024, 31), (4095, 7)] {
                    let text = mutate(&seed, choice, n, at);
                    let (position, chars) = exercise(&text, &requirements);
                    if let Some(p) = position {
                        assert!(p <= chars, "position {p} beyond {chars}: {text:?}");
                    }
                }
            }
        }
    }
}
