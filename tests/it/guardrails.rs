//! `guardrails scp` against the emulator: the policy names what the audits rest on, in one
//! account and across a fleet, and says when a target is the management account.

use crate::support;

use support::{Emulator, Seed, ACCOUNT, REGION};

#[tokio::test]
async fn the_policy_protects_what_the_audits_rest_on_and_names_the_management_account() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.compliant(&emu).await;
    // Outside an organization: it cannot tell which account is the management account.
    let r = emu.run(&["--region", REGION, "guardrails", "scp"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.words()
            .contains("no --exempt-role: trailwatch's own writes are denied too"),
        "{}",
        r.stdout
    );
    assert!(
        r.words()
            .contains("which account that is could not be read"),
        "{}",
        r.stdout
    );
    let json = emu.run(&["--region", REGION, "--output", "json", "guardrails", "scp"]);
    let policy: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let resources = |sid: &str| -> Vec<String> {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("{sid}: {policy:#}"))["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        resources("ProtectTheTrail"),
        [format!(
            "arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-trail"
        )]
    );
    assert_eq!(
        resources("ProtectTheAlarms"),
        [format!(
            "arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:IAMPolicyChanges"
        )]
    );
    assert_eq!(
        resources("ProtectTheTopic"),
        [format!(
            "arn:aws:sns:{REGION}:{ACCOUNT}:cis-benchmark-alarms"
        )]
    );
    assert!(json.stdout.len() <= 5_120);
    // In an organization whose management account is this one: said.
    let org = aws_sdk_organizations::Client::new(&emu.config(REGION).await);
    org.create_organization().send().await.unwrap();
    let r = emu.run(&["--region", REGION, "guardrails", "scp"]);
    assert!(
        r.words().contains(&format!(
            "account {ACCOUNT} is the organization's management account: SCPs do not apply there"
        )),
        "{}",
        r.stdout
    );
    // A member account: not the management account.
    const B: &str = "111111111111";
    Seed::in_account(&emu, REGION, B)
        .await
        .compliant(&emu)
        .await;
    let r = emu.run(&["--region", REGION, "--accounts", B, "guardrails", "scp"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.words()
            .contains(&format!("no target is the management account ({ACCOUNT})")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "arn:aws:cloudwatch:{REGION}:{B}:alarm:IAMPolicyChanges"
        )),
        "{}",
        r.stdout
    );
}
