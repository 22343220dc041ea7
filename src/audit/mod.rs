//! Pure: (Control, Observed, MatchMode) -> the seven CIS audit steps, each ok or a reason.
//!
//! Reasons are named after Security Hub's status codes so findings map one to one. No AWS here.
//! The audit chooses the trail ([`choose`]) from everything discovery read; then, per control:
//!
//! - [`trail`]: steps 1-3 (multi-region, logging, management events) and the trail choice;
//! - [`filter`]: the verdict on every filter of the trail's log group (step 4's input);
//! - [`alarm`]: the alarm rules of step 5 ("fires on one event", metric math);
//! - [`chain`]: the chain of steps 4-7, filter -> alarm -> topic -> confirmed subscription.

mod alarm;
mod chain;
mod filter;
mod trail;

use serde::{Deserialize, Serialize};

use crate::control::Control;
use crate::observed::{LogGroup, Observed, Trail};
use crate::pattern::{self, Verdict};

pub use alarm::{alarm_problems_on, spec_problems};
pub use filter::judge_filters;
pub use trail::{choose, choose_trail, management_events, trail_score, trail_steps};

/// Why a step fails, as Security Hub's status reason codes for CloudWatch.1-14 name it, so a
/// finding maps one to one. Its code on the wire is [`Reason::code`]: serde reads it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Reason {
    /// Steps 1-3: no multi-region trail with a log group, logging all management events.
    TrailNotPresent,
    /// Step 4: no metric filter on the group (or the group is unusable).
    FiltersNotPresent,
    /// Step 4: filters, none with the required pattern.
    FilterNotValid,
    /// Step 5: no alarm that fires on one event.
    AlarmsNotPresent,
    /// Step 6: the alarm notifies no SNS topic.
    AlarmActionsNotValid,
    /// Step 7: the topic has no confirmed subscriber.
    SubscriptionNotPresent,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::TrailNotPresent,
        Reason::FiltersNotPresent,
        Reason::FilterNotValid,
        Reason::AlarmsNotPresent,
        Reason::AlarmActionsNotValid,
        Reason::SubscriptionNotPresent,
    ];

    /// Security Hub's code: the one source of the name.
    pub fn code(self) -> &'static str {
        match self {
            Reason::TrailNotPresent => "CLOUDTRAIL_MULTI_REGION_NOT_PRESENT",
            Reason::FiltersNotPresent => "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT",
            Reason::FilterNotValid => "CLOUDTRAIL_METRIC_FILTER_NOT_VALID",
            Reason::AlarmsNotPresent => "CLOUDWATCH_ALARMS_NOT_PRESENT",
            Reason::AlarmActionsNotValid => "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID",
            Reason::SubscriptionNotPresent => "SNS_SUBSCRIPTION_NOT_PRESENT",
        }
    }
}

words_schema!(
    Reason,
    "Security Hub's status reason code for the failing step.",
    Reason::ALL.map(Reason::code)
);

impl From<Reason> for &'static str {
    fn from(r: Reason) -> &'static str {
        r.code()
    }
}

/// The alarm step: the one whose resource is the working alarm.
pub const ALARM_STEP: u8 = 5;

/// What counts as a compliant filter pattern for step 4.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Audit {
    pub control: String,
    pub account: String,
    pub region: String,
    pub compliant: bool,
    pub steps: Vec<Step>,
    /// Every metric filter on the trail's log group, judged.
    pub filters: Vec<FilterVerdict>,
    /// ARN of the trail the audit chose (the one closest to compliant), if any qualifies.
    #[serde(skip)]
    pub trail: Option<String>,
    /// ARN of that trail's log group, when it was read.
    #[serde(skip)]
    pub log_group: Option<String>,
}

/// One audit step.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Step {
    pub step: u8,
    pub ok: bool,
    pub reason: Option<Reason>,
    pub resource: Option<String>,
    pub detail: String,
}

/// A metric filter with the verdict on its pattern.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
    /// Whether the filter bears on this control: it is compliant, matches every required event
    /// or more, holds the control's filter name (or the name beside it) or publishes the
    /// control's metric. Text output shows only these unless `-v`.
    #[serde(skip)]
    pub relevant: bool,
    /// A published text accepted as exact that, read by its meaning, matches far more than the
    /// control asks (CIS v1.3-v1.5 4.1 joins its exclusions with `||`): an alarm on it fires on
    /// almost every event. Said, and trailwatch never points its own alarm at it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Audit {
    /// The subscriptions awaiting their receiver's confirmation (`protocol:endpoint`, redacted),
    /// when that is the audit's only gap: steps 1-6 pass and the topic of step 7 has
    /// subscriptions, none confirmed. A tool can do no more there: the receiver must confirm.
    pub fn awaiting_confirmation(&self, observed: &Observed) -> Option<Vec<String>> {
        let failing: Vec<&Step> = self.steps.iter().filter(|s| !s.ok).collect();
        let [last] = failing.as_slice() else {
            return None;
        };
        if last.step != 7 || self.steps.len() < 7 {
            return None;
        }
        let topic = self.log_group(observed)?.topic(last.resource.as_deref()?)?;
        let subs = topic.subscriptions.as_deref()?;
        (!subs.is_empty() && !subs.iter().any(|s| s.confirmed())).then(|| {
            subs.iter()
                .map(|s| format!("{}:{}", s.protocol, crate::redact::endpoint(&s.endpoint)))
                .collect()
        })
    }

    /// The chosen trail's log group, as discovery read it (`None` when no trail was chosen or
    /// its group was not read).
    pub fn log_group<'a>(&self, observed: &'a Observed) -> Option<&'a LogGroup> {
        observed.log_group_of(self.trail_in(observed)?)
    }

    /// The chosen trail, as discovery read it.
    pub fn trail_in<'a>(&self, observed: &'a Observed) -> Option<&'a Trail> {
        let arn = self.trail.as_ref()?;
        observed.trails.iter().find(|t| &t.arn == arn)
    }

    /// The alarm step 5 found working (fires on one event), if any.
    pub fn working_alarm(&self) -> Option<&str> {
        self.steps
            .iter()
            .find(|s| s.step == ALARM_STEP && s.ok)
            .and_then(|s| s.resource.as_deref())
    }
}

/// The ARNs of the chain an audit rests on, where known: the trail, its log group (without
/// `:*`), the working alarm (step 5, in the log group's region and account) and the topic it
/// notifies (step 6). What findings name as resources and what guardrails protect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainArns {
    pub trail: Option<String>,
    pub log_group: Option<String>,
    pub alarm: Option<String>,
    pub topic: Option<String>,
}

impl ChainArns {
    pub fn of(steps: &[Step], trail: Option<&str>, log_group: Option<&str>) -> ChainArns {
        let group = log_group.map(|g| g.strip_suffix(":*").unwrap_or(g));
        let passed = |n: u8| {
            steps
                .iter()
                .find(|s| s.step == n && s.ok)
                .and_then(|s| s.resource.as_deref())
        };
        let alarm = match (
            passed(ALARM_STEP),
            group.and_then(crate::observed::Arn::parse),
        ) {
            (Some(name), Some(place)) => Some(format!(
                "arn:{}:cloudwatch:{}:{}:alarm:{name}",
                place.partition, place.region, place.account
            )),
            _ => None,
        };
        ChainArns {
            trail: trail.map(str::to_string),
            log_group: group.map(str::to_string),
            alarm,
            topic: passed(6)
                .filter(|t| t.starts_with("arn:"))
                .map(str::to_string),
        }
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
    fn fail(step: u8, reason: Reason, resource: Option<String>, detail: impl Into<String>) -> Step {
        Step {
            step,
            ok: false,
            reason: Some(reason),
            resource,
            detail: detail.into(),
        }
    }
    /// Step `step` fails, and every later step up to 7 is not checked.
    fn fail_from(
        step: u8,
        reason: Reason,
        resource: Option<String>,
        detail: impl Into<String>,
    ) -> Vec<Step> {
        let mut out = vec![Step::fail(step, reason, resource, detail)];
        out.extend((step + 1..=7).map(|s| Step::not_reached(s, step)));
        out
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

/// Run the seven steps for one control.
pub fn audit(control: &Control, observed: &Observed, mode: MatchMode) -> Audit {
    let trail = choose(std::slice::from_ref(control), observed, mode);
    audit_on(control, observed, trail, mode)
}

/// Run the seven steps for each of `controls`, on the one trail chosen for all of them.
pub fn audit_all(controls: &[Control], observed: &Observed, mode: MatchMode) -> Vec<Audit> {
    let trail = choose(controls, observed, mode);
    controls
        .iter()
        .map(|c| audit_on(c, observed, trail, mode))
        .collect()
}

/// The seven steps on a given trail (`None`: no trail qualifies).
fn audit_on(
    control: &Control,
    observed: &Observed,
    trail: Option<&Trail>,
    mode: MatchMode,
) -> Audit {
    let lg = trail.and_then(|t| observed.log_group_of(t));
    // Every filter is judged once, here; the steps read the verdicts.
    let filters = match lg {
        Some(lg) if lg.readable => judge_filters(control, &lg.filters, mode),
        _ => Vec::new(),
    };
    let steps = chain::steps(control, observed, trail, lg, mode, &filters);
    Audit {
        control: control.id.clone(),
        account: observed.account.clone(),
        region: observed.region.clone(),
        compliant: steps.iter().all(|s| s.ok),
        steps,
        filters,
        trail: trail.map(|t| t.arn.clone()),
        log_group: lg.map(|g| g.arn.clone()),
    }
}
