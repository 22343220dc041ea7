//! Planner unit tests: hand-built `Observed` values (`crate::fixtures`), no server. The helpers
//! here serve the tests beside each planner module (`filter.rs`, `alarm.rs`, `topic.rs`); the
//! tests here are about the plan as a whole.

use super::*;
use crate::audit::{audit, MatchMode};
use crate::fixtures::*;

pub(super) fn plan_for(o: &Observed, opts: &Options) -> Plan {
    let c = control();
    let a = audit(&c, o, opts.mode);
    plan(&c, o, &a, opts)
}

pub(super) fn change(p: &Plan, r: Resource) -> &Change {
    p.changes.iter().find(|c| c.resource == r).unwrap()
}

pub(super) fn actions(p: &Plan) -> Vec<(Resource, Action)> {
    p.changes.iter().map(|c| (c.resource, c.action)).collect()
}

#[test]
fn a_compliant_account_plans_no_write() {
    let p = plan_for(&compliant(), &Options::default());
    assert!(p.is_empty(), "{p:#?}");
    assert_eq!(p.writes().count(), 0);
    assert_eq!(
        summary_line(&p),
        "Plan: 0 to create, 0 to update, 5 unchanged"
    );
}

#[test]
fn a_good_trail_and_nothing_else_creates_everything_but_cannot_invent_a_subscriber() {
    let p = plan_for(&observed(), &Options::default());
    assert_eq!(
        actions(&p),
        vec![
            (Resource::Topic, Action::Create),
            (Resource::TopicPolicy, Action::Keep),
            (Resource::Subscription, Action::Blocked),
            (Resource::MetricFilter, Action::Create),
            (Resource::Alarm, Action::Create),
        ]
    );
    assert!(change(&p, Resource::Subscription)
        .reason
        .contains("--subscribe"));
    let filter = change(&p, Resource::MetricFilter);
    assert_eq!(
        filter.desired.as_ref().unwrap()["filterPattern"],
        control().canonical_pattern()
    );
    match change(&p, Resource::Alarm).request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(a) => {
            assert_eq!(a.alarm_actions, vec![TOPIC.to_string()]);
            assert_eq!(
                (a.statistic.as_str(), a.period, a.threshold),
                ("Sum", 300, 1.0)
            );
            assert_eq!(a.treat_missing_data.as_deref(), Some("notBreaching"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        summary_line(&p),
        "Plan: 3 to create, 0 to update, 1 unchanged; 1 step needs you (subscription: the topic has no confirmed subscriber)"
    );
}

#[test]
fn a_failing_prerequisite_blocks_the_whole_plan() {
    let mut o = observed();
    o.trails[0].logging = Some(false);
    let p = plan_for(&o, &Options::default());
    assert!(p.changes.is_empty());
    let why = p.blocked.as_deref().unwrap();
    assert!(why.contains("step 2") && why.contains("trail org"), "{why}");
}

#[test]
fn a_log_group_in_another_account_is_reported_not_touched() {
    let mut o = observed();
    let g = lg(&mut o);
    g.account = "999999999999".into();
    g.readable = false;
    let p = plan_for(&o, &Options::default());
    assert!(p.changes.is_empty());
    assert_eq!(
        p.blocked.as_deref().unwrap(),
        "the trail's log group aws-controltower/CloudTrailLogs-abc123 is in account 999999999999 (us-east-1): the filter and alarm must be created there; run trailwatch with credentials for account 999999999999 and --region us-east-1"
    );
}

#[test]
fn among_several_trails_the_closest_to_compliant_is_chosen_and_named() {
    let mut o = compliant();
    let mut paused = trail();
    paused.name = "a-paused".into();
    paused.arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/a-paused".into();
    paused.logging = Some(false);
    o.trails.insert(0, paused);
    let chosen = crate::audit::choose_trail(&o.trails, ACCOUNT, "us-east-1", |t| {
        crate::audit::trail_score(t, &["iam.amazonaws.com"])
    })
    .unwrap();
    assert_eq!(chosen.name, "org");
    let a = audit(&control(), &o, MatchMode::Strict);
    assert!(
        a.steps[0]
            .detail
            .contains("closest to compliant over a-paused"),
        "{}",
        a.steps[0].detail
    );
}

#[test]
fn the_plan_follows_the_working_chain_the_audit_found() {
    // Two foreign compliant filters; only the second has a working alarm: compliant, no write.
    let mut o = compliant();
    let canonical = control().canonical_pattern();
    lg(&mut o).filters = vec![
        filter("a-iam", &canonical, "MetricA"),
        filter("b-iam", &canonical, "MetricB"),
    ];
    lg(&mut o).alarms = vec![good_alarm("b-alarm", "MetricB")];
    let a = audit(&control(), &o, MatchMode::Strict);
    assert!(a.compliant, "{:#?}", a.steps);
    let p = plan_for(&o, &Options::default());
    assert!(p.is_empty(), "{p:#?}");
    assert_eq!(change(&p, Resource::MetricFilter).name, "b-iam");

    // Our filter, exact, on another metric with a working alarm: kept, not re-pointed.
    let mut o = compliant();
    lg(&mut o).filters = vec![filter("IAMPolicyChanges", &canonical, "CustomIAM")];
    lg(&mut o).alarms = vec![good_alarm("users-alarm", "CustomIAM")];
    let p = plan_for(&o, &Options::default());
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn a_missing_log_group_blocks_the_plan() {
    let mut o = compliant();
    let g = lg(&mut o);
    g.missing = true;
    g.filters.clear();
    g.alarms.clear();
    let p = plan_for(&o, &Options::default());
    let why = p.blocked.as_deref().unwrap_or_default();
    assert!(
        why.contains("does not exist") && why.contains("recreate the group"),
        "{why}"
    );
    assert_eq!(p.writes().count(), 0);
}

#[test]
fn documents_use_each_aws_apis_own_field_names_and_leave_out_nulls() {
    let p = plan_for(&observed(), &Options::default());
    let alarm = change(&p, Resource::Alarm).desired.clone().unwrap();
    for k in [
        "AlarmName",
        "MetricName",
        "Namespace",
        "Statistic",
        "Threshold",
        "ComparisonOperator",
        "AlarmActions",
        "TreatMissingData",
    ] {
        assert!(alarm.get(k).is_some(), "{k} in {alarm:#}");
    }
    assert!(
        alarm.get("alarm_name").is_none() && alarm.get("DatapointsToAlarm").is_none(),
        "{alarm:#}"
    );
    let filter = change(&p, Resource::MetricFilter).desired.clone().unwrap();
    assert!(filter.get("filterName").is_some() && filter.get("filterPattern").is_some());
    let t = &filter["metricTransformations"][0];
    assert_eq!(t["metricNamespace"], "CISBenchmark");
    assert!(
        t.get("defaultValue").is_none(),
        "null fields are left out: {t}"
    );
}

#[test]
fn resources_have_one_name_on_the_wire_and_back() {
    for r in Resource::ALL {
        let v = serde_json::to_value(r).unwrap();
        assert_eq!(v, r.as_str());
        assert_eq!(serde_json::from_value::<Resource>(v).unwrap(), r);
        assert_eq!(resource_label(r), r.as_str().replace('_', " "));
    }
    assert!(serde_json::from_value::<Resource>("kms key".into()).is_err());
}

// ---- Ownership: only what carries trailwatch's tag is its own (crate::ownership). ----

fn adopt() -> Options {
    Options {
        adopt: true,
        ..Default::default()
    }
}

fn alarm_names_written(p: &Plan) -> Vec<String> {
    p.writes()
        .filter_map(|w| match w {
            WriteRequest::PutMetricAlarm(a) => Some(a.alarm_name.clone()),
            _ => None,
        })
        .collect()
}

fn tag_map(tags: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut t: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    t.sort();
    t
}

/// ASR-style: an untagged alarm named like the control's, broken (breaching missing data).
fn foreign_broken_alarm() -> Observed {
    let mut o = compliant();
    let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
    a.treat_missing_data = Some("breaching".into());
    lg(&mut o).alarms = vec![a];
    o
}

#[test]
fn what_trailwatch_creates_carries_its_tags_and_the_alarm_records_its_filter() {
    let p = plan_for(&observed(), &Options::default());
    match change(&p, Resource::Topic).request.as_ref().unwrap() {
        WriteRequest::CreateTopic { tags, .. } => {
            assert_eq!(tag_map(tags), [("trailwatch:managed", "true")])
        }
        other => panic!("{other:?}"),
    }
    match change(&p, Resource::Alarm).request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(a) => assert_eq!(
            tag_map(&a.tags),
            [
                ("trailwatch:control", "cis-4.4"),
                (
                    "trailwatch:filter-log-group",
                    "aws-controltower/CloudTrailLogs-abc123"
                ),
                ("trailwatch:filter-name", "IAMPolicyChanges"),
                ("trailwatch:managed", "true"),
            ]
        ),
        other => panic!("{other:?}"),
    }
    // The plan shows the tags it sets.
    assert_eq!(
        change(&p, Resource::Alarm).desired.as_ref().unwrap()["Tags"]["trailwatch:managed"],
        "true"
    );
}

#[test]
fn a_foreign_alarm_holding_the_name_is_never_modified_ours_goes_beside_it() {
    let p = plan_for(&foreign_broken_alarm(), &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(
        (c.action, c.name.as_str()),
        (Action::Create, "IAMPolicyChanges-trailwatch")
    );
    assert!(
        c.reason
            .contains("alarm IAMPolicyChanges (treats missing data as breaching")
            && c.reason.contains("not created by trailwatch")
            && c.reason.contains("pass --adopt"),
        "{}",
        c.reason
    );
    assert_eq!(alarm_names_written(&p), ["IAMPolicyChanges-trailwatch"]);
    assert!(!p.changes.iter().any(|c| c.resource == Resource::AlarmTags));
}

#[test]
fn adopting_a_foreign_alarm_repairs_it_and_tags_it_in_the_same_plan() {
    let p = plan_for(&foreign_broken_alarm(), &adopt());
    let c = change(&p, Resource::Alarm);
    assert_eq!(
        (c.action, c.name.as_str()),
        (Action::Update, "IAMPolicyChanges")
    );
    assert!(c.reason.contains("adopted with --adopt"), "{}", c.reason);
    let t = change(&p, Resource::AlarmTags);
    assert_eq!(t.action, Action::Update);
    match t.request.as_ref().unwrap() {
        WriteRequest::TagAlarm {
            alarm_arn, tags, ..
        } => {
            assert_eq!(
                alarm_arn,
                "arn:aws:cloudwatch:us-east-1:123456789012:alarm:IAMPolicyChanges"
            );
            assert_eq!(tags.len(), 2, "{tags:?}");
            assert!(tags.contains(&("trailwatch:managed".into(), "true".into())));
        }
        other => panic!("{other:?}"),
    }
    // The filter is foreign too (no alarm of trailwatch's records it) but compliant: reused,
    // not recorded, not adopted.
    assert_eq!(change(&p, Resource::MetricFilter).action, Action::Keep);
    let ops: Vec<&str> = p.writes().map(|w| w.operation()).collect();
    assert_eq!(ops, ["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"]);
}

#[test]
fn tags_not_read_never_make_a_resource_trailwatchs() {
    let mut o = compliant();
    lg(&mut o).alarms[0].tags = None;
    lg(&mut o).alarms[0].treat_missing_data = Some("breaching".into());
    let p = plan_for(&o, &Options::default());
    assert_eq!(alarm_names_written(&p), ["IAMPolicyChanges-trailwatch"]);
}

#[test]
fn a_foreign_filter_holding_the_name_is_left_and_ours_goes_beside_it_recorded_by_the_alarm() {
    let mut o = observed();
    lg(&mut o).filters = vec![filter(
        "IAMPolicyChanges",
        "{$.eventName=PutUserPolicy}",
        "IAMPolicyChanges",
    )];
    lg(&mut o).topics = vec![topic(&[(&format!("{TOPIC}:s"), "secops@example.com")])];
    let p = plan_for(&o, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(
        (f.action, f.name.as_str()),
        (Action::Create, "IAMPolicyChanges-trailwatch")
    );
    assert!(f.reason.contains("pass --adopt"), "{}", f.reason);
    assert!(!p.writes().any(|w| matches!(w,
        WriteRequest::PutMetricFilter { filter_name, .. } if filter_name == "IAMPolicyChanges")));
    match change(&p, Resource::Alarm).request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(a) => assert!(a.tags.contains(&(
            "trailwatch:filter-name".into(),
            "IAMPolicyChanges-trailwatch".into()
        ))),
        other => panic!("{other:?}"),
    }

    // With --adopt the foreign filter is repaired in place and recorded.
    let p = plan_for(&o, &adopt());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(
        (f.action, f.name.as_str()),
        (Action::Update, "IAMPolicyChanges")
    );
    match change(&p, Resource::Alarm).request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(a) => assert!(a
            .tags
            .contains(&("trailwatch:filter-name".into(), "IAMPolicyChanges".into()))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn our_alarm_records_the_filter_it_now_owns_with_a_tag_write() {
    // trailwatch's working alarm watches the metric a broken foreign filter publishes; the
    // filter trailwatch creates beside it is recorded on the alarm.
    let mut o = compliant();
    lg(&mut o).filters[0].pattern = "{$.eventName=PutUserPolicy}".into();
    lg(&mut o).alarms[0].tags = Some(crate::ownership::alarm_tags("cis-4.4", None));
    let p = plan_for(&o, &Options::default());
    assert_eq!(
        change(&p, Resource::MetricFilter).name,
        "IAMPolicyChanges-trailwatch"
    );
    let t = change(&p, Resource::AlarmTags);
    match t.request.as_ref().unwrap() {
        WriteRequest::TagAlarm { tags, .. } => assert_eq!(
            tag_map(tags),
            [
                (
                    "trailwatch:filter-log-group",
                    "aws-controltower/CloudTrailLogs-abc123"
                ),
                ("trailwatch:filter-name", "IAMPolicyChanges-trailwatch"),
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_foreign_shared_topic_is_used_but_written_only_when_adopted() {
    let mut o = compliant();
    // Someone else's topic of the shared name, no confirmed subscriber, no tags.
    lg(&mut o).topics = vec![topic(&[])];
    lg(&mut o).topics[0].tags = Some(Vec::new());
    let opts = Options {
        subscribe: vec![Endpoint {
            protocol: "lambda".into(),
            endpoint: "arn:aws:lambda:us-east-1:123456789012:function:pager".into(),
        }],
        ..Default::default()
    };
    let p = plan_for(&o, &opts);
    assert!(change(&p, Resource::Topic)
        .reason
        .contains("not created by trailwatch"));
    assert!(!p.changes.iter().any(|c| c.resource == Resource::TopicTags));
    // The working alarm notifies it; --subscribe adds a subscriber (it changes nothing there).
    assert_eq!(change(&p, Resource::Subscription).action, Action::Create);

    // A narrowed policy needs a write: without --adopt it needs the user.
    lg(&mut o).topics[0].policy =
        Some(serde_json::json!({"Version": "2012-10-17", "Statement": []}).to_string());
    let p = plan_for(&o, &Options::default());
    let pol = change(&p, Resource::TopicPolicy);
    assert_eq!(pol.action, Action::Blocked);
    assert!(pol.reason.contains("pass --adopt"), "{}", pol.reason);
    assert_eq!(p.writes().count(), 0);

    let p = plan_for(&o, &adopt());
    assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Update);
    let t = change(&p, Resource::TopicTags);
    assert!(matches!(t.request, Some(WriteRequest::TagTopic { .. })));
    let ops: Vec<&str> = p.writes().map(|w| w.operation()).collect();
    assert_eq!(ops, ["sns:TagResource", "sns:SetTopicAttributes"]);
}

/// Someone else's topic (no tags) with a policy that lets no alarm publish.
fn foreign_topic(arn: &str) -> crate::observed::Topic {
    let mut t = topic(&[(&format!("{arn}:s"), "secops@example.com")]);
    t.arn = arn.into();
    t.tags = Some(Vec::new());
    t.policy = Some(serde_json::json!({"Version": "2012-10-17", "Statement": []}).to_string());
    t
}

#[test]
fn topic_arn_is_the_instruction_to_manage_that_topic_without_tagging_it() {
    for arn in ["arn:aws:sns:us-east-1:123456789012:ops-alerts", TOPIC] {
        let mut o = compliant();
        lg(&mut o).alarms[0].alarm_actions = vec![arn.into()];
        lg(&mut o).topics = vec![foreign_topic(arn)];
        let opts = Options {
            topic_arn: Some(arn.into()),
            ..Default::default()
        };
        let p = plan_for(&o, &opts);
        let policy = change(&p, Resource::TopicPolicy);
        assert_eq!(policy.action, Action::Update, "{arn}: {policy:#?}");
        // The statement merged is conditioned on this account's alarms.
        let stmt = &policy.desired.as_ref().unwrap()["Statement"][0];
        assert_eq!(
            stmt["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"
        );
        assert_eq!(
            stmt["Condition"]["StringEquals"]["aws:SourceAccount"],
            ACCOUNT
        );
        assert!(
            !p.changes.iter().any(|c| c.resource == Resource::TopicTags),
            "{arn}: no tag"
        );
        let ops: Vec<&str> = p.writes().map(|w| w.operation()).collect();
        assert_eq!(ops, ["sns:SetTopicAttributes"], "{arn}");
    }
}

#[test]
fn both_names_held_by_foreign_alarms_block_until_one_is_adopted() {
    let mut o = foreign_broken_alarm();
    let mut beside = good_alarm("IAMPolicyChanges-trailwatch", "IAMPolicyChanges");
    beside.actions_enabled = false;
    lg(&mut o).alarms.push(beside);
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(c.action, Action::Blocked, "{c:#?}");
    assert!(
        c.reason.contains("the names IAMPolicyChanges and IAMPolicyChanges-trailwatch are held by alarms trailwatch did not create"),
        "{}",
        c.reason
    );
    assert_eq!(p.writes().count(), 0);
    let p = plan_for(&o, &adopt());
    assert_eq!(alarm_names_written(&p), ["IAMPolicyChanges"]);
}

#[test]
fn a_composite_alarm_holding_the_name_is_not_replaced_even_with_adopt() {
    let mut o = observed();
    lg(&mut o).composite_alarms = vec!["IAMPolicyChanges".into()];
    let p = plan_for(&o, &adopt());
    assert_eq!(alarm_names_written(&p), ["IAMPolicyChanges-trailwatch"]);
}

#[test]
fn a_repair_carries_unit_threshold_operator_and_every_action_over() {
    let mut o = compliant();
    let unit_metric = &mut lg(&mut o).filters[0].metrics[0];
    unit_metric.unit = Some("Count".into());
    let a = &mut lg(&mut o).alarms[0];
    a.unit = Some("Count".into());
    a.threshold = Some(0.5);
    a.comparison_operator = Some("GreaterThanThreshold".into());
    a.period = Some(120);
    a.ok_actions = vec!["arn:aws:sns:us-east-1:123456789012:ok".into()];
    a.insufficient_data_actions = vec!["arn:aws:sns:us-east-1:123456789012:gaps".into()];
    a.alarm_actions = vec![
        TOPIC.into(),
        "arn:aws:ssm:us-east-1:123456789012:opsitem:3".into(),
    ];
    a.description = Some("SOC runbook 12".into());
    a.treat_missing_data = Some("ignore".into());
    let p = plan_for(&o, &Options::default());
    let Some(WriteRequest::PutMetricAlarm(r)) = change(&p, Resource::Alarm).request.as_ref() else {
        panic!("{p:#?}")
    };
    assert_eq!(r.unit.as_deref(), Some("Count"));
    assert_eq!(
        (r.threshold, r.comparison_operator.as_str()),
        (0.5, "GreaterThanThreshold")
    );
    assert_eq!(
        (r.statistic.as_str(), r.period, r.evaluation_periods),
        ("Sum", 120, 1)
    );
    assert_eq!(r.ok_actions, ["arn:aws:sns:us-east-1:123456789012:ok"]);
    assert_eq!(
        r.insufficient_data_actions,
        ["arn:aws:sns:us-east-1:123456789012:gaps"]
    );
    assert_eq!(
        r.alarm_actions,
        [TOPIC, "arn:aws:ssm:us-east-1:123456789012:opsitem:3"]
    );
    assert_eq!(r.alarm_description.as_deref(), Some("SOC runbook 12"));
    // The one field that stopped it.
    assert_eq!(r.treat_missing_data.as_deref(), Some("notBreaching"));
}

#[test]
fn a_deny_trailwatch_cannot_judge_blocks_the_topic_policy_even_adopted_and_writes_nothing() {
    for deny in [
        serde_json::json!({"Sid": "OnlyOurOrg", "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "SNS:Publish", "Resource": TOPIC}),
        serde_json::json!({"Sid": "OnlyOurOrg", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish",
            "Resource": TOPIC, "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}),
    ] {
        for adopt in [false, true] {
            let mut o = compliant();
            let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [deny.clone()]});
            lg(&mut o).topics[0].policy = Some(policy.to_string());
            let p = plan_for(
                &o,
                &Options {
                    adopt,
                    ..Default::default()
                },
            );
            let c = change(&p, Resource::TopicPolicy);
            assert_eq!(c.action, Action::Blocked, "{deny} adopt={adopt}: {c:#?}");
            assert!(c.reason.contains("OnlyOurOrg"), "{}", c.reason);
            assert_eq!(p.writes().count(), 0, "{deny} adopt={adopt}");
        }
    }
}

#[test]
fn both_filter_names_held_by_foreign_filters_block_until_one_is_adopted() {
    let mut o = observed();
    lg(&mut o).filters = vec![
        filter(
            "IAMPolicyChanges",
            "{$.eventName=PutUserPolicy}",
            "IAMPolicyChanges",
        ),
        filter(
            "IAMPolicyChanges-trailwatch",
            "{$.eventName=PutRolePolicy}",
            "IAMPolicyChanges",
        ),
    ];
    let p = plan_for(&o, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(f.action, Action::Blocked, "{f:#?}");
    assert!(!p
        .writes()
        .any(|w| matches!(w, WriteRequest::PutMetricFilter { .. })));
    let p = plan_for(&o, &adopt());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(
        (f.action, f.name.as_str()),
        (Action::Update, "IAMPolicyChanges")
    );
}

#[test]
fn a_published_text_that_matches_almost_everything_is_warned_about_and_never_alarmed_on() {
    let c = Control::builtin("cis-4.1").unwrap();
    let noisy = r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }"#;
    let mut o = observed();
    lg(&mut o).filters = vec![filter(
        "cis-v15-unauthorized",
        noisy,
        "UnauthorizedAPICalls",
    )];
    lg(&mut o).topics = vec![topic(&[(&format!("{TOPIC}:s"), "secops@example.com")])];
    let a = audit(&c, &o, MatchMode::Strict);
    // Exact by the letter (Security Hub accepts it), with the warning.
    assert!(a.steps[3].ok, "{:#?}", a.steps[3]);
    let w = a.filters[0].warning.as_deref().unwrap();
    assert!(w.contains("matches almost every event"), "{w}");
    // trailwatch's alarm is not pointed at it: the canonical filter is created beside it.
    let p = plan(&c, &o, &a, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(
        (f.action, f.name.as_str()),
        (Action::Create, "UnauthorizedAPICalls")
    );
    assert_eq!(
        f.desired.as_ref().unwrap()["filterPattern"],
        c.canonical_pattern()
    );
    // The canonical text and the v2+ text get no warning.
    for text in [
        c.canonical_pattern(),
        r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#.to_string(),
    ] {
        lg(&mut o).filters = vec![filter("f", &text, "UnauthorizedAPICalls")];
        let a = audit(&c, &o, MatchMode::Strict);
        assert!(a.filters[0].warning.is_none(), "{text}");
    }
}

#[test]
fn several_subscribers_are_each_subscribed_and_a_pending_one_is_not_again() {
    let opts = Options {
        subscribe: vec![
            Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            },
            Endpoint {
                protocol: "https".into(),
                endpoint: "https://events.pagerduty.com/integration/abc/enqueue".into(),
            },
        ],
        ..Default::default()
    };
    let p = plan_for(&observed(), &opts);
    let subs: Vec<(Action, String)> = p
        .changes
        .iter()
        .filter(|c| c.resource == Resource::Subscription)
        .map(|c| (c.action, c.name.clone()))
        .collect();
    assert_eq!(
        subs,
        [
            (
                Action::Create,
                format!("email:secops@example.com on {TOPIC}")
            ),
            (
                Action::Create,
                format!("https:https://events.pagerduty.com/*** on {TOPIC}")
            ),
        ]
    );
    assert_eq!(
        p.writes()
            .filter(|w| matches!(w, WriteRequest::Subscribe { .. }))
            .count(),
        2
    );
    // The e-mail subscription is pending: only the pager is subscribed.
    let mut o = compliant();
    lg(&mut o).topics = vec![topic(&[("PendingConfirmation", "secops@example.com")])];
    let p = plan_for(&o, &opts);
    let actions: Vec<Action> = p
        .changes
        .iter()
        .filter(|c| c.resource == Resource::Subscription)
        .map(|c| c.action)
        .collect();
    assert_eq!(actions, [Action::Blocked, Action::Create]);
}
