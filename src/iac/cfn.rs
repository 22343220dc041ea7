//! CloudFormation templates -> [`Declared`]: parameters take their defaults (or
//! `--parameter`), conditions are evaluated where they can be, and the intrinsic functions
//! (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`, `Fn::Select`, `Fn::Split`,
//! `Fn::FindInMap`, `Fn::ImportValue`) give what the resources hold. What cannot be known from
//! the template (an imported value, a parameter without a default) stays a mark naming it.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::fields;
use super::fields::{b, list, n, pairs, text};
use super::tree::{Node, Value};
use super::{mark, outside, Context, Declared, Place};
use crate::error::Error;
use crate::observed::{
    Alarm, MetricFilter, MetricQuery, MetricStat, MetricTransformation, Selectors, Topic, Trail,
};

/// A template's resources with what their `Ref` and `Fn::GetAtt` give.
struct Template<'a> {
    ctx: &'a Context,
    parameters: BTreeMap<String, Option<J>>,
    mappings: J,
    conditions: BTreeMap<String, &'a Node>,
    resources: BTreeMap<String, (&'a str, &'a Node)>,
    stack: String,
    /// How deep evaluation is: a `Ref` cycle (a name that refers to itself) stops at
    /// [`DEPTH`].
    depth: std::cell::Cell<usize>,
    /// How many values one resource's evaluation has taken: a cycle that branches
    /// (`!Sub "${T}${T}"` in T) stops at [`BUDGET`].
    steps: std::cell::Cell<usize>,
}

/// How deep intrinsic functions are followed.
const DEPTH: usize = 64;
/// How many values one resource's properties may take to evaluate.
const BUDGET: usize = 100_000;

pub fn read(path: &str, root: &Node, ctx: &Context) -> Result<Declared, Error> {
    let Some(resources) = root.get("Resources").and_then(Node::entries) else {
        return Err(Error::BadInput {
            what: "file",
            value: path.into(),
            why: "is neither a CloudFormation template (no Resources) nor a Terraform plan (no planned_values)".into(),
        });
    };
    let mut t = Template {
        ctx,
        parameters: BTreeMap::new(),
        mappings: root.get("Mappings").map(Node::to_json).unwrap_or(J::Null),
        conditions: BTreeMap::new(),
        resources: BTreeMap::new(),
        stack: ctx
            .parameters
            .get("AWS::StackName")
            .cloned()
            .unwrap_or_else(|| "stack".into()),
        depth: std::cell::Cell::new(0),
        steps: std::cell::Cell::new(0),
    };
    for e in root
        .get("Parameters")
        .and_then(Node::entries)
        .unwrap_or(&[])
    {
        let kind = e.value.get("Type").and_then(Node::str).unwrap_or("String");
        let given = ctx.parameters.get(&e.key).map(|v| J::String(v.clone()));
        let value = given.or_else(|| {
            // An SSM parameter type's default is the parameter's name, not its value.
            (!kind.starts_with("AWS::SSM::Parameter::Value"))
                .then(|| e.value.get("Default").map(Node::to_json))
                .flatten()
        });
        // A list parameter's value is its items.
        let value = match value {
            Some(J::String(v)) if kind == "CommaDelimitedList" || kind.starts_with("List<") => {
                Some(J::Array(
                    v.split(',').map(|x| J::String(x.trim().into())).collect(),
                ))
            }
            other => other,
        };
        t.parameters.insert(e.key.clone(), value);
    }
    for e in root
        .get("Conditions")
        .and_then(Node::entries)
        .unwrap_or(&[])
    {
        t.conditions.insert(e.key.clone(), &e.value);
    }
    for e in resources {
        let kind = e.value.get("Type").and_then(Node::str).unwrap_or("");
        t.resources.insert(e.key.clone(), (kind, &e.value));
    }
    let mut d = Declared {
        source: path.to_string(),
        kind: "CloudFormation",
        ..Declared::default()
    };
    // The queues and functions declared here: a subscription to one is confirmed on creation.
    for (logical, (kind, _)) in &t.resources {
        if matches!(
            *kind,
            "AWS::SQS::Queue" | "AWS::Lambda::Function" | "AWS::KinesisFirehose::DeliveryStream"
        ) {
            t.steps.set(0);
            if let Some(arn) = s(&t.attribute(logical, "Arn")) {
                d.endpoints.insert(arn);
            }
        }
    }
    for e in resources {
        let (kind, node) = t.resources[&e.key];
        t.steps.set(0);
        let mut condition = None;
        if let Some(cond) = node.get("Condition").and_then(Node::str) {
            match t.condition(cond) {
                Some(false) => continue,
                Some(true) => {}
                None => condition = Some(format!("condition {cond}")),
            }
        }
        let place = Place {
            file: path.to_string(),
            line: e.line,
            id: e.key.clone(),
        };
        let props = node.get("Properties").map(|p| t.eval(p)).unwrap_or(J::Null);
        let before = d.counts();
        t.declare(&mut d, &e.key, kind, &props, place.clone());
        if let Some(reference) = condition.or_else(|| super::unsettled(kind, &props)) {
            d.unsettle_since(before, &reference, &place);
        }
    }
    Ok(d)
}

fn s(v: &J) -> Option<String> {
    fields::raw(Some(v))
}

impl Template<'_> {
    /// What `Ref` gives.
    fn reference(&self, name: &str) -> J {
        let ctx = self.ctx;
        match name {
            "AWS::AccountId" => return J::String(ctx.account.clone()),
            "AWS::Region" => return J::String(ctx.region.clone()),
            "AWS::Partition" => return J::String(ctx.partition.clone()),
            "AWS::StackName" => return J::String(self.stack.clone()),
            "AWS::StackId" => {
                return J::String(ctx.arn("cloudformation", &format!("stack/{}/id", self.stack)))
            }
            "AWS::URLSuffix" => return J::String("amazonaws.com".into()),
            "AWS::NoValue" => return J::Null,
            _ => {}
        }
        if let Some(p) = self.parameters.get(name) {
            return p
                .clone()
                .unwrap_or_else(|| J::String(mark(&format!("parameter {name} (no default)"))));
        }
        match self.resources.get(name) {
            Some((kind, node)) => J::String(self.ref_of(name, kind, node)),
            None => J::String(mark(&format!("!Ref {name}"))),
        }
    }

    /// A property of a resource, evaluated (for names).
    fn prop(&self, node: &Node, key: &str) -> Option<String> {
        node.get("Properties")?
            .get(key)
            .map(|v| self.eval(v))
            .as_ref()
            .and_then(s)
    }

    fn name_of(&self, logical: &str, node: &Node, key: &str) -> String {
        self.prop(node, key).unwrap_or_else(|| logical.to_string())
    }

    fn ref_of(&self, logical: &str, kind: &str, node: &Node) -> String {
        let ctx = self.ctx;
        match kind {
            "AWS::SNS::Topic" => ctx.arn("sns", &self.name_of(logical, node, "TopicName")),
            "AWS::Logs::LogGroup" => self.name_of(logical, node, "LogGroupName"),
            "AWS::CloudTrail::Trail" => self.name_of(logical, node, "TrailName"),
            "AWS::CloudWatch::Alarm" => self.name_of(logical, node, "AlarmName"),
            "AWS::Logs::MetricFilter" => self.name_of(logical, node, "FilterName"),
            "AWS::KMS::Key" => format!("key-{logical}"),
            "AWS::SQS::Queue" => format!(
                "https://sqs.{}.amazonaws.com/{}/{}",
                ctx.region,
                ctx.account,
                self.name_of(logical, node, "QueueName")
            ),
            _ => logical.to_string(),
        }
    }

    /// What `Fn::GetAtt` gives.
    fn attribute(&self, logical: &str, attribute: &str) -> J {
        let Some((kind, node)) = self.resources.get(logical) else {
            return J::String(mark(&format!("!GetAtt {logical}.{attribute}")));
        };
        let ctx = self.ctx;
        let value = match (*kind, attribute) {
            ("AWS::Logs::LogGroup", "Arn") => ctx.arn(
                "logs",
                &format!(
                    "log-group:{}:*",
                    self.name_of(logical, node, "LogGroupName")
                ),
            ),
            ("AWS::SNS::Topic", "TopicArn") => self.ref_of(logical, kind, node),
            ("AWS::SNS::Topic", "TopicName") => self.name_of(logical, node, "TopicName"),
            ("AWS::CloudTrail::Trail", "Arn") => ctx.arn(
                "cloudtrail",
                &format!("trail/{}", self.name_of(logical, node, "TrailName")),
            ),
            ("AWS::KMS::Key", "Arn") => ctx.arn("kms", &format!("key/key-{logical}")),
            ("AWS::KMS::Key", "KeyId") => format!("key-{logical}"),
            ("AWS::SQS::Queue", "Arn") => ctx.arn("sqs", &self.name_of(logical, node, "QueueName")),
            ("AWS::SQS::Queue", "QueueName") => self.name_of(logical, node, "QueueName"),
            ("AWS::Lambda::Function", "Arn") => ctx.arn(
                "lambda",
                &format!("function:{}", self.name_of(logical, node, "FunctionName")),
            ),
            ("AWS::IAM::Role", "Arn") => format!(
                "arn:{}:iam::{}:role/{}",
                ctx.partition,
                ctx.account,
                self.name_of(logical, node, "RoleName")
            ),
            ("AWS::CloudWatch::Alarm", "Arn") => ctx.arn(
                "cloudwatch",
                &format!("alarm:{}", self.name_of(logical, node, "AlarmName")),
            ),
            _ => return J::String(mark(&format!("!GetAtt {logical}.{attribute}"))),
        };
        J::String(value)
    }

    /// A condition's value; `None` when it rests on something the template does not settle.
    fn condition(&self, name: &str) -> Option<bool> {
        let node = self.conditions.get(name)?;
        self.truth(&self.eval_with(node, true))
    }

    fn truth(&self, v: &J) -> Option<bool> {
        match v {
            J::Bool(b) => Some(*b),
            J::String(s) if outside(s).is_some() => None,
            J::String(s) => b(Some(&J::String(s.clone()))),
            _ => None,
        }
    }

    fn eval(&self, node: &Node) -> J {
        self.eval_with(node, false)
    }

    /// Evaluate the intrinsic functions in `node` (`in_condition`: the condition functions
    /// too).
    fn eval_with(&self, node: &Node, in_condition: bool) -> J {
        self.steps.set(self.steps.get() + 1);
        if self.depth.get() > DEPTH || self.steps.get() > BUDGET {
            return J::String(mark("a reference cycle"));
        }
        self.depth.set(self.depth.get() + 1);
        let v = self.eval_node(node, in_condition);
        self.depth.set(self.depth.get() - 1);
        v
    }

    fn eval_node(&self, node: &Node, in_condition: bool) -> J {
        match &node.value {
            Value::Map(entries) if entries.len() == 1 => {
                let e = &entries[0];
                if let Some(v) = self.function(&e.key, &e.value, in_condition) {
                    return v;
                }
                let mut m = serde_json::Map::new();
                m.insert(e.key.clone(), self.eval_with(&e.value, in_condition));
                J::Object(m)
            }
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), self.eval_with(&e.value, in_condition)))
                    .filter(|(_, v)| !v.is_null())
                    .collect(),
            ),
            Value::List(items) => J::Array(
                items
                    .iter()
                    .map(|i| self.eval_with(i, in_condition))
                    .filter(|v| !v.is_null())
                    .collect(),
            ),
            Value::String(text) if text.contains("{{resolve:") => {
                J::String(mark(&format!("the dynamic reference in {text}")))
            }
            _ => node.to_json(),
        }
    }

    fn args(&self, arg: &Node, in_condition: bool) -> Vec<J> {
        match self.eval_with(arg, in_condition) {
            J::Array(a) => a,
            other => vec![other],
        }
    }

    fn function(&self, name: &str, arg: &Node, c: bool) -> Option<J> {
        let v = match name {
            "Ref" => self.reference(arg.str().unwrap_or_default()),
            "Condition" => match self.condition(arg.str().unwrap_or_default()) {
                Some(b) => J::Bool(b),
                None => J::String(mark(&format!(
                    "condition {}",
                    arg.str().unwrap_or_default()
                ))),
            },
            "Fn::GetAtt" => {
                let a = self.args(arg, c);
                let (l, at) = match a.as_slice() {
                    [J::String(one)] => match one.split_once('.') {
                        Some((l, at)) => (l.to_string(), at.to_string()),
                        None => (one.clone(), String::new()),
                    },
                    [l, at, ..] => (text(l), text(at)),
                    _ => return Some(J::String(mark("!GetAtt"))),
                };
                self.attribute(&l, &at)
            }
            "Fn::Sub" => {
                let a = self.args(arg, c);
                let (template, vars) = match a.as_slice() {
                    [J::String(t)] => (t.clone(), serde_json::Map::new()),
                    [J::String(t), J::Object(vars), ..] => (t.clone(), vars.clone()),
                    _ => return Some(J::String(mark("!Sub"))),
                };
                J::String(self.sub(&template, &vars))
            }
            "Fn::Join" => {
                let a = self.args(arg, c);
                match a.as_slice() {
                    [sep, J::Array(items)] => {
                        J::String(items.iter().map(text).collect::<Vec<_>>().join(&text(sep)))
                    }
                    [_, J::String(one)] if outside(one).is_some() => J::String(one.clone()),
                    _ => J::String(mark("!Join")),
                }
            }
            "Fn::Select" => {
                let a = self.args(arg, c);
                match a.as_slice() {
                    [i, J::Array(items)] => n(Some(i))
                        .and_then(|i| items.get(i as usize).cloned())
                        .unwrap_or_else(|| J::String(mark("!Select"))),
                    _ => J::String(mark("!Select")),
                }
            }
            "Fn::Split" => {
                let a = self.args(arg, c);
                match a.as_slice() {
                    [J::String(sep), J::String(s)] if outside(s).is_none() => {
                        J::Array(s.split(sep.as_str()).map(|p| J::String(p.into())).collect())
                    }
                    _ => J::String(mark("!Split")),
                }
            }
            "Fn::If" => {
                let a = match &arg.value {
                    Value::List(items) => items,
                    _ => return Some(J::String(mark("!If"))),
                };
                let cond = a.first().and_then(Node::str).unwrap_or_default();
                match (self.condition(cond), a.get(1), a.get(2)) {
                    (Some(true), Some(yes), _) => self.eval_with(yes, c),
                    (Some(false), _, Some(no)) => self.eval_with(no, c),
                    _ => J::String(mark(&format!("!If {cond}"))),
                }
            }
            "Fn::ImportValue" => {
                let a = self.eval_with(arg, c);
                J::String(mark(&format!("!ImportValue {}", text(&a))))
            }
            "Fn::FindInMap" => {
                let a = self.args(arg, c);
                let keys: Vec<String> = a.iter().map(text).collect();
                match keys.as_slice() {
                    [m, k1, k2] => self
                        .mappings
                        .get(m)
                        .and_then(|x| x.get(k1))
                        .and_then(|x| x.get(k2))
                        .cloned()
                        .unwrap_or_else(|| J::String(mark(&format!("!FindInMap {m}")))),
                    _ => J::String(mark("!FindInMap")),
                }
            }
            "Fn::Equals" => {
                let a = self.args(arg, c);
                let unsettled = a
                    .iter()
                    .any(|v| s(v).is_some_and(|t| outside(&t).is_some()));
                match a.as_slice() {
                    [x, y] if !unsettled => J::Bool(text(x) == text(y)),
                    _ => J::String(mark("!Equals")),
                }
            }
            "Fn::Not" => {
                let a = self.args(arg, c);
                match a.first().and_then(|v| self.truth(v)) {
                    Some(b) => J::Bool(!b),
                    None => J::String(mark("!Not")),
                }
            }
            "Fn::And" | "Fn::Or" => {
                let a = self.args(arg, c);
                let vals: Vec<Option<bool>> = a.iter().map(|v| self.truth(v)).collect();
                let and = name == "Fn::And";
                if vals.contains(&Some(!and)) {
                    J::Bool(!and)
                } else if vals.iter().all(Option::is_some) {
                    J::Bool(and)
                } else {
                    J::String(mark(name))
                }
            }
            "Fn::GetAZs" | "Fn::Base64" | "Fn::Cidr" | "Fn::Transform" | "Fn::ToJsonString"
            | "Fn::Length" | "Fn::GetParam" => J::String(mark(&format!("!{}", &name[4..]))),
            _ => return None,
        };
        Some(v)
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}`, `${!Literal}`.
    fn sub(&self, template: &str, vars: &serde_json::Map<String, J>) -> String {
        let mut out = String::new();
        let mut rest = template;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            let name = &after[..end];
            if let Some(lit) = name.strip_prefix('!') {
                out.push_str(&format!("${{{lit}}}"));
            } else if let Some(v) = vars.get(name) {
                out.push_str(&text(v));
            } else if let Some((l, at)) = name.split_once('.') {
                out.push_str(&text(&self.attribute(l, at)));
            } else {
                out.push_str(&text(&self.reference(name)));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn declare(&self, d: &mut Declared, logical: &str, kind: &str, p: &J, place: Place) {
        let ctx = self.ctx;
        let get = |k: &str| p.get(k);
        let gs = |k: &str| p.get(k).and_then(s);
        match kind {
            "AWS::CloudTrail::Trail" => {
                let name = gs("TrailName").unwrap_or_else(|| logical.to_string());
                let trail = Trail {
                    arn: ctx.arn("cloudtrail", &format!("trail/{name}")),
                    name,
                    home_region: ctx.region.clone(),
                    multi_region: b(get("IsMultiRegionTrail")).unwrap_or(false),
                    organization: b(get("IsOrganizationTrail")).unwrap_or(false),
                    log_group_arn: gs("CloudWatchLogsLogGroupArn"),
                    logging: b(get("IsLogging")),
                    selectors: Some(selectors(p)),
                    ..Trail::default()
                };
                d.trails.push((trail, place));
            }
            "AWS::Logs::LogGroup" => {
                let name = gs("LogGroupName").unwrap_or_else(|| logical.to_string());
                d.log_groups.push((name, place));
            }
            "AWS::Logs::MetricFilter" => {
                let metrics = match get("MetricTransformations") {
                    Some(J::Array(ms)) => ms.iter().map(transformation).collect(),
                    _ => Vec::new(),
                };
                let f = MetricFilter {
                    name: gs("FilterName").unwrap_or_else(|| logical.to_string()),
                    pattern: gs("FilterPattern").unwrap_or_default(),
                    metrics,
                };
                let group = gs("LogGroupName").unwrap_or_default();
                d.filters.push((group, f, place));
            }
            "AWS::CloudWatch::Alarm" => {
                let a = alarm(
                    p,
                    gs("AlarmName").unwrap_or_else(|| logical.to_string()),
                    ctx,
                );
                d.alarms.push((a, place));
            }
            "AWS::SNS::Topic" => {
                let name = gs("TopicName").unwrap_or_else(|| logical.to_string());
                let arn = ctx.arn("sns", &name);
                if let Some(J::Array(subs)) = get("Subscription") {
                    for (i, sub) in subs.iter().enumerate() {
                        let protocol = sub.get("Protocol").and_then(s).unwrap_or_default();
                        let endpoint = sub.get("Endpoint").and_then(s).unwrap_or_default();
                        d.subscribe(
                            arn.clone(),
                            &format!("{logical}-{i}"),
                            protocol,
                            endpoint,
                            place.clone(),
                            ctx,
                        );
                    }
                }
                let topic = Topic {
                    arn,
                    exists: true,
                    kms_master_key_id: gs("KmsMasterKeyId"),
                    ..Topic::default()
                };
                d.topics.push((topic, place));
            }
            "AWS::SNS::TopicPolicy" => {
                let doc = get("PolicyDocument").cloned().unwrap_or(J::Null);
                d.topic_policies
                    .push((list(get("Topics")), doc.to_string(), place));
            }
            "AWS::SNS::Subscription" => d.subscribe(
                gs("TopicArn").unwrap_or_default(),
                logical,
                gs("Protocol").unwrap_or_default(),
                gs("Endpoint").unwrap_or_default(),
                place,
                ctx,
            ),
            "AWS::KMS::Key" => d.key(
                logical,
                b(get("Enabled")),
                get("KeyPolicy").map(J::to_string),
                place,
                ctx,
            ),
            "AWS::KMS::Alias" => d.alias(
                &gs("TargetKeyId").unwrap_or_default(),
                gs("AliasName").unwrap_or_default(),
                place,
            ),
            "AWS::CloudFormation::Stack" | "AWS::Serverless::Application" => {
                let url = gs("TemplateURL")
                    .or_else(|| gs("Location"))
                    .map(|u| outside(&u).map_or(u.clone(), str::to_string))
                    .unwrap_or_default();
                d.unresolved
                    .push((format!("nested stack {logical} ({url})"), place));
            }
            _ => {}
        }
    }
}

fn transformation(m: &J) -> MetricTransformation {
    let mut dimensions: Vec<(String, String)> = match m.get("Dimensions") {
        Some(J::Array(ds)) => ds
            .iter()
            .filter_map(|d| Some((d.get("Key").and_then(s)?, d.get("Value").and_then(s)?)))
            .collect(),
        _ => Vec::new(),
    };
    dimensions.sort();
    MetricTransformation {
        metric_name: m.get("MetricName").and_then(s).unwrap_or_default(),
        namespace: m.get("MetricNamespace").and_then(s).unwrap_or_default(),
        value: m.get("MetricValue").and_then(s).unwrap_or_default(),
        default_value: n(m.get("DefaultValue")),
        unit: m.get("Unit").and_then(s),
        dimensions,
    }
}

fn alarm(p: &J, name: String, ctx: &Context) -> Alarm {
    let gs = |k: &str| p.get(k).and_then(s);
    let gi = |k: &str| n(p.get(k)).map(|x| x as i32);
    let metrics = match p.get("Metrics") {
        Some(J::Array(qs)) => qs
            .iter()
            .map(|q| MetricQuery {
                id: q.get("Id").and_then(s).unwrap_or_default(),
                expression: q.get("Expression").and_then(s),
                return_data: b(q.get("ReturnData")).unwrap_or(true),
                metric_stat: q.get("MetricStat").map(|ms| {
                    let m = ms.get("Metric").cloned().unwrap_or(J::Null);
                    MetricStat {
                        metric_name: m.get("MetricName").and_then(s).unwrap_or_default(),
                        namespace: m.get("Namespace").and_then(s).unwrap_or_default(),
                        dimensions: pairs(m.get("Dimensions"), "Name", "Value"),
                        stat: ms.get("Stat").and_then(s).unwrap_or_default(),
                        period: n(ms.get("Period")).map(|x| x as i32),
                        account_id: q.get("AccountId").and_then(s),
                        unit: ms.get("Unit").and_then(s),
                    }
                }),
            })
            .collect(),
        _ => Vec::new(),
    };
    Alarm {
        arn: ctx.arn("cloudwatch", &format!("alarm:{name}")),
        name,
        description: gs("AlarmDescription"),
        metric_name: gs("MetricName"),
        namespace: gs("Namespace"),
        statistic: gs("Statistic"),
        extended_statistic: gs("ExtendedStatistic"),
        period: gi("Period"),
        evaluation_periods: gi("EvaluationPeriods"),
        datapoints_to_alarm: gi("DatapointsToAlarm"),
        threshold: n(p.get("Threshold")),
        comparison_operator: gs("ComparisonOperator"),
        treat_missing_data: gs("TreatMissingData"),
        actions_enabled: b(p.get("ActionsEnabled")).unwrap_or(true),
        alarm_actions: list(p.get("AlarmActions")),
        ok_actions: list(p.get("OKActions")),
        insufficient_data_actions: list(p.get("InsufficientDataActions")),
        dimensions: pairs(p.get("Dimensions"), "Name", "Value"),
        unit: gs("Unit"),
        evaluate_low_sample_count_percentile: gs("EvaluateLowSampleCountPercentile"),
        metrics,
        tags: None,
    }
}

/// A trail's selectors: `AdvancedEventSelectors` when given (even empty), else
/// `EventSelectors` when not empty.
fn selectors(p: &J) -> Selectors {
    let advanced = match p.get("AdvancedEventSelectors") {
        Some(J::Array(a)) => Some(a.iter().collect()),
        _ => None,
    };
    let basic = match p.get("EventSelectors") {
        Some(J::Array(a)) => a.iter().collect(),
        _ => Vec::new(),
    };
    fields::selectors(
        advanced,
        basic,
        &fields::SelectorKeys {
            name: "Name",
            field_selectors: "FieldSelectors",
            field: "Field",
            matches: [
                "Equals",
                "NotEquals",
                "StartsWith",
                "NotStartsWith",
                "EndsWith",
                "NotEndsWith",
            ],
            read_write_type: "ReadWriteType",
            include_management_events: "IncludeManagementEvents",
            exclude_management_event_sources: "ExcludeManagementEventSources",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Declared {
        let ctx = Context::new(Some("eu-west-1"), BTreeMap::new());
        let node = super::super::tree::parse("t.yaml", text).unwrap();
        read("t.yaml", &node, &ctx).unwrap()
    }

    #[test]
    fn a_name_that_refers_to_itself_is_outside_the_files_not_a_crash() {
        let d = read_text(
            "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !GetAtt Topic.TopicName\n",
        );
        assert!(outside(&d.topics[0].0.arn).is_some(), "{:?}", d.topics);
    }

    #[test]
    fn conditions_parameters_and_intrinsics_give_what_a_stack_would() {
        let d = read_text(
            r#"
Parameters:
  Env: {Type: String, Default: prod}
  Topic: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Unknown: !Equals [!Ref Topic, x]
Resources:
  Dev:
    Type: AWS::Logs::LogGroup
    Condition: IsDev
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Join ['/', [!Ref 'AWS::Region', !If [IsProd, prod, dev], !Select [1, !Split [',', 'a,b']]]]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub '${Env}-${Group}'
      AlarmActions: [!If [Unknown, !Ref Topic, !ImportValue Shared]]
      Threshold: 1
"#,
        );
        assert_eq!(
            d.log_groups
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["eu-west-1/prod/b"]
        );
        let a = &d.alarms[0].0;
        assert_eq!(a.name, "prod-eu-west-1/prod/b");
        assert_eq!(outside(&a.alarm_actions[0]), Some("!If Unknown"));
        assert_eq!(d.alarms[0].1.line, 17);
    }
}
