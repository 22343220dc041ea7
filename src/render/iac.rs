//! `trailwatch iac` for people (text) and for code-scanning views (SARIF 2.1.0). Both read the
//! typed [`IacReport`].

use serde_json::{json, Value};

use super::text::{short_verdict, Palette};
use crate::control::Control;
use crate::iac::Place;
use crate::report::iac::{IacControl, IacReport, IacStep, State};

/// What each step checks, for rule names and text.
const STEPS: [&str; 7] = [
    "a multi-region trail delivers to CloudWatch Logs",
    "the trail is logging",
    "the trail logs all management events",
    "a metric filter with the control's pattern is on the trail's log group",
    "an alarm on the filter's metric fires on one event",
    "the alarm notifies an SNS topic CloudWatch can deliver to",
    "the topic has a confirmed subscriber",
];

fn at(place: &Option<Place>) -> String {
    place
        .as_ref()
        .map(|p| format!(" ({} at {}:{})", p.id, p.file, p.line))
        .unwrap_or_default()
}

fn paint(state: State, p: Palette, text: &str) -> String {
    match state {
        State::Pass => p.green(text),
        State::Fail => p.red(text),
        State::Outside | State::Awaiting => p.yellow(text),
        State::NotChecked => p.dim(text),
    }
}

/// Per input, per control: one line when it passes; otherwise the steps that do not pass
/// (every step with `-v`), each naming its resource's file and line, and the filters that bear
/// on it with the judge's reason.
pub(crate) fn text(r: &IacReport, p: Palette) -> String {
    let mut out = String::new();
    for input in &r.inputs {
        out.push_str(&format!("{} ({})\n", p.bold(&input.file), input.kind));
        for u in &input.unresolved {
            out.push_str(&format!(
                "  note: {} at {}:{} is not in these files: what it declares is not judged\n",
                u.what, u.place.file, u.place.line
            ));
        }
        for c in &input.controls {
            out.push_str(&control(c, p));
        }
    }
    let s = &r.summary;
    out.push_str(&format!(
        "\n{} input(s), {} control(s): {} pass, {} fail, {} outside{}, {} awaiting confirmation\n",
        s.inputs,
        s.controls,
        s.pass,
        s.fail,
        s.outside,
        if r.assume_external_ok {
            " (assumed ok)"
        } else {
            ""
        },
        s.awaiting
    ));
    out
}

fn control(c: &IacControl, p: Palette) -> String {
    let title = Control::builtin(&c.control)
        .map(|x| x.short_title().to_string())
        .unwrap_or_default();
    let label = match (c.state, c.compliant) {
        (State::Pass, _) => "pass",
        (State::Fail, _) => "FAIL",
        (State::Outside, true) => "assumed",
        (State::Outside, false) => "outside",
        (State::Awaiting, _) => "awaiting",
        (State::NotChecked, _) => "-",
    };
    let mut out = format!(
        "  {} {:<9} {title}\n",
        paint(c.state, p, &format!("{label:<8}")),
        c.control
    );
    if c.state == State::Pass && !p.verbose {
        return out;
    }
    let mut said: Option<&str> = None;
    for s in &c.steps {
        if matches!(s.state, State::Pass | State::NotChecked) && !p.verbose {
            continue;
        }
        // Steps resting on the same reference (the topic, then its subscriptions) are said once.
        if s.outside.is_some() && s.outside.as_deref() == said && !p.verbose {
            continue;
        }
        said = s.outside.as_deref();
        let filters_shown = c.filters.iter().any(|f| f.verdict.relevant);
        out.push_str(&step(s, p, filters_shown));
        if s.step == 4 && s.state == State::Fail {
            let shown: Vec<_> = c
                .filters
                .iter()
                .filter(|f| f.verdict.relevant || p.verbose)
                .take(if p.verbose { usize::MAX } else { 3 })
                .collect();
            for f in shown {
                // The filter line wraps; its pattern (eight columns in) never does.
                out.push_str(&format!(
                    "      filter {}{}: {}\n        {}\n",
                    f.verdict.name,
                    at(&f.location),
                    short_verdict(&f.verdict),
                    f.verdict.pattern
                ));
            }
        }
    }
    out
}

fn step(s: &IacStep, p: Palette, filters_shown: bool) -> String {
    // A failing filter step names every filter on the group; the relevant ones follow, each
    // with the judge's reason (all of them with -v).
    let detail = match (s.step, s.state, p.verbose || !filters_shown) {
        (4, State::Fail, false) => s
            .detail
            .split_once(": ")
            .map_or(s.detail.as_str(), |(head, _)| head),
        _ => s.detail.as_str(),
    };
    format!(
        "    {} {}: {detail}{}\n",
        paint(s.state, p, &format!("step {}", s.step)),
        s.state.as_str(),
        at(&s.location)
    )
}

/// The SARIF rule id of a control's step.
fn rule_id(control: &str, step: u8) -> String {
    format!("{control}/step-{step}")
}

/// SARIF 2.1.0: one rule per control and step; a result for each step that fails (`error`),
/// lies outside these files (`warning`) or awaits confirmation (`note`), at its resource's file
/// and line (the input's first line when the resource is not in the files).
pub(crate) fn sarif(r: &IacReport) -> Value {
    let mut rules = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut results = Vec::new();
    for input in &r.inputs {
        for c in &input.controls {
            let control = Control::builtin(&c.control);
            let title = control
                .as_ref()
                .map(|x| x.title.clone())
                .unwrap_or_else(|| c.control.clone());
            for s in &c.steps {
                let id = rule_id(&c.control, s.step);
                if seen.insert(id.clone()) {
                    let what = STEPS[usize::from(s.step.clamp(1, 7)) - 1];
                    rules.push(json!({
                        "id": id,
                        "name": format!("{}Step{}", c.control.replace(['-', '.'], ""), s.step),
                        "shortDescription": {"text": format!("{}: {what}", c.control)},
                        "fullDescription": {"text": format!("{title} ({}), step {}: {what}", c.security_hub.as_deref().unwrap_or("CIS"), s.step)},
                        "defaultConfiguration": {"level": "error"},
                        "properties": {"tags": ["security", "CIS", c.security_hub.clone().unwrap_or_default()]}
                    }));
                }
                let level = match s.state {
                    State::Fail => "error",
                    State::Outside if !c.compliant => "warning",
                    State::Awaiting => "note",
                    _ => continue,
                };
                let place = s.location.clone();
                let (uri, line) = place
                    .as_ref()
                    .map_or((input.file.clone(), 1), |p| (p.file.clone(), p.line.max(1)));
                let mut result = json!({
                    "ruleId": id,
                    "level": level,
                    "message": {"text": format!("{} step {} ({}): {}", c.control, s.step, s.state.as_str(), s.detail)},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {"startLine": line}
                        }
                    }]
                });
                if let Some(p) = &place {
                    result["locations"][0]["logicalLocations"] =
                        json!([{"name": p.id, "kind": "resource"}]);
                }
                results.push(result);
            }
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trailwatch",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "results": results
        }]
    })
}
