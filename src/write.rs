//! The write side as plain data, beside `observed.rs` (what was read): the write requests a plan
//! carries and apply sends exactly, the subscription endpoint the user asked for, what a sent
//! write answered, and the order writes go out in. Nothing here talks to AWS.

use serde::{Deserialize, Serialize};

use crate::observed::{MetricTransformation, Tags};

/// An SNS endpoint from `--subscribe PROTOCOL:ENDPOINT` (validated by the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Endpoint {
    pub protocol: String,
    pub endpoint: String,
}

/// An AWS write request, exactly as apply will send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "operation")]
pub enum WriteRequest {
    #[serde(rename = "sns:CreateTopic")]
    CreateTopic {
        region: String,
        name: String,
        /// The ARN the plan expects; apply stops if AWS answers with another.
        topic_arn: String,
        /// Set on the new topic: what makes it trailwatch's ([`crate::ownership`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty", with = "tag_map")]
        #[schemars(with = "std::collections::BTreeMap<String, String>")]
        tags: Tags,
    },
    /// Tags added to an existing topic (adopted with `--adopt`); other tags are kept.
    #[serde(rename = "sns:TagResource")]
    TagTopic {
        region: String,
        topic_arn: String,
        #[serde(with = "tag_map")]
        #[schemars(with = "std::collections::BTreeMap<String, String>")]
        tags: Tags,
    },
    #[serde(rename = "sns:SetTopicAttributes")]
    SetTopicPolicy {
        region: String,
        topic_arn: String,
        attribute_name: String,
        policy: String,
        /// The policy the plan was made from (`null`: none). Apply re-reads the policy just
        /// before writing and refuses if it changed, so a statement someone added meanwhile is
        /// never lost.
        #[serde(default)]
        expected_current: Option<serde_json::Value>,
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
    /// Tags added to an existing alarm (adopted with `--adopt`, or recording the filter it now
    /// watches); other tags are kept. `PutMetricAlarm` sets tags only when it creates.
    #[serde(rename = "cloudwatch:TagResource")]
    TagAlarm {
        region: String,
        alarm_arn: String,
        #[serde(with = "tag_map")]
        #[schemars(with = "std::collections::BTreeMap<String, String>")]
        tags: Tags,
    },
}

/// A full `PutMetricAlarm` request: it replaces the alarm, so it carries everything to keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// `EvaluateLowSampleCountPercentile` of a percentile alarm, carried over on a repair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// Tags of a new alarm (AWS ignores them when the alarm exists).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "tag_map")]
    #[schemars(with = "std::collections::BTreeMap<String, String>")]
    pub tags: Tags,
}

/// Tags on the wire as a JSON object (`{"trailwatch:managed": "true"}`), in their order.
mod tag_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::observed::Tags;

    pub(super) fn serialize<S: Serializer>(tags: &Tags, s: S) -> Result<S::Ok, S::Error> {
        let map: serde_json::Map<String, serde_json::Value> = tags
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        map.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tags, D::Error> {
        let map = std::collections::BTreeMap::<String, String>::deserialize(d)?;
        Ok(map.into_iter().collect())
    }
}

impl WriteRequest {
    pub fn operation(&self) -> &'static str {
        match self {
            WriteRequest::CreateTopic { .. } => "sns:CreateTopic",
            WriteRequest::SetTopicPolicy { .. } => "sns:SetTopicAttributes",
            WriteRequest::Subscribe { .. } => "sns:Subscribe",
            WriteRequest::PutMetricFilter { .. } => "logs:PutMetricFilter",
            WriteRequest::PutMetricAlarm(_) => "cloudwatch:PutMetricAlarm",
            WriteRequest::TagTopic { .. } => "sns:TagResource",
            WriteRequest::TagAlarm { .. } => "cloudwatch:TagResource",
        }
    }
}

/// One write that was sent.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Applied {
    pub operation: &'static str,
    pub name: String,
    /// What AWS answered that is worth showing (a new ARN, `pending confirmation`).
    pub result: String,
}

/// The distinct write requests among `requests`, each once, in dependency order: topic, topic
/// policy, subscription, filters, alarms (a stable sort: the plans' order within each kind).
pub(crate) fn in_order<'a>(
    requests: impl IntoIterator<Item = &'a WriteRequest>,
) -> Vec<&'a WriteRequest> {
    let mut writes: Vec<&WriteRequest> = Vec::new();
    for w in requests {
        if !writes.contains(&w) {
            writes.push(w);
        }
    }
    writes.sort_by_key(|w| order(w));
    writes
}

fn order(w: &WriteRequest) -> u8 {
    match w {
        WriteRequest::CreateTopic { .. } => 0,
        WriteRequest::TagTopic { .. } => 1,
        WriteRequest::SetTopicPolicy { .. } => 2,
        WriteRequest::Subscribe { .. } => 3,
        WriteRequest::PutMetricFilter { .. } => 4,
        WriteRequest::PutMetricAlarm(_) => 5,
        WriteRequest::TagAlarm { .. } => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str) -> WriteRequest {
        WriteRequest::CreateTopic {
            region: "us-east-1".into(),
            name: name.into(),
            topic_arn: format!("arn:aws:sns:us-east-1:123456789012:{name}"),
            tags: Vec::new(),
        }
    }

    fn filter(name: &str) -> WriteRequest {
        WriteRequest::PutMetricFilter {
            region: "us-east-1".into(),
            log_group_name: "g".into(),
            filter_name: name.into(),
            filter_pattern: "{$.a=1}".into(),
            metric_transformations: Vec::new(),
        }
    }

    #[test]
    fn writes_go_out_once_each_topic_first_in_plan_order_within_a_kind() {
        let (a, b, t) = (filter("a"), filter("b"), topic("t"));
        let order: Vec<&WriteRequest> = in_order([&b, &t, &a, &b, &t]);
        assert_eq!(order, vec![&t, &b, &a]);
    }

    #[test]
    fn operations_are_named_as_the_wire_names_them() {
        for w in [topic("t"), filter("f")] {
            let v = serde_json::to_value(&w).unwrap();
            assert_eq!(v["operation"], w.operation());
        }
    }
}
