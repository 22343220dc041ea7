//! Least privilege, enforced: `check`, `fix --plan` and `fix --apply` run in an emulator that
//! enforces IAM (`INITIAL_NO_AUTH_ACTION_COUNT`), as users holding only `policies/*.json`; and
//! without any one of those actions, the command that needs it fails with one line naming it.
//! Fleet mode: a caller holding `check.json` and `fleet.json` reaches a member account whose
//! `OrganizationAccountAccessRole` holds only `check.json`; without `fleet.json` the member is in
//! error (AssumeRole denied) and the caller's own account is still read; a fleet apply converges
//! in a member whose role holds `check.json` and `apply.json`, and fails on its own line in one
//! whose role holds `check.json` alone. `--org` lists the organization with `org.json` and fails
//! in one line without it.
//!
//! Emulator-only adjustments (tests/support/iam_tool.py): CloudWatch actions are also granted
//! under moto's `monitoring:` name. `sts:GetCallerIdentity` is not removed: AWS answers it
//! whatever the policies say. KMS and `logs:TestMetricFilter` are not exercised here (no
//! encrypted topic, no --verify-with-aws).

use crate::support;

use support::{Emulator, Seed, ACCOUNT, REGION};

const CHECK: &str = "policies/check.json";
const APPLY: &str = "policies/apply.json";
const FLEET: &str = "policies/fleet.json";
const ORG: &str = "policies/org.json";

/// The actions a policy file grants, in order.
fn actions(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for s in doc["Statement"].as_array().unwrap() {
        match &s["Action"] {
            serde_json::Value::String(a) => out.push(a.clone()),
            serde_json::Value::Array(list) => {
                out.extend(list.iter().filter_map(|a| a.as_str().map(str::to_string)))
            }
            _ => {}
        }
    }
    out
}

fn policy_path(p: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

struct Enforced {
    emu: Emulator,
    admin: (String, String),
    users: usize,
}

impl Enforced {
    async fn start() -> Enforced {
        Enforced::start_with_members(&[]).await
    }

    /// Also fleet members: each gets the role `OrganizationAccountAccessRole` holding only the
    /// policy files given with it, and a good trail (`iam_tool.py member`).
    async fn start_with_members(members: &[(&str, &[&str])]) -> Enforced {
        Enforced::start_with_roles(members, None).await
    }

    /// As `start_with_members`, the last member also getting a write role (name, policy paths).
    async fn start_with_roles(
        members: &[(&str, &[&str])],
        write_role: Option<(&str, &[String])>,
    ) -> Enforced {
        // Requests go unchecked until this many were made: the bootstrap's 4, then per member
        // up to the CreateRole and PutRolePolicy no one can be allowed before the role exists
        // (AssumeRole, GetCallerIdentity, CreateRole, PutRolePolicy), and for every member but
        // the last its other 6 requests (bucket, log group, trail, logging, the role's policies).
        let free = match members.len() {
            0 => 4,
            n => 4 + 10 * (n - 1) + 4,
        }
        .to_string();
        let emu = Emulator::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", &free)]);
        let admin = emu.iam_tool(&["bootstrap"]);
        let admin = (admin[0].clone(), admin[1].clone());
        for (m, policies) in members {
            let files: Vec<String> = policies.iter().map(|p| policy_path(p)).collect();
            let mut args = vec!["--admin", &admin.0, &admin.1, "member", m];
            args.extend(files.iter().map(String::as_str));
            if let Some((role, write)) = write_role.filter(|_| m == &members.last().unwrap().0) {
                args.extend(["--write-role", role]);
                for p in write {
                    args.extend(["--write-policy", p]);
                }
            }
            emu.iam_tool(&args);
        }
        let seed = Seed::as_user(&emu, REGION, &admin.0, &admin.1).await;
        seed.good_trail_in_existing_bucket().await;
        Enforced {
            emu,
            admin,
            users: 0,
        }
    }

    /// A user with the given policies, minus `without`.
    fn user(&mut self, policies: &[&str], without: Option<&str>) -> (String, String) {
        self.users += 1;
        let name = format!("tw{}", self.users);
        let mut args = vec![
            "--admin".to_string(),
            self.admin.0.clone(),
            self.admin.1.clone(),
            "user".into(),
            name,
        ];
        if let Some(w) = without {
            args.push("--without".into());
            args.push(w.into());
        }
        args.extend(policies.iter().map(|p| policy_path(p)));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let k = self.emu.iam_tool(&refs);
        (k[0].clone(), k[1].clone())
    }
}

#[tokio::test]
async fn each_command_runs_with_its_policies_and_fails_clearly_without_any_one_action() {
    let mut env = Enforced::start().await;
    // An SQS queue of the account: confirmed at once, on AWS as in the emulator.
    let sub = "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts";

    // With exactly the shipped policies: check and plan read, apply converges.
    let (k, s) = env.user(&[CHECK], None);
    let r = env.emu.run_as(&k, &s, &["--region", REGION, "check"]);
    assert_eq!(r.code, 2, "drift, not an error: {}", r.stderr);
    let r = env
        .emu
        .run_as(&k, &s, &["--region", REGION, "fix", "--plan", sub]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = env.emu.run_as(
        &k,
        &s,
        &["--region", REGION, "fix", "--apply", "--yes", sub],
    );
    assert_eq!(r.code, 1, "check.json alone cannot write: {}", r.stdout);
    assert!(
        r.stderr.contains("sns:CreateTopic") && r.stderr.contains("not authorized"),
        "{}",
        r.stderr
    );

    // check.json + apply.json: apply converges; then a second apply writes nothing.
    let (k, s) = env.user(&[CHECK, APPLY], None);
    env.emu.reset_requests();
    let r = env.emu.run_as(
        &k,
        &s,
        &["--region", REGION, "fix", "--apply", "--yes", sub],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(env.emu.writes().len(), 4, "{:?}", env.emu.writes());
    let r = env.emu.run_as(&k, &s, &["--region", REGION, "check"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // On the now compliant account (every read happens), without any one read action the
    // command fails with one line naming it, and writes nothing.
    for action in actions(CHECK) {
        if matches!(
            action.as_str(),
            "sts:GetCallerIdentity"
                | "logs:TestMetricFilter"
                | "kms:DescribeKey"
                | "kms:GetKeyPolicy"
        ) {
            continue;
        }
        // check reads every one of them (the topic's attributes too: delivery is audited);
        // the tags, which tell whose a resource is, only fix reads.
        let tags = action.ends_with(":ListTagsForResource");
        let command: &[&str] = if tags {
            &["--region", REGION, "fix", "--plan"]
        } else {
            &["--region", REGION, "check"]
        };
        let (k, s) = env.user(&[CHECK, APPLY], Some(&action));
        env.emu.reset_requests();
        let r = env.emu.run_as(&k, &s, command);
        let op = action.split(':').nth(1).unwrap();
        // The account-wide reads are fatal: one line naming the action, exit 1. A trail or a
        // topic that cannot be read is reported on its step instead (exit 2), naming the action.
        let fatal = tags
            || matches!(
                action.as_str(),
                "cloudtrail:DescribeTrails"
                    | "logs:DescribeMetricFilters"
                    | "cloudwatch:DescribeAlarms"
            );
        if fatal {
            assert!(
                r.code == 1 && r.stderr.trim().lines().count() == 1 && r.stderr.contains(op),
                "without {action}: exit {}\n{}\n{}",
                r.code,
                r.stdout,
                r.stderr
            );
        } else {
            assert!(
                r.code == 2 && r.stdout.contains("could not be read") && r.stdout.contains(op),
                "without {action}: exit {}\n{}\n{}",
                r.code,
                r.stdout,
                r.stderr
            );
        }
        assert!(
            env.emu.writes().is_empty(),
            "without {action}: {:?}",
            env.emu.writes()
        );
    }
}

#[tokio::test]
async fn without_any_one_write_action_apply_stops_at_it_with_one_line() {
    for action in actions(APPLY) {
        if action == "sns:SetTopicAttributes" {
            continue; // not needed on a fresh account: CreateTopic's policy already allows it
        }
        if action.ends_with(":TagResource") {
            continue; // needed to adopt (tests/it/ownership.rs): what it creates is tagged at once
        }
        let mut env = Enforced::start().await;
        let (k, s) = env.user(&[CHECK, APPLY], Some(&action));
        env.emu.reset_requests();
        let sub = "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts";
        let r = env.emu.run_as(
            &k,
            &s,
            &["--region", REGION, "fix", "--apply", "--yes", sub],
        );
        assert_eq!(r.code, 1, "without {action}: {}", r.stdout);
        let err: Vec<&str> = r.stderr.trim().lines().collect();
        assert_eq!(err.len(), 1, "{}", r.stderr);
        assert!(err[0].contains(&action), "without {action}: {}", err[0]);
        // What was written before it is listed; nothing after it was sent.
        let order = [
            "CreateTopic",
            "Subscribe",
            "PutMetricFilter",
            "PutMetricAlarm",
        ];
        let op = action.split(':').nth(1).unwrap();
        let at = order.iter().position(|o| *o == op).unwrap();
        let sent: Vec<String> = env.emu.writes();
        assert!(
            sent.iter()
                .all(|w| order[..=at].iter().any(|o| w.ends_with(o))),
            "without {action}: {sent:?}"
        );
        assert!(
            r.stdout.contains(&match at {
                0 => "Applied no write.".to_string(),
                n => format!("Applied {n} write(s)"),
            }),
            "{}",
            r.stdout
        );
    }
}

#[tokio::test]
async fn fleet_mode_needs_fleet_json_for_the_caller_and_check_json_in_each_role() {
    const B: &str = "111111111111";
    const C: &str = "222222222222";
    let mut env = Enforced::start_with_members(&[(B, &[CHECK]), (C, &[CHECK, APPLY])]).await;
    let accounts = format!("{ACCOUNT},{B}");
    // The caller holds check.json and fleet.json (then check.json alone); the member's role
    // holds check.json only.
    let (k, s) = env.user(&[CHECK, FLEET], None);
    let (k1, s1) = env.user(&[CHECK], None);
    let (k2, s2) = env.user(&[CHECK, APPLY, FLEET], None);
    let fleet = |k: &str, s: &str, rest: &[&str]| {
        let mut argv = vec!["--region", REGION, "--accounts", accounts.as_str()];
        argv.extend_from_slice(rest);
        env.emu.run_as(k, s, &argv)
    };
    let status = |stdout: &str| -> Vec<(String, String)> {
        stdout
            .lines()
            .map(support::document)
            .filter(|v| v.get("account").is_some()) // not the summary line
            .map(|v| {
                (
                    v["account"].as_str().unwrap().to_string(),
                    v["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    let r = fleet(&k, &s, &["--output", "json", "check"]);
    assert_eq!(r.code, 2, "drift, no error: {}\n{}", r.stdout, r.stderr);
    assert_eq!(
        status(&r.stdout),
        [
            (ACCOUNT.to_string(), "drift".to_string()),
            (B.to_string(), "drift".to_string())
        ]
    );
    let r = fleet(&k, &s, &["--output", "json", "fix", "--plan"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("\"status\":\"error\""), "{}", r.stdout);

    // Without fleet.json the member cannot be reached, and says so on its own line.
    let r = fleet(&k1, &s1, &["--output", "json", "check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(status(&r.stdout)[1], (B.to_string(), "error".to_string()));
    assert!(
        r.stdout.contains("sts:AssumeRole") && r.stdout.contains("not authorized"),
        "{}",
        r.stdout
    );

    // fix --apply: the caller with check, apply and fleet; C's role with check and apply
    // converges; B's role (check only) fails at its first write, on B alone.
    let sub = "--subscribe=email:secops@example.com";
    let all = format!("{ACCOUNT},{B},{C}");
    let argv = [
        "--region",
        REGION,
        "--accounts",
        &all,
        "--output",
        "json",
        "fix",
        "--apply",
        "--yes",
        sub,
    ];
    let r = env.emu.run_as(&k2, &s2, &argv);
    assert_eq!(r.code, 1, "B is in error\n{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        status(&r.stdout),
        // Everything written; the e-mail receiver has not confirmed yet.
        [
            (ACCOUNT.to_string(), "awaiting confirmation".to_string()),
            (B.to_string(), "error".to_string()),
            (C.to_string(), "awaiting confirmation".to_string())
        ]
    );
    assert!(
        r.stdout.contains("sns:CreateTopic") && r.stdout.contains("not authorized"),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn org_listing_needs_org_json() {
    let mut env = Enforced::start().await;
    let admin = Seed::as_user(&env.emu, REGION, &env.admin.0, &env.admin.1).await;
    aws_sdk_organizations::Client::new(&admin.config)
        .create_organization()
        .send()
        .await
        .unwrap();
    let (k, s) = env.user(&[CHECK, FLEET, ORG], None);
    let (k1, s1) = env.user(&[CHECK, FLEET], None);
    // The management account alone: the caller's own, read without a role.
    let r = env
        .emu
        .run_as(&k, &s, &["--region", REGION, "--org", "check"]);
    assert_eq!(r.code, 2, "drift, no error\n{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("{ACCOUNT}  us-east-1")),
        "{}",
        r.stdout
    );
    let r = env
        .emu
        .run_as(&k1, &s1, &["--region", REGION, "--org", "check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("organizations:ListAccounts") && r.stderr.contains("not authorized"),
        "{}",
        r.stderr
    );
}

/// The README's permission table and the policy files name the same actions, row by row.
#[test]
fn the_readme_permission_table_matches_the_policy_files() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let table = readme
        .split("## IAM permissions")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let files: Vec<&str> = cells[2].split(", ").map(|f| f.trim_matches('`')).collect();
        let listed: Vec<String> = cells[3]
            .split(", ")
            .map(|a| a.trim_matches('`').to_string())
            .collect();
        // The row lists exactly the actions of its last policy file.
        let last = files.last().unwrap();
        let mut want = actions(&format!("policies/{last}"));
        want.sort();
        want.dedup();
        let mut got = listed.clone();
        got.sort();
        assert_eq!(got, want, "README row {line}");
        rows += 1;
    }
    assert_eq!(rows, 7, "{table}");
}

/// Writes are scoped: SNS writes to the shared topic, alarms to the embedded controls' names.
#[test]
fn write_permissions_are_scoped_to_trailwatchs_own_resources() {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(APPLY))
            .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names: Vec<String> = trailwatch::control::Control::all()
        .iter()
        .flat_map(|c| {
            [
                c.alarm.name.clone(),
                trailwatch::ownership::beside(&c.alarm.name),
            ]
            .map(|n| format!("arn:aws:cloudwatch:*:*:alarm:{n}"))
        })
        .collect();
    for s in doc["Statement"].as_array().unwrap() {
        let actions = s["Action"].to_string();
        let resources: Vec<String> = match &s["Resource"] {
            serde_json::Value::String(r) => vec![r.clone()],
            serde_json::Value::Array(l) => {
                l.iter().map(|r| r.as_str().unwrap().to_string()).collect()
            }
            _ => panic!("no resource"),
        };
        assert!(!resources.iter().any(|r| r == "*"), "{actions} on *");
        if actions.contains("sns:") {
            assert_eq!(resources, ["arn:aws:sns:*:*:cis-benchmark-alarms"]);
        }
        if actions.contains("cloudwatch:PutMetricAlarm") {
            assert_eq!(
                resources, names,
                "two ARNs per embedded control's alarm: its name and the name beside it"
            );
        }
    }
    // Every policy file is valid IAM JSON with only Allow statements.
    for f in [
        "check",
        "apply",
        "history",
        "drill",
        "fleet",
        "org",
        "security-hub",
    ] {
        let doc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("policies/{f}.json")),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(doc["Version"], "2012-10-17");
        assert!(doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["Effect"] == "Allow"));
    }
}

#[tokio::test]
async fn fleet_apply_reads_through_the_read_role_and_writes_through_the_write_role() {
    const B: &str = "111111111111";
    let write = [policy_path(CHECK), policy_path(APPLY)];
    // B's OrganizationAccountAccessRole holds check.json only; TrailwatchWrite check and apply.
    let mut env =
        Enforced::start_with_roles(&[(B, &[CHECK])], Some(("TrailwatchWrite", &write))).await;
    let (k, s) = env.user(&[CHECK, FLEET], None);
    let queue = format!("--subscribe=sqs:arn:aws:sqs:us-east-1:{B}:alerts");
    let run = |rest: &[&str]| {
        let mut argv = vec![
            "--region",
            REGION,
            "--accounts",
            B,
            "--session-name",
            "secops-rollout",
            "--source-identity",
            "alice@example.com",
        ];
        argv.extend_from_slice(rest);
        env.emu.run_as(&k, &s, &argv)
    };
    // The write role is refused outside fix --apply: check and plan never hold it.
    for cmd in [&["check"][..], &["fix", "--plan"]] {
        let mut argv = vec!["--apply-role-name", "TrailwatchWrite"];
        argv.extend_from_slice(cmd);
        let r = run(&argv);
        assert_eq!(r.code, 1, "{cmd:?}: {}", r.stderr);
        assert_eq!(
            r.stderr.trim(),
            "trailwatch: invalid --apply-role-name \"TrailwatchWrite\": is the role of fix --apply's writes: check and fix --plan only read, with --role-name"
        );
    }
    // Without a write role the writes go through the read role: denied at the first write.
    let r = run(&["fix", "--apply", "--yes", &queue]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("sns:CreateTopic") && r.stdout.contains("not authorized"),
        "{}",
        r.stdout
    );
    // With it: the reads (check.json) and the writes (apply.json) each get what they need.
    env.emu.reset_requests();
    let r = run(&[
        "--apply-role-name",
        "TrailwatchWrite",
        "fix",
        "--apply",
        "--yes",
        &queue,
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Every role was assumed with the session name and the source identity asked for; the
    // write role only for the writes.
    let assumed: Vec<serde_json::Value> = env
        .emu
        .log()
        .into_iter()
        .filter_map(|e| e.get("assume").cloned())
        .collect();
    let roles: Vec<&str> = assumed
        .iter()
        .map(|a| a["role_arn"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            format!("arn:aws:iam::{B}:role/OrganizationAccountAccessRole"),
            format!("arn:aws:iam::{B}:role/TrailwatchWrite"),
        ]
    );
    for a in &assumed {
        assert_eq!(a["session_name"], "secops-rollout", "{a}");
        assert_eq!(a["source_identity"], "alice@example.com", "{a}");
    }
    let r = run(&["check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[tokio::test]
async fn history_runs_with_its_policy_and_fails_clearly_without_it() {
    const HISTORY: &str = "policies/history.json";
    let mut env = Enforced::start().await;
    let queue = format!("--subscribe=sqs:arn:aws:sqs:{REGION}:{ACCOUNT}:security-alerts");
    let (k, s) = env.user(&[CHECK, APPLY], None);
    let r = env.emu.run_as(
        &k,
        &s,
        &["--region", REGION, "fix", "--apply", "--yes", &queue],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // check --history: check.json + history.json; without it one line naming the action.
    let (k, s) = env.user(&[CHECK, HISTORY], None);
    let r = env
        .emu
        .run_as(&k, &s, &["--region", REGION, "check", "--history"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Authorised: the history is read (no alarm action has run yet: nothing failed).
    assert!(
        r.stdout.contains("alarm history of IAMPolicyChanges") && !r.stdout.contains("could not"),
        "{}",
        r.stdout
    );
    let (k, s) = env.user(&[CHECK], None);
    let r = env
        .emu
        .run_as(&k, &s, &["--region", REGION, "check", "--history"]);
    // The history is reported as unreadable, naming the action; the audit itself stands.
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.words().contains(
            "could not be read: cloudwatch:DescribeAlarmHistory in us-east-1: AccessDenied"
        ),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn an_encrypted_topics_key_is_read_with_check_json_and_missing_reads_are_named() {
    let mut env = Enforced::start().await;
    let sub = "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts";
    let (k, s) = env.user(&[CHECK, APPLY], None);
    let r = env.emu.run_as(
        &k,
        &s,
        &["--region", REGION, "fix", "--apply", "--yes", sub],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // The topic gets encrypted with a customer-managed key whose policy does not grant CloudWatch.
    let admin = Seed::as_user(&env.emu, REGION, &env.admin.0, &env.admin.1).await;
    let key = admin.kms.create_key().send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_string();
    admin
        .sns
        .set_topic_attributes()
        .topic_arn(format!(
            "arn:aws:sns:{REGION}:{ACCOUNT}:cis-benchmark-alarms"
        ))
        .attribute_name("KmsMasterKeyId")
        .attribute_value(&key_id)
        .send()
        .await
        .unwrap();

    // check.json reads the key and its policy: step 6 fails, CloudWatch cannot use the key.
    let (k, s) = env.user(&[CHECK], None);
    let r = env.emu.run_as(&k, &s, &["--region", REGION, "check"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.words()
            .contains("CloudWatch cannot use the key that encrypts it"),
        "{}",
        r.stdout
    );
    // Without either KMS read, the plan names the action it could not make.
    for action in ["kms:DescribeKey", "kms:GetKeyPolicy"] {
        let (k, s) = env.user(&[CHECK], Some(action));
        let r = env
            .emu
            .run_as(&k, &s, &["--region", REGION, "fix", "--plan"]);
        assert_eq!(r.code, 2, "{action}: {}\n{}", r.stdout, r.stderr);
        let op = action.split(':').nth(1).unwrap();
        assert!(
            r.stdout.contains(op) && r.stdout.contains("not authorized"),
            "without {action}: {}",
            r.stdout
        );
    }
}

#[tokio::test]
async fn drill_runs_with_drill_json_and_fails_clearly_without_publish() {
    const DRILL: &str = "policies/drill.json";
    let mut env = Enforced::start().await;
    let arn = env.emu.sqs_as(
        Some((env.admin.0.as_str(), env.admin.1.as_str())),
        "create",
        "security-alerts",
    );
    let queue = format!("--subscribe=sqs:{arn}");
    let (k, s) = env.user(&[CHECK, APPLY], None);
    let r = env.emu.run_as(
        &k,
        &s,
        &["--region", REGION, "fix", "--apply", "--yes", &queue],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // check.json + drill.json publish the test notification to the shared topic.
    let (k, s) = env.user(&[CHECK, DRILL], None);
    let r = env
        .emu
        .run_as(&k, &s, &["--region", REGION, "drill", "--yes"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Result: DELIVERED"), "{}", r.stdout);
    // Without sns:Publish: not delivered, naming the action.
    let (k, s) = env.user(&[CHECK, DRILL], Some("sns:Publish"));
    let r = env
        .emu
        .run_as(&k, &s, &["--region", REGION, "drill", "--yes"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.words().contains("could not publish")
            && r.words()
                .contains("sns:Publish in us-east-1: AuthorizationError"),
        "{}",
        r.stdout
    );
}

/// `guardrails scp` under IAM enforcement: its statements, held as an identity policy (the
/// emulator has no organizations SCPs), deny deleting the control's metric filter to a user
/// otherwise allowed to; without them the same user may. moto authorises against the resource
/// `*` (iam_tool.py), so which resources the policy names is held by the unit tests' evaluator
/// (src/guardrails/scp.rs), not here.
#[tokio::test]
async fn the_guardrail_scp_denies_deleting_the_controls_metric_filter() {
    let mut env = Enforced::start().await;
    let group = "aws-controltower/CloudTrailLogs-q7x2kd";
    let admin = Seed::as_user(&env.emu, REGION, &env.admin.0, &env.admin.1).await;
    admin
        .filter(
            group,
            "IAMPolicyChanges",
            &support::canonical(),
            "IAMPolicyChanges",
            "CISBenchmark",
        )
        .await;
    // The policy, read with check.json alone.
    let (k, s) = env.user(&[CHECK], None);
    let r = env.emu.run_as(
        &k,
        &s,
        &[
            "--region",
            REGION,
            "--output",
            "json",
            "guardrails",
            "scp",
            "--exempt-role",
            "arn:aws:iam::*:role/TrailwatchWrite",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let scp: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let groups = scp["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["Sid"] == "ProtectTheLogGroupAndItsMetricFilters")
        .unwrap();
    assert_eq!(
        groups["Resource"][1],
        format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*")
    );
    let dir = std::env::temp_dir().join(format!("trailwatch-scp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scp_file = dir.join("scp.json");
    std::fs::write(&scp_file, r.stdout.trim()).unwrap();
    let allow = dir.join("allow.json");
    std::fs::write(
        &allow,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["logs:DeleteMetricFilter", "logs:DescribeMetricFilters"], "Resource": "*"}]}"#,
    )
    .unwrap();
    let (allow, scp_file) = (allow.display().to_string(), scp_file.display().to_string());
    let (guarded, open) = (
        env.user(&[&allow, &scp_file], None),
        env.user(&[&allow], None),
    );
    let delete = |key: String, secret: String| {
        let emu = &env.emu;
        async move {
            Seed::as_user(emu, REGION, &key, &secret)
                .await
                .logs
                .delete_metric_filter()
                .log_group_name(group)
                .filter_name("IAMPolicyChanges")
                .send()
                .await
        }
    };
    let err = delete(guarded.0, guarded.1).await.unwrap_err();
    // moto answers an IAM denial of this JSON service in XML: read the raw answer.
    let raw = err.raw_response().expect("an answer");
    let body = std::str::from_utf8(raw.body().bytes().unwrap_or_default()).unwrap_or_default();
    assert_eq!(raw.status().as_u16(), 403, "{body}");
    assert!(
        body.contains("AccessDenied") && body.contains("logs:DeleteMetricFilter"),
        "{body}"
    );
    assert_eq!(
        admin.snapshot().await.count("filter"),
        1,
        "the filter stays"
    );
    delete(open.0, open.1).await.unwrap();
    assert_eq!(admin.snapshot().await.count("filter"), 0);
}
