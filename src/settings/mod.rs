//! Settings: what the command line asked for, resolved into what the commands use, as ripgrep's
//! low-level arguments become high-level ones. The command line ([`crate::cli`]) only parses;
//! here the controls are selected (a spec file read), the fix options and the fleet resolved (the
//! accounts and exceptions files read, the role, the regions in the caller's partition, today's
//! date for exceptions), and options that do not go together are refused, each in one line
//! naming the value, before anything is read from AWS.

pub(crate) mod file;

use std::io::IsTerminal;

use time::Date;

use crate::audit::MatchMode;
use crate::cli::{Cli, Command, DEFAULT_ROLE};
use crate::control::Control;
use crate::error::Error;
use crate::fleet::{accounts, Fleet, Role, Source};
use crate::partition;
use crate::plan::Options;
use crate::planfile::PlanFile;
use crate::render::{text::Palette, Format};
use crate::values;

/// Everything a command needs besides its own flags and the target.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The selected controls, in order.
    pub controls: Vec<Control>,
    pub mode: MatchMode,
    /// `fix`: the topic and subscription options.
    pub options: Options,
    pub format: Format,
    pub palette: Palette,
    /// `--expect-account`: the account the credentials must belong to.
    pub expect_account: Option<String>,
}

impl Settings {
    /// Where reports go: text or JSON, coloured or not.
    pub(crate) fn printer(&self) -> crate::render::Printer {
        crate::render::Printer {
            format: self.format,
            palette: self.palette,
        }
    }
}

/// Resolve the command line, before any AWS call: the environment's endpoint URL, the controls
/// (reading a spec file), the fix options, and what fleet mode does not take.
pub(crate) fn resolve(cli: &Cli) -> Result<Settings, Error> {
    if let Some(url) = std::env::var_os("AWS_ENDPOINT_URL") {
        values::validate_endpoint_url(&url.to_string_lossy())?;
    }
    let controls = match (&cli.control, cli.all_controls) {
        (Some(_), true) => {
            return Err(Error::BadInput {
                what: "--control",
                value: cli.control.clone().unwrap_or_default(),
                why: "give --control or --all-controls, not both".into(),
            })
        }
        (Some(value), false) => {
            let controls = Control::select(value)?;
            // A spec must ask for what the audit accepts, or fix would re-put it on every run.
            if let Some((c, problems)) = controls
                .iter()
                .map(|c| (c, crate::audit::spec_problems(c)))
                .find(|(_, p)| !p.is_empty())
            {
                // In a spec file, name the line and key the first problem comes from.
                let place = value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| v.ends_with(".toml") || std::path::Path::new(v).exists())
                    .find_map(|v| {
                        let text = std::fs::read_to_string(v).ok()?;
                        spec_key_line(&text, &problems[0])
                            .map(|(line, key)| format!("{v}:{line}: {key}: "))
                    })
                    .unwrap_or_default();
                return Err(Error::BadInput {
                    what: "--control",
                    value: value.clone(),
                    why: format!(
                        "{place}control {}: its alarm would not notify on one event: {}",
                        c.id,
                        problems.join(", ")
                    ),
                });
            }
            controls
        }
        (None, true) => Control::all(),
        (None, false) => vec![Control::embedded()],
    };
    // --topic-name: every control's shared topic takes that name (read, planned and created).
    let controls = match &cli.topic_name {
        Some(name) => controls
            .into_iter()
            .map(|mut c| {
                c.topic.name = name.clone();
                c
            })
            .collect(),
        None => controls,
    };
    let mode: MatchMode = cli
        .match_mode
        .unwrap_or(crate::cli::MatchArg::Strict)
        .into();
    let mut options = Options {
        mode,
        ..Default::default()
    };
    let fleet = cli.fleet_mode();
    match &cli.command {
        Command::Fix(fix) => {
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
            if let (Some(name), Some(_)) = (&cli.topic_name, &fix.topic_arn) {
                return Err(Error::BadInput {
                    what: "--topic-name",
                    value: name.clone(),
                    why: "give --topic-name (the shared topic's name) or --topic-arn (a topic to use), not both".into(),
                });
            }
            options.topic_arn = fix.topic_arn.clone();
            options.subscribe = fix.subscribe.clone();
            options.adopt = fix.adopt;
        }
        Command::Check(args) if fleet => {
            let per_account = [
                (args.history, "--history"),
                (args.verify_with_aws, "--verify-with-aws"),
            ];
            if let Some((_, flag)) = per_account.iter().find(|(on, _)| *on) {
                return Err(Error::BadInput {
                    what: "option",
                    value: flag.to_string(),
                    why: "runs per account, not in fleet mode".into(),
                });
            }
        }
        Command::Drill(_) if controls.len() != 1 => {
            // Named as the user typed it.
            let (what, value) = match &cli.control {
                Some(v) => ("--control", v.clone()),
                None => ("option", "--all-controls".to_string()),
            };
            return Err(Error::BadInput {
                what,
                value,
                why: "drill takes one control at a time: give --control ID".into(),
            });
        }
        Command::Drill(_) if fleet => {
            return Err(Error::BadInput {
                what: "command",
                value: "drill".into(),
                why: "fleet mode covers `check` and `fix`; run drill per account".into(),
            })
        }
        _ => {}
    }
    Ok(Settings {
        controls,
        mode,
        options,
        format: cli.output.into(),
        palette: Palette {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            verbose: cli.verbose > 0,
            width: crate::render::width(),
        },
        expect_account: cli.expect_account.clone(),
    })
}

/// `fix --apply PLANFILE`: the controls and options are the file's. A plan option given beside
/// it is refused when it differs from what the file records (one from `trailwatch.toml` or the
/// environment that agrees is fine), as are fleet mode and a region or account the file was
/// not made for.
pub(crate) fn saved(cli: &Cli, file: &PlanFile, path: &str) -> Result<Settings, Error> {
    if let Some(url) = std::env::var_os("AWS_ENDPOINT_URL") {
        values::validate_endpoint_url(&url.to_string_lossy())?;
    }
    let Command::Fix(fix) = &cli.command else {
        unreachable!("a plan file is given to fix --apply only")
    };
    let refuse = |flag: &str, why: String| Error::BadInput {
        what: "option",
        value: flag.to_string(),
        why: format!("{why}; it is not given with a plan file ({path}), which records its own"),
    };
    let Some(target) = file.targets.first() else {
        return Err(Error::BadInput {
            what: "plan file",
            value: path.to_string(),
            why: "it holds no target".into(),
        });
    };
    if cli.control.is_some() || cli.all_controls {
        let flag = if cli.all_controls {
            "--all-controls"
        } else {
            "--control"
        };
        return Err(refuse(flag, "the plan file records its controls".into()));
    }
    let options = &file.options;
    let differs = [
        (
            "--match",
            cli.match_mode
                .is_some_and(|m| MatchMode::from(m) != options.mode),
        ),
        (
            "--topic-arn",
            fix.topic_arn.is_some() && fix.topic_arn != options.topic_arn,
        ),
        (
            "--subscribe",
            !fix.subscribe.is_empty() && fix.subscribe != options.subscribe,
        ),
        ("--adopt", fix.adopt && !options.adopt),
        (
            "--topic-name",
            cli.topic_name
                .as_ref()
                .is_some_and(|n| file.controls.iter().any(|c| &c.topic.name != n)),
        ),
        (
            "--region",
            cli.region.as_ref().is_some_and(|r| *r != target.region) && !file.fleet,
        ),
    ];
    if let Some((flag, _)) = differs.iter().find(|(_, d)| *d) {
        return Err(refuse(flag, "it differs from the plan".into()));
    }
    if let Some(want) = cli
        .expect_account
        .as_ref()
        .filter(|a| **a != target.account)
    {
        return Err(Error::BadInput {
            what: "--expect-account",
            value: want.clone(),
            why: format!(
                "the plan file {path} was made for account {}",
                target.account
            ),
        });
    }
    Ok(Settings {
        controls: file.controls.clone(),
        mode: options.mode,
        options: options.clone(),
        format: cli.output.into(),
        palette: Palette {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            verbose: cli.verbose > 0,
            width: crate::render::width(),
        },
        // A fleet plan's accounts are checked target by target.
        expect_account: (!file.fleet).then(|| target.account.clone()),
    })
}

/// Today's date (UTC), against which exceptions expire.
pub(crate) fn today() -> Date {
    crate::fleet::exceptions::today()
}

/// The fleet the user asked for, validated (`None` outside fleet mode). The accounts file and
/// the exceptions file are read and checked here, before anything is read from AWS.
pub(crate) fn fleet(
    cli: &Cli,
    default_region: &str,
    controls: &[Control],
    today: Date,
) -> Result<Option<Fleet>, Error> {
    let bad = |what: &'static str, value: &str, why: &str| Error::BadInput {
        what,
        value: value.to_string(),
        why: why.to_string(),
    };
    let read = |what: &'static str, path: &str| {
        std::fs::read_to_string(path).map_err(|e| bad(what, path, &format!("cannot be read: {e}")))
    };
    // Global options reach the subcommands, where clap's groups do not: checked here.
    let sources = [cli.accounts.is_some(), cli.accounts_file.is_some(), cli.org];
    if sources.iter().filter(|x| **x).count() > 1 {
        return Err(bad(
            "fleet",
            "--accounts/--accounts-file/--org",
            "give one of --accounts, --accounts-file and --org",
        ));
    }
    if !cli.fleet_mode() {
        let fleet_only = [
            ("--ou", cli.ou.clone()),
            ("--exclude", cli.exclude.as_ref().map(|e| e.0.join(","))),
            ("--first", cli.first.clone()),
            ("--exceptions", cli.exceptions.clone()),
            ("--role-arn-template", cli.role_arn_template.clone()),
            (
                "--external-id",
                cli.external_id.as_ref().map(|_| "***".to_string()),
            ),
            ("--regions", cli.regions.clone()),
            ("--concurrency", cli.concurrency.map(|c| c.to_string())),
            (
                "--role-name",
                (cli.role_name != DEFAULT_ROLE).then(|| cli.role_name.clone()),
            ),
            ("--apply-role-name", cli.apply_role_name.clone()),
            (
                "--apply-role-arn-template",
                cli.apply_role_arn_template.clone(),
            ),
            ("--session-name", cli.session_name.clone()),
            ("--source-identity", cli.source_identity.clone()),
        ];
        if let Some((flag, Some(value))) = fleet_only.into_iter().find(|(_, v)| v.is_some()) {
            return Err(bad(
                flag,
                &value,
                "is for fleet mode: add --accounts, --accounts-file or --org",
            ));
        }
        return Ok(None);
    }
    if let Some(id) = &cli.expect_account {
        return Err(bad(
            "--expect-account",
            id,
            "is for one account: a fleet checks each target's account itself",
        ));
    }
    if let (Some(ou), false) = (&cli.ou, cli.org) {
        return Err(bad("--ou", ou, "narrows --org: add --org"));
    }
    let source = match (&cli.accounts, &cli.accounts_file, cli.org) {
        (Some(list), _, _) => Source::Listed(list.0.clone()),
        (_, Some(path), _) => {
            Source::Listed(accounts::parse_file(path, &read("--accounts-file", path)?)?)
        }
        (_, _, true) => Source::Organization { ou: cli.ou.clone() },
        _ => return Ok(None),
    };
    let exclude = cli.exclude.clone().map(|e| e.0).unwrap_or_default();
    let first: Vec<String> = match &cli.first {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => vec!["production".to_string()],
    };
    let role = match &cli.role_arn_template {
        // Its shape (account field `{account}`) was checked as the line was parsed.
        Some(t) => {
            if cli.role_name != DEFAULT_ROLE {
                return Err(bad(
                    "--role-name",
                    &cli.role_name,
                    "give --role-name or --role-arn-template, not both",
                ));
            }
            Role::Template(t.clone())
        }
        None => Role::Name(cli.role_name.clone()),
    };
    let apply_role = match (&cli.apply_role_name, &cli.apply_role_arn_template) {
        (Some(n), Some(_)) => {
            return Err(bad(
                "--apply-role-name",
                n,
                "give --apply-role-name or --apply-role-arn-template, not both",
            ))
        }
        (Some(n), None) => Some(Role::Name(n.clone())),
        (None, Some(t)) => Some(Role::Template(t.clone())),
        (None, None) => None,
    };
    let applies = matches!(&cli.command, crate::cli::Command::Fix(f) if f.apply);
    if let (Some(role), false) = (&apply_role, applies) {
        let value = match role {
            Role::Name(n) | Role::Template(n) => n,
        };
        return Err(bad(
            "--apply-role-name",
            value,
            "is the role of fix --apply's writes: check and fix --plan only read, with --role-name",
        ));
    }
    let session = crate::target::Session {
        name: cli
            .session_name
            .clone()
            .unwrap_or_else(|| "trailwatch".to_string()),
        source_identity: cli.source_identity.clone(),
    };
    let regions: Vec<String> = match &cli.regions {
        Some(list) => {
            let mut v: Vec<String> = Vec::new();
            for r in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                values::validate_region(r)?;
                if !v.iter().any(|x| x == r) {
                    v.push(r.to_string());
                }
            }
            if v.is_empty() {
                return Err(bad("--regions", list, "names no region"));
            }
            // One set of credentials reaches one partition: the caller's region's.
            let partition = partition::of_region(default_region);
            if let Some(other) = v.iter().find(|r| partition::of_region(r) != partition) {
                return Err(bad(
                    "--regions",
                    list,
                    &format!(
                        "{other} is not in the partition of the caller's region {default_region} ({partition}): run once per partition"
                    ),
                ));
            }
            v
        }
        None => vec![default_region.to_string()],
    };
    let exceptions = match &cli.exceptions {
        Some(path) => {
            let mut known = Control::all();
            known.extend(controls.iter().cloned());
            crate::fleet::exceptions::parse(path, &read("--exceptions", path)?, &known)?
        }
        None => Vec::new(),
    };
    // A label given with --first that no listed account carries is a typo, not a preference.
    if cli.first.is_some() {
        let label = |l: &str| match &source {
            Source::Listed(list) => list.iter().any(|a| a.label.as_deref() == Some(l)),
            Source::Organization { .. } => false,
        };
        if let Some(l) = first.iter().find(|l| !label(l)) {
            return Err(bad(
                "--first",
                l,
                "no account of the fleet carries this label (labels come from the accounts file)",
            ));
        }
    }
    // An exception for an account outside a listed fleet holds nothing: said, it may be a typo.
    if let Source::Listed(list) = &source {
        crate::fleet::exceptions::warn_outside_fleet(&exceptions, |id| {
            list.iter().any(|a| a.id == id)
        });
    }
    Ok(Some(Fleet {
        source,
        exclude,
        first,
        regions,
        role,
        apply_role,
        session,
        external_id: cli.external_id.clone(),
        concurrency: usize::from(cli.concurrency.unwrap_or(8)),
        exceptions,
        today,
    }))
}

/// The spec key an audit problem is about (`treats missing data as breaching` ->
/// `alarm.treat_missing_data`), and the line of `text` that sets it.
fn spec_key_line(text: &str, problem: &str) -> Option<(usize, &'static str)> {
    let (table, key) = [
        ("missing data", ("alarm", "treat_missing_data")),
        ("breaching periods", ("alarm", "evaluation_periods")),
        ("metric value", ("filter", "metric_value")),
        ("LessThan", ("alarm", "comparison_operator")),
        ("does not fire on one event", ("alarm", "threshold")),
        ("comparison", ("alarm", "comparison_operator")),
        ("SampleCount", ("alarm", "statistic")),
        ("diluted", ("alarm", "statistic")),
        ("statistic", ("alarm", "statistic")),
    ]
    .into_iter()
    .find(|(needle, _)| problem.contains(needle))
    .map(|(_, place)| place)?;
    let mut in_table = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_table = t == format!("[{table}]");
        } else if in_table && t.split('=').next().map(str::trim) == Some(key) {
            return Some((i + 1, key));
        }
    }
    None
}

#[cfg(test)]
mod spec_line_tests {
    #[test]
    fn a_meaning_problem_names_the_line_and_key_it_comes_from() {
        let text = "id = \"x\"\n[filter]\nmetric_value = \"0.5\"\n[alarm]\nthreshold = 1.0\ntreat_missing_data = \"breaching\"\n";
        assert_eq!(
            super::spec_key_line(text, "treats missing data as breaching: ..."),
            Some((6, "treat_missing_data"))
        );
        assert_eq!(
            super::spec_key_line(text, "the filter publishes metric value 0.5, ..."),
            Some((3, "metric_value"))
        );
        assert_eq!(super::spec_key_line(text, "something else"), None);
    }
}
