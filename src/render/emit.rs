//! `fix --plan --emit terraform|cloudformation`: the plan's writes as code, for teams whose
//! resources must live in their IaC. Pure: plans in, text out.
//!
//! - Terraform: a resource for each thing the plan creates or changes, and an `import` block
//!   (Terraform 1.5+) for each existing resource the plan changes, with the repaired arguments,
//!   so the next `terraform apply` adopts it instead of fighting it.
//! - CloudFormation: a template of the same resources, `DeletionPolicy: Retain` on the ones to
//!   import, and the resource-import description (`--resources-to-import`) in its `Metadata`.
//!
//! What the plan keeps is not emitted: the code refers to it by ARN. A subscriber endpoint
//! that carries a secret (credentials or a token in a URL) is never printed: it becomes a
//! sensitive variable (Terraform) or a `NoEcho` parameter (CloudFormation).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::plan::{Action, Plan};
use crate::write::WriteRequest;

/// One resource to emit.
struct Item {
    /// Terraform type and CloudFormation type.
    tf: &'static str,
    cfn: &'static str,
    /// A name for it in the code (snake case for Terraform, CamelCase for CloudFormation).
    name: String,
    /// Terraform arguments (blocks as arrays of objects), CloudFormation properties.
    tf_args: Vec<(String, Value)>,
    cfn_props: Value,
    /// Existing: the import id (Terraform) and identifier (CloudFormation).
    import: Option<(String, Value)>,
    /// The topic ARN it stands for, when it is a topic (references to it use the code's name).
    topic_arn: Option<String>,
    /// An imported resource whose whole tag set is not known (Terraform keeps its tags as
    /// they are: `ignore_changes`).
    keep_tags: bool,
}

fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn snake(name: &str) -> String {
    let w = words(name).join("_");
    if w.starts_with(|c: char| c.is_ascii_digit()) || w.is_empty() {
        format!("r_{w}")
    } else {
        w
    }
}

fn camel(name: &str) -> String {
    let w: String = words(name)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    if w.starts_with(|c: char| c.is_ascii_digit()) || w.is_empty() {
        format!("R{w}")
    } else {
        w
    }
}

fn cfn_tags(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// The resources the plans' writes make or change, each once (shared writes serve several
/// controls).
fn items(plans: &[&Plan]) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for p in plans {
        for c in &p.changes {
            let (Some(req), Action::Create | Action::Update) = (&c.request, c.action) else {
                continue;
            };
            let existing = c.action == Action::Update;
            let key = serde_json::to_string(req).unwrap_or_default();
            if !seen.insert(key) {
                continue;
            }
            match req {
                WriteRequest::PutMetricFilter {
                    log_group_name,
                    filter_name,
                    filter_pattern,
                    metric_transformations,
                    ..
                } => {
                    let m: Vec<Value> = metric_transformations
                        .iter()
                        .map(|m| {
                            let mut v = json!({"name": m.metric_name, "namespace": m.namespace, "value": m.value});
                            if let Some(d) = m.default_value {
                                v["default_value"] = json!(d.to_string());
                            }
                            v
                        })
                        .collect();
                    let cm: Vec<Value> = metric_transformations
                        .iter()
                        .map(|m| {
                            let mut v = json!({"MetricName": m.metric_name, "MetricNamespace": m.namespace, "MetricValue": m.value});
                            if let Some(d) = m.default_value {
                                v["DefaultValue"] = json!(d);
                            }
                            v
                        })
                        .collect();
                    out.push(Item {
                        tf: "aws_cloudwatch_log_metric_filter",
                        cfn: "AWS::Logs::MetricFilter",
                        name: filter_name.clone(),
                        tf_args: vec![
                            ("name".into(), json!(filter_name)),
                            ("log_group_name".into(), json!(log_group_name)),
                            ("pattern".into(), json!(filter_pattern)),
                            ("metric_transformation".into(), Value::Array(m)),
                        ],
                        cfn_props: json!({"FilterName": filter_name, "LogGroupName": log_group_name,
                            "FilterPattern": filter_pattern, "MetricTransformations": cm}),
                        import: existing.then(|| {
                            (
                                format!("{log_group_name}:{filter_name}"),
                                json!({"LogGroupName": log_group_name, "FilterName": filter_name}),
                            )
                        }),
                        topic_arn: None,
                        keep_tags: false,
                    });
                }
                WriteRequest::PutMetricAlarm(a) => {
                    let mut args = vec![
                        ("alarm_name".into(), json!(a.alarm_name)),
                        ("metric_name".into(), json!(a.metric_name)),
                        ("namespace".into(), json!(a.namespace)),
                        ("statistic".into(), json!(a.statistic)),
                        ("period".into(), json!(a.period)),
                        ("evaluation_periods".into(), json!(a.evaluation_periods)),
                        ("threshold".into(), json!(a.threshold)),
                        ("comparison_operator".into(), json!(a.comparison_operator)),
                        ("actions_enabled".into(), json!(a.actions_enabled)),
                        ("alarm_actions".into(), json!(a.alarm_actions)),
                    ];
                    let mut props = json!({"AlarmName": a.alarm_name, "MetricName": a.metric_name,
                        "Namespace": a.namespace, "Statistic": a.statistic, "Period": a.period,
                        "EvaluationPeriods": a.evaluation_periods, "Threshold": a.threshold,
                        "ComparisonOperator": a.comparison_operator, "ActionsEnabled": a.actions_enabled,
                        "AlarmActions": a.alarm_actions});
                    if let Some(d) = &a.alarm_description {
                        args.insert(1, ("alarm_description".into(), json!(d)));
                        props["AlarmDescription"] = json!(d);
                    }
                    if let Some(d) = a.datapoints_to_alarm {
                        args.push(("datapoints_to_alarm".into(), json!(d)));
                        props["DatapointsToAlarm"] = json!(d);
                    }
                    if let Some(t) = &a.treat_missing_data {
                        args.push(("treat_missing_data".into(), json!(t)));
                        props["TreatMissingData"] = json!(t);
                    }
                    if !a.ok_actions.is_empty() {
                        args.push(("ok_actions".into(), json!(a.ok_actions)));
                        props["OKActions"] = json!(a.ok_actions);
                    }
                    if !a.insufficient_data_actions.is_empty() {
                        args.push((
                            "insufficient_data_actions".into(),
                            json!(a.insufficient_data_actions),
                        ));
                        props["InsufficientDataActions"] = json!(a.insufficient_data_actions);
                    }
                    if !a.dimensions.is_empty() {
                        args.push(("dimensions".into(), crate::plan::tags_doc(&a.dimensions)));
                        props["Dimensions"] = Value::Array(
                            a.dimensions
                                .iter()
                                .map(|(k, v)| json!({"Name": k, "Value": v}))
                                .collect(),
                        );
                    }
                    if let Some(u) = &a.unit {
                        args.push(("unit".into(), json!(u)));
                        props["Unit"] = json!(u);
                    }
                    if !a.tags.is_empty() {
                        args.push(("tags".into(), crate::plan::tags_doc(&a.tags)));
                        props["Tags"] = cfn_tags(&a.tags);
                    }
                    out.push(Item {
                        tf: "aws_cloudwatch_metric_alarm",
                        cfn: "AWS::CloudWatch::Alarm",
                        name: a.alarm_name.clone(),
                        tf_args: args,
                        cfn_props: props,
                        import: existing
                            .then(|| (a.alarm_name.clone(), json!({"AlarmName": a.alarm_name}))),
                        topic_arn: None,
                        keep_tags: existing,
                    });
                }
                WriteRequest::CreateTopic {
                    name,
                    topic_arn,
                    tags,
                    ..
                } => out.push(Item {
                    tf: "aws_sns_topic",
                    cfn: "AWS::SNS::Topic",
                    name: name.clone(),
                    tf_args: vec![
                        ("name".into(), json!(name)),
                        ("tags".into(), crate::plan::tags_doc(tags)),
                    ],
                    cfn_props: json!({"TopicName": name, "Tags": cfn_tags(tags)}),
                    import: None,
                    topic_arn: Some(topic_arn.clone()),
                    keep_tags: false,
                }),
                // Tags on a topic kept as it is: importing the whole topic to tag it would make
                // the code own (and reset) its other attributes; said in a comment instead.
                WriteRequest::TagTopic { .. } => {}
                WriteRequest::SetTopicPolicy {
                    topic_arn, policy, ..
                } => {
                    let name = format!(
                        "{}-policy",
                        topic_arn.rsplit(':').next().unwrap_or_default()
                    );
                    let doc: Value = serde_json::from_str(policy).unwrap_or(Value::Null);
                    out.push(Item {
                        tf: "aws_sns_topic_policy",
                        cfn: "AWS::SNS::TopicPolicy",
                        name,
                        tf_args: vec![
                            ("arn".into(), json!(topic_arn)),
                            ("policy".into(), json!(policy)),
                        ],
                        cfn_props: json!({"Topics": [topic_arn], "PolicyDocument": doc}),
                        // Terraform imports a topic policy by the topic's ARN; CloudFormation
                        // cannot import one: its TopicPolicy replaces the policy on create.
                        import: existing.then(|| (topic_arn.clone(), Value::Null)),
                        topic_arn: None,
                        keep_tags: false,
                    });
                }
                WriteRequest::Subscribe {
                    topic_arn,
                    protocol,
                    endpoint,
                    ..
                } => {
                    let name = format!("{protocol}-subscriber-{}", out.len());
                    out.push(Item {
                        tf: "aws_sns_topic_subscription",
                        cfn: "AWS::SNS::Subscription",
                        name,
                        tf_args: vec![
                            ("topic_arn".into(), json!(topic_arn)),
                            ("protocol".into(), json!(protocol)),
                            ("endpoint".into(), json!(endpoint)),
                        ],
                        cfn_props: json!({"TopicArn": topic_arn, "Protocol": protocol, "Endpoint": endpoint}),
                        import: None,
                        topic_arn: None,
                        keep_tags: false,
                    });
                }
                WriteRequest::TagAlarm { .. } => {}
            }
        }
    }
    // Tags that adopt an existing alarm (or record its filter) go on the alarm's resource.
    for p in plans {
        for c in &p.changes {
            let Some(WriteRequest::TagAlarm {
                alarm_arn, tags, ..
            }) = &c.request
            else {
                continue;
            };
            // The alarm's whole tag set after the change (its own tags kept).
            let whole: Option<Vec<(String, String)>> = c.desired.as_ref().and_then(|d| {
                d.as_object().map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
            });
            let name = alarm_arn.rsplit_once(":alarm:").map_or("", |(_, n)| n);
            if let Some(it) = out
                .iter_mut()
                .find(|it| it.tf == "aws_cloudwatch_metric_alarm" && it.name == name)
            {
                let mut merged: Vec<(String, String)> = whole.clone().unwrap_or_default();
                if let Some((_, Value::Object(m))) = it.tf_args.iter().find(|(k, _)| k == "tags") {
                    merged.extend(
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
                    );
                }
                for (k, v) in tags {
                    merged.retain(|(x, _)| x != k);
                    merged.push((k.clone(), v.clone()));
                }
                it.tf_args.retain(|(k, _)| k != "tags");
                it.tf_args
                    .push(("tags".into(), crate::plan::tags_doc(&merged)));
                it.cfn_props["Tags"] = cfn_tags(&merged);
                it.keep_tags = whole.is_none();
            }
        }
    }
    out
}

/// Tags the plan adds to a topic it otherwise keeps (`--adopt`): not emitted as code (the
/// topic would have to be imported whole), said instead.
fn topic_tags(plans: &[&Plan]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in plans.iter().flat_map(|p| p.changes.iter()) {
        if let Some(WriteRequest::TagTopic {
            topic_arn, tags, ..
        }) = &c.request
        {
            let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let note = format!(
                "Not emitted: tag topic {topic_arn} with {} where that topic is managed (it is kept as it is).",
                tags.join(", ")
            );
            if !out.contains(&note) {
                out.push(note);
            }
        }
    }
    out
}

/// An endpoint that carries a secret (what redaction would hide).
fn secret(endpoint: &str) -> bool {
    crate::redact::endpoint(endpoint) != endpoint
}

/// A string as an HCL quoted string: JSON's escapes, and `${`/`%{` kept literal.
fn hcl_string(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn hcl_value(v: &Value, indent: usize, refs: &BTreeMap<String, String>) -> String {
    let pad = "  ".repeat(indent);
    match v {
        Value::String(s) => refs.get(s).cloned().unwrap_or_else(|| hcl_string(s)),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| format!("{pad}  {}", hcl_value(i, indent + 1, refs)))
                .collect();
            format!("[\n{}\n{pad}]", inner.join(",\n"))
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{pad}  {} = {}",
                        hcl_string(k),
                        hcl_value(v, indent + 1, refs)
                    )
                })
                .collect();
            format!("{{\n{}\n{pad}}}", inner.join("\n"))
        }
        other => other.to_string(),
    }
}

/// The plans as Terraform (HCL).
pub(crate) fn terraform(plans: &[&Plan], account: &str, region: &str) -> String {
    let items = items(plans);
    let mut out = format!(
        "# trailwatch fix --plan --emit terraform: account {account}, region {region}.\n\
         # Resources for what the plan creates or changes; `import` blocks (Terraform 1.5+) adopt\n\
         # the existing ones it changes. What the plan keeps is referred to by ARN.\n"
    );
    if items.is_empty() {
        out.push_str("# Nothing to change: the account is compliant.\n");
        return out;
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut labelled = Vec::new();
    for it in &items {
        let base = snake(&it.name);
        let n = names.entry(format!("{}.{base}", it.tf)).or_insert(0);
        *n += 1;
        let label = if *n == 1 { base } else { format!("{base}_{n}") };
        labelled.push((it, label));
    }
    // References to topics in the file by their ARN.
    let refs: BTreeMap<String, String> = labelled
        .iter()
        .filter_map(|(it, label)| {
            it.topic_arn
                .as_ref()
                .map(|arn| (arn.clone(), format!("aws_sns_topic.{label}.arn")))
        })
        .collect();
    let mut variables = Vec::new();
    for (it, label) in &labelled {
        out.push('\n');
        if let Some((id, _)) = &it.import {
            out.push_str(&format!(
                "import {{\n  to = {}.{label}\n  id = {}\n}}\n\n",
                it.tf,
                hcl_string(id)
            ));
        }
        out.push_str(&format!("resource \"{}\" \"{label}\" {{\n", it.tf));
        let width = it
            .tf_args
            .iter()
            .filter(|(_, v)| {
                !v.is_array()
                    || !v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
                    || v.as_array().is_some_and(|a| a.is_empty())
            })
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, v) in &it.tf_args {
            if k == "metric_transformation" {
                for block in v.as_array().into_iter().flatten() {
                    out.push_str(&format!("\n  {k} {{\n"));
                    for (bk, bv) in block.as_object().into_iter().flatten() {
                        out.push_str(&format!("    {bk:<9} = {}\n", hcl_value(bv, 2, &refs)));
                    }
                    out.push_str("  }\n");
                }
                continue;
            }
            if k == "endpoint" && v.as_str().is_some_and(secret) {
                let var = format!("{label}_endpoint");
                out.push_str(&format!("  {k:<width$} = var.{var}\n"));
                variables.push(var);
                continue;
            }
            if k == "policy" {
                if let Some(text) = v.as_str() {
                    let doc: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
                    let body: Vec<String> = pretty.lines().map(|l| format!("    {l}")).collect();
                    out.push_str(&format!(
                        "  {k:<width$} = <<-EOT\n{}\n  EOT\n",
                        body.join("\n").replace("${", "$${").replace("%{", "%%{")
                    ));
                    continue;
                }
            }
            out.push_str(&format!("  {k:<width$} = {}\n", hcl_value(v, 1, &refs)));
        }
        if it.keep_tags {
            // Its other tags are not in the plan: the code must not remove them.
            out.push_str("\n  lifecycle {\n    ignore_changes = [tags]\n  }\n");
        }
        out.push_str("}\n");
    }
    for note in topic_tags(plans) {
        out.push_str(&format!("\n# {note}\n"));
    }
    for var in variables {
        out.push_str(&format!(
            "\nvariable \"{var}\" {{\n  description = \"The subscriber endpoint: it carries a secret, so it is not printed here.\"\n  type        = string\n  sensitive   = true\n}}\n"
        ));
    }
    out
}

/// The plans as a CloudFormation template (YAML).
pub(crate) fn cloudformation(plans: &[&Plan], account: &str, region: &str) -> String {
    let items = items(plans);
    let mut resources = serde_json::Map::new();
    let mut parameters = serde_json::Map::new();
    let mut imports = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut logical = Vec::new();
    for it in &items {
        // The kind in the logical id: a filter and its alarm share a name.
        let kind = it.cfn.rsplit("::").next().unwrap_or_default();
        let mut base = camel(&it.name);
        if !base.ends_with(kind) {
            base.push_str(kind);
        }
        let n = names.entry(base.clone()).or_insert(0);
        *n += 1;
        let id = if *n == 1 { base } else { format!("{base}{n}") };
        logical.push((it, id));
    }
    let refs: BTreeMap<String, String> = logical
        .iter()
        .filter_map(|(it, id)| it.topic_arn.clone().map(|a| (a, id.clone())))
        .collect();
    let with_refs = |v: &Value| -> Value {
        fn walk(v: &Value, refs: &BTreeMap<String, String>) -> Value {
            match v {
                Value::String(s) => match refs.get(s) {
                    Some(id) => json!({"Ref": id}),
                    None => v.clone(),
                },
                Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, refs)).collect()),
                Value::Object(m) => Value::Object(
                    m.iter()
                        .map(|(k, x)| {
                            // A topic policy names its topic inside the document too.
                            if k == "PolicyDocument" {
                                (k.clone(), x.clone())
                            } else {
                                (k.clone(), walk(x, refs))
                            }
                        })
                        .collect(),
                ),
                other => other.clone(),
            }
        }
        walk(v, &refs)
    };
    for (it, id) in &logical {
        let mut props = with_refs(&it.cfn_props);
        if let Some(ep) = props.get("Endpoint").and_then(Value::as_str) {
            if secret(ep) {
                let p = format!("{id}Endpoint");
                parameters.insert(
                    p.clone(),
                    json!({"Type": "String", "NoEcho": true,
                        "Description": "The subscriber endpoint: it carries a secret, so it is not printed here."}),
                );
                props["Endpoint"] = json!({"Ref": p});
            }
        }
        let mut r = json!({"Type": it.cfn, "Properties": props});
        if let Some((_, identifier)) = &it.import {
            if !identifier.is_null() {
                r["DeletionPolicy"] = json!("Retain");
                r["UpdateReplacePolicy"] = json!("Retain");
                imports.push(json!({"ResourceType": it.cfn, "LogicalResourceId": id,
                    "ResourceIdentifier": identifier}));
            }
        }
        resources.insert(id.clone(), r);
    }
    let mut doc = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("trailwatch fix --plan --emit cloudformation: account {account}, region {region}"),
    });
    if !parameters.is_empty() {
        doc["Parameters"] = Value::Object(parameters);
    }
    if !imports.is_empty() {
        doc["Metadata"] = json!({"trailwatch": {
            "Comment": "Existing resources this template changes. An import does not apply property changes: import them with a template holding their current properties (aws cloudformation create-change-set --change-set-type IMPORT --resources-to-import <ResourcesToImport>), then update the stack with this template.",
            "ResourcesToImport": imports}});
    }
    let notes = topic_tags(plans);
    if !notes.is_empty() {
        doc["Metadata"]["trailwatch"]["NotEmitted"] = json!(notes);
    }
    if resources.is_empty() {
        // A template needs a resource: nothing to change.
        resources.insert(
            "NothingToChange".into(),
            json!({"Type": "AWS::CloudFormation::WaitConditionHandle"}),
        );
    }
    doc["Resources"] = Value::Object(resources);
    yaml(&doc, 0)
}

/// JSON as block YAML (strings quoted as JSON, which YAML reads).
fn yaml(v: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(m) => {
            let mut out = String::new();
            for (k, x) in m {
                match x {
                    Value::Object(inner) if !inner.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n{}", yaml(x, indent + 1)))
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n{}", yaml(x, indent + 1)))
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(x))),
                }
            }
            out
        }
        Value::Array(a) => {
            let mut out = String::new();
            for x in a {
                match x {
                    Value::Object(inner) if !inner.is_empty() => {
                        let body = yaml(x, indent + 1);
                        out.push_str(&format!("{pad}- {}", body.trim_start()));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(x))),
                }
            }
            out
        }
        other => format!("{pad}{}\n", scalar(other)),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_terraform_and_cloudformation_names() {
        assert_eq!(snake("IAMPolicyChanges"), "iampolicy_changes");
        assert_eq!(snake("cis-benchmark-alarms"), "cis_benchmark_alarms");
        assert_eq!(camel("cis-benchmark-alarms"), "CisBenchmarkAlarms");
        assert_eq!(camel("RootAccountUsage"), "RootAccountUsage");
        assert_eq!(hcl_string("a ${b} \"c\""), "\"a $${b} \\\"c\\\"\"");
    }
}
