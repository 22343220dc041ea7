//! Ownership by tag, end to end in the emulator: a resource that holds a control's name but not
//! trailwatch's tag is never changed without `--adopt`; with it, the repair and the tag are
//! written together; trailwatch's own resources go beside foreign ones.

use crate::support;

use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricAlarm, Statistic};
use support::{change, steps, Emulator, Seed, ACCOUNT, REGION};

const ALARM: &str = "IAMPolicyChanges";
const BESIDE: &str = "IAMPolicyChanges-trailwatch";

/// AWS Security Hub remediation style: an untagged alarm with the control's name, on the
/// control's metric, notifying the shared topic, but with settings of its own and
/// `TreatMissingData=breaching` (so it never notifies twice).
async fn foreign_alarm(seed: &Seed, topic: &str) {
    seed.cloudwatch
        .put_metric_alarm()
        .alarm_name(ALARM)
        .alarm_description("created by ASR")
        .metric_name("IAMPolicyChanges")
        .namespace("CISBenchmark")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(3)
        .datapoints_to_alarm(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("breaching")
        .alarm_actions(topic)
        .ok_actions(topic)
        .send()
        .await
        .unwrap();
}

async fn alarm(seed: &Seed, name: &str) -> Option<MetricAlarm> {
    let out = seed
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .unwrap();
    out.metric_alarms().first().cloned()
}

async fn tags(seed: &Seed, name: &str) -> Vec<(String, String)> {
    let arn = format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}");
    let out = seed
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let mut t: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    t.sort();
    t
}

/// What a repair must keep: the alarm's configuration (state fields left out).
fn config(a: &MetricAlarm) -> String {
    let mut a = a.clone();
    a.state_value = None;
    a.state_reason = None;
    a.state_reason_data = None;
    a.state_updated_timestamp = None;
    a.state_transitioned_timestamp = None;
    a.alarm_configuration_updated_timestamp = None;
    format!("{a:?}")
}

#[tokio::test]
async fn a_foreign_alarm_holding_the_name_is_left_as_it_was_and_ours_goes_beside_it() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, true).await;
    foreign_alarm(&seed, &topic).await;
    let before = alarm(&seed, ALARM).await.unwrap();

    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 2);
    let a = change(&plan, "alarm");
    assert_eq!(
        (a["action"].as_str(), a["name"].as_str()),
        (Some("create"), Some(BESIDE))
    );
    let why = a["reason"].as_str().unwrap();
    assert!(
        why.contains("alarm IAMPolicyChanges (treats missing data as breaching")
            && why.contains("not created by trailwatch: left unchanged (pass --adopt"),
        "{why}"
    );

    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, ["monitoring:PutMetricAlarm"]);
    let after = alarm(&seed, ALARM).await.unwrap();
    assert_eq!(
        config(&after),
        config(&before),
        "the foreign alarm is untouched"
    );
    assert!(tags(&seed, ALARM).await.is_empty());
    // The compliant filter it watches was seeded untagged by hand: reused, not recorded.
    assert_eq!(
        tags(&seed, BESIDE).await,
        [
            ("trailwatch:control".to_string(), "cis-4.4".to_string()),
            ("trailwatch:managed".to_string(), "true".to_string()),
        ]
    );
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    // Converged: the next run writes nothing, and still leaves the foreign alarm alone.
    let (code, _, writes) = emu.apply(&[]);
    assert_eq!((code, writes.len()), (0, 0), "{writes:?}");
}

#[tokio::test]
async fn adopt_repairs_the_foreign_alarm_keeping_its_settings_and_tags_it() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, true).await;
    foreign_alarm(&seed, &topic).await;
    let before = alarm(&seed, ALARM).await.unwrap();

    let (code, plan) = emu.plan(&["--adopt"]);
    assert_eq!(code, 2);
    let a = change(&plan, "alarm");
    assert_eq!(
        (a["action"].as_str(), a["name"].as_str()),
        (Some("update"), Some(ALARM))
    );
    let t = change(&plan, "alarm_tags");
    assert_eq!(t["desired"]["trailwatch:managed"], "true", "{t:#}");

    let (code, out, writes) = emu.apply(&["--adopt"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        writes,
        ["monitoring:PutMetricAlarm", "monitoring:TagResource"]
    );
    // Only TreatMissingData changed: period, window, datapoints, OK action, description stay.
    let after = alarm(&seed, ALARM).await.unwrap();
    let mut expected = before.clone();
    expected.treat_missing_data = Some("notBreaching".into());
    assert_eq!(config(&after), config(&expected));
    assert!(alarm(&seed, BESIDE).await.is_none(), "no second alarm");
    let t = tags(&seed, ALARM).await;
    assert!(
        t.contains(&("trailwatch:managed".into(), "true".into())),
        "{t:?}"
    );
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    // Now trailwatch's: a run without --adopt writes nothing.
    let (code, _, writes) = emu.apply(&[]);
    assert_eq!((code, writes.len()), (0, 0), "{writes:?}");
}

#[tokio::test]
async fn a_foreign_shared_topic_gets_no_policy_statement_without_adopt() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    // Someone else's topic of the shared name: a subscriber, and a policy that lets no
    // CloudWatch alarm publish.
    let topic = seed.topic("cis-benchmark-alarms").await;
    seed.subscribe(&topic, "email", "secops@example.com").await;
    let narrowed = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OwnerOnly", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
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
    assert_eq!(code, 2, "{out:#}");
    let p = change(&out, "topic_policy");
    assert_eq!(p["action"], "blocked");
    assert!(
        p["reason"].as_str().unwrap().contains("pass --adopt"),
        "{p:#}"
    );
    assert!(
        !writes.iter().any(|w| w.starts_with("sns:")),
        "nothing written to the foreign topic: {writes:?}"
    );

    let (code, out, writes) = emu.apply(&["--adopt"]);
    assert_eq!(code, 0, "{out:#}");
    let sns: Vec<&String> = writes.iter().filter(|w| w.starts_with("sns:")).collect();
    assert_eq!(sns, ["sns:TagResource", "sns:SetTopicAttributes"]);
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    let (code, _, writes) = emu.apply(&[]);
    assert_eq!((code, writes.len()), (0, 0), "{writes:?}");
}

#[tokio::test]
async fn fix_reads_the_tags_of_what_holds_a_controls_name_only_and_check_reads_none() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    // Other people's alarm on the same metric, and their topic it notifies.
    let ops = seed.topic("ops-alerts").await;
    seed.alarm(
        "vendor-iam-alarm",
        "IAMPolicyChanges",
        "CISBenchmark",
        &[&ops],
        None,
    )
    .await;
    let tag_reads = |emu: &Emulator| -> Vec<String> {
        emu.requests()
            .into_iter()
            .filter(|(_, op)| op == "ListTagsForResource")
            .map(|(svc, _)| svc)
            .collect()
    };
    emu.reset_requests();
    let (code, _) = emu.plan(&[]);
    assert_eq!(code, 0);
    // The plan's own reads (Emulator::plan also runs check, which reads none).
    assert_eq!(tag_reads(&emu), ["monitoring", "sns"]);
    emu.reset_requests();
    let (code, _) = emu.check(&[]);
    assert_eq!(code, 0);
    assert!(tag_reads(&emu).is_empty());
}
