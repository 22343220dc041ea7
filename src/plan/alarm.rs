//! Planning the alarm: keep one that already works, else repair trailwatch's own alarm keeping
//! what the user set on it, else create it; and which topic the alarm notifies.

use serde_json::{json, Value};

use super::*;

/// The document shown for an alarm, as `aws cloudwatch describe-alarms` prints it (PascalCase,
/// absent fields left out).
pub fn alarm_doc(a: &AlarmRequest) -> Value {
    let mut doc = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            doc.insert(k.to_string(), v);
        }
    };
    put("AlarmName", json!(a.alarm_name));
    put("AlarmDescription", json!(a.alarm_description));
    put("ActionsEnabled", json!(a.actions_enabled));
    put("OKActions", json!(a.ok_actions));
    put("AlarmActions", json!(a.alarm_actions));
    put(
        "InsufficientDataActions",
        json!(a.insufficient_data_actions),
    );
    if !a.metric_name.is_empty() {
        put("MetricName", json!(a.metric_name));
        put("Namespace", json!(a.namespace));
        let extended = a.statistic.starts_with('p') || a.statistic.contains('(');
        put(
            if extended {
                "ExtendedStatistic"
            } else {
                "Statistic"
            },
            json!(a.statistic),
        );
        put(
            "Dimensions",
            a.dimensions
                .iter()
                .map(|(k, v)| json!({ "Name": k, "Value": v }))
                .collect(),
        );
        put("Period", json!(a.period));
        put("Unit", json!(a.unit));
    }
    put("EvaluationPeriods", json!(a.evaluation_periods));
    put("DatapointsToAlarm", json!(a.datapoints_to_alarm));
    put("Threshold", json!(a.threshold));
    put("ComparisonOperator", json!(a.comparison_operator));
    put("TreatMissingData", json!(a.treat_missing_data));
    Value::Object(doc)
}

/// A metric-math alarm's document: the alarm's own fields plus its `Metrics` queries.
fn math_doc(a: &Alarm, region: &str) -> Value {
    let mut doc = alarm_doc(&alarm_request_of(a, region));
    doc["Metrics"] = a
        .metrics
        .iter()
        .map(|q| {
            let mut v = json!({ "Id": q.id, "ReturnData": q.return_data });
            if let Some(e) = &q.expression {
                v["Expression"] = json!(e);
            }
            if let Some(m) = &q.metric_stat {
                let mut metric = json!({ "Namespace": m.namespace, "MetricName": m.metric_name });
                if !m.dimensions.is_empty() {
                    metric["Dimensions"] = m
                        .dimensions
                        .iter()
                        .map(|(k, v)| json!({ "Name": k, "Value": v }))
                        .collect();
                }
                v["MetricStat"] = json!({ "Metric": metric, "Period": m.period, "Stat": m.stat });
            }
            v
        })
        .collect();
    doc
}

/// The document of an existing alarm.
fn existing_doc(a: &Alarm, region: &str) -> Value {
    if a.is_math() {
        math_doc(a, region)
    } else {
        alarm_doc(&alarm_request_of(a, region))
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

impl Ctx<'_> {
    /// The alarm, and the topic it will notify.
    pub(super) fn alarm(&self, metric: &Metric) -> (Change, String) {
        let spec = &self.control.alarm;
        let on_metric: Vec<&Alarm> = self
            .lg
            .alarms
            .iter()
            .filter(|a| a.watches(&metric.metric_name, &metric.namespace))
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
                a.name, metric.namespace, metric.metric_name
            );
            let doc = existing_doc(a, &self.region());
            return (keep(Resource::Alarm, &a.name, reason, Some(doc)), topic);
        }
        let topic = wanted_topic.map(str::to_string).unwrap_or(shared);
        let ours = self.lg.alarms.iter().find(|a| a.name == spec.name);
        let mut desired = AlarmRequest {
            region: self.region(),
            alarm_name: spec.name.clone(),
            alarm_description: Some(spec.description.clone()),
            metric_name: metric.metric_name.clone(),
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
                let problems = alarm_problems_on(a, metric);
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
        if let Some(math) = ours.filter(|a| a.is_math()) {
            let problems = alarm_problems_on(math, metric);
            let reason = format!(
                "a metric-math alarm already holds the name {} ({}): trailwatch never overwrites it; fix it yourself or give the alarm another name in the control spec{notes}",
                spec.name,
                problems.join(", ")
            );
            return (
                blocked(
                    Resource::Alarm,
                    &spec.name,
                    reason,
                    Some(existing_doc(math, &self.region())),
                ),
                topic,
            );
        }
        let Some(current) = ours else {
            let reason = format!(
                "no alarm on {}/{} fires on one event and notifies SNS{notes}",
                metric.namespace, metric.metric_name
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
        let mut what = alarm_problems_on(current, metric);
        if current.metric_name.as_deref() != Some(metric.metric_name.as_str())
            || current.namespace.as_deref() != Some(metric.namespace.as_str())
        {
            what.push(format!(
                "watches {}/{}, not {}/{}",
                was.namespace, was.metric_name, metric.namespace, metric.metric_name
            ));
        }
        if !current.alarm_actions.contains(&topic) {
            what.push(format!("does not notify {topic}"));
        }
        desired.alarm_description = was.alarm_description.clone().or(desired.alarm_description);
        // The user's missing-data treatment is kept unless it is what keeps the alarm from
        // notifying (`breaching`/`ignore` with no default value): then the spec's.
        desired.treat_missing_data = was
            .treat_missing_data
            .clone()
            .filter(|t| {
                metric.default_value.is_some() || !matches!(t.as_str(), "breaching" | "ignore")
            })
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::{change, plan_for};
    use super::super::*;
    use crate::audit::{audit, MatchMode};
    use crate::fixtures::*;

    #[test]
    fn our_alarm_without_action_is_repaired_keeping_what_the_user_set() {
        let mut o = compliant();
        let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
        a.alarm_actions = vec!["arn:aws:automate:us-east-1:ec2:stop".into()];
        a.ok_actions = vec!["arn:aws:sns:us-east-1:123456789012:ok-topic".into()];
        a.description = Some("set by the security team".into());
        a.statistic = Some("Average".into());
        a.period = Some(60);
        a.datapoints_to_alarm = Some(3);
        lg(&mut o).alarms = vec![a];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(c.action, Action::Update);
        match c.request.as_ref().unwrap() {
            WriteRequest::PutMetricAlarm(r) => {
                assert_eq!(
                    r.alarm_actions,
                    vec![
                        "arn:aws:automate:us-east-1:ec2:stop".to_string(),
                        TOPIC.to_string()
                    ]
                );
                assert_eq!(
                    r.ok_actions,
                    vec!["arn:aws:sns:us-east-1:123456789012:ok-topic".to_string()]
                );
                assert_eq!(
                    r.alarm_description.as_deref(),
                    Some("set by the security team")
                );
                assert_eq!((r.statistic.as_str(), r.period), ("Sum", 300));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            c.reason.contains("needs 3 breaching periods") && c.reason.contains("does not notify"),
            "{}",
            c.reason
        );
    }

    #[test]
    fn a_foreign_alarm_is_never_modified_and_ours_is_created_beside_it() {
        let mut o = compliant();
        let mut foreign = good_alarm("someone-elses", "IAMPolicyChanges");
        foreign.alarm_actions.clear();
        lg(&mut o).alarms = vec![foreign];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(
            (c.action, c.name.as_str()),
            (Action::Create, "IAMPolicyChanges")
        );
        assert!(c.reason.contains("someone-elses"), "{}", c.reason);
        assert!(!p.writes().any(
            |w| matches!(w, WriteRequest::PutMetricAlarm(a) if a.alarm_name == "someone-elses")
        ));
    }

    #[test]
    fn an_alarm_in_another_namespace_does_not_count_and_ours_is_moved() {
        let mut o = compliant();
        let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
        a.namespace = Some("LogMetrics".into());
        lg(&mut o).alarms = vec![a];
        let c = control();
        assert!(!audit(&c, &o, MatchMode::Strict).steps[4].ok);
        let p = plan_for(&o, &Options::default());
        let ch = change(&p, Resource::Alarm);
        assert_eq!(ch.action, Action::Update);
        assert!(
            ch.reason.contains("watches LogMetrics/IAMPolicyChanges"),
            "{}",
            ch.reason
        );
    }

    #[test]
    fn a_composite_alarm_holding_our_name_is_not_replaced() {
        let mut o = observed();
        lg(&mut o).composite_alarms = vec!["IAMPolicyChanges".into()];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(c.action, Action::Blocked);
        assert!(c.reason.contains("composite"));
    }

    #[test]
    fn an_alarm_whose_unit_differs_from_the_metric_is_not_working_and_is_repaired() {
        let mut o = compliant();
        let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
        a.unit = Some("Count".into());
        lg(&mut o).alarms = vec![a];
        let au = audit(&control(), &o, MatchMode::Strict);
        assert!(!au.steps[4].ok, "{:#?}", au.steps[4]);
        assert!(
            au.steps[4].detail.contains("unit Count"),
            "{}",
            au.steps[4].detail
        );
        let p = plan_for(&o, &Options::default());
        match change(&p, Resource::Alarm).request.as_ref().unwrap() {
            WriteRequest::PutMetricAlarm(r) => assert_eq!(r.unit, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_working_alarm_with_another_statistic_is_kept_not_duplicated() {
        for stat in ["Maximum", "Average", "Minimum", "SampleCount"] {
            let mut o = compliant();
            lg(&mut o).alarms[0].statistic = Some(stat.into());
            let p = plan_for(&o, &Options::default());
            assert_eq!(p.writes().count(), 0, "{stat}: {p:#?}");
            assert_eq!(change(&p, Resource::Alarm).action, Action::Keep, "{stat}");
        }
    }

    #[test]
    fn a_metric_math_alarm_holding_our_name_is_never_overwritten() {
        use crate::observed::{MetricQuery, MetricStat};
        let mut o = compliant();
        let math = Alarm {
            name: "IAMPolicyChanges".into(),
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:IAMPolicyChanges".into(),
            threshold: Some(1.0),
            comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
            evaluation_periods: Some(1),
            actions_enabled: true,
            metrics: vec![
                MetricQuery {
                    id: "m1".into(),
                    metric_stat: Some(MetricStat {
                        metric_name: "IAMPolicyChanges".into(),
                        namespace: "CISBenchmark".into(),
                        stat: "Sum".into(),
                        period: Some(300),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                MetricQuery {
                    id: "e1".into(),
                    expression: Some("RATE(m1)".into()),
                    return_data: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        lg(&mut o).alarms = vec![math];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(c.action, Action::Blocked, "{c:#?}");
        assert!(
            c.reason.contains("metric-math") && c.reason.contains("RATE(m1)"),
            "{}",
            c.reason
        );
        assert!(c.current.as_ref().unwrap()["Metrics"].is_array());
        assert!(!p
            .writes()
            .any(|w| matches!(w, WriteRequest::PutMetricAlarm(_))));
    }

    #[test]
    fn our_alarm_that_treats_missing_data_as_breaching_is_repaired_not_kept() {
        let mut o = compliant();
        lg(&mut o).alarms[0].treat_missing_data = Some("breaching".into());
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(c.action, Action::Update, "{c:#?}");
        match c.request.as_ref() {
            Some(WriteRequest::PutMetricAlarm(a)) => {
                assert_eq!(a.treat_missing_data.as_deref(), Some("notBreaching"))
            }
            other => panic!("{other:?}"),
        }
    }
}
