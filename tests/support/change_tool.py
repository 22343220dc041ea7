"""Changes one account in the emulator, as someone else would between a plan and its writes
(the tests run it from tty_run.py's --before-answer, while trailwatch waits for its answer).

    <venv>/bin/python tests/support/change_tool.py --endpoint URL [--account ID] \
        put-filter GROUP NAME PATTERN METRIC

--account reaches another account through its OrganizationAccountAccessRole (moto keeps each
account's state apart). Prints "CHANGED <what>".
"""

from __future__ import annotations

import argparse
import sys

import boto3

REGION = "us-east-1"


def client(endpoint: str, service: str, account: str | None, session: str = "someone-else"):
    """A client of `service` in the default account, or in `account` as its
    OrganizationAccountAccessRole (also what securityhub_tool.py reaches accounts with)."""
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if account:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, **creds)
        c = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName=session,
        )["Credentials"]
        creds = {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **creds)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--account")
    parser.add_argument("command", choices=["put-filter"])
    parser.add_argument("args", nargs="*")
    a = parser.parse_args()
    group, name, pattern, metric = a.args
    client(a.endpoint, "logs", a.account).put_metric_filter(
        logGroupName=group,
        filterName=name,
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    print(f"CHANGED filter {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
