"""Seeds the emulator with a fleet of member accounts for trailwatch's fleet mode (demo and
benchmark).

Run with the emulator virtualenv against a running tests/support/emulator.py:

    <venv>/bin/python tests/support/seed_fleet.py --endpoint http://127.0.0.1:PORT \
        --count 10 [--blocked 1] [--accounts-file PATH] [--threads 8]

Each account is reached as trailwatch reaches it: AssumeRole of
``arn:aws:iam::<id>:role/OrganizationAccountAccessRole`` (moto acts in the role's account with
the keys it returns). Account ids are 100000000001, 100000000002, ... Every account but the last
``--blocked`` gets what trailwatch needs and does not create: an S3 bucket, a Control Tower-style
log group and a multi-region trail delivering to it, logging. No filter, alarm or topic (drift).
The last ``--blocked`` accounts get nothing (no trail: trailwatch reports them blocked).

With ``--accounts-file`` it writes the accounts file fleet mode reads: one ``ID [LABEL]`` line per
account, the first labelled ``production``, the second ``staging``, then ``sandbox``.
Prints one line per 100 accounts and a last line ``ACCOUNTS=<comma-separated ids>``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys

FIRST_ID = 100000000001
LOG_GROUP = "aws-controltower/CloudTrailLogs-fleet"
TRAIL = "aws-controltower-BaselineCloudTrail"


def use_dummy_credentials() -> None:
    """Never let a real profile or key near the emulator."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


def seed(endpoint: str, region: str, account: str, with_trail: bool) -> None:
    import boto3

    sts = boto3.client(
        "sts", region_name=region, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="seed-fleet",
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
    if not with_trail:
        return
    bucket = f"aws-controltower-logs-{account}-{region}"
    session.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    logs = session.client("logs", endpoint_url=endpoint)
    logs.create_log_group(logGroupName=LOG_GROUP)
    cloudtrail = session.client("cloudtrail", endpoint_url=endpoint)
    cloudtrail.create_trail(
        Name=TRAIL,
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/aws-controltower-CloudWatchLogsRole",
    )
    cloudtrail.start_logging(Name=TRAIL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--blocked", type=int, default=0)
    parser.add_argument("--accounts-file")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    use_dummy_credentials()

    ids = [str(FIRST_ID + i) for i in range(args.count)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        jobs = [
            pool.submit(seed, args.endpoint, args.region, a, i < args.count - args.blocked)
            for i, a in enumerate(ids)
        ]
        for n, job in enumerate(jobs, 1):
            job.result()
            if n % 100 == 0:
                print(f"seeded {n} accounts", flush=True)
    if args.accounts_file:
        labels = ["production", "staging"]
        with open(args.accounts_file, "w", encoding="utf-8") as out:
            out.write("# trailwatch fleet (seeded by tests/support/seed_fleet.py)\n")
            for i, a in enumerate(ids):
                out.write(f"{a} {labels[i] if i < len(labels) else 'sandbox'}\n")
    print(f"ACCOUNTS={','.join(ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
