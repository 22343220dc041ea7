//! The chain of steps: 1-3 on the chosen trail, then 4-7 on its log group (filter -> alarm ->
//! topic -> confirmed subscription), each failure naming its Security Hub reason.

use crate::control::Control;
use crate::delivery::topic_policy::AlarmOrigin;
use crate::observed::{Alarm, LogGroup, MetricFilter, Observed, Trail};
use crate::pattern::Verdict;

use super::trail::trail_steps;
use super::{alarm_problems_on, FilterVerdict, MatchMode, Reason, Step};

/// Steps 1-7 for one control on the chosen `trail` (`None`: none qualifies) and its log group
/// `lg` (`None`: not read).
pub(super) fn steps(
    control: &Control,
    observed: &Observed,
    trail: Option<&Trail>,
    lg: Option<&LogGroup>,
    mode: MatchMode,
    verdicts: &[FilterVerdict],
) -> Vec<Step> {
    let mut out = Vec::with_capacity(7);
    let Some(trail) = trail else {
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
        out.extend(Step::fail_from(1, Reason::TrailNotPresent, None, detail));
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
                out.extend(Step::fail_from(
                    n,
                    Reason::TrailNotPresent,
                    Some(trail.arn.clone()),
                    detail,
                ));
                return out;
            }
        }
    }
    let Some(lg) = lg else {
        out.extend(Step::fail_from(
            4,
            Reason::FiltersNotPresent,
            None,
            "the trail's log group was not read",
        ));
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
        out.extend(Step::fail_from(
            4,
            Reason::FiltersNotPresent,
            Some(lg.arn.clone()),
            format!(
                "the trail's log group {where_} is in another account than {}: filters and alarms must be set up there; run trailwatch with credentials for account {} in {}",
                observed.account, lg.account, lg.region
            ),
        ));
        return out;
    }
    if lg.missing {
        out.extend(Step::fail_from(
            4,
            Reason::FiltersNotPresent,
            Some(lg.arn.clone()),
            format!(
                "the trail's log group {where_} does not exist: CloudTrail cannot deliver to it and no filter can be set on it; fix the trail or recreate the group"
            ),
        ));
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
            (
                Reason::FiltersNotPresent,
                format!("no metric filter on {where_}"),
            )
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
                Reason::FilterNotValid,
                format!(
                    "no filter on {where_} covers {}{mode_note}: {}",
                    control.requirement(),
                    each.join("; ")
                ),
            )
        };
        out.extend(Step::fail_from(4, reason, Some(lg.arn.clone()), detail));
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
    // Topics a working alarm notifies but CloudWatch cannot deliver to (policy, key).
    let mut undeliverable: Vec<(&Alarm, String)> = Vec::new();
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
                    let origin = AlarmOrigin {
                        partition: &lg.partition,
                        region: &lg.region,
                        account: &observed.account,
                        alarm_name: &a.name,
                    };
                    if let Some(why) = lg
                        .topic(topic)
                        .and_then(|t| crate::delivery::blocked(t, &origin))
                    {
                        undeliverable.push((a, format!("topic {topic}: {why}")));
                        continue;
                    }
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
            out.extend(Step::fail_from(5, Reason::AlarmsNotPresent, None, detail));
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
            let blocked: Vec<&str> = undeliverable
                .iter()
                .filter(|(a, _)| a.name == alarm.name)
                .map(|(_, why)| why.as_str())
                .collect();
            let detail = if blocked.is_empty() {
                format!(
                    "alarm {} has no SNS topic among its alarm actions",
                    alarm.name
                )
            } else {
                format!(
                    "alarm {} notifies no SNS topic CloudWatch can deliver to: {}",
                    alarm.name,
                    blocked.join("; ")
                )
            };
            out.extend(Step::fail_from(
                6,
                Reason::AlarmActionsNotValid,
                Some(alarm.name.clone()),
                detail,
            ));
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
            Reason::SubscriptionNotPresent,
            Some(topic.to_string()),
            detail,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::{audit, MatchMode, Reason};
    use crate::control::Control;
    use crate::fixtures::{compliant, lg, TOPIC};

    /// Step 6 holds only for a topic CloudWatch can deliver to: its policy and its key.
    #[test]
    fn a_topic_cloudwatch_cannot_deliver_to_fails_step_6() {
        let c = Control::embedded();
        assert!(audit(&c, &compliant(), MatchMode::Strict).compliant);

        let mut o = compliant();
        let deny = serde_json::json!({"Statement": [
            {"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "SNS:Publish", "Resource": TOPIC},
            {"Sid": "NoCloudWatch", "Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": "SNS:Publish", "Resource": TOPIC}]});
        lg(&mut o).topics[0].policy = Some(deny.to_string());
        let a = audit(&c, &o, MatchMode::Strict);
        assert_eq!(a.steps[5].reason, Some(Reason::AlarmActionsNotValid));
        assert!(
            a.steps[5].detail.contains("NoCloudWatch") && !a.steps[6].ok,
            "{:#?}",
            a.steps
        );

        let mut o = compliant();
        lg(&mut o).topics[0].kms_master_key_id = Some("alias/aws/sns".into());
        let a = audit(&c, &o, MatchMode::Strict);
        assert!(
            !a.steps[5].ok && a.steps[5].detail.contains("AWS-managed"),
            "{:#?}",
            a.steps[5]
        );

        // A policy that was not read (no attributes) is not judged: step 6 stands.
        let mut o = compliant();
        lg(&mut o).topics[0].policy = None;
        assert!(audit(&c, &o, MatchMode::Strict).compliant);
    }
}
