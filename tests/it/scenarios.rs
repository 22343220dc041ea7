//! End-to-end scenarios: the real binary against the emulator. Each asserts the audit before and
//! after `fix --apply`, and the write requests the emulator actually received.

use crate::support;

use support::{change, reason, steps, Emulator, Seed, REGION};

const LG: &str = "aws-controltower/CloudTrailLogs-q7x2kd";
const SUBSCRIBE: &str = "--subscribe=email:secops@example.com";
/// An SQS queue of the account: confirmed at once, on AWS as in the emulator.
const QUEUE: &str = "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts";

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn good_trail_and_nothing_else_converges_in_one_apply() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOXXXX"));
    assert_eq!(reason(&before, 4), "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT");

    let (code, out, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!(
        writes,
        vec![
            "sns:CreateTopic",
            "sns:Subscribe",
            "logs:PutMetricFilter",
            "monitoring:PutMetricAlarm"
        ],
        "dependency order, and no topic policy write: CreateTopic's default policy suffices"
    );
    // As on AWS, the e-mail subscription waits for its receiver: everything else is done.
    assert_eq!((code, steps(&out).as_str()), (2, "OOOOOOX"), "{out:#}");
    assert!(
        out["steps"][6]["detail"]
            .as_str()
            .unwrap()
            .contains("1 pending confirmation"),
        "{out:#}"
    );
    // Until then a run writes nothing: the receiver is never subscribed again.
    let (code, again, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!((code, writes.len()), (2, 0), "{again:#}");
    let sub = change(&again, "subscription");
    assert_eq!(sub["action"], "blocked");
    assert!(
        sub["reason"]
            .as_str()
            .unwrap()
            .contains("subscribing again would not help"),
        "{sub:#}"
    );

    assert_eq!(emu.confirm("secops@example.com").len(), 1);
    let (code, after) = emu.check(&[]);
    assert_eq!((code, steps(&after).as_str()), (0, "OOOOOOO"));

    // Idempotence: the next apply sends nothing and the plan is empty.
    let (code, again, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!((code, writes.len()), (0, 0), "{again:#}");
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 0);
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "keep"),
        "{plan:#}"
    );
}

#[tokio::test]
async fn an_already_compliant_account_gets_zero_writes() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let (code, before) = emu.check(&[]);
    assert_eq!(
        (code, steps(&before).as_str()),
        (0, "OOOOOOO"),
        "{before:#}"
    );
    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(out["summary"]["keep"], 5);
}

#[tokio::test]
async fn a_wrong_pattern_under_our_name_is_repaired() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    // Replace the filter with the 11-event subset (on AWS a re-put replaces; moto appends, so
    // start from a fresh group for this one).
    seed.logs
        .delete_metric_filter()
        .log_group_name(LG)
        .filter_name("IAMPolicyChanges")
        .send()
        .await
        .unwrap();
    let eleven: Vec<String> = trailwatch::control::Control::embedded().events[..11].to_vec();
    let subset = trailwatch::pattern::canonical_pattern(&eleven);
    seed.filter(
        LG,
        "IAMPolicyChanges",
        &subset,
        "IAMPolicyChanges",
        "CISBenchmark",
    )
    .await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOXXXX"));
    assert_eq!(reason(&before, 4), "CLOUDTRAIL_METRIC_FILTER_NOT_VALID");

    let (_, plan) = emu.plan(&[]);
    let f = change(&plan, "metric_filter");
    assert_eq!(f["action"], "update", "{plan:#}");

    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, vec!["logs:PutMetricFilter"]);
    let (code, after) = emu.check(&[]);
    assert_eq!((code, steps(&after).as_str()), (0, "OOOOOOO"));
    // moto appends on re-put (AWS replaces): the compliant copy is found and kept.
    let (_, _, writes) = emu.apply(&[]);
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn a_compliant_filter_under_another_name_is_reused_not_duplicated() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    seed.filter(
        LG,
        "legacy-iam-policy-changes",
        &support::canonical(),
        "LegacyIAMChanges",
        "Security",
    )
    .await;
    let topic = seed.topic("cis-benchmark-alarms").await;
    seed.subscribe(&topic, "email", "secops@example.com").await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOOXXX"));
    assert_eq!(reason(&before, 5), "CLOUDWATCH_ALARMS_NOT_PRESENT");

    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, vec!["monitoring:PutMetricAlarm"]);
    let filters = seed
        .logs
        .describe_metric_filters()
        .log_group_name(LG)
        .send()
        .await
        .unwrap();
    assert_eq!(filters.metric_filters().len(), 1, "no duplicate filter");
    let alarms = seed
        .cloudwatch
        .describe_alarms_for_metric()
        .metric_name("LegacyIAMChanges")
        .namespace("Security")
        .send()
        .await
        .unwrap();
    assert_eq!(alarms.metric_alarms().len(), 1);
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
}

#[tokio::test]
async fn an_alarm_without_action_is_repaired_keeping_the_users_settings() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, true).await;
    seed.alarm(
        "IAMPolicyChanges",
        "IAMPolicyChanges",
        "CISBenchmark",
        &[],
        Some("owned by secops"),
    )
    .await;
    seed.own_alarm("IAMPolicyChanges", Some("IAMPolicyChanges"))
        .await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOOOXX"));
    assert_eq!(reason(&before, 6), "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID");

    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, vec!["monitoring:PutMetricAlarm"]);
    let a = seed
        .cloudwatch
        .describe_alarms()
        .alarm_names("IAMPolicyChanges")
        .send()
        .await
        .unwrap();
    let a = &a.metric_alarms()[0];
    assert_eq!(a.alarm_description(), Some("owned by secops"));
    assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic));
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
}

#[tokio::test]
async fn an_alarm_in_another_namespace_does_not_count() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, true).await;
    seed.alarm(
        "IAMPolicyChanges",
        "IAMPolicyChanges",
        "LogMetrics",
        &[&topic],
        None,
    )
    .await;
    seed.own_alarm("IAMPolicyChanges", Some("IAMPolicyChanges"))
        .await;

    let (code, before) = emu.check(&[]);
    assert_eq!(
        (code, steps(&before).as_str()),
        (2, "OOOOXXX"),
        "{before:#}"
    );

    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, vec!["monitoring:PutMetricAlarm"]);
    assert!(change(&out, "alarm")["reason"]
        .as_str()
        .unwrap()
        .contains("LogMetrics"));
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
}

#[tokio::test]
async fn a_topic_without_subscriber_needs_the_user_or_subscribe() {
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

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOOOOX"));
    assert_eq!(reason(&before, 7), "SNS_SUBSCRIPTION_NOT_PRESENT");

    // Without --subscribe: nothing invented, step 7 needs the user, exit 2.
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2);
    assert_eq!(change(&plan, "subscription")["action"], "blocked");
    let (code, out, writes) = emu.apply(&[]);
    assert_eq!((code, writes.len()), (2, 0), "{out:#}");
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOX");

    // With --subscribe: one Subscribe; an e-mail subscriber must confirm before step 7 passes.
    let (code, out, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!(code, 2, "{out:#}");
    assert_eq!(writes, vec!["sns:Subscribe"]);
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOX");
    emu.confirm("secops@example.com");
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    // An SQS queue of the account needs no confirmation (as on AWS).
    let (code, out, writes) = emu.apply(&[QUEUE]);
    assert_eq!((code, writes.len()), (0, 0), "{out:#}");
}

#[tokio::test]
async fn a_trail_that_is_not_logging_blocks_apply() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let lg = seed.log_group(LG).await;
    seed.trail(&emu, "paused-trail", true, Some(&lg), false)
        .await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OXXXXXX"));
    assert_eq!(reason(&before, 2), "CLOUDTRAIL_MULTI_REGION_NOT_PRESENT");
    assert!(before["steps"][1]["detail"]
        .as_str()
        .unwrap()
        .contains("paused-trail"));

    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2);
    assert!(
        plan["blocked"].as_str().unwrap().contains("step 2"),
        "{plan:#}"
    );
    let (code, _, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!((code, writes.len()), (2, 0));
    assert_eq!(steps(&emu.check(&[]).1), "OXXXXXX");
}

#[tokio::test]
async fn a_trail_that_is_not_multi_region_blocks_apply() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let lg = seed.log_group(LG).await;
    seed.trail(&emu, "regional-trail", false, Some(&lg), true)
        .await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "XXXXXXX"));
    let detail = before["steps"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("regional-trail") && detail.contains("not multi-region"),
        "{detail}"
    );
    let (code, _, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!((code, writes.len()), (2, 0));
}

#[tokio::test]
async fn advanced_event_selectors_count_and_read_only_ones_do_not() {
    use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let management = AdvancedFieldSelector::builder()
        .field("eventCategory")
        .equals("Management")
        .build()
        .unwrap();
    let put = |fields: Vec<AdvancedFieldSelector>| {
        seed.cloudtrail
            .put_event_selectors()
            .trail_name("org-trail")
            .advanced_event_selectors(
                AdvancedEventSelector::builder()
                    .name("management")
                    .set_field_selectors(Some(fields))
                    .build()
                    .unwrap(),
            )
            .send()
    };
    put(vec![management.clone()]).await.unwrap();
    let (code, v) = emu.check(&[]);
    assert_eq!((code, steps(&v).as_str()), (0, "OOOOOOO"), "{v:#}");
    assert!(v["steps"][2]["detail"]
        .as_str()
        .unwrap()
        .contains("advanced"));

    let read_only = AdvancedFieldSelector::builder()
        .field("readOnly")
        .equals("true")
        .build()
        .unwrap();
    put(vec![management, read_only]).await.unwrap();
    let (code, v) = emu.check(&[]);
    assert_eq!((code, steps(&v).as_str()), (2, "OOXXXXX"), "{v:#}");
}

#[tokio::test]
async fn a_log_group_in_another_region_is_fixed_where_it_lives() {
    let emu = Emulator::start();
    let home = Seed::new(&emu, REGION).await;
    let away = Seed::new(&emu, "eu-west-1").await;
    let lg = away.log_group(LG).await;
    home.trail(&emu, "org-trail", true, Some(&lg), true).await;

    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOXXXX"));
    let queue = "--subscribe=sqs:arn:aws:sqs:eu-west-1:123456789012:secops-alerts";
    let (code, out, writes) = emu.apply(&[queue]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes.len(), 4, "{writes:?}");
    assert_eq!(out["write_region"], "eu-west-1");
    let topics = away.sns.list_topics().send().await.unwrap();
    assert!(topics
        .topics()
        .iter()
        .any(|t| t.topic_arn().unwrap().contains(":eu-west-1:")));
    let filters = away
        .logs
        .describe_metric_filters()
        .log_group_name(LG)
        .send()
        .await
        .unwrap();
    assert_eq!(filters.metric_filters().len(), 1);
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
}

#[tokio::test]
async fn a_log_group_in_another_account_is_reported_and_nothing_changes() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let lg = "arn:aws:logs:us-east-1:999988887777:log-group:org/cloudtrail:*";
    seed.trail(&emu, "org-trail", true, Some(lg), true).await;
    let (code, before) = emu.check(&[]);
    assert_eq!((code, steps(&before).as_str()), (2, "OOOXXXX"));
    assert!(before["steps"][3]["detail"]
        .as_str()
        .unwrap()
        .contains("999988887777"));
    let (code, out, writes) = emu.apply(&[SUBSCRIBE]);
    assert_eq!((code, writes.len()), (2, 0), "{out:#}");
    assert!(out["blocked"].as_str().unwrap().contains("999988887777"));
}

#[tokio::test]
async fn a_narrowed_topic_policy_gets_a_statement_merged_and_keeps_the_rest() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let topic = format!(
        "arn:aws:sns:{REGION}:{}:cis-benchmark-alarms",
        support::ACCOUNT
    );
    let narrowed = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OpsOnly", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:role/ops", support::ACCOUNT)},
        "Action": "SNS:Publish", "Resource": topic}]});
    seed.sns
        .set_topic_attributes()
        .topic_arn(&topic)
        .attribute_name("Policy")
        .attribute_value(narrowed.to_string())
        .send()
        .await
        .unwrap();
    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, vec!["sns:SetTopicAttributes"]);
    let attrs = seed
        .sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(&attrs.attributes().unwrap()["Policy"]).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(sids, vec!["OpsOnly", "TrailwatchAllowCloudWatchAlarms"]);
    let (_, _, writes) = emu.apply(&[]);
    assert!(writes.is_empty());
}

#[tokio::test]
async fn dry_run_prints_the_requests_and_sends_none() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    emu.reset_requests();
    let r = emu.run(&["--region", REGION, "fix", "--apply", "--dry-run", SUBSCRIBE]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for op in [
        "sns:CreateTopic",
        "sns:Subscribe",
        "logs:PutMetricFilter",
        "cloudwatch:PutMetricAlarm",
    ] {
        assert!(r.stdout.contains(op), "{op} missing from:\n{}", r.stdout);
    }
    assert!(emu.writes().is_empty());
}

#[tokio::test]
async fn without_a_terminal_and_without_yes_apply_refuses() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    emu.reset_requests();
    let r = emu.run(&["--region", REGION, "fix", "--apply", SUBSCRIBE]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert!(emu.writes().is_empty());
    assert_eq!(sorted(emu.writes()), Vec::<String>::new());
}

#[tokio::test]
async fn text_plan_shows_diffs_and_the_summary_line() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let r = emu.run(&["--region", REGION, "fix", "--plan"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("+ create metric filter IAMPolicyChanges"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("+++ desired"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "Plan: 3 to create, 0 to update, 1 unchanged; 1 step needs you (subscription"
        ),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("\u{1b}["),
        "no colour when not a terminal"
    );
    support::emulator_snapshot!(r.stdout);
}

#[tokio::test]
async fn among_several_good_trails_the_one_closest_to_compliant_is_audited() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    // b-trail's group has the full chain; a-trail's group (first by name) has nothing.
    seed.compliant(&emu).await;
    let empty = seed.log_group("a-group").await;
    seed.trail(&emu, "a-trail", true, Some(&empty), true).await;
    let (code, v) = emu.check(&[]);
    assert_eq!((code, steps(&v).as_str()), (0, "OOOOOOO"), "{v:#}");
    assert!(v["steps"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("org-trail"));
    let (_, _, writes) = emu.apply(&[]);
    assert!(
        writes.is_empty(),
        "no duplicate filter or alarm on the other group: {writes:?}"
    );
}

#[tokio::test]
async fn on_a_terminal_only_a_typed_yes_applies() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let fix = ["--region", REGION, "fix", "--apply", QUEUE];
    // `y` and Enter declines: nothing is written (and no stray `es` reaches a shell).
    for answer in ["y", "", "no"] {
        emu.reset_requests();
        let (code, shown, prompts) = emu.on_tty(answer, &fix);
        assert_eq!((code, prompts), (2, 1), "{answer:?}: {shown}");
        assert!(
            shown.contains("Only 'yes' will be accepted to approve."),
            "{shown}"
        );
        assert!(
            shown.contains("not confirmed, nothing was written"),
            "{shown}"
        );
        assert!(emu.writes().is_empty(), "{answer:?}: {:?}", emu.writes());
    }
    emu.reset_requests();
    let (code, shown, prompts) = emu.on_tty("yes", &fix);
    assert_eq!((code, prompts), (0, 1), "{shown}");
    assert_eq!(emu.writes().len(), 4, "{:?}", emu.writes());
}

#[tokio::test]
async fn topic_name_chooses_the_shared_topics_name() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let (code, out, writes) = emu.apply(&["--topic-name", "secops-cis", QUEUE]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes.len(), 4, "{writes:?}");
    assert_eq!(
        change(&out, "topic")["name"],
        "arn:aws:sns:us-east-1:123456789012:secops-cis"
    );
    let topics = seed.sns.list_topics().send().await.unwrap();
    let arns: Vec<&str> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(arns, ["arn:aws:sns:us-east-1:123456789012:secops-cis"]);
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    let (code, _, writes) = emu.apply(&["--topic-name", "secops-cis", QUEUE]);
    assert_eq!((code, writes.len()), (0, 0));
}

#[tokio::test]
async fn a_config_file_sets_the_teams_defaults_and_flags_win() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let dir = std::env::temp_dir().join(format!("trailwatch-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trailwatch.toml");
    std::fs::write(
        &file,
        "topic_name = \"team-cis\"\nsubscribe = [\"sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts\"]\n",
    )
    .unwrap();
    let config = file.to_str().unwrap();
    // A flag wins over the file.
    let (_, plan) = emu.plan(&["--config", config, "--topic-name", "other"]);
    assert_eq!(
        change(&plan, "topic")["name"],
        "arn:aws:sns:us-east-1:123456789012:other"
    );
    // The file's topic name and subscriber.
    let (code, out, writes) = emu.apply(&["--config", config]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes.len(), 4, "{writes:?}");
    assert_eq!(
        change(&out, "topic")["name"],
        "arn:aws:sns:us-east-1:123456789012:team-cis"
    );
}
