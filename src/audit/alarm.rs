//! Step 5's rules: whether an alarm on a filter's metric notifies on one matching event.

use crate::observed::{Alarm, MetricTransformation};

/// Step 5: why an alarm on the metric a filter publishes would not notify on one matching event
/// (empty when it does). Judged from the filter's metric value and default value, the alarm's
/// statistic, threshold and operator, its datapoints-to-alarm, its missing-data treatment, its
/// dimensions and unit, and whether actions are enabled. A metric-math alarm is judged when the
/// query it alarms on is one statistic of this metric (directly or as a bare `id` expression);
/// any other expression is reported as not judged and does not count.
pub fn alarm_problems_on(alarm: &Alarm, metric: &MetricTransformation) -> Vec<String> {
    let mut problems = Vec::new();
    // What the alarm compares with its threshold: statistic, dimensions, unit.
    let (stat, dims, unit) = if alarm.is_math() {
        match math_source(alarm) {
            Ok(m) if m.account_id.is_some() => {
                return vec![format!(
                    "its metric math reads {}/{} of account {}, not this account's metric",
                    m.namespace,
                    m.metric_name,
                    m.account_id.as_deref().unwrap_or_default()
                )]
            }
            Ok(m) if m.metric_name == metric.metric_name && m.namespace == metric.namespace => {
                (Some(m.stat.clone()), m.dimensions.clone(), m.unit.clone())
            }
            Ok(m) => {
                return vec![format!(
                    "its metric math alarms on {}/{}, not on this metric",
                    m.namespace, m.metric_name
                )]
            }
            Err(why) => return vec![why],
        }
    } else {
        (
            alarm
                .statistic
                .clone()
                .or_else(|| alarm.extended_statistic.clone()),
            alarm.dimensions.clone(),
            alarm.unit.clone(),
        )
    };
    let stat = stat.unwrap_or_default();
    let default = metric.default_value;
    // A percentile over fewer samples than it needs is not evaluated with `ignore`: one event
    // (one sample) leaves the alarm as it was.
    if stat.starts_with('p')
        && alarm.evaluate_low_sample_count_percentile.as_deref() == Some("ignore")
    {
        problems.push(format!(
            "{stat} with EvaluateLowSampleCountPercentile=ignore does not evaluate a period with one event"
        ));
    }
    match one_event_value(&stat, metric, default) {
        Err(why) => problems.push(why),
        Ok(one) => match (alarm.comparison_operator.as_deref(), alarm.threshold) {
            (Some(op @ ("LessThanThreshold" | "LessThanOrEqualToThreshold")), _) => problems.push(
                format!("{op} fires when the statistic falls, not on every event"),
            ),
            (Some(op), Some(t)) => match breaches(op, one, t) {
                None => problems.push(format!("comparison {op} is not judged")),
                Some(false) => problems.push(format!(
                    "{op} {t} does not fire on one event (its {stat} is {one})"
                )),
                Some(true) => {
                    if let Some(d) = default {
                        if breaches(op, d, t) == Some(true) {
                            problems.push(format!(
                                "{op} {t} also fires on the filter's default value {d}, so it stays in ALARM and an event changes nothing"
                            ));
                        }
                    }
                }
            },
            _ => problems
                .push("has no static threshold (an anomaly-detection band is not judged)".into()),
        },
    }
    let needed = alarm
        .datapoints_to_alarm
        .or(alarm.evaluation_periods)
        .unwrap_or(1);
    if needed != 1 {
        problems.push(format!("needs {needed} breaching periods, not 1"));
    }
    // With no default value a quiet period has no data at all.
    if default.is_none() {
        match alarm.treat_missing_data.as_deref() {
            Some("breaching") => problems.push(
                "treats missing data as breaching: between events it sits in ALARM, so an event changes nothing and notifies no one".into(),
            ),
            Some("ignore") => problems.push(
                "ignores missing data: after the first event it stays in ALARM, so later events notify no one".into(),
            ),
            _ => {}
        }
    }
    if !alarm.actions_enabled {
        problems.push("actions are disabled".into());
    }
    if dims != metric.dimensions {
        let show = |d: &[(String, String)]| {
            if d.is_empty() {
                "none".to_string()
            } else {
                d.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let why = if metric.dimensions.is_empty() {
            "so it sees no data"
        } else if dims.is_empty() {
            "so it sees no data: an alarm must name the dimensions the filter publishes"
        } else {
            "so it sees only the events with those dimension values, not every event"
        };
        problems.push(format!(
            "its dimensions ({}) differ from the filter's ({}), {why}",
            show(&dims),
            show(&metric.dimensions)
        ));
    }
    // An alarm that names a unit (even `None`) sees only datapoints published with that unit.
    if let Some(u) = unit.as_deref() {
        let named = (u != "None").then_some(u);
        let published = metric.unit.as_deref().filter(|m| *m != "None");
        if named != published {
            problems.push(format!(
                "its unit {u} differs from the metric's ({}), so it sees no data",
                published.unwrap_or("none")
            ));
        }
    }
    problems
}

/// The `MetricStat` a metric-math alarm compares with its threshold, or why it is not judged.
fn math_source(alarm: &Alarm) -> Result<&crate::observed::MetricStat, String> {
    let returned: Vec<_> = alarm.metrics.iter().filter(|q| q.return_data).collect();
    let [q] = returned.as_slice() else {
        return Err("its metric math has no single query that returns data: not judged".into());
    };
    if let Some(m) = &q.metric_stat {
        return Ok(m);
    }
    let expr = q.expression.as_deref().unwrap_or_default().trim();
    alarm
        .metrics
        .iter()
        .find(|x| x.id == expr)
        .and_then(|x| x.metric_stat.as_ref())
        .ok_or_else(|| {
            format!("its metric math expression `{expr}` is not judged, so it does not count")
        })
}

/// The statistic of a period holding one matching event, given what the filter publishes.
fn one_event_value(
    stat: &str,
    metric: &MetricTransformation,
    default: Option<f64>,
) -> Result<f64, String> {
    if stat == "SampleCount" {
        // A value read from a field that an event may not have publishes nothing for it.
        if metric.value.trim().parse::<f64>().is_err() {
            return Err(format!(
                "the filter publishes metric value {:?}, not a number: an event without that field publishes nothing",
                metric.value
            ));
        }
        return match default {
            None => Ok(1.0),
            Some(d) => Err(format!(
                "SampleCount counts every log event when the filter publishes a default value ({d}), not just the matching ones"
            )),
        };
    }
    let v = match metric.value.trim().parse::<f64>() {
        Ok(v) if v > 0.0 => v,
        Ok(v) => {
            return Err(format!(
                "the filter publishes metric value {v}, which does not count events"
            ))
        }
        Err(_) => {
            return Err(format!(
                "the filter publishes metric value {:?}, not a number: trailwatch cannot tell what one event adds up to",
                metric.value
            ))
        }
    };
    let percentile = stat
        .strip_prefix('p')
        .and_then(|n| n.parse::<f64>().ok())
        .filter(|n| (0.0..=100.0).contains(n));
    let diluted = |d: f64| {
        format!(
            "{stat} is diluted by the filter's default value {d}, published for every other log event"
        )
    };
    match (stat, percentile, default) {
        ("", _, _) => Err("has no statistic".into()),
        ("Sum", _, None) | ("Sum", _, Some(0.0)) => Ok(v),
        ("Sum", _, Some(d)) => Err(format!(
            "the filter's default value {d} is added for every other log event, so the Sum depends on traffic"
        )),
        ("Maximum", _, d) | (_, Some(100.0), d) => match d {
            Some(d) if d >= v => Err(format!(
                "the filter's default value {d} is not below its metric value {v}, so the Maximum hides the event"
            )),
            _ => Ok(v),
        },
        ("Minimum" | "Average", _, None) | (_, Some(_), None) => Ok(v),
        ("Minimum" | "Average", _, Some(d)) | (_, Some(_), Some(d)) => Err(diluted(d)),
        (other, None, _) => Err(format!("statistic {other} is not judged")),
    }
}

/// Whether a statistic value `s` breaches threshold `t` under `op`; `None` for operators that
/// are not judged (less-than, anomaly-detection bands).
fn breaches(op: &str, s: f64, t: f64) -> Option<bool> {
    Some(match op {
        "GreaterThanOrEqualToThreshold" => s >= t,
        "GreaterThanThreshold" => s > t,
        _ => return None,
    })
}

/// Why the filter and alarm a control spec asks for would not pass step 5 (empty when they
/// would): the very rule the audit applies, so a spec (`--control FILE`) that validation accepts
/// converges instead of being re-put on every run.
pub fn spec_problems(control: &crate::control::Control) -> Vec<String> {
    let (f, a) = (&control.filter, &control.alarm);
    let metric = MetricTransformation {
        metric_name: f.metric_name.clone(),
        namespace: f.namespace.clone(),
        value: f.metric_value.clone(),
        ..Default::default()
    };
    let alarm = Alarm {
        name: a.name.clone(),
        metric_name: Some(f.metric_name.clone()),
        namespace: Some(f.namespace.clone()),
        statistic: Some(a.statistic.clone()),
        period: Some(a.period),
        evaluation_periods: Some(a.evaluation_periods),
        threshold: Some(a.threshold),
        comparison_operator: Some(a.comparison_operator.clone()),
        treat_missing_data: Some(a.treat_missing_data.clone()),
        actions_enabled: true,
        ..Default::default()
    };
    alarm_problems_on(&alarm, &metric)
}

#[cfg(test)]
mod tests {
    //! Table-driven tests of the alarm rules, on plain values.
    use super::*;
    use crate::observed::{MetricQuery, MetricStat};

    fn metric(value: &str, default: Option<f64>) -> MetricTransformation {
        MetricTransformation {
            metric_name: "IAMPolicyChanges".into(),
            namespace: "CISBenchmark".into(),
            value: value.into(),
            default_value: default,
            ..Default::default()
        }
    }

    /// An alarm that fires on one event (the shared builder's, renamed `a`).
    fn alarm() -> Alarm {
        Alarm {
            name: "a".into(),
            ..crate::fixtures::good_alarm("a", "IAMPolicyChanges")
        }
    }

    #[test]
    fn alarm_rules_each_field() {
        type Edit = fn(&mut Alarm, &mut MetricTransformation);
        let cases: Vec<(&str, Edit, Option<&str>)> = vec![
            ("CIS defaults", |_, _| {}, None),
            ("Maximum", |a, _| a.statistic = Some("Maximum".into()), None),
            (
                "Average without default",
                |a, _| a.statistic = Some("Average".into()),
                None,
            ),
            (
                "Minimum without default",
                |a, _| a.statistic = Some("Minimum".into()),
                None,
            ),
            (
                "SampleCount without default",
                |a, _| a.statistic = Some("SampleCount".into()),
                None,
            ),
            (
                "p99 without default",
                |a, _| {
                    a.statistic = None;
                    a.extended_statistic = Some("p99".into())
                },
                None,
            ),
            (
                "Sum with default 0",
                |_, m| m.default_value = Some(0.0),
                None,
            ),
            (
                "Maximum with default 0",
                |a, m| {
                    a.statistic = Some("Maximum".into());
                    m.default_value = Some(0.0)
                },
                None,
            ),
            (
                "Average with default 0",
                |a, m| {
                    a.statistic = Some("Average".into());
                    m.default_value = Some(0.0)
                },
                Some("diluted"),
            ),
            (
                "Minimum with default 0",
                |a, m| {
                    a.statistic = Some("Minimum".into());
                    m.default_value = Some(0.0)
                },
                Some("diluted"),
            ),
            (
                "SampleCount with default 0",
                |a, m| {
                    a.statistic = Some("SampleCount".into());
                    m.default_value = Some(0.0)
                },
                Some("counts every log event"),
            ),
            (
                "Sum with default 1",
                |_, m| m.default_value = Some(1.0),
                Some("depends on traffic"),
            ),
            (
                "metric value 0",
                |_, m| m.value = "0".into(),
                Some("does not count events"),
            ),
            (
                "metric value from a field",
                |_, m| m.value = "$.count".into(),
                Some("not a number"),
            ),
            (
                "metric value 2, threshold 2",
                |a, m| {
                    m.value = "2".into();
                    a.threshold = Some(2.0)
                },
                None,
            ),
            (
                "threshold 2",
                |a, _| a.threshold = Some(2.0),
                Some("does not fire on one event"),
            ),
            (
                "GreaterThan 0",
                |a, _| {
                    a.comparison_operator = Some("GreaterThanThreshold".into());
                    a.threshold = Some(0.0)
                },
                None,
            ),
            (
                "GreaterThan 1",
                |a, _| a.comparison_operator = Some("GreaterThanThreshold".into()),
                Some("does not fire"),
            ),
            (
                "GreaterThanOrEqual 0 with default 0",
                |a, m| {
                    a.threshold = Some(0.0);
                    m.default_value = Some(0.0)
                },
                Some("stays in ALARM"),
            ),
            (
                "LessThan",
                |a, _| a.comparison_operator = Some("LessThanThreshold".into()),
                Some("falls"),
            ),
            (
                "anomaly band",
                |a, _| {
                    a.comparison_operator = Some("GreaterThanUpperThreshold".into());
                    a.threshold = None
                },
                Some("anomaly"),
            ),
            (
                "3 datapoints",
                |a, _| a.datapoints_to_alarm = Some(3),
                Some("needs 3"),
            ),
            (
                "3 evaluation periods, 1 datapoint",
                |a, _| {
                    a.evaluation_periods = Some(3);
                    a.datapoints_to_alarm = Some(1)
                },
                None,
            ),
            (
                "3 evaluation periods",
                |a, _| a.evaluation_periods = Some(3),
                Some("needs 3"),
            ),
            (
                "missing data breaching",
                |a, _| a.treat_missing_data = Some("breaching".into()),
                Some("breaching"),
            ),
            (
                "missing data ignore",
                |a, _| a.treat_missing_data = Some("ignore".into()),
                Some("stays in ALARM"),
            ),
            (
                "missing data breaching with default 0",
                |a, m| {
                    a.treat_missing_data = Some("breaching".into());
                    m.default_value = Some(0.0)
                },
                None,
            ),
            (
                "missing data notBreaching",
                |a, _| a.treat_missing_data = Some("notBreaching".into()),
                None,
            ),
            (
                "actions disabled",
                |a, _| a.actions_enabled = false,
                Some("actions are disabled"),
            ),
            (
                "unit differs",
                |a, _| a.unit = Some("Seconds".into()),
                Some("sees no data"),
            ),
            ("unit None", |a, _| a.unit = Some("None".into()), None),
            (
                "alarm dimensions, filter none",
                |a, _| a.dimensions = vec![("User".into(), "x".into())],
                Some("sees no data"),
            ),
            (
                "filter dimensions, alarm none",
                |_, m| m.dimensions = vec![("User".into(), "$.userIdentity.arn".into())],
                Some("must name the dimensions"),
            ),
            (
                "both with dimensions",
                |a, m| {
                    m.dimensions = vec![("Type".into(), "$.userIdentity.type".into())];
                    a.dimensions = vec![("Type".into(), "Root".into())]
                },
                Some("only the events with those dimension values"),
            ),
            (
                "tm90 not judged",
                |a, _| {
                    a.statistic = None;
                    a.extended_statistic = Some("tm90".into())
                },
                Some("not judged"),
            ),
            (
                "unit None, metric Count",
                |a, m| {
                    a.unit = Some("None".into());
                    m.unit = Some("Count".into())
                },
                Some("sees no data"),
            ),
            (
                "unit Count, metric Count",
                |a, m| {
                    a.unit = Some("Count".into());
                    m.unit = Some("Count".into())
                },
                None,
            ),
            (
                "p99 ignoring low sample counts",
                |a, _| {
                    a.statistic = None;
                    a.extended_statistic = Some("p99".into());
                    a.evaluate_low_sample_count_percentile = Some("ignore".into())
                },
                Some("EvaluateLowSampleCountPercentile"),
            ),
            (
                "SampleCount of a field value",
                |a, m| {
                    a.statistic = Some("SampleCount".into());
                    m.value = "$.count".into()
                },
                Some("not a number"),
            ),
        ];
        for (label, edit, want) in cases {
            let (mut a, mut m) = (alarm(), metric("1", None));
            edit(&mut a, &mut m);
            let problems = alarm_problems_on(&a, &m).join("; ");
            match want {
                None => assert!(problems.is_empty(), "{label}: {problems}"),
                Some(needle) => assert!(problems.contains(needle), "{label}: {problems:?}"),
            }
        }
    }

    #[test]
    fn metric_math_alarms_are_judged_or_reported_as_not_judged() {
        let stat = |stat: &str| MetricQuery {
            id: "m1".into(),
            metric_stat: Some(MetricStat {
                metric_name: "IAMPolicyChanges".into(),
                namespace: "CISBenchmark".into(),
                stat: stat.into(),
                period: Some(300),
                ..Default::default()
            }),
            return_data: false,
            ..Default::default()
        };
        let expr = |e: &str| MetricQuery {
            id: "e1".into(),
            expression: Some(e.into()),
            return_data: true,
            ..Default::default()
        };
        let math = |queries: Vec<MetricQuery>| Alarm {
            metric_name: None,
            namespace: None,
            statistic: None,
            metrics: queries,
            ..alarm()
        };
        let m = metric("1", None);
        assert!(alarm_problems_on(&math(vec![stat("Sum"), expr("m1")]), &m).is_empty());
        let mut direct = stat("Maximum");
        direct.return_data = true;
        assert!(alarm_problems_on(&math(vec![direct]), &m).is_empty());
        let p = alarm_problems_on(&math(vec![stat("Sum"), expr("FILL(m1, 0) * 2")]), &m).join(";");
        assert!(p.contains("not judged"), "{p}");
        let p = alarm_problems_on(&math(vec![stat("Sum"), expr("m1"), expr("m1")]), &m).join(";");
        assert!(p.contains("no single query"), "{p}");
        // Another account's metric (cross-account metric math) does not count.
        let mut theirs = stat("Sum");
        theirs.metric_stat.as_mut().unwrap().account_id = Some("210987654321".into());
        let p = alarm_problems_on(&math(vec![theirs, expr("m1")]), &m).join(";");
        assert!(
            p.contains("of account 210987654321, not this account's metric"),
            "{p}"
        );
        let p = alarm_problems_on(
            &math(vec![stat("Average"), expr("m1")]),
            &metric("1", Some(0.0)),
        )
        .join(";");
        assert!(p.contains("diluted"), "{p}");
    }

    #[test]
    fn every_embedded_spec_passes_step_5_and_a_spec_that_would_not_is_named() {
        for c in crate::control::Control::all() {
            assert_eq!(spec_problems(&c), Vec::<String>::new(), "{}", c.id);
        }
        let mut c = crate::control::Control::embedded();
        c.alarm.treat_missing_data = "breaching".into();
        assert!(!spec_problems(&c).is_empty());
        let mut c = crate::control::Control::embedded();
        c.filter.metric_value = "0.5".into();
        assert!(!spec_problems(&c).is_empty());
    }
}
