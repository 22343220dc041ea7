//! Bad input and usage errors: one line naming the bad value, exit 1, nothing written.
//! Also: credentials never appear in output or logs.

mod support;

use support::{Emulator, Seed, REGION};

fn assert_refused(emu: &Emulator, args: &[&str], needle: &str) {
    emu.reset_requests();
    let r = emu.run(args);
    assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line for {args:?}, got:\n{}", r.stderr);
    assert!(
        lines[0].contains(needle),
        "{args:?}: {:?} does not name {needle:?}",
        lines[0]
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(emu.writes().is_empty(), "{args:?} wrote {:?}", emu.writes());
}

#[tokio::test]
async fn bad_values_and_usage_errors_exit_1_with_one_line_and_write_nothing() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    let s = "--subscribe=email:secops@example.com";
    assert_refused(&emu, &["--region", "nowhere-1", "check"], "nowhere-1");
    assert_refused(
        &emu,
        &["--region", "nowhere-1", "fix", "--apply", "--yes", s],
        "nowhere-1",
    );
    assert_refused(
        &emu,
        &[
            "--region",
            REGION,
            "fix",
            "--apply",
            "--yes",
            "--topic-arn",
            "arn:aws:sns:bad",
        ],
        "arn:aws:sns:bad",
    );
    assert_refused(
        &emu,
        &[
            "--region",
            REGION,
            "fix",
            "--apply",
            "--yes",
            "--subscribe",
            "email:not-an-address",
        ],
        "email:not-an-address",
    );
    assert_refused(
        &emu,
        &["--region", REGION, "--output", "xml", "check"],
        "xml",
    );
    assert_refused(
        &emu,
        &["--region", REGION, "check", "--frobnicate"],
        "--frobnicate",
    );
    assert_refused(
        &emu,
        &["--region", REGION, "fix", "--apply", "--yes", "--topic-arn"],
        "--topic-arn",
    );
    assert_refused(
        &emu,
        &["--region", REGION, "fix", "--plan", "--apply"],
        "--apply",
    );
    assert_refused(&emu, &["--region", REGION, "fix"], "--plan");
    assert_refused(
        &emu,
        &["--region", REGION, "fix", "--plan", "--dry-run"],
        "--dry-run",
    );
    assert_refused(
        &emu,
        &["--region", REGION, "fix", "--plan", "--yes"],
        "--yes",
    );
    assert_refused(&emu, &["--profile", "nosuch", "check"], "\"nosuch\"");
    assert_refused(
        &emu,
        &[
            "--region",
            REGION,
            "check",
            "--history-days",
            "45",
            "--history",
        ],
        "45",
    );
    assert_refused(
        &emu,
        &[
            "--region",
            REGION,
            "--control",
            "/nonexistent/spec.toml",
            "check",
        ],
        "/nonexistent/spec.toml",
    );
}

#[tokio::test]
async fn credentials_never_appear_in_output_or_logs() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRET";
    let key = "AKIAEXAMPLEKEYID0001";
    let out = emu
        .trailwatch()
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", "SESSIONTOKENSHOULDNOTLEAK")
        .args([
            "-vv",
            "--region",
            REGION,
            "fix",
            "--apply",
            "--yes",
            "--subscribe=email:secops@example.com",
        ])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    for s in [secret, key, "SESSIONTOKENSHOULDNOTLEAK"] {
        assert!(!all.contains(s), "{s} leaked");
    }
    assert!(all.contains("sending write"), "-vv logs the writes: {all}");
}

#[tokio::test]
async fn passwords_in_https_endpoints_are_never_shown() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    let ep = "--subscribe=https:https://hookuser:Hunter2Secret@hooks.example.com/alert?token=TopSecretToken";
    for args in [
        vec!["--region", REGION, "fix", "--plan", ep],
        vec!["--region", REGION, "--output", "json", "fix", "--plan", ep],
        vec!["--region", REGION, "fix", "--apply", "--dry-run", ep],
        vec![
            "--region", REGION, "--output", "json", "fix", "--apply", "--yes", ep,
        ],
        vec!["--region", REGION, "fix", "--apply", "--yes", ep],
        vec![
            "--region",
            REGION,
            "fix",
            "--plan",
            "--subscribe=https:http://u:Hunter2Secret@x",
        ],
    ] {
        let r = emu.run(&args);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(
            !all.contains("Hunter2Secret") && !all.contains("TopSecretToken"),
            "{args:?} leaked:\n{all}"
        );
        assert!(
            all.contains("hooks.example.com") || all.contains("https:http://"),
            "{args:?}:\n{all}"
        );
    }
}

#[tokio::test]
async fn a_stray_url_argument_is_not_echoed_with_its_credentials() {
    let emu = Emulator::start();
    let r = emu.run(&[
        "--region",
        REGION,
        "fix",
        "--plan",
        "https:https://u:Hunter2Secret@h.example.com/T/B/tok",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        !r.stderr.contains("Hunter2Secret") && !r.stderr.contains("tok"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn no_command_prints_the_usage_and_exits_1() {
    let emu = Emulator::start();
    let r = emu.run(&[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("trailwatch: a command is required"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Usage: trailwatch") && r.stderr.contains("check"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn an_aws_error_is_one_line_with_operation_region_code_and_message() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "DescribeMetricFilters", "status": 400, "code": "AccessDeniedException", "message": "User is not authorized to perform: logs:DescribeMetricFilters"}"#,
    );
    let r = emu.run(&["--region", REGION, "check"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim(),
        "trailwatch: logs:DescribeMetricFilters in us-east-1: AccessDeniedException: User is not authorized to perform: logs:DescribeMetricFilters"
    );
}
