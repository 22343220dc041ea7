//! `trailwatch guardrails scp`: a service control policy (SCP) that denies the writes that
//! would break the chain trailwatch keeps (the trail, its log group and the metric filters on
//! it, the alarms, the topic), except to the principals given. Pure: the resources read in, a
//! policy out.
//!
//! Metric filters are authorised on their log group's ARN, so denying `logs:PutMetricFilter`
//! and `logs:DeleteMetricFilter` on the trail's log group is what protects them.

use std::collections::BTreeSet;

use serde_json::{json, Value};

/// An SCP's size limit, in characters (AWS Organizations).
pub(crate) const MAX_CHARS: usize = 5_120;

/// What the guardrail protects, as ARNs, across every target read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Protected {
    pub trails: BTreeSet<String>,
    /// Log group ARNs without the `:*` suffix.
    pub log_groups: BTreeSet<String>,
    pub alarms: BTreeSet<String>,
    pub topics: BTreeSet<String>,
}

impl Protected {
    pub(crate) fn is_empty(&self) -> bool {
        self.trails.is_empty()
            && self.log_groups.is_empty()
            && self.alarms.is_empty()
            && self.topics.is_empty()
    }
}

/// The denied actions of each part of the chain.
const TRAIL: [&str; 4] = [
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
];
const LOG_GROUP: [&str; 3] = [
    "logs:DeleteLogGroup",
    "logs:DeleteMetricFilter",
    "logs:PutMetricFilter",
];
const ALARMS: [&str; 4] = [
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:SetAlarmState",
];
const TOPIC: [&str; 5] = [
    "sns:DeleteTopic",
    "sns:SetTopicAttributes",
    "sns:RemovePermission",
    "sns:Unsubscribe",
    "sns:Subscribe",
];

/// The policy, minified, within [`MAX_CHARS`]: exact ARNs when they fit, else the same names
/// in every account and region (`arn:aws:logs:*:*:log-group:NAME`). `Err` says why it cannot.
pub(crate) fn policy(p: &Protected, exempt: &[String]) -> Result<Value, String> {
    if p.is_empty() {
        return Err("no trail, log group, alarm or topic was found to protect".into());
    }
    let exact = build(p, exempt, false);
    if size(&exact) <= MAX_CHARS {
        return Ok(exact);
    }
    let wide = build(p, exempt, true);
    let n = size(&wide);
    if n <= MAX_CHARS {
        return Ok(wide);
    }
    Err(format!(
        "the policy needs {n} characters even with account and region wildcards, over the SCP limit of {MAX_CHARS}: give fewer accounts, or give the resources common names"
    ))
}

/// The minified policy's length (what AWS Organizations counts).
pub(crate) fn size(policy: &Value) -> usize {
    policy.to_string().chars().count()
}

fn build(p: &Protected, exempt: &[String], wide: bool) -> Value {
    let arns = |set: &BTreeSet<String>| -> Vec<String> {
        let out: BTreeSet<String> = set
            .iter()
            .map(|a| if wide { any_place(a) } else { a.clone() })
            .collect();
        out.into_iter().collect()
    };
    let groups: Vec<String> = arns(&p.log_groups)
        .into_iter()
        .flat_map(|g| [g.clone(), format!("{g}:*")])
        .collect();
    let parts = [
        ("ProtectTheTrail", &TRAIL[..], arns(&p.trails)),
        (
            "ProtectTheLogGroupAndItsMetricFilters",
            &LOG_GROUP[..],
            groups,
        ),
        ("ProtectTheAlarms", &ALARMS[..], arns(&p.alarms)),
        ("ProtectTheTopic", &TOPIC[..], arns(&p.topics)),
    ];
    let statements: Vec<Value> = parts
        .into_iter()
        .filter(|(_, _, resources)| !resources.is_empty())
        .map(|(sid, actions, resources)| {
            let mut s = json!({
                "Sid": sid,
                "Effect": "Deny",
                "Action": actions,
                "Resource": resources,
            });
            if !exempt.is_empty() {
                s["Condition"] = json!({"ArnNotLike": {"aws:PrincipalArn": exempt}});
            }
            s
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// An ARN with its region and account made wildcards.
fn any_place(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        [a, partition, service, _, _, rest] => format!("{a}:{partition}:{service}:*:*:{rest}"),
        _ => arn.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // IAM's wildcard match, as the topic-policy judge uses it.
    use crate::delivery::topic_policy::glob as like;

    /// Whether the policy denies `action` on `resource` to `principal`: a Deny statement whose
    /// action and resource match and whose `ArnNotLike` condition (if any) holds.
    fn denied(policy: &Value, action: &str, resource: &str, principal: &str) -> bool {
        let list = |v: &Value| -> Vec<String> {
            match v {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            }
        };
        policy["Statement"].as_array().unwrap().iter().any(|s| {
            s["Effect"] == "Deny"
                && list(&s["Action"])
                    .iter()
                    .any(|a| like(&a.to_lowercase(), &action.to_lowercase()))
                && list(&s["Resource"]).iter().any(|r| like(r, resource))
                && match s.pointer("/Condition/ArnNotLike/aws:PrincipalArn") {
                    Some(exempt) => !list(exempt).iter().any(|e| like(e, principal)),
                    None => true,
                }
        })
    }

    const TRAIL_ARN: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org";
    const GROUP: &str =
        "arn:aws:logs:us-east-1:111122223333:log-group:aws-controltower/CloudTrailLogs";
    const ALARM: &str = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:IAMPolicyChanges";
    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:cis-benchmark-alarms";
    const SOMEONE: &str = "arn:aws:iam::111122223333:role/Developer";
    const OURS: &str = "arn:aws:iam::111122223333:role/TrailwatchWrite";

    fn protected() -> Protected {
        Protected {
            trails: [TRAIL_ARN.to_string()].into(),
            log_groups: [GROUP.to_string()].into(),
            alarms: [ALARM.to_string()].into(),
            topics: [TOPIC_ARN.to_string()].into(),
        }
    }

    #[test]
    fn the_chain_is_denied_to_everyone_but_the_exempt_roles() {
        let exempt = vec!["arn:aws:iam::*:role/Trailwatch*".to_string()];
        let p = policy(&protected(), &exempt).unwrap();
        for (action, resource) in [
            ("cloudtrail:StopLogging", TRAIL_ARN),
            ("cloudtrail:PutEventSelectors", TRAIL_ARN),
            // Metric filters are authorised on the log group.
            ("logs:DeleteMetricFilter", &format!("{GROUP}:*")),
            ("logs:PutMetricFilter", &format!("{GROUP}:*")),
            ("logs:DeleteLogGroup", GROUP),
            ("cloudwatch:DeleteAlarms", ALARM),
            ("cloudwatch:DisableAlarmActions", ALARM),
            ("sns:Unsubscribe", TOPIC_ARN),
            ("sns:SetTopicAttributes", TOPIC_ARN),
        ] {
            assert!(
                denied(&p, action, resource, SOMEONE),
                "{action} on {resource}"
            );
            assert!(!denied(&p, action, resource, OURS), "{action}: exempt");
        }
        // What it does not protect stays allowed.
        let other_alarm = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:HighCPU";
        assert!(!denied(&p, "cloudwatch:DeleteAlarms", other_alarm, SOMEONE));
        assert!(!denied(
            &p,
            "logs:PutLogEvents",
            &format!("{GROUP}:*"),
            SOMEONE
        ));
        let other_group = "arn:aws:logs:us-east-1:111122223333:log-group:/app/web:*";
        assert!(!denied(&p, "logs:PutMetricFilter", other_group, SOMEONE));
        assert!(size(&p) <= MAX_CHARS);
        // Without an exempt role, no condition: trailwatch's own writes are denied too.
        let strict = policy(&protected(), &[]).unwrap();
        assert!(denied(&strict, "cloudwatch:PutMetricAlarm", ALARM, OURS));
    }

    #[test]
    fn many_accounts_share_wildcards_and_too_many_names_are_refused() {
        let mut p = Protected::default();
        for i in 0..200 {
            let account = format!("{:012}", 100_000_000_000u64 + i);
            p.trails
                .insert(format!("arn:aws:cloudtrail:us-east-1:{account}:trail/org"));
            p.log_groups.insert(format!(
                "arn:aws:logs:us-east-1:{account}:log-group:aws-controltower/CloudTrailLogs"
            ));
            p.alarms.insert(format!(
                "arn:aws:cloudwatch:us-east-1:{account}:alarm:IAMPolicyChanges"
            ));
            p.topics.insert(format!(
                "arn:aws:sns:us-east-1:{account}:cis-benchmark-alarms"
            ));
        }
        let wide = policy(&p, &[]).unwrap();
        assert!(size(&wide) <= MAX_CHARS, "{}", size(&wide));
        let some = "arn:aws:cloudwatch:eu-west-1:100000000150:alarm:IAMPolicyChanges";
        assert!(denied(&wide, "cloudwatch:DeleteAlarms", some, SOMEONE));
        for i in 0..300 {
            p.alarms.insert(format!(
                "arn:aws:cloudwatch:us-east-1:111122223333:alarm:team-{i}-alarm"
            ));
        }
        let why = policy(&p, &[]).unwrap_err();
        assert!(why.starts_with("the policy needs "), "{why}");
        assert!(policy(&Protected::default(), &[]).is_err());
    }

    #[test]
    fn the_wildcard_match_is_iams() {
        assert!(like("arn:aws:iam::*:role/Trailwatch*", OURS));
        assert!(!like("arn:aws:iam::*:role/Trailwatch*", SOMEONE));
        assert!(like("a?c", "abc"));
        assert!(!like("a?c", "ac"));
    }
}
