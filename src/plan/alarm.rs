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
