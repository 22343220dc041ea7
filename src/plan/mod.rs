//! Pure: (Control, Observed, Audit, Options) -> Plan.
//!
//! A plan is a list of changes, one per resource (topic, topic policy, subscription, metric filter,
//! alarm), each `create`, `update`, `keep` or `blocked`, with the current and desired documents,
//! the reason, and the exact write request apply will send. It reuses what is already right and
//! never plans a write to a resource trailwatch neither created nor was told to use.

mod alarm;
mod filter;
mod topic;

pub use alarm::alarm_doc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::{alarm_problems_on, Audit, MatchMode};
use crate::control::Control;
use crate::observed::{Alarm, Arn, LogGroup, MetricFilter, MetricTransformation, Observed, Topic};
use crate::pattern::Verdict;
use crate::redact;
pub use crate::write::{AlarmRequest, Endpoint, WriteRequest};

/// What the user asked for, beyond the control (a saved plan records it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Options {
    pub mode: MatchMode,
    /// Use this topic instead of the control's shared topic.
    pub topic_arn: Option<String>,
    /// Subscribe these endpoints (`--subscribe`, once or more: e-mail and a pager) when the
    /// topic has no confirmed subscriber.
    pub subscribe: Vec<Endpoint>,
    /// `--adopt`: a resource that holds a control's name but was not created by trailwatch may
    /// be repaired, and is tagged as trailwatch's when it is.
    pub adopt: bool,
}

/// The resources a plan manages, in the order apply writes them. Its name on the wire is
/// [`Resource::as_str`]: serde reads it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Resource {
    Topic,
    /// The tags that make an existing topic trailwatch's (`--adopt`).
    TopicTags,
    TopicPolicy,
    /// The KMS key of an encrypted topic: judged, never written.
    KmsKey,
    Subscription,
    MetricFilter,
    Alarm,
    /// The tags that make an existing alarm trailwatch's, and record its filter.
    AlarmTags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Keep,
    /// Cannot be done by the tool: the user must act (confirm a subscription, fix a trail, ...).
    Blocked,
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    pub resource: Resource,
    pub action: Action,
    pub name: String,
    pub reason: String,
    /// The resource as it is (absent when it does not exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Value>,
    /// The resource as it will be (absent when blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Value>,
    /// The write apply sends; only on `create` and `update`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<WriteRequest>,
}

/// The plan for one control in one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Plan {
    pub control: String,
    pub account: String,
    /// Where the writes go: the region of the trail's log group.
    pub region: String,
    pub log_group: Option<String>,
    /// Why nothing can be planned (a prerequisite fails); apply refuses such a plan.
    pub blocked: Option<String>,
    pub changes: Vec<Change>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub keep: usize,
    pub blocked: usize,
}

/// Counts added up over several plans.
impl std::iter::Sum for Summary {
    fn sum<I: Iterator<Item = Summary>>(iter: I) -> Summary {
        iter.fold(Summary::default(), |t, s| Summary {
            create: t.create + s.create,
            update: t.update + s.update,
            keep: t.keep + s.keep,
            blocked: t.blocked + s.blocked,
        })
    }
}

impl Summary {
    /// Counts of `changes` by action.
    pub fn of(changes: &[Change]) -> Summary {
        let mut s = Summary::default();
        for c in changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Keep => s.keep += 1,
                Action::Blocked => s.blocked += 1,
            }
        }
        s
    }
}

impl Plan {
    pub fn summary(&self) -> Summary {
        Summary::of(&self.changes)
    }

    /// The write requests, in dependency order.
    pub fn writes(&self) -> impl Iterator<Item = &WriteRequest> {
        self.changes.iter().filter_map(|c| c.request.as_ref())
    }

    /// Nothing to write and nothing the user must do.
    pub fn is_empty(&self) -> bool {
        self.blocked.is_none() && self.changes.iter().all(|c| c.action == Action::Keep)
    }
}

/// Build the plan.
pub fn plan(control: &Control, observed: &Observed, audit: &Audit, opts: &Options) -> Plan {
    let mut plan = Plan {
        control: control.id.clone(),
        account: observed.account.clone(),
        region: observed.region.clone(),
        log_group: None,
        blocked: None,
        changes: Vec::new(),
    };
    if let Some(failed) = audit.steps.iter().take(3).find(|s| !s.ok) {
        plan.blocked = Some(format!(
            "step {} fails: {}. trailwatch does not create or change trails: fix the trail, then plan again",
            failed.step, failed.detail
        ));
        return plan;
    }
    let Some(lg) = audit.log_group(observed) else {
        plan.blocked = Some("the trail's log group was not read".into());
        return plan;
    };
    plan.region = lg.region.clone();
    plan.log_group = Some(lg.arn.clone());
    if lg.missing {
        plan.blocked = Some(format!(
            "the trail's log group {} ({}) does not exist: fix the trail or recreate the group, then plan again",
            lg.name, lg.region
        ));
        return plan;
    }
    if !lg.readable {
        plan.blocked = Some(format!(
            "the trail's log group {} is in account {} ({}): the filter and alarm must be created there; run trailwatch with credentials for account {} and --region {}",
            lg.name, lg.account, lg.region, lg.account, lg.region
        ));
        return plan;
    }
    let ctx = Ctx {
        control,
        observed,
        lg,
        opts,
    };
    let filter = ctx.filter(audit);
    let alarm = ctx.alarm(&filter.metric, filter.owned.as_deref());
    let (filter_change, mut alarm_change, mut alarm_tags, topic_arn) =
        (filter.change, alarm.change, alarm.tags, alarm.topic);
    let (topic_change, topic_created) = ctx.topic(&topic_arn);
    let (mut policy_change, mut subscription_changes) = if ctx.told_to_use(&topic_arn) {
        (
            ctx.topic_policy(&topic_arn, &alarm_change.name, topic_created),
            ctx.subscription(&topic_arn),
        )
    } else {
        // A topic trailwatch did not create and was not told to manage: report, never write.
        ctx.foreign_topic(&topic_arn, &alarm_change.name)
    };
    // An adopted topic is tagged when trailwatch writes to it.
    let mut topic_tags = (policy_change.request.is_some()
        || subscription_changes.iter().any(|c| c.request.is_some()))
    .then(|| ctx.adopted_topic_tags(&topic_arn))
    .flatten();
    if topic_change.action == Action::Blocked {
        // Nothing that needs the topic may be written while the topic cannot be had.
        let why = format!("the topic {topic_arn} must exist first (see the topic change)");
        for c in [
            Some(&mut alarm_change),
            Some(&mut policy_change),
            alarm_tags.as_mut(),
            topic_tags.as_mut(),
        ]
        .into_iter()
        .flatten()
        .chain(subscription_changes.iter_mut())
        {
            needs_you(c, &why);
        }
    }
    let key_change = ctx.kms_key(&topic_arn);
    plan.changes = [
        Some(topic_change),
        topic_tags,
        Some(policy_change),
        key_change,
    ]
    .into_iter()
    .flatten()
    .chain(subscription_changes)
    .chain(
        [Some(filter_change), Some(alarm_change), alarm_tags]
            .into_iter()
            .flatten(),
    )
    .collect();
    plan
}

struct Ctx<'a> {
    control: &'a Control,
    observed: &'a Observed,
    lg: &'a LogGroup,
    opts: &'a Options,
}

/// The metric the alarm must watch: what the chosen filter publishes (name, namespace, value,
/// default value, unit, dimensions), since whether an alarm fires on one event depends on it.
type Metric = MetricTransformation;

fn keep(
    resource: Resource,
    name: impl Into<String>,
    reason: impl Into<String>,
    current: Option<Value>,
) -> Change {
    Change {
        resource,
        action: Action::Keep,
        name: name.into(),
        reason: reason.into(),
        desired: current.clone(),
        current,
        request: None,
    }
}

/// A resource's tags as shown in a plan: `{"key": "value"}`.
pub(crate) fn tags_doc(tags: &[(String, String)]) -> Value {
    tags.iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Turn a planned write into a step that needs the user, saying why; a change without a write
/// is left as it is.
fn needs_you(c: &mut Change, why: &str) {
    if c.request.is_some() {
        c.action = Action::Blocked;
        c.reason = format!("{}; {why}", c.reason);
        c.desired = None;
        c.request = None;
    }
}

fn blocked(
    resource: Resource,
    name: impl Into<String>,
    reason: impl Into<String>,
    current: Option<Value>,
) -> Change {
    Change {
        resource,
        action: Action::Blocked,
        name: name.into(),
        reason: reason.into(),
        current,
        desired: None,
        request: None,
    }
}

impl Ctx<'_> {
    fn region(&self) -> String {
        self.lg.region.clone()
    }

    fn shared_topic_arn(&self) -> String {
        format!(
            "arn:{}:sns:{}:{}:{}",
            self.lg.partition, self.lg.region, self.observed.account, self.control.topic.name
        )
    }

    /// Whether the topic was read and has a confirmed subscriber.
    fn confirmed(&self, arn: &str) -> bool {
        self.lg
            .topic(arn)
            .is_some_and(|t| t.confirmed().next().is_some())
    }

    /// The alarm the control's spec would create on `metric` (to ask whether a metric can carry
    /// it).
    fn spec_alarm(&self, metric: &Metric) -> Alarm {
        let spec = &self.control.alarm;
        Alarm {
            name: spec.name.clone(),
            metric_name: Some(metric.metric_name.clone()),
            namespace: Some(metric.namespace.clone()),
            statistic: Some(spec.statistic.clone()),
            period: Some(spec.period),
            evaluation_periods: Some(spec.evaluation_periods),
            threshold: Some(spec.threshold),
            comparison_operator: Some(spec.comparison_operator.clone()),
            treat_missing_data: Some(spec.treat_missing_data.clone()),
            actions_enabled: true,
            unit: metric.unit.clone(),
            ..Default::default()
        }
    }

    /// Alarms on `metric` that fire on one event and notify an SNS topic.
    fn working_alarms<'b>(&'b self, metric: &'b Metric) -> impl Iterator<Item = &'b Alarm> + 'b {
        self.lg.alarms.iter().filter(move |a| {
            a.watches(&metric.metric_name, &metric.namespace)
                && alarm_problems_on(a, metric).is_empty()
                && a.sns_actions().next().is_some()
        })
    }
}

/// Several controls share one topic, its policy statement, its key and its subscription: each
/// shared change (same resource and name) is listed, and written, once. Where the plans disagree
/// (one control's alarm is allowed to publish and another's is not), the change with a write
/// wins over one without, and different writes are all kept; the apply sends each distinct
/// write once.
pub fn share(plans: &mut [Plan]) {
    let shared = |c: &Change| {
        matches!(
            c.resource,
            Resource::Topic
                | Resource::TopicTags
                | Resource::TopicPolicy
                | Resource::KmsKey
                | Resource::Subscription
        )
    };
    // For each shared key: where the first change with a write is (else the first change), and
    // that change's write.
    type Pick = ((Resource, String), (usize, usize), Option<WriteRequest>);
    let mut chosen: Vec<Pick> = Vec::new();
    for (pi, plan) in plans.iter().enumerate() {
        for (ci, c) in plan.changes.iter().enumerate().filter(|(_, c)| shared(c)) {
            let key = (c.resource, c.name.clone());
            match chosen.iter_mut().find(|(k, _, _)| *k == key) {
                None => chosen.push((key, (pi, ci), c.request.clone())),
                Some((_, at, req)) => {
                    if req.is_none() && c.request.is_some() {
                        *at = (pi, ci);
                        *req = c.request.clone();
                    }
                }
            }
        }
    }
    for (pi, plan) in plans.iter_mut().enumerate() {
        let mut ci = 0;
        plan.changes.retain(|c| {
            let here = ci;
            ci += 1;
            if !shared(c) {
                return true;
            }
            let key = (c.resource, c.name.clone());
            match chosen.iter().find(|(k, _, _)| *k == key) {
                None => true,
                // The chosen one, and any other distinct write (apply sends each write once).
                Some((_, at, req)) => {
                    *at == (pi, here) || (c.request.is_some() && c.request != *req)
                }
            }
        });
    }
}

/// The write requests of several plans (one per control), each sent once, in dependency order:
/// topic, topic policy, subscription, filters, alarms.
pub fn writes(plans: &[Plan]) -> Vec<&WriteRequest> {
    crate::write::in_order(plans.iter().flat_map(Plan::writes))
}

/// The one-line summary, e.g. `Plan: 3 to create, 1 to update, 2 unchanged; 1 step needs you (...)`.
pub fn summary_line(plan: &Plan) -> String {
    summary_text(&plan.changes, plan.blocked.as_deref())
}

/// [`summary_line`] of a plan's changes and why it is blocked, if it is.
pub fn summary_text(changes: &[Change], blocked: Option<&str>) -> String {
    if let Some(why) = blocked {
        return format!("Plan: blocked: {why}");
    }
    let s = Summary::of(changes);
    let mut line = format!(
        "Plan: {} to create, {} to update, {} unchanged",
        s.create, s.update, s.keep
    );
    let needs: Vec<String> = changes
        .iter()
        .filter(|c| c.action == Action::Blocked)
        .map(|c| {
            let short = c.reason.split(':').next().unwrap_or(&c.reason);
            format!("{}: {short}", resource_label(c.resource))
        })
        .collect();
    if !needs.is_empty() {
        let steps = if needs.len() == 1 {
            "step needs"
        } else {
            "steps need"
        };
        line.push_str(&format!(
            "; {} {steps} you ({})",
            needs.len(),
            needs.join("; ")
        ));
    }
    line
}

/// What a person reads for a resource: its name with spaces (`topic policy`).
pub fn resource_label(r: Resource) -> String {
    r.as_str().replace('_', " ")
}

impl Resource {
    pub const ALL: [Resource; 8] = [
        Resource::Topic,
        Resource::TopicTags,
        Resource::TopicPolicy,
        Resource::KmsKey,
        Resource::Subscription,
        Resource::MetricFilter,
        Resource::Alarm,
        Resource::AlarmTags,
    ];

    /// `topic`, `topic_tags`, `topic_policy`, `kms_key`, `subscription`, `metric_filter`,
    /// `alarm`, `alarm_tags`: the one source of its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Topic => "topic",
            Resource::TopicTags => "topic_tags",
            Resource::TopicPolicy => "topic_policy",
            Resource::KmsKey => "kms_key",
            Resource::Subscription => "subscription",
            Resource::MetricFilter => "metric_filter",
            Resource::Alarm => "alarm",
            Resource::AlarmTags => "alarm_tags",
        }
    }
}

words_schema!(
    Resource,
    "A resource a plan manages.",
    Resource::ALL.map(Resource::as_str)
);

impl From<Resource> for &'static str {
    fn from(r: Resource) -> &'static str {
        r.as_str()
    }
}

impl TryFrom<String> for Resource {
    type Error = String;
    fn try_from(s: String) -> Result<Resource, String> {
        Resource::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown resource {s:?}"))
    }
}

#[cfg(test)]
mod tests;
