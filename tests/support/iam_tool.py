"""A test helper for least-privilege tests: users in an emulator started with IAM enforcement
(`INITIAL_NO_AUTH_ACTION_COUNT`), holding only the policies given.

    <venv>/bin/python tests/support/iam_tool.py --endpoint URL bootstrap
        -> creates the trail's S3 bucket and an admin user in the free (unchecked) requests;
           prints `ADMIN <key> <secret>`. Must be the first requests the emulator receives.
    <venv>/bin/python tests/support/iam_tool.py --endpoint URL --admin KEY SECRET user NAME
            [--without ACTION]... POLICY.json...
        -> creates user NAME with the policies' statements (minus the actions given with
           --without) as one inline policy; prints `USER <key> <secret>`.
    <venv>/bin/python tests/support/iam_tool.py --endpoint URL --admin KEY SECRET member ACCOUNT
            POLICY.json...
        -> a member account for fleet mode: as the admin, assumes
           `arn:aws:iam::ACCOUNT:role/OrganizationAccountAccessRole`, creates that role in
           ACCOUNT (trusting the admin's account) with a temporary allow-all policy, seeds a
           logging multi-region trail into a log group there, then leaves the role holding only
           the policies given. The assume, CreateRole and first PutRolePolicy must be free
           requests (start the emulator with INITIAL_NO_AUTH_ACTION_COUNT = 4 + 3). With
           `--write-role NAME --write-policy FILE...` it also creates role NAME holding those
           policies (for separate read and write roles). Prints `MEMBER <account>`.

Emulator-only adjustments, nothing else: moto names CloudWatch actions by the signing name
(`monitoring:<Op>`), AWS by `cloudwatch:<Op>`, so every `cloudwatch:` action is granted under both
names (and removed under both with --without); and moto authorises against the resource `*`, so
each statement's resources become `*` (conditions are kept).
"""

from __future__ import annotations

import argparse
import json
import sys

BUCKET = "org-trail-trail-bucket"
FREE_REQUESTS = 4  # CreateBucket, CreateUser, PutUserPolicy, CreateAccessKey


def client(service: str, endpoint: str, key: str, secret: str):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def emulator_policy(paths: list[str], without: list[str]) -> dict:
    """The statements of the policy files, cloudwatch actions also under moto's name."""
    drop = set(without) | {w.replace("cloudwatch:", "monitoring:") for w in without}
    statements = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for s in doc["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            actions = [a for a in actions if a not in drop]
            actions += [a.replace("cloudwatch:", "monitoring:") for a in actions if a.startswith("cloudwatch:")]
            if not actions:
                continue
            # moto authorises every request against the resource "*" (it does not build the
            # resources' ARNs): the emulator copy grants the same actions on "*". Resource
            # scoping is checked on the policy files themselves (tests/least_privilege.rs).
            s = dict(s, Action=actions, Resource="*")
            statements.append(s)
    return {"Version": "2012-10-17", "Statement": statements}


ROLE = "OrganizationAccountAccessRole"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def member(
    endpoint: str, admin: list[str], account: str, policies: list[str],
    write_role: str | None = None, write_policies: list[str] | None = None,
) -> int:
    """The `member` command (see the module docstring)."""
    import boto3

    creds = client("sts", endpoint, *admin).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="iam-tool"
    )["Credentials"]

    def there(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(
            service, endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    admin_account = client("sts", endpoint, *admin).get_caller_identity()["Account"]
    iam = there("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{admin_account}:root"},
        "Action": "sts:AssumeRole",
    }]}
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=ROLE, PolicyName="seed", PolicyDocument=json.dumps(ALLOW_ALL))
    bucket = f"trail-{account}"
    there("s3").create_bucket(Bucket=bucket)
    group = "aws-controltower/CloudTrailLogs-member"
    there("logs").create_log_group(logGroupName=group)
    cloudtrail = there("cloudtrail")
    cloudtrail.create_trail(
        Name="org-trail", S3BucketName=bucket, IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{account}:log-group:{group}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/CloudTrailToLogs",
    )
    cloudtrail.start_logging(Name="org-trail")
    if write_role:
        # A second role for the writes (made while the seed policy still allows it: 2 requests
        # more, checked, so give this member last).
        iam.create_role(RoleName=write_role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName=write_role, PolicyName="trailwatch",
            PolicyDocument=json.dumps(emulator_policy(write_policies or [], [])),
        )
    iam.put_role_policy(
        RoleName=ROLE, PolicyName="trailwatch",
        PolicyDocument=json.dumps(emulator_policy(policies, [])),
    )
    iam.delete_role_policy(RoleName=ROLE, PolicyName="seed")
    print("MEMBER", account)
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--admin", nargs=2, metavar=("KEY", "SECRET"))
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("bootstrap")
    u = sub.add_parser("user")
    u.add_argument("name")
    u.add_argument("--without", action="append", default=[])
    u.add_argument("policies", nargs="+")
    m = sub.add_parser("member")
    m.add_argument("account")
    m.add_argument("policies", nargs="+")
    m.add_argument("--write-role", help="also create this role, holding --write-policy files")
    m.add_argument("--write-policy", action="append", default=[])
    a = p.parse_args()
    if a.cmd == "member":
        return member(
            a.endpoint, a.admin, a.account, a.policies, a.write_role, a.write_policy
        )
    if a.cmd == "bootstrap":
        s3 = client("s3", a.endpoint, "testing", "testing")
        s3.create_bucket(Bucket=BUCKET)
        iam = client("iam", a.endpoint, "testing", "testing")
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin",
            PolicyName="admin",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        k = iam.create_access_key(UserName="admin")["AccessKey"]
        print("ADMIN", k["AccessKeyId"], k["SecretAccessKey"])
        return 0
    iam = client("iam", a.endpoint, *a.admin)
    iam.create_user(UserName=a.name)
    iam.put_user_policy(
        UserName=a.name,
        PolicyName="trailwatch",
        PolicyDocument=json.dumps(emulator_policy(a.policies, a.without)),
    )
    k = iam.create_access_key(UserName=a.name)["AccessKey"]
    print("USER", k["AccessKeyId"], k["SecretAccessKey"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
