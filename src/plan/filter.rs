//! Planning the metric filter: keep a compliant one (the one the audit follows first), else
//! repair trailwatch's own, else create the canonical filter.

use serde_json::{json, Value};

use super::*;
use crate::ownership;

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

/// The planned filter: its change, the metric the alarm must watch, and the name of the filter
/// that is trailwatch's once applied (kept as trailwatch's, or written), which its alarm records.
pub(super) struct FilterPlan {
    pub(super) change: Change,
    pub(super) metric: Metric,
    pub(super) owned: Option<String>,
}

impl Ctx<'_> {
    /// trailwatch's alarm on this log group records filter `f` as trailwatch's.
    fn filter_is_ours(&self, f: &MetricFilter) -> bool {
        self.lg
            .alarms
            .iter()
            .any(|a| ownership::records_filter(a, &self.lg.name, &f.name))
    }

    /// The metric filter: keep a compliant one (ours or anyone's), else repair ours, else create.
    pub(super) fn filter(&self, audit: &Audit) -> FilterPlan {
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
        // Notes on the filters that bear on the control but are not reused, so the plan says
        // why (once, briefly: the audit above gives each verdict's reasons).
        let near: Vec<String> = judged
            .iter()
            .filter(|(f, v)| !v.compliant && v.relevant && !ownership::holds(&f.name, &spec.name))
            .map(|(f, v)| {
                let why = match v.verdict {
                    Verdict::Equivalent => " but --match strict (the default, what Security Hub checks) accepts only the exact CIS pattern",
                    Verdict::Exact => " but publishes no metric",
                    _ => "",
                };
                format!("filter {} is {}{why}", f.name, v.verdict.as_str())
            })
            .collect();
        let notes = match near.as_slice() {
            [] => String::new(),
            [a] => format!("; {a}"),
            [a, b] => format!("; {a}; {b}"),
            [a, b, rest @ ..] => format!("; {a}; {b}; and {} more", rest.len()),
        };
        let compliant = || judged.iter().filter(|(_, v)| v.compliant).map(|(f, _)| *f);
        // What trailwatch's own alarm may be pointed at: never a text that matches almost
        // every event (it is compliant by the letter, so another's working alarm on it stays).
        let quiet = |f: &&MetricFilter| {
            judged
                .iter()
                .find(|(g, _)| std::ptr::eq(*g, *f))
                .is_none_or(|(_, v)| v.warning.is_none())
        };
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
                Some((best, self.filter_is_ours(f), f, metric))
            })
            .max_by_key(|(confirmed, ours, _, _)| (*confirmed, *ours))
            .map(|(_, _, f, metric)| (f, metric));
        // A metric can carry the control's alarm when that alarm would fire on one event of it:
        // no dimensions, a positive numeric value, no default value that dilutes it.
        let usable = |m: &Metric| alarm_problems_on(&self.spec_alarm(m), m).is_empty();
        let chosen = working
            .or_else(|| {
                compliant()
                    .filter(quiet)
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
                    .max_by_key(|(f, _)| self.filter_is_ours(f))
            })
            .or_else(|| {
                // Another compliant filter, if its metric can carry the alarm: one published with
                // dimensions gives an alarm nothing (or only one dimension value) to see.
                // Not trailwatch's own: that one is repaired to publish the control's metric.
                compliant()
                    .filter(quiet)
                    .filter(|f| !self.filter_is_ours(f))
                    .find_map(|f| f.metrics.iter().find(|m| usable(m)).map(|m| (f, m.clone())))
            });
        if let Some((f, metric)) = chosen {
            let v = judged
                .iter()
                .find(|(g, _)| std::ptr::eq(*g, f))
                .map(|(_, v)| v.verdict);
            let ours = self.filter_is_ours(f);
            let whose = if ours {
                format!("trailwatch's filter {}", f.name)
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
            return FilterPlan {
                change: keep(Resource::MetricFilter, &f.name, reason, Some(filter_doc(f))),
                metric,
                owned: ours.then(|| f.name.clone()),
            };
        }
        // Which filter trailwatch writes: its own (recorded by its alarm) under the control's
        // name or beside it; else the control's name when free; else, adopted, the foreign
        // filter that holds it; else a new one beside it.
        let named = |n: &str| self.lg.filters.iter().find(|f| f.name == n);
        let beside_name = ownership::beside(&spec.name);
        let (held, beside) = (named(&spec.name), named(&beside_name));
        let verdict_of = |f: &MetricFilter| {
            judged
                .iter()
                .find(|(g, _)| std::ptr::eq(*g, f))
                .map(|(_, v)| v.verdict.as_str())
                .unwrap_or("not valid")
        };
        let foreign_note = |f: &MetricFilter| {
            format!(
                "; filter {} ({}) was not created by trailwatch: left as it is (pass --adopt to repair it)",
                f.name,
                verdict_of(f)
            )
        };
        let (name, current, adopted, left) = match (held, beside) {
            (Some(f), _) if self.filter_is_ours(f) => {
                (spec.name.clone(), Some(f), false, String::new())
            }
            (_, Some(b)) if self.filter_is_ours(b) => (
                beside_name,
                Some(b),
                false,
                held.map(foreign_note).unwrap_or_default(),
            ),
            (None, _) => (spec.name.clone(), None, false, String::new()),
            (Some(f), _) if self.opts.adopt => (spec.name.clone(), Some(f), true, String::new()),
            (Some(f), None) => (beside_name, None, false, foreign_note(f)),
            (Some(f), Some(b)) => {
                let reason = format!(
                    "filters {} and {} hold the control's names and were not created by trailwatch: trailwatch changes neither; pass --adopt to let trailwatch repair {}{notes}",
                    f.name, b.name, f.name
                );
                return FilterPlan {
                    change: blocked(Resource::MetricFilter, &f.name, reason, Some(filter_doc(f))),
                    metric: ours,
                    owned: None,
                };
            }
        };
        // A repair keeps what the filter's metric already carries (unit, default value,
        // dimensions) unless it stops the alarm firing on one event.
        let mut transformation = current
            .and_then(|f| {
                f.metrics
                    .iter()
                    .find(|m| m.metric_name == ours.metric_name && m.namespace == ours.namespace)
                    .or(f.metrics.first())
            })
            .map(|m| MetricTransformation {
                metric_name: ours.metric_name.clone(),
                namespace: ours.namespace.clone(),
                value: ours.value.clone(),
                ..m.clone()
            })
            .unwrap_or_else(|| ours.clone());
        type Drop = fn(&mut MetricTransformation);
        let drops: [Drop; 3] = [
            |m| m.default_value = None,
            |m| m.dimensions.clear(),
            |m| m.unit = None,
        ];
        for drop in drops {
            if usable(&transformation) {
                break;
            }
            drop(&mut transformation);
        }
        let desired = MetricFilter {
            name,
            pattern: self.control.canonical_pattern(),
            metrics: vec![transformation.clone()],
        };
        let request = WriteRequest::PutMetricFilter {
            region: self.region(),
            log_group_name: self.lg.name.clone(),
            filter_name: desired.name.clone(),
            filter_pattern: desired.pattern.clone(),
            metric_transformations: desired.metrics.clone(),
        };
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
                let whose = if adopted {
                    format!("filter {} (not created by trailwatch, adopted with --adopt: its alarm records it)", f.name)
                } else {
                    format!("trailwatch's filter {}", f.name)
                };
                (
                    Action::Update,
                    format!("{whose}: {what}; set the CIS pattern and metric{left}{notes}"),
                )
            }
            None => (
                Action::Create,
                format!(
                    "no filter on {} matches {}{left}{notes}",
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
        FilterPlan {
            change,
            metric: transformation,
            owned: Some(desired.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{change, plan_for};
    use super::super::*;
    use crate::audit::MatchMode;
    use crate::fixtures::*;

    #[test]
    fn a_wrong_pattern_under_our_name_is_updated_in_place() {
        let mut o = compliant();
        lg(&mut o).filters = vec![filter(
            "IAMPolicyChanges",
            "{$.eventName=PutUserPolicy}",
            "IAMPolicyChanges",
        )];
        let p = plan_for(&o, &Options::default());
        let f = change(&p, Resource::MetricFilter);
        assert_eq!(f.action, Action::Update);
        assert_eq!(
            f.current.as_ref().unwrap()["filterPattern"],
            "{$.eventName=PutUserPolicy}"
        );
        assert_eq!(
            f.desired.as_ref().unwrap()["filterPattern"],
            control().canonical_pattern()
        );
        assert_eq!(change(&p, Resource::Alarm).action, Action::Keep);
        assert_eq!(p.writes().count(), 1);
    }

    #[test]
    fn our_filter_with_another_metric_is_updated_to_the_controls_metric() {
        let mut o = compliant();
        let canonical = control().canonical_pattern();
        lg(&mut o).filters = vec![filter("IAMPolicyChanges", &canonical, "SomethingElse")];
        let p = plan_for(&o, &Options::default());
        let f = change(&p, Resource::MetricFilter);
        assert_eq!(f.action, Action::Update);
        assert!(
            f.reason.contains("does not publish the control's metric"),
            "{}",
            f.reason
        );
    }

    #[test]
    fn a_compliant_filter_under_another_name_is_reused_not_duplicated() {
        let mut o = compliant();
        let canonical = control().canonical_pattern();
        lg(&mut o).filters = vec![filter("legacy-iam-changes", &canonical, "LegacyMetric")];
        lg(&mut o).alarms = vec![];
        let p = plan_for(&o, &Options::default());
        let f = change(&p, Resource::MetricFilter);
        assert_eq!(
            (f.action, f.name.as_str()),
            (Action::Keep, "legacy-iam-changes")
        );
        match change(&p, Resource::Alarm).request.as_ref().unwrap() {
            WriteRequest::PutMetricAlarm(a) => assert_eq!(a.metric_name, "LegacyMetric"),
            other => panic!("{other:?}"),
        }
        assert!(!p
            .writes()
            .any(|w| matches!(w, WriteRequest::PutMetricFilter { .. })));
    }

    #[test]
    fn an_equivalent_filter_is_kept_only_when_matching_by_meaning() {
        let mut o = compliant();
        let mut events = control().events.clone();
        events.reverse();
        let reordered = crate::pattern::canonical_pattern(&events);
        lg(&mut o).filters = vec![filter("reordered", &reordered, "IAMPolicyChanges")];
        let strict = plan_for(&o, &Options::default());
        assert_eq!(
            change(&strict, Resource::MetricFilter).action,
            Action::Create
        );
        let meaning = plan_for(
            &o,
            &Options {
                mode: MatchMode::Meaning,
                ..Default::default()
            },
        );
        assert_eq!(
            change(&meaning, Resource::MetricFilter).action,
            Action::Keep
        );
        assert!(meaning.is_empty(), "{meaning:#?}");
    }

    #[test]
    fn an_equivalent_filter_kept_by_meaning_carries_the_security_hub_warning() {
        let mut o = compliant();
        let mut events = control().events.clone();
        events.swap(0, 1);
        lg(&mut o).filters = vec![filter(
            "IAMPolicyChanges",
            &crate::pattern::canonical_pattern(&events),
            "IAMPolicyChanges",
        )];
        let p = plan_for(
            &o,
            &Options {
                mode: MatchMode::Meaning,
                ..Default::default()
            },
        );
        let c = change(&p, Resource::MetricFilter);
        assert_eq!(c.action, Action::Keep);
        assert!(c.reason.contains("Security Hub"), "{}", c.reason);
    }

    #[test]
    fn a_compliant_filter_published_with_dimensions_is_not_reused_for_a_new_alarm() {
        let mut o = observed();
        let canonical = control().canonical_pattern();
        let mut f = filter("TeamFilter", &canonical, "TeamMetric");
        f.metrics[0].dimensions = vec![("User".into(), "$.userIdentity.arn".into())];
        lg(&mut o).filters = vec![f];
        lg(&mut o).topics = vec![topic(&[(&format!("{TOPIC}:sub1"), "secops@example.com")])];
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::MetricFilter);
        assert_eq!(c.action, Action::Create, "{c:#?}");
        match change(&p, Resource::Alarm).request.as_ref() {
            Some(WriteRequest::PutMetricAlarm(a)) => {
                assert_eq!(
                    a.metric_name, "IAMPolicyChanges",
                    "our own dimensionless metric"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_repair_of_our_filter_keeps_its_unit_and_a_harmless_default_value() {
        let mut o = compliant();
        let f = &mut lg(&mut o).filters[0];
        f.pattern = "{$.eventName=PutUserPolicy}".into();
        f.metrics[0].unit = Some("Count".into());
        f.metrics[0].default_value = Some(0.0);
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::MetricFilter);
        assert_eq!(c.action, Action::Update, "{c:#?}");
        match c.request.as_ref() {
            Some(WriteRequest::PutMetricFilter {
                metric_transformations,
                filter_pattern,
                ..
            }) => {
                assert_eq!(*filter_pattern, control().canonical_pattern());
                let m = &metric_transformations[0];
                assert_eq!(
                    (m.unit.as_deref(), m.default_value),
                    (Some("Count"), Some(0.0))
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn our_filter_whose_default_value_dilutes_the_count_is_repaired() {
        let mut o = compliant();
        lg(&mut o).filters[0].metrics[0].default_value = Some(1.0);
        let p = plan_for(&o, &Options::default());
        let f = change(&p, Resource::MetricFilter);
        assert_eq!(f.action, Action::Update, "{f:#?}");
        assert!(f.reason.contains("cannot carry an alarm"), "{}", f.reason);
        match f.request.as_ref() {
            Some(WriteRequest::PutMetricFilter {
                metric_transformations,
                ..
            }) => assert_eq!(metric_transformations[0].default_value, None),
            other => panic!("{other:?}"),
        }
    }
}
