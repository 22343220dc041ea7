//! Terraform resources -> [`Declared`], shared by the plan reader ([`super::tfplan`]) and the HCL
//! reader ([`super::hcl`]): each gives a resource's attributes as JSON (blocks as arrays of
//! objects, values the files do not settle as marks), and this maps the AWS provider's
//! arguments onto what the audit reads, with the provider's defaults.

use serde_json::Value as J;

use super::fields::{b, blocks, list, map_pairs, n, raw as s};
use super::{Context, Declared, Place};
use crate::observed::{
    Alarm, MetricFilter, MetricQuery, MetricStat, MetricTransformation, Selectors, Topic, Trail,
};

/// What `TYPE.NAME.ATTR` gives for a resource whose arguments are `a` (`name` the resource's
/// own name in the files, for names the provider would generate).
pub(crate) fn attribute(kind: &str, name: &str, a: &J, attr: &str, ctx: &Context) -> Option<J> {
    // A value the plan knows (an existing resource's ARN); one known only after apply is
    // built from the arguments, as the provider will.
    if let Some(v) = a
        .get(attr)
        .filter(|v| !v.is_null() && super::marked(v).is_none())
    {
        return Some(v.clone());
    }
    let given = |k: &str| s(a.get(k)).unwrap_or_else(|| name.to_string());
    let v = match (kind, attr) {
        ("aws_sns_topic", "arn" | "id") => ctx.arn("sns", &given("name")),
        ("aws_cloudwatch_log_group", "arn") => {
            ctx.arn("logs", &format!("log-group:{}", given("name")))
        }
        ("aws_cloudwatch_log_group", "id" | "name") => given("name"),
        ("aws_cloudtrail", "arn") => ctx.arn("cloudtrail", &format!("trail/{}", given("name"))),
        ("aws_cloudtrail", "id" | "name") => given("name"),
        ("aws_cloudwatch_log_metric_filter", "id" | "name") => given("name"),
        ("aws_cloudwatch_metric_alarm", "arn") => {
            ctx.arn("cloudwatch", &format!("alarm:{}", given("alarm_name")))
        }
        ("aws_cloudwatch_metric_alarm", "id" | "alarm_name") => given("alarm_name"),
        ("aws_sqs_queue", "arn") => ctx.arn("sqs", &given("name")),
        ("aws_lambda_function", "arn") => {
            ctx.arn("lambda", &format!("function:{}", given("function_name")))
        }
        ("aws_kms_key", "arn") => ctx.arn("kms", &format!("key/key-{name}")),
        ("aws_kms_key", "id" | "key_id") => format!("key-{name}"),
        ("aws_iam_role", "arn") => format!(
            "arn:{}:iam::{}:role/{}",
            ctx.partition,
            ctx.account,
            given("name")
        ),
        (_, "arn") => ctx.arn(kind.trim_start_matches("aws_"), name),
        (_, "id") => name.to_string(),
        _ => return a.get(attr).cloned(),
    };
    Some(J::String(v))
}

/// The resource kinds a subscription to which is confirmed on creation, when declared here.
pub(crate) const ENDPOINTS: &[&str] = &[
    "aws_sqs_queue",
    "aws_lambda_function",
    "aws_kinesis_firehose_delivery_stream",
];

/// Add one resource (`kind`, its `name` in the files, its arguments `a`) to `d`; what rests on
/// an argument the files do not settle is recorded as such.
pub(crate) fn declare_settled(
    d: &mut Declared,
    kind: &str,
    name: &str,
    a: &J,
    place: Place,
    ctx: &Context,
) {
    let before = d.counts();
    declare(d, kind, name, a, place.clone(), ctx);
    if let Some(reference) = super::unsettled(kind, a) {
        d.unsettle_since(before, &reference, &place);
    }
}

/// Add one resource (`kind`, its `name` in the files, its arguments `a`) to `d`.
pub(crate) fn declare(
    d: &mut Declared,
    kind: &str,
    name: &str,
    a: &J,
    place: Place,
    ctx: &Context,
) {
    let get = |k: &str| a.get(k);
    let gs = |k: &str| s(a.get(k));
    match kind {
        "aws_cloudtrail" => {
            let trail_name = gs("name").unwrap_or_else(|| name.to_string());
            let trail = Trail {
                arn: ctx.arn("cloudtrail", &format!("trail/{trail_name}")),
                name: trail_name,
                home_region: ctx.region.clone(),
                multi_region: b(get("is_multi_region_trail")).unwrap_or(false),
                organization: b(get("is_organization_trail")).unwrap_or(false),
                log_group_arn: gs("cloud_watch_logs_group_arn"),
                logging: Some(b(get("enable_logging")).unwrap_or(true)),
                selectors: Some(selectors(a)),
                ..Trail::default()
            };
            d.trails.push((trail, place));
        }
        "aws_cloudwatch_log_group" => {
            let group = gs("name")
                .or_else(|| gs("name_prefix"))
                .unwrap_or_else(|| name.to_string());
            d.log_groups.push((group, place));
        }
        "aws_cloudwatch_log_metric_filter" => {
            let metrics = blocks(get("metric_transformation"))
                .into_iter()
                .map(|m| MetricTransformation {
                    metric_name: s(m.get("name")).unwrap_or_default(),
                    namespace: s(m.get("namespace")).unwrap_or_default(),
                    value: s(m.get("value")).unwrap_or_default(),
                    default_value: n(m.get("default_value")),
                    unit: s(m.get("unit")).filter(|u| u != "None"),
                    dimensions: map_pairs(m.get("dimensions")),
                })
                .collect();
            let f = MetricFilter {
                name: gs("name").unwrap_or_else(|| name.to_string()),
                pattern: gs("pattern").unwrap_or_default(),
                metrics,
            };
            d.filters
                .push((gs("log_group_name").unwrap_or_default(), f, place));
        }
        "aws_cloudwatch_metric_alarm" => {
            let alarm_name = gs("alarm_name").unwrap_or_else(|| name.to_string());
            let gi = |k: &str| n(a.get(k)).map(|x| x as i32);
            let metrics = blocks(get("metric_query"))
                .into_iter()
                .map(|q| MetricQuery {
                    id: s(q.get("id")).unwrap_or_default(),
                    expression: s(q.get("expression")),
                    return_data: b(q.get("return_data")).unwrap_or(false),
                    metric_stat: blocks(q.get("metric")).first().map(|m| MetricStat {
                        metric_name: s(m.get("metric_name")).unwrap_or_default(),
                        namespace: s(m.get("namespace")).unwrap_or_default(),
                        dimensions: map_pairs(m.get("dimensions")),
                        stat: s(m.get("stat")).unwrap_or_default(),
                        period: n(m.get("period")).map(|x| x as i32),
                        account_id: s(q.get("account_id")),
                        unit: s(m.get("unit")),
                    }),
                })
                .collect();
            let alarm = Alarm {
                arn: ctx.arn("cloudwatch", &format!("alarm:{alarm_name}")),
                name: alarm_name,
                description: gs("alarm_description"),
                metric_name: gs("metric_name"),
                namespace: gs("namespace"),
                statistic: gs("statistic"),
                extended_statistic: gs("extended_statistic"),
                period: gi("period"),
                evaluation_periods: gi("evaluation_periods"),
                datapoints_to_alarm: gi("datapoints_to_alarm"),
                threshold: n(get("threshold")),
                comparison_operator: gs("comparison_operator"),
                treat_missing_data: Some(
                    gs("treat_missing_data").unwrap_or_else(|| "missing".into()),
                ),
                actions_enabled: b(get("actions_enabled")).unwrap_or(true),
                alarm_actions: list(get("alarm_actions")),
                ok_actions: list(get("ok_actions")),
                insufficient_data_actions: list(get("insufficient_data_actions")),
                dimensions: map_pairs(get("dimensions")),
                unit: gs("unit"),
                evaluate_low_sample_count_percentile: gs("evaluate_low_sample_count_percentiles"),
                metrics,
                tags: None,
            };
            d.alarms.push((alarm, place));
        }
        "aws_sns_topic" => {
            let arn = s(attribute(kind, name, a, "arn", ctx).as_ref()).unwrap_or_default();
            if let Some(policy) = gs("policy") {
                d.topic_policies
                    .push((vec![arn.clone()], policy, place.clone()));
            }
            d.topics.push((
                Topic {
                    arn,
                    exists: true,
                    kms_master_key_id: gs("kms_master_key_id"),
                    ..Topic::default()
                },
                place,
            ));
        }
        "aws_sns_topic_policy" => {
            d.topic_policies
                .push((list(get("arn")), gs("policy").unwrap_or_default(), place));
        }
        "aws_sns_topic_subscription" => d.subscribe(
            gs("topic_arn").unwrap_or_default(),
            name,
            gs("protocol").unwrap_or_default(),
            gs("endpoint").unwrap_or_default(),
            place,
            ctx,
        ),
        "aws_kms_key" => d.key(name, b(get("is_enabled")), gs("policy"), place, ctx),
        "aws_kms_alias" => d.alias(
            &gs("target_key_id").unwrap_or_default(),
            gs("name").unwrap_or_default(),
            place,
        ),
        _ => {}
    }
}

/// A trail's selectors: `advanced_event_selector` blocks when there are any, else
/// `event_selector` blocks (a plan lists a block the configuration leaves out as `[]`).
fn selectors(a: &J) -> Selectors {
    let advanced = blocks(a.get("advanced_event_selector"));
    super::fields::selectors(
        (!advanced.is_empty()).then_some(advanced),
        blocks(a.get("event_selector")),
        &super::fields::SelectorKeys {
            name: "name",
            field_selectors: "field_selector",
            field: "field",
            matches: [
                "equals",
                "not_equals",
                "starts_with",
                "not_starts_with",
                "ends_with",
                "not_ends_with",
            ],
            read_write_type: "read_write_type",
            include_management_events: "include_management_events",
            exclude_management_event_sources: "exclude_management_event_sources",
        },
    )
}
