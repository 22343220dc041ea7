//! `trailwatch check`: the read-only audit of every selected control, from one set of reads;
//! `--verify-with-aws` asks `logs:TestMetricFilter` too, `--history` reads each working alarm's
//! failed actions.

use super::{read, Request, DRIFT, OK};
use crate::audit::Audit;
use crate::cli::CheckArgs;
use crate::control::Control;
use crate::error::Error;
use crate::exit::Exit;
use crate::history::{self, History};
use crate::observed::Observed;
use crate::render;
use crate::report::{ControlReport, TargetReport};
use crate::target::Target;

pub(super) async fn check(target: &Target, req: &Request, args: &CheckArgs) -> Result<Exit, Error> {
    let (observed, mut audits) = read(target, req, crate::discover::Depth::Audit).await?;
    if args.verify_with_aws {
        for (control, audit) in req.controls.iter().zip(audits.iter_mut()) {
            verify_with_aws(target, control, &observed, audit).await;
        }
    }
    // --history: each working alarm's failed actions; with none working there is nothing to read.
    let mut histories: Vec<Option<History>> = Vec::new();
    for audit in &audits {
        histories.push(
            match (
                args.history,
                audit.working_alarm(),
                audit.log_group(&observed),
            ) {
                (true, Some(alarm), Some(lg)) => {
                    Some(history::read(target, alarm, &lg.region, args.history_days).await)
                }
                _ => None,
            },
        );
    }
    let compliant = audits.iter().all(|a| a.compliant);
    let failing_now = histories.iter().flatten().any(|h| h.latest_failed);
    let reports: Vec<ControlReport> = audits
        .into_iter()
        .zip(histories)
        .map(|(a, h)| ControlReport {
            history: args.history.then_some(h),
            ..ControlReport::from_audit(a)
        })
        .collect();
    let mut report = TargetReport::of(&observed.account, &observed.region, reports, compliant);
    if args.security_hub {
        match super::runbook::import_findings(target, &observed.region, &report.controls()).await {
            Ok(done) => report.security_hub = Some(done),
            Err(e) => {
                req.printer().print(report, render::text::check);
                return Err(e);
            }
        }
    }
    req.printer().print(report, render::text::check);
    Ok(if compliant && !failing_now { OK } else { DRIFT })
}

/// Ask `logs:TestMetricFilter` for AWS's opinion of each filter on sample events. A failure is
/// reported on the filter (the emulator, for one, does not implement the call); it never changes
/// the audit or the exit code.
async fn verify_with_aws(
    target: &Target,
    control: &Control,
    observed: &Observed,
    audit: &mut Audit,
) {
    let Some(lg) = audit.log_group(observed).filter(|lg| lg.readable) else {
        return;
    };
    let samples = control.samples();
    let messages: Vec<String> = samples.iter().map(|s| s.event.to_string()).collect();
    let client = target.logs(&lg.region);
    for f in audit.filters.iter_mut() {
        let v = match crate::aws::logs::test_metric_filter(&client, &f.pattern, &messages).await {
            Ok(matched) => crate::pattern::compare(&f.pattern, &samples, &matched),
            Err(e) => crate::pattern::Verification {
                error: Some(e.to_string()),
                ..Default::default()
            },
        };
        f.aws_verification = Some(v);
    }
}
