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
    assert!(p.blocked.as_deref().unwrap().contains("999999999999"));
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
