//! One builder of hand-made `Observed` values for the audit and planner tests: a compliant
//! CIS 4.4 account (trail, log group, filter, alarm, topic with a confirmed subscriber) and the
//! parts it is made of, each test changing what it is about. The compliant account's alarm and
//! topic are trailwatch's (tagged); `good_alarm` alone is anyone's, [`ours`] makes it
//! trailwatch's.

use crate::control::Control;
use crate::observed::{
    Alarm, LogGroup, MetricFilter, MetricTransformation, Observed, Selectors, Subscription, Topic,
    Trail,
};

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms";
pub(crate) const LG: &str =
    "arn:aws:logs:us-east-1:123456789012:log-group:aws-controltower/CloudTrailLogs-abc123:*";

pub(crate) fn control() -> Control {
    Control::embedded()
}

pub(crate) fn trail() -> Trail {
    Trail {
        name: "org".into(),
        arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/org".into(),
        home_region: "us-east-1".into(),
        multi_region: true,
        organization: false,
        log_group_arn: Some(LG.into()),
        logging: Some(true),
        selectors: Some(Selectors::Default),
        read_error: None,
        ..Default::default()
    }
}

pub(crate) fn observed() -> Observed {
    Observed {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        trails: vec![trail()],
        log_groups: vec![LogGroup {
            arn: LG.into(),
            name: "aws-controltower/CloudTrailLogs-abc123".into(),
            region: "us-east-1".into(),
            account: ACCOUNT.into(),
            partition: "aws".into(),
            readable: true,
            ..Default::default()
        }],
    }
}

pub(crate) fn filter(name: &str, pattern: &str, metric: &str) -> MetricFilter {
    MetricFilter {
        name: name.into(),
        pattern: pattern.into(),
        metrics: vec![MetricTransformation {
            metric_name: metric.into(),
            namespace: "CISBenchmark".into(),
            value: "1".into(),
            default_value: None,
            unit: None,
            dimensions: Vec::new(),
        }],
    }
}

pub(crate) fn good_alarm(name: &str, metric: &str) -> Alarm {
    Alarm {
        name: name.into(),
        arn: format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"),
        metric_name: Some(metric.into()),
        namespace: Some("CISBenchmark".into()),
        statistic: Some("Sum".into()),
        period: Some(300),
        evaluation_periods: Some(1),
        threshold: Some(1.0),
        comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
        actions_enabled: true,
        alarm_actions: vec![TOPIC.into()],
        ..Default::default()
    }
}

pub(crate) fn topic(subs: &[(&str, &str)]) -> Topic {
    let default_policy = serde_json::json!({"Version": "2008-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:Subscribe"],
        "Resource": TOPIC, "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}}]});
    Topic {
        arn: TOPIC.into(),
        exists: true,
        policy: Some(default_policy.to_string()),
        kms_master_key_id: None,
        kms_key: None,
        subscriptions: Some(
            subs.iter()
                .map(|(arn, ep)| Subscription {
                    arn: arn.to_string(),
                    protocol: "email".into(),
                    endpoint: ep.to_string(),
                })
                .collect(),
        ),
        read_error: None,
        // The shared topic trailwatch created.
        tags: Some(crate::ownership::topic_tags()),
    }
}

/// `a` as trailwatch creates it: tagged, recording CIS 4.4's filter on the fixture's group.
pub(crate) fn ours(mut a: Alarm) -> Alarm {
    a.tags = Some(crate::ownership::alarm_tags(
        "cis-4.4",
        Some(("aws-controltower/CloudTrailLogs-abc123", "IAMPolicyChanges")),
    ));
    a
}

pub(crate) fn lg(o: &mut Observed) -> &mut LogGroup {
    &mut o.log_groups[0]
}

pub(crate) fn compliant() -> Observed {
    let mut o = observed();
    let canonical = control().canonical_pattern();
    lg(&mut o).filters = vec![filter("IAMPolicyChanges", &canonical, "IAMPolicyChanges")];
    lg(&mut o).alarms = vec![ours(good_alarm("IAMPolicyChanges", "IAMPolicyChanges"))];
    lg(&mut o).topics = vec![topic(&[(&format!("{TOPIC}:sub1"), "secops@example.com")])];
    o
}
