//! Proven safe: what must hold when the world does not sit still (someone else writes between the
//! plan and the apply, the network fails, the tool is interrupted). Each test runs the real code
//! against the emulator.

use crate::support;

use support::{Emulator, Seed, ACCOUNT, REGION};
use trailwatch::audit::{audit, MatchMode};
use trailwatch::control::Control;
use trailwatch::discover::{discover, Depth, DiscoverOptions};
use trailwatch::plan::{plan, Options, WriteRequest};
use trailwatch::target::Target;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms";

/// The topic-policy merge is a read-modify-write: a statement someone adds between the plan and
/// the apply is never lost; the apply refuses to write and says why.
#[tokio::test]
async fn a_topic_policy_changed_since_the_plan_is_not_overwritten() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    // A narrowed policy: only a role may publish, so CloudWatch needs a statement merged in.
    let narrowed = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "OpsOnly",
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/ops")},
        "Action": "SNS:Publish", "Resource": TOPIC}]});
    let set = |policy: serde_json::Value| {
        let sns = seed.sns.clone();
        async move {
            sns.set_topic_attributes()
                .topic_arn(TOPIC)
                .attribute_name("Policy")
                .attribute_value(policy.to_string())
                .send()
                .await
                .unwrap();
        }
    };
    set(narrowed.clone()).await;

    let target = Target::from_config(emu.config(REGION).await, REGION);
    let controls = vec![Control::embedded()];
    let opts = DiscoverOptions {
        depth: Depth::Plan,
        topic_arn: None,
        expect_account: None,
    };
    let observed = discover(&target, &controls, &opts).await.unwrap();
    let a = audit(&controls[0], &observed, MatchMode::Strict);
    let p = plan(&controls[0], &observed, &a, &Options::default());
    assert!(
        p.writes()
            .any(|w| matches!(w, WriteRequest::SetTopicPolicy { .. })),
        "{p:#?}"
    );

    // Meanwhile someone adds a statement.
    let mut theirs = narrowed.clone();
    theirs["Statement"].as_array_mut().unwrap().push(
        serde_json::json!({"Sid": "AuditTeam", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/audit")},
            "Action": "SNS:Publish", "Resource": TOPIC}),
    );
    set(theirs.clone()).await;

    emu.reset_requests();
    let outcome = trailwatch::apply::apply(&target, &p).await;
    let err = outcome.error.expect("refused").to_string();
    assert!(err.contains("changed since the plan"), "{err}");
    assert!(emu.writes().is_empty(), "{:?}", emu.writes());
    let policy = topic_policy(&seed).await;
    assert_eq!(policy, theirs, "their statement is kept");

    // The next plan merges into the current policy, keeping both of theirs.
    let observed = discover(&target, &controls, &opts).await.unwrap();
    let a = audit(&controls[0], &observed, MatchMode::Strict);
    let p = plan(&controls[0], &observed, &a, &Options::default());
    let outcome = trailwatch::apply::apply(&target, &p).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let policy = topic_policy(&seed).await;
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        ["OpsOnly", "AuditTeam", "TrailwatchAllowCloudWatchAlarms"]
    );
}

/// An SQS queue of the account: confirmed at once, on AWS as in the emulator.
const SUBSCRIBE: &str = "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts";

/// After a fix of CIS 4.4 on an account with only a good trail: one of each, no duplicates.
async fn one_of_each(seed: &Seed) {
    let s = seed.snapshot().await;
    for kind in ["filter", "alarm", "topic", "subscription"] {
        assert_eq!(s.count(kind), 1, "{kind}: {s:#?}");
    }
}

fn apply_args() -> Vec<&'static str> {
    vec!["--region", REGION, "fix", "--apply", "--yes", SUBSCRIBE]
}

/// 30% of requests answered with throttling, 500 or 503 (seeded): the SDK's retries (standard
/// mode, 4 attempts) absorb most; a run that still fails is run again, and the account converges
/// with nothing duplicated.
#[tokio::test]
async fn thirty_percent_faults_converge_with_no_duplicates() {
    for seed_n in [3, 11, 42] {
        let emu = Emulator::start();
        let seed = Seed::new(&emu, REGION).await;
        seed.good_trail(&emu).await;
        emu.control(
            "/_trailwatch/chaos",
            &format!(r#"{{"rate": 0.3, "seed": {seed_n}, "kinds": ["throttle", "500", "503"]}}"#),
        );
        let mut runs = 0;
        loop {
            runs += 1;
            let r = emu.run(&apply_args());
            if r.code == 0 {
                break;
            }
            assert_eq!(r.code, 1, "seed {seed_n}: {}\n{}", r.stdout, r.stderr);
            assert!(
                runs < 6,
                "seed {seed_n}: did not converge in 5 runs: {}",
                r.stderr
            );
        }
        let faulted = emu
            .log()
            .iter()
            .filter(|e| e.get("fault").is_some())
            .count();
        assert!(faulted > 0, "seed {seed_n}: faults were injected");
        emu.control("/_trailwatch/chaos/reset", "{}");
        one_of_each(&seed).await;
        let (code, _) = emu.check(&[]);
        assert_eq!(code, 0, "seed {seed_n}");
    }
}

/// Every request failing: the run gives up within the documented bound (30 s per call, in
/// practice about 2 s of backoff), in one line, and nothing reaches the emulator's state.
#[tokio::test]
async fn all_requests_failing_gives_up_in_bounded_time_with_nothing_written() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let before = seed.snapshot().await;
    emu.reset_requests();
    emu.control(
        "/_trailwatch/chaos",
        r#"{"rate": 1.0, "seed": 1, "kinds": ["throttle", "500", "503"]}"#,
    );
    let started = std::time::Instant::now();
    let r = emu.run(&apply_args());
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(took < std::time::Duration::from_secs(30), "took {took:?}");
    assert!(
        emu.writes_reached().is_empty(),
        "{:?}",
        emu.writes_reached()
    );
    let attempts = emu.log().len();
    assert_eq!(
        attempts, 4,
        "one call, 4 attempts (the documented retry policy)"
    );
    emu.control("/_trailwatch/chaos/reset", "{}");
    assert_eq!(seed.snapshot().await, before);
}

/// Start `fix --apply` and hold the `op` write in the emulator; returns the running process once
/// that write is on its way.
fn start_apply_held_at(emu: &Emulator, op: &str) -> std::process::Child {
    emu.control(
        "/_trailwatch/stall",
        &format!(r#"{{"operation": "{op}", "seconds": 60}}"#),
    );
    let child = emu
        .trailwatch()
        .args(apply_args())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !emu
        .log()
        .iter()
        .any(|e| e["operation"] == op && e["stalled"] == true)
    {
        assert!(std::time::Instant::now() < deadline, "{op} never sent");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

/// Wait until every held request has reached the emulator's state.
fn release(emu: &Emulator) {
    emu.control("/_trailwatch/stall/reset", "{}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while emu.log().iter().any(|e| e["ms"].is_null()) {
        assert!(
            std::time::Instant::now() < deadline,
            "held requests never finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SIGKILL after each write in turn (the write itself still lands): the next apply converges,
/// with nothing duplicated, and a third writes nothing.
#[tokio::test]
async fn a_killed_apply_converges_on_the_next_run_without_duplicates() {
    for op in [
        "CreateTopic",
        "Subscribe",
        "PutMetricFilter",
        "PutMetricAlarm",
    ] {
        let emu = Emulator::start();
        let seed = Seed::new(&emu, REGION).await;
        seed.good_trail(&emu).await;
        let mut child = start_apply_held_at(&emu, op);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        release(&emu);
        let r = emu.run(&apply_args());
        assert_eq!(
            r.code, 0,
            "after a kill at {op}: {}\n{}",
            r.stdout, r.stderr
        );
        one_of_each(&seed).await;
        emu.reset_requests();
        let r = emu.run(&apply_args());
        assert_eq!((r.code, emu.writes().len()), (0, 0), "after a kill at {op}");
    }
}

/// SIGINT while a write is in flight: that write finishes, no other starts, and the run says
/// what was written and what was not.
#[tokio::test]
async fn an_interrupted_apply_stops_after_the_request_in_flight_and_says_what_is_left() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    emu.reset_requests();
    let child = start_apply_held_at(&emu, "Subscribe");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(std::time::Duration::from_millis(200));
    release(&emu);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("Applied 2 write(s)"), "{stdout}");
    assert!(
        stderr.contains("interrupted")
            && stderr.contains("logs:PutMetricFilter")
            && stderr.contains("cloudwatch:PutMetricAlarm"),
        "{stderr}"
    );
    let writes = emu.writes();
    assert_eq!(writes, ["sns:CreateTopic", "sns:Subscribe"], "{writes:?}");
    // The next apply finishes the job.
    let r = emu.run(&apply_args());
    assert_eq!(r.code, 0, "{}", r.stderr);
    one_of_each(&seed).await;
}

/// Whole-state snapshots before and after an apply on an account full of other people's
/// resources (a narrower filter, an alarm without actions, a topic with its own policy and
/// subscriber): exactly what the plan listed changed, and nothing else.
#[tokio::test]
async fn an_apply_changes_exactly_what_its_plan_listed() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let lg = seed.good_trail(&emu).await;
    let lg_name = lg
        .trim_end_matches(":*")
        .rsplit_once(":log-group:")
        .unwrap()
        .1
        .to_string();
    let eleven: Vec<String> = Control::embedded().events[..11].to_vec();
    seed.filter(
        &lg_name,
        "vendor-iam-filter",
        &trailwatch::pattern::canonical_pattern(&eleven),
        "VendorIam",
        "Vendor",
    )
    .await;
    seed.alarm("vendor-iam-alarm", "VendorIam", "Vendor", &[], None)
        .await;
    let ops = seed.topic("ops-alerts").await;
    seed.subscribe(&ops, "email", "ops@example.com").await;
    let before = seed.snapshot().await;

    let (code, plan) = emu.plan(&[SUBSCRIBE]);
    assert_eq!(code, 2);
    let (code, _, _) = emu.apply(&[SUBSCRIBE]);
    assert_eq!(code, 0);
    let after = seed.snapshot().await;
    let kinds: Vec<String> = planned_writes(&plan)
        .iter()
        .map(|(r, _)| r.clone())
        .collect();
    assert_eq!(
        kinds,
        ["topic", "subscription", "metric_filter", "alarm"],
        "{plan:#}"
    );
    // Exactly the resources the plan listed changed, and every field of everything else is as
    // it was (the vendor's filter and alarm, the ops topic and its subscriber).
    assert_eq!(after.changed_since(&before), keys_of(&plan, &lg_name));
}

/// The same whole-state comparison for repairs: trailwatch's own filter (a narrower pattern) and
/// alarm (breaching on missing data, with a custom period, OK action and description) are
/// updated in place, and nothing else changes: not the alarm's other fields, not the others'.
#[tokio::test]
async fn a_repair_changes_exactly_what_its_plan_listed() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let lg_name = "aws-controltower/CloudTrailLogs-q7x2kd";
    seed.logs
        .delete_metric_filter()
        .log_group_name(lg_name)
        .filter_name("IAMPolicyChanges")
        .send()
        .await
        .unwrap();
    let eleven: Vec<String> = Control::embedded().events[..11].to_vec();
    seed.filter(
        lg_name,
        "IAMPolicyChanges",
        &trailwatch::pattern::canonical_pattern(&eleven),
        "IAMPolicyChanges",
        "CISBenchmark",
    )
    .await;
    {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
        seed.cloudwatch
            .put_metric_alarm()
            .alarm_name("IAMPolicyChanges")
            .alarm_description("paged to the SOC")
            .metric_name("IAMPolicyChanges")
            .namespace("CISBenchmark")
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(3)
            .datapoints_to_alarm(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .treat_missing_data("breaching")
            .alarm_actions(TOPIC)
            .ok_actions(TOPIC)
            .send()
            .await
            .unwrap();
    }
    seed.alarm("vendor-iam-alarm", "VendorIam", "Vendor", &[], None)
        .await;
    let before = seed.snapshot().await;

    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2);
    let kinds: Vec<String> = planned_writes(&plan)
        .iter()
        .map(|(r, _)| r.clone())
        .collect();
    assert_eq!(kinds, ["metric_filter", "alarm"], "{plan:#}");
    let (code, out, _) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    let after = seed.snapshot().await;
    assert_eq!(after.changed_since(&before), keys_of(&plan, lg_name));
    // The alarm: only TreatMissingData differs.
    let (was, now) = (
        &before.entries["alarm:IAMPolicyChanges"],
        &after.entries["alarm:IAMPolicyChanges"],
    );
    assert_eq!(
        now.replace("treat_missing_data: Some(\"notBreaching\")", "TMD"),
        was.replace("treat_missing_data: Some(\"breaching\")", "TMD"),
        "only TreatMissingData changes"
    );
}

/// The (resource, name) of every create and update in a plan.
fn planned_writes(plan: &serde_json::Value) -> Vec<(String, String)> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "create" || c["action"] == "update")
        .map(|c| {
            (
                c["resource"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The snapshot keys of the resources a plan writes.
fn keys_of(plan: &serde_json::Value, lg_name: &str) -> Vec<String> {
    let mut keys: Vec<String> = planned_writes(plan)
        .into_iter()
        .map(|(resource, name)| match resource.as_str() {
            "topic" | "topic_policy" | "topic_tags" => format!("topic:{name}"),
            "metric_filter" => format!("filter:{lg_name}:{name}"),
            "alarm" | "alarm_tags" => format!("alarm:{name}"),
            "subscription" => {
                // `PROTOCOL:ENDPOINT on TOPIC`
                let (ep, topic) = name.split_once(" on ").unwrap();
                let (protocol, endpoint) = ep.split_once(':').unwrap();
                format!("subscription:{topic}:{protocol}:{endpoint}")
            }
            other => panic!("unknown resource {other}"),
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The shared topic's policy as it is now.
async fn topic_policy(seed: &Seed) -> serde_json::Value {
    let now = seed
        .sns
        .get_topic_attributes()
        .topic_arn(TOPIC)
        .send()
        .await
        .unwrap();
    serde_json::from_str(now.attributes().unwrap().get("Policy").unwrap()).unwrap()
}

/// Lost answers: the write lands, then the caller gets a 500. Whether the SDK's retry resends it
/// (one lost answer) or the run fails and is run again (every attempt lost), nothing is
/// duplicated: one topic, one subscription, one filter, one alarm, and the account converges.
#[tokio::test]
async fn a_write_whose_answer_is_lost_is_never_duplicated() {
    for op in [
        "CreateTopic",
        "Subscribe",
        "PutMetricFilter",
        "PutMetricAlarm",
    ] {
        for times in [1, 4] {
            let emu = Emulator::start();
            let seed = Seed::new(&emu, REGION).await;
            seed.good_trail(&emu).await;
            emu.control(
                "/_trailwatch/faults",
                &format!(
                    r#"{{"operation": "{op}", "status": 500, "code": "InternalFailure", "message": "lost", "lost": true, "times": {times}}}"#
                ),
            );
            let r = emu.run(&apply_args());
            let lost = emu
                .log()
                .iter()
                .filter(|e| e["fault"] == "lost" && e["reached"] == true)
                .count();
            assert_eq!(lost, times, "{op} x{times}: the write landed each time");
            if times == 1 {
                // The retry resent the write that had landed.
                assert_eq!(r.code, 0, "{op} x1: {}\n{}", r.stdout, r.stderr);
            } else {
                // Every attempt lost: the run fails naming the call; the next run converges.
                assert_eq!(r.code, 1, "{op} x4: {}\n{}", r.stdout, r.stderr);
                assert!(r.stderr.contains(op), "{op}: {}", r.stderr);
                let r = emu.run(&apply_args());
                assert_eq!(r.code, 0, "{op} again: {}\n{}", r.stdout, r.stderr);
            }
            one_of_each(&seed).await;
            let (code, _) = emu.check(&[]);
            assert_eq!(code, 0, "{op} x{times}");
        }
    }
}

/// The policy statement and the adopted tags, lost the same way: merged once, tagged once.
#[tokio::test]
async fn a_lost_policy_write_or_tag_write_is_not_repeated_on_the_next_run() {
    for op in ["SetTopicAttributes", "TagResource"] {
        let emu = Emulator::start();
        let seed = Seed::new(&emu, REGION).await;
        seed.compliant(&emu).await;
        // Someone else's narrowed policy on an untagged shared topic: --adopt merges and tags.
        let untag = seed
            .sns
            .untag_resource()
            .resource_arn(TOPIC)
            .tag_keys(trailwatch::ownership::MANAGED);
        untag.send().await.unwrap();
        let narrowed = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "OwnerOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "SNS:Publish", "Resource": TOPIC}]});
        seed.sns
            .set_topic_attributes()
            .topic_arn(TOPIC)
            .attribute_name("Policy")
            .attribute_value(narrowed.to_string())
            .send()
            .await
            .unwrap();
        emu.control(
            "/_trailwatch/faults",
            &format!(
                r#"{{"operation": "{op}", "status": 500, "code": "InternalFailure", "message": "lost", "lost": true, "times": 4}}"#
            ),
        );
        let adopt = ["--region", REGION, "fix", "--apply", "--yes", "--adopt"];
        let r = emu.run(&adopt);
        assert_eq!(r.code, 1, "{op}: {}\n{}", r.stdout, r.stderr);
        emu.reset_requests();
        let r = emu.run(&adopt);
        assert_eq!(r.code, 0, "{op} again: {}\n{}", r.stdout, r.stderr);
        let policy = topic_policy(&seed).await;
        let sids: Vec<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(
            sids,
            ["OwnerOnly", "TrailwatchAllowCloudWatchAlarms"],
            "{op}: merged once"
        );
        let tags = seed
            .sns
            .list_tags_for_resource()
            .resource_arn(TOPIC)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tags().len(), 1, "{op}: tagged once: {:?}", tags.tags());
        let (code, _) = emu.check(&[]);
        assert_eq!(code, 0, "{op}");
    }
}

/// `--expect-account`: credentials of another account stop the run right after the caller
/// identity, in one line, with nothing else read and nothing written.
#[tokio::test]
async fn expect_account_refuses_credentials_of_another_account() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    emu.reset_requests();
    let r = emu.run(&[
        "--region",
        REGION,
        "--expect-account",
        "999999999999",
        "fix",
        "--apply",
        "--yes",
        SUBSCRIBE,
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.stderr.trim(),
        "trailwatch: refused: the credentials for account 999999999999 belong to account 123456789012: nothing else was read and nothing written"
    );
    let ops: Vec<String> = emu.requests().into_iter().map(|(_, op)| op).collect();
    assert_eq!(ops, ["GetCallerIdentity"]);
    let (code, _, writes) = emu.apply(&["--expect-account", ACCOUNT, SUBSCRIBE]);
    assert_eq!((code, writes.len()), (0, 4));
}
