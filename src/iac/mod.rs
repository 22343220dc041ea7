//! The gate before deploy: CloudFormation templates ([`cfn`]), Terraform plans ([`tfplan`]) and
//! Terraform files ([`hcl`]) read into the same [`Observed`] that discovery fills from AWS
//! ([`assemble`]), then judged by the same audit ([`judge`]), so the gate and `check` cannot
//! disagree.
//!
//! A value the files do not settle (a parameter without a default, an imported value, a module
//! that is not in the files, an attribute known only after apply) is kept as a mark naming the
//! reference ([`outside`]); what rests on it is "outside these files", never a pass unless the
//! user says `--assume-external ok`.

pub mod assemble;
pub mod cfn;
mod fields;
pub mod hcl;
pub mod judge;
pub mod terraform;
#[cfg(test)]
mod tests;
pub mod tfplan;
pub mod tree;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Error;
use crate::observed::{Alarm, KmsKey, MetricFilter, Subscription, Topic, Trail};

/// Where a declared resource is written: its file, line (1-based) and name in the file (a
/// CloudFormation logical id or a Terraform address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Place {
    pub file: String,
    pub line: usize,
    /// The CloudFormation logical id or the Terraform address (`module.cis.aws_sns_topic.x`).
    pub id: String,
}

/// What one input declares: a template, a plan, or the `.tf` files of one directory.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// The file (or directory) read.
    pub source: String,
    /// What kind of input it was (`CloudFormation`, `Terraform plan`, `Terraform`).
    pub kind: &'static str,
    pub trails: Vec<(Trail, Place)>,
    /// Log groups by name.
    pub log_groups: Vec<(String, Place)>,
    /// Metric filters with the name of the group they are on (or a mark).
    pub filters: Vec<(String, MetricFilter, Place)>,
    pub alarms: Vec<(Alarm, Place)>,
    /// Topics (ARN, policy and key filled from their own resources when declared).
    pub topics: Vec<(Topic, Place)>,
    /// Topic policies: the topics they are on (ARNs or marks) and the document.
    pub topic_policies: Vec<(Vec<String>, String, Place)>,
    /// Subscriptions with the topic they are on (an ARN or a mark).
    pub subscriptions: Vec<(String, Subscription, Place)>,
    pub keys: Vec<(KmsKey, Place)>,
    /// What the files leave unsettled that bears on no value: modules not in the files.
    pub unresolved: Vec<(String, Place)>,
    /// Resources whose verdict rests on a value the files do not settle (a condition, a
    /// threshold from a parameter without a default): the name the audit's steps give them
    /// (trail ARN, `group:filter`, alarm name, topic ARN, key id) and the reference.
    pub unsettled: Vec<(String, String, Place)>,
    /// The SQS queues, Lambda functions and Firehose streams the files declare (their ARNs):
    /// a subscription to one of them is confirmed on creation.
    pub endpoints: std::collections::BTreeSet<String>,
}

/// How many of each resource a [`Declared`] holds: what a reader declared since.
#[derive(Debug, Clone, Copy)]
pub struct Counts([usize; 6]);

impl Declared {
    /// A subscription to `topic` as SNS would list it right after deploy ([`subscription`]).
    pub(crate) fn subscribe(
        &mut self,
        topic: String,
        id: &str,
        protocol: String,
        endpoint: String,
        place: Place,
        ctx: &Context,
    ) {
        let declared = self.endpoints.contains(&endpoint);
        let sub = subscription(&topic, id, protocol, endpoint, ctx, declared);
        self.subscriptions.push((topic, sub, place));
    }

    /// A customer-managed KMS key declared as `name`.
    pub(crate) fn key(
        &mut self,
        name: &str,
        enabled: Option<bool>,
        policy: Option<String>,
        place: Place,
        ctx: &Context,
    ) {
        let key = KmsKey {
            id: format!("key-{name}"),
            arn: Some(ctx.arn("kms", &format!("key/key-{name}"))),
            manager: Some("CUSTOMER".into()),
            state: Some(
                if enabled == Some(false) {
                    "Disabled"
                } else {
                    "Enabled"
                }
                .into(),
            ),
            policy,
            read_error: None,
        };
        self.keys.push((key, place));
    }

    /// An alias `alias` of the key `target` (its id or ARN), when that key is declared.
    pub(crate) fn alias(&mut self, target: &str, alias: String, place: Place) {
        if let Some((k, _)) = self
            .keys
            .iter()
            .find(|(k, _)| k.id == target || k.arn.as_deref() == Some(target))
            .cloned()
        {
            self.keys.push((KmsKey { id: alias, ..k }, place));
        }
    }

    pub fn counts(&self) -> Counts {
        Counts([
            self.trails.len(),
            self.filters.len(),
            self.alarms.len(),
            self.topics.len(),
            self.topic_policies.len(),
            self.keys.len(),
        ])
    }

    /// The resources declared since `before` rest on `reference` (a condition, a decisive
    /// property the files do not settle): each is outside these files.
    pub fn unsettle_since(&mut self, before: Counts, reference: &str, place: &Place) {
        let [t, f, a, tp, p, k] = before.0;
        let mut keys: Vec<String> = Vec::new();
        keys.extend(self.trails[t..].iter().map(|(x, _)| x.arn.clone()));
        keys.extend(
            self.filters[f..]
                .iter()
                .map(|(g, x, _)| format!("{g}:{}", x.name)),
        );
        keys.extend(self.alarms[a..].iter().map(|(x, _)| x.name.clone()));
        keys.extend(self.topics[tp..].iter().map(|(x, _)| x.arn.clone()));
        keys.extend(
            self.topic_policies[p..]
                .iter()
                .flat_map(|(on, _, _)| on.iter().cloned()),
        );
        for (key, _) in &self.keys[k..] {
            keys.push(key.id.clone());
            keys.extend(key.arn.clone());
        }
        for key in keys {
            self.unsettled
                .push((key, reference.to_string(), place.clone()));
        }
    }
}

/// The properties (CloudFormation) and arguments (Terraform) a resource's verdict rests on:
/// when the files do not settle one, the resource is outside these files.
pub const DECISIVE: &[(&str, &[&str])] = &[
    (
        "AWS::CloudTrail::Trail",
        &[
            "IsLogging",
            "IsMultiRegionTrail",
            "EventSelectors",
            "AdvancedEventSelectors",
        ],
    ),
    (
        "AWS::Logs::MetricFilter",
        &["FilterPattern", "MetricTransformations"],
    ),
    (
        "AWS::CloudWatch::Alarm",
        &[
            "ActionsEnabled",
            "MetricName",
            "Namespace",
            "Statistic",
            "ExtendedStatistic",
            "Period",
            "EvaluationPeriods",
            "DatapointsToAlarm",
            "Threshold",
            "ComparisonOperator",
            "TreatMissingData",
            "Metrics",
            "Dimensions",
        ],
    ),
    ("AWS::SNS::Topic", &["KmsMasterKeyId"]),
    ("AWS::SNS::TopicPolicy", &["PolicyDocument"]),
    ("AWS::KMS::Key", &["KeyPolicy", "Enabled"]),
    (
        "aws_cloudtrail",
        &[
            "enable_logging",
            "is_multi_region_trail",
            "event_selector",
            "advanced_event_selector",
        ],
    ),
    (
        "aws_cloudwatch_log_metric_filter",
        &["pattern", "metric_transformation"],
    ),
    (
        "aws_cloudwatch_metric_alarm",
        &[
            "actions_enabled",
            "metric_name",
            "namespace",
            "statistic",
            "extended_statistic",
            "period",
            "evaluation_periods",
            "datapoints_to_alarm",
            "threshold",
            "comparison_operator",
            "treat_missing_data",
            "metric_query",
            "dimensions",
        ],
    ),
    ("aws_sns_topic", &["kms_master_key_id", "policy"]),
    ("aws_sns_topic_policy", &["policy"]),
    ("aws_kms_key", &["policy", "is_enabled"]),
];

/// The decisive property of a resource of `kind` that `props` leave unsettled, if any.
pub fn unsettled(kind: &str, props: &serde_json::Value) -> Option<String> {
    let keys = DECISIVE.iter().find(|(k, _)| *k == kind)?.1;
    unsettled_in(props, keys)
}

/// A subscription as SNS would list it right after deploy: an SQS queue, Lambda function or
/// Firehose stream declared in these files (or, with `--parameter AWS::AccountId=`, named in
/// that account) is confirmed on creation, as is SMS; e-mail and HTTP(S) endpoints, another
/// account's queue or one the files do not settle wait for their receiver.
fn subscription(
    topic: &str,
    id: &str,
    protocol: String,
    endpoint: String,
    ctx: &Context,
    declared: bool,
) -> Subscription {
    let same_account = ctx.account_given()
        && crate::observed::Arn::parse(&endpoint)
            .is_some_and(|a| a.account == ctx.account && outside(&endpoint).is_none());
    let confirmed = match protocol.as_str() {
        "sqs" | "lambda" | "firehose" | "application" => declared || same_account,
        "sms" => true,
        _ => false,
    };
    Subscription {
        arn: if confirmed {
            format!("{topic}:{id}")
        } else {
            "PendingConfirmation".into()
        },
        protocol,
        endpoint,
    }
}

/// The account and region templates are judged as deployed to, and the values given for
/// parameters and variables.
#[derive(Debug, Clone)]
pub struct Context {
    pub account: String,
    pub region: String,
    pub partition: String,
    /// `--parameter KEY=VALUE`: CloudFormation parameters (and pseudo parameters such as
    /// `AWS::AccountId`), Terraform variables.
    pub parameters: BTreeMap<String, String>,
    /// The account and region were given (`--parameter AWS::AccountId=`, `--region`), not
    /// taken from the files.
    given: (bool, bool),
}

/// The account ARNs are built in when neither the files nor `--parameter AWS::AccountId=`
/// give one.
pub const PSEUDO_ACCOUNT: &str = "123456789012";

impl Context {
    pub fn new(region: Option<&str>, parameters: BTreeMap<String, String>) -> Context {
        let region = parameters.get("AWS::Region").map(String::as_str).or(region);
        let partition = parameters
            .get("AWS::Partition")
            .cloned()
            .unwrap_or_else(|| {
                crate::partition::of_region(region.unwrap_or("us-east-1")).to_string()
            });
        Context {
            account: parameters
                .get("AWS::AccountId")
                .cloned()
                .unwrap_or_else(|| PSEUDO_ACCOUNT.into()),
            given: (
                parameters.contains_key("AWS::AccountId"),
                parameters.contains_key("AWS::Region") || region.is_some(),
            ),
            region: region.unwrap_or("us-east-1").to_string(),
            partition,
            parameters,
        }
    }

    /// The context for one input: where the account or region was not given, the one its
    /// literal ARNs name most (a plan's ARNs, a topic ARN written out), as a reader would
    /// take it; else the defaults.
    pub fn for_text(&self, text: &str) -> Context {
        let mut ctx = self.clone();
        let mut accounts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut regions: BTreeMap<&str, usize> = BTreeMap::new();
        let mut rest = text;
        while let Some(i) = rest.find("arn:aws") {
            let tail = &rest[i..];
            let parts: Vec<&str> = tail.splitn(6, ':').collect();
            if let [_, partition, _, region, account, _] = parts.as_slice() {
                let ok_partition = partition
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-');
                if ok_partition
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                {
                    *accounts.entry(account).or_insert(0) += 1;
                    if crate::values::region(region).is_ok() {
                        *regions.entry(region).or_insert(0) += 1;
                    }
                }
            }
            rest = &tail[7..];
        }
        let most = |m: &BTreeMap<&str, usize>| {
            m.iter()
                .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
                .map(|(k, _)| k.to_string())
        };
        if !self.given.0 {
            if let Some(a) = most(&accounts) {
                ctx.account = a;
            }
        }
        if !self.given.1 {
            if let Some(r) = most(&regions) {
                ctx.partition = crate::partition::of_region(&r).to_string();
                ctx.region = r;
            }
        }
        ctx
    }

    /// The account was given (`--parameter AWS::AccountId=`), not taken from the files.
    pub fn account_given(&self) -> bool {
        self.given.0
    }

    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }
}

/// A mark is its reference between these two characters, which no template or plan holds.
const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// A mark standing for a value the files do not settle, naming its reference
/// (`!ImportValue SecurityAlarmTopicArn`, `var.topic_arn`).
pub fn mark(reference: &str) -> String {
    format!("{OPEN}{}{CLOSE}", reference.replace([OPEN, CLOSE], ""))
}

/// The reference of the first mark in `text`, if it holds one (a mark inside a `!Sub` or a
/// `!Join` makes the whole value unsettled).
pub fn outside(text: &str) -> Option<&str> {
    let start = text.find(OPEN)? + OPEN.len_utf8();
    let end = text[start..].find(CLOSE).map_or(text.len(), |e| start + e);
    Some(&text[start..end])
}

/// `text` for people: each mark shown as `<reference>`.
pub fn shown(text: &str) -> String {
    text.replace(OPEN, "<").replace(CLOSE, ">")
}

/// The first reference a JSON value holds in any of its strings (a policy document, a block).
pub fn marked(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => outside(s).map(str::to_string),
        serde_json::Value::Array(a) => a.iter().find_map(marked),
        serde_json::Value::Object(o) => o.values().find_map(marked),
        _ => None,
    }
}

/// The first of `keys` whose value in `props` the files do not settle, with its reference.
pub fn unsettled_in(props: &serde_json::Value, keys: &[&str]) -> Option<String> {
    keys.iter().filter_map(|k| props.get(*k)).find_map(marked)
}

/// Read one input: a CloudFormation template (`.yaml`, `.yml`, `.json`, `.template`), a
/// Terraform plan (JSON with `planned_values`), a `.tf` file or a directory of them.
pub fn read(path: &str, ctx: &Context) -> Result<(Declared, Context), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::BadInput {
        what: "file",
        value: path.into(),
        why: format!("cannot read it: {e}"),
    })?;
    if meta.is_dir() {
        return hcl::read_dir(path, ctx);
    }
    if path.ends_with(".tf") {
        return hcl::read_files(path, &[path.to_string()], ctx);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::BadInput {
        what: "file",
        value: path.into(),
        why: format!("cannot read it: {e}"),
    })?;
    let ctx = ctx.for_text(&text);
    let node = tree::parse(path, &text)?;
    let declared = if tfplan::is_plan(&node) {
        tfplan::read(path, &node, &ctx)?
    } else {
        cfn::read(path, &node, &ctx)?
    };
    Ok((declared, ctx))
}
