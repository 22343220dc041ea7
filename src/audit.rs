//! Pure: (Control, Observed, MatchMode) -> the seven CIS audit steps, each ok or a reason.
//!
//! Reasons are named after Security Hub's status codes so findings map one to one. No AWS here.

use serde::{Deserialize, Serialize};

use crate::control::Control;
use crate::observed::{Alarm, LogGroup, MetricFilter, Observed, Selectors, Trail};
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
    pub detail: String,
    /// With `check --verify-with-aws`: AWS's `TestMetricFilter` opinion on sample events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_verification: Option<pattern::Verification>,
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

/// Steps 1-3 for one trail: `Err(detail)` at the first step that fails.
pub fn trail_steps(trail: &Trail) -> [Result<String, String>; 3] {
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
    let s2 = match trail.logging {
        Some(true) => Ok(format!("{who} is logging")),
        Some(false) => Err(format!("{who} is not logging (IsLogging=false)")),
        None => Err(format!(
            "{who}: logging status could not be read{}",
            trail
                .read_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )),
    };
    let s3 = match &trail.selectors {
        Some(sel) => management_events(sel)
            .map(|why| format!("{who} {why}"))
            .map_err(|why| format!("{who} {why}")),
        None => Err(format!(
            "{who}: event selectors could not be read{}",
            trail
                .read_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )),
    };
    [s1, s2, s3]
}

/// Step 3: does the trail log all management events, read and write?
fn management_events(selectors: &Selectors) -> Result<String, String> {
    match selectors {
        Selectors::Default => Ok("logs all management events (default selectors)".into()),
        Selectors::Basic { selectors } => {
            if selectors
                .iter()
                .any(|s| s.include_management_events && s.read_write_type == "All")
            {
                Ok("logs all management events (basic selector, ReadWriteType=All)".into())
            } else {
                Err("has no basic event selector with IncludeManagementEvents=true and ReadWriteType=All".into())
            }
        }
        Selectors::Advanced { selectors } => {
            let all_management = selectors.iter().any(|s| {
                let fs = &s.field_selectors;
                let management = fs.iter().any(|f| {
                    f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management")
                });
                let read_only = fs.iter().any(|f| f.field == "readOnly");
                let iam_excluded = fs.iter().any(|f| {
                    f.field == "eventSource"
                        && ((!f.equals.is_empty()
                            && !f.equals.iter().any(|v| v == "iam.amazonaws.com"))
                            || f.not_equals.iter().any(|v| v == "iam.amazonaws.com"))
                });
                management && !read_only && !iam_excluded
            });
            if all_management {
                Ok("logs all management events (advanced selector eventCategory=Management, no readOnly)".into())
            } else {
                Err("has no advanced event selector for all management events (eventCategory=Management without a readOnly field)".into())
            }
        }
    }
}

/// How many of steps 1-3 a trail passes in order.
pub fn trail_score(trail: &Trail) -> usize {
    trail_steps(trail).iter().take_while(|s| s.is_ok()).count()
}

/// Pick the trail closest to compliant: most of steps 1-3 passed, then a log group in this account,
/// then a home region equal to `region`, then by name. Only multi-region trails with a log group
/// (step 1) are candidates.
pub fn choose_trail<'a>(trails: &'a [Trail], account: &str, region: &str) -> Option<&'a Trail> {
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
                trail_score(t),
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
            let j: Judgement = pattern::judge(&f.pattern, &control.events, &control.event_source);
            FilterVerdict {
                name: f.name.clone(),
                pattern: f.pattern.clone(),
                verdict: j.verdict,
                compliant: mode.accepts(j.verdict) && !f.metrics.is_empty(),
                missing_events: j.missing_events,
                narrowing_terms: j.narrowing_terms,
                extra_matches: j.extra_matches,
                detail: j.detail,
                aws_verification: None,
            }
        })
        .collect()
}

/// Step 5: why an alarm would not fire on a single event (empty when it does).
pub fn alarm_problems(alarm: &Alarm) -> Vec<String> {
    let mut problems = Vec::new();
    match alarm.statistic.as_deref() {
        Some("Sum") | Some("SampleCount") => {}
        Some(other) => problems.push(format!("statistic is {other}, not Sum")),
        None => problems.push(format!(
            "uses extended statistic {}, not Sum",
            alarm.extended_statistic.as_deref().unwrap_or("?")
        )),
    }
    let t = alarm.threshold.unwrap_or(f64::NAN);
    let fires = match alarm.comparison_operator.as_deref() {
        Some("GreaterThanOrEqualToThreshold") => t > 0.0 && t <= 1.0,
        Some("GreaterThanThreshold") => (0.0..1.0).contains(&t),
        _ => false,
    };
    if !fires {
        problems.push(format!(
            "{} {} does not fire on a count of 1",
            alarm
                .comparison_operator
                .as_deref()
                .unwrap_or("no operator"),
            t
        ));
    }
    let needed = alarm
        .datapoints_to_alarm
        .or(alarm.evaluation_periods)
        .unwrap_or(1);
    if needed != 1 {
        problems.push(format!("needs {needed} breaching periods, not 1"));
    }
    if !alarm.actions_enabled {
        problems.push("actions are disabled".into());
    }
    problems
}

/// Step 5 for an alarm on a given filter metric: `alarm_problems`, plus a unit that differs from
/// the metric's (CloudWatch then hands the alarm no data at all).
pub fn alarm_problems_on(alarm: &Alarm, unit: Option<&str>) -> Vec<String> {
    let mut problems = alarm_problems(alarm);
    let alarm_unit = alarm.unit.as_deref().filter(|u| *u != "None");
    if alarm_unit.is_some() && alarm_unit != unit {
        problems.push(format!(
            "its unit {} differs from the metric's ({}), so it sees no data",
            alarm_unit.unwrap_or_default(),
            unit.unwrap_or("none")
        ));
    }
    problems
}

/// Run the seven steps.
pub fn audit(control: &Control, observed: &Observed, mode: MatchMode) -> Audit {
    let steps = steps(control, observed, mode);
    let filters = match &observed.log_group {
        Some(lg) if lg.readable => judge_filters(control, &lg.filters, mode),
        _ => Vec::new(),
    };
    Audit {
        control: control.id.clone(),
        account: observed.account.clone(),
        region: observed.region.clone(),
        compliant: steps.iter().all(|s| s.ok),
        steps,
        filters,
    }
}

fn steps(control: &Control, observed: &Observed, mode: MatchMode) -> Vec<Step> {
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
                .filter_map(|t| trail_steps(t)[0].clone().err())
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
    for (i, result) in trail_steps(trail).into_iter().enumerate() {
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
    out.extend(group_steps(control, observed, lg, mode));
    out
}

/// Steps 4-7 on the trail's log group.
fn group_steps(
    control: &Control,
    observed: &Observed,
    lg: &LogGroup,
    mode: MatchMode,
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
    let verdicts = judge_filters(control, &lg.filters, mode);
    let good: Vec<&MetricFilter> = lg
        .filters
        .iter()
        .zip(&verdicts)
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
                    "no filter on {where_} covers the {} events{mode_note}: {}",
                    control.events.len(),
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
                let problems = alarm_problems_on(a, m.unit.as_deref());
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
