//! Fleet mode commands: `check` here, `fix --plan | --apply` in `rollout.rs`, across accounts x
//! regions, and what both print.
//!
//! Text: a table (one line per target: status and what is wrong or planned), then for `fix` each
//! distinct plan once with the targets it applies to, then a summary line. JSON: one object per
//! target per line (the single-target schema plus `label`, `role_arn`, `status`, `error`, ...),
//! then a summary object. `fix --apply` asks once for the whole fleet (or takes `--yes`), then
//! applies in batches (`--batch-size`), re-reads each batch and stops before the next one if a
//! target did not converge (unless `--keep-going`). Exit 1 if any target is in error, else 2 if
//! anything is pending, else 0.

mod rollout;

pub(super) use rollout::{fix, Settled};

use std::io::IsTerminal;

use super::Request;
use crate::audit::Audit;
use crate::aws;
use crate::discover::Depth;
use crate::error::Error;
use crate::exit::Exit;
use crate::fleet::assess::{self, Assessment};
use crate::fleet::{self, Fleet, Survey};
use crate::plan::Plan;
use crate::render::{self, Format};
use crate::report::{ControlReport, FleetSummary, TargetReport};
use crate::target::Target;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on stderr when it is a terminal; hidden otherwise (nothing extra is printed).
pub(super) fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(len as u64),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Who we are, which accounts, and every target read at `depth`.
pub(super) async fn survey(
    base: &Target,
    req: &Request,
    f: &Fleet,
    depth: Depth,
) -> Result<Vec<Survey>, Error> {
    let caller = aws::sts::account(&base.sts()).await?;
    let accounts = fleet::accounts(base, f).await?;
    let bar = progress(accounts.len() * f.regions.len(), "reading targets");
    let surveys = fleet::survey(
        base,
        &caller,
        f,
        &accounts,
        fleet::Reads {
            controls: &req.controls,
            mode: req.mode,
            depth,
        },
        &|| bar.inc(1),
    )
    .await;
    bar.finish_and_clear();
    Ok(surveys)
}

/// One target's report: see [`TargetReport::fleet`].
pub(super) fn target_report(
    f: &Fleet,
    s: &Survey,
    a: &Assessment,
    plans: &[Plan],
    each: impl Fn(&Audit, Option<&Plan>) -> ControlReport,
) -> TargetReport {
    TargetReport::fleet(&f.exceptions, f.today, s, a, plans, each)
}

pub(super) fn all_plans(surveys: &[Survey], req: &Request, f: &Fleet) -> Vec<Vec<Plan>> {
    let today = f.today;
    surveys
        .iter()
        .map(|s| assess::plans(s, &req.controls, &f.exceptions, today, &req.options))
        .collect()
}

pub(in crate::run) async fn check(
    base: &Target,
    req: &Request,
    f: &Fleet,
    security_hub: bool,
) -> Result<Exit, Error> {
    let surveys = survey(base, req, f, Depth::Audit).await?;
    // Plans here only tell `blocked` (a prerequisite the tool does not fix) from drift: audit
    // reads do not cover what a plan's changes need (topic attributes, keys), so they are dropped.
    let plans: Vec<Vec<Plan>> = all_plans(&surveys, req, f)
        .into_iter()
        .map(|ps| {
            ps.into_iter()
                .map(|p| Plan {
                    changes: Vec::new(),
                    ..p
                })
                .collect()
        })
        .collect();
    let assessed = assess::assess(&surveys, &plans, &f.exceptions, f.today);
    let mut reports: Vec<TargetReport> = surveys
        .iter()
        .zip(&assessed)
        .map(|(s, a)| target_report(f, s, a, &[], |x, _| ControlReport::audit(x)))
        .collect();
    // --security-hub: each target's findings into its own Security Hub, with its own credentials.
    let mut hub_errors = Vec::new();
    if security_hub {
        for (s, r) in surveys.iter().zip(reports.iter_mut()) {
            let (Some(t), false) = (&s.target, r.controls().is_empty()) else {
                continue;
            };
            match super::runbook::import_findings(t, &s.region, &r.controls()).await {
                Ok(done) => r.security_hub = Some(done),
                Err(e) => hub_errors.push(format!("{}: {e}", s.name())),
            }
        }
    }
    match req.format {
        Format::Text => {
            crate::render::out::out(&render::fleet::table(&surveys, &assessed, None));
            for (s, r) in surveys.iter().zip(&reports) {
                if let Some(sh) = &r.security_hub {
                    crate::render::out::out(&format!(
                        "{}: {}",
                        s.name(),
                        render::text::security_hub(sh)
                    ));
                }
            }
            crate::render::out::line(&render::fleet::summary_line(&assessed));
        }
        Format::Json | Format::Sarif => {
            for r in reports {
                req.printer().json(r);
            }
            req.printer().json(FleetSummary::new(&assessed));
        }
        Format::Asff | Format::Ocsf => {
            // One array for the whole fleet: every control read, in every target reached.
            let controls: Vec<&ControlReport> = reports.iter().flat_map(|r| r.controls()).collect();
            req.printer().findings(&controls);
        }
    }
    if let [first, ..] = hub_errors.as_slice() {
        return Err(Error::Refused(format!(
            "the findings of {} target(s) could not be imported: {first}",
            hub_errors.len()
        )));
    }
    Ok(assess::exit_code(&assessed))
}
