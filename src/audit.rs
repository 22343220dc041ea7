//! Pure: (Control, Observed, MatchMode) -> the seven CIS audit steps, each ok or a reason.
//!
//! Reasons are named after Security Hub's status codes so findings map one to one. No AWS here.

use serde::{Deserialize, Serialize};

use crate::control::Control;
use crate::observed::{
    Alarm, BasicSelector, FieldSelector, LogGroup, MetricFilter, MetricTransformation, Observed,
    Selectors, Trail,
};
use crate::pattern::{self, Judgement, Verdict};

pub const TRAIL_NOT_PRESENT: &str = "CLOUDTRAIL_MULTI_REGION_NOT_PRESENT";
pub const FILTERS_NOT_PRESENT: &str = "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT";
pub const FILTER_NOT_VALID: &str = "CLOUDTRAIL_METRIC_FILTER_NOT_VALID";
pub const ALARMS_NOT_PRESENT: &str = "CLOUDWATCH_ALARMS_NOT_PRESENT";
pub const ALARM_ACTIONS_NOT_VALID: &str = "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID";
pub const SUBSCRIPTION_NOT_PRESENT: &str = "SNS_SUBSCRIPTION_NOT_PRESENT";

/// What counts as a compliant filter pattern for step 4.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// Only the exact CIS text (whitespace aside): what Security Hub accepts.
    #[default]
    Strict,
    /// The exact text or any pattern that matches the same events.
    Meaning,
}

impl MatchMode {
    pub fn accepts(self, verdict: Verdict) -> bool {
        match self {
            MatchMode::Strict => verdict == Verdict::Exact,
            MatchMode::Meaning => matches!(verdict, Verdict::Exact | Verdict::Equivalent),
        }
    }
}

/// The audit of one control in one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    pub control: String,
    pub account: String,
    pub region: String,
    pub compliant: bool,
    pub steps: Vec<Step>,
    /// Every metric filter on the trail's log group, judged.
    pub filters: Vec<FilterVerdict>,
}

/// One audit step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub step: u8,
    pub ok: bool,
    pub reason: Option<String>,
    pub resource: Option<String>,
    pub detail: String,
}

/// A metric filter with the verdict on its pattern.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterVerdict {
    pub name: String,
    pub pattern: String,
    /// `exact`, `equivalent`, `broader`, `narrower` or `unparseable`.
    pub verdict: Verdict,
    /// Whether the verdict is compliant under the chosen match mode.
    pub compliant: bool,
    pub missing_events: Vec<String>,
    pub narrowing_terms: Vec<String>,
    pub extra_matches: Vec<String>,
    /// For a control that is not an event list: the required cases the filter misses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_cases: Vec<String>,
    pub detail: String,
    /// With `check --verify-with-aws`: AWS's `TestMetricFilter` opinion on sample events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_verification: Option<pattern::Verification>,
    /// Why the pattern did not parse, for the text output's caret (JSON has it in `detail`).
    #[serde(skip)]
    pub parse_error: Option<pattern::ParseError>,
}

impl Audit {
    /// The alarm step 5 found working (fires on one event), if any.
    pub fn working_alarm(&self) -> Option<&str> {
        self.steps
            .iter()
            .find(|s| s.step == 5 && s.ok)
            .and_then(|s| s.resource.as_deref())
    }
}

impl Step {
    fn ok(step: u8, resource: impl Into<String>, detail: impl Into<String>) -> Step {
        Step {
            step,
            ok: true,
            reason: None,
            resource: Some(resource.into()),
            detail: detail.into(),
        }
    }
    fn fail(step: u8, reason: &str, resource: Option<String>, detail: impl Into<String>) -> Step {
        Step {
            step,
            ok: false,
            reason: Some(reason.to_string()),
            resource,
            detail: detail.into(),
        }
    }
    fn not_reached(step: u8, blocker: u8) -> Step {
        Step {
            step,
            ok: false,
            reason: None,
            resource: None,
            detail: format!("not checked: step {blocker} failed"),
        }
    }
}

/// Steps 1-3 for one trail: `Err(detail)` at the first step that fails. `sources` are the
/// event sources whose management events the control needs (e.g. `iam.amazonaws.com`).
pub fn trail_steps(trail: &Trail, sources: &[&str]) -> [Result<String, String>; 3] {
    let who = format!("trail {} ({})", trail.name, trail.home_region);
    let s1 = match (&trail.log_group_arn, trail.multi_region) {
        (Some(lg), true) => Ok(format!("{who} is multi-region and delivers to {lg}")),
        (None, true) => Err(format!(
            "{who} is multi-region but has no CloudWatch Logs group"
        )),
        (Some(_), false) => Err(format!("{who} is not multi-region")),
        (None, false) => Err(format!(
            "{who} is not multi-region and has no CloudWatch Logs group"
        )),
    };
    let unread = |what: &str| {
        format!(
            "{who}: {what} could not be read{}",
            trail
                .read_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )
    };
    let s2 = match (trail.logging, &trail.delivery_error) {
        (Some(true), None) => Ok(format!("{who} is logging")),
        (Some(true), Some(err)) => Err(format!(
            "{who} is logging but cannot deliver to CloudWatch Logs: {err} (last successful delivery: {}); every filter and alarm on the group sees nothing until the trail's CloudWatch Logs role can write to it",
            trail.delivery_time.as_deref().unwrap_or("never")
        )),
        (Some(false), _) => Err(format!("{who} is not logging (IsLogging=false)")),
        (None, _) => Err(unread("logging status")),
    };
    let s3 = match &trail.selectors {
        Some(sel) => management_events(sel, sources)
            .map(|why| format!("{who} {why}"))
            .map_err(|why| format!("{who} {why}")),
        None => Err(unread("event selectors")),
    };
    [s1, s2, s3]
}

/// Step 3: does the trail log all management events, read and write, from `sources`?
pub fn management_events(selectors: &Selectors, sources: &[&str]) -> Result<String, String> {
    match selectors {
        Selectors::Default => Ok("logs all management events (default selectors)".into()),
        Selectors::Basic { selectors } => basic_management(selectors, sources),
        Selectors::Advanced { selectors } => {
            let mut why_not = Vec::new();
            for (i, s) in selectors.iter().enumerate() {
                let label = s
                    .name
                    .as_deref()
                    .map(|n| format!("selector {n:?}"))
                    .unwrap_or_else(|| format!("selector #{}", i + 1));
                match advanced_management(&s.field_selectors, sources) {
                    Ok(()) => {
                        return Ok(format!(
                            "logs all management events (advanced {label}: eventCategory=Management, no readOnly)"
                        ))
                    }
                    Err(e) => why_not.push(format!("{label} {e}")),
                }
            }
            Err(format!(
                "has no advanced event selector for all management events: {}",
                why_not.join("; ")
            ))
        }
    }
}

fn basic_management(selectors: &[BasicSelector], sources: &[&str]) -> Result<String, String> {
    let with_management: Vec<&BasicSelector> = selectors
        .iter()
        .filter(|s| s.include_management_events)
        .collect();
    if with_management.is_empty() {
        return Err("has no basic event selector with IncludeManagementEvents=true".into());
    }
    let excluded = |s: &BasicSelector| -> Option<String> {
        sources
            .iter()
            .find(|src| s.exclude_management_event_sources.iter().any(|x| x == *src))
            .map(|src| src.to_string())
    };
    let covering: Vec<&BasicSelector> = with_management
        .iter()
        .copied()
        .filter(|s| excluded(s).is_none())
        .collect();
    if covering.is_empty() {
        let src = with_management
            .iter()
            .find_map(|s| excluded(s))
            .unwrap_or_default();
        return Err(format!(
            "excludes the management events of {src} (ExcludeManagementEventSources), which this control needs"
        ));
    }
    let reads = covering
        .iter()
        .any(|s| matches!(s.read_write_type.as_str(), "All" | "ReadOnly"));
    let writes = covering
        .iter()
        .any(|s| matches!(s.read_write_type.as_str(), "All" | "WriteOnly"));
    match (reads, writes) {
        (true, true) => Ok("logs all management events (basic selector, ReadWriteType=All)".into()),
        _ => {
            let only = if writes { "WriteOnly" } else { "ReadOnly" };
            Err(format!(
                "logs only {only} management events (basic selector ReadWriteType={only}); CIS requires All"
            ))
        }
    }
}

/// One advanced selector: `Ok` when it logs every management event of `sources`, read and write.
fn advanced_management(fields: &[FieldSelector], sources: &[&str]) -> Result<(), String> {
    let management = fields
        .iter()
        .any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management"));
    if !management {
        return Err("is not for management events (no eventCategory=Management)".into());
    }
    for f in fields {
        match f.field.as_str() {
            "eventCategory" => {}
            "readOnly" => {
                let both = ["true", "false"]
                    .iter()
                    .all(|v| f.equals.iter().any(|x| x == v));
                if !both {
                    return Err(
                        "has a readOnly field selector, so it logs only read or only write events"
                            .into(),
                    );
                }
            }
            "eventSource" => {
                for src in sources {
                    if !field_admits(f, src) {
                        return Err(format!(
                            "filters eventSource so that the management events of {src}, which this control needs, are not logged"
                        ));
                    }
                }
            }
            other => {
                return Err(format!(
                    "restricts management events by {other}, so not all are logged"
                ))
            }
        }
    }
    Ok(())
}

/// Whether an advanced field selector lets `value` through (all its conditions hold).
fn field_admits(f: &FieldSelector, value: &str) -> bool {
    (f.equals.is_empty() || f.equals.iter().any(|v| v == value))
        && !f.not_equals.iter().any(|v| v == value)
        && (f.starts_with.is_empty() || f.starts_with.iter().any(|p| value.starts_with(p.as_str())))
        && !f
            .not_starts_with
            .iter()
            .any(|p| value.starts_with(p.as_str()))
        && (f.ends_with.is_empty() || f.ends_with.iter().any(|p| value.ends_with(p.as_str())))
        && !f.not_ends_with.iter().any(|p| value.ends_with(p.as_str()))
}

/// How many of steps 1-3 a trail passes in order.
pub fn trail_score(trail: &Trail, sources: &[&str]) -> usize {
    trail_steps(trail, sources)
        .iter()
        .take_while(|s| s.is_ok())
        .count()
}

/// Pick the trail closest to compliant: the highest `score` (steps 1-3 passed; discovery sums it
/// over the selected controls), then a log group in this account, then a home region equal to
/// `region`, then by name. Only multi-region trails with a log group (step 1) are candidates.
pub fn choose_trail<'a>(
    trails: &'a [Trail],
    account: &str,
    region: &str,
    score: impl Fn(&Trail) -> usize,
) -> Option<&'a Trail> {
    trails
        .iter()
        .filter(|t| t.multi_region && t.log_group_arn.is_some())
        .max_by_key(|t| {
            let local = t
                .log_group_arn
                .as_deref()
                .and_then(crate::observed::parse_log_group_arn)
                .is_some_and(|(a, _)| a.account == account);
            (
                score(t),
                local,
                t.home_region == region,
                std::cmp::Reverse(t.name.clone()),
            )
        })
}

/// Judge every filter on the log group.
pub fn judge_filters(
    control: &Control,
    filters: &[MetricFilter],
    mode: MatchMode,
) -> Vec<FilterVerdict> {
    filters
        .iter()
        .map(|f| {
            let j: Judgement = control.judge(&f.pattern);
            FilterVerdict {
                name: f.name.clone(),
                pattern: f.pattern.clone(),
                verdict: j.verdict,
                compliant: mode.accepts(j.verdict) && !f.metrics.is_empty(),
                missing_events: j.missing_events,
                narrowing_terms: j.narrowing_terms,
                extra_matches: j.extra_matches,
                missing_cases: j.missing_cases,
                detail: j.detail,
                aws_verification: None,
                parse_error: j.parse_error,
            }
        })
        .collect()
}

/// Step 5: why an alarm on the metric a filter publishes would not notify on one matching event
/// (empty when it does). Judged from the filter's metric value and default value, the alarm's
/// statistic, threshold and operator, its datapoints-to-alarm, its missing-data treatment, its
/// dimensions and unit, and whether actions are enabled. A metric-math alarm is judged when the
/// query it alarms on is one statistic of this metric (directly or as a bare `id` expression);
/// any other expression is reported as not judged and does not count.
pub fn alarm_problems_on(alarm: &Alarm, metric: &MetricTransformation) -> Vec<String> {
    let mut problems = Vec::new();
    // What the alarm compares with its threshold: statistic, dimensions, unit.
    let (stat, dims, unit) = if alarm.is_math() {
        match math_source(alarm) {
            Ok(m) if m.account_id.is_some() => {
                return vec![format!(
                    "its metric math reads {}/{} of account {}, not this account's metric",
                    m.namespace,
                    m.metric_name,
                    m.account_id.as_deref().unwrap_or_default()
                )]
            }
            Ok(m) if m.metric_name == metric.metric_name && m.namespace == metric.namespace => {
                (Some(m.stat.clone()), m.dimensions.clone(), m.unit.clone())
            }
            Ok(m) => {
                return vec![format!(
                    "its metric math alarms on {}/{}, not on this metric",
                    m.namespace, m.metric_name
                )]
            }
            Err(why) => return vec![why],
        }
    } else {
        (
            alarm
                .statistic
                .clone()
                .or_else(|| alarm.extended_statistic.clone()),
            alarm.dimensions.clone(),
            alarm.unit.clone(),
        )
    };
    let stat = stat.unwrap_or_default();
    let default = metric.default_value;
    // A percentile over fewer samples than it needs is not evaluated with `ignore`: one event
    // (one sample) leaves the alarm as it was.
    if stat.starts_with('p')
        && alarm.evaluate_low_sample_count_percentile.as_deref() == Some("ignore")
    {
        problems.push(format!(
            "{stat} with EvaluateLowSampleCountPercentile=ignore does not evaluate a period with one event"
        ));
    }
    match one_event_value(&stat, metric, default) {
        Err(why) => problems.push(why),
        Ok(one) => match (alarm.comparison_operator.as_deref(), alarm.threshold) {
            (Some(op @ ("LessThanThreshold" | "LessThanOrEqualToThreshold")), _) => problems.push(
                format!("{op} fires when the statistic falls, not on every event"),
            ),
            (Some(op), Some(t)) => match breaches(op, one, t) {
                None => problems.push(format!("comparison {op} is not judged")),
                Some(false) => problems.push(format!(
                    "{op} {t} does not fire on one event (its {stat} is {one})"
                )),
                Some(true) => {
                    if let Some(d) = default {
                        if breaches(op, d, t) == Some(true) {
                            problems.push(format!(
                                "{op} {t} also fires on the filter's default value {d}, so it stays in ALARM and an event changes nothing"
                            ));
                        }
                    }
                }
            },
            _ => problems
                .push("has no static threshold (an anomaly-detection band is not judged)".into()),
        },
    }
    let needed = alarm
        .datapoints_to_alarm
        .or(alarm.evaluation_periods)
        .unwrap_or(1);
    if needed != 1 {
        problems.push(format!("needs {needed} breaching periods, not 1"));
    }
    // With no default value a quiet period has no data at all.
    if default.is_none() {
        match alarm.treat_missing_data.as_deref() {
            Some("breaching") => problems.push(
                "treats missing data as breaching: between events it sits in ALARM, so an event changes nothing and notifies no one".into(),
            ),
            Some("ignore") => problems.push(
                "ignores missing data: after the first event it stays in ALARM, so later events notify no one".into(),
            ),
            _ => {}
        }
    }
    if !alarm.actions_enabled {
        problems.push("actions are disabled".into());
    }
    if dims != metric.dimensions {
        let show = |d: &[(String, String)]| {
            if d.is_empty() {
                "none".to_string()
            } else {
                d.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let why = if metric.dimensions.is_empty() {
            "so it sees no data"
        } else if dims.is_empty() {
            "so it sees no data: an alarm must name the dimensions the filter publishes"
        } else {
            "so it sees only the events with those dimension values, not every event"
        };
        problems.push(format!(
            "its dimensions ({}) differ from the filter's ({}), {why}",
            show(&dims),
            show(&metric.dimensions)
        ));
    }
    // An alarm that names a unit (even `None`) sees only datapoints published with that unit.
    if let Some(u) = unit.as_deref() {
        let named = (u != "None").then_some(u);
        let published = metric.unit.as_deref().filter(|m| *m != "None");
        if named != published {
            problems.push(format!(
                "its unit {u} differs from the metric's ({}), so it sees no data",
                published.unwrap_or("none")
            ));
        }
    }
    problems
}

/// The `MetricStat` a metric-math alarm compares with its threshold, or why it is not judged.
fn math_source(alarm: &Alarm) -> Result<&crate::observed::MetricStat, String> {
    let returned: Vec<_> = alarm.metrics.iter().filter(|q| q.return_data).collect();
    let [q] = returned.as_slice() else {
        return Err("its metric math has no single query that returns data: not judged".into());
    };
    if let Some(m) = &q.metric_stat {
        return Ok(m);
    }
    let expr = q.expression.as_deref().unwrap_or_default().trim();
    alarm
        .metrics
        .iter()
        .find(|x| x.id == expr)
        .and_then(|x| x.metric_stat.as_ref())
        .ok_or_else(|| {
            format!("its metric math expression `{expr}` is not judged, so it does not count")
        })
}

/// The statistic of a period holding one matching event, given what the filter publishes.
fn one_event_value(
    stat: &str,
    metric: &MetricTransformation,
    default: Option<f64>,
) -> Result<f64, String> {
    if stat == "SampleCount" {
        // A value read from a field that an event may not have publishes nothing for it.
        if metric.value.trim().parse::<f64>().is_err() {
            return Err(format!(
                "the filter publishes metric value {:?}, not a number: an event without that field publishes nothing",
                metric.value
            ));
        }
        return match default {
            None => Ok(1.0),
            Some(d) => Err(format!(
                "SampleCount counts every log event when the filter publishes a default value ({d}), not just the matching ones"
            )),
        };
    }
    let v = match metric.value.trim().parse::<f64>() {
        Ok(v) if v > 0.0 => v,
        Ok(v) => {
            return Err(format!(
                "the filter publishes metric value {v}, which does not count events"
            ))
        }
        Err(_) => {
            return Err(format!(
                "the filter publishes metric value {:?}, not a number: trailwatch cannot tell what one event adds up to",
                metric.value
            ))
        }
    };
    let percentile = stat
        .strip_prefix('p')
        .and_then(|n| n.parse::<f64>().ok())
        .filter(|n| (0.0..=100.0).contains(n));
    let diluted = |d: f64| {
        format!(
            "{stat} is diluted by the filter's default value {d}, published for every other log event"
        )
    };
    match (stat, percentile, default) {
        ("", _, _) => Err("has no statistic".into()),
        ("Sum", _, None) | ("Sum", _, Some(0.0)) => Ok(v),
        ("Sum", _, Some(d)) => Err(format!(
            "the filter's default value {d} is added for every other log event, so the Sum depends on traffic"
        )),
        ("Maximum", _, d) | (_, Some(100.0), d) => match d {
            Some(d) if d >= v => Err(format!(
                "the filter's default value {d} is not below its metric value {v}, so the Maximum hides the event"
            )),
            _ => Ok(v),
        },
        ("Minimum" | "Average", _, None) | (_, Some(_), None) => Ok(v),
        ("Minimum" | "Average", _, Some(d)) | (_, Some(_), Some(d)) => Err(diluted(d)),
        (other, None, _) => Err(format!("statistic {other} is not judged")),
    }
}

/// Whether a statistic value `s` breaches threshold `t` under `op`; `None` for operators that
/// are not judged (less-than, anomaly-detection bands).
fn breaches(op: &str, s: f64, t: f64) -> Option<bool> {
    Some(match op {
        "GreaterThanOrEqualToThreshold" => s >= t,
        "GreaterThanThreshold" => s > t,
        _ => return None,
    })
}

/// Run the seven steps.
pub fn audit(control: &Control, observed: &Observed, mode: MatchMode) -> Audit {
    // Every filter is judged once, here; the steps read the verdicts.
    let filters = match &observed.log_group {
        Some(lg) if lg.readable => judge_filters(control, &lg.filters, mode),
        _ => Vec::new(),
    };
    let steps = steps(control, observed, mode, &filters);
    Audit {
        control: control.id.clone(),
        account: observed.account.clone(),
        region: observed.region.clone(),
        compliant: steps.iter().all(|s| s.ok),
        steps,
        filters,
    }
}

fn steps(
    control: &Control,
    observed: &Observed,
    mode: MatchMode,
    verdicts: &[FilterVerdict],
) -> Vec<Step> {
    let mut out = Vec::with_capacity(7);
    let chosen = observed
        .chosen_trail
        .as_deref()
        .and_then(|arn| observed.trails.iter().find(|t| t.arn == arn));
    let Some(trail) = chosen else {
        let detail = if observed.trails.is_empty() {
            "no CloudTrail trail in this account".to_string()
        } else {
            let each: Vec<String> = observed
                .trails
                .iter()
                .filter_map(|t| trail_steps(t, &control.sources())[0].clone().err())
                .collect();
            format!(
                "no multi-region trail with a CloudWatch Logs group: {}",
                each.join("; ")
            )
        };
        out.push(Step::fail(1, TRAIL_NOT_PRESENT, None, detail));
        out.extend((2..=7).map(|s| Step::not_reached(s, 1)));
        return out;
    };
    let others: Vec<&str> = observed
        .trails
        .iter()
        .filter(|t| t.arn != trail.arn && t.multi_region && t.log_group_arn.is_some())
        .map(|t| t.name.as_str())
        .collect();
    let choice = if others.is_empty() {
        String::new()
    } else {
        format!(
            " (chosen as closest to compliant over {})",
            others.join(", ")
        )
    };
    for (i, result) in trail_steps(trail, &control.sources())
        .into_iter()
        .enumerate()
    {
        let n = i as u8 + 1;
        let result = if n == 1 {
            result.map(|d| format!("{d}{choice}"))
        } else {
            result
        };
        match result {
            Ok(detail) => out.push(Step::ok(n, trail.arn.clone(), detail)),
            Err(detail) => {
                out.push(Step::fail(
                    n,
                    TRAIL_NOT_PRESENT,
                    Some(trail.arn.clone()),
                    detail,
                ));
                out.extend((n + 1..=7).map(|s| Step::not_reached(s, n)));
                return out;
            }
        }
    }
    let Some(lg) = &observed.log_group else {
        out.push(Step::fail(
            4,
            FILTERS_NOT_PRESENT,
            None,
            "the trail's log group was not read",
        ));
        out.extend((5..=7).map(|s| Step::not_reached(s, 4)));
        return out;
    };
    out.extend(group_steps(control, observed, lg, mode, verdicts));
    out
}

/// Steps 4-7 on the trail's log group.
fn group_steps(
    control: &Control,
    observed: &Observed,
    lg: &LogGroup,
    mode: MatchMode,
    verdicts: &[FilterVerdict],
) -> Vec<Step> {
    let mut out = Vec::with_capacity(4);
    let where_ = format!("{} ({}, account {})", lg.name, lg.region, lg.account);
    if !lg.readable {
        out.push(Step::fail(
            4,
            FILTERS_NOT_PRESENT,
            Some(lg.arn.clone()),
            format!(
                "the trail's log group {where_} is in another account than {}: filters and alarms must be set up there; run trailwatch with credentials for account {} in {}",
                observed.account, lg.account, lg.region
            ),
        ));
        out.extend((5..=7).map(|s| Step::not_reached(s, 4)));
        return out;
    }
    if lg.missing {
        out.push(Step::fail(
            4,
            FILTERS_NOT_PRESENT,
            Some(lg.arn.clone()),
            format!(
                "the trail's log group {where_} does not exist: CloudTrail cannot deliver to it and no filter can be set on it; fix the trail or recreate the group"
            ),
        ));
        out.extend((5..=7).map(|s| Step::not_reached(s, 4)));
        return out;
    }
    let good: Vec<&MetricFilter> = lg
        .filters
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| v.compliant)
        .map(|(f, _)| f)
        .collect();
    if good.is_empty() {
        let (reason, detail) = if lg.filters.is_empty() {
            (FILTERS_NOT_PRESENT, format!("no metric filter on {where_}"))
        } else {
            let each: Vec<String> = verdicts
                .iter()
                .map(|v| format!("{} is {}", v.name, v.verdict.as_str()))
                .collect();
            let equivalent = verdicts.iter().any(|v| v.verdict == Verdict::Equivalent);
            let mode_note = match mode {
                MatchMode::Strict if equivalent => {
                    " (--match strict accepts only the exact CIS pattern)"
                }
                _ => "",
            };
            (
                FILTER_NOT_VALID,
                format!(
                    "no filter on {where_} covers {}{mode_note}: {}",
                    control.requirement(),
                    each.join("; ")
                ),
            )
        };
        out.push(Step::fail(4, reason, Some(lg.arn.clone()), detail));
        out.extend((5..=7).map(|s| Step::not_reached(s, 4)));
        return out;
    }
    // The deepest chain filter -> alarm -> topic -> confirmed subscription.
    let mut best: (
        u8,
        Option<&MetricFilter>,
        Option<&Alarm>,
        Option<&str>,
        Option<&str>,
    ) = (4, good.first().copied(), None, None, None);
    let mut alarm_notes: Vec<String> = Vec::new();
    for f in &good {
        for m in &f.metrics {
            for a in lg
                .alarms
                .iter()
                .filter(|a| a.watches(&m.metric_name, &m.namespace))
            {
                let problems = alarm_problems_on(a, m);
                if !problems.is_empty() {
                    alarm_notes.push(format!("alarm {}: {}", a.name, problems.join(", ")));
                    continue;
                }
                if best.0 < 5 {
                    best = (5, Some(f), Some(a), None, None);
                }
                for topic in a.sns_actions() {
                    if best.0 < 6 {
                        best = (6, Some(f), Some(a), Some(topic), None);
                    }
                    if let Some(sub) = lg.topic(topic).and_then(|t| t.confirmed().next()) {
                        if best.0 < 7 {
                            best = (7, Some(f), Some(a), Some(topic), Some(&sub.arn));
                        }
                    }
                }
            }
        }
    }
    let (depth, filter, alarm, topic, sub) = best;
    let filter = filter.expect("good is not empty");
    let metric = &filter.metrics[0];
    let verdict = verdicts
        .iter()
        .find(|v| v.name == filter.name && v.pattern == filter.pattern)
        .map(|v| v.verdict.as_str())
        .unwrap_or("exact");
    out.push(Step::ok(
        4,
        format!("{}:{}", lg.name, filter.name),
        format!(
            "filter {} on {where_} is {verdict}, publishing {}/{}",
            filter.name, metric.namespace, metric.metric_name
        ),
    ));
    let metrics: Vec<String> = good
        .iter()
        .flat_map(|f| {
            f.metrics
                .iter()
                .map(|m| format!("{}/{}", m.namespace, m.metric_name))
        })
        .collect();
    match alarm {
        Some(a) => out.push(Step::ok(
            5,
            a.name.clone(),
            format!(
                "alarm {} on {}/{} fires on one event",
                a.name,
                a.namespace.as_deref().unwrap_or(""),
                a.metric_name.as_deref().unwrap_or("")
            ),
        )),
        None => {
            let mut detail = format!("no alarm on {} that fires on one event", metrics.join(", "));
            if !alarm_notes.is_empty() {
                detail.push_str(&format!(": {}", alarm_notes.join("; ")));
            }
            out.push(Step::fail(5, ALARMS_NOT_PRESENT, None, detail));
            out.extend((6..=7).map(|s| Step::not_reached(s, 5)));
            return out;
        }
    }
    let alarm = alarm.expect("checked above");
    match topic {
        Some(t) => out.push(Step::ok(
            6,
            t,
            format!("alarm {} notifies SNS topic {t}", alarm.name),
        )),
        None => {
            out.push(Step::fail(
                6,
                ALARM_ACTIONS_NOT_VALID,
                Some(alarm.name.clone()),
                format!(
                    "alarm {} has no SNS topic among its alarm actions",
                    alarm.name
                ),
            ));
            out.push(Step::not_reached(7, 6));
            return out;
        }
    }
    let topic = topic.expect("checked above");
    if depth == 7 {
        out.push(Step::ok(
            7,
            sub.unwrap_or_default(),
            format!("topic {topic} has a confirmed subscription"),
        ));
    } else {
        let detail = match lg.topic(topic) {
            None => format!("topic {topic} was not read"),
            Some(t) if t.read_error.is_some() => format!(
                "topic {topic} could not be read: {}",
                t.read_error.as_deref().unwrap_or_default()
            ),
            Some(t) if !t.exists => format!("topic {topic} does not exist"),
            Some(t) => match &t.subscriptions {
                None => format!("the subscriptions of topic {topic} could not be read"),
                Some(subs) if subs.is_empty() => format!("topic {topic} has no subscription"),
                Some(subs) => format!(
                    "topic {topic} has no confirmed subscription ({} pending confirmation)",
                    subs.len()
                ),
            },
        };
        out.push(Step::fail(
            7,
            SUBSCRIPTION_NOT_PRESENT,
            Some(topic.to_string()),
            detail,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    //! Table-driven tests of the trail, selector and alarm rules, on plain values.
    use super::*;
    use crate::observed::{AdvancedSelector, MetricQuery, MetricStat};

    const IAM: &[&str] = &["iam.amazonaws.com"];

    fn basic(rw: &str, include: bool, exclude: &[&str]) -> BasicSelector {
        BasicSelector {
            read_write_type: rw.into(),
            include_management_events: include,
            exclude_management_event_sources: exclude.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn field(name: &str, equals: &[&str], not_equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.into(),
            equals: equals.iter().map(|s| s.to_string()).collect(),
            not_equals: not_equals.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn advanced(fields: Vec<FieldSelector>) -> Selectors {
        Selectors::Advanced {
            selectors: vec![AdvancedSelector {
                name: Some("mgmt".into()),
                field_selectors: fields,
            }],
        }
    }

    #[test]
    fn selector_rules() {
        let mgmt = || field("eventCategory", &["Management"], &[]);
        let cases: Vec<(&str, Selectors, Result<(), &str>)> = vec![
            ("default selectors", Selectors::Default, Ok(())),
            (
                "basic All",
                Selectors::Basic {
                    selectors: vec![basic("All", true, &[])],
                },
                Ok(()),
            ),
            (
                "basic WriteOnly",
                Selectors::Basic {
                    selectors: vec![basic("WriteOnly", true, &[])],
                },
                Err("only WriteOnly"),
            ),
            (
                "basic ReadOnly",
                Selectors::Basic {
                    selectors: vec![basic("ReadOnly", true, &[])],
                },
                Err("only ReadOnly"),
            ),
            (
                "basic ReadOnly + WriteOnly together",
                Selectors::Basic {
                    selectors: vec![basic("ReadOnly", true, &[]), basic("WriteOnly", true, &[])],
                },
                Ok(()),
            ),
            (
                "basic IncludeManagementEvents=false",
                Selectors::Basic {
                    selectors: vec![basic("All", false, &[])],
                },
                Err("IncludeManagementEvents=true"),
            ),
            (
                "basic excludes kms only",
                Selectors::Basic {
                    selectors: vec![basic(
                        "All",
                        true,
                        &["kms.amazonaws.com", "rdsdata.amazonaws.com"],
                    )],
                },
                Ok(()),
            ),
            (
                "basic excludes iam",
                Selectors::Basic {
                    selectors: vec![basic("All", true, &["iam.amazonaws.com"])],
                },
                Err("ExcludeManagementEventSources"),
            ),
            ("advanced management", advanced(vec![mgmt()]), Ok(())),
            (
                "advanced data only",
                advanced(vec![field("eventCategory", &["Data"], &[])]),
                Err("not for management events"),
            ),
            (
                "advanced readOnly=false",
                advanced(vec![mgmt(), field("readOnly", &["false"], &[])]),
                Err("readOnly"),
            ),
            (
                "advanced readOnly=true",
                advanced(vec![mgmt(), field("readOnly", &["true"], &[])]),
                Err("readOnly"),
            ),
            (
                "advanced eventSource != kms",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &[], &["kms.amazonaws.com"]),
                ]),
                Ok(()),
            ),
            (
                "advanced eventSource != iam",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &[], &["iam.amazonaws.com"]),
                ]),
                Err("eventSource"),
            ),
            (
                "advanced eventSource = s3 only",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &["s3.amazonaws.com"], &[]),
                ]),
                Err("eventSource"),
            ),
            (
                "advanced eventSource = iam",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &["iam.amazonaws.com"], &[]),
                ]),
                Ok(()),
            ),
            (
                "advanced eventSource starts with s3",
                advanced(vec![
                    mgmt(),
                    FieldSelector {
                        field: "eventSource".into(),
                        starts_with: vec!["s3".into()],
                        ..Default::default()
                    },
                ]),
                Err("eventSource"),
            ),
            (
                "advanced eventSource not ends with .amazonaws.com",
                advanced(vec![
                    mgmt(),
                    FieldSelector {
                        field: "eventSource".into(),
                        not_ends_with: vec![".amazonaws.com".into()],
                        ..Default::default()
                    },
                ]),
                Err("eventSource"),
            ),
            (
                "advanced restricted by eventName",
                advanced(vec![mgmt(), field("eventName", &["CreateUser"], &[])]),
                Err("eventName"),
            ),
        ];
        for (label, sel, want) in cases {
            let got = management_events(&sel, IAM);
            match (want, &got) {
                (Ok(()), Ok(_)) => {}
                (Err(needle), Err(why)) => assert!(why.contains(needle), "{label}: {why}"),
                _ => panic!("{label}: expected {want:?}, got {got:?}"),
            }
        }
        // Two advanced selectors: one restricted, one complete: the complete one counts.
        let two = Selectors::Advanced {
            selectors: vec![
                AdvancedSelector {
                    name: None,
                    field_selectors: vec![mgmt(), field("readOnly", &["true"], &[])],
                },
                AdvancedSelector {
                    name: None,
                    field_selectors: vec![mgmt()],
                },
            ],
        };
        assert!(management_events(&two, IAM).is_ok());
    }

    fn trail() -> Trail {
        Trail {
            name: "t".into(),
            arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/t".into(),
            home_region: "us-east-1".into(),
            multi_region: true,
            log_group_arn: Some("arn:aws:logs:us-east-1:123456789012:log-group:g:*".into()),
            logging: Some(true),
            selectors: Some(Selectors::Default),
            ..Default::default()
        }
    }

    #[test]
    fn trail_rules() {
        let mut cases: Vec<(&str, Trail, usize, &str)> = Vec::new();
        cases.push(("good", trail(), 3, ""));
        let mut t = trail();
        t.multi_region = false;
        cases.push(("single-region", t, 0, "not multi-region"));
        let mut t = trail();
        t.log_group_arn = None;
        cases.push(("no log group", t, 0, "no CloudWatch Logs group"));
        let mut t = trail();
        t.logging = Some(false);
        cases.push(("stopped", t, 1, "IsLogging=false"));
        let mut t = trail();
        t.delivery_error = Some("AccessDeniedException".into());
        t.delivery_time = Some("2026-11-01T10:00:00Z".into());
        cases.push(("cannot deliver", t, 1, "cannot deliver to CloudWatch Logs: AccessDeniedException (last successful delivery: 2026-11-01T10:00:00Z)"));
        let mut t = trail();
        t.delivery_error = Some("LogGroupNotFound".into());
        cases.push(("never delivered", t, 1, "last successful delivery: never"));
        let mut t = trail();
        t.logging = None;
        t.read_error = Some("AccessDenied".into());
        cases.push((
            "status unreadable",
            t,
            1,
            "could not be read (AccessDenied)",
        ));
        let mut t = trail();
        t.selectors = Some(Selectors::Basic {
            selectors: vec![basic("WriteOnly", true, &[])],
        });
        cases.push(("write only", t, 2, "WriteOnly"));
        for (label, t, score, needle) in cases {
            assert_eq!(trail_score(&t, IAM), score, "{label}");
            if score < 3 {
                let why = trail_steps(&t, IAM)[score].clone().unwrap_err();
                assert!(why.contains(needle), "{label}: {why}");
            }
        }
    }

    fn metric(value: &str, default: Option<f64>) -> MetricTransformation {
        MetricTransformation {
            metric_name: "IAMPolicyChanges".into(),
            namespace: "CISBenchmark".into(),
            value: value.into(),
            default_value: default,
            ..Default::default()
        }
    }

    fn alarm() -> Alarm {
        Alarm {
            name: "a".into(),
            metric_name: Some("IAMPolicyChanges".into()),
            namespace: Some("CISBenchmark".into()),
            statistic: Some("Sum".into()),
            period: Some(300),
            evaluation_periods: Some(1),
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
            actions_enabled: true,
            ..Default::default()
        }
    }

    #[test]
    fn alarm_rules_each_field() {
        type Edit = fn(&mut Alarm, &mut MetricTransformation);
        let cases: Vec<(&str, Edit, Option<&str>)> = vec![
            ("CIS defaults", |_, _| {}, None),
            ("Maximum", |a, _| a.statistic = Some("Maximum".into()), None),
            (
                "Average without default",
                |a, _| a.statistic = Some("Average".into()),
                None,
            ),
            (
                "Minimum without default",
                |a, _| a.statistic = Some("Minimum".into()),
                None,
            ),
            (
                "SampleCount without default",
                |a, _| a.statistic = Some("SampleCount".into()),
                None,
            ),
            (
                "p99 without default",
                |a, _| {
                    a.statistic = None;
                    a.extended_statistic = Some("p99".into())
                },
                None,
            ),
            (
                "Sum with default 0",
                |_, m| m.default_value = Some(0.0),
                None,
            ),
            (
                "Maximum with default 0",
                |a, m| {
                    a.statistic = Some("Maximum".into());
                    m.default_value = Some(0.0)
                },
                None,
            ),
            (
                "Average with default 0",
                |a, m| {
                    a.statistic = Some("Average".into());
                    m.default_value = Some(0.0)
                },
                Some("diluted"),
            ),
            (
                "Minimum with default 0",
                |a, m| {
                    a.statistic = Some("Minimum".into());
                    m.default_value = Some(0.0)
                },
                Some("diluted"),
            ),
            (
                "SampleCount with default 0",
                |a, m| {
                    a.statistic = Some("SampleCount".into());
                    m.default_value = Some(0.0)
                },
                Some("counts every log event"),
            ),
            (
                "Sum with default 1",
                |_, m| m.default_value = Some(1.0),
                Some("depends on traffic"),
            ),
            (
                "metric value 0",
                |_, m| m.value = "0".into(),
                Some("does not count events"),
            ),
            (
                "metric value from a field",
                |_, m| m.value = "$.count".into(),
                Some("not a number"),
            ),
            (
                "metric value 2, threshold 2",
                |a, m| {
                    m.value = "2".into();
                    a.threshold = Some(2.0)
                },
                None,
            ),
            (
                "threshold 2",
                |a, _| a.threshold = Some(2.0),
                Some("does not fire on one event"),
            ),
            (
                "GreaterThan 0",
                |a, _| {
                    a.comparison_operator = Some("GreaterThanThreshold".into());
                    a.threshold = Some(0.0)
                },
                None,
            ),
            (
                "GreaterThan 1",
                |a, _| a.comparison_operator = Some("GreaterThanThreshold".into()),
                Some("does not fire"),
            ),
            (
                "GreaterThanOrEqual 0 with default 0",
                |a, m| {
                    a.threshold = Some(0.0);
                    m.default_value = Some(0.0)
                },
                Some("stays in ALARM"),
            ),
            (
                "LessThan",
                |a, _| a.comparison_operator = Some("LessThanThreshold".into()),
                Some("falls"),
            ),
            (
                "anomaly band",
                |a, _| {
                    a.comparison_operator = Some("GreaterThanUpperThreshold".into());
                    a.threshold = None
                },
                Some("anomaly"),
            ),
            (
                "3 datapoints",
                |a, _| a.datapoints_to_alarm = Some(3),
                Some("needs 3"),
            ),
            (
                "3 evaluation periods, 1 datapoint",
                |a, _| {
                    a.evaluation_periods = Some(3);
                    a.datapoints_to_alarm = Some(1)
                },
                None,
            ),
            (
                "3 evaluation periods",
                |a, _| a.evaluation_periods = Some(3),
                Some("needs 3"),
            ),
            (
                "missing data breaching",
                |a, _| a.treat_missing_data = Some("breaching".into()),
                Some("breaching"),
            ),
            (
                "missing data ignore",
                |a, _| a.treat_missing_data = Some("ignore".into()),
                Some("stays in ALARM"),
            ),
            (
                "missing data breaching with default 0",
                |a, m| {
                    a.treat_missing_data = Some("breaching".into());
                    m.default_value = Some(0.0)
                },
                None,
            ),
            (
                "missing data notBreaching",
                |a, _| a.treat_missing_data = Some("notBreaching".into()),
                None,
            ),
            (
                "actions disabled",
                |a, _| a.actions_enabled = false,
                Some("actions are disabled"),
            ),
            (
                "unit differs",
                |a, _| a.unit = Some("Seconds".into()),
                Some("sees no data"),
            ),
            ("unit None", |a, _| a.unit = Some("None".into()), None),
            (
                "alarm dimensions, filter none",
                |a, _| a.dimensions = vec![("User".into(), "x".into())],
                Some("sees no data"),
            ),
            (
                "filter dimensions, alarm none",
                |_, m| m.dimensions = vec![("User".into(), "$.userIdentity.arn".into())],
                Some("must name the dimensions"),
            ),
            (
                "both with dimensions",
                |a, m| {
                    m.dimensions = vec![("Type".into(), "$.userIdentity.type".into())];
                    a.dimensions = vec![("Type".into(), "Root".into())]
                },
                Some("only the events with those dimension values"),
            ),
            (
                "tm90 not judged",
                |a, _| {
                    a.statistic = None;
                    a.extended_statistic = Some("tm90".into())
                },
                Some("not judged"),
            ),
            (
                "unit None, metric Count",
                |a, m| {
                    a.unit = Some("None".into());
                    m.unit = Some("Count".into())
                },
                Some("sees no data"),
            ),
            (
                "unit Count, metric Count",
                |a, m| {
                    a.unit = Some("Count".into());
                    m.unit = Some("Count".into())
                },
                None,
            ),
            (
                "p99 ignoring low sample counts",
                |a, _| {
                    a.statistic = None;
                    a.extended_statistic = Some("p99".into());
                    a.evaluate_low_sample_count_percentile = Some("ignore".into())
                },
                Some("EvaluateLowSampleCountPercentile"),
            ),
            (
                "SampleCount of a field value",
                |a, m| {
                    a.statistic = Some("SampleCount".into());
                    m.value = "$.count".into()
                },
                Some("not a number"),
            ),
        ];
        for (label, edit, want) in cases {
            let (mut a, mut m) = (alarm(), metric("1", None));
            edit(&mut a, &mut m);
            let problems = alarm_problems_on(&a, &m).join("; ");
            match want {
                None => assert!(problems.is_empty(), "{label}: {problems}"),
                Some(needle) => assert!(problems.contains(needle), "{label}: {problems:?}"),
            }
        }
    }

    #[test]
    fn metric_math_alarms_are_judged_or_reported_as_not_judged() {
        let stat = |stat: &str| MetricQuery {
            id: "m1".into(),
            metric_stat: Some(MetricStat {
                metric_name: "IAMPolicyChanges".into(),
                namespace: "CISBenchmark".into(),
                stat: stat.into(),
                period: Some(300),
                ..Default::default()
            }),
            return_data: false,
            ..Default::default()
        };
        let expr = |e: &str| MetricQuery {
            id: "e1".into(),
            expression: Some(e.into()),
            return_data: true,
            ..Default::default()
        };
        let math = |queries: Vec<MetricQuery>| Alarm {
            metric_name: None,
            namespace: None,
            statistic: None,
            metrics: queries,
            ..alarm()
        };
        let m = metric("1", None);
        assert!(alarm_problems_on(&math(vec![stat("Sum"), expr("m1")]), &m).is_empty());
        let mut direct = stat("Maximum");
        direct.return_data = true;
        assert!(alarm_problems_on(&math(vec![direct]), &m).is_empty());
        let p = alarm_problems_on(&math(vec![stat("Sum"), expr("FILL(m1, 0) * 2")]), &m).join(";");
        assert!(p.contains("not judged"), "{p}");
        let p = alarm_problems_on(&math(vec![stat("Sum"), expr("m1"), expr("m1")]), &m).join(";");
        assert!(p.contains("no single query"), "{p}");
        let p = alarm_problems_on(
            &math(vec![stat("Average"), expr("m1")]),
            &metric("1", Some(0.0)),
        )
        .join(";");
        assert!(p.contains("diluted"), "{p}");
    }
}
