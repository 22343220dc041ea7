"""Imports trailwatch's ASFF findings into the emulator's Security Hub the way a runbook would
(`aws securityhub batch-import-findings`), through botocore, which checks every finding against
the service model (required fields, types) before sending; enables Security Hub; and lists what
Security Hub holds.

    <venv>/bin/python tests/support/securityhub_tool.py --endpoint URL [--account ID] enable
    <venv>/bin/python tests/support/securityhub_tool.py --endpoint URL [--account ID] import FILE
    <venv>/bin/python tests/support/securityhub_tool.py --endpoint URL [--account ID] list
    <venv>/bin/python tests/support/securityhub_tool.py --endpoint URL [--account ID] notes

Without --account it acts in the default account (the emulator's, for the dummy keys); --account
reaches another account through its OrganizationAccountAccessRole, as change_tool.py does (moto
keeps each account's state apart). The emulator refuses an import into an account where Security
Hub is not enabled (InvalidAccessException, as AWS does): run `enable` there first.

Every command prints one line, a tag and then words (the tests split it on whitespace and skip
the tag):

- enable prints "ENABLED <account or default>";
- import prints "IMPORTED <success count> <failed count> <calls>";
- list prints "FINDINGS" and one "<Id>=<Compliance.Status>/<Workflow.Status>" per finding held
  ("-" for a status the finding does not have), sorted;
- notes prints "NOTES" and one "<Id>=<Note.Text>" per finding held that has a note, sorted,
  every white-space character of the note replaced by "_" so the line splits on whitespace.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import change_tool  # a sibling in tests/support: how a test reaches another account

WHITE_SPACE = re.compile(r"\s")


def client(endpoint: str, account: str | None):  # type: ignore[no-untyped-def]
    """A Security Hub client in the default account, or in `account` as its
    OrganizationAccountAccessRole."""
    return change_tool.client(endpoint, "securityhub", account, session="securityhub-tool")


def held(hub) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every finding Security Hub holds."""
    return [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--account")
    parser.add_argument("command", choices=["enable", "import", "list", "notes"])
    parser.add_argument("file", nargs="?")
    a = parser.parse_args()
    hub = client(a.endpoint, a.account)
    if a.command == "enable":
        hub.enable_security_hub()
        print(f"ENABLED {a.account or 'default'}")
        return 0
    if a.command == "import":
        if not a.file:
            parser.error("import needs a FILE")
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
    if a.command == "notes":
        notes = [
            f"{f['Id']}={WHITE_SPACE.sub('_', f['Note']['Text'])}"
            for f in held(hub)
            if (f.get("Note") or {}).get("Text") is not None
        ]
        print(" ".join(["NOTES", *sorted(notes)]))
        return 0
    findings = [
        f"{f['Id']}={(f.get('Compliance') or {}).get('Status', '-')}"
        f"/{(f.get('Workflow') or {}).get('Status', '-')}"
        for f in held(hub)
    ]
    print(" ".join(["FINDINGS", *sorted(findings)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
