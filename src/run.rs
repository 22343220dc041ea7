//! The commands: wire discover -> audit/plan -> render/apply for one target, and decide the exit
//! code (0 compliant or nothing to do, 2 drift or changes pending; errors are returned).

use std::io::IsTerminal;

use crate::apply;
use crate::audit::{self, Audit, MatchMode};
use crate::cli::{self, Cli, Command, FixArgs};
use crate::control::Control;
use crate::discover::{self, Depth, DiscoverOptions};
use crate::error::Error;
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
        Command::Check(args) => check(&target, &req, args.verify_with_aws).await,
        Command::Fix(fix) => self::fix(&target, &req, fix).await,
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

async fn check(target: &Target, req: &Request, verify: bool) -> Result<u8, Error> {
    let (observed, mut audit) = read(target, req, Depth::Audit).await?;
    if verify {
        verify_with_aws(target, &req.control, &observed, &mut audit).await;
    }
    match req.format {
        Format::Text => print!("{}", render::text::audit(&audit, req.palette)),
        Format::Json => print_json(&render::json::audit(&audit)),
    }
    Ok(if audit.compliant { OK } else { DRIFT })
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
    let samples = crate::pattern::samples(&control.events, &control.event_source);
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
            print!("{}", render::text::applied(&done));
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
