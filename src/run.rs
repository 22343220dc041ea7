//! The commands: wire discover -> audit/plan -> render/apply for one target, and decide the exit
//! code (0 compliant or nothing to do, 2 drift or changes pending; errors are returned).

use std::io::IsTerminal;

use crate::apply;
use crate::audit::{self, Audit, MatchMode};
use crate::cli::{self, Cli, Command, FixArgs};
use crate::control::Control;
use crate::discover::{self, Depth, DiscoverOptions};
use crate::drill;
use crate::error::Error;
use crate::history;
use crate::plan::{self, Options, Plan};
use crate::render::{self, text::Palette, Format};
use crate::target::Target;

/// Exit code for "compliant / nothing to do".
pub const OK: u8 = 0;
/// Exit code for "drift found / changes pending".
pub const DRIFT: u8 = 2;

/// Everything the user asked for, validated.
struct Request {
    control: Control,
    mode: MatchMode,
    options: Options,
    format: Format,
    palette: Palette,
}

fn validate(cli: &Cli) -> Result<Request, Error> {
    if let Some(r) = &cli.region {
        cli::validate_region(r)?;
    }
    let control = match &cli.control {
        Some(path) => Control::from_file(path)?,
        None => Control::embedded(),
    };
    let mode: MatchMode = cli.match_mode.into();
    let mut options = Options {
        mode,
        ..Default::default()
    };
    if let Command::Fix(fix) = &cli.command {
        if let Some(arn) = &fix.topic_arn {
            cli::validate_topic_arn(arn)?;
            options.topic_arn = Some(arn.clone());
        }
        if let Some(s) = &fix.subscribe {
            options.subscribe = Some(cli::parse_subscribe(s)?);
        }
    }
    Ok(Request {
        control,
        mode,
        options,
        format: cli.output,
        palette: Palette {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        },
    })
}

/// Run the command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<u8, Error> {
    let req = validate(&cli)?;
    let target = Target::load(cli.profile.as_deref(), cli.region.as_deref()).await?;
    cli::validate_region(&target.region)?;
    match &cli.command {
        Command::Check(args) => check(&target, &req, args).await,
        Command::Fix(fix) => self::fix(&target, &req, fix).await,
        Command::Drill(args) => drill(&target, &req, args).await,
    }
}

async fn read(
    target: &Target,
    req: &Request,
    depth: Depth,
) -> Result<(crate::observed::Observed, Audit), Error> {
    let opts = DiscoverOptions {
        mode: req.mode,
        depth,
        topic_arn: req.options.topic_arn.clone(),
    };
    let observed = discover::discover(target, &req.control, &opts).await?;
    let audit = audit::audit(&req.control, &observed, req.mode);
    Ok((observed, audit))
}

fn print_json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string(v).unwrap_or_default());
}

async fn check(target: &Target, req: &Request, args: &cli::CheckArgs) -> Result<u8, Error> {
    let (observed, mut audit) = read(target, req, Depth::Audit).await?;
    if args.verify_with_aws {
        verify_with_aws(target, &req.control, &observed, &mut audit).await;
    }
    // --history: the working alarm's failed actions; with none working there is nothing to read.
    let history = match (args.history, audit.working_alarm(), &observed.log_group) {
        (true, Some(alarm), Some(lg)) => {
            Some(history::read(target, alarm, &lg.region, args.history_days).await)
        }
        _ => None,
    };
    match req.format {
        Format::Text => {
            print!("{}", render::text::audit(&audit, req.palette));
            if let Some(h) = &history {
                print!("{}", history::text(h));
            } else if args.history {
                println!("  alarm history: no working alarm to read the history of");
            }
        }
        Format::Json => {
            let mut v = render::json::audit(&audit);
            if args.history {
                v["history"] = serde_json::to_value(&history).unwrap_or_default();
            }
            print_json(&v);
        }
    }
    let failing_now = history.as_ref().is_some_and(|h| h.latest_failed);
    Ok(if audit.compliant && !failing_now {
        OK
    } else {
        DRIFT
    })
}

async fn drill(target: &Target, req: &Request, args: &cli::DrillArgs) -> Result<u8, Error> {
    let (observed, audit) = read(target, req, Depth::Audit).await?;
    let mut d = match drill::prepare(&audit, &observed) {
        Ok(d) => d,
        Err(why) => {
            match req.format {
                Format::Text => {
                    print!("{}", render::text::audit(&audit, req.palette));
                    println!("Nothing to drill: {why}");
                }
                Format::Json => {
                    let mut v = render::json::audit(&audit);
                    v["drill"] = serde_json::Value::Null;
                    v["delivered"] = serde_json::json!(false);
                    v["failures"] = serde_json::json!([why]);
                    print_json(&v);
                }
            }
            return Ok(DRIFT);
        }
    };
    if !args.yes {
        let what = format!(
            "Publish a labelled test notification to {} topic(s){}?",
            d.topics.len(),
            if args.alarm {
                format!(" and set alarm {} to ALARM", d.alarm)
            } else {
                String::new()
            }
        );
        confirm(&what)?;
    }
    drill::publish(target, &mut d).await;
    let publish_error = d.topics.iter().find_map(|t| t.error.clone());
    let alarm = if args.alarm && publish_error.is_none() {
        Some(drill::fire_alarm(target, &d, args.wait).await)
    } else {
        None
    };
    let alarm_error = alarm
        .as_ref()
        .filter(|a| !a.state_set)
        .and_then(|a| a.error.clone());
    let failures = drill::failures(&d, alarm.as_ref());
    let error = publish_error.or(alarm_error);
    let delivered = error.is_none() && failures.is_empty();
    match req.format {
        Format::Text => {
            print!("{}", drill::text(&d, alarm.as_ref()));
            for f in &failures {
                println!("  FAIL {f}");
            }
            println!(
                "Result: {}",
                if delivered {
                    "DELIVERED"
                } else {
                    "NOT DELIVERED"
                }
            );
        }
        Format::Json => {
            let mut v = serde_json::to_value(&d).unwrap_or_default();
            v["alarm_drill"] = serde_json::to_value(&alarm).unwrap_or_default();
            v["delivered"] = serde_json::json!(delivered);
            v["failures"] = serde_json::json!(failures);
            v["error"] = serde_json::json!(error);
            print_json(&v);
        }
    }
    if let Some(e) = error {
        return Err(Error::Refused(format!("the drill could not finish: {e}")));
    }
    Ok(if delivered { OK } else { DRIFT })
}

/// Ask on the terminal; without one, refuse (the caller passes --yes in automation).
fn confirm(prompt: &str) -> Result<(), Error> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Refused(
            "no terminal to confirm on: pass --yes to go ahead without asking (nothing was sent)"
                .into(),
        ));
    }
    let confirmed = dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .map_err(|e| Error::Refused(format!("confirmation failed: {e}")))?;
    if confirmed {
        Ok(())
    } else {
        Err(Error::Refused("not confirmed, nothing was sent".into()))
    }
}

/// Ask `logs:TestMetricFilter` for AWS's opinion of each filter on sample events. A failure is
/// reported on the filter (the emulator, for one, does not implement the call); it never changes
/// the audit or the exit code.
async fn verify_with_aws(
    target: &Target,
    control: &Control,
    observed: &crate::observed::Observed,
    audit: &mut Audit,
) {
    let Some(lg) = observed.log_group.as_ref().filter(|lg| lg.readable) else {
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

fn plan_exit(audit: &Audit, plan: &Plan) -> u8 {
    if audit.compliant && plan.is_empty() {
        OK
    } else {
        DRIFT
    }
}

async fn fix(target: &Target, req: &Request, args: &FixArgs) -> Result<u8, Error> {
    let (observed, before) = read(target, req, Depth::Plan).await?;
    check_topic_region(&req.options, &observed)?;
    let plan = plan::plan(&req.control, &observed, &before, &req.options);
    let text = req.format == Format::Text;
    if args.plan {
        match req.format {
            Format::Text => {
                print!("{}", render::text::audit(&before, req.palette));
                print!("{}", render::text::plan(&plan, req.palette));
            }
            Format::Json => print_json(&render::json::plan(&before, &plan)),
        }
        return Ok(plan_exit(&before, &plan));
    }
    if text {
        print!("{}", render::text::plan(&plan, req.palette));
    }
    let writes = plan.writes().count();
    if let Some(why) = &plan.blocked {
        if !text {
            print_json(&render::json::applied(
                &before,
                &plan,
                &[],
                None,
                args.dry_run,
            ));
        }
        eprintln!("trailwatch: refusing to apply, nothing was written: {why}");
        return Ok(DRIFT);
    }
    if args.dry_run {
        match req.format {
            Format::Text => print!("{}", render::text::requests(&plan)),
            Format::Json => print_json(&render::json::applied(&before, &plan, &[], None, true)),
        }
        return Ok(plan_exit(&before, &plan));
    }
    if writes == 0 {
        if text {
            println!("Nothing to write.");
        } else {
            print_json(&render::json::applied(
                &before,
                &plan,
                &[],
                Some(&before),
                false,
            ));
        }
        return Ok(plan_exit(&before, &plan));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return Err(Error::Refused(
                "no terminal to confirm on: pass --yes to apply without asking (nothing was written)".into(),
            ));
        }
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(format!(
                "Send these {writes} write request(s) to account {}?",
                plan.account
            ))
            .default(false)
            .interact()
            .map_err(|e| Error::Refused(format!("confirmation failed: {e}")))?;
        if !confirmed {
            eprintln!("trailwatch: not confirmed, nothing was written");
            return Ok(DRIFT);
        }
    }
    let outcome = apply::apply(target, &plan).await;
    if let Some(error) = outcome.error {
        // Say what was written before the failure, then fail.
        match req.format {
            Format::Text => print!("{}", render::text::applied(&outcome.done)),
            Format::Json => {
                let mut v = render::json::applied(&before, &plan, &outcome.done, None, false);
                v["error"] = serde_json::json!(error.to_string());
                print_json(&v);
            }
        }
        return Err(error);
    }
    let done = outcome.done;
    let after = match read(target, req, Depth::Audit).await {
        Ok((_, after)) => after,
        Err(e) => {
            // The writes went through; say so before reporting that the re-read failed.
            match req.format {
                Format::Text => print!("{}", render::text::applied(&done)),
                Format::Json => {
                    let mut v = render::json::applied(&before, &plan, &done, None, false);
                    v["error"] = serde_json::json!(format!(
                        "the writes were sent, but re-reading the account failed: {e}"
                    ));
                    print_json(&v);
                }
            }
            return Err(e);
        }
    };
    match req.format {
        Format::Text => {
            print!("{}", render::text::applied(&done));
            print!("{}", render::text::audit(&after, req.palette));
        }
        Format::Json => print_json(&render::json::applied(
            &before,
            &plan,
            &done,
            Some(&after),
            false,
        )),
    }
    // A change that needs the user keeps the exit at 2, as `fix --plan` said.
    Ok(if after.compliant && plan.summary().blocked == 0 {
        OK
    } else {
        DRIFT
    })
}

/// `--topic-arn` must be in the region the alarm goes to (the trail's log group's): CloudWatch
/// can notify only a topic in its own region, so apply would fail part-way. Refused before any
/// write, naming both regions.
fn check_topic_region(opts: &Options, observed: &crate::observed::Observed) -> Result<(), Error> {
    let (Some(arn), Some(lg)) = (&opts.topic_arn, &observed.log_group) else {
        return Ok(());
    };
    let region = crate::observed::Arn::parse(arn).map(|a| a.region.to_string());
    if lg.readable && region.as_deref() != Some(lg.region.as_str()) {
        return Err(Error::BadInput {
            what: "--topic-arn",
            value: arn.clone(),
            why: format!(
                "the alarm goes to {}, where the trail's log group is, and a CloudWatch alarm can notify only a topic in its own region: name a topic in {} (nothing was written)",
                lg.region, lg.region
            ),
        });
    }
    Ok(())
}
