//! Findings for the places findings live, made from the typed reports: one per target and
//! control. `asff.rs`: the AWS Security Finding Format, ready for `aws securityhub
//! batch-import-findings`; `ocsf.rs`: OCSF Compliance Findings (class 2003). Pure: reports and a
//! clock reading in, findings out.

pub(crate) mod asff;
pub(crate) mod input;
pub(crate) mod ocsf;

use crate::audit::ChainArns;
use crate::control::Control;
use crate::observed::Arn;
use crate::report::ControlReport;

/// A finding's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Passed,
    /// Every step passes, but the audit warns (a filter that matches almost every event).
    Warning,
    Failed,
}

/// One control in one target, as a finding sees it.
pub(crate) struct Subject<'a> {
    pub report: &'a ControlReport,
    /// The embedded control (a custom spec has none).
    pub control: Option<Control>,
    pub partition: &'static str,
}

impl<'a> Subject<'a> {
    pub(crate) fn new(report: &'a ControlReport) -> Subject<'a> {
        Subject {
            report,
            control: Control::builtin(&report.control),
            partition: crate::partition::of_region(&report.region),
        }
    }

    pub(crate) fn verdict(&self) -> Verdict {
        if !self.report.compliant {
            Verdict::Failed
        } else if self
            .report
            .filters
            .iter()
            .any(|f| f.compliant && f.warning.is_some())
        {
            Verdict::Warning
        } else {
            Verdict::Passed
        }
    }

    /// A stable id per account, region and control: a re-import updates the finding.
    pub(crate) fn id(&self) -> String {
        let r = self.report;
        format!("trailwatch/{}/{}/{}", r.account, r.region, r.control)
    }

    /// `CIS 4.4 / CloudWatch.4: IAM policy changes`.
    pub(crate) fn title(&self) -> String {
        let r = self.report;
        let title = self
            .control
            .as_ref()
            .map(|c| c.short_title().to_string())
            .unwrap_or_else(|| r.control.clone());
        match self.security_control_id() {
            Some(sh) => format!(
                "{} / {sh}: a log metric filter and alarm for {title}",
                r.control
            ),
            None => format!("{}: a log metric filter and alarm for {title}", r.control),
        }
    }

    pub(crate) fn security_control_id(&self) -> Option<String> {
        self.control.as_ref().and_then(|c| c.security_hub.clone())
    }

    /// The CIS requirements the control carries across benchmark versions.
    pub(crate) fn requirements(&self) -> Vec<String> {
        self.control
            .as_ref()
            .map(|c| {
                c.cis
                    .iter()
                    .map(|id| format!("CIS AWS Foundations Benchmark {id}"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What was found, for a person: the first failing step, or that all pass.
    pub(crate) fn description(&self) -> String {
        let r = self.report;
        let warning = r.filters.iter().find_map(|f| f.warning.clone());
        match (r.steps.iter().find(|s| !s.ok), warning) {
            (Some(s), _) => format!("Step {} of 7 fails: {}", s.step, s.detail),
            (None, Some(w)) => format!("All seven CIS audit steps pass, but: {w}"),
            (None, None) => "All seven CIS audit steps pass: the trail, its log group's metric filter, an alarm that fires on one event, and an SNS topic CloudWatch can deliver to with a confirmed subscriber.".to_string(),
        }
    }

    /// The failing steps' reason codes and details.
    pub(crate) fn reasons(&self) -> Vec<(&'static str, String)> {
        self.report
            .steps
            .iter()
            .filter_map(|s| {
                s.reason
                    .map(|r| (r.code(), format!("step {}: {}", s.step, s.detail)))
            })
            .collect()
    }

    pub(crate) fn recommendation(&self) -> String {
        format!(
            "Run `trailwatch --control {c} fix --plan` in account {a}, region {r}, review the plan, then `trailwatch --control {c} fix --apply`; or save the plan with --out and apply the file from a runbook.",
            c = self.report.control,
            a = self.report.account,
            r = self.report.region
        )
    }

    /// The resources the audit looked at, as (ASFF type, ARN): the account, the trail, its log
    /// group, the working alarm and the topic it notifies, where known.
    pub(crate) fn resources(&self) -> Vec<(&'static str, String)> {
        let r = self.report;
        let chain = ChainArns::of(
            &r.steps,
            r.rests_on.trail.as_deref(),
            r.rests_on.log_group.as_deref(),
        );
        let mut out = vec![("AwsAccount", format!("AWS::::Account:{}", r.account))];
        let known = [
            ("AwsCloudTrailTrail", chain.trail),
            ("AwsLogsLogGroup", chain.log_group),
            ("AwsCloudWatchAlarm", chain.alarm),
            ("AwsSnsTopic", chain.topic),
        ];
        out.extend(
            known
                .into_iter()
                .filter_map(|(kind, arn)| Some((kind, arn?))),
        );
        out
    }

    /// The region a resource ARN names (the report's for the account).
    pub(crate) fn region_of(&self, arn: &str) -> String {
        Arn::parse(arn)
            .map(|a| a.region.to_string())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| self.report.region.clone())
    }
}

/// A time as ASFF wants it: RFC 3339 in UTC, to the millisecond (`2026-12-07T21:20:00.123Z`).
pub(crate) fn timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// `text` cut to at most `max` characters (an API limit), marked with `...` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{head}...")
}

/// The ASFF findings of these controls, made `now`.
pub(crate) fn asff_of(reports: &[&ControlReport], now: time::OffsetDateTime) -> Vec<asff::Finding> {
    let at = timestamp(now);
    reports
        .iter()
        .map(|r| asff::finding(&Subject::new(r), &at))
        .collect()
}

/// The OCSF findings of these controls, made `now`.
pub(crate) fn ocsf_of(reports: &[&ControlReport], now: time::OffsetDateTime) -> Vec<ocsf::Finding> {
    let ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    reports
        .iter()
        .map(|r| ocsf::finding(&Subject::new(r), ms))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_text_keeps_to_the_limit_and_says_so() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcdef", 5), "ab...");
        assert_eq!(cut(&"é".repeat(600), 512).chars().count(), 512);
    }
}
