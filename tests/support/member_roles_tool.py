"""Deploys policies/member-roles.yaml into a member account of a running emulator, as a fleet
would (a stack in the member), for trailwatch's fleet test through the template's roles.

    <venv>/bin/python tests/support/member_roles_tool.py --endpoint URL --account ID \
        --principal ARN [--external-id ID]

Acts in the member by assuming its OrganizationAccountAccessRole (moto lets any role be assumed),
creates the stack `trailwatch-member-roles`, and prints `ROLES <read role ARN> <write role ARN>`
from the stack's outputs. Exits non-zero if the stack is not CREATE_COMPLETE.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / "policies" / "member-roles.yaml"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--principal", required=True)
    p.add_argument("--external-id", default="")
    p.add_argument("--region", default="us-east-1")
    a = p.parse_args()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    import boto3

    def client(service: str, creds: dict | None = None):  # type: ignore[no-untyped-def]
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if creds:
            keys = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        return boto3.client(service, endpoint_url=a.endpoint, region_name=a.region, **keys)

    creds = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{a.account}:role/OrganizationAccountAccessRole",
        RoleSessionName="deploy-member-roles",
    )["Credentials"]
    cfn = client("cloudformation", creds)
    params = [{"ParameterKey": "TrustedPrincipalArn", "ParameterValue": a.principal}]
    if a.external_id:
        params.append({"ParameterKey": "ExternalId", "ParameterValue": a.external_id})
    cfn.create_stack(
        StackName="trailwatch-member-roles",
        TemplateBody=TEMPLATE.read_text(),
        Parameters=params,
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = cfn.describe_stacks(StackName="trailwatch-member-roles")["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        print(f"stack {stack['StackStatus']}: {stack.get('StackStatusReason')}", file=sys.stderr)
        return 1
    out = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    print("ROLES", out["ReadRoleArn"], out["WriteRoleArn"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
