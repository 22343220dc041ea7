//! Every CIS monitoring control as data: all fifteen fixed in one apply, shared reads, one
//! topic, reuse of a compliant filter under a foreign name, one drifted control repaired alone.

use crate::support;

use support::{change, steps, Emulator, Seed, REGION};
use trailwatch::control::Control;

/// An SQS queue of the account: confirmed at once, on AWS as in the emulator.
const SUBSCRIBE: &str = "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts";
const LG: &str = "aws-controltower/CloudTrailLogs-q7x2kd";

fn count(writes: &[String], op: &str) -> usize {
    writes.iter().filter(|w| w.ends_with(op)).count()
}

#[tokio::test]
async fn all_fifteen_controls_are_fixed_in_one_apply_and_a_second_writes_nothing() {
    let all = Control::all();
    assert_eq!(all.len(), 15, "the embedded controls");
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;

    let (code, before) = emu.check(&["--all-controls"]);
    assert_eq!(code, 2);
    assert_eq!(before["controls"].as_array().unwrap().len(), 15);
    assert_eq!(before["controls_summary"]["compliant"], 0);

    let (code, out, writes) = emu.apply(&["--all-controls", SUBSCRIBE]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        count(&writes, "CreateTopic"),
        1,
        "one shared topic: {writes:?}"
    );
    assert_eq!(count(&writes, "Subscribe"), 1, "{writes:?}");
    assert_eq!(count(&writes, "PutMetricFilter"), 15, "{writes:?}");
    assert_eq!(count(&writes, "PutMetricAlarm"), 15, "{writes:?}");
    assert_eq!(writes.len(), 32, "{writes:?}");
    assert_eq!(out["compliant"], true);
    for c in out["controls"].as_array().unwrap() {
        assert_eq!(steps(c), "OOOOOOO", "{c:#}");
    }

    // check --all-controls on the compliant account: within the budget of 8 calls.
    emu.reset_requests();
    let (code, after) = emu.check(&["--all-controls"]);
    assert_eq!(code, 0, "{after:#}");
    let calls = emu.requests();
    assert!(calls.len() <= 8, "{} calls: {calls:?}", calls.len());

    let (code, again, writes) = emu.apply(&["--all-controls", SUBSCRIBE]);
    assert_eq!((code, writes.len()), (0, 0), "{again:#}");

    // One drifted control among fifteen is repaired alone, with exactly one write.
    let drifted = &all[6];
    seed.cloudwatch
        .delete_alarms()
        .alarm_names(&drifted.alarm.name)
        .send()
        .await
        .unwrap();
    let (code, plan) = emu.plan(&["--all-controls"]);
    assert_eq!(code, 2);
    let plans = plan["controls"].as_array().unwrap();
    for (c, p) in all.iter().zip(plans) {
        let alarm = change(p, "alarm");
        let want = if c.id == drifted.id { "create" } else { "keep" };
        assert_eq!(alarm["action"], want, "{}: {alarm:#}", c.id);
    }
    let (code, _, writes) = emu.apply(&["--all-controls"]);
    assert_eq!(code, 0);
    assert_eq!(writes, ["monitoring:PutMetricAlarm"]);
}

#[tokio::test]
async fn a_compliant_root_usage_filter_under_a_foreign_name_is_reused() {
    let c = Control::builtin("cis-4.3").expect("cis-4.3 is embedded");
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    seed.filter(
        LG,
        "root-activity",
        &c.canonical_pattern(),
        "RootActivity",
        "Security",
    )
    .await;
    let (code, out, writes) = emu.apply(&["--control", "cis-4.3", SUBSCRIBE]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(count(&writes, "PutMetricFilter"), 0, "{writes:?}");
    assert_eq!(count(&writes, "PutMetricAlarm"), 1, "{writes:?}");
    let alarm = change(&out, "alarm");
    assert_eq!(alarm["desired"]["MetricName"], "RootActivity");
    assert_eq!(alarm["desired"]["Namespace"], "Security");
    let (code, v) = emu.check(&["--control", "cis-4.3"]);
    assert_eq!((code, steps(&v).as_str()), (0, "OOOOOOO"), "{v:#}");
    assert_eq!(v["control"], "cis-4.3");
}

#[tokio::test]
async fn controls_lists_every_control_and_bad_ids_are_refused() {
    let emu = Emulator::start();
    let r = emu.run(&["--output", "json", "controls"]);
    assert_eq!(r.code, 0);
    let v = r.json();
    let list = v["controls"].as_array().unwrap();
    assert_eq!(list.len(), 15);
    assert!(list
        .iter()
        .any(|c| c["id"] == "cis-4.15" && c["security_hub"].is_null()));
    assert!(list
        .iter()
        .any(|c| c["id"] == "cis-4.3" && c["security_hub"] == "CloudWatch.1"));
    let r = emu.run(&["--region", REGION, "--control", "cis-4.3,cis-9.9", "check"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("\"cis-9.9\""), "{}", r.stderr);
}

#[tokio::test]
async fn a_control_whose_events_the_trail_leaves_out_is_blocked_alone() {
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    // A common cost saving: management events, but not KMS's (which CIS 4.7 needs).
    seed.cloudtrail
        .put_event_selectors()
        .trail_name("org-trail")
        .advanced_event_selectors(
            AdvancedEventSelector::builder()
                .name("management-without-kms")
                .field_selectors(
                    AdvancedFieldSelector::builder()
                        .field("eventCategory")
                        .equals("Management")
                        .build()
                        .unwrap(),
                )
                .field_selectors(
                    AdvancedFieldSelector::builder()
                        .field("eventSource")
                        .not_equals("kms.amazonaws.com")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (code, v) = emu.check(&["--control", "cis-4.7"]);
    assert_eq!((code, steps(&v).as_str()), (2, "OOXXXXX"), "{v:#}");
    assert!(v["steps"][2]["detail"]
        .as_str()
        .unwrap()
        .contains("kms.amazonaws.com"));

    let (code, out, writes) = emu.apply(&["--control", "cis-4.4,cis-4.7", SUBSCRIBE]);
    assert_eq!(code, 2, "{out:#}");
    assert_eq!(
        count(&writes, "PutMetricFilter"),
        1,
        "only 4.4's: {writes:?}"
    );
    assert_eq!(count(&writes, "PutMetricAlarm"), 1, "{writes:?}");
    let controls = out["controls"].as_array().unwrap();
    assert_eq!(steps(&controls[0]), "OOOOOOO");
    assert!(controls[1]["blocked"].as_str().unwrap().contains("step 3"));
}
