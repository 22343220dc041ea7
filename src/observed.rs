//! Plain data of what exists in one account and region, as discovery read it.
//!
//! Nothing here talks to AWS; `discover` fills it, `audit` and `plan` read it. It is serde data so
//! that a saved plan can fingerprint it and tests can build it by hand.

use serde::{Deserialize, Serialize};

/// Everything discovery read for one target and one control.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Observed {
    /// The account the credentials belong to (from `sts:GetCallerIdentity`).
    pub account: String,
    /// The region the user aimed at (`--region`).
    pub region: String,
    /// Trails seen by `DescribeTrails` (shadow trails included, de-duplicated by ARN).
    pub trails: Vec<Trail>,
    /// The candidate trails' log groups that were read, with what is attached to them: one for
    /// a single candidate, each readable one when several trails pass steps 1-3 (the audit
    /// chooses among them).
    pub log_groups: Vec<LogGroup>,
}

impl Observed {
    /// The log group `trail` delivers to, if it was read.
    pub fn log_group_of(&self, trail: &Trail) -> Option<&LogGroup> {
        let arn = trail.log_group_arn.as_deref()?;
        self.log_groups.iter().find(|lg| lg.arn == arn)
    }
}

/// One CloudTrail trail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Trail {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    pub log_group_arn: Option<String>,
    /// `GetTrailStatus.IsLogging`; `None` when it was not read.
    pub logging: Option<bool>,
    /// `GetTrailStatus.LatestCloudWatchLogsDeliveryError`: why CloudTrail last failed to deliver
    /// to the log group (e.g. its role lost permission). Filters and alarms see nothing then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
    /// `GetTrailStatus.LatestCloudWatchLogsDeliveryTime` (RFC 3339): the last successful delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_time: Option<String>,
    /// `GetEventSelectors`; `None` when it was not read.
    pub selectors: Option<Selectors>,
    /// Why the status or selectors could not be read (e.g. access denied in the home region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
}

/// A trail's event selectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selectors {
    /// No selectors returned: AWS's default, all management events, read and write.
    Default,
    Basic {
        selectors: Vec<BasicSelector>,
    },
    Advanced {
        selectors: Vec<AdvancedSelector>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BasicSelector {
    /// `ReadOnly`, `WriteOnly` or `All`.
    pub read_write_type: String,
    pub include_management_events: bool,
    /// `ExcludeManagementEventSources`: event sources whose management events are not logged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_management_event_sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

/// A CloudWatch Logs group named by a trail, with the filters, alarms and topics that hang off it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogGroup {
    pub arn: String,
    pub name: String,
    pub region: String,
    pub account: String,
    /// `arn:<partition>:...`: `aws`, `aws-us-gov`, `aws-cn`.
    pub partition: String,
    /// False when the group lives in another account: nothing below was read.
    pub readable: bool,
    /// The trail names a group that does not exist (`ResourceNotFoundException`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing: bool,
    pub filters: Vec<MetricFilter>,
    /// Alarms on the filters' metrics, plus the control's own alarm found by name.
    pub alarms: Vec<Alarm>,
    /// Topics the alarms notify, plus the shared topic; each read once.
    pub topics: Vec<Topic>,
    /// Composite alarms that hold one of the control's alarm names (a name trailwatch must not take).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub composite_alarms: Vec<String>,
}

/// A metric filter on the log group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricFilter {
    pub name: String,
    pub pattern: String,
    pub metrics: Vec<MetricTransformation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricTransformation {
    pub metric_name: String,
    pub namespace: String,
    pub value: String,
    pub default_value: Option<f64>,
    /// The unit the filter publishes with; `None` (no unit) unless the filter sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Dimensions the filter publishes the metric with (name -> `$.field`), sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<(String, String)>,
}

/// A CloudWatch metric alarm (only what the control cares about, plus what a repair must keep).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: Option<f64>,
    pub comparison_operator: Option<String>,
    pub treat_missing_data: Option<String>,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub dimensions: Vec<(String, String)>,
    pub unit: Option<String>,
    /// `EvaluateLowSampleCountPercentile` (`evaluate` or `ignore`) of a percentile alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// A metric-math alarm's queries (`Metrics`); empty for an alarm on one metric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricQuery>,
    /// The alarm's tags (`ListTagsForResource`), read by `fix` for alarms that hold a control's
    /// alarm name; `None` when not read. They tell whether trailwatch created the alarm
    /// ([`crate::ownership`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// Resource tags as (key, value) pairs, in the order AWS listed them.
pub type Tags = Vec<(String, String)>;

/// One query of a metric-math alarm: a metric with a statistic, or an expression over others.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricQuery {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    /// The query whose result the alarm compares with its threshold.
    pub return_data: bool,
}

/// `MetricStat` of a metric-math query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricStat {
    pub metric_name: String,
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
    pub period: Option<i32>,
    /// The account whose metric the query reads (cross-account metric math), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A KMS key that encrypts a topic, as `kms:DescribeKey` and `kms:GetKeyPolicy` saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KmsKey {
    /// What the topic names (`KmsMasterKeyId`): an alias, alias ARN, key id or key ARN.
    pub id: String,
    /// The key's ARN, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `AWS` (AWS-managed, e.g. `alias/aws/sns`) or `CUSTOMER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// `KeyState`: `Enabled`, `Disabled`, `PendingDeletion`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The key policy (JSON text), for a customer-managed key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Why the key could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
}

/// An SNS topic, as `GetTopicAttributes` and `ListSubscriptionsByTopic` saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Topic {
    pub arn: String,
    /// False when `GetTopicAttributes` said it does not exist.
    pub exists: bool,
    /// The topic policy document (JSON text), if any.
    pub policy: Option<String>,
    pub kms_master_key_id: Option<String>,
    /// The key behind `kms_master_key_id` (read to plan; `None` when not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<KmsKey>,
    /// `None` when the subscriptions could not be read (e.g. no permission).
    pub subscriptions: Option<Vec<Subscription>>,
    /// Why the topic could not be read, when it could not (e.g. access denied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<String>,
    /// The topic's tags (`ListTagsForResource`), read by `fix` for the shared topic; `None` when
    /// not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subscription {
    /// A real ARN once confirmed; `PendingConfirmation` (or `Deleted`) otherwise.
    pub arn: String,
    pub protocol: String,
    pub endpoint: String,
}

impl Subscription {
    /// Confirmed means SNS gave it a real subscription ARN.
    pub fn confirmed(&self) -> bool {
        self.arn.starts_with("arn:")
    }
}

impl Topic {
    /// The confirmed subscriptions, if they were read.
    pub fn confirmed(&self) -> impl Iterator<Item = &Subscription> {
        self.subscriptions
            .iter()
            .flatten()
            .filter(|s| s.confirmed())
    }
}

impl Alarm {
    /// The alarm watches this metric (name *and* namespace), directly or in one of its
    /// metric-math queries.
    pub fn watches(&self, metric: &str, namespace: &str) -> bool {
        (self.metric_name.as_deref() == Some(metric)
            && self.namespace.as_deref() == Some(namespace))
            || self.metrics.iter().any(|q| {
                q.metric_stat
                    .as_ref()
                    .is_some_and(|m| m.metric_name == metric && m.namespace == namespace)
            })
    }

    /// A metric-math alarm (`Metrics` instead of one metric).
    pub fn is_math(&self) -> bool {
        !self.metrics.is_empty()
    }

    /// The SNS topic ARNs among the alarm actions.
    pub fn sns_actions(&self) -> impl Iterator<Item = &String> {
        self.alarm_actions.iter().filter(|a| a.contains(":sns:"))
    }
}

impl LogGroup {
    pub fn topic(&self, arn: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.arn == arn)
    }
}

/// The parts of `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Split an ARN; `None` if it does not have the six parts.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut it = text.splitn(6, ':');
        let (arn, partition, service, region, account, resource) = (
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
        );
        if arn != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return None;
        }
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// A log group ARN (`...:log-group:NAME` or `...:log-group:NAME:*`) split into its place and name.
pub fn parse_log_group_arn(arn: &str) -> Option<(Arn<'_>, &str)> {
    let parts = Arn::parse(arn)?;
    if parts.service != "logs" {
        return None;
    }
    let name = parts.resource.strip_prefix("log-group:")?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    Some((parts, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_group_arns_split_into_region_account_and_name() {
        let (a, name) = parse_log_group_arn(
            "arn:aws:logs:eu-west-1:111122223333:log-group:aws-controltower/CloudTrailLogs-x1:*",
        )
        .unwrap();
        assert_eq!(
            (a.region, a.account, name),
            (
                "eu-west-1",
                "111122223333",
                "aws-controltower/CloudTrailLogs-x1"
            )
        );
        assert_eq!(
            parse_log_group_arn("arn:aws:logs:us-east-1:1:log-group:g")
                .unwrap()
                .1,
            "g"
        );
        assert!(parse_log_group_arn("arn:aws:sns:us-east-1:1:t").is_none());
        assert!(parse_log_group_arn("not an arn").is_none());
    }

    #[test]
    fn only_real_subscription_arns_are_confirmed() {
        let mut s = Subscription {
            arn: "PendingConfirmation".into(),
            ..Default::default()
        };
        assert!(!s.confirmed());
        s.arn = "arn:aws:sns:us-east-1:1:t:abc".into();
        assert!(s.confirmed());
    }
}
