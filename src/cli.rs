//! The command-line contract (clap derive) and validation of what the user typed.
//!
//! Every bad value is refused here, before any AWS call, with one line naming it.

use clap::{Args, Parser, Subcommand};

use crate::audit::MatchMode;
use crate::error::Error;
use crate::observed::Arn;
use crate::plan::Endpoint;
use crate::render::Format;

/// Keep AWS accounts compliant with the CIS AWS Foundations monitoring controls (4.1-4.15,
/// Security Hub CloudWatch.1-14): a log metric filter and alarm for each.
///
/// Exit codes: 0 compliant / nothing to do, 2 drift found or changes pending, 1 error.
#[derive(Debug, Parser)]
#[command(name = "trailwatch", version, about, long_about = None)]
pub struct Cli {
    /// AWS profile from the shared config files.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region to audit (default: from the AWS configuration).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// What counts as a compliant filter: `strict` (the exact CIS pattern, what Security Hub
    /// accepts) or `meaning` (any pattern matching the same events).
    #[arg(long = "match", global = true, value_enum, default_value_t = MatchArg::Strict)]
    pub match_mode: MatchArg,
    /// Which controls: embedded ids, comma-separated (`cis-4.3`, `cis-4.1,cis-4.3`; see
    /// `trailwatch controls`), or a control spec file (TOML). Default: cis-4.4.
    #[arg(long, global = true, value_name = "IDS|FILE")]
    pub control: Option<String>,
    /// Every embedded CIS monitoring control (4.1 to 4.15).
    #[arg(long, global = true)]
    pub all_controls: bool,
    /// Fleet mode: these accounts, comma-separated 12-digit ids. The caller's own account is read
    /// with its own credentials; others through an assumed role.
    #[arg(long, global = true, value_name = "IDS")]
    pub accounts: Option<String>,
    /// Fleet mode: the accounts listed in FILE, one per line: `ID [LABEL]`, `#` comments.
    #[arg(long, global = true, value_name = "FILE")]
    pub accounts_file: Option<String>,
    /// Fleet mode: the organization's ACTIVE accounts (AWS Organizations, from the management
    /// or a delegated administrator account).
    #[arg(long, global = true)]
    pub org: bool,
    /// With --org: only the accounts under this organizational unit (or root), recursively.
    #[arg(long, global = true, value_name = "OU_ID")]
    pub ou: Option<String>,
    /// Fleet mode: leave these accounts out (comma-separated ids).
    #[arg(long, global = true, value_name = "IDS")]
    pub exclude: Option<String>,
    /// Fleet mode: accounts with these labels (accounts file) go first, in this order
    /// (default: production).
    #[arg(long, global = true, value_name = "LABELS")]
    pub first: Option<String>,
    /// Fleet mode: exceptions (TOML: account, control or "*", owner, expires, reason). An
    /// excepted control is reported, counts as compliant until its expiry date, and is never
    /// written.
    #[arg(long, global = true, value_name = "FILE")]
    pub exceptions: Option<String>,
    /// The role to assume in each account.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        default_value = DEFAULT_ROLE
    )]
    pub role_name: String,
    /// The role ARN to assume, from a template with {account} (and {partition}), instead of
    /// --role-name.
    #[arg(long, global = true, value_name = "TEMPLATE")]
    pub role_arn_template: Option<String>,
    /// An external id for the role assumption.
    #[arg(long, global = true, value_name = "ID")]
    pub external_id: Option<String>,
    /// Fleet mode: these regions, comma-separated (default: the caller's region). The controls
    /// follow each trail's log group, so one multi-region trail needs one region per account.
    #[arg(long, global = true, value_name = "REGIONS")]
    pub regions: Option<String>,
    /// Fleet mode: how many accounts are read or written at once (1-256, default 8).
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// More logs on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatchArg {
    Strict,
    Meaning,
}

impl From<MatchArg> for MatchMode {
    fn from(m: MatchArg) -> Self {
        match m {
            MatchArg::Strict => MatchMode::Strict,
            MatchArg::Meaning => MatchMode::Meaning,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read-only audit: the seven CIS steps, each ok or failing with its Security Hub reason.
    Check(CheckArgs),
    /// Plan or apply the changes that make the account compliant.
    Fix(FixArgs),
    /// Prove the chain delivers: publish a labelled test notification through the topic(s) the
    /// control's working alarm notifies (asks first, or --yes); with --alarm also set the alarm
    /// to ALARM and confirm from its history that its action ran.
    Drill(DrillArgs),
    /// List the embedded controls: id, CIS ids across versions, Security Hub id, title.
    Controls,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// Also set the alarm to ALARM (SetAlarmState) to exercise its real action path, then read
    /// its history to confirm the action ran. It returns to its real state at its next evaluation.
    #[arg(long)]
    pub alarm: bool,
    /// Do not ask for confirmation (required when there is no terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --alarm: how long to wait for the action to show in the alarm's history.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=900))]
    pub wait: u64,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also ask AWS (`logs:TestMetricFilter`) whether each filter matches sample events, and
    /// report any disagreement with trailwatch's own evaluation. One more call per filter.
    #[arg(long)]
    pub verify_with_aws: bool,
    /// Also read the control alarm's action history and report every failed notification
    /// (cloudwatch:DescribeAlarmHistory, one more call).
    #[arg(long)]
    pub history: bool,
    /// With --history: how many days back (CloudWatch keeps 30).
    #[arg(long, value_name = "DAYS", default_value_t = 30, requires = "history", value_parser = clap::value_parser!(u32).range(1..=30))]
    pub history_days: u32,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["plan", "apply"])))]
pub struct FixArgs {
    /// Show what would be created or repaired, change nothing.
    #[arg(long)]
    pub plan: bool,
    /// Apply the plan (asks for confirmation unless --yes).
    #[arg(long)]
    pub apply: bool,
    /// Do not ask for confirmation (required when there is no terminal).
    #[arg(long, short = 'y', requires = "apply", conflicts_with = "plan")]
    pub yes: bool,
    /// With --apply: print each write request it would send, send none.
    #[arg(long, requires = "apply", conflicts_with = "plan")]
    pub dry_run: bool,
    /// Use this SNS topic instead of the shared `cis-benchmark-alarms` topic.
    #[arg(long, value_name = "ARN")]
    pub topic_arn: Option<String>,
    /// Subscribe PROTOCOL:ENDPOINT when the topic has no confirmed subscriber
    /// (email:ops@example.com, https:https://..., sqs:arn:..., lambda:arn:...).
    #[arg(long, value_name = "PROTOCOL:ENDPOINT")]
    pub subscribe: Option<String>,
    /// Fleet mode, with --apply: apply this many targets at a time, re-check them, and stop
    /// before the next batch if any is not compliant (default: all at once).
    #[arg(long, value_name = "N", requires = "apply", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// Fleet mode, with --batch-size: go on to the next batch even when a target did not converge.
    #[arg(long, requires = "batch_size")]
    pub keep_going: bool,
}

impl Cli {
    /// Fleet mode: `--accounts`, `--accounts-file` or `--org` given.
    pub fn fleet_mode(&self) -> bool {
        self.accounts.is_some() || self.accounts_file.is_some() || self.org
    }
}

/// The role fleet mode assumes by default.
pub const DEFAULT_ROLE: &str = "OrganizationAccountAccessRole";

/// An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ...
pub fn validate_region(region: &str) -> Result<(), Error> {
    let bad = |why: &str| Error::BadInput {
        what: "region",
        value: region.to_string(),
        why: why.to_string(),
    };
    let parts: Vec<&str> = region.split('-').collect();
    let shape_ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok_and(|n| n > 0);
    if !shape_ok {
        return Err(bad("not an AWS region name (like us-east-1)"));
    }
    Ok(())
}

/// `AWS_ENDPOINT_URL`: an `http://` or `https://` URL with a host (credentials in it masked when
/// shown).
pub fn validate_endpoint_url(url: &str) -> Result<(), Error> {
    // Shown as scheme and host only: user-info, path and query may carry secrets.
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((_, h)) => (true, h),
        None => (false, authority),
    };
    let shown = if scheme.is_empty() {
        crate::redact::endpoint(url)
    } else {
        format!("{scheme}://{}{host}", if userinfo { "***@" } else { "" })
    };
    let bad = |why: &str| Error::BadInput {
        what: "AWS_ENDPOINT_URL",
        value: shown.clone(),
        why: why.to_string(),
    };
    if !matches!(scheme, "http" | "https") {
        return Err(bad("not an http:// or https:// URL"));
    }
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("the URL has no host"));
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
        if port.parse::<u16>().is_err() {
            return Err(bad("the port is not a number from 0 to 65535"));
        }
    }
    Ok(())
}

/// The fleet the user asked for, validated (`None` outside fleet mode). The accounts file and
/// the exceptions file are read and checked here, before anything is read from AWS.
pub fn fleet(
    cli: &Cli,
    default_region: &str,
    controls: &[crate::control::Control],
) -> Result<Option<crate::fleet::Fleet>, Error> {
    use crate::fleet::{accounts, Source};
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
            ("--exclude", cli.exclude.clone()),
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
    if let (Some(ou), false) = (&cli.ou, cli.org) {
        return Err(bad("--ou", ou, "narrows --org: add --org"));
    }
    let source = match (&cli.accounts, &cli.accounts_file, cli.org) {
        (Some(list), _, _) => Source::Listed(accounts::parse_list("--accounts", list)?),
        (_, Some(path), _) => {
            Source::Listed(accounts::parse_file(path, &read("--accounts-file", path)?)?)
        }
        (_, _, true) => {
            if let Some(ou) = &cli.ou {
                if !valid_ou(ou) {
                    return Err(bad(
                        "--ou",
                        ou,
                        "not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)",
                    ));
                }
            }
            Source::Organization { ou: cli.ou.clone() }
        }
        _ => return Ok(None),
    };
    let exclude = match &cli.exclude {
        Some(list) => accounts::parse_exclude(list)?,
        None => Vec::new(),
    };
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
        Some(t) => {
            // The account field itself must be {account}: a template naming one fixed account
            // would send every target's writes there.
            let parts: Vec<&str> = t.splitn(6, ':').collect();
            let shape_ok = parts.len() == 6
                && parts[0] == "arn"
                && parts[2] == "iam"
                && parts[3].is_empty()
                && parts[4] == "{account}"
                && parts[5].starts_with("role/")
                && parts[5].len() > "role/".len();
            if !shape_ok {
                return Err(bad(
                    "--role-arn-template",
                    t,
                    "must be an IAM role ARN whose account is {account}, e.g. arn:{partition}:iam::{account}:role/NAME",
                ));
            }
            if cli.role_name != DEFAULT_ROLE {
                return Err(bad(
                    "--role-name",
                    &cli.role_name,
                    "give --role-name or --role-arn-template, not both",
                ));
            }
            crate::fleet::Role::Template(t.clone())
        }
        None => {
            let n = &cli.role_name;
            let ok = !n.is_empty()
                && n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !ok {
                return Err(bad(
                    "--role-name",
                    n,
                    "an IAM role name is 1-64 letters, digits and + = , . @ _ -",
                ));
            }
            crate::fleet::Role::Name(n.clone())
        }
    };
    let regions: Vec<String> = match &cli.regions {
        Some(list) => {
            let mut v: Vec<String> = Vec::new();
            for r in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                validate_region(r)?;
                if !v.iter().any(|x| x == r) {
                    v.push(r.to_string());
                }
            }
            if v.is_empty() {
                return Err(bad("--regions", list, "names no region"));
            }
            // One set of credentials reaches one partition: the caller's region's.
            let partition = crate::fleet::partition(default_region);
            if let Some(other) = v.iter().find(|r| crate::fleet::partition(r) != partition) {
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
            let mut known = crate::control::Control::all();
            known.extend(controls.iter().cloned());
            crate::fleet::exceptions::parse(path, &read("--exceptions", path)?, &known)?
        }
        None => Vec::new(),
    };
    Ok(Some(crate::fleet::Fleet {
        source,
        exclude,
        first,
        regions,
        role,
        external_id: cli.external_id.clone(),
        concurrency: usize::from(cli.concurrency.unwrap_or(8)),
        exceptions,
    }))
}

/// An organizational unit id (`ou-` root part, `-`, unit part) or a root id (`r-...`).
fn valid_ou(id: &str) -> bool {
    let part = |p: &str, min: usize| {
        p.len() >= min
            && p.len() <= 32
            && p.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    match id.split('-').collect::<Vec<_>>()[..] {
        ["ou", root, unit] => part(root, 4) && part(unit, 8),
        ["r", root] => part(root, 4),
        _ => false,
    }
}

/// A 12-digit account id.
pub fn validate_account(account: &str) -> bool {
    account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
}

/// An SNS standard topic ARN.
pub fn validate_topic_arn(arn: &str) -> Result<(), Error> {
    let bad = |why: &str| Error::BadInput {
        what: "--topic-arn",
        value: arn.to_string(),
        why: why.to_string(),
    };
    let a = Arn::parse(arn).ok_or_else(|| bad("not an ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"))?;
    if a.service != "sns" {
        return Err(bad("not an SNS topic ARN"));
    }
    if ![
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
    ]
    .contains(&a.partition)
    {
        return Err(bad("the partition part is not an AWS partition"));
    }
    validate_region(a.region).map_err(|_| bad("the region part is not an AWS region"))?;
    if !validate_account(a.account) {
        return Err(bad("the account part is not a 12-digit account id"));
    }
    let name_ok = !a.resource.is_empty()
        && a.resource.len() <= 256
        && a.resource
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !name_ok || a.resource.contains(':') {
        return Err(bad(
            "the topic name may hold only letters, digits, '-' and '_'",
        ));
    }
    if a.resource.ends_with(".fifo") {
        return Err(bad("CloudWatch alarms cannot publish to FIFO topics"));
    }
    Ok(())
}

/// `PROTOCOL:ENDPOINT` for `--subscribe`.
pub fn parse_subscribe(text: &str) -> Result<Endpoint, Error> {
    let bad = |why: &str| Error::BadInput {
        what: "--subscribe",
        value: crate::redact::endpoint(text),
        why: why.to_string(),
    };
    let (protocol, endpoint) = text
        .split_once(':')
        .ok_or_else(|| bad("expected PROTOCOL:ENDPOINT, e.g. email:secops@example.com"))?;
    let ok = match protocol {
        "email" => valid_email(endpoint),
        "https" => endpoint.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace)
        }),
        "sqs" => {
            Arn::parse(endpoint).is_some_and(|a| a.service == "sqs" && validate_account(a.account))
        }
        "lambda" => Arn::parse(endpoint).is_some_and(|a| {
            a.service == "lambda"
                && validate_account(a.account)
                && a.resource.starts_with("function:")
        }),
        _ => return Err(bad("protocol must be one of email, https, sqs, lambda")),
    };
    if !ok {
        let why = match protocol {
            "email" => "not an e-mail address",
            "https" => "not an https:// URL",
            "sqs" => "not an SQS queue ARN",
            _ => "not a Lambda function ARN",
        };
        return Err(bad(why));
    }
    crate::redact::register_endpoint(endpoint);
    Ok(Endpoint {
        protocol: protocol.to_string(),
        endpoint: endpoint.to_string(),
    })
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_by_shape() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-north-1",
        ] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "nowhere-1",
            "us-east",
            "US-EAST-1",
            "us-east-0",
            "",
            "us--1",
            "us-east-1a",
        ] {
            let e = validate_region(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn topic_arns_are_checked() {
        assert!(
            validate_topic_arn("arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms").is_ok()
        );
        for bad in [
            "cis-benchmark-alarms",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:12345:t",
            "arn:aws:sns:nowhere:123456789012:t",
            "arn:aws:sns:us-east-1:123456789012:t.fifo",
            "arn:aws:sns:us-east-1:123456789012:a b",
            "arn:nope:sns:us-east-1:123456789012:t",
        ] {
            let e = validate_topic_arn(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn subscribe_endpoints_are_validated_per_protocol() {
        assert_eq!(
            parse_subscribe("email:secops@example.com")
                .unwrap()
                .protocol,
            "email"
        );
        assert_eq!(
            parse_subscribe("https:https://hooks.example.com/x")
                .unwrap()
                .endpoint,
            "https://hooks.example.com/x"
        );
        assert!(parse_subscribe("sqs:arn:aws:sqs:us-east-1:123456789012:alerts").is_ok());
        assert!(parse_subscribe("lambda:arn:aws:lambda:us-east-1:123456789012:function:f").is_ok());
        for bad in [
            "email:not-an-address",
            "email:a b@example.com",
            "email:x@-bad.com",
            "https:http://plain.example.com",
            "sqs:arn:aws:sns:us-east-1:123456789012:t",
            "sms:+15555550100",
            "secops@example.com",
        ] {
            let e = parse_subscribe(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
