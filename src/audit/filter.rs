//! Step 4's input: every metric filter on the trail's log group judged against the control.

use crate::control::Control;
use crate::observed::MetricFilter;
use crate::pattern::{Judgement, Verdict};

use super::{FilterVerdict, MatchMode};

/// Judge every filter on the log group.
pub fn judge_filters(
    control: &Control,
    filters: &[MetricFilter],
    mode: MatchMode,
) -> Vec<FilterVerdict> {
    filters
        .iter()
        .map(|f| {
            let j: Judgement = control.judge(&f.pattern);
            let compliant = mode.accepts(j.verdict) && !f.metrics.is_empty();
            let spec = &control.filter;
            let relevant = compliant
                || matches!(
                    j.verdict,
                    Verdict::Exact | Verdict::Equivalent | Verdict::Broader
                )
                || crate::ownership::holds(&f.name, &spec.name)
                || f.metrics
                    .iter()
                    .any(|m| m.metric_name == spec.metric_name && m.namespace == spec.namespace);
            // An accepted text (exact by the letter) that by its meaning is broader than the
            // required pattern matches almost everything.
            let warning = (j.verdict == Verdict::Exact && control.events.is_empty())
                .then(|| crate::pattern::judge_pattern(&f.pattern, &control.canonical_pattern(), &[]))
                .filter(|m| m.verdict == Verdict::Broader)
                .map(|_| {
                    format!(
                        "this published text matches almost every event (its exclusions are joined with ||), so an alarm on it fires on nearly all API traffic; use {} instead",
                        control.canonical_pattern()
                    )
                });
            FilterVerdict {
                relevant,
                warning,
                name: f.name.clone(),
                pattern: f.pattern.clone(),
                verdict: j.verdict,
                compliant,
                missing_events: j.missing_events,
                narrowing_terms: j.narrowing_terms,
                extra_matches: j.extra_matches,
                missing_cases: j.missing_cases,
                detail: j.detail,
                aws_verification: None,
                parse_error: j.parse_error,
            }
        })
        .collect()
}
