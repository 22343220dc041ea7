//! The runbook paths of `fix` and `check`: a saved plan's fleet, Security Hub findings in
//! (`--from-finding`, `--update-finding`) and out (`--security-hub`).

use super::fleet;
use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::target::Target;
use crate::values;

/// `check --security-hub`: the findings of these controls, imported into the target's Security
/// Hub in `region`.
pub(super) async fn import_findings(
    target: &Target,
    region: &str,
    controls: &[&crate::report::ControlReport],
) -> Result<crate::aws::securityhub::Imported, Error> {
    let findings = crate::findings::asff_of(controls, time::OffsetDateTime::now_utc());
    let account = controls.first().map(|c| c.account.as_str()).unwrap_or("");
    crate::aws::securityhub::import(&target.securityhub(region), account, &findings).await
}

/// `--accounts-file` as the user gave it: one that only comes from `TRAILWATCH_ACCOUNTS_FILE`
/// is a team default, dropped where the findings or a plan file name the fleet.
fn accounts_file_given(cli: &mut Cli) -> bool {
    let from_env = std::env::var_os("TRAILWATCH_ACCOUNTS_FILE")
        .is_some_and(|v| Some(v.to_string_lossy().as_ref()) == cli.accounts_file.as_deref());
    if from_env {
        cli.accounts_file = None;
    }
    cli.accounts_file.is_some()
}

/// `fix --apply PLANFILE`: fleet selections beside it are refused (the file names its targets);
/// a fleet plan's accounts and regions become the fleet, in the file's order.
pub(super) fn fleet_of_plan(
    cli: &mut Cli,
    file: &crate::planfile::PlanFile,
    path: &str,
) -> Result<(), Error> {
    let accounts_file = accounts_file_given(cli);
    let given = [
        ("--accounts", cli.accounts.is_some()),
        ("--accounts-file", accounts_file),
        ("--org", cli.org),
        ("--regions", cli.regions.is_some()),
        (
            "--batch-size",
            !file.fleet && matches!(&cli.command, Command::Fix(f) if f.batch_size.is_some()),
        ),
        ("--exceptions", !file.fleet && cli.exceptions.is_some()),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
        return Err(Error::BadInput {
            what: "option",
            value: flag.to_string(),
            why: format!(
                "the plan file names its accounts and regions; it is not given with a plan file ({path}), which records its own"
            ),
        });
    }
    if !file.fleet {
        return Ok(());
    }
    let regions = if file.regions.is_empty() {
        listed(file.targets.iter().map(|t| t.region.as_str()))
    } else {
        file.regions.join(",")
    };
    cli.accounts = Some(values::account_ids(&listed(
        file.targets.iter().map(|t| t.account.as_str()),
    ))?);
    cli.regions = Some(regions);
    Ok(())
}

/// `fix --from-finding`: the findings' accounts become the fleet, their region and controls the
/// run's. What the findings name is not given beside them.
pub(super) fn from_finding(
    cli: &mut Cli,
    input: &str,
) -> Result<Vec<crate::findings::input::Wanted>, Error> {
    let bad = |why: String| Error::BadInput {
        what: "finding",
        value: input.to_string(),
        why,
    };
    let accounts_file = accounts_file_given(cli);
    let given = [
        ("--accounts", cli.accounts.is_some()),
        ("--accounts-file", accounts_file),
        ("--org", cli.org),
        ("--regions", cli.regions.is_some()),
        ("--control", cli.control.is_some()),
        ("--all-controls", cli.all_controls),
        (
            "--match",
            cli.match_mode == Some(crate::cli::MatchArg::Meaning) && {
                matches!(&cli.command, Command::Fix(f) if f.update_finding)
            },
        ),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
        return Err(Error::BadInput {
            what: "option",
            value: flag.to_string(),
            why: "the findings name the accounts, region and controls; it is not given with --from-finding".into(),
        });
    }
    let text = if input == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| bad(format!("cannot read stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(input).map_err(|e| bad(format!("cannot read it: {e}")))?
    };
    let wanted = crate::findings::input::parse(&text).map_err(bad)?;
    let update = matches!(&cli.command, Command::Fix(f) if f.update_finding);
    if let Some(w) = wanted
        .iter()
        .find(|w| update && (w.product_arn.is_empty() || !w.has_id))
    {
        return Err(bad(format!(
            "{}: --update-finding needs each finding's Id and ProductArn to name it to Security Hub",
            w.finding
        )));
    }
    let mut regions: Vec<&str> = wanted.iter().map(|w| w.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    if let [one, two, ..] = regions.as_slice() {
        return Err(bad(format!(
            "its findings are in several regions ({one}, {two}, ...): give one region's findings at a time"
        )));
    }
    if let Some(r) = cli.region.as_ref().filter(|r| **r != regions[0]) {
        return Err(Error::BadInput {
            what: "--region",
            value: r.clone(),
            why: format!("the findings are in {}", regions[0]),
        });
    }
    cli.accounts = Some(values::account_ids(&listed(
        wanted.iter().map(|w| w.account.as_str()),
    ))?);
    cli.regions = Some(regions[0].to_string());
    cli.region = Some(regions[0].to_string());
    cli.control = Some(listed(wanted.iter().map(|w| w.control.as_str())));
    Ok(wanted)
}

/// `--update-finding`: each finding whose control passes now is RESOLVED; one whose only gap is
/// a subscriber's confirmation is NOTIFIED; the rest are left as they are. Said on stderr.
pub(super) async fn update_findings(
    base: &Target,
    findings: &[crate::findings::input::Wanted],
    settled: &[fleet::Settled],
) -> Result<(), Error> {
    use crate::fleet::assess::Status;
    // The findings are held where the credentials are (the account EventBridge delivered from).
    let caller = crate::aws::sts::account(&base.sts()).await?;
    let mut failed = Vec::new();
    for w in findings {
        let Some(s) = settled.iter().find(|s| s.account == w.account) else {
            continue;
        };
        let (status, note) = if s.compliant.contains(&w.control) {
            (
                "RESOLVED",
                format!(
                    "trailwatch fix --apply: {} passes all seven CIS audit steps in account {} ({})",
                    w.control, w.account, w.region
                ),
            )
        } else if s.status == Status::AwaitingConfirmation {
            (
                "NOTIFIED",
                format!(
                    "trailwatch fix --apply: {} in account {} ({}) waits for a person: {}",
                    w.control, w.account, w.region, s.detail
                ),
            )
        } else {
            eprintln!(
                "trailwatch: finding {} left as it is: {} is not compliant in account {}: {}",
                w.finding, w.control, w.account, s.detail
            );
            continue;
        };
        let hub = base.securityhub(&w.region);
        let sent = crate::aws::securityhub::update(
            &hub,
            &caller,
            &w.finding,
            &w.product_arn,
            status,
            &note,
        )
        .await;
        match sent {
            Ok(true) => eprintln!("trailwatch: finding {} set to {status}", w.finding),
            Ok(false) => eprintln!(
                "trailwatch: finding {} was not updated (Security Hub did not process it)",
                w.finding
            ),
            // The rest are still tried; the first failure ends the run (exit 1).
            Err(e) => failed.push(e),
        }
    }
    match failed.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Each distinct value once, in the order first seen, comma-separated (as `--accounts`,
/// `--regions` and `--control` take them).
fn listed<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out.join(",")
}
