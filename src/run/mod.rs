//! The commands: wire discover -> audit/plan -> render/apply for one target and the selected
//! controls, and decide the exit code (0 compliant or nothing to do, 2 drift or changes pending;
//! errors are returned). One module per command: `check`, `fix`, `drill`; `controls` lists the
//! embedded specs.

mod check;
mod drill;
mod fix;
mod fleet;

use std::io::IsTerminal;

use crate::audit::{self, Audit, MatchMode};
use crate::cli::{self, Cli, Command};
use crate::control::Control;
use crate::discover::{self, Depth, DiscoverOptions};
use crate::error::Error;
use crate::observed::Observed;
use crate::plan::Options;
use crate::render::{text::Palette, Format};
use crate::target::Target;

pub use crate::exit::Exit;
/// Exit for "compliant / nothing to do".
const OK: Exit = Exit::Ok;
/// Exit for "drift found / changes pending".
const DRIFT: Exit = Exit::Drift;

/// Everything the user asked for, validated.
struct Request {
    controls: Vec<Control>,
    mode: MatchMode,
    options: Options,
    format: Format,
    palette: Palette,
}

fn validate(cli: &Cli) -> Result<Request, Error> {
    if let Some(r) = &cli.region {
        cli::validate_region(r)?;
    }
    if let Some(url) = std::env::var_os("AWS_ENDPOINT_URL") {
        cli::validate_endpoint_url(&url.to_string_lossy())?;
    }
    let controls = match (&cli.control, cli.all_controls) {
        (Some(_), true) => {
            return Err(Error::BadInput {
                what: "--control",
                value: cli.control.clone().unwrap_or_default(),
                why: "give --control or --all-controls, not both".into(),
            })
        }
        (Some(value), false) => Control::select(value)?,
        (None, true) => Control::all(),
        (None, false) => vec![Control::embedded()],
    };
    let mode: MatchMode = cli.match_mode.into();
    let mut options = Options {
        mode,
        ..Default::default()
    };
    let fleet = cli.fleet_mode();
    if let Command::Fix(fix) = &cli.command {
        if let (Some(arn), true) = (&fix.topic_arn, fleet) {
            return Err(Error::BadInput {
                what: "--topic-arn",
                value: arn.clone(),
                why: "a topic belongs to one account: in fleet mode each account gets the shared topic"
                    .into(),
            });
        }
        if let (Some(n), false) = (fix.batch_size, fleet) {
            return Err(Error::BadInput {
                what: "--batch-size",
                value: n.to_string(),
                why: "batches are for fleet mode (--accounts, --accounts-file or --org)".into(),
            });
        }
        if let Some(arn) = &fix.topic_arn {
            cli::validate_topic_arn(arn)?;
            options.topic_arn = Some(arn.clone());
        }
        if let Some(s) = &fix.subscribe {
            options.subscribe = Some(cli::parse_subscribe(s)?);
        }
    }
    Ok(Request {
        controls,
        mode,
        options,
        format: cli.output,
        palette: Palette {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        },
    })
}

/// Run the command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<Exit, Error> {
    if let Command::Controls = &cli.command {
        return Ok(controls(cli.output));
    }
    let req = validate(&cli)?;
    let target = Target::load(cli.profile.as_deref(), cli.region.as_deref()).await?;
    cli::validate_region(&target.region)?;
    if let Command::Check(args) = &cli.command {
        let fleet = cli.fleet_mode();
        let per_account = [
            (args.history, "--history"),
            (args.verify_with_aws, "--verify-with-aws"),
        ];
        if let Some((_, flag)) = per_account.iter().find(|(on, _)| *on && fleet) {
            return Err(Error::BadInput {
                what: "option",
                value: flag.to_string(),
                why: "runs per account, not in fleet mode".into(),
            });
        }
    }
    if let Some(f) = cli::fleet(&cli, &target.region, &req.controls)? {
        return match &cli.command {
            Command::Check(_) => fleet::check(&target, &req, &f).await,
            Command::Fix(args) => fleet::fix(&target, &req, &f, args).await,
            _ => Err(Error::BadInput {
                what: "command",
                value: "drill".into(),
                why: "fleet mode covers `check` and `fix`; run drill per account".into(),
            }),
        };
    }
    match &cli.command {
        Command::Check(args) => check::check(&target, &req, args).await,
        Command::Fix(args) => fix::fix(&target, &req, args).await,
        Command::Drill(args) => drill::drill(&target, &req, args).await,
        Command::Controls => unreachable!("handled above"),
    }
}

/// `trailwatch controls`: id, CIS ids, Security Hub id, title of every embedded control.
fn controls(format: Format) -> Exit {
    let all = Control::all();
    match format {
        Format::Text => {
            println!("{:<9} {:<34} {:<14} title", "id", "CIS", "Security Hub");
            for c in &all {
                println!(
                    "{:<9} {:<34} {:<14} {}",
                    c.id,
                    c.cis.join(", "),
                    c.security_hub.as_deref().unwrap_or("-"),
                    c.title
                );
            }
        }
        Format::Json => print_json(&crate::report::ControlList::new(&all)),
    }
    OK
}

/// Read the target once for all selected controls, and audit each.
async fn read(
    target: &Target,
    req: &Request,
    depth: Depth,
) -> Result<(Observed, Vec<Audit>), Error> {
    let opts = DiscoverOptions {
        depth,
        topic_arn: req.options.topic_arn.clone(),
        expect_account: None,
    };
    let observed = discover::discover(target, &req.controls, &opts).await?;
    let audits = audit::audit_all(&req.controls, &observed, req.mode);
    Ok((observed, audits))
}

/// One report as one line of JSON on stdout.
fn print_json(report: &impl serde::Serialize) {
    println!("{}", crate::report::to_line(report));
}

/// Ask on the terminal: `Ok(false)` when the user says no. Without a terminal, refuse (the
/// caller passes --yes in automation).
pub(super) fn confirm(prompt: &str) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Refused(
            "no terminal to confirm on: pass --yes to go ahead without asking (nothing was sent)"
                .into(),
        ));
    }
    dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .map_err(|e| Error::Refused(format!("confirmation failed: {e}")))
}

/// `--topic-arn` must be in the region the alarm goes to (the trail's log group's): CloudWatch
/// can notify only a topic in its own region, so apply would fail part-way. Refused before any
/// write, naming both regions.
pub(super) fn check_topic_region(
    opts: &Options,
    log_group: Option<&crate::observed::LogGroup>,
) -> Result<(), Error> {
    let (Some(arn), Some(lg)) = (&opts.topic_arn, log_group) else {
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
