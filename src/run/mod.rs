//! The commands: wire discover -> audit/plan -> render/apply for one target and the selected
//! controls, and decide the exit code (0 compliant or nothing to do, 2 drift or changes pending;
//! errors are returned). One module per command: `check`, `fix`, `drill`; `controls` lists the
//! embedded specs.

mod check;
mod drill;
mod fix;
mod fleet;
mod guardrails;
mod iac;
mod runbook;

use std::io::IsTerminal;

use crate::audit::{self, Audit};
use crate::cli::{Cli, Command};
use crate::control::Control;
use crate::discover::{self, Depth, DiscoverOptions};
use crate::error::Error;
use crate::observed::Observed;
use crate::plan::Options;
use crate::render::Format;
use crate::settings::{self, Settings as Request};
use crate::target::Target;
use crate::values;

pub use crate::exit::Exit;
/// Exit for "compliant / nothing to do".
const OK: Exit = Exit::Ok;
/// Exit for "drift found / changes pending".
const DRIFT: Exit = Exit::Drift;

/// Run the command line; returns the exit code.
pub async fn run(cli: Cli) -> Result<Exit, Error> {
    crate::render::out::set_quiet(cli.quiet);
    use crate::cli::OutputArg;
    if matches!(cli.output, OutputArg::Asff | OutputArg::Ocsf)
        && !matches!(cli.command, Command::Check(_))
    {
        let value = if cli.output == OutputArg::Asff {
            "asff"
        } else {
            "ocsf"
        };
        return Err(Error::BadInput {
            what: "--output",
            value: value.into(),
            why: "findings are made by `check` (one account or a fleet); use --output json here"
                .into(),
        });
    }
    if cli.output == OutputArg::Sarif && !matches!(cli.command, Command::Iac(_)) {
        return Err(Error::BadInput {
            what: "--output",
            value: "sarif".into(),
            why: "SARIF is made by `iac`; use --output json here".into(),
        });
    }
    if let Some(name) = local(&cli.command) {
        refuse_account_options(&cli, name, &[])?;
    }
    if let Command::Iac(args) = &cli.command {
        // The gate reads files only: the controls, match mode and region (for the ARNs it
        // builds) are all it takes.
        refuse_account_options(
            &cli,
            "iac",
            &["--region", "--control", "--all-controls", "--match"],
        )?;
        let mut req = settings::resolve(&cli)?;
        if cli.control.is_none() {
            req.controls = Control::all();
        }
        return iac::iac(&req, args, cli.region.as_deref());
    }
    if let Command::Controls(args) = &cli.command {
        if let Some(crate::cli::ControlsCommand::Show { id }) = &args.show {
            let c = Control::find(id)?;
            match Format::from(cli.output) {
                Format::Text => {
                    let text = crate::control::SPECS
                        .iter()
                        .find(|(i, _)| *i == c.id)
                        .map(|(_, t)| *t)
                        .unwrap_or_default();
                    crate::render::out::document(text);
                }
                _ => crate::render::out::line(&crate::report::to_line(&c)),
            }
            return Ok(OK);
        }
        return Ok(controls(cli.output.into()));
    }
    if let Command::Completions(c) = &cli.command {
        let mut cmd = crate::cli::command();
        clap_complete::generate(c.shell, &mut cmd, "trailwatch", &mut std::io::stdout());
        return Ok(OK);
    }
    if let Command::Man = &cli.command {
        let mut page = Vec::new();
        clap_mangen::Man::new(crate::cli::command())
            .render(&mut page)
            .map_err(|e| Error::Refused(format!("cannot render the manual page: {e}")))?;
        crate::render::out::document(&String::from_utf8_lossy(&page));
        return Ok(OK);
    }
    if let Command::Policy(p) = &cli.command {
        crate::render::out::document(&crate::policies::render(&p.name, &p.partition)?);
        return Ok(OK);
    }
    // The findings or a saved plan name the fleet: set before the team's defaults
    // (trailwatch.toml), so that its roles and exceptions apply to that fleet.
    let mut cli = cli;
    let mut findings = Vec::new();
    let mut saved_plan = None;
    if let Command::Fix(args) = &cli.command {
        let args = args.clone();
        if args.update_finding && (!args.apply || args.dry_run) {
            return Err(Error::BadInput {
                what: "option",
                value: "--update-finding".into(),
                why: "it updates the findings after the writes: give it with fix --apply".into(),
            });
        }
        if let Some(input) = &args.from_finding {
            findings = runbook::from_finding(&mut cli, input)?;
        }
        if let Some(path) = &args.plan_file {
            let file = crate::planfile::PlanFile::read(path)?;
            runbook::fleet_of_plan(&mut cli, &file, path)?;
            saved_plan = Some((file, path.clone(), args));
        }
    }
    let cli = settings::file::apply(cli)?;
    if let Some((file, path, args)) = saved_plan {
        // A saved plan: its controls, options, accounts and regions are the file's.
        let path = path.as_str();
        let req = settings::saved(&cli, &file, path)?;
        let region = file.targets.first().map(|t| t.region.as_str());
        let target = Target::load(cli.profile.as_deref(), region).await?;
        if !file.fleet {
            return fix::saved(&target, &req, &args, &file, path).await;
        }
        let f = settings::fleet(&cli, &target.region, &req.controls, settings::today())?
            .ok_or_else(|| Error::Refused("the plan file names no account".into()))?;
        // The file is the approval: no question.
        let args = crate::cli::FixArgs { yes: true, ..args };
        let (exit, _) = fleet::fix(&target, &req, &f, &args, Some((&file, path))).await?;
        return Ok(exit);
    }
    let req = settings::resolve(&cli)?;
    let target = Target::load(cli.profile.as_deref(), cli.region.as_deref()).await?;
    values::validate_region(&target.region)?;
    if let Some(f) = settings::fleet(&cli, &target.region, &req.controls, settings::today())? {
        return match &cli.command {
            Command::Check(args) => fleet::check(&target, &req, &f, args.security_hub).await,
            Command::Fix(args) if args.emit.is_some() => Err(Error::BadInput {
                what: "option",
                value: "--emit".into(),
                why: "it prints one account's plan as code: run it per account (each account's drift differs, so each gets its own file)".into(),
            }),
            Command::Fix(args) => {
                let (exit, settled) = fleet::fix(&target, &req, &f, args, None).await?;
                if args.update_finding && !args.dry_run {
                    runbook::update_findings(&target, &findings, &settled).await?;
                }
                Ok(exit)
            }
            Command::Guardrails(g) => {
                let crate::cli::GuardrailsCommand::Scp { exempt_role } = &g.kind;
                guardrails::scp(&target, &req, Some(&f), exempt_role).await
            }
            _ => unreachable!("settings refuse drill in fleet mode"),
        };
    }
    match &cli.command {
        Command::Check(args) => check::check(&target, &req, args).await,
        Command::Fix(args) => fix::fix(&target, &req, args).await,
        Command::Drill(args) => drill::drill(&target, &req, args).await,
        Command::Guardrails(g) => {
            let crate::cli::GuardrailsCommand::Scp { exempt_role } = &g.kind;
            guardrails::scp(&target, &req, None, exempt_role).await
        }
        Command::Controls(_)
        | Command::Policy(_)
        | Command::Completions(_)
        | Command::Man
        | Command::Iac(_) => {
            unreachable!("handled above")
        }
    }
}

/// `trailwatch controls`: id, CIS ids, Security Hub id, title of every embedded control.
fn controls(format: Format) -> Exit {
    let all = Control::all();
    match format {
        Format::Text => {
            crate::render::out::line(&format!(
                "{:<9} {:<34} {:<14} title",
                "id", "CIS", "Security Hub"
            ));
            for c in &all {
                crate::render::out::line(&format!(
                    "{:<9} {:<34} {:<14} {}",
                    c.id,
                    c.cis.join(", "),
                    c.security_hub.as_deref().unwrap_or("-"),
                    c.title
                ));
            }
        }
        _ => crate::render::out::line(&crate::report::to_line(&crate::report::ControlList::new(
            &all,
        ))),
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
        expect_account: req.expect_account.clone(),
    };
    let observed = discover::discover(target, &req.controls, &opts).await?;
    let audits = audit::audit_all(&req.controls, &observed, req.mode);
    Ok((observed, audits))
}

/// With `--quiet`: print the one line held back, once the command is done (whatever its outcome).
pub fn finish_output() {
    crate::render::out::finish();
}

/// The commands that read no account: their name, for the one line that refuses an account
/// option given to them.
fn local(command: &Command) -> Option<&'static str> {
    match command {
        Command::Controls(_) => Some("controls"),
        Command::Completions(_) => Some("completions"),
        Command::Man => Some("man"),
        Command::Policy(_) => Some("policy"),
        Command::Check(_)
        | Command::Fix(_)
        | Command::Drill(_)
        | Command::Guardrails(_)
        | Command::Iac(_) => None,
    }
}

/// A command that reads no account refuses an option meant for one (it would be silently
/// ignored), naming it.
fn refuse_account_options(cli: &Cli, name: &str, takes: &[&str]) -> Result<(), Error> {
    let ignored = [
        (
            "--profile",
            cli.profile.is_some() && std::env::var_os("AWS_PROFILE").is_none(),
        ),
        ("--region", cli.region.is_some()),
        ("--control", cli.control.is_some()),
        ("--all-controls", cli.all_controls),
        ("--accounts", cli.accounts.is_some()),
        (
            "--accounts-file",
            cli.accounts_file.is_some() && std::env::var_os("TRAILWATCH_ACCOUNTS_FILE").is_none(),
        ),
        ("--org", cli.org),
        ("--expect-account", cli.expect_account.is_some()),
        ("--match", cli.match_mode.is_some()),
    ];
    match ignored
        .iter()
        .find(|(flag, given)| *given && !takes.contains(flag))
    {
        Some((flag, _)) => Err(Error::BadInput {
            what: "option",
            value: flag.to_string(),
            why: format!("`trailwatch {name}` reads no account and takes no {flag}"),
        }),
        None => Ok(()),
    }
}

/// Ask on the terminal: `Ok(false)` when the user says no. Without a terminal, refuse (the
/// caller passes --yes in automation).
/// Whether a question can be asked: a terminal to read the answer from and to ask on.
pub(super) fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Before a question: the plan goes to the terminal (stderr) when stdout does not reach it (JSON,
/// or text redirected), so nobody approves what they cannot see; nothing when no question can
/// be asked.
pub(super) fn show_before_asking(plan: &str, stdout_has_it: bool) {
    // With --quiet stdout held the plan back: the terminal has not seen it.
    let shown = stdout_has_it && !crate::render::out::quiet() && std::io::stdout().is_terminal();
    if can_ask() && !shown {
        eprint!("{plan}");
    }
}

pub(super) fn confirm(prompt: &str) -> Result<bool, Error> {
    if !can_ask() {
        return Err(Error::Refused(
            "no terminal to confirm on: pass --yes to go ahead without asking (nothing was sent)"
                .into(),
        ));
    }
    // As Terraform asks: the word `yes` and Enter approve; anything else (`y`, nothing) declines.
    let answer: String = dialoguer::Input::new()
        .with_prompt(format!(
            "{prompt}\n  Only 'yes' will be accepted to approve.\n  {APPROVE_PROMPT}"
        ))
        .allow_empty(true)
        .report(false)
        .interact_text()
        .map_err(|e| Error::Refused(format!("confirmation failed: {e}")))?;
    Ok(approves(&answer))
}

/// What the confirmation question ends with (the pseudo-terminal tests wait for it).
pub const APPROVE_PROMPT: &str = "Enter a value";

/// Only the word `yes` approves (surrounding spaces aside).
fn approves(answer: &str) -> bool {
    answer.trim() == "yes"
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_word_yes_approves() {
        for yes in ["yes", " yes ", "yes\n"] {
            assert!(super::approves(yes), "{yes:?}");
        }
        for no in ["y", "Y", "YES", "yes please", "", "no", "ye"] {
            assert!(!super::approves(no), "{no:?}");
        }
    }
}
