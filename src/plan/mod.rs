//! Pure: (Control, Observed, Audit, Options) -> Plan.
//!
//! A plan is a list of changes, one per resource (topic, topic policy, subscription, metric filter,
//! alarm), each `create`, `update`, `keep` or `blocked`, with the current and desired documents,
//! the reason, and the exact write request apply will send. It reuses what is already right and
//! never plans a write to a resource trailwatch neither created nor was told to use.

pub mod topic_policy;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::{alarm_problems_on, Audit, MatchMode};
use crate::control::Control;
use crate::observed::{Alarm, Arn, LogGroup, MetricFilter, MetricTransformation, Observed, Topic};
use crate::pattern::Verdict;
use crate::redact;
use topic_policy::{AlarmOrigin, Publish};

/// What the user asked for, beyond the control.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub mode: MatchMode,
    /// Use this topic instead of the control's shared topic.
    pub topic_arn: Option<String>,
    /// Subscribe this endpoint when the topic has no confirmed subscriber.
    pub subscribe: Option<Endpoint>,
}

/// An SNS endpoint from `--subscribe PROTOCOL:ENDPOINT` (validated by the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub protocol: String,
    pub endpoint: String,
}

/// The resources a plan manages, in the order apply writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Topic,
    TopicPolicy,
    Subscription,
    MetricFilter,
    Alarm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Keep,
    /// Cannot be done by the tool: the user must act (confirm a subscription, fix a trail, ...).
    Blocked,
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// An AWS write request, exactly as apply will send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation")]
pub enum WriteRequest {
    #[serde(rename = "sns:CreateTopic")]
    CreateTopic {
        region: String,
        name: String,
        /// The ARN the plan expects; apply stops if AWS answers with another.
        topic_arn: String,
    },
    #[serde(rename = "sns:SetTopicAttributes")]
    SetTopicPolicy {
        region: String,
        topic_arn: String,
        attribute_name: String,
        policy: String,
    },
    #[serde(rename = "sns:Subscribe")]
    Subscribe {
        region: String,
        topic_arn: String,
        protocol: String,
        /// Shown redacted (credentials in URLs); sent as given.
        #[serde(serialize_with = "crate::redact::serialize_endpoint")]
        endpoint: String,
    },
    #[serde(rename = "logs:PutMetricFilter")]
    PutMetricFilter {
        region: String,
        log_group_name: String,
        filter_name: String,
        filter_pattern: String,
        metric_transformations: Vec<MetricTransformation>,
    },
    #[serde(rename = "cloudwatch:PutMetricAlarm")]
    PutMetricAlarm(Box<AlarmRequest>),
}

/// A full `PutMetricAlarm` request: it replaces the alarm, so it carries everything to keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRequest {
    pub region: String,
    pub alarm_name: String,
    pub alarm_description: Option<String>,
    pub metric_name: String,
    pub namespace: String,
    pub statistic: String,
    pub period: i32,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: Option<String>,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub dimensions: Vec<(String, String)>,
    pub unit: Option<String>,
}

impl WriteRequest {
    pub fn operation(&self) -> &'static str {
        match self {
            WriteRequest::CreateTopic { .. } => "sns:CreateTopic",
            WriteRequest::SetTopicPolicy { .. } => "sns:SetTopicAttributes",
            WriteRequest::Subscribe { .. } => "sns:Subscribe",
            WriteRequest::PutMetricFilter { .. } => "logs:PutMetricFilter",
            WriteRequest::PutMetricAlarm(_) => "cloudwatch:PutMetricAlarm",
        }
    }
}

/// The plan for one control in one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub keep: usize,
    pub blocked: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Keep => s.keep += 1,
                Action::Blocked => s.blocked += 1,
            }
        }
        s
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
    let Some(lg) = observed.log_group.as_ref() else {
        plan.blocked = Some("the trail's log group was not read".into());
        return plan;
    };
    plan.region = lg.region.clone();
    plan.log_group = Some(lg.arn.clone());
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
    let (filter_change, metric) = ctx.filter(audit);
    let (mut alarm_change, topic_arn) = ctx.alarm(&metric);
    let (topic_change, topic_created) = ctx.topic(&topic_arn);
    let (mut policy_change, mut subscription_change) = if ctx.told_to_use(&topic_arn) {
        (
            ctx.topic_policy(&topic_arn, &alarm_change.name, topic_created),
            ctx.subscription(&topic_arn),
        )
    } else {
        // A topic only someone else's alarm uses: report, never write to it.
        ctx.foreign_topic(&topic_arn, &alarm_change.name)
    };
    if topic_change.action == Action::Blocked {
        // Nothing that needs the topic may be written while the topic cannot be had.
        let why = format!("the topic {topic_arn} must exist first (see the topic change)");
        for c in [
            &mut alarm_change,
            &mut policy_change,
            &mut subscription_change,
        ] {
            if c.request.is_some() {
                c.action = Action::Blocked;
                c.reason = format!("{}; {why}", c.reason);
                c.desired = None;
                c.request = None;
            }
        }
    }
    plan.changes = vec![
        topic_change,
        policy_change,
        subscription_change,
        filter_change,
        alarm_change,
    ];
    plan
}

struct Ctx<'a> {
    control: &'a Control,
    observed: &'a Observed,
    lg: &'a LogGroup,
    opts: &'a Options,
}

/// The metric the alarm must watch.
#[derive(Debug, Clone, PartialEq)]
struct Metric {
    name: String,
    namespace: String,
    /// The unit the filter publishes with (none for the control's own filter).
    unit: Option<String>,
}

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

fn filter_doc(f: &MetricFilter) -> Value {
    json!({
        "filterName": f.name,
        "filterPattern": f.pattern,
        "metricTransformations": f.metrics.iter().map(|m| json!({
            "metricName": m.metric_name, "metricNamespace": m.namespace,
            "metricValue": m.value, "defaultValue": m.default_value,
        })).collect::<Vec<_>>(),
    })
}

/// The document shown for an alarm: the fields a `PutMetricAlarm` carries.
pub fn alarm_doc(a: &AlarmRequest) -> Value {
    match serde_json::to_value(a) {
        Ok(Value::Object(map)) => Value::Object(
            map.into_iter()
                .filter(|(k, v)| k != "region" && !v.is_null())
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn alarm_request_of(a: &Alarm, region: &str) -> AlarmRequest {
    AlarmRequest {
        region: region.to_string(),
        alarm_name: a.name.clone(),
        alarm_description: a.description.clone(),
        metric_name: a.metric_name.clone().unwrap_or_default(),
        namespace: a.namespace.clone().unwrap_or_default(),
        statistic: a
            .statistic
            .clone()
            .or_else(|| a.extended_statistic.clone())
            .unwrap_or_default(),
        period: a.period.unwrap_or_default(),
        evaluation_periods: a.evaluation_periods.unwrap_or_default(),
        datapoints_to_alarm: a.datapoints_to_alarm,
        threshold: a.threshold.unwrap_or_default(),
        comparison_operator: a.comparison_operator.clone().unwrap_or_default(),
        treat_missing_data: a.treat_missing_data.clone(),
        actions_enabled: a.actions_enabled,
        alarm_actions: a.alarm_actions.clone(),
        ok_actions: a.ok_actions.clone(),
        insufficient_data_actions: a.insufficient_data_actions.clone(),
        dimensions: a.dimensions.clone(),
        unit: a.unit.clone(),
    }
}

fn topic_doc(t: &Topic) -> Value {
    json!({ "TopicArn": t.arn, "KmsMasterKeyId": t.kms_master_key_id })
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

    /// Alarms on `metric` that fire on one event and notify an SNS topic.
    fn working_alarms<'b>(&'b self, metric: &'b Metric) -> impl Iterator<Item = &'b Alarm> + 'b {
        self.lg.alarms.iter().filter(move |a| {
            a.metric_name.as_deref() == Some(metric.name.as_str())
                && a.namespace.as_deref() == Some(metric.namespace.as_str())
                && alarm_problems_on(a, metric.unit.as_deref()).is_empty()
                && a.sns_actions().next().is_some()
        })
    }

    /// The metric filter: keep a compliant one (ours or anyone's), else repair ours, else create.
    fn filter(&self, audit: &Audit) -> (Change, Metric) {
        let spec = &self.control.filter;
        let ours = Metric {
            name: spec.metric_name.clone(),
            namespace: spec.namespace.clone(),
            unit: None,
        };
        let judged: Vec<(&MetricFilter, &crate::audit::FilterVerdict)> =
            self.lg.filters.iter().zip(&audit.filters).collect();
        let publishes = |f: &MetricFilter, m: &Metric| {
            f.metrics
                .iter()
                .any(|t| t.metric_name == m.name && t.namespace == m.namespace)
        };
        // Notes on filters that are not reused, so the plan says why.
        let others: Vec<String> = judged
            .iter()
            .filter(|(_, v)| !v.compliant)
            .map(|(f, v)| {
                let why = match v.verdict {
                    Verdict::Equivalent => " but --match strict (the default, what Security Hub checks) accepts only the exact CIS pattern".to_string(),
                    Verdict::Exact => " but publishes no metric".to_string(),
                    _ if !v.detail.is_empty() => format!(" ({})", v.detail),
                    _ => String::new(),
                };
                format!("filter {} is {}{why}", f.name, v.verdict.as_str())
            })
            .collect();
        let notes = if others.is_empty() {
            String::new()
        } else {
            format!("; {}", others.join("; "))
        };
        let compliant = || judged.iter().filter(|(_, v)| v.compliant).map(|(f, _)| *f);
        // A compliant filter whose metric already has a working alarm is the one the audit
        // follows: keep it, whatever its name or metric, so a compliant account gets no write.
        let working = compliant()
            .flat_map(|f| {
                f.metrics.iter().map(move |m| {
                    let metric = Metric {
                        name: m.metric_name.clone(),
                        namespace: m.namespace.clone(),
                        unit: m.unit.clone(),
                    };
                    (f, metric)
                })
            })
            .filter_map(|(f, metric)| {
                let best = self
                    .working_alarms(&metric)
                    .map(|a| a.sns_actions().any(|t| self.confirmed(t)))
                    .max()?;
                Some((best, f.name == spec.name, f, metric))
            })
            .max_by_key(|(confirmed, ours, _, _)| (*confirmed, *ours))
            .map(|(_, _, f, metric)| (f, metric));
        let chosen = working
            .or_else(|| {
                compliant()
                    .filter(|f| publishes(f, &ours))
                    .max_by_key(|f| f.name == spec.name)
                    .map(|f| (f, ours.clone()))
            })
            .or_else(|| {
                compliant().find(|f| f.name != spec.name).map(|f| {
                    let m = &f.metrics[0];
                    (
                        f,
                        Metric {
                            name: m.metric_name.clone(),
                            namespace: m.namespace.clone(),
                            unit: m.unit.clone(),
                        },
                    )
                })
            });
        if let Some((f, metric)) = chosen {
            let v = judged
                .iter()
                .find(|(g, _)| std::ptr::eq(*g, f))
                .map(|(_, v)| v.verdict);
            let whose = if f.name == spec.name {
                "trailwatch's filter".to_string()
            } else {
                format!("existing filter {} reused (no duplicate)", f.name)
            };
            let security_hub = if v == Some(Verdict::Equivalent) {
                " (compliant by meaning, but Security Hub CloudWatch.4 accepts only the exact CIS pattern and will still fail it)"
            } else {
                ""
            };
            let reason = format!(
                "{whose} is {}{security_hub} and publishes {}/{}{notes}",
                v.map(|v| v.as_str()).unwrap_or("exact"),
                metric.namespace,
                metric.name
            );
            return (
                keep(Resource::MetricFilter, &f.name, reason, Some(filter_doc(f))),
                metric,
            );
        }
        let desired = MetricFilter {
            name: spec.name.clone(),
            pattern: self.control.canonical_pattern(),
            metrics: vec![MetricTransformation {
                metric_name: spec.metric_name.clone(),
                namespace: spec.namespace.clone(),
                value: spec.metric_value.clone(),
                default_value: None,
                unit: None,
            }],
        };
        let request = WriteRequest::PutMetricFilter {
            region: self.region(),
            log_group_name: self.lg.name.clone(),
            filter_name: desired.name.clone(),
            filter_pattern: desired.pattern.clone(),
            metric_transformations: desired.metrics.clone(),
        };
        let current = self.lg.filters.iter().find(|f| f.name == spec.name);
        let (action, reason) = match current {
            Some(f) => {
                let v = judged
                    .iter()
                    .find(|(g, _)| std::ptr::eq(*g, f))
                    .map(|(_, v)| v.verdict.as_str())
                    .unwrap_or("not valid");
                let what = if f.pattern != desired.pattern {
                    format!("its pattern is {v}")
                } else {
                    "it does not publish the control's metric".to_string()
                };
                (
                    Action::Update,
                    format!(
                        "trailwatch's filter {}: {what}; set the CIS pattern and metric{notes}",
                        f.name
                    ),
                )
            }
            None => (
                Action::Create,
                format!(
                    "no filter on {} matches the {} events{notes}",
                    self.lg.name,
                    self.control.events.len()
                ),
            ),
        };
        let change = Change {
            resource: Resource::MetricFilter,
            action,
            name: desired.name.clone(),
            reason,
            current: current.map(filter_doc),
            desired: Some(filter_doc(&desired)),
            request: Some(request),
        };
        (change, ours)
    }

    /// The alarm, and the topic it will notify.
    fn alarm(&self, metric: &Metric) -> (Change, String) {
        let spec = &self.control.alarm;
        let on_metric: Vec<&Alarm> = self
            .lg
            .alarms
            .iter()
            .filter(|a| {
                a.metric_name.as_deref() == Some(metric.name.as_str())
                    && a.namespace.as_deref() == Some(metric.namespace.as_str())
            })
            .collect();
        let wanted_topic = self.opts.topic_arn.as_deref();
        // An alarm that already fires on one event and notifies SNS is kept as it is.
        let working = self
            .working_alarms(metric)
            .filter(|a| wanted_topic.is_none_or(|t| a.sns_actions().any(|x| x == t)))
            .max_by_key(|a| {
                (
                    a.sns_actions().any(|t| self.confirmed(t)),
                    a.name == spec.name,
                )
            });
        let shared = self.shared_topic_arn();
        if let Some(a) = working {
            let topic = wanted_topic
                .map(str::to_string)
                .or_else(|| a.sns_actions().find(|t| self.confirmed(t)).cloned())
                .or_else(|| a.sns_actions().find(|t| **t == shared).cloned())
                .or_else(|| a.sns_actions().next().cloned())
                .unwrap_or(shared);
            let reason = format!(
                "alarm {} on {}/{} fires on one event and notifies {topic}",
                a.name, metric.namespace, metric.name
            );
            let doc = alarm_doc(&alarm_request_of(a, &self.region()));
            return (keep(Resource::Alarm, &a.name, reason, Some(doc)), topic);
        }
        let topic = wanted_topic.map(str::to_string).unwrap_or(shared);
        let ours = self.lg.alarms.iter().find(|a| a.name == spec.name);
        let mut desired = AlarmRequest {
            region: self.region(),
            alarm_name: spec.name.clone(),
            alarm_description: Some(spec.description.clone()),
            metric_name: metric.name.clone(),
            namespace: metric.namespace.clone(),
            statistic: spec.statistic.clone(),
            period: spec.period,
            evaluation_periods: spec.evaluation_periods,
            datapoints_to_alarm: None,
            threshold: spec.threshold,
            comparison_operator: spec.comparison_operator.clone(),
            treat_missing_data: Some(spec.treat_missing_data.clone()),
            actions_enabled: true,
            alarm_actions: vec![topic.clone()],
            ok_actions: Vec::new(),
            insufficient_data_actions: Vec::new(),
            dimensions: Vec::new(),
            unit: metric.unit.clone(),
        };
        let foreign: Vec<String> = on_metric
            .iter()
            .filter(|a| a.name != spec.name)
            .map(|a| {
                let problems = alarm_problems_on(a, metric.unit.as_deref());
                let why = if problems.is_empty() {
                    "has no SNS action".to_string()
                } else {
                    problems.join(", ")
                };
                format!(
                    "alarm {} ({why}) is not trailwatch's and is left unchanged",
                    a.name
                )
            })
            .collect();
        let notes = if foreign.is_empty() {
            String::new()
        } else {
            format!("; {}", foreign.join("; "))
        };
        if ours.is_none() && self.lg.composite_alarms.contains(&spec.name) {
            let reason = format!(
                "a composite alarm already holds the name {}: trailwatch will not replace it; give the alarm another name in the control spec",
                spec.name
            );
            return (blocked(Resource::Alarm, &spec.name, reason, None), topic);
        }
        let Some(current) = ours else {
            let reason = format!(
                "no alarm on {}/{} fires on one event and notifies SNS{notes}",
                metric.namespace, metric.name
            );
            return (
                Change {
                    resource: Resource::Alarm,
                    action: Action::Create,
                    name: spec.name.clone(),
                    reason,
                    current: None,
                    desired: Some(alarm_doc(&desired)),
                    request: Some(WriteRequest::PutMetricAlarm(Box::new(desired))),
                },
                topic,
            );
        };
        // Repair trailwatch's alarm in place, keeping what the user set on it.
        let was = alarm_request_of(current, &self.region());
        let mut what = alarm_problems_on(current, metric.unit.as_deref());
        if current.metric_name.as_deref() != Some(metric.name.as_str())
            || current.namespace.as_deref() != Some(metric.namespace.as_str())
        {
            what.push(format!(
                "watches {}/{}, not {}/{}",
                was.namespace, was.metric_name, metric.namespace, metric.name
            ));
        }
        if !current.alarm_actions.contains(&topic) {
            what.push(format!("does not notify {topic}"));
        }
        desired.alarm_description = was.alarm_description.clone().or(desired.alarm_description);
        desired.treat_missing_data = was
            .treat_missing_data
            .clone()
            .or(desired.treat_missing_data);
        desired.alarm_actions = was.alarm_actions.clone();
        if !desired.alarm_actions.contains(&topic) {
            desired.alarm_actions.push(topic.clone());
        }
        desired.ok_actions = was.ok_actions.clone();
        desired.insufficient_data_actions = was.insufficient_data_actions.clone();
        let reason = format!(
            "trailwatch's alarm {}: {}{notes}",
            current.name,
            what.join(", ")
        );
        let change = if desired == was {
            keep(
                Resource::Alarm,
                &current.name,
                reason,
                Some(alarm_doc(&was)),
            )
        } else {
            Change {
                resource: Resource::Alarm,
                action: Action::Update,
                name: current.name.clone(),
                reason,
                current: Some(alarm_doc(&was)),
                desired: Some(alarm_doc(&desired)),
                request: Some(WriteRequest::PutMetricAlarm(Box::new(desired))),
            }
        };
        (change, topic)
    }

    /// The topic: keep it if it exists; create it when it is the shared topic (or a named one in
    /// this account and region); otherwise the user must.
    fn topic(&self, arn: &str) -> (Change, bool) {
        let name = arn.rsplit(':').next().unwrap_or(arn).to_string();
        if let Some(e) = self.lg.topic(arn).and_then(|t| t.read_error.as_deref()) {
            let reason = format!(
                "topic {arn} could not be read ({e}): nothing that depends on it is planned"
            );
            return (blocked(Resource::Topic, arn, reason, None), false);
        }
        if let Some(t) = self.lg.topic(arn).filter(|t| t.exists) {
            let reason = if arn == self.shared_topic_arn() {
                "the shared topic for all monitoring alarms exists".to_string()
            } else {
                format!("topic {arn} exists")
            };
            return (
                keep(Resource::Topic, arn, reason, Some(topic_doc(t))),
                false,
            );
        }
        let parts = Arn::parse(arn);
        let here = parts.as_ref().is_some_and(|a| {
            a.account == self.observed.account
                && a.region == self.lg.region
                && a.partition == self.lg.partition
        });
        if !here {
            let reason = format!(
                "topic {arn} does not exist or cannot be read, and it is not in account {} region {}, so trailwatch cannot create it",
                self.observed.account, self.lg.region
            );
            return (blocked(Resource::Topic, arn, reason, None), false);
        }
        let reason = if arn == self.shared_topic_arn() {
            "the shared topic for all monitoring alarms does not exist".to_string()
        } else {
            format!("topic {arn} does not exist")
        };
        let change = Change {
            resource: Resource::Topic,
            action: Action::Create,
            name: arn.to_string(),
            reason,
            current: None,
            desired: Some(json!({ "TopicArn": arn, "Name": name })),
            request: Some(WriteRequest::CreateTopic {
                region: self.region(),
                name,
                topic_arn: arn.to_string(),
            }),
        };
        (change, true)
    }

    /// trailwatch may write to this topic: it is the control's shared topic or `--topic-arn`.
    fn told_to_use(&self, arn: &str) -> bool {
        arn == self.shared_topic_arn() || self.opts.topic_arn.as_deref() == Some(arn)
    }

    /// Policy and subscription of a topic that only another (working) alarm uses: judged, shown,
    /// never written. Passing it as `--topic-arn` lets trailwatch manage it.
    fn foreign_topic(&self, arn: &str, alarm_name: &str) -> (Change, Change) {
        let advice = format!("the topic is not trailwatch's: fix it yourself, or pass --topic-arn {arn} to let trailwatch manage it");
        let mut policy = self.topic_policy(arn, alarm_name, false);
        let mut subscription = self.subscription(arn);
        for c in [&mut policy, &mut subscription] {
            if c.request.is_some() {
                c.action = Action::Blocked;
                c.reason = format!("{}; {advice}", c.reason);
                c.desired = None;
                c.request = None;
            }
        }
        (policy, subscription)
    }

    /// The topic policy: CloudWatch must be allowed to publish for this account's alarms.
    fn topic_policy(&self, arn: &str, alarm_name: &str, created: bool) -> Change {
        if created {
            return keep(
                Resource::TopicPolicy,
                arn,
                "the policy CreateTopic gives already lets this account's alarms publish",
                None,
            );
        }
        let Some(topic) = self.lg.topic(arn).filter(|t| t.exists) else {
            return blocked(
                Resource::TopicPolicy,
                arn,
                "the topic must exist first",
                None,
            );
        };
        if let Some(key) = &topic.kms_master_key_id {
            if key == "alias/aws/sns" || key.ends_with(":alias/aws/sns") {
                return blocked(
                    Resource::TopicPolicy,
                    arn,
                    "the topic is encrypted with the AWS-managed key alias/aws/sns, whose policy cannot grant cloudwatch.amazonaws.com: alarms fail to publish silently. Use a customer-managed key that grants cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*",
                    Some(topic_doc(topic)),
                );
            }
        }
        let origin = AlarmOrigin {
            partition: &self.lg.partition,
            region: &self.lg.region,
            account: &self.observed.account,
            alarm_name,
        };
        let current: Option<Value> = match topic.policy.as_deref().map(serde_json::from_str) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                return blocked(
                    Resource::TopicPolicy,
                    arn,
                    format!("the topic policy is not valid JSON ({e}): trailwatch will not rewrite a policy it cannot read"),
                    None,
                )
            }
        };
        let verdict = current
            .as_ref()
            .map(|p| topic_policy::cloudwatch_can_publish(p, arn, &origin))
            .unwrap_or(Publish::NotAllowed);
        let kms_note = match &topic.kms_master_key_id {
            Some(k) => format!("; the topic is encrypted with {k}: its key policy must grant cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* (not checked)"),
            None => String::new(),
        };
        match verdict {
            Publish::Allowed(why) => keep(Resource::TopicPolicy, arn, format!("{why}{kms_note}"), current),
            Publish::Denied(why) => blocked(
                Resource::TopicPolicy,
                arn,
                format!("{why}; an added Allow would not override it: the topic's owner must change the policy"),
                current,
            ),
            Publish::NotAllowed => {
                let owner = Arn::parse(arn).map(|a| a.account.to_string()).unwrap_or_default();
                if owner != self.observed.account {
                    return blocked(
                        Resource::TopicPolicy,
                        arn,
                        format!("the topic is in account {owner}: its owner must allow cloudwatch.amazonaws.com to publish for account {}'s alarms", self.observed.account),
                        current,
                    );
                }
                let merged = topic_policy::merge(current.as_ref(), topic_policy::statement(arn, &origin));
                Change {
                    resource: Resource::TopicPolicy,
                    action: Action::Update,
                    name: arn.to_string(),
                    reason: format!(
                        "no statement lets cloudwatch.amazonaws.com publish for this account's alarms: merge statement {:?}, keep the rest{kms_note}",
                        topic_policy::SID
                    ),
                    current,
                    desired: Some(merged.clone()),
                    request: Some(WriteRequest::SetTopicPolicy {
                        region: self.region(),
                        topic_arn: arn.to_string(),
                        attribute_name: "Policy".into(),
                        policy: merged.to_string(),
                    }),
                }
            }
        }
    }

    /// The subscription: a confirmed one is enough; else `--subscribe`; else the user must act.
    fn subscription(&self, arn: &str) -> Change {
        let topic = self.lg.topic(arn).filter(|t| t.exists);
        let subs = topic
            .and_then(|t| t.subscriptions.as_deref())
            .unwrap_or(&[]);
        if let Some(s) = subs.iter().find(|s| s.confirmed()) {
            let doc = json!({ "Protocol": s.protocol, "Endpoint": redact::endpoint(&s.endpoint), "SubscriptionArn": s.arn });
            return keep(
                Resource::Subscription,
                format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)),
                "the topic has a confirmed subscriber",
                Some(doc),
            );
        }
        let pending: Vec<String> = subs
            .iter()
            .map(|s| format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)))
            .collect();
        match &self.opts.subscribe {
            Some(ep) => {
                let name = format!("{}:{}", ep.protocol, redact::endpoint(&ep.endpoint));
                if pending.contains(&name) {
                    return blocked(
                        Resource::Subscription,
                        name,
                        "subscription pending confirmation: the receiver must confirm it (subscribing again would not help)",
                        None,
                    );
                }
                let confirm = match ep.protocol.as_str() {
                    "email" | "email-json" | "https" | "http" => {
                        "; the receiver must then confirm it before step 7 passes"
                    }
                    _ => "",
                };
                Change {
                    resource: Resource::Subscription,
                    action: Action::Create,
                    name: name.clone(),
                    reason: format!("the topic has no confirmed subscriber: subscribe {name}{confirm}"),
                    current: None,
                    desired: Some(json!({ "Protocol": ep.protocol, "Endpoint": redact::endpoint(&ep.endpoint), "TopicArn": arn })),
                    request: Some(WriteRequest::Subscribe {
                        region: self.region(),
                        topic_arn: arn.to_string(),
                        protocol: ep.protocol.clone(),
                        endpoint: ep.endpoint.clone(),
                    }),
                }
            }
            None if !pending.is_empty() => blocked(
                Resource::Subscription,
                pending.join(", "),
                "subscription pending confirmation: the receiver must confirm it",
                None,
            ),
            None => blocked(
                Resource::Subscription,
                "(none)",
                "the topic has no confirmed subscriber: pass --subscribe PROTOCOL:ENDPOINT (email, https, sqs or lambda)",
                None,
            ),
        }
    }
}

/// The one-line summary, e.g. `Plan: 3 to create, 1 to update, 2 unchanged; 1 step needs you (...)`.
pub fn summary_line(plan: &Plan) -> String {
    if let Some(why) = &plan.blocked {
        return format!("Plan: blocked: {why}");
    }
    let s = plan.summary();
    let mut line = format!(
        "Plan: {} to create, {} to update, {} unchanged",
        s.create, s.update, s.keep
    );
    let needs: Vec<String> = plan
        .changes
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

pub fn resource_label(r: Resource) -> &'static str {
    match r {
        Resource::Topic => "topic",
        Resource::TopicPolicy => "topic policy",
        Resource::Subscription => "subscription",
        Resource::MetricFilter => "metric filter",
        Resource::Alarm => "alarm",
    }
}

#[cfg(test)]
mod tests;
