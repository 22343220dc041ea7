//! Planning the alarm: keep one that already works, else repair trailwatch's own alarm keeping
//! what the user set on it, else create it; and which topic the alarm notifies.

use serde_json::{json, Value};

use super::*;
use crate::ownership;

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
    put(
        "EvaluateLowSampleCountPercentile",
        json!(a.evaluate_low_sample_count_percentile),
    );
    if !a.tags.is_empty() {
        put("Tags", tags_doc(&a.tags));
    }
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
        evaluate_low_sample_count_percentile: a.evaluate_low_sample_count_percentile.clone(),
        tags: Vec::new(),
    }
}

/// The planned alarm: its change, the topic it notifies, and the tags trailwatch must add to an
/// existing alarm (adopted, or recording a new filter of its own).
pub(super) struct AlarmPlan {
    pub(super) change: Change,
    pub(super) topic: String,
    pub(super) tags: Option<Change>,
}

/// Which alarm trailwatch writes, when none works.
enum Target<'a> {
    /// Its own alarm (tagged), or one adopted with `--adopt`: repaired in place.
    Repair(&'a Alarm, bool),
    /// A new alarm under this name.
    Create(String),
    /// Both names are held by alarms it may not write.
    Blocked(String),
}

impl Ctx<'_> {
    /// The alarm, and the topic it will notify. `owned_filter` is the filter that is
    /// trailwatch's once applied: its alarm records it.
    pub(super) fn alarm(&self, metric: &Metric, owned_filter: Option<&str>) -> AlarmPlan {
        let spec = &self.control.alarm;
        let beside_name = ownership::beside(&spec.name);
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
                    ownership::alarm_is_ours(a),
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
            let whose = if ownership::alarm_is_ours(a) {
                "trailwatch's alarm"
            } else {
                "alarm"
            };
            let reason = format!(
                "{whose} {} on {}/{} fires on one event and notifies {topic}",
                a.name, metric.namespace, metric.metric_name
            );
            let doc = existing_doc(a, &self.region());
            let tags = ownership::alarm_is_ours(a)
                .then(|| self.alarm_tags(a, owned_filter, false))
                .flatten();
            return AlarmPlan {
                change: keep(Resource::Alarm, &a.name, reason, Some(doc)),
                topic,
                tags,
            };
        }
        let topic = wanted_topic.map(str::to_string).unwrap_or(shared);
        let named = |n: &str| self.lg.alarms.iter().find(|a| a.name == n);
        let composite = |n: &str| self.lg.composite_alarms.iter().any(|c| c == n);
        let free = |n: &str| named(n).is_none() && !composite(n);
        let ours = |a: &&Alarm| !a.is_math() && ownership::alarm_is_ours(a);
        let adoptable = |a: &&Alarm| !a.is_math() && self.opts.adopt;
        // What holds a name trailwatch leaves alone, said once in the reason.
        let held_note = |n: &str| -> String {
            match named(n) {
                _ if composite(n) => format!(
                    "; a composite alarm holds the name {n}: trailwatch never replaces it"
                ),
                Some(a) if a.is_math() => format!(
                    "; metric-math alarm {n} ({}) holds the control's name: trailwatch never overwrites it",
                    alarm_problems_on(a, metric).join(", ")
                ),
                Some(a) => {
                    let problems = alarm_problems_on(a, metric);
                    let why = if problems.is_empty() {
                        "has no SNS action".to_string()
                    } else {
                        problems.join(", ")
                    };
                    format!(
                        "; alarm {n} ({why}) holds the control's name but was not created by trailwatch: left unchanged (pass --adopt to let trailwatch repair it)"
                    )
                }
                None => String::new(),
            }
        };
        let (held, beside) = (named(&spec.name), named(&beside_name));
        let (target, left) = if let Some(a) = held.filter(ours) {
            (Target::Repair(a, false), String::new())
        } else if let Some(b) = beside.filter(ours) {
            (Target::Repair(b, false), held_note(&spec.name))
        } else if free(&spec.name) {
            (Target::Create(spec.name.clone()), String::new())
        } else if let Some(a) = held.filter(adoptable) {
            (Target::Repair(a, true), String::new())
        } else if free(&beside_name) {
            (Target::Create(beside_name.clone()), held_note(&spec.name))
        } else if let Some(b) = beside.filter(adoptable) {
            (Target::Repair(b, true), held_note(&spec.name))
        } else {
            let why = format!(
                "the names {} and {beside_name} are held by alarms trailwatch did not create{}{}; pass --adopt to let trailwatch repair one, or give the alarm another name in the control spec",
                spec.name,
                held_note(&spec.name),
                held_note(&beside_name)
            );
            (Target::Blocked(why), String::new())
        };
        // Other alarms on the metric that do not work: named, never touched.
        let others: Vec<String> = on_metric
            .iter()
            .filter(|a| !ownership::holds(&a.name, &spec.name))
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
        let notes = if others.is_empty() {
            left
        } else {
            format!("{left}; {}", others.join("; "))
        };
        let current = match target {
            Target::Blocked(why) => {
                return AlarmPlan {
                    change: blocked(Resource::Alarm, &spec.name, why, None),
                    topic,
                    tags: None,
                }
            }
            Target::Create(name) => {
                let desired = AlarmRequest {
                    region: self.region(),
                    alarm_name: name.clone(),
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
                    evaluate_low_sample_count_percentile: None,
                    tags: self.desired_alarm_tags(owned_filter),
                };
                let reason = format!(
                    "no alarm on {}/{} fires on one event and notifies SNS{notes}",
                    metric.namespace, metric.metric_name
                );
                return AlarmPlan {
                    change: Change {
                        resource: Resource::Alarm,
                        action: Action::Create,
                        name,
                        reason,
                        current: None,
                        desired: Some(alarm_doc(&desired)),
                        request: Some(WriteRequest::PutMetricAlarm(Box::new(desired))),
                    },
                    topic,
                    tags: None,
                };
            }
            Target::Repair(current, adopted) => (current, adopted),
        };
        let (current, adopted) = current;
        // Repair in place: only the fields that stop it notifying change; everything else the
        // user set (period, evaluation window, description, other actions, ...) is kept.
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
        let repaired = self.minimal_repair(current, metric);
        let mut desired = alarm_request_of(&repaired, &self.region());
        if desired.alarm_description.is_none() {
            desired.alarm_description = Some(spec.description.clone());
        }
        if !desired.alarm_actions.contains(&topic) {
            desired.alarm_actions.push(topic.clone());
        }
        let whose = if adopted {
            format!(
                "alarm {} (not created by trailwatch, adopted with --adopt)",
                current.name
            )
        } else {
            format!("trailwatch's alarm {}", current.name)
        };
        let reason = format!("{whose}: {}{notes}", what.join(", "));
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
        AlarmPlan {
            change,
            topic,
            tags: self.alarm_tags(current, owned_filter, adopted),
        }
    }

    /// The tags trailwatch's alarm carries: managed, its control, its filter when trailwatch's.
    fn desired_alarm_tags(&self, owned_filter: Option<&str>) -> crate::observed::Tags {
        ownership::alarm_tags(
            &self.control.id,
            owned_filter.map(|f| (self.lg.name.as_str(), f)),
        )
    }

    /// The tag change an existing alarm needs (adopted, or recording a new filter), if any.
    fn alarm_tags(&self, a: &Alarm, owned_filter: Option<&str>, adopted: bool) -> Option<Change> {
        let want = self.desired_alarm_tags(owned_filter);
        let add = ownership::missing(a.tags.as_ref(), &want);
        if add.is_empty() {
            return None;
        }
        let after = ownership::with_tags(a.tags.as_ref(), &add);
        let reason = if adopted {
            format!("adopted with --adopt: tag alarm {} as trailwatch's", a.name)
        } else {
            format!(
                "record filter {} as trailwatch's on its alarm {}",
                owned_filter.unwrap_or_default(),
                a.name
            )
        };
        Some(Change {
            resource: Resource::AlarmTags,
            action: Action::Update,
            name: a.name.clone(),
            reason,
            current: a.tags.as_deref().map(tags_doc),
            desired: Some(tags_doc(&after)),
            request: Some(WriteRequest::TagAlarm {
                region: self.region(),
                alarm_arn: a.arn.clone(),
                tags: add,
            }),
        })
    }

    /// `current` changed only where it stops notifying on one event of `metric`: each field is
    /// set to the spec's (or the metric's) only when that removes a problem the audit finds, in
    /// an order that keeps the user's choices longest; whatever still fails gets the spec.
    fn minimal_repair(&self, current: &Alarm, metric: &Metric) -> Alarm {
        let spec = self.spec_alarm(metric);
        let mut a = current.clone();
        a.metric_name = spec.metric_name.clone();
        a.namespace = spec.namespace.clone();
        type Fix = fn(&mut Alarm, &Alarm);
        let fixes: [Fix; 10] = [
            |a, s| a.treat_missing_data = s.treat_missing_data.clone(),
            |a, _| a.actions_enabled = true,
            |a, _| a.evaluate_low_sample_count_percentile = None,
            |a, _| {
                a.datapoints_to_alarm = (a.evaluation_periods.unwrap_or(1) > 1).then_some(1);
            },
            |a, s| a.dimensions = s.dimensions.clone(),
            |a, s| a.unit = s.unit.clone(),
            |a, s| a.threshold = s.threshold,
            |a, s| a.comparison_operator = s.comparison_operator.clone(),
            |a, s| {
                a.threshold = s.threshold;
                a.comparison_operator = s.comparison_operator.clone();
            },
            |a, s| {
                a.statistic = s.statistic.clone();
                a.extended_statistic = None;
                a.evaluate_low_sample_count_percentile = None;
            },
        ];
        // The metric's dimensions: an alarm must name exactly those.
        let mut spec = spec;
        spec.dimensions = metric.dimensions.clone();
        for fix in fixes {
            let now = alarm_problems_on(&a, metric).len();
            if now == 0 {
                return a;
            }
            let mut b = a.clone();
            fix(&mut b, &spec);
            if alarm_problems_on(&b, metric).len() < now {
                a = b;
            }
        }
        if !alarm_problems_on(&a, metric).is_empty() {
            // No single field explains it: the spec's settings, keeping actions and description.
            let keep = a;
            a = Alarm {
                name: keep.name,
                arn: keep.arn,
                description: keep.description,
                alarm_actions: keep.alarm_actions,
                ok_actions: keep.ok_actions,
                insufficient_data_actions: keep.insufficient_data_actions,
                tags: keep.tags,
                ..spec
            };
        }
        a
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
        let mut a = ours(good_alarm("IAMPolicyChanges", "IAMPolicyChanges"));
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
                // Average fires on one event of a value-1 metric: the user's statistic and
                // period are kept; only the datapoint count that stopped it changes.
                assert_eq!((r.statistic.as_str(), r.period), ("Average", 60));
                assert_eq!(r.datapoints_to_alarm, None);
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
        let mut a = ours(good_alarm("IAMPolicyChanges", "IAMPolicyChanges"));
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
    fn a_composite_alarm_holding_our_name_is_not_replaced_ours_goes_beside_it() {
        let mut o = observed();
        lg(&mut o).composite_alarms = vec!["IAMPolicyChanges".into()];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(
            (c.action, c.name.as_str()),
            (Action::Create, "IAMPolicyChanges-trailwatch")
        );
        assert!(
            c.reason
                .contains("a composite alarm holds the name IAMPolicyChanges"),
            "{}",
            c.reason
        );
        // Both names taken: blocked, nothing written.
        lg(&mut o).composite_alarms = vec![
            "IAMPolicyChanges".into(),
            "IAMPolicyChanges-trailwatch".into(),
        ];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        assert_eq!(c.action, Action::Blocked, "{c:#?}");
        assert!(!p
            .writes()
            .any(|w| matches!(w, WriteRequest::PutMetricAlarm(_))));
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
    fn a_metric_math_alarm_holding_our_name_is_never_overwritten_ours_goes_beside_it() {
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
        lg(&mut o).alarms = vec![ours(math)];
        // Even tagged as trailwatch's, and with --adopt: a math alarm is never overwritten.
        for adopt in [false, true] {
            let p = plan_for(
                &o,
                &Options {
                    adopt,
                    ..Default::default()
                },
            );
            let c = change(&p, Resource::Alarm);
            assert_eq!(
                (c.action, c.name.as_str()),
                (Action::Create, "IAMPolicyChanges-trailwatch"),
                "{c:#?}"
            );
            assert!(
                c.reason.contains("metric-math alarm IAMPolicyChanges")
                    && c.reason.contains("RATE(m1)"),
                "{}",
                c.reason
            );
            let names: Vec<&str> = p
                .writes()
                .filter_map(|w| match w {
                    WriteRequest::PutMetricAlarm(a) => Some(a.alarm_name.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(names, ["IAMPolicyChanges-trailwatch"]);
        }
    }

    #[test]
    fn a_repair_changes_only_the_field_that_stops_the_alarm_and_keeps_every_other() {
        let mut o = compliant();
        let a = &mut lg(&mut o).alarms[0];
        a.evaluation_periods = Some(3);
        a.datapoints_to_alarm = Some(1);
        a.period = Some(60);
        a.ok_actions = vec!["arn:aws:sns:us-east-1:123456789012:ok".into()];
        a.description = Some("paged to the SOC".into());
        a.treat_missing_data = Some("breaching".into());
        let was = super::alarm_request_of(a, "us-east-1");
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::Alarm);
        let Some(WriteRequest::PutMetricAlarm(r)) = c.request.as_ref() else {
            panic!("{c:#?}")
        };
        let mut expected = was;
        expected.treat_missing_data = Some("notBreaching".into());
        assert_eq!(**r, expected);
        // The diff shows exactly that one field.
        let (cur, des) = (c.current.as_ref().unwrap(), c.desired.as_ref().unwrap());
        let changed: Vec<&String> = des
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| cur.get(k.as_str()) != Some(v))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(changed, ["TreatMissingData"]);
    }

    #[test]
    fn a_percentile_alarm_keeps_its_low_sample_setting_unless_it_is_what_stops_it() {
        let mut o = compliant();
        let a = &mut lg(&mut o).alarms[0];
        a.statistic = None;
        a.extended_statistic = Some("p90".into());
        a.evaluate_low_sample_count_percentile = Some("evaluate".into());
        a.alarm_actions.clear();
        let p = plan_for(&o, &Options::default());
        let Some(WriteRequest::PutMetricAlarm(r)) = change(&p, Resource::Alarm).request.as_ref()
        else {
            panic!()
        };
        assert_eq!(r.statistic, "p90");
        assert_eq!(
            r.evaluate_low_sample_count_percentile.as_deref(),
            Some("evaluate")
        );
        lg(&mut o).alarms[0].evaluate_low_sample_count_percentile = Some("ignore".into());
        let p = plan_for(&o, &Options::default());
        let Some(WriteRequest::PutMetricAlarm(r)) = change(&p, Resource::Alarm).request.as_ref()
        else {
            panic!()
        };
        assert_eq!(
            (
                r.statistic.as_str(),
                r.evaluate_low_sample_count_percentile.as_deref()
            ),
            ("p90", None)
        );
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
