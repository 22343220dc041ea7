//! Refusals that never reach AWS, without the emulator: what goes with what, fleet-only options,
//! files, the environment. Each is one line naming the value, exit 1, no connection at all.

use crate::support::offline::Refusal;

const ACCOUNTS: &str = "111111111111,222222222222";

#[test]
fn options_that_do_not_go_together_are_refused_before_any_call() {
    Refusal::new(&["--control", "cis-4.1", "--all-controls", "check"]).names("cis-4.1");
    Refusal::new(&["--regions", "eu-west-1", "check"]).names("--regions");
    Refusal::new(&["--exclude", "111111111111", "check"]).names("--exclude");
    Refusal::new(&["--concurrency", "4", "check"]).names("--concurrency");
    Refusal::new(&["--role-name", "Audit", "check"]).names("--role-name");
    Refusal::new(&["--external-id", "s3cr3t-external", "check"]).names("--external-id");
    Refusal::new(&["--ou", "r-ab12", "--accounts", ACCOUNTS, "check"]).names("--ou");
    Refusal::new(&["--apply-role-name", "W", "fix", "--apply", "--yes"]).names("--apply-role-name");
    Refusal::new(&["--session-name", "me", "check"]).names("--session-name");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--apply-role-name",
        "W",
        "fix",
        "--plan",
    ])
    .names("--apply-role-name");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--apply-role-name",
        "W",
        "--apply-role-arn-template",
        "arn:aws:iam::{account}:role/W",
        "fix",
        "--apply",
    ])
    .names("--apply-role-name");
    Refusal::new(&["--accounts", ACCOUNTS, "--org", "check"]).names("--org");
    Refusal::new(&["fix", "--apply", "--yes", "--batch-size", "2"]).names("--batch-size");
    Refusal::new(&["--accounts", ACCOUNTS, "check", "--history"]).names("--history");
    Refusal::new(&["--accounts", ACCOUNTS, "drill", "--yes"]).names("drill");
    Refusal::new(&["controls", "--region", "eu-west-1"]).names("--region");
    Refusal::new(&["guardrails", "scp", "--exempt-role", "TrailwatchWrite"])
        .names("TrailwatchWrite");
    Refusal::new(&[
        "guardrails",
        "scp",
        "--exempt-role",
        "arn:aws:iam::12:role/X",
    ])
    .names("arn:aws:iam::12:role/X");
    Refusal::new(&["--topic-name", "alerts.fifo", "check"]).names("alerts.fifo");
    Refusal::new(&[
        "--topic-name",
        "alerts",
        "fix",
        "--plan",
        "--topic-arn",
        "arn:aws:sns:us-east-1:123456789012:t",
    ])
    .names("--topic-name");
    let r = Refusal::new(&["--all-controls", "drill", "--yes"]).names("--all-controls");
    assert!(r.stderr.contains("give --control ID"), "{}", r.stderr);
    Refusal::new(&["--control", "cis-4.1,4.4", "drill", "--yes"]).names("cis-4.1,4.4");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "fix",
        "--plan",
        "--topic-arn",
        "arn:aws:sns:us-east-1:111111111111:t",
    ])
    .names("--topic-arn");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--role-name",
        "Audit",
        "--role-arn-template",
        "arn:aws:iam::{account}:role/Other",
        "check",
    ])
    .names("Audit");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--regions",
        "eu-west-1,cn-north-1",
        "check",
    ])
    .names("cn-north-1");
}

#[test]
fn bad_values_are_refused_while_the_line_is_parsed() {
    Refusal::new(&["--region", "nowhere-1", "check"]).names("nowhere-1");
    Refusal::new(&["--accounts", "12345", "check"]).names("12345");
    Refusal::new(&["--org", "--ou", "ou-bad", "check"]).names("ou-bad");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--role-arn-template",
        "arn:aws:iam::111111111111:role/Fixed",
        "check",
    ])
    .names("arn:aws:iam::111111111111:role/Fixed");
    Refusal::new(&["--role-name", "no spaces allowed", "check"]).names("no spaces allowed");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--apply-role-name",
        "a b",
        "fix",
        "--apply",
    ])
    .names("a b");
    Refusal::new(&["--accounts", ACCOUNTS, "--session-name", "x", "check"]).names("\"x\"");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--source-identity",
        "aws:me",
        "check",
    ])
    .names("aws:me");
    Refusal::new(&["fix", "--plan", "--topic-arn", "arn:aws:sns:us-east-1:1:t"])
        .names("arn:aws:sns:us-east-1:1:t");
    Refusal::new(&["fix", "--plan", "--subscribe", "sms:+15555550100"]).names("sms:+15555550100");
    // A secret in a bad endpoint is never repeated.
    let r = Refusal::new(&[
        "fix",
        "--plan",
        "--subscribe",
        "https:http://hooks.example.com/T0/s3cr3t-path",
    ])
    .names("--subscribe");
    assert!(!r.stderr.contains("s3cr3t"), "{}", r.stderr);
}

#[test]
fn files_and_the_environment_are_checked_before_any_call() {
    Refusal::new(&["--accounts-file", "{dir}/missing.txt", "check"]).names("missing.txt");
    Refusal::new(&["--accounts-file", "{dir}/accounts.txt", "check"])
        .file("accounts.txt", "111111111111 production\nnot-an-id\n")
        .names("accounts.txt:2");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--exceptions",
        "{dir}/exceptions.toml",
        "check",
    ])
    .file(
        "exceptions.toml",
        "[[exception]]\naccount = \"111111111111\"\n",
    )
    .names("exceptions.toml");
    Refusal::new(&["--control", "{dir}/spec.toml", "check"])
        .file("spec.toml", "id = \"x\"\n")
        .names("spec.toml");
    Refusal::new(&["check"])
        .env("AWS_ENDPOINT_URL", "ftp://user:pw@example.com/x")
        .names("AWS_ENDPOINT_URL");

    // A spec the audit would not accept: refused before any call, so fix never re-puts it forever.
    let spec = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("plans/cis-4.4-iam-policy-changes.toml"),
    )
    .expect("the CIS 4.4 spec");
    for (from, to) in [
        (
            r#"treat_missing_data = "notBreaching""#,
            r#"treat_missing_data = "breaching""#,
        ),
        (r#"metric_value = "1""#, r#"metric_value = "0.5""#),
    ] {
        assert!(spec.contains(from), "{from}");
        let r = Refusal::new(&["--control", "{dir}/spec.toml", "check"])
            .file("spec.toml", &spec.replace(from, to))
            .names("spec.toml");
        assert!(
            r.stderr.contains("would not notify on one event"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _trailwatch"),
        ("zsh", "#compdef trailwatch"),
        ("fish", "complete -c trailwatch"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwatch"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text:.300}");
        // The subcommands and their options are offered.
        for word in ["check", "fix", "drill", "adopt", "apply-role-name"] {
            assert!(text.contains(word), "{shell} offers {word}");
        }
    }
    Refusal::new(&["completions", "tcsh"]).names("tcsh");
}

#[test]
fn expect_account_is_checked_as_typed_and_is_for_one_account() {
    Refusal::new(&["--expect-account", "12345", "check"]).names("12345");
    Refusal::new(&[
        "--accounts",
        ACCOUNTS,
        "--expect-account",
        "111111111111",
        "check",
    ])
    .names("--expect-account");
}

#[test]
fn a_first_label_no_account_carries_is_refused() {
    Refusal::new(&[
        "--accounts-file",
        "{dir}/accounts.txt",
        "--first",
        "prodution",
        "check",
    ])
    .file(
        "accounts.txt",
        "111111111111 production\n222222222222 staging\n",
    )
    .names("prodution");
}

#[test]
fn controls_show_prints_a_spec_that_loads_as_a_custom_control() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(["controls", "show", "CloudWatch.4"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let shown = trailwatch::control::Control::from_toml(&text, "shown").unwrap();
    assert_eq!(shown, trailwatch::control::Control::embedded());
    Refusal::new(&["controls", "show", "9.9"]).names("9.9");
}

#[test]
fn an_sso_profile_without_a_session_says_to_log_in() {
    let config = "[profile legacy]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n\n[profile modern]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n";
    for profile in ["legacy", "modern"] {
        Refusal::new(&["--profile", profile, "check"])
            .file("config", config)
            .env("AWS_CONFIG_FILE", "{dir}/config")
            .env("HOME", "{dir}")
            .unset("AWS_ACCESS_KEY_ID")
            .unset("AWS_SECRET_ACCESS_KEY")
            .names(&format!("run `aws sso login --profile {profile}`"));
    }
}

#[test]
fn an_endpoint_that_is_not_aws_is_named_by_what_it_answered() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // A web server, not AWS: every request gets an HTML error page.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let body = "<!DOCTYPE HTML><html><body><h1>Error response</h1></body></html>";
            let _ = write!(
                s,
                "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let out = crate::support::trailwatch_at(&format!("http://{addr}"))
        .env("AWS_REGION", "us-east-1")
        .arg("check")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "trailwatch: sts:GetCallerIdentity in us-east-1: the endpoint answered HTTP 501 (text/html;charset=utf-8), which is not an AWS API answer: check the endpoint (AWS_ENDPOINT_URL, a proxy)"
    );
}

#[test]
fn version_names_the_commit_and_the_date_of_the_control_specs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!(
            "trailwatch {} (commit ",
            env!("CARGO_PKG_VERSION")
        )) && text.contains(", control specs of "),
        "{text}"
    );
}

#[test]
fn a_config_file_is_checked_whole_naming_the_key() {
    Refusal::new(&["--config", "{dir}/t.toml", "check"])
        .file("t.toml", "topic_name = \"alerts\"\nrole = \"Audit\"\n")
        .names("role");
    Refusal::new(&["--config", "{dir}/t.toml", "check"])
        .file("t.toml", "role_name = \"no spaces\"\n")
        .names("role_name: invalid --role-name \"no spaces\"");
    Refusal::new(&["--config", "{dir}/t.toml", "check"])
        .file("t.toml", "subscribe = [\"sms:+15555550100\"]\n")
        .names("subscribe:");
    Refusal::new(&["--config", "{dir}/missing.toml", "check"]).names("missing.toml");
}

/// `trailwatch ARGS --help`: its text.
fn help(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn each_command_help_offers_only_the_options_it_takes() {
    let check = help(&["check"]);
    for flag in [
        "--accounts ",
        "--all-controls",
        "--role-name",
        "--region",
        "--history",
    ] {
        assert!(check.contains(flag), "check --help offers {flag}:\n{check}");
    }
    let drill = help(&["drill"]);
    for flag in [
        "--accounts",
        "--all-controls",
        "--role-name",
        "--org",
        "--batch-size",
    ] {
        assert!(!drill.contains(flag), "drill --help hides {flag}:\n{drill}");
    }
    for flag in ["--alarm", "--region", "--control", "--profile"] {
        assert!(drill.contains(flag), "drill --help offers {flag}:\n{drill}");
    }
    let controls = help(&["controls"]);
    for flag in ["--region", "--profile", "--accounts", "--control "] {
        assert!(
            !controls.contains(flag),
            "controls --help hides {flag}:\n{controls}"
        );
    }
    assert!(controls.contains("--output"), "{controls}");
    // No line of help is wider than the 100 columns it was given.
    for text in [&check, &drill, &controls, &help(&["fix"])] {
        let wide: Vec<&str> = text.lines().filter(|l| l.chars().count() > 100).collect();
        assert!(wide.is_empty(), "{wide:#?}");
    }
    // The options a command does not take are refused, not ignored.
    Refusal::new(&["man", "--region", "eu-west-1"]).names("--region");
    Refusal::new(&["policy", "check", "--accounts", ACCOUNTS]).names("--accounts");
}

#[test]
fn the_manual_page_is_roff_with_every_command() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwatch"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page:.200}");
    assert!(page.contains(".TH trailwatch 1"), "{page:.400}");
    for word in ["check", "fix", "drill", "controls", "policy", "Exit codes"] {
        assert!(page.contains(word), "the man page names {word}");
    }
}
