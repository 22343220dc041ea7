"""Imports trailwatch's ASFF findings into the emulator's Security Hub the way a runbook would
(`aws securityhub batch-import-findings`), through botocore, which checks every finding against
the service model (required fields, types) before sending; and lists what Security Hub holds.

    <venv>/bin/python tests/support/securityhub_tool.py --endpoint URL import FILE
    <venv>/bin/python tests/support/securityhub_tool.py --endpoint URL list

import prints "IMPORTED <success count> <failed count> <calls>"; list prints "FINDINGS" and one
"<Id>=<Compliance.Status>" per finding held, sorted.
"""

from __future__ import annotations

import argparse
import json
import sys

import boto3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("command", choices=["import", "list"])
    parser.add_argument("file", nargs="?")
    a = parser.parse_args()
    hub = boto3.client(
        "securityhub",
        endpoint_url=a.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if a.command == "import":
        with open(a.file, encoding="utf-8") as f:
            findings = json.load(f)
        ok = failed = calls = 0
        # At most 100 findings per call, as the API takes them.
        for i in range(0, len(findings), 100):
            out = hub.batch_import_findings(Findings=findings[i : i + 100])
            ok += out["SuccessCount"]
            failed += out["FailedCount"]
            calls += 1
        print(f"IMPORTED {ok} {failed} {calls}")
        return 0
    held = []
    for page in hub.get_paginator("get_findings").paginate():
        for f in page["Findings"]:
            held.append(f"{f['Id']}={f.get('Compliance', {}).get('Status', '-')}")
    print("FINDINGS " + " ".join(sorted(held)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
