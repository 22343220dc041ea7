//! Runbooks: a plan saved to a file (`fix --plan --out FILE`), approved, and applied exactly
//! (`fix --apply FILE`); refused, with nothing written, when the file is not a plan, was edited,
//! is for another account, or the account changed since. Every JSON document carries its format
//! version.

use crate::support;

use serde_json::Value;
use support::{canonical, Emulator, Seed, ACCOUNT, REGION};

const SUBSCRIBE: &str = "--subscribe=email:secops@example.com";

/// Member accounts of the fleet tests, reached through their OrganizationAccountAccessRole.
const B: &str = "111111111111";
const D: &str = "333333333333";

/// B and D with a good trail, the control's filter and the shared topic (subscribed): each
/// plan creates the alarm alone.
async fn two_members_without_their_alarm(emu: &Emulator) {
    for account in [B, D] {
        Seed::in_account(emu, REGION, account)
            .await
            .filter_and_topic(emu, true)
            .await;
    }
}

/// A fresh directory for plan files.
fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("trailwatch-runbooks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `fix --plan --out FILE` plus `extra`: the run and the file as JSON.
fn save(emu: &Emulator, file: &str, extra: &[&str]) -> (support::Run, Value) {
    let mut args = vec!["--region", REGION, "fix", "--plan", "--out", file];
    args.extend_from_slice(extra);
    let r = emu.run(&args);
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("no plan file ({e}):\n{}\n{}", r.stdout, r.stderr));
    (r, support::document(&text))
}

/// The operations the emulator saw since the last reset, split into (reads, writes).
fn calls(emu: &Emulator) -> (Vec<String>, Vec<String>) {
    emu.requests()
        .into_iter()
        .map(|(_, op)| op)
        .partition(|op| support::is_read(op))
}

/// A plan file's checksum as the README gives it: SHA-256 of its JSON without `checksum`,
/// every object's keys sorted, no spaces.
fn checksum(file: &Value) -> String {
    use sha2::{Digest, Sha256};
    let mut body = file.clone();
    body.as_object_mut().unwrap().remove("checksum");
    body.sort_all_objects();
    let digest = Sha256::digest(body.to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[tokio::test]
async fn a_saved_plan_is_applied_exactly_without_a_question_and_converges() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let d = dir("exact");
    let file = d.join("plan.json");
    let file = file.to_str().unwrap();
    let (r, saved) = save(&emu, file, &[SUBSCRIBE]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!("trailwatch fix --apply {file}")),
        "{}",
        r.stderr
    );
    // The file: what it is, who made it, for which account, trail and log group, the writes.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the plan file may name subscribers: the owner's alone"
        );
    }
    assert_eq!(saved["kind"], "trailwatch-plan");
    assert_eq!(saved["format_version"], "1.0");
    assert_eq!(saved["tool"]["name"], "trailwatch");
    assert_eq!(saved["checksum"], checksum(&saved));
    let target = &saved["targets"][0];
    assert_eq!(target["account"], ACCOUNT);
    assert_eq!(target["region"], REGION);
    assert!(
        target["trail"].as_str().unwrap().contains(":trail/"),
        "{target:#}"
    );
    assert!(
        target["log_group"]
            .as_str()
            .unwrap()
            .contains(":log-group:"),
        "{target:#}"
    );
    let kinds: Vec<&str> = target["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["operation"].as_str().unwrap_or_else(|| panic!("{w:#}")))
        .collect();
    assert_eq!(
        kinds,
        [
            "sns:CreateTopic",
            "sns:Subscribe",
            "logs:PutMetricFilter",
            "cloudwatch:PutMetricAlarm"
        ]
    );
    let fingerprints = target["fingerprints"].as_object().unwrap();
    assert!(
        fingerprints
            .keys()
            .any(|k| k.starts_with("trail arn:aws:cloudtrail:")),
        "{fingerprints:#?}"
    );
    // Applied: no question (no terminal here, and no --yes), the planned writes and no others.
    emu.reset_requests();
    let r = emu.run(&["fix", "--apply", file]);
    assert_eq!(
        r.code, 2,
        "still awaiting the e-mail's confirmation:\n{}\n{}",
        r.stdout, r.stderr
    );
    let (reads, writes) = calls(&emu);
    assert_eq!(
        writes,
        [
            "CreateTopic",
            "Subscribe",
            "PutMetricFilter",
            "PutMetricAlarm"
        ],
        "{}",
        r.stderr
    );
    emu.confirm("secops@example.com");
    let (code, plan) = emu.plan(&[]);
    assert_eq!(code, 0, "{plan:#}");
    // It reads no more than `fix --apply --yes` does on the same account.
    let other = Emulator::start();
    Seed::new(&other, REGION).await.good_trail(&other).await;
    other.reset_requests();
    let r = other.run(&["--region", REGION, "fix", "--apply", "--yes", SUBSCRIBE]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let (reads_today, _) = calls(&other);
    assert_eq!(reads.len(), reads_today.len(), "{reads:?}\n{reads_today:?}");
}

#[tokio::test]
async fn a_stale_plan_is_refused_naming_what_changed_and_nothing_is_written() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, true).await;
    let d = dir("stale");
    let file = d.join("plan.json");
    let file = file.to_str().unwrap();
    let (r, _) = save(&emu, file, &[]);
    assert_eq!(r.code, 2, "the alarm is missing: {}", r.stdout);
    // Someone repoints the filter between the plan and the apply.
    seed.filter(
        "aws-controltower/CloudTrailLogs-q7x2kd",
        "IAMPolicyChanges",
        &canonical(),
        "SomethingElse",
        "CISBenchmark",
    )
    .await;
    let before = seed.snapshot().await;
    emu.reset_requests();
    let r = emu.run(&["fix", "--apply", file, "--yes"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.stderr.trim(),
        format!("trailwatch: refused: the plan file {file} is stale: filter IAMPolicyChanges changed since the plan was made; nothing was written: make a new plan")
    );
    assert!(calls(&emu).1.is_empty(), "{:?}", calls(&emu).1);
    assert_eq!(seed.snapshot().await, before);
    // A new plan, applied at once, goes through.
    let (r, _) = save(&emu, file, &[]);
    assert_eq!(r.code, 2);
    let r = emu.run(&["fix", "--apply", file]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let after = seed.snapshot().await;
    assert_eq!(
        after.changed_since(&before),
        ["alarm:IAMPolicyChanges"],
        "{topic}"
    );
}

#[tokio::test]
async fn a_plan_file_that_is_not_right_is_refused_in_one_line_and_nothing_is_written() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let d = dir("bad");
    let good = d.join("plan.json");
    let good = good.to_str().unwrap();
    let (_, saved) = save(&emu, good, &[SUBSCRIBE]);
    let write = |name: &str, text: &str| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let edited = |f: &dyn Fn(&mut Value)| {
        let mut v = saved.clone();
        f(&mut v);
        v.to_string()
    };
    let missing = d.join("nope.json").to_str().unwrap().to_string();
    let empty = write("empty.json", "");
    let not_json = write("not.json", "{\"kind\": \"trailwatch-plan\",\n  oops");
    let not_plan = write("report.json", "{\"account\": \"123456789012\"}");
    let future = write(
        "future.json",
        &edited(&|v| v["format_version"] = "2.0".into()),
    );
    let tampered = write(
        "tampered.json",
        &edited(&|v| v["targets"][0]["requests"][3]["threshold"] = 100.0.into()),
    );
    // Edited with care: the checksum made again, but the writes are not what the recorded
    // state and options give.
    let careful = write(
        "careful.json",
        &edited(&|v| {
            let alarm = v["targets"][0]["requests"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|w| w["operation"] == "cloudwatch:PutMetricAlarm")
                .unwrap();
            alarm["alarm_actions"] = serde_json::json!([]);
            v["checksum"] = checksum(v).into();
        }),
    );
    let cases: [(&str, &str); 7] = [
        (&missing, "cannot read it"),
        (&empty, "it is empty"),
        (&not_json, "not JSON (line 2, column 3)"),
        (&not_plan, "not a trailwatch plan"),
        (&future, "its format_version is \"2.0\""),
        (&tampered, "changed after it was written"),
        (
            &careful,
            "its write requests are not what its recorded state and options give",
        ),
    ];
    let before = seed.snapshot().await;
    for (path, why) in cases {
        emu.reset_requests();
        let r = emu.run(&["fix", "--apply", path]);
        assert_eq!(r.code, 1, "{path}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{path}: {}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("trailwatch: invalid plan file \"{path}\": ")),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(why), "{path}: {}", r.stderr);
        assert!(calls(&emu).1.is_empty(), "{path}: {:?}", calls(&emu).1);
    }
    // Plan options beside a plan file are refused when they differ from it.
    for (args, flag) in [
        (vec!["--control", "cis-4.1"], "--control"),
        (vec!["--all-controls"], "--all-controls"),
        (
            vec!["--subscribe", "email:other@example.com"],
            "--subscribe",
        ),
        (vec!["--adopt"], "--adopt"),
        (vec!["--match", "meaning"], "--match"),
        (vec!["--region", "eu-west-1"], "--region"),
        (vec!["--accounts", "111111111111"], "--accounts"),
    ] {
        let mut all = vec!["fix", "--apply", good];
        all.extend(args);
        let r = emu.run(&all);
        assert_eq!(r.code, 1, "{all:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("\"{flag}\"")),
            "{all:?}: {}",
            r.stderr
        );
    }
    // The same options the plan was made with are fine: they are the plan's.
    assert_eq!(seed.snapshot().await, before);
    let r = emu.run(&["--match", "strict", "fix", "--apply", good, SUBSCRIBE]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(seed.snapshot().await.count("alarm"), 1);
}

#[tokio::test]
async fn a_plan_made_for_one_account_is_refused_by_credentials_for_another() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let d = dir("account");
    let file = d.join("plan.json");
    let file = file.to_str().unwrap();
    save(&emu, file, &[SUBSCRIBE]);
    // Credentials for 222222222222 (a role assumed there).
    let sts = aws_sdk_sts::Client::new(&emu.config(REGION).await);
    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole")
        .role_session_name("other")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    emu.reset_requests();
    let r = emu
        .trailwatch()
        .args(["fix", "--apply", file])
        .env("AWS_ACCESS_KEY_ID", c.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key())
        .env("AWS_SESSION_TOKEN", c.session_token())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!("trailwatch: refused: the plan file {file} was made for account {ACCOUNT}, these credentials reach account 222222222222: nothing was written")
    );
    let (reads, writes) = calls(&emu);
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(reads, ["GetCallerIdentity"]);
}

#[tokio::test]
async fn every_json_document_carries_its_format_version_and_the_tool() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let (_, check) = emu.check(&[]);
    let (_, plan) = emu.plan(&[]);
    let (_, applied, _) = emu.apply(&[]);
    let controls = emu.run(&["--output", "json", "controls"]).json();
    let fleet: Vec<Value> = emu
        .run(&[
            "--output",
            "json",
            "--accounts",
            ACCOUNT,
            "--region",
            REGION,
            "check",
        ])
        .stdout
        .lines()
        .map(support::document)
        .collect();
    assert_eq!(fleet.len(), 2, "a target line and the summary");
    for doc in [&check, &plan, &applied, &controls, &fleet[0], &fleet[1]] {
        assert_eq!(doc["format_version"], "1.0", "{doc:#}");
        assert_eq!(doc["tool"]["name"], "trailwatch", "{doc:#}");
        assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"), "{doc:#}");
    }
    // Plain JSON names the filters that bear on the control and counts the others; -v all.
    seed.filter(
        "aws-controltower/CloudTrailLogs-q7x2kd",
        "Unrelated",
        "{ $.eventName = CreateBucket }",
        "Unrelated",
        "Other",
    )
    .await;
    let (_, lean) = emu.check(&[]);
    let names = |v: &Value| -> Vec<String> {
        v["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&lean), ["IAMPolicyChanges"]);
    assert_eq!(lean["other_filters"], 1);
    let (_, full) = emu.check(&["-v"]);
    assert_eq!(names(&full), ["IAMPolicyChanges", "Unrelated"]);
    assert_eq!(full["other_filters"], 0);
}

/// What another hand writes while trailwatch waits: the control's filter pointed elsewhere.
fn repoint(account: Option<&str>) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    if let Some(a) = account {
        words.extend(["--account".to_string(), a.to_string()]);
    }
    words.extend(
        [
            "put-filter",
            "aws-controltower/CloudTrailLogs-q7x2kd",
            "IAMPolicyChanges",
            "{ $.eventName = DeleteGroupPolicy }",
            "SomethingElse",
        ]
        .map(str::to_string),
    );
    words
}

#[tokio::test]
async fn an_account_changed_while_the_question_waited_is_not_written() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.filter_and_topic(&emu, true).await;
    let change = repoint(None);
    let change: Vec<&str> = change.iter().map(String::as_str).collect();
    emu.reset_requests();
    let (code, shown, prompts) = emu.on_tty_after(
        "yes",
        Some(&change),
        &["--region", REGION, "fix", "--apply"],
    );
    assert_eq!((code, prompts), (1, 1), "{shown}");
    assert!(
        shown.contains("refused: the account changed while the question waited: filter IAMPolicyChanges changed; nothing was written"),
        "{shown}"
    );
    // The only write is the other hand's.
    assert_eq!(calls(&emu).1, ["PutMetricFilter"]);
    // The audit the question was about was shown before it, as fix --plan shows it.
    assert!(shown.contains("Audit cis-4.4 in account"), "{shown}");
}

#[tokio::test]
async fn a_fleet_target_changed_since_the_plan_is_skipped_as_stale_and_the_rest_go_on() {
    let emu = Emulator::start();
    two_members_without_their_alarm(&emu).await;
    let change = repoint(Some(B));
    let change: Vec<&str> = change.iter().map(String::as_str).collect();
    let accounts = format!("{B},{D}");
    let (code, shown, prompts) = emu.on_tty_after(
        "yes",
        Some(&change),
        &[
            "--region",
            REGION,
            "--accounts",
            &accounts,
            "--output",
            "json",
            "fix",
            "--apply",
            "--batch-size",
            "1",
        ],
    );
    assert_eq!(
        (code, prompts),
        (1, 1),
        "a stale target is an error: exit 1\n{shown}"
    );
    // On the terminal a JSON line may follow the progress bar's last frame.
    let lines: Vec<Value> = shown
        .lines()
        .filter_map(|l| l.find("{\"").map(|i| &l[i..]))
        .filter(|l| l.trim_start().starts_with('{'))
        .map(support::document)
        .filter(|v| v["account"].is_string() || v["summary"].is_object())
        .collect();
    let of = |a: &str| {
        lines
            .iter()
            .rev()
            .find(|v| v["account"] == a)
            .unwrap_or_else(|| panic!("{a}: {shown}"))
    };
    // B, in the first batch, changed while the question waited: skipped, nothing written there.
    assert_eq!(of(B)["status"], "error", "{shown}");
    assert!(
        of(B)["detail"]
            .as_str()
            .unwrap()
            .starts_with("stale: filter IAMPolicyChanges changed since the plan was made; nothing was written to this target"),
        "{}",
        of(B)["detail"]
    );
    assert_eq!(of(B)["applied"], serde_json::json!([]));
    // D, in the second batch, is applied all the same.
    assert_eq!(of(D)["status"], "compliant", "{shown}");
    assert_eq!(
        of(D)["applied"].as_array().unwrap().len(),
        1,
        "the alarm: {}",
        of(D)["applied"]
    );
    let b = Seed::in_account(&emu, REGION, B).await.snapshot().await;
    assert_eq!(b.count("alarm"), 0);
}

#[test]
fn a_document_its_schema_does_not_describe_fails_the_test() {
    let ok = r#"{"format_version":"1.0","tool":{"name":"trailwatch","version":"0.1.0"},
        "controls":[{"id":"cis-4.4","cis":["4.4"],"security_hub":"CloudWatch.4","title":"IAM"}]}"#;
    assert_eq!(support::document(ok)["controls"][0]["id"], "cis-4.4");
    for bad in [
        ok.replace(r#""cis":["4.4"]"#, r#""cis":"4.4""#),
        ok.replace(r#""tool":{"name":"trailwatch","version":"0.1.0"},"#, ""),
    ] {
        let caught = std::panic::catch_unwind(|| support::document(&bad));
        assert!(caught.is_err(), "accepted: {bad}");
    }
    // A report whose step is not a step.
    let report = r#"{"format_version":"1.0","tool":{"name":"trailwatch","version":"0.1.0"},
        "account":"1","region":"r","control":"cis-4.4","compliant":true,"steps":[{"step":"one"}],
        "filters":[],"other_filters":0}"#;
    assert!(std::panic::catch_unwind(|| support::document(report)).is_err());
}

/// `--output asff|ocsf` of `--all-controls check` plus `extra`: the exit code and the findings.
fn findings(emu: &Emulator, format: &str, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["--region", REGION, "--all-controls", "--output", format];
    args.extend_from_slice(extra);
    args.push("check");
    let r = emu.run(&args);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}:\n{}\n{}", r.stdout, r.stderr));
    (r.code, v.as_array().unwrap().clone())
}

#[tokio::test]
async fn findings_go_out_as_asff_security_hub_takes_and_a_reimport_updates_them_in_place() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let (code, drifted) = findings(&emu, "asff", &[]);
    assert_eq!(code, 2);
    assert_eq!(drifted.len(), 15, "one per control");
    let ids: std::collections::BTreeSet<&str> =
        drifted.iter().map(|f| f["Id"].as_str().unwrap()).collect();
    assert_eq!(
        ids.len(),
        15,
        "a stable, distinct id per account, region and control"
    );
    let f44 = drifted
        .iter()
        .find(|f| f["Id"] == format!("trailwatch/{ACCOUNT}/{REGION}/cis-4.4"))
        .unwrap();
    assert_eq!(f44["SchemaVersion"], "2018-10-08");
    assert_eq!(
        f44["ProductArn"],
        format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default")
    );
    assert_eq!(f44["GeneratorId"], "trailwatch/cis-4.4");
    assert_eq!(f44["AwsAccountId"], ACCOUNT);
    assert_eq!(f44["Compliance"]["Status"], "FAILED");
    assert_eq!(f44["Compliance"]["SecurityControlId"], "CloudWatch.4");
    assert_eq!(
        f44["Compliance"]["StatusReasons"][0]["ReasonCode"],
        "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT"
    );
    let requirements = f44["Compliance"]["RelatedRequirements"].to_string();
    assert!(
        requirements.contains("CIS AWS Foundations Benchmark 4.4"),
        "{requirements}"
    );
    let kinds: Vec<&str> = f44["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["AwsAccount", "AwsCloudTrailTrail", "AwsLogsLogGroup"]
    );
    // CIS 4.15 has no Security Hub control.
    let f415 = drifted
        .iter()
        .find(|f| f["GeneratorId"] == "trailwatch/cis-4.15")
        .unwrap();
    assert!(
        f415["Compliance"].get("SecurityControlId").is_none(),
        "{f415:#}"
    );
    for f in &drifted {
        assert!(f["Title"].as_str().unwrap().chars().count() <= 256);
        assert!(f["Description"].as_str().unwrap().chars().count() <= 1024);
    }
    // Security Hub takes them as they are (botocore checks each against the service model).
    emu.tool("securityhub_tool.py", &["enable"]);
    let d = dir("asff");
    let file = d.join("findings.json");
    std::fs::write(&file, serde_json::to_string(&drifted).unwrap()).unwrap();
    let file = file.to_str().unwrap();
    assert_eq!(
        emu.tool("securityhub_tool.py", &["import", file]),
        ["15", "0", "1"]
    );
    // Fixed, then imported again: the same 15 findings, now PASSED, none duplicated.
    let r = emu.run(&[
        "--region",
        REGION,
        "--all-controls",
        "fix",
        "--apply",
        "--yes",
        "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let (code, fixed) = findings(&emu, "asff", &[]);
    assert_eq!(code, 0);
    let f44 = fixed
        .iter()
        .find(|f| f["GeneratorId"] == "trailwatch/cis-4.4")
        .unwrap();
    assert_eq!(f44["Compliance"]["Status"], "PASSED");
    assert_eq!(f44["Severity"]["Label"], "INFORMATIONAL");
    let kinds: Vec<&str> = f44["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "AwsAccount",
            "AwsCloudTrailTrail",
            "AwsLogsLogGroup",
            "AwsCloudWatchAlarm",
            "AwsSnsTopic"
        ]
    );
    std::fs::write(file, serde_json::to_string(&fixed).unwrap()).unwrap();
    assert_eq!(
        emu.tool("securityhub_tool.py", &["import", file]),
        ["15", "0", "1"]
    );
    let held = emu.tool("securityhub_tool.py", &["list"]);
    assert_eq!(held.len(), 15, "{held:?}");
    assert!(held.iter().all(|h| h.ends_with("=PASSED/-")), "{held:?}");
    // OCSF: Compliance Findings, pass.
    let (code, ocsf) = findings(&emu, "ocsf", &[]);
    assert_eq!(code, 0);
    assert_eq!(ocsf.len(), 15);
    let o = ocsf
        .iter()
        .find(|f| f["finding_info"]["uid"] == format!("trailwatch/{ACCOUNT}/{REGION}/cis-4.4"))
        .unwrap();
    assert_eq!(o["class_uid"], 2003);
    assert_eq!(o["compliance"]["status_id"], 1);
    assert_eq!(o["compliance"]["control"], "CloudWatch.4");
    assert_eq!(o["cloud"]["account"]["uid"], ACCOUNT);
    // Findings come from check only.
    let r = emu.run(&["--output", "asff", "fix", "--plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("invalid --output \"asff\""),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_fleet_check_gives_one_array_of_findings_for_every_account() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.compliant(&emu).await;
    Seed::in_account(&emu, REGION, B)
        .await
        .good_trail(&emu)
        .await;
    let accounts = format!("{ACCOUNT},{B}");
    let mut args = vec![
        "--region",
        REGION,
        "--output",
        "asff",
        "--accounts",
        &accounts,
        "check",
    ];
    let r = emu.run(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let all: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    let got: Vec<(String, String)> = all
        .iter()
        .map(|f| {
            (
                f["AwsAccountId"].as_str().unwrap().to_string(),
                f["Compliance"]["Status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (ACCOUNT.to_string(), "PASSED".to_string()),
            (B.to_string(), "FAILED".to_string())
        ]
    );
    assert_eq!(
        all[1]["ProductArn"],
        format!("arn:aws:securityhub:{REGION}:{B}:product/{B}/default")
    );
    args[3] = "ocsf";
    let r = emu.run(&args);
    let all: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["compliance"]["status_id"], 3);
}

#[tokio::test]
async fn quiet_prints_only_the_final_line() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.compliant(&emu).await;
    let r = emu.run(&["--region", REGION, "--quiet", "check"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "Result: COMPLIANT (7 of 7 steps ok)\n")
    );
    let r = emu.run(&["--region", REGION, "-q", "--all-controls", "fix", "--plan"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(
        r.stdout.starts_with("Total for 15 controls: "),
        "{}",
        r.stdout
    );
    // Fleet JSON: the summary line alone.
    let r = emu.run(&[
        "--region",
        REGION,
        "-q",
        "--output",
        "json",
        "--accounts",
        ACCOUNT,
        "check",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert_eq!(support::document(&r.stdout)["summary"]["compliant"], 1);
    let r = emu.run(&["-q", "-v", "check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // A whole document is printed whole.
    let r = emu.run(&["--region", REGION, "-q", "--output", "asff", "check"]);
    let all: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(all.len(), 1, "{}", r.stdout);
}

/// An EventBridge "Security Hub Findings - Imported" event naming `controls` failed in
/// `account`, as Security Hub's consolidated control findings carry them.
fn event(account: &str, controls: &[&str]) -> String {
    let findings: Vec<Value> = controls
        .iter()
        .map(|c| {
            serde_json::json!({
                "SchemaVersion": "2018-10-08",
                "Id": format!("arn:aws:securityhub:{REGION}:{account}:security-control/{c}/finding/1"),
                "ProductArn": format!("arn:aws:securityhub:{REGION}::product/aws/securityhub"),
                "GeneratorId": format!("security-control/{c}"),
                "AwsAccountId": account,
                "Region": REGION,
                "Title": "a log metric filter and alarm should exist",
                "Compliance": {"Status": "FAILED", "SecurityControlId": c},
                "Workflow": {"Status": "NEW"},
                "Resources": [{"Type": "AwsAccount", "Id": format!("AWS::::Account:{account}"), "Region": REGION}]
            })
        })
        .collect();
    serde_json::json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": account,
        "region": REGION,
        "detail": {"findings": findings}
    })
    .to_string()
}

#[tokio::test]
async fn a_security_hub_finding_names_what_to_fix_and_where() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    Seed::in_account(&emu, REGION, B)
        .await
        .good_trail(&emu)
        .await;
    let d = dir("finding");
    let file = d.join("event.json");
    std::fs::write(&file, event(B, &["CloudWatch.4"])).unwrap();
    let file = file.to_str().unwrap();
    // The plan: account B (through its role), cis-4.4 only.
    let r = emu.run(&["--output", "json", "fix", "--plan", "--from-finding", file]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<Value> = r.stdout.lines().map(support::document).collect();
    assert_eq!(lines.len(), 2, "one target and the summary: {}", r.stdout);
    assert_eq!(lines[0]["account"], B);
    assert_eq!(lines[0]["control"], "cis-4.4");
    assert_eq!(
        lines[0]["role_arn"],
        format!("arn:aws:iam::{B}:role/OrganizationAccountAccessRole")
    );
    // Applied from the same event, on stdin.
    let out = emu
        .trailwatch()
        .args([
            "fix",
            "--apply",
            "--yes",
            "--from-finding",
            "-",
            &format!("--subscribe=sqs:arn:aws:sqs:{REGION}:{B}:alerts"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(event(B, &["CloudWatch.4"]).as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = Seed::in_account(&emu, REGION, B).await.snapshot().await;
    assert_eq!((b.count("filter"), b.count("alarm")), (1, 1));
    // The caller's own account was not touched.
    assert_eq!(
        Seed::new(&emu, REGION)
            .await
            .snapshot()
            .await
            .count("alarm"),
        0
    );
    // What cannot be fixed is refused in one line, nothing read.
    let unknown = d.join("s3.json");
    std::fs::write(&unknown, event(B, &["S3.1"])).unwrap();
    let unknown = unknown.to_str().unwrap();
    emu.reset_requests();
    let r = emu.run(&["fix", "--plan", "--from-finding", unknown]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("S3.1 is not a control trailwatch knows"),
        "{}",
        r.stderr
    );
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
    let r = emu.run(&[
        "--control",
        "cis-4.1",
        "fix",
        "--plan",
        "--from-finding",
        file,
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("\"--control\""), "{}", r.stderr);
}

#[tokio::test]
async fn check_imports_its_findings_into_security_hub_and_a_fix_resolves_the_finding() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    // Security Hub not enabled here: the audit is printed, the import refused in one line.
    let r = emu.run(&["--region", REGION, "check", "--security-hub"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Result: NOT COMPLIANT"), "{}", r.stdout);
    assert_eq!(
        r.stderr.trim(),
        format!("trailwatch: refused: Security Hub is not enabled in account {ACCOUNT}, region {REGION}: enable it there, or leave out --security-hub")
    );
    emu.tool("securityhub_tool.py", &["enable"]);
    emu.reset_requests();
    let r = emu.run(&[
        "--region",
        REGION,
        "--all-controls",
        "--output",
        "json",
        "check",
        "--security-hub",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(
        doc["security_hub"],
        serde_json::json!({"imported": 15, "failed": [], "calls": 1})
    );
    let imports = emu
        .requests()
        .into_iter()
        .filter(|(_, op)| op == "BatchImportFindings")
        .count();
    assert_eq!(imports, 1, "15 findings in one call (at most 100 a call)");
    let held = emu.tool("securityhub_tool.py", &["list"]);
    assert_eq!(held.len(), 15, "{held:?}");
    let own = format!("trailwatch/{ACCOUNT}/{REGION}/cis-4.4=FAILED/-");
    assert!(held.contains(&own), "{held:?}");
    // A Security Hub finding of CloudWatch.4, as EventBridge delivers it, fixed and resolved.
    let d = dir("resolve");
    let file = d.join("event.json");
    let mut event: Value = serde_json::from_str(&event(ACCOUNT, &["CloudWatch.4"])).unwrap();
    // The finding trailwatch imported, so Security Hub holds it to update.
    event["detail"]["findings"][0]["Id"] = format!("trailwatch/{ACCOUNT}/{REGION}/cis-4.4").into();
    event["detail"]["findings"][0]["ProductArn"] =
        format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default").into();
    std::fs::write(&file, event.to_string()).unwrap();
    let file = file.to_str().unwrap();
    let r = emu.run(&[
        "fix",
        "--apply",
        "--yes",
        "--from-finding",
        file,
        "--update-finding",
        "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "finding trailwatch/{ACCOUNT}/{REGION}/cis-4.4 set to RESOLVED"
        )),
        "{}",
        r.stderr
    );
    let held = emu.tool("securityhub_tool.py", &["list"]);
    assert!(
        held.contains(&format!(
            "trailwatch/{ACCOUNT}/{REGION}/cis-4.4=FAILED/RESOLVED"
        )),
        "{held:?}"
    );
    let notes = emu.tool("securityhub_tool.py", &["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("cis-4.4_passes_all_seven_CIS_audit_steps")),
        "{notes:?}"
    );
    // --update-finding goes with --apply and --from-finding.
    let r = emu.run(&["fix", "--plan", "--from-finding", file, "--update-finding"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("\"--update-finding\""), "{}", r.stderr);
    // Security Hub's check is the exact pattern: a finding is never resolved on a looser match.
    let r = emu.run(&[
        "--match",
        "meaning",
        "fix",
        "--apply",
        "--yes",
        "--from-finding",
        file,
        "--update-finding",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("\"--match\""), "{}", r.stderr);
}

#[tokio::test]
async fn a_fleet_plan_file_is_applied_where_nothing_changed_and_a_changed_target_is_skipped() {
    let emu = Emulator::start();
    two_members_without_their_alarm(&emu).await;
    let d = dir("fleet");
    let file = d.join("plan.json");
    let file = file.to_str().unwrap();
    let accounts = format!("{B},{D}");
    let r = emu.run(&[
        "--region",
        REGION,
        "--accounts",
        &accounts,
        "fix",
        "--plan",
        "--out",
        file,
    ]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let saved = support::document(&std::fs::read_to_string(file).unwrap());
    assert_eq!(saved["fleet"], true);
    let planned: Vec<&str> = saved["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["account"].as_str().unwrap())
        .collect();
    assert_eq!(planned, [B, D]);
    // B's filter is pointed elsewhere after the plan was approved.
    let b = Seed::in_account(&emu, REGION, B).await;
    b.filter(
        "aws-controltower/CloudTrailLogs-q7x2kd",
        "IAMPolicyChanges",
        &canonical(),
        "SomethingElse",
        "CISBenchmark",
    )
    .await;
    let b_before = b.snapshot().await;
    // The fleet comes from the file: its accounts and region, no question.
    let r = emu.run(&["--output", "json", "fix", "--apply", file]);
    assert_eq!(r.code, 1, "B is stale: exit 1\n{}\n{}", r.stdout, r.stderr);
    let lines: Vec<Value> = r.stdout.lines().map(support::document).collect();
    let of = |a: &str| lines.iter().find(|v| v["account"] == a).unwrap();
    assert_eq!(of(B)["status"], "error");
    assert!(
        of(B)["detail"]
            .as_str()
            .unwrap()
            .starts_with("stale: filter IAMPolicyChanges changed since the plan was made"),
        "{}",
        of(B)["detail"]
    );
    assert_eq!(of(D)["status"], "compliant", "{}", r.stdout);
    assert_eq!(b.snapshot().await, b_before, "nothing written to B");
    // The fleet is the file's: fleet selections beside it are refused.
    let r = emu.run(&["--accounts", B, "fix", "--apply", file]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("\"--accounts\""), "{}", r.stderr);
}
