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
    assert_eq!(s.filters.len(), 1, "{s:#?}");
    assert_eq!(s.alarms.len(), 1, "{s:#?}");
    assert_eq!(s.topics.len(), 1, "{s:#?}");
    assert_eq!(s.subscriptions.len(), 1, "{s:#?}");
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

    // What the plan said it would create or update, and nothing else, differs.
    let planned: Vec<(String, String)> = plan["changes"]
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
        .collect();
    let kinds: Vec<&str> = planned.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        kinds,
        ["topic", "subscription", "metric_filter", "alarm"],
        "{plan:#}"
    );
    assert_eq!(after.filters.len(), before.filters.len() + 1);
    assert_eq!(after.alarms.len(), before.alarms.len() + 1);
    assert_eq!(after.topics.len(), before.topics.len() + 1);
    assert_eq!(after.subscriptions.len(), before.subscriptions.len() + 1);
    // Everything that was there is there, unchanged, and the new ones are the plan's.
    assert!(gone(&before.filters, &after.filters).is_empty());
    assert!(gone(&before.alarms, &after.alarms).is_empty());
    assert!(gone(&before.topics, &after.topics).is_empty());
    assert!(gone(&before.subscriptions, &after.subscriptions).is_empty());
    assert_eq!(
        gone(&after.filters, &before.filters)[0].1,
        "IAMPolicyChanges"
    );
    assert_eq!(gone(&after.alarms, &before.alarms)[0].0, "IAMPolicyChanges");
    assert_eq!(gone(&after.topics, &before.topics)[0].0, TOPIC);
}

/// What `from` has that `to` does not.
fn gone<T: PartialEq + Clone>(from: &[T], to: &[T]) -> Vec<T> {
    from.iter().filter(|x| !to.contains(x)).cloned().collect()
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
