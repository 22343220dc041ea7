//! The gate's rules on small inputs written out here: what the files do not settle is outside
//! them (never a default pass), subscriptions are confirmed only where they would be, and
//! Terraform's `count`, `dynamic`, tfvars and paths into variables are read as Terraform does.

use std::collections::BTreeMap;

use super::{judge, read, Context};
use crate::audit::MatchMode;
use crate::control::Control;
use crate::report::iac::State;

/// Write `files` into a fresh directory, read `input` (a file or the directory) and judge
/// CIS 4.3: each step's state.
fn states(files: &[(&str, &str)], input: Option<&str>, params: &[(&str, &str)]) -> Vec<State> {
    let dir = std::env::temp_dir().join(format!(
        "trailwatch-iac-unit-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let path = match input {
        Some(f) => dir.join(f),
        None => dir.clone(),
    };
    let parameters: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let ctx = Context::new(Some("eu-west-1"), parameters);
    let (d, ctx) = read(path.to_str().unwrap(), &ctx).unwrap();
    let c = Control::builtin("cis-4.3").unwrap();
    let input = judge::input(&[c], &d, &ctx, MatchMode::Strict, false);
    let _ = std::fs::remove_dir_all(&dir);
    input.controls[0].steps.iter().map(|s| s.state).collect()
}

const PATTERN: &str = r#"{$.userIdentity.type=\"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !=\"AwsServiceEvent\"}"#;

/// A whole CIS 4.3 chain in CloudFormation, with `alarm` and `subscription` lines spliced in.
fn template(alarm_extra: &str, subscription: &str, head: &str) -> String {
    format!(
        r#"{head}
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {{LogGroupName: trail}}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      IsMultiRegionTrail: true
      S3BucketName: b
      CloudWatchLogsLogGroupArn: !GetAtt Group.Arn
  Filter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref Group
      FilterName: RootAccountUsage
      FilterPattern: "{PATTERN}"
      MetricTransformations: [{{MetricName: RootAccountUsage, MetricNamespace: CISBenchmark, MetricValue: '1'}}]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: RootAccountUsage
      MetricName: RootAccountUsage
      Namespace: CISBenchmark
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      AlarmActions: [!Ref Topic]
{alarm_extra}
  Topic:
    Type: AWS::SNS::Topic
  Queue:
    Type: AWS::SQS::Queue
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
{subscription}
"#
    )
}

use State::{Awaiting, Fail, NotChecked, Outside, Pass};

#[test]
fn a_whole_chain_passes_and_a_threshold_from_a_parameter_is_outside_not_a_pass() {
    let ok = template(
        "      Threshold: 1",
        "      Endpoint: !GetAtt Queue.Arn",
        "",
    );
    assert_eq!(states(&[("t.yaml", &ok)], Some("t.yaml"), &[]), [Pass; 7]);
    let unsettled = template(
        "      Threshold: !Ref Limit",
        "      Endpoint: !GetAtt Queue.Arn",
        "Parameters: {Limit: {Type: Number}}",
    );
    let s = states(&[("t.yaml", &unsettled)], Some("t.yaml"), &[]);
    assert_eq!(s[4], Outside, "{s:?}");
    // Given, it is judged.
    let s = states(&[("t.yaml", &unsettled)], Some("t.yaml"), &[("Limit", "3")]);
    assert_eq!(s[4], Fail, "{s:?}");
}

#[test]
fn a_resource_under_a_condition_the_files_do_not_settle_is_outside() {
    let t = template(
        "      Threshold: 1\n    Condition: Prod",
        "      Endpoint: !GetAtt Queue.Arn",
        "Parameters: {Env: {Type: String}}\nConditions: {Prod: !Equals [!Ref Env, prod]}",
    );
    let s = states(&[("t.yaml", &t)], Some("t.yaml"), &[]);
    assert_eq!(s[4], Outside, "{s:?}");
    let s = states(&[("t.yaml", &t)], Some("t.yaml"), &[("Env", "dev")]);
    assert_eq!(s[4], Fail, "the alarm is not there in dev: {s:?}");
}

#[test]
fn a_queue_subscription_is_confirmed_only_to_a_declared_queue_or_in_the_given_account() {
    let other = template(
        "      Threshold: 1",
        "      Endpoint: arn:aws:sqs:eu-west-1:999999999999:central",
        "",
    );
    let s = states(&[("t.yaml", &other)], Some("t.yaml"), &[]);
    assert_eq!(s[6], Awaiting, "{s:?}");
    let s = states(
        &[("t.yaml", &other)],
        Some("t.yaml"),
        &[("AWS::AccountId", "111122223333")],
    );
    assert_eq!(s[6], Awaiting, "another account's queue: {s:?}");
    let s = states(
        &[("t.yaml", &other)],
        Some("t.yaml"),
        &[("AWS::AccountId", "999999999999")],
    );
    assert_eq!(s[6], Pass, "{s:?}");
}

#[test]
fn an_aws_managed_key_fails_step_6_without_a_topic_policy() {
    let t = template(
        "      Threshold: 1",
        "      Endpoint: !GetAtt Queue.Arn",
        "",
    )
    .replace(
        "    Type: AWS::SNS::Topic\n",
        "    Type: AWS::SNS::Topic\n    Properties: {KmsMasterKeyId: alias/aws/sns}\n",
    );
    let s = states(&[("t.yaml", &t)], Some("t.yaml"), &[]);
    assert_eq!(s[5..], [Fail, NotChecked], "{s:?}");
}

const TF: &str = r#"
resource "aws_cloudwatch_log_group" "trail" { name = "trail" }
resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  is_multi_region_trail      = true
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
  SELECTORS
}
resource "aws_cloudwatch_log_metric_filter" "root" {
  name           = "RootAccountUsage"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = "PATTERN"
  metric_transformation {
    name      = "RootAccountUsage"
    namespace = "CISBenchmark"
    value     = "1"
  }
}
resource "aws_cloudwatch_metric_alarm" "root" {
  COUNT
  alarm_name          = "RootAccountUsage"
  metric_name         = "RootAccountUsage"
  namespace           = "CISBenchmark"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.alarm.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.t.arn]
}
variable "alarm" { default = { threshold = 1 } }
resource "aws_sns_topic" "t" { name = "t" }
resource "aws_sqs_queue" "q" { name = "q" }
resource "aws_sns_topic_subscription" "s" {
  topic_arn = aws_sns_topic.t.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.q.arn
}
"#;

fn tf(selectors: &str, count: &str) -> String {
    TF.replace("PATTERN", PATTERN)
        .replace("SELECTORS", selectors)
        .replace("COUNT", count)
}

#[test]
fn terraform_reads_paths_into_variables_tfvars_count_and_dynamic_blocks() {
    assert_eq!(states(&[("main.tf", &tf("", ""))], None, &[]), [Pass; 7]);
    // A tfvars file beside the files overrides the default: the threshold is 5.
    let s = states(
        &[
            ("main.tf", &tf("", "")),
            ("terraform.tfvars", "alarm = { threshold = 5 }\n"),
        ],
        None,
        &[],
    );
    assert_eq!(s[4], Fail, "{s:?}");
    // count = 0: the alarm is not there.
    let s = states(&[("main.tf", &tf("", "count = 0"))], None, &[]);
    assert_eq!(s[4], Fail, "{s:?}");
    // A count the files do not settle: outside.
    let s = states(&[("main.tf", &tf("", "count = var.enabled"))], None, &[]);
    assert_eq!(s[4], Outside, "{s:?}");
    // Selectors from a dynamic block: what the trail logs is outside these files.
    let dynamic = "dynamic \"event_selector\" {\n    for_each = var.selectors\n    content { read_write_type = \"WriteOnly\" }\n  }";
    let s = states(&[("main.tf", &tf(dynamic, ""))], None, &[]);
    assert_eq!(s[0], Outside, "{s:?}");
    // A write-only selector fails step 3.
    let write_only = "event_selector {\n    read_write_type = \"WriteOnly\"\n  }";
    let s = states(&[("main.tf", &tf(write_only, ""))], None, &[]);
    assert_eq!(s[2], Fail, "{s:?}");
}

#[test]
fn a_trail_and_a_filter_naming_the_same_unsettled_group_are_judged_together() {
    let t = template(
        "      Threshold: 1",
        "      Endpoint: !GetAtt Queue.Arn",
        "Parameters: {Name: {Type: String}}",
    )
    .replace(
        "CloudWatchLogsLogGroupArn: !GetAtt Group.Arn",
        "CloudWatchLogsLogGroupArn: !Sub 'arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Name}:*'",
    )
    .replace("LogGroupName: !Ref Group", "LogGroupName: !Ref Name");
    // The group is the parameter's, whatever its value: the filter on it is judged.
    assert_eq!(states(&[("t.yaml", &t)], Some("t.yaml"), &[]), [Pass; 7]);
}

#[test]
fn selectors_read_the_same_in_both_formats() {
    let advanced = |category: &str| {
        template(
            "      Threshold: 1",
            "      Endpoint: !GetAtt Queue.Arn",
            "",
        )
        .replace(
            "      S3BucketName: b\n",
            &format!(
                "      S3BucketName: b\n      AdvancedEventSelectors:\n        - Name: only\n          FieldSelectors:\n            - {{Field: eventCategory, Equals: [{category}]}}\n"
            ),
        )
    };
    assert_eq!(
        states(&[("t.yaml", &advanced("Management"))], Some("t.yaml"), &[]),
        [Pass; 7]
    );
    let s = states(&[("t.yaml", &advanced("Data"))], Some("t.yaml"), &[]);
    assert_eq!(s[2], Fail, "{s:?}");
    let basic = template(
        "      Threshold: 1",
        "      Endpoint: !GetAtt Queue.Arn",
        "",
    )
    .replace(
        "      S3BucketName: b\n",
        "      S3BucketName: b\n      EventSelectors: [{ReadWriteType: ReadOnly}]\n",
    );
    let s = states(&[("t.yaml", &basic)], Some("t.yaml"), &[]);
    assert_eq!(s[2], Fail, "{s:?}");
    let tf_advanced = "advanced_event_selector {\n    name = \"only\"\n    field_selector {\n      field  = \"eventCategory\"\n      equals = [\"Management\"]\n    }\n  }";
    assert_eq!(
        states(&[("main.tf", &tf(tf_advanced, ""))], None, &[]),
        [Pass; 7]
    );
    let s = states(
        &[(
            "main.tf",
            &tf(&tf_advanced.replace("Management", "Data"), ""),
        )],
        None,
        &[],
    );
    assert_eq!(s[2], Fail, "{s:?}");
}
