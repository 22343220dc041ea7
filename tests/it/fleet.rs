//! Fleet mode in the emulator, which acts in the role's account with the keys AssumeRole returns
//! (moto isolates accounts' state): `check` and `fix` across accounts, one confirmation, grouped
//! plans, batches that stop on a target that did not converge, exceptions before and after their
//! expiry, organization trails covered by their owner, and `--org` listing.

use crate::support;

use support::{Emulator, Seed, ACCOUNT, REGION};

const B: &str = "111111111111";
const C: &str = "222222222222";
const D: &str = "333333333333";

#[tokio::test]
async fn a_mixed_fleet_is_checked_and_one_failure_stays_local() {
    let emu = Emulator::start();
    // The caller's own account: compliant. B: a good trail only (drift). C: nothing (no trail).
    Seed::new(&emu, REGION).await.compliant(&emu).await;
    let b = Seed::in_account(&emu, REGION, B).await;
    b.good_trail(&emu).await;
    // D cannot be assumed: the third AssumeRole of the run is refused (own account: none; B, C
    // pass; D fails), in order with --concurrency 1.
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "AssumeRole", "skip": 2, "status": 403, "code": "AccessDenied", "message": "not authorized to perform sts:AssumeRole"}"#,
    );
    let accounts = format!("{ACCOUNT},{B},{C},{D}");
    emu.reset_requests();
    let r = emu.run(&[
        "--region",
        REGION,
        "--output",
        "json",
        "--accounts",
        &accounts,
        "--concurrency",
        "1",
        "check",
    ]);
    assert_eq!(
        r.code, 1,
        "a target in error: exit 1\n{}\n{}",
        r.stdout, r.stderr
    );
    let lines: Vec<serde_json::Value> = r.stdout.lines().map(support::document).collect();
    assert_eq!(lines.len(), 5, "{}", r.stdout);
    let status: Vec<(&str, &str)> = lines[..4]
        .iter()
        .map(|v| {
            (
                v["account"].as_str().unwrap(),
                v["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            (ACCOUNT, "compliant"),
            (B, "drift"),
            (C, "blocked"),
            (D, "error")
        ]
    );
    assert!(
        lines[0]["role_arn"].is_null(),
        "the caller's account is reached without a role"
    );
    assert_eq!(
        lines[1]["role_arn"],
        format!("arn:aws:iam::{B}:role/OrganizationAccountAccessRole")
    );
    assert_eq!(
        lines[1]["steps"][3]["reason"],
        "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT"
    );
    assert_eq!(
        lines[2]["steps"][0]["reason"],
        "CLOUDTRAIL_MULTI_REGION_NOT_PRESENT"
    );
    let e = lines[3]["error"].as_str().unwrap();
    assert!(e.contains("sts:AssumeRole") && e.contains(D), "{e}");
    assert_eq!(
        lines[4]["summary"],
        serde_json::json!({"targets": 4, "compliant": 1, "awaiting confirmation": 0, "drift": 1,
            "blocked": 1, "excepted": 0, "covered-by": 0, "error": 1})
    );
    // check writes nothing; each other account costs exactly one AssumeRole.
    assert_eq!(
        emu.writes(),
        ["sts:AssumeRole", "sts:AssumeRole", "sts:AssumeRole"],
        "nothing but one AssumeRole per assumed account"
    );

    // Without the unassumable account: drift, exit 2; text has one line per target.
    emu.control("/_trailwatch/faults/reset", "{}");
    let r = emu.run(&[
        "--region",
        REGION,
        "--accounts",
        &format!("{ACCOUNT},{B}"),
        "--role-arn-template",
        "arn:{partition}:iam::{account}:role/OrganizationAccountAccessRole",
        "check",
    ]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("{B}  us-east-1      drift")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "Fleet: 2 target(s): 1 compliant, 0 awaiting confirmation, 1 drift, 0 blocked, 0 excepted, 0 covered-by, 0 error"
        ),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn bad_fleet_input_is_refused_in_one_line() {
    let emu = Emulator::start();
    for (args, needle) in [
        (vec!["--accounts", "12345", "check"], "12345"),
        (
            vec![
                "--accounts",
                "111111111111",
                "--role-name",
                "bad role",
                "check",
            ],
            "bad role",
        ),
        (
            vec![
                "--accounts",
                "111111111111",
                "--role-arn-template",
                "arn:aws:iam::1:role/x",
                "check",
            ],
            "{account}",
        ),
        (
            vec![
                "--accounts",
                "111111111111",
                "--regions",
                "nowhere",
                "check",
            ],
            "nowhere",
        ),
        (
            vec!["--accounts", "111111111111", "--concurrency", "0", "check"],
            "0",
        ),
        (vec!["--accounts", "111111111111", "drill"], "drill"),
        (
            vec!["--accounts-file", "/nonexistent/accounts", "check"],
            "/nonexistent/accounts",
        ),
        (
            vec!["--accounts", "111111111111", "--exclude", "12", "check"],
            "12",
        ),
        (vec!["--org", "--ou", "ou-x", "check"], "ou-x"),
        (
            vec![
                "--accounts",
                "111111111111",
                "fix",
                "--apply",
                "--topic-arn",
                "arn:aws:sns:us-east-1:111111111111:t",
            ],
            "arn:aws:sns:us-east-1:111111111111:t",
        ),
        (vec!["fix", "--apply", "--batch-size", "2"], "--batch-size"),
        (
            vec![
                "--accounts",
                "111111111111",
                "--role-arn-template",
                "arn:aws:iam::222222222222:role/{account}-audit",
                "check",
            ],
            "222222222222:role/{account}-audit",
        ),
        (
            vec![
                "--accounts",
                "111111111111",
                "--role-name",
                "Audit",
                "--role-arn-template",
                "arn:aws:iam::{account}:role/Audit",
                "check",
            ],
            "not both",
        ),
        (
            vec![
                "--accounts",
                "111111111111",
                "--regions",
                "us-east-1,cn-north-1",
                "check",
            ],
            "not in the partition of the caller's region us-east-1",
        ),
        (
            vec!["--accounts", "111111111111", "check", "--history"],
            "--history",
        ),
        (vec!["--regions", "us-east-1", "check"], "--accounts"),
        (vec!["--concurrency", "4", "check"], "--concurrency"),
    ] {
        let mut argv = vec!["--region", REGION];
        argv.extend(args.iter().copied());
        let r = emu.run(&argv);
        assert_eq!(r.code, 1, "{argv:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{argv:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{argv:?}: {}", r.stderr);
    }
}

const SUBSCRIBE: &str = "--subscribe=email:secops@example.com";

/// The fleet arguments, then the rest.
fn join<'a>(fleet: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    [fleet, rest].concat()
}

/// JSON lines -> values.
fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout.lines().map(support::document).collect()
}

/// `fix --apply --yes --output json` on the fleet, from a cleared request log (so `emu.writes()`
/// shows this run's): the exit code must be `code`; the JSON lines.
fn apply_json(emu: &Emulator, fleet: &[&str], code: i32) -> Vec<serde_json::Value> {
    emu.reset_requests();
    let r = emu.run(&join(
        fleet,
        &["--output", "json", "fix", "--apply", "--yes", SUBSCRIBE],
    ));
    assert_eq!(r.code, code, "{}\n{}", r.stdout, r.stderr);
    lines(&r.stdout)
}

/// (account, status) of each target line (all but the summary).
fn statuses(v: &[serde_json::Value]) -> Vec<(String, String)> {
    v[..v.len() - 1]
        .iter()
        .map(|t| {
            (
                t["account"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn count(writes: &[String], op: &str) -> usize {
    writes.iter().filter(|w| w.as_str() == op).count()
}

/// Every write but the AssumeRoles.
fn real_writes(writes: &[String]) -> Vec<String> {
    writes
        .iter()
        .filter(|w| w.as_str() != "sts:AssumeRole")
        .cloned()
        .collect()
}

fn s(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn a_fleet_is_planned_once_confirmed_once_applied_and_converges() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.compliant(&emu).await;
    for account in [B, D] {
        Seed::in_account(&emu, REGION, account)
            .await
            .good_trail(&emu)
            .await;
    }
    // C has no trail: blocked (trailwatch does not create trails).
    let accounts = format!("{ACCOUNT},{B},{C},{D}");
    let fleet = ["--region", REGION, "--accounts", accounts.as_str()];

    // The plan: one line per target, and the same plan for B and D shown once.
    emu.reset_requests();
    let r = emu.run(&join(&fleet, &["fix", "--plan", SUBSCRIBE]));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("Plan for 2 target(s): {B}/{REGION}, {D}/{REGION}")),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches("+ create metric filter").count(),
        1,
        "the shared plan is shown once:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{C}  {REGION:<14} blocked")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("; 8 write(s) planned for 2 target(s)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.is_empty(),
        "no progress bar off a terminal: {}",
        r.stderr
    );
    assert!(
        real_writes(&emu.writes()).is_empty(),
        "a plan writes nothing"
    );

    // No terminal and no --yes: one refusal for the whole fleet, nothing written.
    emu.reset_requests();
    let r = emu.run(&join(&fleet, &["fix", "--apply", SUBSCRIBE]));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("no terminal to confirm"), "{}", r.stderr);
    assert!(real_writes(&emu.writes()).is_empty(), "{:?}", emu.writes());

    // On a terminal: one question for the whole fleet; "no" writes nothing.
    emu.reset_requests();
    let (code, shown, prompts) = emu.on_tty("n", &join(&fleet, &["fix", "--apply", SUBSCRIBE]));
    assert_eq!((code, prompts), (2, 1), "{shown}");
    assert!(
        shown.contains("Send 8 write request(s) to 2 target(s) in 2 account(s)?"),
        "{shown}"
    );
    assert!(
        shown.contains("not confirmed, nothing was written"),
        "{shown}"
    );
    assert!(real_writes(&emu.writes()).is_empty(), "{:?}", emu.writes());
    // With JSON, the declined plan is still printed (one line per target and the summary).
    let (code, shown, prompts) = emu.on_tty(
        "n",
        &join(&fleet, &["--output", "json", "fix", "--apply", SUBSCRIBE]),
    );
    assert_eq!((code, prompts), (2, 1), "{shown}");
    let summary: serde_json::Value = shown
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(support::document)
        .find(|v| v["summary"]["targets"].is_number())
        .unwrap_or_else(|| panic!("no summary line: {shown}"));
    assert_eq!(summary["summary"]["targets"], 4, "{shown}");
    assert!(real_writes(&emu.writes()).is_empty(), "{:?}", emu.writes());

    // --yes: B and D are fixed alike, their e-mail subscriptions awaiting the receiver; C stays
    // blocked; the caller's account is untouched.
    let out = apply_json(&emu, &fleet, 2);
    assert_eq!(
        statuses(&out),
        s(&[
            (ACCOUNT, "compliant"),
            (B, "awaiting confirmation"),
            (C, "blocked"),
            (D, "awaiting confirmation")
        ])
    );
    assert!(
        out[1]["detail"]
            .as_str()
            .unwrap()
            .contains("awaiting confirmation of email:secops@example.com"),
        "{:#}",
        out[1]
    );
    let writes = real_writes(&emu.writes());
    for op in [
        "sns:CreateTopic",
        "sns:Subscribe",
        "logs:PutMetricFilter",
        "monitoring:PutMetricAlarm",
    ] {
        assert_eq!(
            count(&writes, op),
            2,
            "{op} once in B and once in D: {writes:?}"
        );
    }
    assert_eq!(out[1]["batch"], 1);
    assert!(out[0]["batch"].is_null() && out[2]["batch"].is_null());
    assert_eq!(
        out[1]["role_arn"],
        format!("arn:aws:iam::{B}:role/OrganizationAccountAccessRole")
    );
    let summary = &out[4]["summary"];
    assert_eq!(summary["writes_sent"], writes.len(), "{summary}");
    assert_eq!(summary["compliant"], 1);
    assert_eq!(summary["awaiting confirmation"], 2);
    assert_eq!(summary["blocked"], 1);

    // Converged: a second apply sends no write to any account (one AssumeRole each).
    emu.reset_requests();
    let r = emu.run(&join(&fleet, &["fix", "--apply", "--yes", SUBSCRIBE]));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Nothing to write."), "{}", r.stdout);
    assert_eq!(
        emu.writes(),
        ["sts:AssumeRole", "sts:AssumeRole", "sts:AssumeRole"],
        "nothing but one AssumeRole per assumed account"
    );
}

#[tokio::test]
async fn batches_go_production_first_and_stop_on_a_target_that_did_not_converge() {
    let emu = Emulator::start();
    for account in [B, C, D] {
        Seed::in_account(&emu, REGION, account)
            .await
            .good_trail(&emu)
            .await;
    }
    let dir = std::env::temp_dir().join(format!("trailwatch-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("accounts");
    std::fs::write(
        &file,
        format!("# the fleet\n{B} sandbox\n{C}\n{D} production # the shop\n"),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let fleet = ["--region", REGION, "--accounts-file", file];

    // Production first, then the listed order.
    let r = emu.run(&join(&fleet, &["--output", "json", "check"]));
    assert_eq!(r.code, 2);
    let out = lines(&r.stdout);
    assert_eq!(
        statuses(&out),
        s(&[(D, "drift"), (B, "drift"), (C, "drift")])
    );
    assert_eq!(out[0]["label"], "production");

    // Every alarm write fails: the first batch (D) does not converge, so the run stops there.
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "PutMetricAlarm", "status": 400, "code": "LimitExceeded", "message": "injected"}"#,
    );
    emu.reset_requests();
    let r = emu.run(&join(
        &fleet,
        &["fix", "--apply", "--yes", "--batch-size", "1", SUBSCRIBE],
    ));
    assert_eq!(r.code, 1, "a target in error\n{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Batch 1 of 3"), "{}", r.stdout);
    assert!(!r.stdout.contains("Batch 2 of 3"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "Stopped after batch 1 of 3: not converged: {D}/{REGION}"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout
            .matches("not applied: the rollout stopped after batch 1")
            .count(),
        2,
        "B and C are said to be left:\n{}",
        r.stdout
    );
    let writes = real_writes(&emu.writes());
    assert_eq!(
        count(&writes, "sns:CreateTopic"),
        1,
        "only D was touched: {writes:?}"
    );
    let b = Seed::in_account(&emu, REGION, B).await.snapshot().await;
    assert!(
        b.count("filter") == 0 && b.count("topic") == 0,
        "B untouched: {b:?}"
    );

    // --keep-going: every batch runs, whatever the outcome.
    emu.reset_requests();
    let r = emu.run(&join(
        &fleet,
        &[
            "fix",
            "--apply",
            "--yes",
            "--batch-size",
            "2",
            "--keep-going",
            SUBSCRIBE,
        ],
    ));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Batch 2 of 2"), "{}", r.stdout);
    assert_eq!(
        count(&real_writes(&emu.writes()), "sns:CreateTopic"),
        2,
        "B and C"
    );

    // The fault gone, the batches converge (confirmed once, on a terminal, for both batches):
    // the e-mail subscriptions awaiting their receiver do not stop the next batch, exit 2.
    emu.control("/_trailwatch/faults/reset", "{}");
    let (code, shown, prompts) = emu.on_tty(
        "yes",
        &join(&fleet, &["fix", "--apply", "--batch-size", "2", SUBSCRIBE]),
    );
    assert_eq!((code, prompts), (2, 1), "{shown}");
    assert!(shown.contains("Batch 2 of 2"), "{shown}");
    assert!(!shown.contains("Stopped after"), "{shown}");
    assert!(shown.contains("3 awaiting confirmation"), "{shown}");
    // Never subscribed again while pending; once confirmed, compliant, and nothing to write.
    emu.reset_requests();
    let r = emu.run(&join(&fleet, &["fix", "--apply", "--yes", SUBSCRIBE]));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(real_writes(&emu.writes()).is_empty(), "{:?}", emu.writes());
    assert_eq!(emu.confirm("secops@example.com").len(), 3);
    let r = emu.run(&join(&fleet, &["fix", "--apply", "--yes", SUBSCRIBE]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[tokio::test]
async fn an_exception_holds_until_its_expiry_and_a_bad_file_is_refused_before_any_read() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.compliant(&emu).await;
    Seed::in_account(&emu, REGION, B)
        .await
        .good_trail(&emu)
        .await;
    let dir = std::env::temp_dir().join(format!("trailwatch-exc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("exceptions.toml");
    let write = |expires: &str| {
        std::fs::write(
            &file,
            format!(
                "[[exception]]\naccount = \"{B}\"\ncontrol = \"*\"\nowner = \"alice@example.com\"\nexpires = \"{expires}\"\nreason = \"sandbox, decommissioned in January\"\n"
            ),
        )
        .unwrap();
    };
    let path = file.to_str().unwrap().to_string();
    let accounts = format!("{ACCOUNT},{B}");
    let run = |rest: &[&str]| {
        let mut argv = vec![
            "--region",
            REGION,
            "--accounts",
            accounts.as_str(),
            "--exceptions",
            path.as_str(),
        ];
        argv.extend_from_slice(rest);
        emu.run(&argv)
    };

    // Before its expiry: excepted, counts as compliant, never written; with every control
    // excepted the account is not even read (its role may be gone: here it cannot be assumed).
    write("2999-12-31");
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "AssumeRole", "status": 403, "code": "AccessDenied"}"#,
    );
    emu.reset_requests();
    let r = run(&["--output", "json", "check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = lines(&r.stdout);
    assert_eq!(
        statuses(&out),
        s(&[(ACCOUNT, "compliant"), (B, "excepted")])
    );
    assert_eq!(out[1]["exception"]["owner"], "alice@example.com");
    assert_eq!(out[1]["exception"]["holds"], true);
    assert_eq!(out[1]["read"], false);
    assert!(
        emu.requests().iter().all(|(_, op)| op != "AssumeRole"),
        "{:?}",
        emu.requests()
    );
    emu.control("/_trailwatch/faults/reset", "{}");
    let r = run(&["check"]);
    assert!(
        r.stdout
            .contains("excepted (alice@example.com, until 2999-12-31)"),
        "{}",
        r.stdout
    );
    emu.reset_requests();
    let r = run(&["fix", "--apply", "--yes", SUBSCRIBE]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Nothing to write."), "{}", r.stdout);
    assert!(real_writes(&emu.writes()).is_empty(), "{:?}", emu.writes());

    // After it: drift again, and the report says it expired.
    write("2001-01-01");
    let r = run(&["check"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("{B}  {REGION:<14} drift")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("expired on 2001-01-01"), "{}", r.stdout);

    // A malformed file: one line naming the entry, nothing read from AWS.
    for (body, needle) in [
        (
            format!("[[exception]]\naccount = \"{B}\"\ncontrol = \"*\"\nowner = \"a\"\nexpires = \"2027-13-01\"\nreason = \"r\"\n"),
            "expires \"2027-13-01\"",
        ),
        (
            format!("[[exception]]\naccount = \"{B}\"\ncontrol = \"cis-9.9\"\nowner = \"a\"\nexpires = \"2027-01-01\"\nreason = \"r\"\n"),
            "cis-9.9",
        ),
        (
            format!("[[exception]]\naccount = \"{B}\"\ncontrol = \"*\"\nexpires = \"2027-01-01\"\nreason = \"r\"\n"),
            "no owner",
        ),
        (
            format!("[[exception]]\naccount = \"{B}\"\nowner = \"a\"\nexpires = \"2027-01-01\"\nreason = \"r\"\n"),
            "no control",
        ),
        (
            "[[exception]]\naccount = \"12345\"\nowner = \"a\"\nexpires = \"2027-01-01\"\nreason = \"r\"\n".to_string(),
            "\"12345\"",
        ),
    ] {
        std::fs::write(&file, &body).unwrap();
        emu.reset_requests();
        let r = run(&["check"]);
        assert_eq!(r.code, 1, "{body}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(needle) && r.stderr.contains("#1"), "{}", r.stderr);
        assert!(emu.requests().is_empty(), "nothing read: {:?}", emu.requests());
    }
}

#[tokio::test]
async fn an_organization_trail_covers_members_and_is_fixed_once_in_its_owner() {
    let emu = Emulator::start();
    // The caller's account owns an organization trail into its own log group, with no filter.
    let owner = Seed::new(&emu, REGION).await;
    let lg = owner.log_group("aws-controltower/CloudTrailLogs-org").await;
    emu.bucket("org-trail-bucket");
    owner
        .cloudtrail
        .create_trail()
        .name("org-trail")
        .s3_bucket_name("org-trail-bucket")
        .is_multi_region_trail(true)
        .is_organization_trail(true)
        .cloud_watch_logs_log_group_arn(&lg)
        .cloud_watch_logs_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/CloudTrailToLogs"))
        .send()
        .await
        .unwrap();
    owner
        .cloudtrail
        .start_logging()
        .name("org-trail")
        .send()
        .await
        .unwrap();
    let covered = format!("{ACCOUNT}/{REGION}");

    // The member alone: covered, but the owner must be checked too.
    let r = emu.run(&[
        "--region",
        REGION,
        "--accounts",
        B,
        "--output",
        "json",
        "check",
    ]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let out = lines(&r.stdout);
    assert_eq!(statuses(&out), s(&[(B, "covered-by")]));
    assert_eq!(out[0]["covered_by"], covered);
    let detail = out[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("add account {ACCOUNT}")),
        "{detail}"
    );

    // With the owner: the owner's group is planned once, the member not at all.
    let accounts = format!("{ACCOUNT},{B}");
    let fleet = ["--region", REGION, "--accounts", accounts.as_str()];
    let r = emu.run(&join(&fleet, &["fix", "--plan", SUBSCRIBE]));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("Plan for 1 target(s): {ACCOUNT}/{REGION}\n")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{B}  {REGION:<14} covered-by")),
        "{}",
        r.stdout
    );
    let out = apply_json(&emu, &fleet, 2);
    assert_eq!(
        statuses(&out),
        s(&[(ACCOUNT, "awaiting confirmation"), (B, "covered-by")])
    );
    // The receiver confirms: the owner is compliant, and the member with it.
    assert_eq!(emu.confirm("secops@example.com").len(), 1);
    let r = emu.run(&join(&fleet, &["--output", "json", "check"]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = lines(&r.stdout);
    assert_eq!(
        statuses(&out),
        s(&[(ACCOUNT, "compliant"), (B, "covered-by")])
    );
    assert_eq!(out[1]["pending"], false);
    let writes = real_writes(&emu.writes());
    assert_eq!(count(&writes, "logs:PutMetricFilter"), 1, "{writes:?}");
    assert_eq!(count(&writes, "monitoring:PutMetricAlarm"), 1, "{writes:?}");
    let b = Seed::in_account(&emu, REGION, B).await.snapshot().await;
    assert!(
        b.count("topic") == 0 && b.count("alarm") == 0,
        "nothing in the member: {b:?}"
    );
}

#[tokio::test]
async fn the_organization_is_listed_once_narrowed_by_unit_and_exclusions() {
    let emu = Emulator::start();
    // No organization yet: one line, exit 1.
    let r = emu.run(&["--region", REGION, "--org", "check"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("organizations:ListAccounts"),
        "{}",
        r.stderr
    );

    let org = aws_sdk_organizations::Client::new(&emu.config(REGION).await);
    org.create_organization().send().await.unwrap();
    let mut ids = Vec::new();
    for name in ["one", "two", "three"] {
        let out = org
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap();
        ids.push(
            out.create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string(),
        );
    }
    let root = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string();
    let ou = org
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    org.move_account()
        .account_id(&ids[2])
        .source_parent_id(&root)
        .destination_parent_id(&ou)
        .send()
        .await
        .unwrap();

    emu.reset_requests();
    let r = emu.run(&[
        "--region",
        REGION,
        "--org",
        "--exclude",
        &ids[1],
        "--output",
        "json",
        "check",
    ]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let mut got: Vec<String> = statuses(&lines(&r.stdout))
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    got.sort();
    let mut want = vec![ACCOUNT.to_string(), ids[0].clone(), ids[2].clone()];
    want.sort();
    assert_eq!(
        got, want,
        "the management account and the members, less the excluded"
    );
    let listed = emu
        .requests()
        .into_iter()
        .filter(|(_, op)| op == "ListAccounts")
        .count();
    assert_eq!(listed, 1, "the organization is listed once");

    let r = emu.run(&[
        "--region", REGION, "--org", "--ou", &ou, "--output", "json", "check",
    ]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let got: Vec<String> = statuses(&lines(&r.stdout))
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(got, [ids[2].clone()], "only the unit's account");
    assert_eq!(lines(&r.stdout)[0]["name"], "three");
    // The table names each account as Organizations does.
    let r = emu.run(&["--region", REGION, "--org", "--ou", &ou, "check"]);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with(ids[2].as_str()) && l.contains("(three)")),
        "{}",
        r.stdout
    );
}

#[tokio::test]
async fn one_multi_region_trail_is_planned_and_written_once_across_regions() {
    let emu = Emulator::start();
    Seed::in_account(&emu, REGION, B)
        .await
        .good_trail(&emu)
        .await;
    let fleet = [
        "--region",
        REGION,
        "--accounts",
        B,
        "--regions",
        "us-east-1,us-west-2",
    ];
    let r = emu.run(&join(&fleet, &["fix", "--plan", SUBSCRIBE]));
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("same log group as {B}/us-east-1: planned there")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("write(s) planned for 1 target(s)"),
        "{}",
        r.stdout
    );
    let out = apply_json(&emu, &fleet, 2);
    assert_eq!(
        statuses(&out),
        s(&[(B, "awaiting confirmation"), (B, "awaiting confirmation")]),
        "the second region is re-read after the first is written"
    );
    assert_eq!(out[1]["region"], "us-west-2");
    assert!(
        out[0]["controls"].is_null(),
        "one control: the single-control schema"
    );
    assert_eq!(out[0]["write_region"], "us-east-1");
    let writes = real_writes(&emu.writes());
    assert_eq!(count(&writes, "sns:CreateTopic"), 1, "{writes:?}");
    assert_eq!(count(&writes, "sns:Subscribe"), 1, "{writes:?}");
    assert_eq!(count(&writes, "logs:PutMetricFilter"), 1, "{writes:?}");
    assert_eq!(
        count(&emu.writes(), "sts:AssumeRole"),
        1,
        "one AssumeRole for both regions"
    );
}

/// The member roles as code: `policies/member-roles.yaml` deployed in a member (a CloudFormation
/// stack, as a StackSet would), then a fleet run through its roles: the reads assume the read
/// role, the writes the write role, each with the external id, the session name and the source
/// identity. (moto does not evaluate trust policies or role policies here; the separation of
/// permissions is shown under IAM enforcement in `least_privilege.rs`.)
#[tokio::test]
async fn a_fleet_runs_through_the_member_roles_the_template_deploys() {
    let emu = Emulator::start();
    Seed::in_account(&emu, REGION, B)
        .await
        .good_trail(&emu)
        .await;
    let principal = format!("arn:aws:iam::{ACCOUNT}:role/trailwatch-runner");
    let roles = emu.tool(
        "member_roles_tool.py",
        &[
            "--account",
            B,
            "--principal",
            &principal,
            "--external-id",
            "s3cr3t-ext",
        ],
    );
    assert_eq!(
        roles,
        [
            format!("arn:aws:iam::{B}:role/TrailwatchRead"),
            format!("arn:aws:iam::{B}:role/TrailwatchWrite"),
        ]
    );
    emu.reset_requests();
    let queue = format!("--subscribe=sqs:arn:aws:sqs:{REGION}:{B}:alerts");
    let r = emu.run(&[
        "--region",
        REGION,
        "--accounts",
        B,
        "--role-name",
        "TrailwatchRead",
        "--apply-role-name",
        "TrailwatchWrite",
        "--external-id",
        "s3cr3t-ext",
        "--session-name",
        "cis-rollout",
        "--source-identity",
        "alice",
        "fix",
        "--apply",
        "--yes",
        &queue,
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("s3cr3t-ext"),
        "the external id is never printed"
    );
    let assumed: Vec<serde_json::Value> = emu
        .log()
        .into_iter()
        .filter_map(|e| e.get("assume").cloned())
        .collect();
    assert_eq!(
        assumed,
        [roles[0].as_str(), roles[1].as_str()].map(|role| serde_json::json!({
            "role_arn": role, "session_name": "cis-rollout", "source_identity": "alice",
            "external_id": true
        }))
    );
}
