//! Planner unit tests: hand-built `Observed` values, no server.

use super::*;
use crate::audit::{audit, MatchMode};
use crate::fixtures::*;

fn plan_for(o: &Observed, opts: &Options) -> Plan {
    let c = control();
    let a = audit(&c, o, opts.mode);
    plan(&c, o, &a, opts)
}

fn change(p: &Plan, r: Resource) -> &Change {
    p.changes.iter().find(|c| c.resource == r).unwrap()
}

fn actions(p: &Plan) -> Vec<(Resource, Action)> {
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
fn subscribe_creates_the_subscription_on_the_planned_topic() {
    let opts = Options {
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    let p = plan_for(&observed(), &opts);
    let s = change(&p, Resource::Subscription);
    assert_eq!(s.action, Action::Create);
    assert!(s.reason.contains("must then confirm"), "{}", s.reason);
    assert_eq!(
        s.request,
        Some(WriteRequest::Subscribe {
            region: "us-east-1".into(),
            topic_arn: TOPIC.into(),
            protocol: "email".into(),
            endpoint: "secops@example.com".into()
        })
    );
}

#[test]
fn a_pending_subscription_needs_the_user_and_is_not_subscribed_again() {
    let mut o = compliant();
    lg(&mut o).topics = vec![topic(&[("PendingConfirmation", "secops@example.com")])];
    let p = plan_for(&o, &Options::default());
    let s = change(&p, Resource::Subscription);
    assert_eq!(s.action, Action::Blocked);
    assert!(s.reason.contains("pending confirmation"));
    let opts = Options {
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    let p = plan_for(&o, &opts);
    assert_eq!(change(&p, Resource::Subscription).action, Action::Blocked);
    assert_eq!(p.writes().count(), 0);
    assert!(summary_line(&p)
        .contains("1 step needs you (subscription: subscription pending confirmation)"));
}

#[test]
fn a_wrong_pattern_under_our_name_is_updated_in_place() {
    let mut o = compliant();
    lg(&mut o).filters = vec![filter(
        "IAMPolicyChanges",
        "{$.eventName=PutUserPolicy}",
        "IAMPolicyChanges",
    )];
    let p = plan_for(&o, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(f.action, Action::Update);
    assert_eq!(
        f.current.as_ref().unwrap()["filterPattern"],
        "{$.eventName=PutUserPolicy}"
    );
    assert_eq!(
        f.desired.as_ref().unwrap()["filterPattern"],
        control().canonical_pattern()
    );
    assert_eq!(change(&p, Resource::Alarm).action, Action::Keep);
    assert_eq!(p.writes().count(), 1);
}

#[test]
fn our_filter_with_another_metric_is_updated_to_the_controls_metric() {
    let mut o = compliant();
    let canonical = control().canonical_pattern();
    lg(&mut o).filters = vec![filter("IAMPolicyChanges", &canonical, "SomethingElse")];
    let p = plan_for(&o, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(f.action, Action::Update);
    assert!(
        f.reason.contains("does not publish the control's metric"),
        "{}",
        f.reason
    );
}

#[test]
fn a_compliant_filter_under_another_name_is_reused_not_duplicated() {
    let mut o = compliant();
    let canonical = control().canonical_pattern();
    lg(&mut o).filters = vec![filter("legacy-iam-changes", &canonical, "LegacyMetric")];
    lg(&mut o).alarms = vec![];
    let p = plan_for(&o, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(
        (f.action, f.name.as_str()),
        (Action::Keep, "legacy-iam-changes")
    );
    match change(&p, Resource::Alarm).request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(a) => assert_eq!(a.metric_name, "LegacyMetric"),
        other => panic!("{other:?}"),
    }
    assert!(!p
        .writes()
        .any(|w| matches!(w, WriteRequest::PutMetricFilter { .. })));
}

#[test]
fn our_alarm_without_action_is_repaired_keeping_what_the_user_set() {
    let mut o = compliant();
    let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
    a.alarm_actions = vec!["arn:aws:automate:us-east-1:ec2:stop".into()];
    a.ok_actions = vec!["arn:aws:sns:us-east-1:123456789012:ok-topic".into()];
    a.description = Some("set by the security team".into());
    a.statistic = Some("Average".into());
    a.period = Some(60);
    a.datapoints_to_alarm = Some(3);
    lg(&mut o).alarms = vec![a];
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(c.action, Action::Update);
    match c.request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(r) => {
            assert_eq!(
                r.alarm_actions,
                vec![
                    "arn:aws:automate:us-east-1:ec2:stop".to_string(),
                    TOPIC.to_string()
                ]
            );
            assert_eq!(
                r.ok_actions,
                vec!["arn:aws:sns:us-east-1:123456789012:ok-topic".to_string()]
            );
            assert_eq!(
                r.alarm_description.as_deref(),
                Some("set by the security team")
            );
            assert_eq!((r.statistic.as_str(), r.period), ("Sum", 300));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        c.reason.contains("needs 3 breaching periods") && c.reason.contains("does not notify"),
        "{}",
        c.reason
    );
}

#[test]
fn a_foreign_alarm_is_never_modified_and_ours_is_created_beside_it() {
    let mut o = compliant();
    let mut foreign = good_alarm("someone-elses", "IAMPolicyChanges");
    foreign.alarm_actions.clear();
    lg(&mut o).alarms = vec![foreign];
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(
        (c.action, c.name.as_str()),
        (Action::Create, "IAMPolicyChanges")
    );
    assert!(c.reason.contains("someone-elses"), "{}", c.reason);
    assert!(!p
        .writes()
        .any(|w| matches!(w, WriteRequest::PutMetricAlarm(a) if a.alarm_name == "someone-elses")));
}

#[test]
fn an_alarm_in_another_namespace_does_not_count_and_ours_is_moved() {
    let mut o = compliant();
    let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
    a.namespace = Some("LogMetrics".into());
    lg(&mut o).alarms = vec![a];
    let c = control();
    assert!(!audit(&c, &o, MatchMode::Strict).steps[4].ok);
    let p = plan_for(&o, &Options::default());
    let ch = change(&p, Resource::Alarm);
    assert_eq!(ch.action, Action::Update);
    assert!(
        ch.reason.contains("watches LogMetrics/IAMPolicyChanges"),
        "{}",
        ch.reason
    );
}

#[test]
fn a_narrowed_topic_policy_gets_one_statement_merged() {
    let mut o = compliant();
    let narrowed = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OpsOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"},
        "Action": "SNS:Publish", "Resource": TOPIC}]});
    lg(&mut o).topics[0].policy = Some(narrowed.to_string());
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::TopicPolicy);
    assert_eq!(c.action, Action::Update);
    let desired = c.desired.as_ref().unwrap();
    assert_eq!(desired["Statement"].as_array().unwrap().len(), 2);
    assert_eq!(desired["Statement"][0]["Sid"], "OpsOnly");
    assert_eq!(p.writes().count(), 1);
}

#[test]
fn the_aws_managed_sns_key_is_flagged() {
    let mut o = compliant();
    lg(&mut o).topics[0].kms_master_key_id = Some("alias/aws/sns".into());
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::KmsKey);
    assert_eq!(c.action, Action::Blocked);
    assert!(c.reason.contains("alias/aws/sns"));
    assert_eq!(p.writes().count(), 0, "a key policy is never written");
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
    assert!(p.blocked.as_deref().unwrap().contains("999999999999"));
}

#[test]
fn an_equivalent_filter_is_kept_only_when_matching_by_meaning() {
    let mut o = compliant();
    let mut events = control().events.clone();
    events.reverse();
    let reordered = crate::pattern::canonical_pattern(&events);
    lg(&mut o).filters = vec![filter("reordered", &reordered, "IAMPolicyChanges")];
    let strict = plan_for(&o, &Options::default());
    assert_eq!(
        change(&strict, Resource::MetricFilter).action,
        Action::Create
    );
    let meaning = plan_for(
        &o,
        &Options {
            mode: MatchMode::Meaning,
            ..Default::default()
        },
    );
    assert_eq!(
        change(&meaning, Resource::MetricFilter).action,
        Action::Keep
    );
    assert!(meaning.is_empty(), "{meaning:#?}");
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
fn a_topic_only_someone_elses_alarm_uses_is_never_written() {
    let mut o = compliant();
    let ops = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
    let mut alarm = good_alarm("SecAlarm", "IAMPolicyChanges");
    alarm.alarm_actions = vec![ops.into()];
    let mut t = topic(&[]);
    t.arn = ops.into();
    t.policy = Some(
        serde_json::json!({"Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"}, "Action": "SNS:Publish", "Resource": ops}]})
        .to_string(),
    );
    lg(&mut o).alarms = vec![alarm];
    lg(&mut o).topics = vec![t];
    let opts = Options {
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    // Without --subscribe nothing is written to it.
    let p = plan_for(&o, &Options::default());
    assert_eq!(p.writes().count(), 0, "{p:#?}");
    let c = change(&p, Resource::TopicPolicy);
    assert_eq!(c.action, Action::Blocked, "{c:#?}");
    assert!(c
        .reason
        .contains("--topic-arn arn:aws:sns:us-east-1:123456789012:ops-alerts"));
    let c = change(&p, Resource::Subscription);
    assert_eq!(c.action, Action::Blocked, "{c:#?}");
    assert!(c.reason.contains("--subscribe"), "{}", c.reason);
    // --subscribe names the receiver: subscribing adds to the topic the working alarm notifies
    // and changes nothing else; its policy stays the owner's.
    let p = plan_for(&o, &opts);
    assert_eq!(p.writes().count(), 1, "{p:#?}");
    let sub = change(&p, Resource::Subscription);
    assert_eq!(sub.action, Action::Create);
    assert!(sub.reason.contains(ops), "{}", sub.reason);
    assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Blocked);
    assert_eq!(change(&p, Resource::Alarm).action, Action::Keep);
    // Told to use it: now trailwatch may merge the statement and subscribe.
    let told = Options {
        topic_arn: Some(ops.into()),
        ..opts
    };
    let p = plan_for(&o, &told);
    assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Update);
    assert_eq!(change(&p, Resource::Subscription).action, Action::Create);
}

#[test]
fn nothing_that_needs_a_missing_topic_is_written() {
    let mut o = observed();
    lg(&mut o).topics = vec![Topic {
        arn: "arn:aws:sns:eu-west-1:123456789012:alerts".into(),
        exists: false,
        ..Default::default()
    }];
    let opts = Options {
        topic_arn: Some("arn:aws:sns:eu-west-1:123456789012:alerts".into()),
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    let p = plan_for(&o, &opts);
    assert_eq!(change(&p, Resource::Topic).action, Action::Blocked);
    assert_eq!(change(&p, Resource::Alarm).action, Action::Blocked);
    assert_eq!(change(&p, Resource::Subscription).action, Action::Blocked);
    let writes: Vec<&str> = p.writes().map(|w| w.operation()).collect();
    assert_eq!(writes, ["logs:PutMetricFilter"]);
}

#[test]
fn an_unreadable_topic_policy_is_never_rewritten() {
    let mut o = compliant();
    lg(&mut o).topics[0].policy = Some("{not json".into());
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::TopicPolicy);
    assert_eq!(c.action, Action::Blocked);
    assert!(c.reason.contains("not valid JSON"));
    assert_eq!(p.writes().count(), 0);
}

#[test]
fn an_equivalent_filter_kept_by_meaning_carries_the_security_hub_warning() {
    let mut o = compliant();
    let mut events = control().events.clone();
    events.swap(0, 1);
    lg(&mut o).filters = vec![filter(
        "IAMPolicyChanges",
        &crate::pattern::canonical_pattern(&events),
        "IAMPolicyChanges",
    )];
    let p = plan_for(
        &o,
        &Options {
            mode: MatchMode::Meaning,
            ..Default::default()
        },
    );
    let c = change(&p, Resource::MetricFilter);
    assert_eq!(c.action, Action::Keep);
    assert!(c.reason.contains("Security Hub"), "{}", c.reason);
}

#[test]
fn an_unreadable_topic_blocks_what_depends_on_it() {
    let mut o = observed();
    lg(&mut o).topics = vec![Topic {
        arn: TOPIC.into(),
        exists: true,
        read_error: Some("sns:GetTopicAttributes failed: AuthorizationError".into()),
        ..Default::default()
    }];
    let p = plan_for(&o, &Options::default());
    assert_eq!(change(&p, Resource::Topic).action, Action::Blocked);
    assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Blocked);
    assert_eq!(change(&p, Resource::Alarm).action, Action::Blocked);
    assert!(!p.writes().any(|w| matches!(
        w,
        WriteRequest::SetTopicPolicy { .. } | WriteRequest::CreateTopic { .. }
    )));
}

#[test]
fn a_composite_alarm_holding_our_name_is_not_replaced() {
    let mut o = observed();
    lg(&mut o).composite_alarms = vec!["IAMPolicyChanges".into()];
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(c.action, Action::Blocked);
    assert!(c.reason.contains("composite"));
}

#[test]
fn an_alarm_whose_unit_differs_from_the_metric_is_not_working_and_is_repaired() {
    let mut o = compliant();
    let mut a = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
    a.unit = Some("Count".into());
    lg(&mut o).alarms = vec![a];
    let au = audit(&control(), &o, MatchMode::Strict);
    assert!(!au.steps[4].ok, "{:#?}", au.steps[4]);
    assert!(
        au.steps[4].detail.contains("unit Count"),
        "{}",
        au.steps[4].detail
    );
    let p = plan_for(&o, &Options::default());
    match change(&p, Resource::Alarm).request.as_ref().unwrap() {
        WriteRequest::PutMetricAlarm(r) => assert_eq!(r.unit, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_deleted_topic_that_only_another_alarm_notifies_is_not_recreated() {
    let mut o = compliant();
    let gone = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
    let mut alarm = good_alarm("SecAlarm", "IAMPolicyChanges");
    alarm.alarm_actions = vec![gone.into()];
    lg(&mut o).alarms = vec![alarm];
    lg(&mut o).topics = vec![Topic {
        arn: gone.into(),
        exists: false,
        ..Default::default()
    }];
    let p = plan_for(&o, &Options::default());
    assert_eq!(change(&p, Resource::Topic).action, Action::Blocked);
    assert!(
        !p.writes()
            .any(|w| matches!(w, WriteRequest::CreateTopic { .. })),
        "{p:#?}"
    );
}

#[test]
fn topic_writes_go_to_the_topics_own_region() {
    let mut o = compliant();
    let away = "arn:aws:sns:eu-west-1:123456789012:alerts";
    let mut t = topic(&[]);
    t.arn = away.into();
    t.policy = Some(r#"{"Statement": []}"#.into());
    lg(&mut o).topics = vec![t];
    let opts = Options {
        topic_arn: Some(away.into()),
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    let p = plan_for(&o, &opts);
    for w in p.writes() {
        match w {
            WriteRequest::SetTopicPolicy { region, .. }
            | WriteRequest::Subscribe { region, .. } => {
                assert_eq!(region, "eu-west-1")
            }
            _ => {}
        }
    }
    assert!(p
        .writes()
        .any(|w| matches!(w, WriteRequest::Subscribe { .. })));
}

#[test]
fn with_topic_arn_the_chain_through_that_topic_is_kept() {
    // Ours notifies T (pending); a foreign exact filter's alarm notifies F (confirmed).
    let t_arn = "arn:aws:sns:us-east-1:123456789012:t";
    let f_arn = "arn:aws:sns:us-east-1:123456789012:f";
    let canonical = control().canonical_pattern();
    let mut o = compliant();
    let mut ours = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
    ours.alarm_actions = vec![t_arn.into()];
    let mut legacy = good_alarm("legacy", "LegacyMetric");
    legacy.alarm_actions = vec![f_arn.into()];
    lg(&mut o).filters = vec![
        filter("IAMPolicyChanges", &canonical, "IAMPolicyChanges"),
        filter("Legacy", &canonical, "LegacyMetric"),
    ];
    lg(&mut o).alarms = vec![ours, legacy];
    let mut t = topic(&[("PendingConfirmation", "a@example.com")]);
    t.arn = t_arn.into();
    t.policy = t.policy.map(|p| p.replace(TOPIC, t_arn));
    let mut f = topic(&[("arn:aws:sns:us-east-1:123456789012:f:1", "b@example.com")]);
    f.arn = f_arn.into();
    lg(&mut o).topics = vec![t, f];
    let p = plan_for(
        &o,
        &Options {
            topic_arn: Some(t_arn.into()),
            ..Default::default()
        },
    );
    assert_eq!(p.writes().count(), 0, "{p:#?}");
    assert_eq!(change(&p, Resource::MetricFilter).name, "IAMPolicyChanges");
}

#[test]
fn subscribe_never_reaches_a_topic_in_another_account() {
    let mut o = compliant();
    let theirs = "arn:aws:sns:us-east-1:210987654321:central-alerts";
    let mut alarm = good_alarm("SecAlarm", "IAMPolicyChanges");
    alarm.alarm_actions = vec![theirs.into()];
    let mut t = topic(&[]);
    t.arn = theirs.into();
    lg(&mut o).alarms = vec![alarm];
    lg(&mut o).topics = vec![t];
    let opts = Options {
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    let p = plan_for(&o, &opts);
    assert_eq!(p.writes().count(), 0, "{p:#?}");
    let sub = change(&p, Resource::Subscription);
    assert_eq!(sub.action, Action::Blocked);
    assert!(sub.reason.contains("another account"), "{}", sub.reason);
}

#[test]
fn a_working_alarm_with_another_statistic_is_kept_not_duplicated() {
    for stat in ["Maximum", "Average", "Minimum", "SampleCount"] {
        let mut o = compliant();
        lg(&mut o).alarms[0].statistic = Some(stat.into());
        let p = plan_for(&o, &Options::default());
        assert_eq!(p.writes().count(), 0, "{stat}: {p:#?}");
        assert_eq!(change(&p, Resource::Alarm).action, Action::Keep, "{stat}");
    }
}

#[test]
fn a_metric_math_alarm_holding_our_name_is_never_overwritten() {
    use crate::observed::{MetricQuery, MetricStat};
    let mut o = compliant();
    let math = Alarm {
        name: "IAMPolicyChanges".into(),
        arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:IAMPolicyChanges".into(),
        threshold: Some(1.0),
        comparison_operator: Some("GreaterThanOrEqualToThreshold".into()),
        evaluation_periods: Some(1),
        actions_enabled: true,
        metrics: vec![
            MetricQuery {
                id: "m1".into(),
                metric_stat: Some(MetricStat {
                    metric_name: "IAMPolicyChanges".into(),
                    namespace: "CISBenchmark".into(),
                    stat: "Sum".into(),
                    period: Some(300),
                    ..Default::default()
                }),
                ..Default::default()
            },
            MetricQuery {
                id: "e1".into(),
                expression: Some("RATE(m1)".into()),
                return_data: true,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    lg(&mut o).alarms = vec![math];
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(c.action, Action::Blocked, "{c:#?}");
    assert!(
        c.reason.contains("metric-math") && c.reason.contains("RATE(m1)"),
        "{}",
        c.reason
    );
    assert!(c.current.as_ref().unwrap()["Metrics"].is_array());
    assert!(!p
        .writes()
        .any(|w| matches!(w, WriteRequest::PutMetricAlarm(_))));
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
fn a_compliant_filter_published_with_dimensions_is_not_reused_for_a_new_alarm() {
    let mut o = observed();
    let canonical = control().canonical_pattern();
    let mut f = filter("TeamFilter", &canonical, "TeamMetric");
    f.metrics[0].dimensions = vec![("User".into(), "$.userIdentity.arn".into())];
    lg(&mut o).filters = vec![f];
    lg(&mut o).topics = vec![topic(&[(&format!("{TOPIC}:sub1"), "secops@example.com")])];
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::MetricFilter);
    assert_eq!(c.action, Action::Create, "{c:#?}");
    match change(&p, Resource::Alarm).request.as_ref() {
        Some(WriteRequest::PutMetricAlarm(a)) => {
            assert_eq!(
                a.metric_name, "IAMPolicyChanges",
                "our own dimensionless metric"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn our_alarm_that_treats_missing_data_as_breaching_is_repaired_not_kept() {
    let mut o = compliant();
    lg(&mut o).alarms[0].treat_missing_data = Some("breaching".into());
    let p = plan_for(&o, &Options::default());
    let c = change(&p, Resource::Alarm);
    assert_eq!(c.action, Action::Update, "{c:#?}");
    match c.request.as_ref() {
        Some(WriteRequest::PutMetricAlarm(a)) => {
            assert_eq!(a.treat_missing_data.as_deref(), Some("notBreaching"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn our_filter_whose_default_value_dilutes_the_count_is_repaired() {
    let mut o = compliant();
    lg(&mut o).filters[0].metrics[0].default_value = Some(1.0);
    lg(&mut o).alarms.clear();
    let p = plan_for(&o, &Options::default());
    let f = change(&p, Resource::MetricFilter);
    assert_eq!(f.action, Action::Update, "{f:#?}");
    assert!(f.reason.contains("cannot carry an alarm"), "{}", f.reason);
    match f.request.as_ref() {
        Some(WriteRequest::PutMetricFilter {
            metric_transformations,
            ..
        }) => assert_eq!(metric_transformations[0].default_value, None),
        other => panic!("{other:?}"),
    }
}

/// Two controls whose alarms notify the same topic: a policy write one of them needs is never
/// dropped because the other's alarm is already allowed.
#[test]
fn a_shared_policy_write_is_kept_when_one_control_needs_it() {
    let c44 = control();
    let c43 = Control::builtin("cis-4.3").unwrap();
    let mut o = compliant();
    // The policy lets only 4.3's alarm publish (by its ARN).
    let policy = serde_json::json!({"Statement": [{"Sid": "OnlyRoot", "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "SNS:Publish", "Resource": TOPIC,
        "Condition": {"ArnEquals": {"aws:SourceArn": format!("arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{}", c43.alarm.name)}}}]});
    lg(&mut o).topics[0].policy = Some(policy.to_string());
    let mut plans: Vec<Plan> = [&c43, &c44]
        .iter()
        .map(|c| {
            let a = audit(c, &o, MatchMode::Strict);
            plan(c, &o, &a, &Options::default())
        })
        .collect();
    assert_eq!(
        change(&plans[0], Resource::TopicPolicy).action,
        Action::Keep
    );
    assert_eq!(
        change(&plans[1], Resource::TopicPolicy).action,
        Action::Update
    );
    share(&mut plans);
    let policy_writes = crate::plan::writes(&plans)
        .into_iter()
        .filter(|w| matches!(w, WriteRequest::SetTopicPolicy { .. }))
        .count();
    assert_eq!(policy_writes, 1, "{plans:#?}");
    // Listed once in all.
    let listed: usize = plans
        .iter()
        .map(|p| {
            p.changes
                .iter()
                .filter(|c| c.resource == Resource::TopicPolicy)
                .count()
        })
        .sum();
    assert_eq!(listed, 1);
}

/// Two controls whose working alarms notify two different unsubscribed topics of this account:
/// `--subscribe` subscribes to both.
#[test]
fn subscriptions_to_different_topics_are_both_kept() {
    let c44 = control();
    let c43 = Control::builtin("cis-4.3").unwrap();
    let mut o = observed();
    let (a_topic, b_topic) = (
        "arn:aws:sns:us-east-1:123456789012:team-a",
        "arn:aws:sns:us-east-1:123456789012:team-b",
    );
    let mut f43 = filter(
        "RootAccountUsage",
        &c43.canonical_pattern(),
        "RootAccountUsage",
    );
    f43.metrics[0].metric_name = c43.filter.metric_name.clone();
    lg(&mut o).filters = vec![
        filter(
            "IAMPolicyChanges",
            &c44.canonical_pattern(),
            "IAMPolicyChanges",
        ),
        f43,
    ];
    let mut a44 = good_alarm("A", "IAMPolicyChanges");
    a44.alarm_actions = vec![a_topic.into()];
    let mut a43 = good_alarm("B", &c43.filter.metric_name);
    a43.alarm_actions = vec![b_topic.into()];
    lg(&mut o).alarms = vec![a44, a43];
    let mut ta = topic(&[]);
    ta.arn = a_topic.into();
    let mut tb = topic(&[]);
    tb.arn = b_topic.into();
    lg(&mut o).topics = vec![ta, tb];
    let opts = Options {
        subscribe: Some(Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }),
        ..Default::default()
    };
    let mut plans: Vec<Plan> = [&c44, &c43]
        .iter()
        .map(|c| {
            let a = audit(c, &o, MatchMode::Strict);
            plan(c, &o, &a, &opts)
        })
        .collect();
    share(&mut plans);
    let subscribed: Vec<String> = crate::plan::writes(&plans)
        .into_iter()
        .filter_map(|w| match w {
            WriteRequest::Subscribe { topic_arn, .. } => Some(topic_arn.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(subscribed, [a_topic, b_topic]);
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
