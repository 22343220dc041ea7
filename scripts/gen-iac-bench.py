#!/usr/bin/env python3
"""Write a large CloudFormation YAML template to time `trailwatch iac` on.

The template holds exactly N resources (default 5000):
  - one shared alarm path: an SNS topic, its topic policy (cloudwatch.amazonaws.com may publish),
    an SQS queue, its queue policy and the topic's SQS subscription;
  - one multi-region trail (with its S3 bucket, bucket policy and CloudWatch Logs role) writing
    to the first log group;
  - then log groups, each followed by a metric filter and an alarm for every one of the fifteen
    CIS 4.x controls (31 resources a group). Only the first group has a trail; the others are
    trail-less chains. The last group is cut short to make the count exact.

Filter patterns, metric names, namespace and alarm settings are read from plans/*.toml (the
first accepted spelling, or the pattern built from `events` the way trailwatch builds it).
Short-form tags (!Ref, !GetAtt, !Sub) throughout.

Note: CloudFormation deploys at most 500 resources per template; this file is for parsing and
judging speed, not for deploying above that.

Usage: scripts/gen-iac-bench.py [--resources N] [--out PATH] [--check]
Standard library only (--check uses PyYAML when it is installed).
"""

import argparse
import pathlib
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXED = 9  # topic, topic policy, queue, queue policy, subscription, bucket, bucket policy, role, trail
PER_GROUP = 31  # log group + 15 filters + 15 alarms


def control_key(path):
    # cis-4.10 after cis-4.9: sort on the number, not the text.
    number = path.name.split("-")[1]
    major, minor = number.split(".")
    return (int(major), int(minor))


def load_controls(plans):
    controls = []
    for path in sorted(plans.glob("cis-*.toml"), key=control_key):
        with open(path, "rb") as f:
            spec = tomllib.load(f)
        if spec.get("events"):
            pattern = "{" + "||".join(f"($.eventName={e})" for e in spec["events"]) + "}"
        else:
            pattern = spec["accepted"][0] if spec.get("accepted") else spec["pattern"]
        controls.append({
            "id": spec["id"],
            "logical": spec["filter"]["name"],
            "pattern": pattern,
            "metric": spec["filter"]["metric_name"],
            "namespace": spec["filter"]["namespace"],
            "value": spec["filter"]["metric_value"],
            "alarm": spec["alarm"],
        })
    return controls


def quote(text):
    """A YAML single-quoted scalar."""
    return "'" + text.replace("'", "''") + "'"


def number(x):
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def fixed_resources():
    return """  AlarmTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '${AWS::StackName}-cis-benchmark-alarms'

  AlarmTopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics:
        - !Ref AlarmTopic
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: AllowCloudWatchAlarms
            Effect: Allow
            Principal:
              Service: cloudwatch.amazonaws.com
            Action: sns:Publish
            Resource: !Ref AlarmTopic

  AlertQueue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: true

  AlertQueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues:
        - !Ref AlertQueue
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: sns.amazonaws.com
            Action: sqs:SendMessage
            Resource: !GetAtt AlertQueue.Arn
            Condition:
              ArnEquals:
                aws:SourceArn: !Ref AlarmTopic

  AlertQueueSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref AlarmTopic
      Protocol: sqs
      Endpoint: !GetAtt AlertQueue.Arn

  TrailBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain

  TrailBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref TrailBucket
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: AWSCloudTrailAclCheck
            Effect: Allow
            Principal:
              Service: cloudtrail.amazonaws.com
            Action: s3:GetBucketAcl
            Resource: !GetAtt TrailBucket.Arn
          - Sid: AWSCloudTrailWrite
            Effect: Allow
            Principal:
              Service: cloudtrail.amazonaws.com
            Action: s3:PutObject
            Resource: !Sub '${TrailBucket.Arn}/AWSLogs/${AWS::AccountId}/*'
            Condition:
              StringEquals:
                s3:x-amz-acl: bucket-owner-full-control

  TrailRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: cloudtrail.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: cloudtrail-to-cloudwatch-logs
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action:
                  - logs:CreateLogStream
                  - logs:PutLogEvents
                Resource: !GetAtt LogGroup0001.Arn

  Trail:
    Type: AWS::CloudTrail::Trail
    DependsOn: TrailBucketPolicy
    Properties:
      IsLogging: true
      IsMultiRegionTrail: true
      IncludeGlobalServiceEvents: true
      EnableLogFileValidation: true
      S3BucketName: !Ref TrailBucket
      CloudWatchLogsLogGroupArn: !GetAtt LogGroup0001.Arn
      CloudWatchLogsRoleArn: !GetAtt TrailRole.Arn
"""


def log_group(g):
    return f"""  LogGroup{g:04d}:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub '${{AWS::StackName}}-cloudtrail-{g:04d}'
      RetentionInDays: 365
"""


def metric_filter(g, c):
    return f"""  {c['logical']}Filter{g:04d}:
    Type: AWS::Logs::MetricFilter
    Properties:
      FilterName: {c['logical']}
      LogGroupName: !Ref LogGroup{g:04d}
      FilterPattern: {quote(c['pattern'])}
      MetricTransformations:
        - MetricName: {c['metric']}
          MetricNamespace: {c['namespace']}
          MetricValue: {quote(c['value'])}
"""


def alarm(g, c):
    a = c["alarm"]
    return f"""  {c['logical']}Alarm{g:04d}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub '{a['name']}-{g:04d}-${{AWS::StackName}}'
      AlarmDescription: {quote(a['description'].replace(' (managed by trailwatch)', ''))}
      MetricName: {c['metric']}
      Namespace: {c['namespace']}
      Statistic: {a['statistic']}
      Period: {a['period']}
      EvaluationPeriods: {a['evaluation_periods']}
      Threshold: {number(a['threshold'])}
      ComparisonOperator: {a['comparison_operator']}
      TreatMissingData: {a['treat_missing_data']}
      AlarmActions:
        - !Ref AlarmTopic
"""


def generate(n, controls):
    if n < FIXED + 1:
        raise SystemExit(f"--resources must be at least {FIXED + 1} (the shared resources and one log group)")
    parts = [fixed_resources()]
    count = FIXED
    groups = filters = alarms = 0
    g = 0
    while count < n:
        g += 1
        parts.append(log_group(g))
        count += 1
        groups += 1
        for c in controls:
            if count < n:
                parts.append(metric_filter(g, c))
                count += 1
                filters += 1
            if count < n:
                parts.append(alarm(g, c))
                count += 1
                alarms += 1
    header = (
        f"# Generated by scripts/gen-iac-bench.py --resources {n}: a benchmark input for `trailwatch iac`.\n"
        f"# {n} resources: {groups} log groups (the first behind a multi-region trail), {filters} metric\n"
        f"# filters, {alarms} alarms, one SNS topic with an SQS subscription. Above 500 resources it is\n"
        "# not deployable (CloudFormation's per-template quota); it is for parsing and judging speed.\n"
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        f"Description: trailwatch iac benchmark, {groups} CIS monitoring chains\n"
        "\nResources:\n"
    )
    return header + "\n".join(parts), count, groups, filters, alarms


def check(text, expected):
    try:
        import yaml
    except ImportError:
        print("PyYAML not installed: --check skipped", file=sys.stderr)
        return

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {suffix: value}

    Loader.add_multi_constructor("!", tagged)
    doc = yaml.load(text, Loader=Loader)
    resources = doc["Resources"]
    assert len(resources) == expected, (len(resources), expected)
    for logical, res in resources.items():
        for key, value in (res.get("Properties") or {}).items():
            if isinstance(value, dict) and "Ref" in value:
                target = value["Ref"]
                assert target in resources or target.startswith("AWS::"), (logical, key, target)
    print(f"checked: YAML parses, {len(resources)} resources", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=5000, help="resources to write (default 5000)")
    ap.add_argument("--out", default=str(ROOT / "target" / "iac-bench" / "bench.yaml"),
                    help="where to write the template (default target/iac-bench/bench.yaml)")
    ap.add_argument("--plans", default=str(ROOT / "plans"), help="control specs (default plans/)")
    ap.add_argument("--check", action="store_true", help="parse the result back with PyYAML")
    args = ap.parse_args()

    controls = load_controls(pathlib.Path(args.plans))
    if len(controls) != 15:
        raise SystemExit(f"expected the fifteen CIS 4.x control specs in {args.plans}, found {len(controls)}")
    text, count, groups, filters, alarms = generate(args.resources, controls)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {count} resources ({groups} log groups, {filters} metric filters, {alarms} alarms, "
          f"{FIXED} shared) to {out}")
    if args.check:
        check(text, count)


if __name__ == "__main__":
    main()
