//! Fleet mode, first slice: `check` across accounts by assumed role in the emulator, which acts
//! in the role's account with the keys AssumeRole returns (moto isolates accounts' state).

mod support;

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
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
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
            (C, "drift"),
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
        serde_json::json!({"targets": 4, "compliant": 1, "drift": 2, "error": 1})
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
        r.stdout
            .contains("Fleet: 2 target(s): 1 compliant, 1 drift, 0 error"),
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
        (
            vec!["--accounts", "111111111111", "fix", "--plan"],
            "check` only",
        ),
        (vec!["--regions", "us-east-1", "check"], "--accounts"),
    ] {
        let mut argv = vec!["--region", REGION];
        argv.extend(args.iter().copied());
        let r = emu.run(&argv);
        assert_eq!(r.code, 1, "{argv:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{argv:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{argv:?}: {}", r.stderr);
    }
}
