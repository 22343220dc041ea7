//! Fleet mode commands: `check` and `fix --plan | --apply` across accounts x regions.
//!
//! Text: a table (one line per target: status and what is wrong or planned), then for `fix` each
//! distinct plan once with the targets it applies to, then a summary line. JSON: one object per
//! target per line (the single-target schema plus `label`, `role_arn`, `status`, `error`, ...),
//! then a summary object. `fix --apply` asks once for the whole fleet (or takes `--yes`), then
//! applies in batches (`--batch-size`), re-reads each batch and stops before the next one if a
//! target did not converge (unless `--keep-going`). Exit 1 if any target is in error, else 2 if
//! anything is pending, else 0.

use std::io::IsTerminal;

use futures_util::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};

use super::{json_for, print_json, Request};
use crate::apply::{self, Applied};
use crate::audit::Audit;
use crate::aws;
use crate::cli::FixArgs;
use crate::discover::Depth;
use crate::error::Error;
use crate::fleet::assess::{self, Assessment, Status};
use crate::fleet::exceptions::{self, Standing};
use crate::fleet::{self, Fleet, Survey};
use crate::plan::{Action, Plan};
use crate::render::{self, Format};
use crate::target::Target;

/// A progress bar on stderr when it is a terminal; hidden otherwise (nothing extra is printed).
fn progress(len: usize, what: &str) -> ProgressBar {
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
async fn survey(
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

/// `1 to create, 2 to update` for a target's plans (empty when nothing is to be done).
fn changes(plans: &[Plan]) -> String {
    let writes = apply::writes(plans).len();
    let (mut create, mut update, mut needs) = (0, 0, 0);
    for p in plans {
        let s = p.summary();
        create += s.create;
        update += s.update;
        needs += s.blocked;
    }
    let mut parts = Vec::new();
    if create > 0 {
        parts.push(format!("{create} to create"));
    }
    if update > 0 {
        parts.push(format!("{update} to update"));
    }
    if needs > 0 {
        parts.push(format!("{needs} need you"));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("{} ({writes} write(s))", parts.join(", "))
}

/// One line per target.
fn table(surveys: &[Survey], assessed: &[Assessment], plans: Option<&[Vec<Plan>]>) -> String {
    let mut out = String::new();
    for (i, (s, a)) in surveys.iter().zip(assessed).enumerate() {
        let label = s
            .account
            .label
            .as_deref()
            .map(|l| format!("[{l}] "))
            .unwrap_or_default();
        let planned = plans
            .map(|p| changes(&p[i]))
            .filter(|c| !c.is_empty())
            .map(|c| format!("; plan: {c}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}  {:<14} {:<10}  {label}{}{planned}\n",
            s.account.id,
            s.region,
            a.status.word(),
            a.detail
        ));
        for note in a.exceptions.iter().filter(|n| n.contains("expired")) {
            out.push_str(&format!("{:>28}  {note}\n", ""));
        }
    }
    out
}

/// `Fleet: 4 target(s): 1 compliant, 2 drift, 0 blocked, 1 excepted, 0 covered-by, 0 error`.
fn summary_line(assessed: &[Assessment]) -> String {
    let counts: Vec<String> = assess::counts(assessed)
        .into_iter()
        .map(|(s, n)| format!("{n} {}", s.word()))
        .collect();
    format!("Fleet: {} target(s): {}", assessed.len(), counts.join(", "))
}

fn summary_json(assessed: &[Assessment], extra: Value) -> Value {
    let mut summary = json!({ "targets": assessed.len() });
    for (s, n) in assess::counts(assessed) {
        summary[s.word()] = json!(n);
    }
    if let (Some(obj), Value::Object(extra)) = (summary.as_object_mut(), extra) {
        obj.extend(extra);
    }
    json!({ "summary": summary })
}

/// Each distinct plan once, with the targets it applies to. The target's account id reads
/// `<account>` so that the same change in many accounts is shown once.
fn grouped_plans(surveys: &[Survey], plans: &[Vec<Plan>], req: &Request) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (s, p) in surveys.iter().zip(plans) {
        // A blocked plan is said in the table already; here only what would be written or
        // needs the user.
        let shown: Vec<&Plan> = p
            .iter()
            .filter(|p| !p.is_empty() && p.blocked.is_none())
            .collect();
        if shown.is_empty() {
            continue;
        }
        let text: String = shown
            .iter()
            .map(|p| render::text::plan(p, req.palette))
            .collect::<String>()
            .replace(&s.account.id, "<account>");
        match groups.iter_mut().find(|(t, _)| *t == text) {
            Some((_, names)) => names.push(s.name()),
            None => groups.push((text, vec![s.name()])),
        }
    }
    let mut out = String::new();
    for (text, names) in groups {
        out.push_str(&format!(
            "\n== {} for {} target(s): {}\n",
            req.palette.bold("Plan"),
            names.len(),
            names.join(", ")
        ));
        out.push_str(&text);
    }
    out
}

/// The exception on a control of a target, as JSON.
fn exception_json(f: &Fleet, account: &str, control: &str) -> Option<Value> {
    let st = exceptions::standing(&f.exceptions, account, control, exceptions::today())?;
    let (e, holds) = match st {
        Standing::Holds(e) => (e, true),
        Standing::Expired(e) => (e, false),
    };
    Some(json!({
        "owner": e.owner, "expires": exceptions::format_date(e.expires), "reason": e.reason,
        "holds": holds,
    }))
}

/// One target's JSON: per control `each(audit, plan)`, then the fleet fields at the top.
fn target_json(
    f: &Fleet,
    s: &Survey,
    a: &Assessment,
    plans: &[Plan],
    extra: Value,
    each: impl Fn(&Audit, Option<&Plan>) -> Value,
) -> Value {
    let mut per: Vec<Value> = s
        .audits
        .iter()
        .map(|x| {
            let mut v = each(x, plans.iter().find(|p| p.control == x.control));
            if let Some(e) = exception_json(f, &s.account.id, &x.control) {
                v["exception"] = e;
            }
            v
        })
        .collect();
    // A fully excepted account was not read: its controls carry their exception only.
    per.extend(s.not_read.iter().map(|c| {
        json!({
            "account": s.account.id, "region": s.region, "control": c, "read": false,
            "exception": exception_json(f, &s.account.id, c),
        })
    }));
    let compliant = !s.audits.is_empty() && s.audits.iter().all(|x| x.compliant);
    let mut top = json!({
        "account": s.account.id,
        "region": s.region,
        "label": s.account.label,
        "role_arn": s.role_arn,
        "status": a.status.word(),
        "detail": a.detail,
        "pending": a.pending,
        "covered_by": a.covered_by,
        "excepted": a.excepted,
        "error": s.error,
    });
    if let (Some(obj), Value::Object(extra)) = (top.as_object_mut(), extra) {
        obj.extend(extra);
    }
    json_for(&s.account.id, &s.region, per, compliant, top)
}

fn all_plans(surveys: &[Survey], req: &Request, f: &Fleet) -> Vec<Vec<Plan>> {
    let today = exceptions::today();
    surveys
        .iter()
        .map(|s| assess::plans(s, &req.controls, &f.exceptions, today, &req.options))
        .collect()
}

pub(super) async fn check(base: &Target, req: &Request, f: &Fleet) -> Result<u8, Error> {
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
    let assessed = assess::assess(&surveys, &plans, &f.exceptions, exceptions::today());
    match req.format {
        Format::Text => {
            print!("{}", table(&surveys, &assessed, None));
            println!("{}", summary_line(&assessed));
        }
        Format::Json => {
            for (s, a) in surveys.iter().zip(&assessed) {
                print_json(&target_json(f, s, a, &[], json!({}), |x, _| {
                    render::json::audit(x)
                }));
            }
            print_json(&summary_json(&assessed, json!({})));
        }
    }
    Ok(assess::exit_code(&assessed))
}

/// What applying one target did.
struct Outcome {
    done: Vec<Applied>,
    error: Option<String>,
    /// The audits re-read afterwards (with what discovery saw).
    after: Option<(crate::observed::Observed, Vec<Audit>)>,
}

async fn apply_target(s: &Survey, plans: &[Plan], req: &Request) -> Outcome {
    let Some(target) = &s.target else {
        return Outcome {
            done: Vec::new(),
            error: Some("not reached".into()),
            after: None,
        };
    };
    let outcome = apply::apply_all(target, plans).await;
    if let Some(e) = outcome.error {
        return Outcome {
            done: outcome.done,
            error: Some(e.to_string()),
            after: None,
        };
    }
    match fleet::read(
        target,
        &req.controls,
        req.mode,
        Depth::Audit,
        Some(&s.account.id),
    )
    .await
    {
        Ok(after) => Outcome {
            done: outcome.done,
            error: None,
            after: Some(after),
        },
        Err(e) => Outcome {
            done: outcome.done,
            error: Some(format!(
                "the writes were sent, but re-reading the target failed: {e}"
            )),
            after: None,
        },
    }
}

/// For each target, the earlier target of the same account whose trail's log group it shares
/// (`--regions` with one multi-region trail), if any.
fn same_group(surveys: &[Survey]) -> Vec<Option<usize>> {
    let key = |s: &Survey| {
        let lg = s.observed.as_ref()?.log_group.as_ref()?;
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

pub(super) async fn fix(
    base: &Target,
    req: &Request,
    f: &Fleet,
    args: &FixArgs,
) -> Result<u8, Error> {
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
    let today = exceptions::today();
    let mut before = assess::assess(&surveys, &plans, &f.exceptions, today);
    for (i, primary) in same_as.iter().enumerate() {
        if let Some(j) = primary {
            before[i].detail.push_str(&format!(
                "; same log group as {}: planned there",
                surveys[*j].name()
            ));
        }
    }
    let writes: Vec<usize> = plans.iter().map(|p| apply::writes(p).len()).collect();
    let total: usize = writes.iter().sum();
    let to_apply: Vec<usize> = (0..surveys.len())
        .filter(|&i| writes[i] > 0 && surveys[i].error.is_none())
        .collect();
    if text {
        print!("{}", table(&surveys, &before, Some(&plans)));
        print!("{}", grouped_plans(&surveys, &plans, req));
        println!(
            "{}; {total} write(s) planned for {} target(s)",
            summary_line(&before),
            to_apply.len()
        );
    }
    let plan_json = |s: &Survey, a: &Assessment, p: &[Plan], dry: bool| {
        target_json(f, s, a, p, json!({}), |x, pl| match pl {
            Some(pl) if dry => render::json::applied(x, pl, &[], None, true),
            Some(pl) => render::json::plan(x, pl),
            None => render::json::audit(x),
        })
    };
    if args.plan || args.dry_run || to_apply.is_empty() {
        if args.dry_run && text {
            for &i in &to_apply {
                println!("\n{}:", surveys[i].name());
                print!("{}", render::text::requests(&plans[i]));
            }
        }
        if !args.plan && !args.dry_run && text {
            println!("Nothing to write.");
        }
        if !text {
            for (i, (s, a)) in surveys.iter().zip(&before).enumerate() {
                print_json(&plan_json(s, a, &plans[i], args.dry_run));
            }
            print_json(&summary_json(&before, json!({ "writes": total })));
        }
        return Ok(assess::exit_code(&before));
    }
    if !args.yes {
        if !text {
            eprint!("{}", table(&surveys, &before, Some(&plans)));
            eprint!("{}", grouped_plans(&surveys, &plans, req));
        }
        let accounts = {
            let mut a: Vec<&str> = to_apply
                .iter()
                .map(|&i| surveys[i].account.id.as_str())
                .collect();
            a.dedup();
            a.len()
        };
        if let Err(e) = super::confirm(&format!(
            "Send {total} write request(s) to {} target(s) in {accounts} account(s)?",
            to_apply.len()
        )) {
            if matches!(&e, Error::Refused(why) if why.starts_with("not confirmed")) {
                if !text {
                    // The plan that was declined, as `fix --plan` prints it.
                    for (i, (s, a)) in surveys.iter().zip(&before).enumerate() {
                        print_json(&plan_json(s, a, &plans[i], false));
                    }
                    print_json(&summary_json(&before, json!({ "writes": total })));
                }
                eprintln!("trailwatch: not confirmed, nothing was written");
                return Ok(assess::exit_code(&before));
            }
            return Err(e);
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
    let mut errors: Vec<Option<String>> = vec![None; surveys.len()];
    let mut stopped: Option<usize> = None;
    let bar = progress(to_apply.len(), "applying");
    for (b, batch) in batches.iter().enumerate() {
        if apply::interrupted() {
            stopped = Some(b);
            if text {
                bar.suspend(|| {
                    println!(
                        "Interrupted: batches {} to {} not applied.",
                        b + 1,
                        batches.len()
                    )
                });
            }
            break;
        }
        let outcomes: Vec<(usize, Outcome)> = stream::iter(batch.iter().copied())
            .map(|i| {
                let (s, p) = (&surveys[i], &plans[i]);
                let bar = &bar;
                async move {
                    let o = apply_target(s, p, req).await;
                    bar.inc(1);
                    (i, o)
                }
            })
            .buffered(f.concurrency.max(1))
            .collect()
            .await;
        for (i, o) in outcomes {
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
        let reread: Vec<(usize, Result<_, Error>)> = stream::iter(followers)
            .map(|i| {
                let s = &surveys[i];
                async move {
                    let r = match &s.target {
                        Some(t) => {
                            fleet::read(
                                t,
                                &req.controls,
                                req.mode,
                                Depth::Audit,
                                Some(&s.account.id),
                            )
                            .await
                        }
                        None => Err(Error::Refused("not reached".into())),
                    };
                    (i, r)
                }
            })
            .buffered(f.concurrency.max(1))
            .collect()
            .await;
        for (i, r) in reread {
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
            .filter(|&&i| now[i].pending || now[i].status == Status::Error)
            .map(|&i| surveys[i].name())
            .collect();
        if text {
            bar.suspend(|| {
                println!(
                    "\nBatch {} of {}: {} target(s)",
                    b + 1,
                    batches.len(),
                    batch.len()
                );
                for &i in batch.iter() {
                    let n = applied[i].as_ref().map_or(0, |(_, d)| d.len());
                    println!(
                        "  {}  {n} write(s) sent, {}: {}",
                        surveys[i].name(),
                        now[i].status.word(),
                        now[i].detail
                    );
                }
            });
        }
        if !unconverged.is_empty() && !args.keep_going && b + 1 < batches.len() {
            stopped = Some(b + 1);
            if text {
                bar.suspend(|| {
                    println!(
                        "Stopped after batch {} of {}: not converged: {}. {} target(s) left unapplied; pass --keep-going to go on regardless.",
                        b + 1,
                        batches.len(),
                        unconverged.join(", "),
                        batches[b + 1..].iter().map(|x| x.len()).sum::<usize>()
                    )
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
            println!();
            print!("{}", table(&surveys, &after, None));
            println!("{}; {sent} write(s) sent", summary_line(&after));
        }
        Format::Json => {
            for (i, (s, a)) in surveys.iter().zip(&after).enumerate() {
                let (batch, done) = match &applied[i] {
                    Some((b, d)) => (json!(b), d.clone()),
                    None => (Value::Null, Vec::new()),
                };
                let extra = json!({
                    "batch": batch,
                    "applied": done,
                    "apply_error": errors[i].as_deref().map(crate::redact::text),
                });
                let was = &befores[i];
                let json = target_json(f, s, a, &planned[i], extra, |x, pl| {
                    let b = was.iter().find(|b| b.control == x.control).unwrap_or(x);
                    match pl {
                        Some(pl) => {
                            let mut v = render::json::applied(b, pl, &[], Some(x), false);
                            if let Some(o) = v.as_object_mut() {
                                o.remove("applied");
                            }
                            v
                        }
                        None => render::json::audit(x),
                    }
                });
                print_json(&json);
            }
            print_json(&summary_json(
                &after,
                json!({
                    "writes_planned": total, "writes_sent": sent, "batches": batches.len(),
                    "stopped_after_batch": stopped,
                }),
            ));
        }
    }
    Ok(assess::exit_code(&after))
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
