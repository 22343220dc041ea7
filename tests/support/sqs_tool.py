"""A test helper: an SQS queue in the emulator, to prove that a notification reached a subscriber.

    <venv>/bin/python tests/support/sqs_tool.py --endpoint URL create NAME   -> prints the queue ARN
    <venv>/bin/python tests/support/sqs_tool.py --endpoint URL receive NAME  -> prints a JSON list
        of the SNS messages delivered to the queue (the `Subject` and `Message` of each envelope)

Dummy credentials only; moto's default account and us-east-1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("command", choices=["create", "receive"])
    parser.add_argument("name")
    args = parser.parse_args()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=args.endpoint,
        region_name=args.region,
        # TRAILWATCH_SQS_KEY/SECRET: an IAM user's keys (an emulator that enforces IAM).
        aws_access_key_id=os.environ.get("TRAILWATCH_SQS_KEY", "testing"),
        aws_secret_access_key=os.environ.get("TRAILWATCH_SQS_SECRET", "testing"),
    )
    if args.command == "create":
        url = sqs.create_queue(QueueName=args.name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        print(arn["Attributes"]["QueueArn"])
        return 0
    url = sqs.get_queue_url(QueueName=args.name)["QueueUrl"]
    out = []
    for _ in range(3):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            body = json.loads(m["Body"])
            out.append({"Subject": body.get("Subject"), "Message": body.get("Message")})
        if out:
            break
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
