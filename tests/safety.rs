//! Proven safe: what must hold when the world does not sit still (someone else writes between the
//! plan and the apply, the network fails, the tool is interrupted). Each test runs the real code
//! against the emulator.

mod support;

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
        mode: MatchMode::Strict,
        depth: Depth::Plan,
        topic_arn: None,
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
    let now = seed
        .sns
        .get_topic_attributes()
        .topic_arn(TOPIC)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(now.attributes().unwrap().get("Policy").unwrap()).unwrap();
    assert_eq!(policy, theirs, "their statement is kept");

    // The next plan merges into the current policy, keeping both of theirs.
    let observed = discover(&target, &controls, &opts).await.unwrap();
    let a = audit(&controls[0], &observed, MatchMode::Strict);
    let p = plan(&controls[0], &observed, &a, &Options::default());
    let outcome = trailwatch::apply::apply(&target, &p).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let now = seed
        .sns
        .get_topic_attributes()
        .topic_arn(TOPIC)
        .send()
        .await
        .unwrap();
    let policy: serde_json::Value =
        serde_json::from_str(now.attributes().unwrap().get("Policy").unwrap()).unwrap();
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
