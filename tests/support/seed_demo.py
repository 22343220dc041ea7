"""Seeds the emulator with trailwatch's demo account: a Control Tower-style CloudTrail setup
whose CIS 4.4 (IAM policy changes) monitoring has drifted.

Run with the emulator virtualenv against a running tests/support/emulator.py:

    <venv>/bin/python tests/support/seed_demo.py --endpoint http://127.0.0.1:PORT --region us-east-1

What it creates (dummy credentials `testing`/`testing`; moto's default account 123456789012):
  * an S3 bucket for the trail's logs;
  * a CloudWatch Logs group named like Control Tower's `aws-controltower/CloudTrailLogs-xxxxxx`;
  * the CloudTrail trail `org-management-events`: multi-region, delivering to that group (with a
    role ARN string for CloudTrail -> Logs), logging started;
  * the drift: metric filter `IAMPolicyChanges` on the group with the 11-event pattern some
    vendor pages publish (CIS 4.4 lists 16), metric CISBenchmark/IAMPolicyChanges, value 1;
  * the SQS queue `security-alerts` (a place for an alarm's SNS topic to deliver to).
No alarm and no SNS topic: those are for trailwatch to create.

Running it again against the same emulator reuses what is there (moto would otherwise accept a
duplicate trail and append a duplicate metric filter). Prints a few lines; the last one is
`SQS_QUEUE_ARN=<arn>`.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys

TRAIL_NAME = "org-management-events"
LOG_GROUP_PREFIX = "aws-controltower/CloudTrailLogs-"
FILTER_NAME = "IAMPolicyChanges"
METRIC_NAME = "IAMPolicyChanges"
METRIC_NAMESPACE = "CISBenchmark"
QUEUE_NAME = "security-alerts"
# The drift: 11 of the 16 events CIS 4.4 lists (plans/cis-4.4-iam-policy-changes.toml), as some
# vendor pages publish it: DetachRolePolicy and the Attach/Detach User/Group policy events missing.
DRIFTED_PATTERN = (
    "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
    "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||"
    "($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
    "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
    "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||"
    "($.eventName=AttachRolePolicy)}"
)


def use_dummy_credentials() -> None:
    """Never let a real profile or key near the emulator."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the emulator's URL")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--suffix",
        help="the log group's 6-character suffix (default: random lowercase letters)",
    )
    args = parser.parse_args(argv)

    use_dummy_credentials()
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=args.region,
    )

    def client(name: str):  # type: ignore[no-untyped-def]
        return session.client(name, endpoint_url=args.endpoint)

    account = client("sts").get_caller_identity()["Account"]
    region = args.region

    # S3 bucket for the trail.
    s3 = client("s3")
    bucket = f"aws-controltower-logs-{account}-{region}"
    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing_buckets:
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
            )
    print(f"S3 bucket:        {bucket}")

    # The Control Tower-style log group.
    logs = client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=LOG_GROUP_PREFIX).get("logGroups", [])
    if groups:
        log_group = groups[0]["logGroupName"]
    else:
        suffix = args.suffix or "".join(random.choices(string.ascii_lowercase, k=6))
        log_group = LOG_GROUP_PREFIX + suffix
        logs.create_log_group(logGroupName=log_group)
    log_group_arn = f"arn:aws:logs:{region}:{account}:log-group:{log_group}:*"
    print(f"log group:        {log_group}")

    # The trail, delivering to the group, logging.
    cloudtrail = client("cloudtrail")
    role_arn = f"arn:aws:iam::{account}:role/aws-controltower-CloudWatchLogsRole"
    trails = cloudtrail.describe_trails(includeShadowTrails=False).get("trailList", [])
    if not any(t.get("Name") == TRAIL_NAME for t in trails):
        cloudtrail.create_trail(
            Name=TRAIL_NAME,
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            CloudWatchLogsLogGroupArn=log_group_arn,
            CloudWatchLogsRoleArn=role_arn,
        )
    cloudtrail.start_logging(Name=TRAIL_NAME)
    trail = cloudtrail.get_trail(Name=TRAIL_NAME)["Trail"]
    logging = cloudtrail.get_trail_status(Name=TRAIL_NAME)["IsLogging"]
    print(
        f"CloudTrail trail: {trail['Name']} (multi-region={trail['IsMultiRegionTrail']}, "
        f"logging={logging}) -> {trail['CloudWatchLogsLogGroupArn']}"
    )

    # The drift: an 11-event metric filter.
    filters = logs.describe_metric_filters(
        logGroupName=log_group, filterNamePrefix=FILTER_NAME
    ).get("metricFilters", [])
    if not any(f["filterName"] == FILTER_NAME for f in filters):
        logs.put_metric_filter(
            logGroupName=log_group,
            filterName=FILTER_NAME,
            filterPattern=DRIFTED_PATTERN,
            metricTransformations=[
                {
                    "metricName": METRIC_NAME,
                    "metricNamespace": METRIC_NAMESPACE,
                    "metricValue": "1",
                }
            ],
        )
    print(
        f"metric filter:    {FILTER_NAME} -> {METRIC_NAMESPACE}/{METRIC_NAME} "
        "(drifted: 11 of the 16 CIS 4.4 events)"
    )
    print("alarm, SNS topic: none")

    # A queue an alarm topic can deliver to.
    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE_NAME)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    print(f"SQS queue:        {queue_url}")
    print(f"SQS_QUEUE_ARN={queue_arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
