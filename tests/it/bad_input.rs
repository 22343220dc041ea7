//! Bad input and usage errors: one line naming the bad value, exit 1, nothing written.
//! Also: credentials never appear in output or logs.

use crate::support;

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
    assert_refused(
        &emu,
        &["--profile", "nosuch", "check"],
        "invalid --profile \"nosuch\"",
    );
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
            "--subscribe=sqs:arn:aws:sqs:us-east-1:123456789012:secops-alerts",
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
        // The endpoint is still named, its secret parts masked: the host for a plan or an
        // apply, the whole refused value for a bad one.
        let shown = if args.last() == Some(&ep) {
            "https://***@hooks.example.com/***"
        } else {
            r#"invalid --subscribe "https:http://***@x": not an https:// URL"#
        };
        assert!(all.contains(shown), "{args:?}: {shown:?} not in:\n{all}");
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

/// Bad input, table-driven: each case is one line naming the bad value and the rule it broke,
/// exit 1, and no write request reaches the emulator.
#[tokio::test]
async fn a_table_of_bad_inputs_each_gets_one_line_and_writes_nothing() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    let dir = std::env::temp_dir().join(format!("tw-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = trailwatch::control::DEFAULT_SPEC;
    let spec_file = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let long = "x".repeat(5000);
    let long_region = "us-east-1".repeat(300);
    let specs = [
        spec_file("not-toml.toml", "this is [not toml".into()),
        spec_file(
            "type.toml",
            spec.replace("threshold = 1.0", "threshold = \"one\""),
        ),
        spec_file("unknown-key.toml", format!("colour = \"red\"\n{spec}")),
        spec_file("no-pattern.toml", without_events(spec)),
        spec_file(
            "bad-pattern.toml",
            without_events(spec).replace(
                "id = \"cis-4.4\"",
                "id = \"mine\"\npattern = '{ $.eventNa me = X }'",
            ),
        ),
        spec_file(
            "fires-never.toml",
            spec.replace("threshold = 1.0", "threshold = 9.0"),
        ),
        spec_file(
            "bad-topic.toml",
            spec.replace("name = \"cis-benchmark-alarms\"", "name = \"a b\""),
        ),
    ];
    let r = REGION;
    let fix = |extra: &[&str]| {
        let mut v = vec!["--region", r, "fix", "--apply", "--yes"];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<String>>()
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    // (arguments, environment, what the one line must name)
    // (arguments, environment, what the one line must name)
    type Case<'a> = (Vec<String>, Vec<(&'a str, String)>, String);
    let cases: Vec<Case> = vec![
        // Flags.
        (
            args(&["--region", r, "--output", "yaml", "check"]),
            vec![],
            "yaml".into(),
        ),
        (
            args(&["--region", r, "--match", "loose", "check"]),
            vec![],
            "loose".into(),
        ),
        (
            args(&["--region", r, "check", "--history-days", "31", "--history"]),
            vec![],
            "31".into(),
        ),
        (
            args(&["--region", r, "drill", "--wait", "-1"]),
            vec![],
            "-1".into(),
        ),
        (
            args(&["--region", r, "fix", "--plan", "--apply"]),
            vec![],
            "--apply".into(),
        ),
        (
            args(&[
                "--region",
                r,
                "--control",
                "cis-4.4",
                "--all-controls",
                "check",
            ]),
            vec![],
            "--all-controls".into(),
        ),
        (
            args(&["--region", r, "--control", "cis-99", "check"]),
            vec![],
            "cis-99".into(),
        ),
        (
            args(&["--region", r, "--control", ",,", "check"]),
            vec![],
            ",,".into(),
        ),
        (
            args(&[
                "--region",
                r,
                "--control",
                "cis-4.3,cis-4.4",
                "drill",
                "--yes",
            ]),
            vec![],
            "cis-4.3,cis-4.4".into(),
        ),
        // Environment.
        (
            args(&["check"]),
            vec![("AWS_REGION", "mars-1".into())],
            "mars-1".into(),
        ),
        (
            args(&["--region", r, "check"]),
            vec![("AWS_ENDPOINT_URL", "not-a-url".into())],
            "not-a-url".into(),
        ),
        (
            args(&["--region", r, "check"]),
            vec![("AWS_ENDPOINT_URL", "ftp://127.0.0.1".into())],
            "ftp://127.0.0.1".into(),
        ),
        (
            args(&["--region", r, "check"]),
            vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:99999".into())],
            "99999".into(),
        ),
        (
            args(&["--region", r, "check"]),
            vec![("AWS_PROFILE", "no-such-profile".into())],
            "invalid AWS_PROFILE \"no-such-profile\"".into(),
        ),
        // Control specs.
        (
            args(&[
                "--region",
                r,
                "--control",
                "/nonexistent/spec.toml",
                "check",
            ]),
            vec![],
            "/nonexistent/spec.toml".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[0], "check"]),
            vec![],
            "line 1".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[1], "check"]),
            vec![],
            "alarm.threshold".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[2], "check"]),
            vec![],
            "colour".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[3], "check"]),
            vec![],
            "give `pattern`".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[4], "check"]),
            vec![],
            "does not parse".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[5], "check"]),
            vec![],
            "does not fire".into(),
        ),
        (
            args(&["--region", r, "--control", &specs[6], "check"]),
            vec![],
            "a b".into(),
        ),
        // Regions.
        (
            args(&["--region", "us_east_1", "check"]),
            vec![],
            "us_east_1".into(),
        ),
        (
            args(&["--region", "US-EAST-1", "check"]),
            vec![],
            "US-EAST-1".into(),
        ),
        (
            args(&["--region", "us-east-0", "check"]),
            vec![],
            "us-east-0".into(),
        ),
        // ARNs.
        (
            fix(&["--topic-arn", "arn:aws:sns:us-east-1:12345678901:t"]),
            vec![],
            "12345678901".into(),
        ),
        (
            fix(&["--topic-arn", "arn:aws:sqs:us-east-1:123456789012:q"]),
            vec![],
            "sqs".into(),
        ),
        (
            fix(&[
                "--topic-arn",
                "arn:aws:sns:us-east-1:123456789012:alerts.fifo",
            ]),
            vec![],
            "FIFO".into(),
        ),
        (
            fix(&["--topic-arn", "arn:aws:sns:eu-west-1:123456789012:alerts"]),
            vec![],
            "eu-west-1".into(),
        ),
        (
            fix(&["--subscribe", "sqs:arn:aws:sqs:us-east-1:1234:q"]),
            vec![],
            "not an SQS queue ARN".into(),
        ),
        (
            fix(&[
                "--subscribe",
                "lambda:arn:aws:lambda:us-east-1:123456789012:layer:x",
            ]),
            vec![],
            "Lambda".into(),
        ),
        // E-mail and URL endpoints.
        (
            fix(&["--subscribe", "email:secops@"]),
            vec![],
            "email:secops@".into(),
        ),
        (
            fix(&["--subscribe", "email:sec ops@example.com"]),
            vec![],
            "not an e-mail address".into(),
        ),
        (
            fix(&["--subscribe", "https:http://hooks.example.com/x"]),
            vec![],
            "not an https:// URL".into(),
        ),
        (
            fix(&["--subscribe", "sms:+15555550100"]),
            vec![],
            "protocol".into(),
        ),
        // Oversized values.
        (
            args(&["--region", &long_region, "check"]),
            vec![],
            "2700 characters".into(),
        ),
        (
            fix(&[
                "--topic-arn",
                &format!("arn:aws:sns:us-east-1:123456789012:{long}"),
            ]),
            vec![],
            "characters)".into(),
        ),
        (
            fix(&["--subscribe", &format!("email:{long}@example.com")]),
            vec![],
            "characters)".into(),
        ),
    ];
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for (argv, env, needle) in &cases {
        emu.reset_requests();
        let mut cmd = emu.trailwatch();
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.args(argv).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(out.status.code(), Some(1), "{argv:?} {env:?}: {stderr}");
        assert_eq!(lines.len(), 1, "{argv:?} {env:?}: one line, got:\n{stderr}");
        assert!(
            lines[0].contains(needle.as_str()),
            "{argv:?} {env:?}: {:?} does not name {needle:?}",
            lines[0]
        );
        assert!(
            lines[0].chars().count() < 400,
            "{argv:?}: an oversized value is cut: {}",
            lines[0]
        );
        assert!(
            emu.writes().is_empty(),
            "{argv:?}: wrote {:?}",
            emu.writes()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The spec without its `events = [...]` list.
fn without_events(spec: &str) -> String {
    let i = spec.find("\nevents = [").unwrap() + 1;
    let j = spec[i..].find("]\n").unwrap() + i + 2;
    format!("{}{}", &spec[..i], &spec[j..])
}

/// Distinctive fake secrets in the environment, in a profile and in a subscription endpoint
/// never appear in any output: plans, applies, drills, errors, logs at -vvv.
#[tokio::test]
async fn secrets_never_appear_in_output_logs_plans_or_errors() {
    let emu = Emulator::start();
    Seed::new(&emu, REGION).await.good_trail(&emu).await;
    let dir = std::env::temp_dir().join(format!("tw-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let creds = dir.join("credentials");
    std::fs::write(
        &creds,
        "[ops]\naws_access_key_id = AKIAPROFILEKEY000042\naws_secret_access_key = ProfileSecretZZZ42xyz\naws_session_token = ProfileSessionTokenQQQ42\n",
    )
    .unwrap();
    let secrets = [
        "AKIAENVKEY0000000042",
        "EnvSecretKeyYYY42abc",
        "EnvSessionTokenWWW42",
        "AKIAPROFILEKEY000042",
        "ProfileSecretZZZ42xyz",
        "ProfileSessionTokenQQQ42",
        "HookPassVVV42",
        "HookTokenUUU42",
    ];
    let hook =
        "--subscribe=https:https://hookuser:HookPassVVV42@hooks.example.com/services/T0/B0/HookTokenUUU42?sig=HookTokenUUU42";
    let runs: Vec<(bool, Vec<&str>)> = vec![
        (false, vec!["-vvv", "--region", REGION, "check"]),
        (
            false,
            vec!["-vvv", "--region", REGION, "fix", "--plan", hook],
        ),
        (
            false,
            vec![
                "-vvv", "--region", REGION, "--output", "json", "fix", "--plan", hook,
            ],
        ),
        (
            false,
            vec![
                "-vvv",
                "--region",
                REGION,
                "fix",
                "--apply",
                "--dry-run",
                hook,
            ],
        ),
        (
            false,
            vec![
                "-vvv", "--region", REGION, "--output", "json", "fix", "--apply", "--yes", hook,
            ],
        ),
        (true, vec!["-vvv", "--region", REGION, "check"]),
        (true, vec!["-vvv", "--region", REGION, "drill", "--yes"]),
    ];
    for (use_profile, args) in runs {
        let mut cmd = emu.trailwatch();
        if use_profile {
            cmd.env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY")
                .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
                .env("AWS_PROFILE", "ops");
        } else {
            cmd.env("AWS_ACCESS_KEY_ID", secrets[0])
                .env("AWS_SECRET_ACCESS_KEY", secrets[1])
                .env("AWS_SESSION_TOKEN", secrets[2]);
        }
        let out = cmd.args(&args).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.code().is_some(), "{args:?}");
        for s in secrets {
            assert!(!all.contains(s), "{s} leaked in {args:?}:\n{all}");
        }
    }
    // An error path: the emulator refuses a call; the error line carries no secret either.
    emu.control(
        "/_trailwatch/faults",
        r#"{"operation": "DescribeMetricFilters", "status": 400, "code": "AccessDeniedException", "message": "User AKIAENVKEY0000000042 is not authorized"}"#,
    );
    let out = emu
        .trailwatch()
        .env("AWS_ACCESS_KEY_ID", secrets[0])
        .env("AWS_SECRET_ACCESS_KEY", secrets[1])
        .env("AWS_SESSION_TOKEN", secrets[2])
        .args(["-vvv", "--region", REGION, "check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    // AWS's message quotes the caller's key id: it is masked like every other secret.
    assert!(err.contains("User AKIA*** is not authorized"), "{err}");
    for s in secrets {
        assert!(!err.contains(s), "{s} leaked:\n{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
