//! Planning the metric filter: keep a compliant one (the one the audit follows first), else
//! repair trailwatch's own, else create the canonical filter.

use serde_json::{json, Value};

use super::*;

/// A filter as `aws logs describe-metric-filters` prints it (camelCase; absent fields left out).
fn filter_doc(f: &MetricFilter) -> Value {
    let metrics: Vec<Value> = f
        .metrics
        .iter()
        .map(|m| {
            let mut t = json!({
                "metricName": m.metric_name,
                "metricNamespace": m.namespace,
                "metricValue": m.value,
            });
            if let Some(d) = m.default_value {
                t["defaultValue"] = json!(d);
            }
            if !m.dimensions.is_empty() {
                t["dimensions"] = m
                    .dimensions
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            if let Some(u) = &m.unit {
                t["unit"] = json!(u);
            }
            t
        })
        .collect();
    json!({
        "filterName": f.name,
        "filterPattern": f.pattern,
        "metricTransformations": metrics,
    })
}

impl Ctx<'_> {
    /// The metric filter: keep a compliant one (ours or anyone's), else repair ours, else create.
    pub(super) fn filter(&self, audit: &Audit) -> (Change, Metric) {
        let spec = &self.control.filter;
        let ours = Metric {
            metric_name: spec.metric_name.clone(),
            namespace: spec.namespace.clone(),
            value: spec.metric_value.clone(),
            default_value: None,
            unit: None,
            dimensions: Vec::new(),
        };
        let judged: Vec<(&MetricFilter, &crate::audit::FilterVerdict)> =
            self.lg.filters.iter().zip(&audit.filters).collect();
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
            .flat_map(|f| f.metrics.iter().map(move |m| (f, m.clone())))
            .filter_map(|(f, metric)| {
                let wanted = self.opts.topic_arn.as_deref();
                let best = self
                    .working_alarms(&metric)
                    .filter(|a| wanted.is_none_or(|t| a.sns_actions().any(|x| x == t)))
                    .map(|a| a.sns_actions().any(|t| self.confirmed(t)))
                    .max()?;
                Some((best, f.name == spec.name, f, metric))
            })
            .max_by_key(|(confirmed, ours, _, _)| (*confirmed, *ours))
            .map(|(_, _, f, metric)| (f, metric));
        // A metric can carry the control's alarm when that alarm would fire on one event of it:
        // no dimensions, a positive numeric value, no default value that dilutes it.
        let usable = |m: &Metric| alarm_problems_on(&self.spec_alarm(m), m).is_empty();
        let chosen = working
            .or_else(|| {
                compliant()
                    .filter_map(|f| {
                        f.metrics
                            .iter()
                            .find(|m| {
                                m.metric_name == ours.metric_name
                                    && m.namespace == ours.namespace
                                    && usable(m)
                            })
                            .map(|m| (f, m.clone()))
                    })
                    .max_by_key(|(f, _)| f.name == spec.name)
            })
            .or_else(|| {
                // Another compliant filter, if its metric can carry the alarm: one published with
                // dimensions gives an alarm nothing (or only one dimension value) to see.
                compliant()
                    .filter(|f| f.name != spec.name)
                    .find_map(|f| f.metrics.iter().find(|m| usable(m)).map(|m| (f, m.clone())))
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
                " (compliant by meaning, but Security Hub accepts only the exact CIS pattern and will still fail it)"
            } else {
                ""
            };
            let reason = format!(
                "{whose} is {}{security_hub} and publishes {}/{}{notes}",
                v.map(|v| v.as_str()).unwrap_or("exact"),
                metric.namespace,
                metric.metric_name
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
                dimensions: Vec::new(),
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
                    let problems: Vec<String> = f
                        .metrics
                        .iter()
                        .filter(|m| {
                            m.metric_name == ours.metric_name && m.namespace == ours.namespace
                        })
                        .flat_map(|m| alarm_problems_on(&self.spec_alarm(m), m))
                        .collect();
                    if problems.is_empty() {
                        "it does not publish the control's metric".to_string()
                    } else {
                        format!(
                            "its metric cannot carry an alarm that fires on one event ({})",
                            problems.join(", ")
                        )
                    }
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
                    "no filter on {} matches {}{notes}",
                    self.lg.name,
                    self.control.requirement()
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
}
