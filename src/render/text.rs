//! Text rendering: the audit as seven lines, the plan as Terraform-like blocks with unified diffs
//! of current vs desired documents (unchanged resources folded), and a one-line summary.

use console::Style;
use serde_json::Value;
use similar::TextDiff;

use crate::plan::{resource_label, summary_text, Action, Change, Plan, Summary};
use crate::report::{ControlReport, DrillReport, PlanPart, TargetReport};
use crate::write::{Applied, WriteRequest};

/// How text is drawn: colours on or off (off when output is not a terminal), and the detail
/// (`-v`: every filter on the group, every witness, every control's steps).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    pub color: bool,
    pub verbose: bool,
    /// Columns to keep to (the terminal's, else 100): see [`super::fit`].
    pub width: usize,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }
    pub(crate) fn green(&self, t: &str) -> String {
        self.paint(Style::new().green(), t)
    }
    pub(crate) fn red(&self, t: &str) -> String {
        self.paint(Style::new().red(), t)
    }
    pub(crate) fn yellow(&self, t: &str) -> String {
        self.paint(Style::new().yellow(), t)
    }
    pub(crate) fn bold(&self, t: &str) -> String {
        self.paint(Style::new().bold(), t)
    }
    pub(crate) fn dim(&self, t: &str) -> String {
        self.paint(Style::new().dim(), t)
    }
}

/// `check`: each control's audit (and alarm history with `--history`), then the total when there
/// are several.
pub(crate) fn check(r: &TargetReport, p: Palette) -> String {
    let controls = r.controls();
    let mut out = String::new();
    if let Some(sh) = &r.security_hub {
        out.push_str(&security_hub(sh));
    }
    if controls.len() > 1 && !p.verbose {
        // Several controls: one line each; the steps of each with -v (or --control ID).
        out.push_str(&format!(
            "{} in account {}, region {} ({} controls; each control's steps with -v)\n",
            p.bold("Audit"),
            controls[0].account,
            controls[0].region,
            controls.len()
        ));
        for c in &controls {
            out.push_str(&brief(c, p));
            if let Some(Some(h)) = &c.history {
                out.push_str(&crate::history::text(h));
            }
        }
        out.push_str(&total(&controls));
        out.push('\n');
        return out;
    }
    for c in &controls {
        out.push_str(&audit(c, p));
        match &c.history {
            Some(Some(h)) => out.push_str(&crate::history::text(h)),
            Some(None) => {
                out.push_str("  alarm history: no working alarm to read the history of\n")
            }
            None => {}
        }
    }
    if controls.len() > 1 {
        out.push_str(&total(&controls));
        out.push('\n');
    }
    out
}

/// `check --security-hub`: what Security Hub took.
pub(crate) fn security_hub(sh: &crate::aws::securityhub::Imported) -> String {
    let mut out = format!(
        "Security Hub: {} finding(s) imported ({} call(s))\n",
        sh.imported, sh.calls
    );
    for f in &sh.failed {
        out.push_str(&format!("  refused: {f}\n"));
    }
    out
}

/// `fix --plan`: each control's audit and plan, then the total when there are several.
pub(crate) fn planned(r: &TargetReport, p: Palette) -> String {
    let controls = r.controls();
    let mut out = String::new();
    let brief_form = controls.len() > 1 && !p.verbose;
    for c in &controls {
        if brief_form {
            // One line per control; its plan only when it changes something.
            out.push_str(&brief(c, p));
            let changes = c.plan.as_ref().is_some_and(|pl| {
                pl.blocked.is_some() || pl.changes.iter().any(|x| x.action != Action::Keep)
            });
            if changes {
                out.push_str(&plan_of(c, p));
            }
            continue;
        }
        out.push_str(&audit(c, p));
        out.push('\n');
        out.push_str(&plan_of(c, p));
    }
    out.push_str(&total_plan(&controls));
    out
}

/// `fix --apply`: the writes sent; when nothing stopped the run, each control's audit as re-read
/// and the total when there are several (what stopped it goes to stderr).
pub(crate) fn applied_report(r: &TargetReport, p: Palette) -> String {
    let mut out = applied(r.applied.as_deref().unwrap_or_default());
    if r.error.is_none() {
        let controls = r.controls();
        for c in &controls {
            out.push_str(&audit(c, p));
        }
        if controls.len() > 1 {
            out.push_str(&total(&controls));
            out.push('\n');
        }
    }
    out
}

/// `drill`: what was published and to whom, the failures and the verdict; or the audit and why
/// there is nothing to drill.
pub(crate) fn drill(r: &DrillReport, p: Palette) -> String {
    match r {
        DrillReport::Nothing {
            audit: a, failures, ..
        } => format!("{}Nothing to drill: {}\n", audit(a, p), failures.join("; ")),
        DrillReport::Done {
            drill: d,
            alarm_drill,
            delivered,
            failures,
            ..
        } => {
            let mut out = crate::drill::text(d, alarm_drill.as_deref());
            for f in failures {
                out.push_str(&format!("  FAIL {f}\n"));
            }
            out.push_str(&format!(
                "Result: {}\n",
                if *delivered {
                    "DELIVERED"
                } else {
                    "NOT DELIVERED"
                }
            ));
            out
        }
    }
}

/// One control in one line: `ok   cis-4.4 IAM policy changes`, or the first failing step.
fn brief(a: &ControlReport, p: Palette) -> String {
    let title = crate::control::Control::builtin(&a.control)
        .map(|c| c.short_title().to_string())
        .unwrap_or_default();
    if a.compliant {
        return format!("  {} {:<9} {title}\n", p.green("ok  "), a.control);
    }
    let first = a.steps.iter().find(|s| !s.ok);
    let why = first
        .map(|s| format!("step {}: {}", s.step, s.detail))
        .unwrap_or_default();
    format!("  {} {:<9} {title}: {why}\n", p.red("FAIL"), a.control)
}

/// A filter's verdict for a person, in a few words: `narrower: misses DetachRolePolicy and 4
/// more`. The full reasons (every term, every witness) are in `-v` and in JSON.
pub(crate) fn short_verdict(f: &crate::audit::FilterVerdict) -> String {
    use crate::pattern::Verdict;
    let verdict = f.verdict.as_str();
    let more = |list: &[String]| match list {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    };
    let why = match f.verdict {
        Verdict::Exact | Verdict::Equivalent => String::new(),
        Verdict::Narrower if !f.missing_events.is_empty() => {
            format!("misses {}", more(&f.missing_events))
        }
        Verdict::Narrower if !f.missing_cases.is_empty() => {
            format!("misses {}", more(&f.missing_cases))
        }
        Verdict::Narrower if !f.narrowing_terms.is_empty() => {
            "matches required events only when other fields agree".to_string()
        }
        Verdict::Broader if !f.extra_matches.is_empty() => {
            format!("also matches {}", more(&f.extra_matches))
        }
        _ => f.detail.lines().next().unwrap_or_default().to_string(),
    };
    let metric = if f.compliant || !matches!(f.verdict, Verdict::Exact | Verdict::Equivalent) {
        String::new()
    } else {
        " (not accepted: see -v)".to_string()
    };
    if why.is_empty() {
        format!("{verdict}{metric}")
    } else {
        format!("{verdict}: {why}{metric}")
    }
}

/// At most this many filters are named per control without `-v`.
const FILTERS_SHOWN: usize = 3;

/// The audit: a header, one line per step (a step not reached is marked `-`, not failed), the
/// filters that bear on the control (every filter with `-v`), a result line.
pub(crate) fn audit(a: &ControlReport, p: Palette) -> String {
    let mut out = format!(
        "{} {} in account {}, region {}\n",
        p.bold("Audit"),
        a.control,
        a.account,
        a.region
    );
    for s in &a.steps {
        let skipped = !s.ok && s.reason.is_none() && s.detail.starts_with("not checked");
        let mark = if s.ok {
            p.green("ok  ")
        } else if skipped {
            p.dim("-   ")
        } else {
            p.red("FAIL")
        };
        out.push_str(&format!("  {mark} step {}: {}", s.step, s.detail));
        if let Some(r) = s.reason {
            out.push_str(&format!(" [{}]", p.yellow(r.code())));
        }
        out.push('\n');
    }
    if !p.verbose && !a.filters.is_empty() {
        let relevant: Vec<&crate::audit::FilterVerdict> =
            a.filters.iter().filter(|f| f.relevant).collect();
        let shown = &relevant[..relevant.len().min(FILTERS_SHOWN)];
        let others = a.filters.len() - shown.len();
        if !shown.is_empty() {
            out.push_str("  filters that bear on it:\n");
        }
        for f in shown {
            out.push_str(&format!("    {}: {}\n", f.name, short_verdict(f)));
            if let Some(w) = &f.warning {
                out.push_str(&format!("      {} {w}\n", p.yellow("warning:")));
            }
            if let Some(e) = &f.parse_error {
                for line in e.snippet(&f.pattern).lines() {
                    out.push_str(&format!("      {line}\n"));
                }
            }
        }
        if others > 0 {
            let and = if shown.is_empty() { "" } else { "and " };
            out.push_str(&format!(
                "  {and}{others} other filter(s) on the group (-v)\n"
            ));
        }
    }
    if p.verbose && !a.filters.is_empty() {
        out.push_str("  filters on the trail's log group:\n");
        for f in &a.filters {
            out.push_str(&format!("    {}: {}", f.name, f.verdict.as_str()));
            if !f.detail.is_empty() {
                out.push_str(&format!(" ({})", f.detail));
            }
            out.push('\n');
            if let Some(w) = &f.warning {
                out.push_str(&format!("      {} {w}\n", p.yellow("warning:")));
            }
            if let Some(e) = &f.parse_error {
                for line in e.snippet(&f.pattern).lines() {
                    out.push_str(&format!("      {line}\n"));
                }
            }
            for t in &f.narrowing_terms {
                out.push_str(&format!("      {t}\n"));
            }
            for x in &f.extra_matches {
                out.push_str(&format!("      also matches {x}\n"));
            }
            if let Some(v) = &f.aws_verification {
                match &v.error {
                    Some(e) => out.push_str(&format!(
                        "      AWS TestMetricFilter: could not verify: {e}\n"
                    )),
                    None if v.disagreements.is_empty() => out.push_str(&format!(
                        "      AWS TestMetricFilter agrees on all {} sample events\n",
                        v.samples
                    )),
                    None => {
                        for d in &v.disagreements {
                            out.push_str(&format!("      AWS TestMetricFilter disagrees: {d}\n"));
                        }
                    }
                }
            }
        }
    }
    let ok = a.steps.iter().filter(|s| s.ok).count();
    let verdict = if a.compliant {
        p.green("COMPLIANT")
    } else {
        p.red("NOT COMPLIANT")
    };
    out.push_str(&format!(
        "Result: {verdict} ({ok} of {} steps ok)\n",
        a.steps.len()
    ));
    out
}

/// A document as pretty JSON for diffing, with a filter pattern broken one term per line so that
/// a missing or changed term stands out in the diff itself.
fn pretty(v: &Option<Value>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    // Keys sorted whatever serde_json's features: the same diff in every build.
    let mut v = v.clone();
    v.sort_all_objects();
    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
    let mut out = String::new();
    for line in text.lines() {
        match line.find("\"filterPattern\": \"") {
            Some(at) => {
                let head = "\"filterPattern\": \"".len() + at;
                let indent = " ".repeat(head);
                for (i, term) in pattern_terms(&line[head..]).iter().enumerate() {
                    if i == 0 {
                        out.push_str(&line[..head]);
                    } else {
                        out.push_str(&indent);
                    }
                    out.push_str(term);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Split (JSON-escaped) pattern text before each `||` and `&&` outside quoted strings.
fn pattern_terms(text: &str) -> Vec<String> {
    let mut terms = vec![String::new()];
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // An escaped quote (`\"`) opens or closes a string of the pattern.
            terms.last_mut().unwrap().push(c);
            if let Some(n) = chars.next() {
                if n == '"' {
                    quoted = !quoted;
                }
                terms.last_mut().unwrap().push(n);
            }
            continue;
        }
        if !quoted && (c == '|' || c == '&') && chars.peek() == Some(&c) {
            chars.next();
            terms.push(format!("{c}{c}"));
            continue;
        }
        terms.last_mut().unwrap().push(c);
    }
    terms
}

/// A unified diff of current vs desired, coloured line by line.
pub(crate) fn diff(change: &Change, p: Palette) -> String {
    let (old, new) = (pretty(&change.current), pretty(&change.desired));
    let d = TextDiff::from_lines(&old, &new);
    let text = d
        .unified_diff()
        .context_radius(3)
        .header("current", "desired")
        .to_string();
    text.lines()
        .map(|l| {
            let l = if l.starts_with('+') && !l.starts_with("+++") {
                p.green(l)
            } else if l.starts_with('-') && !l.starts_with("---") {
                p.red(l)
            } else {
                l.to_string()
            };
            format!("      {l}\n")
        })
        .collect()
}

/// The plan of a report made with [`ControlReport::plan`] (nothing without one).
pub(crate) fn plan_of(r: &ControlReport, p: Palette) -> String {
    r.plan
        .as_ref()
        .map(|part| plan(&r.control, &r.account, part, p))
        .unwrap_or_default()
}

/// The plan: one block per change (diffs for create/update; keep folded), then the summary.
pub(crate) fn plan(control: &str, account: &str, plan: &PlanPart, p: Palette) -> String {
    let mut out = format!(
        "{} {} in account {}, region {}\n",
        p.bold("Plan"),
        control,
        account,
        plan.write_region
    );
    if let Some(lg) = &plan.log_group {
        out.push_str(&format!("  log group: {lg}\n"));
    }
    // Without -v what is kept is folded into one line: the changes are what a reviewer reads.
    let kept: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Keep && !p.verbose)
        .map(|c| resource_label(c.resource))
        .collect();
    for c in plan
        .changes
        .iter()
        .filter(|c| p.verbose || c.action != Action::Keep)
    {
        let (sym, word) = match c.action {
            Action::Create => (p.green("+"), p.green("create")),
            Action::Update => (p.yellow("~"), p.yellow("update")),
            Action::Keep => (p.dim("="), p.dim("keep")),
            Action::Blocked => (p.red("!"), p.red("needs you")),
        };
        out.push_str(&format!(
            "  {sym} {word} {} {}\n",
            resource_label(c.resource),
            c.name
        ));
        out.push_str(&format!("      {}\n", c.reason));
        if matches!(c.action, Action::Create | Action::Update) {
            out.push_str(&diff(c, p));
        }
    }
    if !kept.is_empty() {
        out.push_str(&format!(
            "  {} {} {} (unchanged; reasons with -v)\n",
            p.dim("="),
            p.dim("keep"),
            kept.join(", ")
        ));
    }
    out.push_str(&summary_text(&plan.changes, plan.blocked.as_deref()));
    out.push('\n');
    out
}

/// With several controls: `Total: 3 of 15 controls compliant`.
pub(crate) fn total(audits: &[&ControlReport]) -> String {
    format!(
        "Total: {} of {} controls compliant",
        audits.iter().filter(|a| a.compliant).count(),
        audits.len()
    )
}

/// With several controls: the summary of all plans together.
/// (A line, with its line break, only when there are several.)
pub(crate) fn total_plan(controls: &[&ControlReport]) -> String {
    if controls.len() < 2 {
        return String::new();
    }
    let plans: Vec<&PlanPart> = controls.iter().filter_map(|c| c.plan.as_ref()).collect();
    let t: Summary = plans.iter().map(|p| p.summary).sum();
    let mut line = format!(
        "Total for {} controls: {} to create, {} to update, {} unchanged",
        plans.len(),
        t.create,
        t.update,
        t.keep
    );
    if t.blocked > 0 {
        line.push_str(&format!("; {} step(s) need you", t.blocked));
    }
    if let Some(why) = plans.iter().find_map(|p| p.blocked.as_deref()) {
        line.push_str(&format!("; blocked: {why}"));
    }
    line.push('\n');
    line
}

/// `--dry-run`: each write request apply would send (once, in order), as operation and
/// parameters.
pub(crate) fn requests(plans: &[Plan]) -> String {
    let mut out = String::new();
    let writes: Vec<&WriteRequest> = crate::plan::writes(plans);
    if writes.is_empty() {
        return "Dry run: no write request would be sent.\n".into();
    }
    out.push_str(&format!(
        "Dry run: {} write request(s) would be sent, none was:\n",
        writes.len()
    ));
    for w in writes {
        let mut v = serde_json::to_value(w).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.remove("operation");
        }
        v.sort_all_objects();
        out.push_str(&format!("  {} {}\n", w.operation(), v));
    }
    out
}

/// What apply did.
pub(crate) fn applied(done: &[Applied]) -> String {
    if done.is_empty() {
        return "Applied no write.\n".to_string();
    }
    let mut out = format!("Applied {} write(s):\n", done.len());
    for a in done {
        out.push_str(&format!("  {} {}: {}\n", a.operation, a.name, a.result));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Resource;
    use serde_json::json;

    #[test]
    fn a_pattern_diff_shows_the_missing_term_on_its_own_line() {
        let change = Change {
            resource: Resource::MetricFilter,
            action: Action::Update,
            name: "f".into(),
            reason: String::new(),
            current: Some(json!({"filterName": "f",
                "filterPattern": "{($.eventName=A)||($.eventName=B)||($.eventName = \"x||y\")}"})),
            desired: Some(json!({"filterName": "f",
                "filterPattern": "{($.eventName=A)||($.eventName=B)||($.eventName=C)||($.eventName = \"x||y\")}"})),
            request: None,
        };
        let d = diff(
            &change,
            Palette {
                color: false,
                verbose: false,
                width: 100,
            },
        );
        let added: Vec<String> = d
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(added, ["+ ||($.eventName=C)"], "{d}");
        // `||` inside a quoted value does not split.
        assert!(d.contains("||($.eventName = \\\"x||y\\\")}\""), "{d}");
    }
}
