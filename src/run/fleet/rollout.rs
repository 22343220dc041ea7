//! `fix --plan | --apply` across a fleet: one plan per target (one per log group across regions),
//! the table and each distinct plan once, one confirmation for the whole fleet, then batches:
//! apply, re-read, and stop before the next batch when a target did not converge (unless
//! `--keep-going`).

use futures_util::stream::{self, StreamExt};

use super::super::Request;
use super::{all_plans, progress, survey, target_report};
use crate::apply;
use crate::audit::Audit;
use crate::cli::FixArgs;
use crate::discover::Depth;
use crate::error::Error;
use crate::exit::Exit;
use crate::fleet::assess::{self, Assessment, Status};
use crate::fleet::{self, Fleet, Survey};
use crate::observed::Observed;
use crate::plan::{self, Action, Plan};
use crate::planfile::{fingerprint, PlanFile, SavedTarget};
use crate::render::fleet::{grouped_plans, summary_line, table};
use crate::render::{self, Format};
use crate::report::{ApplyTotals, ControlReport, FleetSummary, Rollout, TargetReport};
use crate::target::Target;
use crate::write::Applied;

/// What applying one target did.
struct Outcome {
    done: Vec<Applied>,
    error: Option<String>,
    /// Skipped: the target changed since it was planned (the error says what changed).
    stale: bool,
    /// The audits re-read afterwards (with what discovery saw).
    after: Option<(Observed, Vec<Audit>)>,
}

/// Read a target again after writes (its own, or those of the target it shares a log group with).
async fn reread(s: &Survey, req: &Request) -> Result<(Observed, Vec<Audit>), Error> {
    let target = s
        .target
        .as_ref()
        .ok_or_else(|| Error::Refused("not reached".into()))?;
    fleet::read(
        target,
        &req.controls,
        req.mode,
        Depth::Audit,
        Some(&s.account.id),
    )
    .await
}

async fn apply_target(
    base: &Target,
    f: &Fleet,
    s: &Survey,
    plans: &[Plan],
    req: &Request,
) -> Outcome {
    let failed = |error: String, stale: bool| Outcome {
        done: Vec::new(),
        error: Some(error),
        stale,
        after: None,
    };
    let Some(reader) = &s.target else {
        return failed("not reached".into(), false);
    };
    // Right before the writes: the target must still be what was planned (a later batch runs
    // long after the plan was made, and a put overwrites whatever changed meanwhile).
    if let Some(then) = &s.observed {
        let now = fleet::read(
            reader,
            &req.controls,
            req.mode,
            Depth::Plan,
            Some(&s.account.id),
        )
        .await;
        match now {
            Ok((now, _)) => {
                let changed = fingerprint::changes(&fingerprint::of(then), &fingerprint::of(&now));
                if !changed.is_empty() {
                    return failed(fingerprint::stale_target(&changed), true);
                }
            }
            Err(e) => {
                return failed(
                    format!("reading the target again before its writes failed: {e}"),
                    false,
                )
            }
        }
    }
    // The writes go through the write role when there is one (never for the caller's own
    // account, reached with its own credentials); the reads before and after keep the read role.
    let writer = match (&f.apply_role, &s.role_arn) {
        (Some(role), Some(_)) => {
            let arn = role.arn(crate::partition::of_region(&base.region), &s.account.id);
            match base
                .assume(&arn, f.external_id.as_deref(), &base.region, &f.session)
                .await
            {
                Ok(t) => t.in_region(&s.region),
                Err(e) => return failed(e.to_string(), false),
            }
        }
        _ => reader.clone(),
    };
    let outcome = apply::apply_all(&writer, plans).await;
    if let Some(e) = outcome.error {
        return Outcome {
            done: outcome.done,
            error: Some(e.to_string()),
            stale: false,
            after: None,
        };
    }
    match reread(s, req).await {
        Ok(after) => Outcome {
            done: outcome.done,
            error: None,
            stale: false,
            after: Some(after),
        },
        Err(e) => Outcome {
            done: outcome.done,
            error: Some(format!(
                "the writes were sent, but re-reading the target failed: {e}"
            )),
            stale: false,
            after: None,
        },
    }
}

/// For each target, the earlier target of the same account whose trail's log group it shares
/// (`--regions` with one multi-region trail), if any.
fn same_group(surveys: &[Survey]) -> Vec<Option<usize>> {
    let key = |s: &Survey| {
        let lg = s.log_group()?;
        (s.error.is_none() && lg.readable).then(|| (s.account.id.clone(), lg.arn.clone()))
    };
    (0..surveys.len())
        .map(|i| {
            let k = key(&surveys[i])?;
            (0..i).find(|&j| key(&surveys[j]).as_ref() == Some(&k))
        })
        .collect()
}

/// What is left of a plan once its writes were sent: the changes that need the user.
fn after_apply(plans: &[Plan]) -> Vec<Plan> {
    plans
        .iter()
        .map(|p| Plan {
            changes: p
                .changes
                .iter()
                .filter(|c| c.action == Action::Blocked)
                .cloned()
                .collect(),
            ..p.clone()
        })
        .collect()
}

pub(in crate::run) async fn fix(
    base: &Target,
    req: &Request,
    f: &Fleet,
    args: &FixArgs,
    saved: Option<(&PlanFile, &str)>,
) -> Result<(Exit, Vec<Settled>), Error> {
    let text = req.format == Format::Text;
    let mut surveys = survey(base, req, f, Depth::Plan).await?;
    let mut plans = all_plans(&surveys, req, f);
    // One multi-region trail serves every region of an account: its log group is planned and
    // written once, in the first target that reaches it; the others follow that one.
    let same_as = same_group(&surveys);
    for (i, primary) in same_as.iter().enumerate() {
        if primary.is_some() {
            plans[i].clear();
        }
    }
    // A saved plan: each target must still be what it was planned from (a changed one is
    // skipped as stale, the others go on), and the file's writes what its state gives.
    let mut stale_now: Vec<Option<String>> = vec![None; surveys.len()];
    if let Some((file, path)) = saved {
        for (i, s) in surveys.iter().enumerate() {
            let Some(recorded) = file.target(&s.account.id, &s.region) else {
                // Never written: the plan that was approved did not show it.
                plans[i].clear();
                // Not read at all (every control excepted) or unreachable now: nothing to say.
                if s.error.is_none() && s.observed.is_some() {
                    stale_now[i] = Some(
                        "not in the plan file (it could not be read when the plan was made): nothing was written to this target".into(),
                    );
                }
                continue;
            };
            let Some(now) = &s.observed else {
                continue;
            };
            let changed = recorded.changed_in(now);
            if !changed.is_empty() {
                stale_now[i] = Some(fingerprint::stale_target(&changed));
                plans[i].clear();
                continue;
            }
            if !recorded.writes_match(&plans[i]) {
                return Err(Error::BadInput {
                    what: "plan file",
                    value: path.to_string(),
                    why: format!("the write requests it holds for {} are not what its recorded state and options give (it was edited): nothing was written: make a new plan", s.name()),
                });
            }
        }
    }
    let today = f.today;
    let mut before = assess::assess(&surveys, &plans, &f.exceptions, today);
    for (b, why) in before.iter_mut().zip(&stale_now) {
        if let Some(why) = why {
            b.status = Status::Error;
            b.pending = true;
            b.detail = why.clone();
        }
    }
    for (i, primary) in same_as.iter().enumerate() {
        if let Some(j) = primary {
            before[i].detail.push_str(&format!(
                "; same log group as {}: planned there",
                surveys[*j].name()
            ));
        }
    }
    let writes: Vec<usize> = plans.iter().map(|p| plan::writes(p).len()).collect();
    let total: usize = writes.iter().sum();
    let to_apply: Vec<usize> = (0..surveys.len())
        .filter(|&i| writes[i] > 0 && surveys[i].error.is_none())
        .collect();
    if text {
        crate::render::out::out(&table(&surveys, &before, Some(&plans)));
        // The table keeps one row per target; the plans keep to the width.
        let plans_text = grouped_plans(&surveys, &plans, req.palette);
        crate::render::out::out(&render::fit(&plans_text, req.palette.width));
        crate::render::out::line(&format!(
            "{}; {total} write(s) planned for {} target(s)",
            summary_line(&before),
            to_apply.len()
        ));
    }
    // Every target's plan as JSON lines, then the summary.
    let print_plans = |dry: bool| {
        for (i, (s, a)) in surveys.iter().zip(&before).enumerate() {
            let report = target_report(f, s, a, &plans[i], |x, pl| match pl {
                Some(pl) if dry => ControlReport::applied(x, pl, None, true),
                Some(pl) => ControlReport::plan(x, pl),
                None => ControlReport::audit(x),
            });
            req.printer().json(TargetReport {
                applied: dry.then(Vec::new),
                ..report
            });
        }
        let mut summary = FleetSummary::new(&before);
        summary.summary.writes = Some(total);
        req.printer().json(summary);
    };
    if let (true, Some(out)) = (args.plan, &args.out) {
        // Saved: every target read, with its writes and what they were planned from.
        let targets = surveys
            .iter()
            .zip(&plans)
            .filter_map(|(s, p)| {
                let observed = s.observed.as_ref()?;
                Some(SavedTarget::new(observed, &s.audits, p))
            })
            .collect();
        PlanFile::new(
            &req.controls,
            &req.options,
            targets,
            Some(f.regions.clone()),
        )
        .write(out)?;
        eprintln!(
            "trailwatch: saved the plan ({total} write request(s)) to {out}: apply it with `trailwatch fix --apply {out}` and the same fleet role options; it may name subscribers' endpoints, keep it private"
        );
    }
    if args.plan || args.dry_run || to_apply.is_empty() {
        if args.dry_run && text {
            for &i in &to_apply {
                crate::render::out::line(&format!("\n{}:", surveys[i].name()));
                crate::render::out::out(&render::text::requests(&plans[i]));
            }
        }
        if !args.plan && !args.dry_run && text {
            crate::render::out::line("Nothing to write.");
        }
        if !text {
            print_plans(args.dry_run);
        }
        // Nothing to write: where every target stands now. A plan or a dry run settles nothing.
        let settled_now = if args.plan || args.dry_run {
            Vec::new()
        } else {
            settled(&surveys, &before)
        };
        return Ok((assess::exit_code(&before), settled_now));
    }
    if !args.yes {
        super::super::show_before_asking(
            &format!(
                "{}{}",
                table(&surveys, &before, Some(&plans)),
                grouped_plans(&surveys, &plans, req.palette)
            ),
            text,
        );
        let accounts = {
            let mut a: Vec<&str> = to_apply
                .iter()
                .map(|&i| surveys[i].account.id.as_str())
                .collect();
            a.dedup();
            a.len()
        };
        if !super::super::confirm(&format!(
            "Send {total} write request(s) to {} target(s) in {accounts} account(s)?",
            to_apply.len()
        ))? {
            if !text {
                // The plan that was declined, as `fix --plan` prints it.
                print_plans(false);
            }
            eprintln!("trailwatch: not confirmed, nothing was written");
            // Declined: nothing was done, nothing is settled.
            return Ok((assess::exit_code(&before), Vec::new()));
        }
    }
    apply::stop_on_interrupt();
    // As planned and as read before: the JSON reports both next to the state after.
    let planned = plans.clone();
    let befores: Vec<Vec<Audit>> = surveys.iter().map(|s| s.audits.clone()).collect();
    let size = args
        .batch_size
        .map_or(to_apply.len(), |n| n as usize)
        .max(1);
    let batches: Vec<&[usize]> = to_apply.chunks(size).collect();
    let mut applied: Vec<Option<(usize, Vec<Applied>)>> = vec![None; surveys.len()];
    let mut errors: Vec<Option<String>> = stale_now.clone();
    // Targets skipped because they changed since the plan: reported, and the rollout goes on.
    let mut stale: Vec<bool> = stale_now.iter().map(Option::is_some).collect();
    let mut stopped: Option<usize> = None;
    let bar = progress(to_apply.len(), "applying");
    for (b, batch) in batches.iter().enumerate() {
        if apply::interrupted() {
            stopped = Some(b);
            if text {
                bar.suspend(|| {
                    crate::render::out::line(&format!(
                        "Interrupted: batches {} to {} not applied.",
                        b + 1,
                        batches.len()
                    ))
                });
            }
            break;
        }
        let outcomes: Vec<(usize, Outcome)> = stream::iter(batch.iter().copied())
            .map(|i| {
                let (s, p) = (&surveys[i], &plans[i]);
                let bar = &bar;
                async move {
                    let o = apply_target(base, f, s, p, req).await;
                    bar.inc(1);
                    (i, o)
                }
            })
            .buffered(f.concurrency.max(1))
            .collect()
            .await;
        for (i, o) in outcomes {
            stale[i] = o.stale;
            applied[i] = Some((b + 1, o.done));
            match o.after {
                Some((observed, audits)) => {
                    surveys[i].observed = Some(observed);
                    surveys[i].audits = audits;
                    plans[i] = after_apply(&plans[i]);
                }
                None => errors[i] = o.error,
            }
        }
        // The other regions of the accounts just written: read again, nothing written.
        let followers: Vec<usize> = (0..surveys.len())
            .filter(|&i| same_as[i].is_some_and(|j| batch.contains(&j)))
            .collect();
        let again: Vec<(usize, Result<_, Error>)> = stream::iter(followers)
            .map(|i| {
                let s = &surveys[i];
                async move { (i, reread(s, req).await) }
            })
            .buffered(f.concurrency.max(1))
            .collect()
            .await;
        for (i, r) in again {
            match r {
                Ok((observed, audits)) => {
                    surveys[i].observed = Some(observed);
                    surveys[i].audits = audits;
                }
                Err(e) => errors[i] = Some(e.to_string()),
            }
        }
        let now = assessed_after(&surveys, &plans, &errors, f, today);
        let unconverged: Vec<String> = batch
            .iter()
            // A subscription awaiting its receiver is as far as a tool can go: not a reason to
            // stop the rollout.
            .filter(|&&i| {
                !stale[i]
                    && ((now[i].pending && now[i].status != Status::AwaitingConfirmation)
                        || now[i].status == Status::Error)
            })
            .map(|&i| surveys[i].name())
            .collect();
        if text {
            bar.suspend(|| {
                crate::render::out::line(&format!(
                    "\nBatch {} of {}: {} target(s)",
                    b + 1,
                    batches.len(),
                    batch.len()
                ));
                for &i in batch.iter() {
                    let n = applied[i].as_ref().map_or(0, |(_, d)| d.len());
                    crate::render::out::line(&format!(
                        "  {}  {n} write(s) sent, {}: {}",
                        surveys[i].name(),
                        now[i].status.word(),
                        now[i].detail
                    ));
                }
            });
        }
        if !unconverged.is_empty() && !args.keep_going && b + 1 < batches.len() {
            stopped = Some(b + 1);
            if text {
                bar.suspend(|| {
                    crate::render::out::line(&format!("Stopped after batch {} of {}: not converged: {}. {} target(s) left unapplied; pass --keep-going to go on regardless.",
                        b + 1,
                        batches.len(),
                        unconverged.join(", "),
                        batches[b + 1..].iter().map(|x| x.len()).sum::<usize>()))
                });
            }
            break;
        }
    }
    bar.finish_and_clear();
    let mut after = assessed_after(&surveys, &plans, &errors, f, today);
    if let Some(b) = stopped {
        for &i in to_apply.iter().filter(|&&i| applied[i].is_none()) {
            after[i].detail.push_str(&format!(
                "; not applied: the rollout stopped after batch {b}"
            ));
        }
    }
    let sent: usize = applied.iter().flatten().map(|(_, d)| d.len()).sum();
    match req.format {
        Format::Text => {
            crate::render::out::out("\n");
            crate::render::out::out(&table(&surveys, &after, None));
            crate::render::out::line(&format!("{}; {sent} write(s) sent", summary_line(&after)));
        }
        _ => {
            for (i, (s, a)) in surveys.iter().zip(&after).enumerate() {
                let (batch, done) = match &applied[i] {
                    Some((b, d)) => (Some(*b), d.clone()),
                    None => (None, Vec::new()),
                };
                let was = &befores[i];
                let mut report = target_report(f, s, a, &planned[i], |x, pl| {
                    let b = was.iter().find(|b| b.control == x.control).unwrap_or(x);
                    match pl {
                        Some(pl) => ControlReport::applied(b, pl, Some(x), false),
                        None => ControlReport::audit(x),
                    }
                });
                report.applied = Some(done);
                if let Some(fleet) = report.fleet.as_mut() {
                    fleet.rollout = Some(Rollout {
                        batch,
                        apply_error: errors[i].as_deref().map(crate::redact::text),
                    });
                }
                req.printer().json(report);
            }
            let mut summary = FleetSummary::new(&after);
            summary.summary.apply = Some(ApplyTotals {
                writes_planned: total,
                writes_sent: sent,
                batches: batches.len(),
                stopped_after_batch: stopped,
            });
            req.printer().json(summary);
        }
    }
    Ok((assess::exit_code(&after), settled(&surveys, &after)))
}

/// How a target stands once the run is over (for `--update-finding`).
#[derive(Debug, Clone)]
pub(crate) struct Settled {
    pub account: String,
    /// The controls that passed every step when last read.
    pub compliant: Vec<String>,
    pub status: Status,
    pub detail: String,
}

fn settled(surveys: &[Survey], assessed: &[Assessment]) -> Vec<Settled> {
    surveys
        .iter()
        .zip(assessed)
        .map(|(s, a)| Settled {
            account: s.account.id.clone(),
            compliant: s
                .audits
                .iter()
                .filter(|x| x.compliant)
                .map(|x| x.control.clone())
                .collect(),
            status: a.status,
            detail: a.detail.clone(),
        })
        .collect()
}

/// The assessment once applied: a target whose apply or re-read failed is in error.
fn assessed_after(
    surveys: &[Survey],
    plans: &[Vec<Plan>],
    errors: &[Option<String>],
    f: &Fleet,
    today: time::Date,
) -> Vec<Assessment> {
    let mut a = assess::assess(surveys, plans, &f.exceptions, today);
    for (x, e) in a.iter_mut().zip(errors) {
        if let Some(e) = e {
            x.status = Status::Error;
            x.pending = true;
            x.detail = crate::redact::text(e);
        }
    }
    a
}
