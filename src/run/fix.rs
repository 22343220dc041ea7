//! `trailwatch fix --plan | --apply`: one plan for all selected controls (the shared topic, its
//! policy and subscription once; a filter and an alarm per control), one confirmation, writes in
//! dependency order, then a re-read.

use super::{check_topic_region, read, Request, DRIFT, OK};
use crate::apply;
use crate::audit::Audit;
use crate::cli::FixArgs;
use crate::discover::Depth;
use crate::error::Error;
use crate::exit::Exit;
use crate::observed::Observed;
use crate::plan::{self, Plan};
use crate::planfile::{fingerprint, PlanFile, SavedTarget};
use crate::render::{self, Format};
use crate::report::{ControlReport, TargetReport};
use crate::target::Target;
use crate::write::Applied;

fn exit(audits: &[Audit], plans: &[Plan]) -> Exit {
    if audits.iter().all(|a| a.compliant) && plans.iter().all(Plan::is_empty) {
        OK
    } else {
        DRIFT
    }
}

/// The JSON of an apply: per control the plan, `before`, `dry_run` (and `requests`), the audit
/// after it when there is one; `applied` (and `error`) once for the run.
fn applied_report(
    observed: &Observed,
    befores: &[Audit],
    plans: &[Plan],
    done: &[Applied],
    afters: Option<&[Audit]>,
    dry_run: bool,
    error: Option<String>,
) -> TargetReport {
    let per = befores
        .iter()
        .zip(plans)
        .enumerate()
        .map(|(i, (b, p))| ControlReport::applied(b, p, afters.and_then(|a| a.get(i)), dry_run))
        .collect();
    let compliant = match afters {
        Some(a) => a.iter().all(|x| x.compliant),
        None => befores.iter().all(|x| x.compliant),
    };
    TargetReport {
        applied: Some(done.to_vec()),
        error: error.map(|e| crate::redact::text(&e)),
        ..TargetReport::of(&observed.account, &observed.region, per, compliant)
    }
}

pub(super) async fn fix(target: &Target, req: &Request, args: &FixArgs) -> Result<Exit, Error> {
    let (observed, befores) = read(target, req, Depth::Plan).await?;
    let plans = plan_all(req, &observed, &befores)?;
    if args.plan {
        if let Some(out) = &args.out {
            let saved = SavedTarget::new(&observed, &befores, &plans);
            PlanFile::new(&req.controls, &req.options, vec![saved], None).write(out)?;
        }
        let exit_code = exit(&befores, &plans);
        if let Some(kind) = args.emit {
            // The plan as code, on stdout; what it rests on (the audit) is in `fix --plan`.
            let all: Vec<&Plan> = plans.iter().collect();
            let code = match kind {
                crate::cli::EmitArg::Terraform => {
                    render::emit::terraform(&all, &observed.account, &observed.region)
                }
                crate::cli::EmitArg::Cloudformation => {
                    render::emit::cloudformation(&all, &observed.account, &observed.region)
                }
            };
            render::out::document(&code);
            return Ok(exit_code);
        }
        let report = report_of_plans(&observed, &befores, &plans);
        req.printer().print(report, render::text::planned);
        if let Some(out) = &args.out {
            let writes = plan::writes(&plans).len();
            eprintln!(
                "trailwatch: saved the plan ({writes} write request(s)) to {out}: apply it with `trailwatch fix --apply {out}`; it may name subscribers' endpoints, keep it private"
            );
        }
        return Ok(exit_code);
    }
    let approval = if args.yes {
        Approval::Given
    } else {
        Approval::Ask
    };
    send(target, req, args, observed, befores, plans, approval).await
}

/// `fix --apply PLANFILE`: read the account again, refuse when anything the plan was made from
/// changed or the file's writes are not what its state and options give, else send them as
/// `fix --apply --yes` would (the file is the approval).
pub(super) async fn saved(
    target: &Target,
    req: &Request,
    args: &FixArgs,
    file: &PlanFile,
    path: &str,
) -> Result<Exit, Error> {
    let recorded = &file.targets[0];
    let (observed, befores) = match read(target, req, Depth::Plan).await {
        Ok(read) => read,
        Err(Error::WrongAccount { want, got }) => {
            return Err(Error::Refused(format!(
                "the plan file {path} was made for account {want}, these credentials reach account {got}: nothing was written"
            )))
        }
        Err(e) => return Err(e),
    };
    let changed = recorded.changed_in(&observed);
    if !changed.is_empty() {
        return Err(Error::Refused(format!(
            "the plan file {path} is stale: {} since the plan was made; nothing was written: make a new plan",
            fingerprint::said(&changed)
        )));
    }
    let plans = plan_all(req, &observed, &befores)?;
    if !recorded.writes_match(&plans) {
        return Err(Error::BadInput {
            what: "plan file",
            value: path.to_string(),
            why: "its write requests are not what its recorded state and options give (it was edited): nothing was written: make a new plan".into(),
        });
    }
    send(target, req, args, observed, befores, plans, Approval::File).await
}

/// Every selected control's plan, the shared writes once.
fn plan_all(req: &Request, observed: &Observed, befores: &[Audit]) -> Result<Vec<Plan>, Error> {
    check_topic_region(
        &req.options,
        befores.first().and_then(|a| a.log_group(observed)),
    )?;
    let mut plans: Vec<Plan> = req
        .controls
        .iter()
        .zip(befores)
        .map(|(c, a)| plan::plan(c, observed, a, &req.options))
        .collect();
    plan::share(&mut plans);
    Ok(plans)
}

/// The report `fix --plan` prints.
fn report_of_plans(observed: &Observed, befores: &[Audit], plans: &[Plan]) -> TargetReport {
    let planned: Vec<ControlReport> = befores
        .iter()
        .zip(plans)
        .map(|(a, p)| ControlReport::plan(a, p))
        .collect();
    let compliant = befores.iter().all(|a| a.compliant);
    TargetReport::of(&observed.account, &observed.region, planned, compliant)
}

/// How an apply is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Approval {
    /// Ask on the terminal; re-read after the answer, and refuse when the account changed
    /// while the question waited.
    Ask,
    /// `--yes`.
    Given,
    /// A saved plan, checked against the account just now.
    File,
}

/// Show the plan, get the approval, send the writes, re-read, report.
async fn send(
    target: &Target,
    req: &Request,
    args: &FixArgs,
    observed: Observed,
    befores: Vec<Audit>,
    plans: Vec<Plan>,
    approval: Approval,
) -> Result<Exit, Error> {
    let text = req.format == Format::Text;
    let report = report_of_plans(&observed, &befores, &plans);
    // What `fix --plan` shows: the audit, then the plan.
    let plan_text = || {
        render::fit(
            &render::text::planned(&report, req.palette),
            req.palette.width,
        )
    };
    if text {
        crate::render::out::out(&plan_text());
    }
    let report_of =
        |done: &[Applied], afters: Option<&[Audit]>, dry: bool, error: Option<String>| {
            applied_report(&observed, &befores, &plans, done, afters, dry, error)
        };
    // A blocked control (a prerequisite it needs fails) contributes no write; only when every
    // control is blocked is there nothing to apply.
    let all_blocked = plans.iter().all(|p| p.blocked.is_some());
    if let Some(why) = plans
        .iter()
        .find_map(|p| p.blocked.clone())
        .filter(|_| all_blocked)
    {
        if !text {
            req.printer().json(report_of(&[], None, args.dry_run, None));
        }
        eprintln!("trailwatch: refusing to apply, nothing was written: {why}");
        return Ok(DRIFT);
    }
    let writes = plan::writes(&plans).len();
    if args.dry_run {
        match req.format {
            Format::Text => crate::render::out::out(&render::text::requests(&plans)),
            _ => req.printer().json(report_of(&[], None, true, None)),
        }
        return Ok(exit(&befores, &plans));
    }
    if writes == 0 {
        match req.format {
            Format::Text => crate::render::out::line("Nothing to write."),
            _ => req
                .printer()
                .json(report_of(&[], Some(&befores), false, None)),
        }
        return Ok(exit(&befores, &plans));
    }
    if approval == Approval::Ask {
        // The plan the question is about goes to the terminal (stderr) whenever stdout does
        // not reach it (JSON, or text redirected to a file or a pipe): nobody approves what
        // they cannot see.
        super::show_before_asking(&plan_text(), text);
        let account = &observed.account;
        let requests = if writes == 1 {
            "this write request".to_string()
        } else {
            format!("these {writes} write requests")
        };
        if !super::confirm(&format!(
            "Send {requests} to account {account} ({})?",
            observed.region
        ))? {
            eprintln!("trailwatch: not confirmed, nothing was written");
            return Ok(DRIFT);
        }
        // The answer may have taken a while: what was approved must still be what is there.
        let (now, _) = read(target, req, Depth::Plan).await?;
        let changed = fingerprint::changes(&fingerprint::of(&observed), &fingerprint::of(&now));
        if !changed.is_empty() {
            return Err(Error::Refused(format!(
                "the account changed while the question waited: {}; nothing was written: run fix again",
                fingerprint::said(&changed)
            )));
        }
    }
    apply::stop_on_interrupt();
    let outcome = apply::apply_all(target, &plans).await;
    if let Some(error) = outcome.error {
        // Say what was written before the failure, then fail.
        let report = report_of(&outcome.done, None, false, Some(error.to_string()));
        req.printer().print(report, render::text::applied_report);
        return Err(error);
    }
    let done = outcome.done;
    let afters = match read(target, req, Depth::Audit).await {
        Ok((_, afters)) => afters,
        Err(e) => {
            // The writes went through; say so before reporting that the re-read failed.
            let why = format!("the writes were sent, but re-reading the account failed: {e}");
            let report = report_of(&done, None, false, Some(why));
            req.printer().print(report, render::text::applied_report);
            return Err(e);
        }
    };
    let report = report_of(&done, Some(&afters), false, None);
    req.printer().print(report, render::text::applied_report);
    // A change that needs the user keeps the exit at 2, as `fix --plan` said.
    let needs_you = plans.iter().any(|p| p.summary().blocked > 0);
    Ok(if afters.iter().all(|a| a.compliant) && !needs_you {
        OK
    } else {
        DRIFT
    })
}
