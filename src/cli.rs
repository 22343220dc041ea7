//! The command-line contract: clap types only. Each value is parsed by a typed `value_parser`
//! ([`crate::values`]), so a bad region, topic ARN, endpoint or account id is refused
//! while the line is parsed, in one line naming it; [`crate::settings`] resolves the rest (files,
//! the fleet, what goes with what). Nothing here reads a file or the environment beyond clap's
//! own `env`.

use std::ffi::OsStr;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};

use crate::audit::MatchMode;
use crate::error::Error;
use crate::render::Format;
use crate::values::{self, AccountIds, Exclusions};
use crate::write::Endpoint;

/// Keep AWS accounts compliant with the CIS AWS Foundations monitoring controls (4.1-4.15,
/// Security Hub CloudWatch.1-14): a log metric filter and alarm for each.
#[derive(Debug, Parser)]
#[command(name = "trailwatch", version = VERSION, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// AWS profile from the shared config files.
    #[arg(long, global = true, help_heading = "AWS", env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region to audit (default: from the AWS configuration).
    #[arg(long, global = true, help_heading = "AWS", value_parser = checked(values::region))]
    pub region: Option<String>,
    /// Output format.
    #[arg(long, global = true, help_heading = "Output", value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,
    /// What counts as a compliant filter: `strict` (the exact CIS pattern, what Security Hub
    /// accepts; the default) or `meaning` (any pattern matching the same events).
    #[arg(long = "match", global = true, help_heading = "Controls", value_enum)]
    pub match_mode: Option<MatchArg>,
    /// Which controls: embedded ids, comma-separated (`cis-4.3`, `cis-4.1,cis-4.3`; see
    /// `trailwatch controls`), or a control spec file (TOML). Default: cis-4.4 (`iac`: every control).
    #[arg(
        long,
        global = true,
        help_heading = "Controls",
        value_name = "IDS|FILE"
    )]
    pub control: Option<String>,
    /// Every embedded CIS monitoring control (4.1 to 4.15).
    #[arg(long, global = true, help_heading = "Controls")]
    pub all_controls: bool,
    /// The shared topic's name (default cis-benchmark-alarms), in one account and in fleet mode.
    #[arg(long, global = true, help_heading = "Controls", value_name = "NAME", env = "TRAILWATCH_TOPIC_NAME", value_parser = checked(values::topic_name))]
    pub topic_name: Option<String>,
    /// Defaults for this team (TOML: role_name, role_arn_template, subscribe, accounts_file,
    /// exceptions_file, topic_name); default ./trailwatch.toml when present. Flags and their
    /// TRAILWATCH_* variables win.
    #[arg(
        long,
        global = true,
        help_heading = "Controls",
        value_name = "FILE",
        env = "TRAILWATCH_CONFIG"
    )]
    pub config: Option<String>,
    /// Refuse to read or write unless the credentials belong to this account (for runbooks:
    /// the wrong profile stops right after the caller identity). One account only.
    #[arg(long, global = true, help_heading = "AWS", value_name = "ID", value_parser = checked(values::expect_account))]
    pub expect_account: Option<String>,
    /// Fleet mode: these accounts, comma-separated 12-digit ids. The caller's own account is read
    /// with its own credentials; others through an assumed role.
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "IDS", value_parser = checked(values::account_ids))]
    pub accounts: Option<AccountIds>,
    /// Fleet mode: the accounts listed in FILE, one per line: `ID [LABEL]`, `#` comments.
    #[arg(
        long,
        global = true,
        help_heading = "Fleet mode (--accounts, --accounts-file or --org)",
        value_name = "FILE",
        env = "TRAILWATCH_ACCOUNTS_FILE"
    )]
    pub accounts_file: Option<String>,
    /// Fleet mode: the organization's ACTIVE accounts (AWS Organizations, from the management
    /// or a delegated administrator account).
    #[arg(
        long,
        global = true,
        help_heading = "Fleet mode (--accounts, --accounts-file or --org)"
    )]
    pub org: bool,
    /// With --org: only the accounts under this organizational unit (or root), recursively.
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "OU_ID", value_parser = checked(values::ou))]
    pub ou: Option<String>,
    /// Fleet mode: leave these accounts out (comma-separated ids).
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "IDS", value_parser = checked(values::exclusions))]
    pub exclude: Option<Exclusions>,
    /// Fleet mode: accounts with these labels (accounts file) go first, in this order
    /// (default: production).
    #[arg(
        long,
        global = true,
        help_heading = "Fleet mode (--accounts, --accounts-file or --org)",
        value_name = "LABELS"
    )]
    pub first: Option<String>,
    /// Fleet mode: exceptions (TOML: account, control or "*", owner, expires, reason). An
    /// excepted control is reported, counts as compliant until its expiry date, and is never
    /// written.
    #[arg(
        long,
        global = true,
        help_heading = "Fleet mode (--accounts, --accounts-file or --org)",
        value_name = "FILE",
        env = "TRAILWATCH_EXCEPTIONS_FILE"
    )]
    pub exceptions: Option<String>,
    /// The role to assume in each account.
    #[arg(
        long,
        global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)",
        value_name = "NAME",
        default_value = DEFAULT_ROLE,
        env = "TRAILWATCH_ROLE_NAME",
        value_parser = checked(values::role_name)
    )]
    pub role_name: String,
    /// The role ARN to assume, from a template with {account} (and {partition}), instead of
    /// --role-name.
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "TEMPLATE", env = "TRAILWATCH_ROLE_ARN_TEMPLATE", value_parser = checked(values::role_arn_template))]
    pub role_arn_template: Option<String>,
    /// Fleet mode, `fix --apply`: assume this role for the writes (the reads keep --role-name,
    /// so `check` and `fix --plan` never hold write permissions).
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "NAME", value_parser = checked(values::apply_role_name))]
    pub apply_role_name: Option<String>,
    /// As --apply-role-name, from a template with {account} (and {partition}).
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "TEMPLATE", value_parser = checked(values::apply_role_arn_template))]
    pub apply_role_arn_template: Option<String>,
    /// An external id for the role assumption.
    #[arg(
        long,
        global = true,
        help_heading = "Fleet mode (--accounts, --accounts-file or --org)",
        value_name = "ID"
    )]
    pub external_id: Option<String>,
    /// Fleet mode: the role session name CloudTrail records in each member (default trailwatch).
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "NAME", value_parser = checked(values::session_name))]
    pub session_name: Option<String>,
    /// Fleet mode: set this SourceIdentity on every assumed role (who ran trailwatch, kept by
    /// CloudTrail across role chains). The member role must trust sts:SetSourceIdentity
    /// (policies/member-roles.yaml does).
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_name = "NAME", value_parser = checked(values::source_identity))]
    pub source_identity: Option<String>,
    /// Fleet mode: these regions, comma-separated (default: the caller's region). The controls
    /// follow each trail's log group, so one multi-region trail needs one region per account.
    #[arg(
        long,
        global = true,
        help_heading = "Fleet mode (--accounts, --accounts-file or --org)",
        value_name = "REGIONS"
    )]
    pub regions: Option<String>,
    /// Fleet mode: how many accounts are read or written at once (1-256, default 8).
    #[arg(long, global = true, help_heading = "Fleet mode (--accounts, --accounts-file or --org)", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
    /// More detail: every filter, witness and kept resource in text output; logs on stderr (-v
    /// info, -vv debug).
    #[arg(short, long, global = true, help_heading = "Output", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only the final line (the result, the plan's summary, the fleet's summary); a
    /// question still shows the plan first, on the terminal.
    #[arg(
        short,
        long,
        global = true,
        help_heading = "Output",
        conflicts_with = "verbose"
    )]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
    /// `check`: a JSON array of ASFF findings (Security Hub), one per target and control.
    Asff,
    /// `check`: a JSON array of OCSF Compliance Findings (class 2003).
    Ocsf,
    /// `iac`: SARIF 2.1.0, for code-scanning views.
    Sarif,
}

impl From<OutputArg> for Format {
    fn from(o: OutputArg) -> Self {
        match o {
            OutputArg::Text => Format::Text,
            OutputArg::Json => Format::Json,
            OutputArg::Asff => Format::Asff,
            OutputArg::Ocsf => Format::Ocsf,
            OutputArg::Sarif => Format::Sarif,
        }
    }
}

/// `fix --plan --emit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitArg {
    Terraform,
    Cloudformation,
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
    /// List the embedded controls: id, CIS ids across versions, Security Hub id, title;
    /// `controls show ID` prints one control's spec (TOML), the start of a custom one.
    Controls(ControlsArgs),
    /// Print a shell completion script: `trailwatch completions bash > /etc/bash_completion.d/trailwatch`.
    Completions(CompletionsArgs),
    /// Print an IAM policy trailwatch needs (check, apply, history, drill, fleet, org,
    /// security-hub) for a
    /// partition: the files in policies/ name `arn:aws:`.
    Policy(PolicyArgs),
    /// Print the manual page (roff): `trailwatch man > /usr/local/share/man/man1/trailwatch.1`.
    Man,
    /// Service-wide guardrails for what trailwatch keeps: `guardrails scp` prints a service
    /// control policy denying the writes that would break the chain in the targets it reads.
    Guardrails(GuardrailsArgs),
    /// The gate before deploy: judge CloudFormation templates (JSON, YAML), Terraform plans
    /// (`terraform show -json`) and Terraform files by the same audit as `check`, naming each
    /// resource's file and line. Reads no account. Default: every control.
    Iac(IacArgs),
}

#[derive(Debug, Clone, Args)]
pub struct IacArgs {
    /// Templates, plans, `.tf` files, or directories of `.tf` files (one configuration each).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// A CloudFormation parameter, pseudo parameter (`AWS::AccountId`, `AWS::Region`) or
    /// Terraform variable, instead of its default; give it again for more.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = checked(values::parameter))]
    pub parameter: Vec<(String, String)>,
    /// `ok`: what these files leave to others (a topic from another stack, a log group made
    /// elsewhere, a module not given) counts as passing. Without it, never.
    #[arg(long = "assume-external", value_name = "ok", value_parser = checked(values::assume_external))]
    pub assume_external: Option<bool>,
}

#[derive(Debug, Args)]
pub struct GuardrailsArgs {
    #[command(subcommand)]
    pub kind: GuardrailsCommand,
}

#[derive(Debug, Subcommand)]
pub enum GuardrailsCommand {
    /// A service control policy (at most 5,120 characters) denying, on the trail, its log group
    /// (and so its metric filters), the alarms and the topic that the targets' audits rest on,
    /// the writes that would undo them. With --output json, the policy alone.
    Scp {
        /// A principal the policy does not apply to (an `ArnNotLike` on aws:PrincipalArn,
        /// wildcards allowed), e.g. arn:aws:iam::*:role/TrailwatchWrite; give it again for more.
        #[arg(long = "exempt-role", value_name = "ARN", value_parser = checked(values::exempt_role))]
        exempt_role: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    #[command(subcommand)]
    pub show: Option<ControlsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// Print a control's spec as TOML (with --output json, as JSON): the pattern, the alarm
    /// settings, the samples; what trailwatch creates for it.
    Show {
        /// Any id `trailwatch controls` shows: cis-4.4, 4.4, CloudWatch.4, ...
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// check, apply, history, drill, fleet, org or security-hub.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// aws (default), aws-cn, aws-us-gov, ...
    #[arg(long, value_name = "PARTITION", default_value = "aws")]
    pub partition: String,
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
    /// Also import the findings (ASFF) into each target's Security Hub
    /// (securityhub:BatchImportFindings, 100 a call); a re-import updates them in place.
    #[arg(long)]
    pub security_hub: bool,
    /// With --history: how many days back (CloudWatch keeps 30).
    #[arg(long, value_name = "DAYS", default_value_t = 30, requires = "history", value_parser = clap::value_parser!(u32).range(1..=30))]
    pub history_days: u32,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["plan", "apply"])))]
pub struct FixArgs {
    /// Show what would be created or repaired, change nothing.
    #[arg(long)]
    pub plan: bool,
    /// Apply the plan (asks for confirmation unless --yes), or the saved plan PLANFILE exactly
    /// (no question: the file is the approval; refused, nothing written, when stale).
    #[arg(long)]
    pub apply: bool,
    /// A plan saved by `fix --plan --out FILE`, to apply as it is.
    #[arg(value_name = "PLANFILE", requires = "apply")]
    pub plan_file: Option<String>,
    /// Fix what Security Hub findings name (FILE, or - for stdin): an EventBridge "Security Hub
    /// Findings - Imported" event, an ASFF finding or an array. Their accounts are the fleet
    /// (reached with the fleet role options), their region and controls are the run's.
    #[arg(long, value_name = "FILE|-", conflicts_with = "plan_file")]
    pub from_finding: Option<String>,
    /// With --from-finding and --apply: afterwards, set each finding whose control now passes to
    /// RESOLVED, and one awaiting a subscriber's confirmation to NOTIFIED, with a note
    /// (securityhub:BatchUpdateFindings, with the caller's credentials, in the findings' region).
    #[arg(long, requires = "from_finding", requires = "apply")]
    pub update_finding: bool,
    /// With --plan: also save the plan to FILE (mode 0600) for `fix --apply FILE`.
    #[arg(long, value_name = "FILE", requires = "plan")]
    pub out: Option<String>,
    /// With --plan: print the plan as code instead (one account): Terraform resources with
    /// `import` blocks for the existing resources it changes, or a CloudFormation template with
    /// its resource-import description. `trailwatch iac` judges what it prints.
    #[arg(
        long,
        value_name = "FORMAT",
        value_enum,
        requires = "plan",
        conflicts_with = "out"
    )]
    pub emit: Option<EmitArg>,
    /// Do not ask for confirmation (required when there is no terminal).
    #[arg(long, short = 'y', requires = "apply", conflicts_with = "plan")]
    pub yes: bool,
    /// With --apply: print each write request it would send, send none.
    #[arg(long, requires = "apply", conflicts_with = "plan")]
    pub dry_run: bool,
    /// Use this SNS topic instead of the shared `cis-benchmark-alarms` topic.
    #[arg(long, value_name = "ARN", value_parser = checked(values::topic_arn))]
    pub topic_arn: Option<String>,
    /// Subscribe PROTOCOL:ENDPOINT when the topic has no confirmed subscriber
    /// (email:ops@example.com, https:https://..., sqs:arn:..., lambda:arn:...); give it again
    /// for more than one (e-mail and a pager).
    #[arg(long, value_name = "PROTOCOL:ENDPOINT", env = "TRAILWATCH_SUBSCRIBE", value_parser = checked(values::parse_subscribe))]
    pub subscribe: Vec<Endpoint>,
    /// Let trailwatch manage resources that hold a control's name but carry no trailwatch tag
    /// (made by other tooling, or by an earlier trailwatch that did not tag): the plan shows each repair and the
    /// tag it adds. Without it they are reported and never changed.
    #[arg(long)]
    pub adopt: bool,
    /// Fleet mode, with --apply: apply this many targets at a time, re-check them, and stop
    /// before the next batch if any is not compliant (default: all at once).
    #[arg(long, value_name = "N", requires = "apply", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// Fleet mode, with --batch-size: go on to the next batch even when a target did not converge.
    #[arg(long, requires = "batch_size")]
    pub keep_going: bool,
}

/// The global options that mean nothing to a command, hidden from its `--help` (settings refuses
/// them there with one line): fleet mode and `--all-controls` for `drill`, which proves one
/// account's chain; everything that reads an account for the commands that read none.
const NOT_FOR: &[(&str, &[&str])] = &[
    ("drill", &["all_controls"]),
    (
        "controls",
        &[
            "profile",
            "region",
            "expect_account",
            "match_mode",
            "topic_name",
            "all_controls",
            "control",
            "config",
        ],
    ),
    (
        "completions",
        &[
            "profile",
            "region",
            "expect_account",
            "match_mode",
            "topic_name",
            "all_controls",
            "control",
            "config",
            "output",
        ],
    ),
    (
        "man",
        &[
            "profile",
            "region",
            "expect_account",
            "match_mode",
            "topic_name",
            "all_controls",
            "control",
            "config",
            "output",
        ],
    ),
    (
        "iac",
        &["profile", "expect_account", "topic_name", "config"],
    ),
    (
        "policy",
        &[
            "profile",
            "region",
            "expect_account",
            "match_mode",
            "topic_name",
            "all_controls",
            "control",
            "config",
        ],
    ),
];

/// The fleet-mode options (`--help` hides them wherever fleet mode does not apply).
const FLEET_ARGS: &[&str] = &[
    "accounts",
    "accounts_file",
    "org",
    "ou",
    "exclude",
    "first",
    "exceptions",
    "role_name",
    "role_arn_template",
    "apply_role_name",
    "apply_role_arn_template",
    "external_id",
    "session_name",
    "source_identity",
    "regions",
    "concurrency",
];

/// The command line as parsed and as `--help`, completions and the man page show it: clap's
/// own, with each command's help listing only the options it takes.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // A global option reaches a subcommand when the command is built, unless the subcommand
    // holds one of that name already: it gets a hidden copy, parsed as the global one.
    for (name, hidden) in NOT_FOR {
        let copies: Vec<clap::Arg> = hidden
            .iter()
            .chain(FLEET_ARGS)
            .filter_map(|id| cmd.get_arguments().find(|a| a.get_id() == *id))
            .map(|a| a.clone().hide(true))
            .collect();
        cmd = cmd.mut_subcommand(*name, |sub| sub.args(copies));
    }
    cmd
}

impl Cli {
    /// Parse the process's arguments with [`command`]'s help.
    pub fn parse_args() -> Result<Cli, clap::Error> {
        use clap::FromArgMatches;
        let matches = command().try_get_matches()?;
        Cli::from_arg_matches(&matches)
    }

    /// Fleet mode: `--accounts`, `--accounts-file` or `--org` given.
    pub fn fleet_mode(&self) -> bool {
        self.accounts.is_some() || self.accounts_file.is_some() || self.org
    }
}

/// `--version`: the release, the commit built and the date of the control specs.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("TRAILWATCH_COMMIT"),
    ", control specs of ",
    env!("TRAILWATCH_SPECS_DATE"),
    ")"
);

/// The exit codes, under `--help` and in the man page.
const EXIT_CODES: &str =
    "Exit codes: 0 compliant or nothing to do, 2 drift found or changes pending \
(declined too), 1 error.";

/// The role fleet mode assumes by default.
pub const DEFAULT_ROLE: &str = "OrganizationAccountAccessRole";

/// A typed `value_parser` from one of [`crate::values`]' checks: the value parses, or
/// clap stops with the check's own one line (which never repeats a secret the value carries).
fn checked<T>(check: fn(&str) -> Result<T, Error>) -> Checked<T> {
    Checked(check)
}

#[derive(Clone)]
struct Checked<T>(fn(&str) -> Result<T, Error>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            let name = arg.map(|a| a.get_id().to_string()).unwrap_or_default();
            clap::Error::raw(
                clap::error::ErrorKind::InvalidUtf8,
                format!("invalid --{name}: not UTF-8 text\n"),
            )
        })?;
        (self.0)(text).map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e}\n"))
        })
    }
}
