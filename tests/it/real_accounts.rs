//! Right on real accounts: end-to-end scenarios for what the emulator hid before (moto answers
//! kinder than AWS; tests/support/emulator.py now answers as AWS does for missing log groups and
//! re-put filters), and proof of delivery (`check --history`, `drill`). Paths only AWS can
//! produce (history items, delivery errors) are also tested at the SDK boundary
//! (tests/it/sdk_boundary.rs).

use crate::support;

use support::{change, reason, steps, Emulator, Seed, ACCOUNT, REGION};

const LG: &str = "aws-controltower/CloudTrailLogs-q7x2kd";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms";

#[tokio::test]
async fn a_deleted_log_group_is_drift_blocked_and_nothing_is_written() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    seed.logs
        .delete_log_group()
        .log_group_name(LG)
        .send()
        .await
        .unwrap();

    let (code, before) = emu.check(&[]);
    assert_eq!(
        (code, steps(&before).as_str()),
        (2, "OOOXXXX"),
        "{before:#}"
    );
    assert_eq!(reason(&before, 4), "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT");
    let detail = before["steps"][3]["detail"].as_str().unwrap();
    assert!(
        detail.contains(LG) && detail.contains("does not exist"),
        "{detail}"
    );

    let (code, plan) = emu.plan(&["--subscribe=email:secops@example.com"]);
    assert_eq!(code, 2);
    let why = plan["blocked"].as_str().unwrap_or_default();
    assert!(why.contains("fix the trail or recreate the group"), "{why}");

    let (code, out, writes) = emu.apply(&["--subscribe=email:secops@example.com"]);
    assert_eq!(code, 2, "{out:#}");
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn a_trail_that_cannot_deliver_to_cloudwatch_logs_fails_step_2() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    // moto never reports delivery errors; AWS does, in GetTrailStatus.
    emu.control(
        "/_trailwatch/override",
        r#"{"operation": "GetTrailStatus", "merge": {"LatestCloudWatchLogsDeliveryError": "AccessDeniedException", "LatestCloudWatchLogsDeliveryTime": 1767225600}}"#,
    );
    let (code, v) = emu.check(&[]);
    assert_eq!((code, steps(&v).as_str()), (2, "OXXXXXX"), "{v:#}");
    let detail = v["steps"][1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("cannot deliver to CloudWatch Logs: AccessDeniedException")
            && detail.contains("2026-01-01T00:00:00Z"),
        "{detail}"
    );
    let (code, _, writes) = emu.apply(&[]);
    assert_eq!((code, writes.len()), (2, 0));
}

#[tokio::test]
async fn a_working_alarm_with_another_statistic_is_kept_not_duplicated() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.filter_and_topic(&emu, true).await;
    seed.cloudwatch
        .put_metric_alarm()
        .alarm_name("iam-policy-changes-max")
        .metric_name("IAMPolicyChanges")
        .namespace("CISBenchmark")
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions(TOPIC)
        .send()
        .await
        .unwrap();
    let (code, v) = emu.check(&[]);
    assert_eq!((code, steps(&v).as_str()), (0, "OOOOOOO"), "{v:#}");
    let (code, out, writes) = emu.apply(&[]);
    assert_eq!((code, writes.len()), (0, 0), "{out:#}");
}

#[tokio::test]
async fn a_metric_math_alarm_holding_our_name_is_never_overwritten() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Metric, MetricDataQuery, MetricStat};
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.filter_and_topic(&emu, true).await;
    let m1 = MetricDataQuery::builder()
        .id("m1")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .metric_name("IAMPolicyChanges")
                        .namespace("CISBenchmark")
                        .build(),
                )
                .period(300)
                .stat("Sum")
                .build(),
        )
        .return_data(false)
        .build();
    let e1 = MetricDataQuery::builder()
        .id("e1")
        .expression("RATE(m1)")
        .return_data(true)
        .build();
    seed.cloudwatch
        .put_metric_alarm()
        .alarm_name("IAMPolicyChanges")
        .metrics(m1)
        .metrics(e1)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions(TOPIC)
        .send()
        .await
        .unwrap();

    // trailwatch's own alarm goes beside it, under a name that does not collide.
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2);
    let alarm = change(&plan, "alarm");
    assert_eq!(
        (alarm["action"].as_str(), alarm["name"].as_str()),
        (Some("create"), Some("IAMPolicyChanges-trailwatch")),
        "{plan:#}"
    );
    let why = alarm["reason"].as_str().unwrap();
    assert!(
        why.contains("metric-math alarm IAMPolicyChanges") && why.contains("RATE(m1)"),
        "{why}"
    );
    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, ["monitoring:PutMetricAlarm"]);
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    let out = seed
        .cloudwatch
        .describe_alarms()
        .alarm_names("IAMPolicyChanges")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.metric_alarms()[0].metrics().len(),
        2,
        "still the math alarm"
    );
}

#[tokio::test]
async fn a_topic_arn_in_another_region_is_refused_before_any_write() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    emu.reset_requests();
    let r = emu.run(&[
        "--region",
        REGION,
        "fix",
        "--apply",
        "--yes",
        "--topic-arn",
        "arn:aws:sns:eu-west-1:123456789012:alerts",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("arn:aws:sns:eu-west-1:123456789012:alerts")
            && r.stderr.contains("us-east-1"),
        "{}",
        r.stderr
    );
    assert!(emu.writes().is_empty(), "{:?}", emu.writes());
}

#[tokio::test]
async fn subscribe_adds_a_receiver_to_the_topic_the_working_alarm_notifies() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    seed.filter(
        LG,
        "IAMPolicyChanges",
        &support::canonical(),
        "IAMPolicyChanges",
        "CISBenchmark",
    )
    .await;
    let ops = seed.topic("ops-alerts").await;
    seed.alarm("SecOps", "IAMPolicyChanges", "CISBenchmark", &[&ops], None)
        .await;

    let (code, plan) = emu.plan(&["--subscribe=email:secops@example.com"]);
    assert_eq!(code, 2);
    let sub = change(&plan, "subscription");
    assert_eq!(sub["action"], "create", "{plan:#}");
    assert!(sub["reason"].as_str().unwrap().contains(&ops));

    let (code, out, writes) = emu.apply(&["--subscribe=email:secops@example.com"]);
    assert_eq!(writes, ["sns:Subscribe"], "{out:#}");
    assert_eq!(code, 2, "pending until the receiver confirms: {out:#}");
    let subs = seed
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscriptions().len(), 1);
    assert_eq!(
        subs.subscriptions()[0].subscription_arn(),
        Some("PendingConfirmation")
    );
    emu.confirm("secops@example.com");
    let (code, _) = emu.check(&[]);
    assert_eq!(code, 0);
}

async fn encrypt_shared_topic(seed: &Seed, key: &str) {
    seed.sns
        .set_topic_attributes()
        .topic_arn(TOPIC)
        .attribute_name("KmsMasterKeyId")
        .attribute_value(key)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_kms_key_cloudwatch_cannot_use_needs_the_user_with_the_statement_to_add() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    // A customer-managed key with the default key policy (the account root only), named by alias.
    let key = seed.kms.create_key().send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    seed.kms
        .create_alias()
        .alias_name("alias/alerts")
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    encrypt_shared_topic(&seed, "alias/alerts").await;

    // check tells the same truth as the plan: CloudWatch cannot use the key, so step 6 fails,
    // within 10 calls (the 8 of a compliant check and the key's two reads).
    emu.reset_requests();
    let (code, audit) = emu.check(&[]);
    assert_eq!(
        (code, steps(&audit)),
        (2, "OOOOOXX".to_string()),
        "{audit:#}"
    );
    assert_eq!(reason(&audit, 6), "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID");
    let detail = audit["steps"][5]["detail"].as_str().unwrap();
    assert!(
        detail.contains("CloudWatch cannot use the key that encrypts it"),
        "{detail}"
    );
    let ops: Vec<String> = emu.requests().into_iter().map(|(_, op)| op).collect();
    assert_eq!(ops.len(), 10, "{ops:?}");
    assert!(ops.contains(&"DescribeKey".to_string()) && ops.contains(&"GetKeyPolicy".to_string()));

    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2, "{plan:#}");
    let k = change(&plan, "kms_key");
    assert_eq!(k["action"], "blocked");
    let why = k["reason"].as_str().unwrap();
    assert!(
        why.contains("cloudwatch.amazonaws.com")
            && why.contains("kms:GenerateDataKey*")
            && why.contains("AllowCloudWatchAlarmsToUseTheKey"),
        "{why}"
    );
    assert!(
        k["name"].as_str().unwrap().contains(&key_id),
        "resolved to the key ARN"
    );
    let (code, _, writes) = emu.apply(&[]);
    assert_eq!(
        (code, writes.len()),
        (2, 0),
        "a key policy is never written"
    );

    // Once the key's owner adds the statement, the key is kept.
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
        trailwatch::delivery::kms::statement()]});
    seed.kms
        .put_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 0, "{plan:#}");
    assert_eq!(change(&plan, "kms_key")["action"], "keep");
    let (code, audit) = emu.check(&[]);
    assert_eq!(
        (code, steps(&audit)),
        (0, "OOOOOOO".to_string()),
        "{audit:#}"
    );
}

#[tokio::test]
async fn the_aws_managed_sns_key_is_reported_whatever_it_is_called() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    encrypt_shared_topic(&seed, "arn:aws:kms:us-east-1:123456789012:alias/aws/sns").await;
    let (code, audit) = emu.check(&[]);
    assert_eq!(
        (code, steps(&audit)),
        (2, "OOOOOXX".to_string()),
        "{audit:#}"
    );
    assert!(
        audit["steps"][5]["detail"]
            .as_str()
            .unwrap()
            .contains("AWS-managed key"),
        "{audit:#}"
    );
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2);
    let k = change(&plan, "kms_key");
    assert_eq!(k["action"], "blocked");
    assert!(
        k["reason"].as_str().unwrap().contains("AWS-managed"),
        "{k:#}"
    );
}

#[tokio::test]
async fn drill_delivers_a_labelled_test_notification_to_an_sqs_subscriber() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, false).await;
    let queue = emu.sqs("create", "security-alerts");
    seed.subscribe(&topic, "sqs", &queue).await;
    seed.alarm(
        "IAMPolicyChanges",
        "IAMPolicyChanges",
        "CISBenchmark",
        &[&topic],
        None,
    )
    .await;

    // No terminal and no --yes: refused, nothing published.
    emu.reset_requests();
    let r = emu.run(&["--region", REGION, "drill"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(!emu.requests().iter().any(|(_, op)| op == "Publish"));

    let r = emu.run(&["--region", REGION, "--output", "json", "drill", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["delivered"], true);
    assert_eq!(v["alarm"], "IAMPolicyChanges");
    assert!(v["topics"][0]["message_id"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(v["topics"][0]["subscribers"][0], format!("sqs:{queue}"));

    let got: serde_json::Value =
        serde_json::from_str(&emu.sqs("receive", "security-alerts")).unwrap();
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0]["Subject"].as_str().unwrap().contains("TEST"),
        "{got:?}"
    );
    assert!(got[0]["Message"]
        .as_str()
        .unwrap()
        .contains("TEST NOTIFICATION"));

    // --alarm: SetAlarmState runs the alarm's action (the emulator publishes the alarm's
    // notification to its topic, as AWS does) and the action shows in the alarm's history.
    emu.reset_requests();
    let r = emu.run(&[
        "--region", REGION, "--output", "json", "drill", "--yes", "--alarm", "--wait", "10",
    ]);
    let v = r.json();
    assert_eq!(r.code, 0, "{}\n{v:#}", r.stderr);
    assert_eq!(v["alarm_drill"]["state_set"], true, "{v:#}");
    assert_eq!(v["alarm_drill"]["confirmed"], true, "{v:#}");
    assert!(v["alarm_drill"]["error"].is_null(), "{v:#}");
    assert!(emu.requests().iter().any(|(_, op)| op == "SetAlarmState"));
    let got: serde_json::Value =
        serde_json::from_str(&emu.sqs("receive", "security-alerts")).unwrap();
    assert!(
        got.as_array().unwrap().iter().any(|m| m["Subject"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ALARM: \"IAMPolicyChanges\"")),
        "the alarm's own notification reached the queue: {got:#}"
    );
    // check --history reads that action back: nothing failed.
    let (code, h) = emu.check(&["--history"]);
    assert_eq!(code, 0, "{h:#}");
    assert!(h["history"]["error"].is_null(), "{h:#}");
    assert_eq!(h["history"]["actions"], 1, "{h:#}");
    assert_eq!(h["history"]["failures"], serde_json::json!([]), "{h:#}");
    assert_eq!(h["history"]["latest_failed"], false, "{h:#}");
}

#[tokio::test]
async fn drill_without_a_confirmed_subscriber_is_not_delivered() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, false).await;
    seed.alarm(
        "IAMPolicyChanges",
        "IAMPolicyChanges",
        "CISBenchmark",
        &[&topic],
        None,
    )
    .await;
    let r = emu.run(&["--region", REGION, "drill", "--yes"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("no confirmed subscriber") && r.stdout.contains("NOT DELIVERED"),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn check_history_says_when_the_backend_cannot_answer_and_the_audit_stands() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "DescribeAlarmHistory", "status": 400, "code": "InvalidNextToken", "message": "injected"}"#,
    );
    let (code, v) = emu.check(&["--history"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(steps(&v), "OOOOOOO");
    assert!(
        v["history"]["error"]
            .as_str()
            .unwrap()
            .contains("DescribeAlarmHistory"),
        "{v:#}"
    );
    let r = emu.run(&["--region", REGION, "check", "--history"]);
    assert!(
        r.words().contains("could not be read")
            && r.words().contains("the rest of the audit stands"),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn apply_json_stays_one_object_when_the_re_read_fails() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    // The plan's reads pass; the re-read after the writes fails.
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "DescribeTrails", "skip": 1, "status": 500, "code": "InternalFailure", "message": "injected"}"#,
    );
    let (code, v, writes) = emu.apply(&["--subscribe=email:secops@example.com"]);
    assert_eq!(code, 1);
    assert_eq!(writes.len(), 4, "{writes:?}");
    let e = v["error"].as_str().unwrap();
    assert!(
        e.contains("re-reading") && e.contains("DescribeTrails"),
        "{e}"
    );
    assert_eq!(v["applied"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_passing_run_is_quiet_and_errors_are_one_readable_line() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let r = emu.run(&["--region", REGION, "check"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.is_empty(), "quiet by default: {:?}", r.stderr);
    assert!(!r.stdout.contains('\u{1b}'), "no colour off a terminal");

    // An unreachable endpoint and missing credentials: one line each, no Debug dump.
    let r = emu
        .trailwatch()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args(["--region", REGION, "check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("sts:GetCallerIdentity in us-east-1: cannot reach the endpoint"),
        "{err}"
    );
    assert!(err.len() < 200 && !err.contains("DispatchFailure"), "{err}");
    let r = emu
        .trailwatch()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["--region", REGION, "check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(!err.contains("WARN"), "{err}");
    // -v keeps the whole chain.
    let r = emu
        .trailwatch()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args(["-v", "--region", REGION, "check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("caused by:") && err.contains("Connection refused"),
        "{err}"
    );
}

/// `check` judges delivery as `fix --plan` does: a topic policy that denies CloudWatch fails step
/// 6 in both; a compliant account costs `check` 8 calls, the topic's attributes included.
#[tokio::test]
async fn check_and_plan_agree_on_a_topic_policy_that_blocks_cloudwatch() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    emu.reset_requests();
    let (code, audit) = emu.check(&[]);
    assert_eq!(
        (code, steps(&audit)),
        (0, "OOOOOOO".to_string()),
        "{audit:#}"
    );
    let ops: Vec<String> = emu.requests().into_iter().map(|(_, op)| op).collect();
    assert_eq!(
        ops,
        [
            "GetCallerIdentity",
            "DescribeTrails",
            "GetTrailStatus",
            "GetEventSelectors",
            "DescribeMetricFilters",
            "DescribeAlarms",
            "GetTopicAttributes",
            "ListSubscriptionsByTopic"
        ]
    );

    let deny = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Default", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish",
         "Resource": TOPIC, "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}},
        {"Sid": "NoServices", "Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "SNS:Publish", "Resource": TOPIC}]});
    seed.sns
        .set_topic_attributes()
        .topic_arn(TOPIC)
        .attribute_name("Policy")
        .attribute_value(deny.to_string())
        .send()
        .await
        .unwrap();
    let (code, audit) = emu.check(&[]);
    assert_eq!(
        (code, steps(&audit)),
        (2, "OOOOOXX".to_string()),
        "{audit:#}"
    );
    assert_eq!(reason(&audit, 6), "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID");
    let detail = audit["steps"][5]["detail"].as_str().unwrap();
    assert!(
        detail.contains("its policy blocks CloudWatch") && detail.contains("NoServices"),
        "{detail}"
    );
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2, "{plan:#}");
    let p = change(&plan, "topic_policy");
    assert_eq!(p["action"], "blocked", "{p:#}");
    assert!(
        p["reason"].as_str().unwrap().contains("NoServices"),
        "{p:#}"
    );
}

/// The region a `--topic-arn` is compared with is the log group's (where the alarm goes), not
/// `--region`: with the trail's log group in eu-west-1, a topic in us-east-1 is refused and one
/// in eu-west-1 is taken.
#[tokio::test]
async fn topic_arn_is_compared_with_the_log_groups_region_not_the_command_lines() {
    let emu = Emulator::start();
    let home = Seed::new(&emu, REGION).await;
    let away = Seed::new(&emu, "eu-west-1").await;
    let lg = away.log_group(LG).await;
    home.trail(&emu, "org-trail", true, Some(&lg), true).await;
    emu.reset_requests();
    let r = emu.run(&[
        "--region",
        REGION,
        "fix",
        "--apply",
        "--yes",
        "--topic-arn",
        "arn:aws:sns:us-east-1:123456789012:alerts",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("the alarm goes to eu-west-1"),
        "{}",
        r.stderr
    );
    assert!(emu.writes().is_empty(), "{:?}", emu.writes());
    let (code, plan) = emu.plan(&["--topic-arn", "arn:aws:sns:eu-west-1:123456789012:alerts"]);
    assert_eq!(code, 2, "{plan:#}");
    assert_eq!(plan["write_region"], "eu-west-1");
}

/// Trails are never created: an account with only a log group (no trail) gets no write at all.
#[tokio::test]
async fn a_missing_trail_is_never_created() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.log_group(LG).await;
    emu.reset_requests();
    let (code, out, writes) = emu.apply(&["--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:q"]);
    assert_eq!(code, 2, "{out:#}");
    assert!(writes.is_empty(), "{writes:?}");
    let trails = seed.cloudtrail.describe_trails().send().await.unwrap();
    assert!(trails.trail_list().is_empty());
}
