"""Self-check of tests/support/emulator.py: the CloudWatch CBOR adapter, the request log and
the process lifecycle, exercised the way the Rust SDK (Smithy RPC v2 CBOR) talks to it.

Run with the emulator virtualenv (scripts/setup-emulator):

    <venv>/bin/python tests/support/check_adapter.py

It starts emulator.py as a subprocess, waits for its READY line, sends hand-built CBOR requests
with a dummy SigV4-shaped Authorization header, checks statuses, headers and CBOR typing
(timestamps as tag 1, doubles as floats), the request log, a pass-through awsQuery call, a boto3
(botocore speaks CBOR to CloudWatch too) round trip, the CloudWatch Logs fixes (awsJson1_1
requests: a re-put filter replaces the old one, ResourceNotFoundException for a missing log
group, DeleteLogGroup takes its filters along, inner requests stay out of the request log),
injected faults (awsJson, awsQuery XML and CBOR errors after `skip` passing calls, for `times`
calls, still logged, cleared by faults/reset only), lost answers (`"lost": true`: sns
CreateTopic, SetTopicAttributes, Subscribe, TagResource, logs PutMetricFilter and CloudWatch
CBOR PutMetricAlarm, TagResource land in moto while the caller gets the fault's error, seen by
boto3 without retries, and with retries the retry succeeds; `lost_status` for a write moto
refused; a stall holds such a request first), seeded chaos (throttle/500/503 in each protocol's
form and as boto3 sees them, the same faults on a replay with the same seed, chaos/reset),
stalls (a held call waits ~1.5s before moto gets it while others go through; stall/reset wakes a
held call, which then succeeds), the log fields `reached`, `fault` and `stalled`, and answer
overrides (cloudtrail GetTrailStatus through boto3), organization trails listed and read in
member accounts only, Organizations listings refused as AWS refuses them, sts AssumeRole's
RoleArn, RoleSessionName, SourceIdentity and whether an ExternalId was sent in the request log
(never its value), SNS subscriptions pending confirmation (email/https `pending confirmation`,
listed as `PendingConfirmation`, ReturnSubscriptionArn, no second subscription when subscribing
again or concurrently, sqs confirmed at once, GetTopicAttributes counts, no Publish to a pending
http receiver, another account, sns/confirm by endpoint, by topic and all, its bad bodies,
sns/pending, and TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE=1 on a second instance), CloudWatch alarm
actions and history (SetAlarmState to ALARM publishes the alarm notification to the alarm's SNS
topic, received by an SQS subscriber, and DescribeAlarmHistory lists the Action item (Succeeded,
notificationResource, publishedMessage) and the StateUpdate item newest first; HistoryItemType,
AlarmName, AlarmTypes, StartDate/EndDate and ScanBy; the same state again runs nothing, OK runs
OKActions, a Lambda action is recorded only; a topic that does not exist gives a Failed item with
its error; ActionsEnabled=false gives the StateUpdate item only; MaxRecords 1 pages through every
item, also with newer items arriving, the boto3 paginator, bad MaxRecords/NextToken -> 400;
per account and region; awsJson1_0 and awsQuery; requests/reset keeps it, alarm-history/reset
clears it; 8 concurrent SetAlarmState calls record one change; a lost SetAlarmState lands with
its actions; under IAM enforcement DescribeAlarmHistory still needs its permission), Security
Hub (BatchImportFindings and BatchUpdateFindings without Security Hub enabled -> 401
InvalidAccessException in moto's restJson error shape, in the default account and another one;
after EnableSecurityHub through securityhub_tool.py, an import stores the account's own findings
while another account's default-product finding, or one naming another AwsAccountId, lands in
FailedFindings, a re-import updates in place, 0 or 101 findings -> InvalidInputException, the
tool's enable/import/list with --account; BatchUpdateFindings sets Workflow, WorkflowState, Note
and Severity, lists an unknown Id as FindingNotFound, answers the Rust SDK's PATCH
/findings/batchupdate, refuses a Note without UpdatedBy, a long Note, a bad Workflow.Status and 0
or 101 identifiers with InvalidInputException, the tool's list and notes, a fault in the restJson
shape logged as BatchUpdateFindings), under IAM
enforcement (an instance started with INITIAL_NO_AUTH_ACTION_COUNT=4, users made by iam_tool.py)
an sns Publish whose Subject and Message hold spaces, brackets, newlines and non-ASCII, encoded
as the Rust SDK encodes it (`%20`) and signed with botocore, passes and is delivered as sent,
while a wrong secret, a body changed after signing, a signature over moto's `+` encoding, a bad
session token and a call the policy does not allow are still refused, unimplemented calls
answered as HTTP 500 with a quiet stderr (and tracebacks with TRAILWATCH_EMULATOR_VERBOSE=1, on
a second instance), then closes the emulator's stdin and checks it exits; another instance
checks SIGTERM. Prints `N passed, M failed`; exits non-zero on any failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
import xml.etree.ElementTree as ET
from typing import Any, Callable

import cbor2

HERE = Path(__file__).resolve().parent
EMULATOR = HERE / "emulator.py"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
LOGS_AUTH = AUTH.replace("/monitoring/", "/logs/")
SERVICE_ID = "GraniteServiceVersion20100801"
ALARM = "trailwatch-check-iam-policy-changes"
LOG_GROUP = "trailwatch-check/CloudTrailLogs"
MISSING_GROUP = "trailwatch-check/no-such-group"
LOG_GROUP_MISSING = {
    "__type": "ResourceNotFoundException",
    "message": "The specified log group does not exist.",
}
TRANSFORMATIONS = [
    {"metricName": "IAMPolicyChanges", "metricNamespace": "CISBenchmark", "metricValue": "1"}
]


class Tag1:
    """A CBOR tag-1 (epoch seconds) value, kept distinct from other numbers when decoding."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Tag1({self.value!r})"


def decode(body: bytes) -> Any:
    return cbor2.loads(body, semantic_decoders={1: lambda value, *_: Tag1(value)})


class Emulator:
    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Start an emulator; `env`: extra environment variables (on top of a default one
        without TRAILWATCH_EMULATOR_VERBOSE and TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE)."""
        self.stderr = tempfile.TemporaryFile()
        environment = {
            k: v for k, v in os.environ.items()
            if k not in ("TRAILWATCH_EMULATOR_VERBOSE", "TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE")
        }
        environment.update(env or {})
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--port", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=environment,
        )
        line = self.proc.stdout.readline().decode()
        self.ready_seconds = time.monotonic() - started
        self.ready_line = line
        if not line.startswith("TRAILWATCH_EMULATOR_READY http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"no READY line, got {line!r}; stderr: {self.stderr_text()}")
        self.url = line.split()[1]

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def cbor(self, operation: str, params: dict[str, Any] | None) -> tuple[int, dict[str, str], Any]:
        body = b"" if params is None else cbor2.dumps(params)
        headers = {
            "Authorization": AUTH,
            "smithy-protocol": "rpc-v2-cbor",
            "Accept": "application/cbor",
            "X-Amz-Date": "20260101T000000Z",
        }
        if params is not None:
            headers["Content-Type"] = "application/cbor"
        status, resp_headers, raw = self.request(
            "POST", f"/service/{SERVICE_ID}/operation/{operation}", body, headers
        )
        expect(int(resp_headers.get("content-length", -1)) == len(raw), "Content-Length")
        return status, resp_headers, decode(raw) if raw else None

    def logs(self, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        """A CloudWatch Logs (awsJson1_1) call: (status, headers, decoded JSON body or None)."""
        status, headers, raw = self.request(
            "POST",
            "/",
            json.dumps(params).encode("utf-8"),
            {
                "Authorization": LOGS_AUTH,
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"Logs_20140328.{operation}",
                "X-Amz-Date": "20260101T000000Z",
            },
        )
        return status, headers, json.loads(raw) if raw.strip() else None

    def metric_filters(self, group: str) -> list[dict[str, Any]]:
        status, _, body = self.logs("DescribeMetricFilters", {"logGroupName": group})
        expect(status == 200, f"DescribeMetricFilters {group}: {status} {body}")
        return body["metricFilters"]

    def put_filter(self, group: str, name: str, pattern: str) -> tuple[int, Any]:
        status, _, body = self.logs(
            "PutMetricFilter",
            {
                "logGroupName": group,
                "filterName": name,
                "filterPattern": pattern,
                "metricTransformations": TRANSFORMATIONS,
            },
        )
        return status, body

    def control(self, path: str, payload: Any = None) -> tuple[int, Any]:
        """POST a JSON body (none if `payload` is None) to a control endpoint: (status, JSON)."""
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        status, headers, raw = self.request("POST", path, body)
        expect(headers.get("content-type") == "application/json", f"{path}: {headers}")
        return status, json.loads(raw)

    def boto3(self, service: str, attempts: int = 1) -> Any:
        """A boto3 client on this emulator that never retries (a fault answers every attempt),
        or, with `attempts` > 1, one that retries as botocore's standard mode does (5xx
        included)."""
        import boto3
        from botocore.config import Config

        retries: dict[str, Any] = {"total_max_attempts": attempts}
        if attempts > 1:
            retries["mode"] = "standard"
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries=retries),
        )

    def reset_log(self) -> None:
        status, _, _ = self.request("POST", "/_trailwatch/requests/reset")
        assert status == 200, status

    def raw_log(self) -> list[dict[str, Any]]:
        """The request log exactly as the emulator returns it."""
        status, _, raw = self.request("GET", "/_trailwatch/requests")
        assert status == 200, status
        return json.loads(raw)

    def log(self) -> list[dict[str, Any]]:
        """The log of answered requests without `ms`, `reached` and `at`, which are checked here."""
        entries = self.raw_log()
        previous = float("-inf")
        for entry in entries:
            # `at`: arrival on the emulator's monotonic clock, in log order.
            at = entry.pop("at")
            assert isinstance(at, float) and at >= previous, entries
            previous = at
            # The server-side time `ms` (a number, for scripts/bench) and `reached`: whether
            # moto got the request, false exactly for a fault or chaos answer (a lost answer's
            # request reached moto).
            assert isinstance(entry.pop("ms"), (int, float)), entries
            assert entry.pop("reached") is (entry.get("fault") in (None, "lost")), entries
        return entries

    def wait_stalled(self, operation: str, timeout: float = 5.0) -> dict[str, Any]:
        """The newest log entry of `operation` once it is marked stalled (polls the log)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [e for e in self.raw_log() if e["operation"] == operation]
            if entries and entries[-1].get("stalled"):
                return entries[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no stalled {operation} in {self.raw_log()}")
            time.sleep(0.02)


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def run(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            self.failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_cbor_headers(headers: dict[str, str]) -> None:
    expect(headers.get("content-type") == "application/cbor", f"content-type {headers}")
    expect(headers.get("smithy-protocol") == "rpc-v2-cbor", f"smithy-protocol {headers}")


def check_log_group_missing(status: int, headers: dict[str, str], body: Any) -> None:
    """AWS's answer for a log group that does not exist."""
    expect(status == 400, f"status {status} {body}")
    expect(headers.get("content-type") == "application/x-amz-json-1.1", f"{headers}")
    expect(body == LOG_GROUP_MISSING, f"{body}")


def logs_calls(operations: list[str]) -> list[dict[str, Any]]:
    """The request log entries of these Logs calls (what the caller sent, nothing else)."""
    return [{"service": "logs", "operation": op} for op in operations]


def main() -> int:
    checks = Checks()
    emu = Emulator()
    print(f"emulator ready in {emu.ready_seconds:.2f}s at {emu.url}", flush=True)
    alarm_params = {
        "AlarmName": ALARM,
        "MetricName": "IAMPolicyChanges",
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:security-alerts"],
        "TreatMissingData": "notBreaching",
    }

    def ready_line() -> None:
        expect(emu.ready_line.endswith("\n") and len(emu.ready_line.split()) == 2, emu.ready_line)

    def put_metric_alarm() -> None:
        status, headers, body = emu.cbor("PutMetricAlarm", alarm_params)
        expect(status == 200, f"status {status} {body}")
        check_cbor_headers(headers)
        expect(body == {}, f"empty output should be an empty map, got {body!r}")

    def describe_alarms() -> None:
        status, headers, body = emu.cbor("DescribeAlarms", {"AlarmNames": [ALARM]})
        expect(status == 200, f"status {status} {body}")
        check_cbor_headers(headers)
        alarms = body["MetricAlarms"]
        expect(len(alarms) == 1, f"one alarm expected: {alarms}")
        alarm = alarms[0]
        for key in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp"):
            expect(isinstance(alarm[key], Tag1), f"{key} must be CBOR tag 1: {alarm[key]!r}")
            expect(isinstance(alarm[key].value, (int, float)), f"{key} content: {alarm[key]!r}")
            expect(abs(alarm[key].value - time.time()) < 600, f"{key} not recent: {alarm[key]!r}")
        expect(type(alarm["Threshold"]) is float and alarm["Threshold"] == 1.0, "Threshold float")
        expect(type(alarm["Period"]) is int and alarm["Period"] == 300, "Period int")
        expect(type(alarm["EvaluationPeriods"]) is int, "EvaluationPeriods int")
        expect(alarm["ActionsEnabled"] is True, "ActionsEnabled bool")
        expect(alarm["AlarmActions"] == alarm_params["AlarmActions"], "AlarmActions")
        expect(alarm["TreatMissingData"] == "notBreaching", "TreatMissingData")
        expect(alarm["Statistic"] == "Sum", "Statistic")
        expect(alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", "operator")
        expect(body.get("CompositeAlarms", []) == [], "no composite alarms")

    def describe_alarms_no_body() -> None:
        status, headers, body = emu.cbor("DescribeAlarms", None)
        expect(status == 200, f"status {status} {body}")
        expect(any(a["AlarmName"] == ALARM for a in body["MetricAlarms"]), f"{body}")

    def describe_alarms_for_metric() -> None:
        status, headers, body = emu.cbor(
            "DescribeAlarmsForMetric",
            {"MetricName": "IAMPolicyChanges", "Namespace": "CISBenchmark"},
        )
        expect(status == 200, f"status {status} {body}")
        check_cbor_headers(headers)
        names = [a["AlarmName"] for a in body["MetricAlarms"]]
        expect(names == [ALARM], f"alarms for metric: {names}")
        expect(isinstance(body["MetricAlarms"][0]["StateUpdatedTimestamp"], Tag1), "tag 1")

    def error_resource_not_found() -> None:
        status, headers, body = emu.cbor("GetDashboard", {"DashboardName": "no-such-dashboard"})
        expect(status == 404, f"status {status} {body}")
        check_cbor_headers(headers)
        expect(headers.get("x-amzn-query-error") == "ResourceNotFound;Sender", f"{headers}")
        expect(body["__type"] == "com.amazonaws.cloudwatch#ResourceNotFound", f"{body}")
        expect(isinstance(body.get("message"), str) and body["message"], f"{body}")

    def error_invalid_parameter() -> None:
        params = dict(alarm_params, AlarmName="bad", ExtendedStatistic="x99")
        del params["Statistic"]
        status, headers, body = emu.cbor("PutMetricAlarm", params)
        expect(status == 400, f"status {status} {body}")
        expect(headers.get("x-amzn-query-error") == "InvalidParameterValue;Sender", f"{headers}")
        expect(
            body["__type"] == "com.amazonaws.cloudwatch#InvalidParameterValueException", f"{body}"
        )
        expect("ExtendedStatistic" in body["message"], f"{body}")

    def error_not_implemented() -> None:
        status, headers, body = emu.cbor("DescribeAnomalyDetectors", {})
        expect(status == 500, f"status {status} {body}")
        check_cbor_headers(headers)
        expect(headers.get("x-amzn-query-error", "").endswith(";Receiver"), f"{headers}")
        expect("not been implemented" in body["message"], f"{body}")

    def error_no_sigv4_scope() -> None:
        status, _, raw = emu.request(
            "POST",
            f"/service/{SERVICE_ID}/operation/DescribeAlarms",
            cbor2.dumps({}),
            {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        )
        body = decode(raw)
        expect(status == 403, f"status {status} {body}")
        expect(body["__type"].endswith("#MissingAuthenticationToken"), f"{body}")

    def request_log() -> None:
        entries = emu.log()
        cw = [e["operation"] for e in entries if e["service"] == "monitoring"]
        expected = [
            "PutMetricAlarm", "DescribeAlarms", "DescribeAlarms", "DescribeAlarmsForMetric",
            "GetDashboard", "PutMetricAlarm", "DescribeAnomalyDetectors",
        ]
        expect(entries[-1] == {"service": None, "operation": "DescribeAlarms"}, f"{entries}")
        expect(cw == expected, f"logged {entries}")
        expect("testing" not in json.dumps(entries), "credentials leaked into the log")

    def passthrough_query() -> None:
        emu.request("POST", "/_trailwatch/requests/reset")
        sts_auth = AUTH.replace("/monitoring/", "/sts/")
        status, _, raw = emu.request(
            "POST",
            "/",
            b"Action=GetCallerIdentity&Version=2011-06-15",
            {"Authorization": sts_auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        expect(status == 200 and b"123456789012" in raw, f"sts {status} {raw[:300]!r}")
        sns_auth = AUTH.replace("/monitoring/", "/sns/")
        status, _, raw = emu.request(
            "POST",
            "/",
            b"Action=ListTopics&Version=2010-03-31",
            {"Authorization": sns_auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        expect(status == 200 and b"ListTopicsResponse" in raw, f"sns {status} {raw[:300]!r}")
        logs_auth = AUTH.replace("/monitoring/", "/logs/")
        status, _, raw = emu.request(
            "POST",
            "/",
            b"{}",
            {
                "Authorization": logs_auth,
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            },
        )
        expect(status == 200 and b"logGroups" in raw, f"logs {status} {raw[:300]!r}")
        entries = emu.log()
        expect(
            entries == [
                {"service": "sts", "operation": "GetCallerIdentity"},
                {"service": "sns", "operation": "ListTopics"},
                {"service": "logs", "operation": "DescribeLogGroups"},
            ],
            f"logged {entries}",
        )

    def concurrent_requests() -> None:
        emu.request("POST", "/_trailwatch/requests/reset")
        results: list[int] = []

        def worker() -> None:
            for _ in range(5):
                results.append(emu.cbor("DescribeAlarms", {"AlarmNames": [ALARM]})[0])

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        expect(results == [200] * 40, f"statuses {results}")
        expect(len(emu.log()) == 40, "40 log entries")

    def control_endpoints() -> None:
        status, _, raw = emu.request("POST", "/_trailwatch/requests/reset")
        expect(status == 200 and json.loads(raw) == {}, f"reset {status} {raw!r}")
        expect(emu.log() == [], "log not cleared")
        status, _, _ = emu.request("GET", "/_trailwatch/nope")
        expect(status == 404, f"unknown control endpoint: {status}")
        expect(emu.log() == [], "control endpoints must not be logged")

    def boto3_cbor_client() -> None:
        import boto3  # botocore >= 1.40 speaks RPC v2 CBOR to CloudWatch, like the Rust SDK

        client = boto3.client(
            "cloudwatch",
            region_name="us-east-1",
            endpoint_url=emu.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        alarms = client.describe_alarms_for_metric(
            MetricName="IAMPolicyChanges", Namespace="CISBenchmark"
        )["MetricAlarms"]
        expect([a["AlarmName"] for a in alarms] == [ALARM], f"{alarms}")
        expect(alarms[0]["StateUpdatedTimestamp"].tzinfo is not None, "datetime from tag 1")
        try:
            client.delete_dashboards(DashboardNames=["no-such-dashboard"])
        except client.exceptions.ClientError as err:
            expect(err.response["Error"]["Code"] == "ResourceNotFound", f"{err.response}")
            expect(err.response["ResponseMetadata"]["HTTPStatusCode"] == 404, f"{err.response}")
        else:
            raise AssertionError("DeleteDashboards on a missing name must fail")
        expect(emu.log()[-1] == {"service": "monitoring", "operation": "DeleteDashboards"}, "log")

    def logs_reput_replaces() -> None:
        emu.reset_log()
        status, _, body = emu.logs("CreateLogGroup", {"logGroupName": LOG_GROUP})
        expect(status == 200, f"CreateLogGroup {status} {body}")
        for name, pattern in [
            ("IAMPolicyChanges", "{ $.eventName = DeleteGroupPolicy }"),
            ("Other", "{ $.eventName = Other }"),
            ("IAMPolicyChanges", "{ $.eventName = PutGroupPolicy }"),
        ]:
            status, body = emu.put_filter(LOG_GROUP, name, pattern)
            expect(status == 200, f"PutMetricFilter {name}: {status} {body}")
        filters = sorted(emu.metric_filters(LOG_GROUP), key=lambda f: f["filterName"])
        got = [(f["filterName"], f["filterPattern"]) for f in filters]
        expect(
            got == [
                ("IAMPolicyChanges", "{ $.eventName = PutGroupPolicy }"),
                ("Other", "{ $.eventName = Other }"),
            ],
            f"one filter per name, the newest pattern: {got}",
        )
        expect(filters[0]["metricTransformations"] == TRANSFORMATIONS, f"{filters[0]}")

    def logs_request_log_has_no_inner_calls() -> None:
        # logs_reput_replaces' calls exactly: no inner DescribeLogGroups, DescribeMetricFilters
        # or DeleteMetricFilter the middleware sent on its own.
        entries = emu.log()
        expected = logs_calls(
            ["CreateLogGroup"] + ["PutMetricFilter"] * 3 + ["DescribeMetricFilters"]
        )
        expect(entries == expected, f"logged {entries}")

    def logs_rejected_put_keeps_old() -> None:
        status, _, body = emu.logs(
            "PutMetricFilter",
            {
                "logGroupName": LOG_GROUP,
                "filterName": "IAMPolicyChanges",
                "filterPattern": "{ $.eventName = Rejected }",
                "metricTransformations": TRANSFORMATIONS * 2,  # moto: "Fixed number of 1 item"
            },
        )
        expect(status == 400 and body["__type"] == "InvalidParameterException", f"{status} {body}")
        patterns = {f["filterName"]: f["filterPattern"] for f in emu.metric_filters(LOG_GROUP)}
        kept = patterns.get("IAMPolicyChanges")
        expect(kept == "{ $.eventName = PutGroupPolicy }", f"{patterns}")
        expect(len(patterns) == 2 == len(emu.metric_filters(LOG_GROUP)), f"{patterns}")

    def logs_describe_missing_group() -> None:
        check_log_group_missing(
            *emu.logs("DescribeMetricFilters", {"logGroupName": MISSING_GROUP})
        )
        # A prefix of an existing group's name is not that group.
        check_log_group_missing(
            *emu.logs("DescribeMetricFilters", {"logGroupName": LOG_GROUP[:-1]})
        )
        status, _, body = emu.logs("DescribeMetricFilters", {})  # no logGroupName: all filters
        expect(status == 200 and len(body["metricFilters"]) == 2, f"{status} {body}")

    def logs_put_missing_group() -> None:
        emu.reset_log()
        status, headers, body = emu.logs(
            "PutMetricFilter",
            {
                "logGroupName": MISSING_GROUP,
                "filterName": "IAMPolicyChanges",
                "filterPattern": "{ $.x = 1 }",
                "metricTransformations": TRANSFORMATIONS,
            },
        )
        check_log_group_missing(status, headers, body)
        status, _, body = emu.logs("DescribeMetricFilters", {"filterNamePrefix": "IAM"})
        groups = [f["logGroupName"] for f in body["metricFilters"]]
        expect(status == 200 and groups == [LOG_GROUP], f"nothing stored: {status} {body}")
        entries = emu.log()
        expect(entries == logs_calls(["PutMetricFilter", "DescribeMetricFilters"]), f"{entries}")

    def logs_delete_group_drops_filters() -> None:
        emu.reset_log()
        for operation in ("DeleteLogGroup", "CreateLogGroup"):
            status, _, body = emu.logs(operation, {"logGroupName": LOG_GROUP})
            expect(status == 200, f"{operation} {status} {body}")
        expect(emu.metric_filters(LOG_GROUP) == [], "the old group's filters came back")
        status, _, body = emu.logs("DescribeMetricFilters", {})
        expect(status == 200 and body["metricFilters"] == [], f"filters left: {body}")
        status, _, body = emu.logs("DeleteLogGroup", {"logGroupName": MISSING_GROUP})
        expect(status == 400 and body["__type"] == "ResourceNotFoundException", f"{body}")
        expect(
            emu.log() == logs_calls(
                ["DeleteLogGroup", "CreateLogGroup", "DescribeMetricFilters",
                 "DescribeMetricFilters", "DeleteLogGroup"]
            ),
            f"logged {emu.log()}",
        )

    def logs_concurrent_reputs() -> None:
        # The replacement is atomic: a concurrent describe sees exactly one filter, never
        # none (between the inner delete and the put) nor two.
        seen: list[int] = []
        statuses: list[int] = []

        def writer(n: int) -> None:
            for i in range(5):
                statuses.append(emu.put_filter(LOG_GROUP, "Raced", f"{{ $.n = {n * 10 + i} }}")[0])

        def reader() -> None:
            for _ in range(10):
                seen.append(len(emu.metric_filters(LOG_GROUP)))

        emu.put_filter(LOG_GROUP, "Raced", "{ $.n = 0 }")
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        threads += [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        expect(statuses == [200] * 20, f"statuses {statuses}")
        expect(seen == [1] * 40, f"filter counts seen: {seen}")
        expect(len(emu.metric_filters(LOG_GROUP)) == 1, "one filter at the end")

    def boto3_logs_client() -> None:
        import boto3

        client = boto3.client(
            "logs",
            region_name="us-east-1",
            endpoint_url=emu.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for pattern in ("{ $.a = 1 }", "{ $.a = 2 }"):
            client.put_metric_filter(
                logGroupName=LOG_GROUP,
                filterName="Boto3",
                filterPattern=pattern,
                metricTransformations=TRANSFORMATIONS,
            )
        filters = client.describe_metric_filters(logGroupName=LOG_GROUP, filterNamePrefix="Boto3")
        got = [f["filterPattern"] for f in filters["metricFilters"]]
        expect(got == ["{ $.a = 2 }"], f"{got}")
        try:
            client.describe_metric_filters(logGroupName=MISSING_GROUP)
        except client.exceptions.ResourceNotFoundException as err:
            expect(err.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{err.response}")
        else:
            raise AssertionError("DescribeMetricFilters on a missing group must fail")

    def reset_faults() -> None:
        expect(emu.control("/_trailwatch/faults/reset") == (200, {}), "faults/reset")

    def fault_json_skip() -> None:
        emu.reset_log()
        fault = {
            "operation": "DescribeLogGroups", "skip": 1, "status": 500,
            "code": "InternalFailure", "message": "injected",
        }
        stored = emu.control("/_trailwatch/faults", fault)
        expect(stored == (200, dict(fault, times=None, lost=False)), f"register fault: {stored}")
        try:
            status, _, body = emu.logs("DescribeLogGroups", {})
            expect(status == 200 and "logGroups" in body, f"first call passes: {status} {body}")
            for _ in range(2):  # every call after the skipped ones fails
                status, headers, body = emu.logs("DescribeLogGroups", {})
                expect(status == 500, f"status {status} {body}")
                expect(headers.get("content-type") == "application/x-amz-json-1.1", f"{headers}")
                expect(body == {"__type": "InternalFailure", "message": "injected"}, f"{body}")
            # Another operation of the same service is not affected.
            status, _, body = emu.logs("DescribeMetricFilters", {})
            expect(status == 200, f"DescribeMetricFilters {status} {body}")
            faulted = dict(logs_calls(["DescribeLogGroups"])[0], fault="injected")
            expect(
                emu.log() == logs_calls(["DescribeLogGroups"]) + [faulted] * 2
                + logs_calls(["DescribeMetricFilters"]),
                f"faulted calls must be logged: {emu.raw_log()}",
            )
            # requests/reset keeps the faults; an awsJson 1.0 request gets a 1.0 answer.
            emu.reset_log()
            status, headers, raw = emu.request(
                "POST", "/", b"{}",
                {
                    "Authorization": LOGS_AUTH,
                    "Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                },
            )
            expect(status == 500, f"fault kept after requests/reset: {status} {raw!r}")
            expect(headers.get("content-type") == "application/x-amz-json-1.0", f"{headers}")
            expect(int(headers["content-length"]) == len(raw), "Content-Length")
            expect(json.loads(raw)["__type"] == "InternalFailure", f"{raw!r}")
        finally:
            reset_faults()

    def fault_cloudtrail_boto3() -> None:
        fault = {"operation": "DescribeTrails", "status": 400, "code": "ThrottlingException",
                 "message": "Rate exceeded"}
        status, stored = emu.control("/_trailwatch/faults", fault)
        expect(
            status == 200 and stored == dict(fault, skip=0, times=None, lost=False),
            f"{status} {stored}",
        )
        try:
            client = emu.boto3("cloudtrail")
            try:
                client.describe_trails()
            except client.exceptions.ClientError as err:
                expect(err.response["Error"]["Code"] == "ThrottlingException", f"{err.response}")
                expect(err.response["Error"]["Message"] == "Rate exceeded", f"{err.response}")
                expect(err.response["ResponseMetadata"]["HTTPStatusCode"] == 400, f"{err.response}")
            else:
                raise AssertionError("DescribeTrails must fail with the injected fault")
            expect(
                emu.log()[-1] == {"service": "cloudtrail", "operation": "DescribeTrails",
                                  "fault": "injected"},
                f"log {emu.raw_log()}",
            )
        finally:
            reset_faults()

    def fault_query_xml() -> None:
        import xml.etree.ElementTree as ET

        fault = {"operation": "ListTopics", "status": 403, "code": "AuthorizationError",
                 "message": "not authorized"}
        expect(emu.control("/_trailwatch/faults", fault)[0] == 200, "register fault")
        try:
            status, headers, raw = emu.request(
                "POST",
                "/",
                b"Action=ListTopics&Version=2010-03-31",
                {
                    "Authorization": AUTH.replace("/monitoring/", "/sns/"),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            expect(status == 403, f"status {status} {raw!r}")
            expect(headers.get("content-type") == "text/xml", f"{headers}")
            root = ET.fromstring(raw)
            expect(root.tag == "ErrorResponse", f"{raw!r}")
            got = {e.tag: e.text for e in root.find("Error")}
            expect(
                got == {"Type": "Sender", "Code": "AuthorizationError",
                        "Message": "not authorized"},
                f"{raw!r}",
            )
            expect(bool(root.findtext("RequestId")), f"{raw!r}")
            try:
                emu.boto3("sns").list_topics()
            except Exception as err:
                code = getattr(err, "response", {}).get("Error", {}).get("Code")
                expect(code == "AuthorizationError", f"boto3 sns: {err!r}")
            else:
                raise AssertionError("boto3 ListTopics must fail with the injected fault")
            expect(
                emu.log()[-1] == {"service": "sns", "operation": "ListTopics",
                                  "fault": "injected"},
                f"log {emu.raw_log()}",
            )
        finally:
            reset_faults()

    def fault_cbor() -> None:
        fault = {"operation": "DescribeAlarms", "skip": 1, "status": 500,
                 "code": "InternalServiceError", "message": "injected"}
        expect(emu.control("/_trailwatch/faults", fault)[0] == 200, "register fault")
        try:
            status, _, body = emu.cbor("DescribeAlarms", {"AlarmNames": [ALARM]})
            expect(status == 200 and len(body["MetricAlarms"]) == 1, f"first passes: {body}")
            status, headers, body = emu.cbor("DescribeAlarms", {"AlarmNames": [ALARM]})
            expect(status == 500, f"status {status} {body}")
            check_cbor_headers(headers)
            expect(
                headers.get("x-amzn-query-error") == "InternalServiceError;Receiver", f"{headers}"
            )
            expect(
                body == {"__type": "com.amazonaws.cloudwatch#InternalServiceFault",
                         "message": "injected"},
                f"{body}",
            )
            client = emu.boto3("cloudwatch")
            try:
                client.describe_alarms(AlarmNames=[ALARM])
            except client.exceptions.ClientError as err:
                expect(err.response["Error"]["Code"] == "InternalServiceError", f"{err.response}")
            else:
                raise AssertionError("boto3 DescribeAlarms must fail with the injected fault")
        finally:
            reset_faults()

    def faults_reset() -> None:
        # Several faults at once, all cleared by faults/reset.
        for operation in ("DescribeLogGroups", "ListTopics", "DescribeAlarms"):
            status, _ = emu.control("/_trailwatch/faults", {"operation": operation})
            expect(status == 200, f"register {operation}")
        expect(emu.logs("DescribeLogGroups", {})[0] == 500, "logs fault active")
        expect(emu.cbor("DescribeAlarms", {})[0] == 500, "CBOR fault active")
        sns = {"Authorization": AUTH.replace("/monitoring/", "/sns/"),
               "Content-Type": "application/x-www-form-urlencoded"}
        status, _, raw = emu.request("POST", "/", b"Action=ListTopics&Version=2010-03-31", sns)
        expect(status == 500 and b"<Type>Receiver</Type>" in raw, f"{status} {raw!r}")
        reset_faults()
        expect(emu.logs("DescribeLogGroups", {})[0] == 200, "logs fault cleared")
        expect(emu.cbor("DescribeAlarms", {})[0] == 200, "CBOR fault cleared")
        status, _, raw = emu.request("POST", "/", b"Action=ListTopics&Version=2010-03-31", sns)
        expect(status == 200 and b"ListTopicsResponse" in raw, f"sns {status} {raw[:300]!r}")

    def control_bad_bodies() -> None:
        for path, payload in [
            ("/_trailwatch/faults", None),
            ("/_trailwatch/faults", {"skip": 1}),
            ("/_trailwatch/faults", {"operation": "X", "status": 200}),
            ("/_trailwatch/faults", {"operation": "X", "skip": -1}),
            ("/_trailwatch/faults", {"operation": "X", "sttaus": 500}),
            ("/_trailwatch/faults", {"operation": "X", "times": 0}),
            ("/_trailwatch/faults", {"operation": "X", "times": 1.5}),
            ("/_trailwatch/faults", {"operation": "X", "times": True}),
            ("/_trailwatch/faults", {"operation": "X", "lost": 1}),
            ("/_trailwatch/faults", {"operation": "X", "lost": "true"}),
            ("/_trailwatch/faults", {"operation": "X", "lots": True}),
            ("/_trailwatch/override", {"operation": "X"}),
            ("/_trailwatch/override", {"operation": "X", "merge": [1]}),
            ("/_trailwatch/override", [1]),
            ("/_trailwatch/chaos", None),
            ("/_trailwatch/chaos", {"seed": 1}),
            ("/_trailwatch/chaos", {"rate": 1.5}),
            ("/_trailwatch/chaos", {"rate": -0.1}),
            ("/_trailwatch/chaos", {"rate": True}),
            ("/_trailwatch/chaos", {"rate": "0.3"}),
            ("/_trailwatch/chaos", {"rate": 1, "seed": "7"}),
            ("/_trailwatch/chaos", {"rate": 1, "kinds": []}),
            ("/_trailwatch/chaos", {"rate": 1, "kinds": ["boom"]}),
            ("/_trailwatch/chaos", {"rate": 1, "operations": []}),
            ("/_trailwatch/chaos", {"rate": 1, "operations": "*"}),
            ("/_trailwatch/chaos", {"rate": 1, "sed": 7}),
            ("/_trailwatch/stall", {"operation": "DescribeLogGroups"}),
            ("/_trailwatch/stall", {"operation": "DescribeLogGroups", "seconds": 0}),
            ("/_trailwatch/stall", {"operation": "DescribeLogGroups", "seconds": "1"}),
            ("/_trailwatch/stall", {"operation": "DescribeLogGroups", "seconds": 4000}),
            ("/_trailwatch/stall", {"operation": "DescribeLogGroups", "seconds": 5, "skip": -1}),
            ("/_trailwatch/stall", {"operation": "DescribeLogGroups", "seconds": 5, "sec": 1}),
            ("/_trailwatch/stall", {"seconds": 5}),
        ]:
            status, body = emu.control(path, payload)
            expect(status == 400 and isinstance(body.get("message"), str), f"{payload}: {body}")
        status, _, raw = emu.request("POST", "/_trailwatch/faults", b"{not json")
        expect(status == 400, f"not JSON: {status} {raw!r}")
        started = time.monotonic()
        expect(emu.logs("DescribeLogGroups", {})[0] == 200, "a bad body registers nothing")
        expect(time.monotonic() - started < 2.0, "a bad stall body registered a stall")

    # ---- faults with `times`, lost answers ------------------------------------------------

    def fault_times() -> None:
        fault = {"operation": "DescribeLogGroups", "skip": 1, "times": 2, "status": 503,
                 "code": "ServiceUnavailable"}
        status, stored = emu.control("/_trailwatch/faults", fault)
        expect(
            status == 200 and stored == dict(fault, message="injected by the trailwatch emulator",
                                             lost=False),
            f"{status} {stored}",
        )
        emu.reset_log()
        try:
            got = [emu.logs("DescribeLogGroups", {})[0] for _ in range(5)]
            expect(got == [200, 503, 503, 200, 200], f"skip 1, times 2: {got}")
            expect(
                [e.get("fault") for e in emu.log()] == [None, "injected", "injected", None, None],
                f"log {emu.raw_log()}",
            )
            # Registering again restarts the count.
            expect(emu.control("/_trailwatch/faults", fault)[0] == 200, "register again")
            got = [emu.logs("DescribeLogGroups", {})[0] for _ in range(4)]
            expect(got == [200, 503, 503, 200], f"count restarted: {got}")
        finally:
            reset_faults()

    LOST_TOPIC = "trailwatch-check-lost"
    LOST_MAIL = "lost@example.com"

    def lose(operation: str, status: int = 500, code: str = "InternalFailure",
             **more: Any) -> None:
        """Register a lost-answer fault for `operation` (every later request unless `times`)."""
        fault = dict({"operation": operation, "status": status, "code": code,
                      "message": "answer lost by the emulator", "lost": True}, **more)
        got = emu.control("/_trailwatch/faults", fault)
        want = dict({"skip": 0, "times": None}, **fault)
        expect(got == (200, want), f"register lost {operation}: {got}")

    def lost_entry(service: str, operation: str, lost_status: int = 200) -> dict[str, Any]:
        return {"service": service, "operation": operation, "fault": "lost",
                "lost_status": lost_status}

    def lost_then_retried(
        service: str,
        operation: str,
        call: Callable[[Any], Any],
        landed: Callable[[], bool],
        status: int,
        code: str,
    ) -> Any:
        """A lost `operation` as a boto3 client without retries sees it (the fault's error, the
        write landed), then with retries (times 1: the retry succeeds). Returns that answer."""
        lose(operation, status, code)
        emu.reset_log()
        try:
            got = boto3_error(service, call)
            expect(got == (code, status), f"{operation}: the caller sees {got}")
            expect(landed(), f"{operation}: the write did not land")
            wire = {"sns": "sns", "logs": "logs", "cloudwatch": "monitoring"}[service]
            entries = [e for e in emu.log() if e["operation"] == operation]
            expect(entries == [lost_entry(wire, operation)], f"log {emu.raw_log()}")
            lose(operation, status, code, times=1)
            emu.reset_log()
            answer = call(emu.boto3(service, attempts=3))
            entries = emu.log()
            expect(entries == [lost_entry(wire, operation), {"service": wire,
                                                             "operation": operation}],
                   f"{operation}: one lost answer, then the retry: {emu.raw_log()}")
            return answer
        finally:
            reset_faults()

    def lost_sns_writes() -> None:
        sns = emu.boto3("sns")
        arn = f"arn:aws:sns:us-east-1:123456789012:{LOST_TOPIC}"

        def topics() -> list[str]:
            return [t["TopicArn"] for t in sns.list_topics()["Topics"]]

        expect(arn not in topics(), f"{arn} exists already")
        created = lost_then_retried(
            "sns", "CreateTopic", lambda c: c.create_topic(Name=LOST_TOPIC),
            lambda: arn in topics(), 500, "InternalFailure",
        )
        expect(created["TopicArn"] == arn and topics().count(arn) == 1, f"{created}")

        def display_name() -> str:
            return sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("DisplayName", "")

        lost_then_retried(
            "sns", "SetTopicAttributes",
            lambda c: c.set_topic_attributes(
                TopicArn=arn, AttributeName="DisplayName", AttributeValue="lost answers"),
            lambda: display_name() == "lost answers", 503, "ServiceUnavailable",
        )

        def pending_mail() -> list[dict[str, str]]:
            return [p for p in sns_pending() if p["endpoint"] == LOST_MAIL]

        subscribed = lost_then_retried(
            "sns", "Subscribe",
            lambda c: c.subscribe(TopicArn=arn, Protocol="email", Endpoint=LOST_MAIL),
            lambda: len(pending_mail()) == 1, 500, "InternalFailure",
        )
        expect(subscribed["SubscriptionArn"] == "pending confirmation", f"{subscribed}")
        expect(len(pending_mail()) == 1, f"one subscription: {sns_pending()}")
        expect(len(sns_confirm({"topic_arn": arn})) == 1, "confirm it (later checks count)")

        def tagged() -> bool:
            tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
            return {"Key": "lost", "Value": "yes"} in tags

        lost_then_retried(
            "sns", "TagResource",
            lambda c: c.tag_resource(ResourceArn=arn, Tags=[{"Key": "lost", "Value": "yes"}]),
            tagged, 503, "ServiceUnavailable",
        )

    def lost_sns_query_xml() -> None:
        # The raw answer: awsQuery XML ErrorResponse, Type Receiver, while moto created it.
        lose("CreateTopic", 503, "ServiceUnavailable")
        try:
            status, headers, raw = emu.request(
                "POST", "/", b"Action=CreateTopic&Version=2010-03-31&Name=trailwatch-check-lost-2",
                sns_form,
            )
        finally:
            reset_faults()
        expect(status == 503 and headers.get("content-type") == "text/xml", f"{status} {raw!r}")
        expect(int(headers["content-length"]) == len(raw), "Content-Length")
        expect(
            query_error(raw) == {"Type": "Receiver", "Code": "ServiceUnavailable",
                                 "Message": "answer lost by the emulator"},
            f"{raw!r}",
        )
        topics = [t["TopicArn"] for t in emu.boto3("sns").list_topics()["Topics"]]
        expect(any(t.endswith(":trailwatch-check-lost-2") for t in topics), f"{topics}")

    def lost_logs_put_metric_filter() -> None:
        def patterns() -> list[str]:
            return [f["filterPattern"] for f in emu.metric_filters(LOG_GROUP)
                    if f["filterName"] == "Lost"]

        # The raw awsJson answer; skip 1: the first put is answered, the second lost.
        lose("PutMetricFilter", skip=1)
        emu.reset_log()
        try:
            expect(emu.put_filter(LOG_GROUP, "Lost", "{ $.lost = 1 }")[0] == 200, "skip 1")
            status, headers, raw = emu.request(
                "POST", "/",
                json.dumps({"logGroupName": LOG_GROUP, "filterName": "Lost",
                            "filterPattern": "{ $.lost = 2 }",
                            "metricTransformations": TRANSFORMATIONS}).encode(),
                {"Authorization": LOGS_AUTH, "Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "Logs_20140328.PutMetricFilter"},
            )
            expect(status == 500, f"status {status} {raw!r}")
            expect(headers.get("content-type") == "application/x-amz-json-1.1", f"{headers}")
            expect(int(headers["content-length"]) == len(raw), "Content-Length")
            expect(json.loads(raw) == {"__type": "InternalFailure",
                                       "message": "answer lost by the emulator"}, f"{raw!r}")
            expect(patterns() == ["{ $.lost = 2 }"], f"the lost put replaced: {patterns()}")
            # A write moto refuses is lost too: lost_status says it did not land.
            status, _, body = emu.logs("PutMetricFilter", {
                "logGroupName": MISSING_GROUP, "filterName": "Lost", "filterPattern": "{ $.x = 1 }",
                "metricTransformations": TRANSFORMATIONS,
            })
            expect(status == 500 and body["__type"] == "InternalFailure", f"{status} {body}")
            expect(
                [e for e in emu.log() if e["operation"] == "PutMetricFilter"]
                == logs_calls(["PutMetricFilter"]) + [
                    lost_entry("logs", "PutMetricFilter"),
                    lost_entry("logs", "PutMetricFilter", 400),
                ],
                f"log {emu.raw_log()}",
            )
        finally:
            reset_faults()
        lost_then_retried(
            "logs", "PutMetricFilter",
            lambda c: c.put_metric_filter(
                logGroupName=LOG_GROUP, filterName="Lost", filterPattern="{ $.lost = 3 }",
                metricTransformations=TRANSFORMATIONS),
            lambda: patterns() == ["{ $.lost = 3 }"], 503, "ServiceUnavailable",
        )
        expect(patterns() == ["{ $.lost = 3 }"], f"one filter after the retry: {patterns()}")
        emu.logs("DeleteMetricFilter", {"logGroupName": LOG_GROUP, "filterName": "Lost"})

    def lost_cloudwatch_cbor() -> None:
        name = "trailwatch-check-lost"

        def alarms() -> list[dict[str, Any]]:
            status, _, body = emu.cbor("DescribeAlarms", {"AlarmNames": [name]})
            expect(status == 200, f"DescribeAlarms {status} {body}")
            return body["MetricAlarms"]

        def tags(arn: str) -> list[dict[str, str]]:
            status, _, body = emu.cbor("ListTagsForResource", {"ResourceARN": arn})
            expect(status == 200, f"ListTagsForResource {status} {body}")
            return body.get("Tags", [])

        lose("PutMetricAlarm")
        lose("TagResource", 503, "ServiceUnavailable")
        emu.reset_log()
        try:
            status, headers, body = emu.cbor("PutMetricAlarm", dict(alarm_params, AlarmName=name))
            expect(status == 500, f"status {status} {body}")
            check_cbor_headers(headers)
            expect(headers.get("x-amzn-query-error") == "InternalFailure;Receiver", f"{headers}")
            expect(body == {"__type": "com.amazonaws.cloudwatch#InternalFailure",
                            "message": "answer lost by the emulator"}, f"{body}")
            found = alarms()
            expect(len(found) == 1 and found[0]["Threshold"] == 1.0, f"landed: {found}")
            arn = found[0]["AlarmArn"]
            status, headers, body = emu.cbor(
                "TagResource", {"ResourceARN": arn, "Tags": [{"Key": "lost", "Value": "yes"}]})
            expect(status == 503, f"status {status} {body}")
            expect(headers.get("x-amzn-query-error") == "ServiceUnavailable;Receiver",
                   f"{headers}")
            expect(body["__type"] == "com.amazonaws.cloudwatch#ServiceUnavailable", f"{body}")
            expect({"Key": "lost", "Value": "yes"} in tags(arn), f"landed: {tags(arn)}")
            expect(
                emu.log() == [
                    lost_entry("monitoring", "PutMetricAlarm"),
                    {"service": "monitoring", "operation": "DescribeAlarms"},
                    lost_entry("monitoring", "TagResource"),
                    {"service": "monitoring", "operation": "ListTagsForResource"},
                    {"service": "monitoring", "operation": "ListTagsForResource"},
                ],
                f"log {emu.raw_log()}",
            )
        finally:
            reset_faults()
        # boto3 (what botocore sends CloudWatch), without and with retries.
        lost_then_retried(
            "cloudwatch", "PutMetricAlarm",
            lambda c: c.put_metric_alarm(**dict(alarm_params, AlarmName=name, Threshold=2.0)),
            lambda: alarms()[0]["Threshold"] == 2.0, 500, "InternalFailure",
        )
        lost_then_retried(
            "cloudwatch", "TagResource",
            lambda c: c.tag_resource(ResourceARN=arn, Tags=[{"Key": "again", "Value": "1"}]),
            lambda: {"Key": "again", "Value": "1"} in tags(arn), 503, "ServiceUnavailable",
        )
        expect(emu.cbor("DeleteAlarms", {"AlarmNames": [name]})[0] == 200, "clean up")

    def lost_held_by_stall() -> None:
        # A lost answer's request reaches moto, so a stall holds it first.
        lose("CreateLogGroup", times=1)
        stall = {"operation": "CreateLogGroup", "seconds": 30}
        expect(emu.control("/_trailwatch/stall", stall)[0] == 200, "register stall")
        emu.reset_log()
        group = "trailwatch-check/lost-stalled"
        try:
            thread, out = in_thread(lambda: emu.logs("CreateLogGroup", {"logGroupName": group}))
            entry = emu.wait_stalled("CreateLogGroup")
            expect(entry["fault"] == "lost" and entry["reached"] is False, f"waiting: {entry}")
            expect(group_names(group) == [], "moto got the held call")
        finally:
            reset_stalls()
            reset_faults()
        thread.join(timeout=10)
        status, _, body = out["value"]
        expect(status == 500 and body["__type"] == "InternalFailure", f"{out}")
        expect(group_names(group) == [group], "the held, lost call landed")
        entry = emu.raw_log()[0]
        expect(
            (entry["fault"], entry["stalled"], entry["reached"], entry["lost_status"])
            == ("lost", True, True, 200),
            f"log {emu.raw_log()}",
        )
        emu.logs("DeleteLogGroup", {"logGroupName": group})

    # ---- chaos (seeded random faults) and stalls ------------------------------------------

    sns_form = {
        "Authorization": AUTH.replace("/monitoring/", "/sns/"),
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def sns_list_topics() -> tuple[int, dict[str, str], bytes]:
        return emu.request("POST", "/", b"Action=ListTopics&Version=2010-03-31", sns_form)

    def query_error(raw: bytes) -> dict[str, str | None]:
        """An awsQuery ``ErrorResponse``'s Error members."""
        root = ET.fromstring(raw)
        expect(root.tag == "ErrorResponse" and bool(root.findtext("RequestId")), f"{raw!r}")
        return {e.tag: e.text for e in root.find("Error")}

    def boto3_error(service: str, call: Callable[[Any], Any]) -> tuple[str, int]:
        """(error code, HTTP status) boto3 reports for a call that must fail (no retries)."""
        client = emu.boto3(service)
        try:
            call(client)
        except client.exceptions.ClientError as err:
            return err.response["Error"]["Code"], err.response["ResponseMetadata"][
                "HTTPStatusCode"
            ]
        raise AssertionError(f"boto3 {service}: the call must fail")

    def set_chaos(settings: dict[str, Any]) -> dict[str, Any]:
        status, stored = emu.control("/_trailwatch/chaos", settings)
        expect(status == 200, f"register chaos {settings}: {status} {stored}")
        return stored

    def reset_chaos() -> None:
        expect(emu.control("/_trailwatch/chaos/reset") == (200, {}), "chaos/reset")

    def reset_stalls() -> None:
        expect(emu.control("/_trailwatch/stall/reset") == (200, {}), "stall/reset")

    def chaos_throttle() -> None:
        from botocore.retries.standard import ThrottledRetryableChecker

        stored = set_chaos({"rate": 1.0, "seed": 1, "kinds": ["throttle"]})
        expect(
            stored == {"rate": 1.0, "seed": 1, "operations": ["*"], "kinds": ["throttle"]},
            f"stored {stored}",
        )
        emu.reset_log()
        try:
            # awsJson (logs): 400 ThrottlingException.
            status, headers, body = emu.logs("DescribeLogGroups", {})
            expect(status == 400, f"logs status {status} {body}")
            expect(headers.get("content-type") == "application/x-amz-json-1.1", f"{headers}")
            expect(body == {"__type": "ThrottlingException", "message": "Rate exceeded"}, f"{body}")
            # awsQuery (sns): 400 XML Throttling, Sender.
            status, headers, raw = sns_list_topics()
            expect(status == 400 and headers.get("content-type") == "text/xml", f"{status} {raw!r}")
            expect(
                query_error(raw) == {"Type": "Sender", "Code": "Throttling",
                                     "Message": "Rate exceeded"},
                f"{raw!r}",
            )
            # CloudWatch CBOR: 400, x-amzn-query-error Throttling;Sender.
            status, headers, body = emu.cbor("DescribeAlarms", {})
            expect(status == 400, f"cbor status {status} {body}")
            check_cbor_headers(headers)
            expect(headers.get("x-amzn-query-error") == "Throttling;Sender", f"{headers}")
            expect(
                body == {"__type": "com.amazonaws.cloudwatch#Throttling",
                         "message": "Rate exceeded"},
                f"{body}",
            )
            # CloudWatch over awsJson1_0 (awsQuery-compatible): the awsQuery code + header.
            status, headers, raw = emu.request(
                "POST", "/", b"{}",
                {
                    "Authorization": AUTH,
                    "Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": f"{SERVICE_ID}.DescribeAlarms",
                },
            )
            expect(status == 400, f"cloudwatch awsJson status {status} {raw!r}")
            expect(headers.get("content-type") == "application/x-amz-json-1.0", f"{headers}")
            expect(headers.get("x-amzn-query-error") == "Throttling;Sender", f"{headers}")
            expect(
                json.loads(raw) == {"__type": "Throttling", "message": "Rate exceeded"}, f"{raw!r}"
            )
            # What boto3 makes of them: codes its retry classifier treats as throttling.
            # (botocore 1.44 sends CloudWatch as awsJson1_0, which is awsQuery-compatible:
            # Throttling through the x-amzn-query-error header, as from CBOR.)
            throttling_codes = ThrottledRetryableChecker._THROTTLED_ERROR_CODES
            for service, call, want in [
                ("logs", lambda c: c.describe_log_groups(), "ThrottlingException"),
                ("cloudtrail", lambda c: c.describe_trails(), "ThrottlingException"),
                ("sns", lambda c: c.list_topics(), "Throttling"),
                ("cloudwatch", lambda c: c.describe_alarms(), "Throttling"),
            ]:
                code, http_status = boto3_error(service, call)
                expect((code, http_status) == (want, 400), f"boto3 {service}: {code} {http_status}")
                expect(code in throttling_codes, f"botocore: {code} is not throttling")
            entries = emu.raw_log()
            expect(len(entries) == 8, f"every call logged: {entries}")
            expect(
                all(e["fault"] == "throttle" and e["reached"] is False for e in entries),
                f"log {entries}",
            )
            expect(
                [e["service"] for e in emu.log()]
                == ["logs", "sns", "monitoring", "monitoring", "logs", "cloudtrail", "sns",
                    "monitoring"],
                f"log {entries}",
            )
        finally:
            reset_chaos()

    def chaos_500_503() -> None:
        expected = {"500": (500, "InternalFailure"), "503": (503, "ServiceUnavailable")}
        for kind, (want_status, want_code) in expected.items():
            set_chaos({"rate": 1, "seed": 3, "kinds": [kind],
                       "operations": ["DescribeLogGroups", "ListTopics", "DescribeAlarms"]})
            emu.reset_log()
            try:
                status, headers, body = emu.logs("DescribeLogGroups", {})
                expect(status == want_status, f"{kind}: logs {status} {body}")
                expect(headers.get("content-type") == "application/x-amz-json-1.1", f"{headers}")
                expect(body["__type"] == want_code and body["message"], f"{kind}: {body}")
                status, _, raw = sns_list_topics()
                got = query_error(raw)
                expect(status == want_status, f"{kind}: sns {status} {raw!r}")
                expect(got["Code"] == want_code and got["Type"] == "Receiver", f"{raw!r}")
                status, headers, body = emu.cbor("DescribeAlarms", {})
                expect(status == want_status, f"{kind}: cbor {status} {body}")
                expect(
                    headers.get("x-amzn-query-error") == f"{want_code};Receiver", f"{headers}"
                )
                expect(body["__type"] == f"com.amazonaws.cloudwatch#{want_code}", f"{body}")
                for service, call in [
                    ("logs", lambda c: c.describe_log_groups()),
                    ("sns", lambda c: c.list_topics()),
                    ("cloudwatch", lambda c: c.describe_alarms()),
                ]:
                    got_code = boto3_error(service, call)
                    expect(got_code == (want_code, want_status), f"boto3 {service}: {got_code}")
                # Operations outside "operations" are not touched.
                status, _, body = emu.logs("DescribeMetricFilters", {})
                expect(status == 200, f"DescribeMetricFilters {status} {body}")
                entries = emu.log()
                expect(
                    [e.get("fault") for e in entries] == [kind] * 6 + [None],
                    f"{kind}: log {emu.raw_log()}",
                )
            finally:
                reset_chaos()

    def chaos_kind(status: int, code: str | None) -> str | None:
        """The chaos kind of an answer (None: it passed), checking status and code agree."""
        kinds = {
            200: (None, {None}),
            400: ("throttle", {"ThrottlingException", "Throttling"}),
            500: ("500", {"InternalFailure"}),
            503: ("503", {"ServiceUnavailable"}),
        }
        expect(status in kinds and code in kinds[status][1], f"unexpected {status} {code}")
        return kinds[status][0]

    def chaos_seeded_replay() -> None:
        settings = {"rate": 0.3, "seed": 7, "operations": ["DescribeLogGroups", "ListTopics"],
                    "kinds": ["throttle", "500", "503"]}

        def run(interleave: bool) -> list[str | None]:
            # Registering again re-seeds: the same 50 calls get the same faults.
            expect(set_chaos(settings) == settings, "stored settings")
            emu.reset_log()
            outcome: list[str | None] = []
            for i in range(50):
                if i % 2:
                    status, _, raw = sns_list_topics()
                    code = None if status == 200 else query_error(raw)["Code"]
                else:
                    status, _, body = emu.logs("DescribeLogGroups", {})
                    code = None if status == 200 else body["__type"]
                outcome.append(chaos_kind(status, code))
                if interleave:  # not in "operations": takes no draw, never faulted
                    expect(emu.logs("DescribeMetricFilters", {})[0] == 200, "not matching")
            logged = [
                e.get("fault") for e in emu.log() if e["operation"] != "DescribeMetricFilters"
            ]
            expect(logged == outcome, f"log faults {logged} != answers {outcome}")
            if interleave:
                expect(len(emu.log()) == 100, "interleaved calls logged")
            return outcome

        try:
            first = run(False)
            second = run(False)
            third = run(True)
        finally:
            reset_chaos()
        expect(first == second, f"replay differs:\n{first}\n{second}")
        expect(first == third, f"non-matching calls changed the draws:\n{first}\n{third}")
        faulted = [k for k in first if k is not None]
        expect(5 <= len(faulted) <= 30, f"rate 0.3 of 50: {len(faulted)} faulted: {first}")
        expect(len(set(faulted)) >= 2, f"kinds drawn: {first}")
        # The documented draw: rng.random() < rate, then rng.choice(kinds) for a fault.
        rng = random.Random(7)
        model = [
            rng.choice(settings["kinds"]) if rng.random() < settings["rate"] else None
            for _ in range(50)
        ]
        expect(first == model, f"not random.Random(7)'s sequence:\n{first}\n{model}")

    def chaos_reset_stops() -> None:
        set_chaos({"rate": 1.0, "seed": 0, "kinds": ["503"]})
        try:
            emu.reset_log()  # requests/reset keeps chaos on
            expect(emu.logs("DescribeLogGroups", {})[0] == 503, "chaos kept by requests/reset")
        finally:
            reset_chaos()
        expect(emu.logs("DescribeLogGroups", {})[0] == 200, "logs after chaos/reset")
        expect(sns_list_topics()[0] == 200, "sns after chaos/reset")
        expect(emu.cbor("DescribeAlarms", {})[0] == 200, "cbor after chaos/reset")
        entries = emu.raw_log()
        expect(
            [(e.get("fault"), e["reached"]) for e in entries]
            == [("503", False), (None, True), (None, True), (None, True)],
            f"log {entries}",
        )
        expect(
            all(isinstance(e["ms"], (int, float)) and "stalled" not in e for e in entries),
            f"log {entries}",
        )
        # A second chaos/reset is harmless.
        reset_chaos()

    stalled_group = "trailwatch-check/stalled"

    def group_names(prefix: str) -> list[str]:
        status, _, body = emu.logs("DescribeLogGroups", {"logGroupNamePrefix": prefix})
        expect(status == 200, f"DescribeLogGroups {status} {body}")
        return sorted(g["logGroupName"] for g in body["logGroups"])

    def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
        """Run `fn` in a thread; the dict gets "value" (or "error") and "seconds"."""
        out: dict[str, Any] = {}

        def run() -> None:
            started = time.monotonic()
            try:
                out["value"] = fn()
            except Exception as exc:  # reported by the check that reads `out`
                out["error"] = exc
            out["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, out

    def stall_delays_one_call() -> None:
        stall = {"operation": "CreateLogGroup", "skip": 1, "seconds": 1.5}
        expect(emu.control("/_trailwatch/stall", stall) == (200, stall), "register stall")
        emu.reset_log()
        try:
            started = time.monotonic()
            first = emu.logs("CreateLogGroup", {"logGroupName": f"{stalled_group}-first"})[0]
            expect(first == 200 and time.monotonic() - started < 1.0, "skip 1: not held")
            thread, out = in_thread(
                lambda: emu.logs("CreateLogGroup", {"logGroupName": stalled_group})[0]
            )
            entry = emu.wait_stalled("CreateLogGroup")
            expect(entry["reached"] is False and entry["ms"] is None, f"waiting: {entry}")
            # Another call goes through at once; moto has not got the held one yet.
            started = time.monotonic()
            names = group_names(stalled_group)
            quick = time.monotonic() - started
            expect(thread.is_alive(), "the held call must still be waiting")
            expect(quick < 1.0, f"another call took {quick:.2f}s")
            expect(names == [f"{stalled_group}-first"], f"moto got the held call: {names}")
            thread.join(timeout=10)
            expect(out.get("value") == 200, f"held call: {out}")
            expect(1.4 <= out["seconds"] < 4.0, f"held {out['seconds']:.2f}s, not ~1.5s")
            expect(stalled_group in group_names(stalled_group), "held call reached moto")
            entries = emu.raw_log()
            expect(
                [(e["operation"], e.get("stalled"), e["reached"]) for e in entries]
                == [("CreateLogGroup", None, True), ("CreateLogGroup", True, True),
                    ("DescribeLogGroups", None, True), ("DescribeLogGroups", None, True)],
                f"log {entries}",
            )
            expect(entries[1]["ms"] >= 1400, f"ms {entries[1]}")
            expect(all("fault" not in e for e in entries), f"log {entries}")
        finally:
            reset_stalls()
            for name in (stalled_group, f"{stalled_group}-first"):
                emu.logs("DeleteLogGroup", {"logGroupName": name})

    def stall_reset_wakes() -> None:
        stall = {"operation": "CreateLogGroup", "seconds": 30}
        stored = emu.control("/_trailwatch/stall", stall)
        expect(stored == (200, dict(stall, skip=0)), f"register stall: {stored}")
        emu.reset_log()
        try:
            thread, out = in_thread(
                lambda: emu.logs("CreateLogGroup", {"logGroupName": stalled_group})[0]
            )
            emu.wait_stalled("CreateLogGroup")
            time.sleep(0.2)
            expect(thread.is_alive(), "the held call must still be waiting")
            expect(group_names(stalled_group) == [], "moto got the held call")
            emu.reset_log()  # requests/reset keeps the stall (and the waiting call)
            woken = time.monotonic()
        finally:
            reset_stalls()
        thread.join(timeout=10)
        expect(time.monotonic() - woken < 2.0, f"stall/reset woke it late: {out}")
        expect(out.get("value") == 200, f"woken call: {out}")
        expect(out["seconds"] < 5.0, f"held {out['seconds']:.2f}s of 30")
        expect(group_names(stalled_group) == [stalled_group], "woken call reached moto")
        entries = emu.raw_log()
        expect(entries[0]["operation"] == "DescribeLogGroups", f"log {entries}")
        # The stall is gone: the next call is not held.
        started = time.monotonic()
        status = emu.logs("CreateLogGroup", {"logGroupName": f"{stalled_group}-2"})[0]
        expect(status == 200 and time.monotonic() - started < 1.0, "stall cleared")
        expect("stalled" not in emu.raw_log()[-1], f"log {emu.raw_log()}")
        for name in (stalled_group, f"{stalled_group}-2"):
            emu.logs("DeleteLogGroup", {"logGroupName": name})

    def stall_not_for_faults() -> None:
        # A request answered by chaos is answered at once, never held, and takes no stall turn.
        stall = {"operation": "DescribeLogGroups", "skip": 1, "seconds": 30}
        expect(emu.control("/_trailwatch/stall", stall)[0] == 200, "register stall")
        try:
            set_chaos({"rate": 1.0, "kinds": ["throttle"], "operations": ["DescribeLogGroups"]})
            emu.reset_log()
            try:
                started = time.monotonic()
                for _ in range(3):
                    expect(emu.logs("DescribeLogGroups", {})[0] == 400, "chaos answers")
                expect(time.monotonic() - started < 2.0, "chaos answers are not held")
            finally:
                reset_chaos()
            # skip 1 is still ahead: the first request that reaches moto is not held.
            started = time.monotonic()
            expect(emu.logs("DescribeLogGroups", {})[0] == 200, "passes")
            expect(time.monotonic() - started < 2.0, "the skipped request was held")
            entries = emu.raw_log()
            expect(
                [(e.get("fault"), e.get("stalled"), e["reached"]) for e in entries]
                == [("throttle", None, False)] * 3 + [(None, None, True)],
                f"log {entries}",
            )
        finally:
            reset_stalls()

    def override_trail_status() -> None:
        s3 = emu.boto3("s3")
        s3.create_bucket(Bucket="trailwatch-check-trail")
        client = emu.boto3("cloudtrail")
        client.create_trail(Name="trailwatch-check", S3BucketName="trailwatch-check-trail")
        client.start_logging(Name="trailwatch-check")
        before = client.get_trail_status(Name="trailwatch-check")
        expect("LatestCloudWatchLogsDeliveryError" not in before, f"moto: {before}")
        override = {
            "operation": "GetTrailStatus",
            "merge": {
                "LatestCloudWatchLogsDeliveryError": "AccessDeniedException",
                "LatestCloudWatchLogsDeliveryTime": 1767225600,
            },
        }
        expect(emu.control("/_trailwatch/override", override) == (200, override), "register")
        try:
            status = client.get_trail_status(Name="trailwatch-check")
            expect(
                status.get("LatestCloudWatchLogsDeliveryError") == "AccessDeniedException",
                f"{status}",
            )
            when = status.get("LatestCloudWatchLogsDeliveryTime")
            expect(when is not None and when.timestamp() == 1767225600, f"{when!r}")
            expect(status["IsLogging"] is True, f"moto's own members are kept: {status}")
            # The raw answer: merged JSON, Content-Length fixed.
            code, headers, raw = emu.request(
                "POST", "/", json.dumps({"Name": "trailwatch-check"}).encode(),
                {
                    "Authorization": AUTH.replace("/monitoring/", "/cloudtrail/"),
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target":
                        "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus",
                },
            )
            expect(code == 200 and int(headers["content-length"]) == len(raw), f"{headers}")
            answer = json.loads(raw)
            expect(answer["LatestCloudWatchLogsDeliveryTime"] == 1767225600, f"{answer}")
            # Errors and other operations are left alone.
            try:
                client.get_trail_status(Name="no-such-trail")
            except client.exceptions.ClientError as err:
                expect(
                    "LatestCloudWatchLogsDeliveryError" not in err.response, f"{err.response}"
                )
                expect(err.response["Error"]["Code"] == "TrailNotFoundException", f"{err}")
            else:
                raise AssertionError("GetTrailStatus on a missing trail must fail")
            trails = client.describe_trails()["trailList"]
            expect(all("LatestCloudWatchLogsDeliveryError" not in t for t in trails), f"{trails}")
            # requests/reset keeps overrides; a null value removes moto's member.
            emu.reset_log()
            nulled = {"operation": "GetTrailStatus", "merge": {"IsLogging": None}}
            expect(emu.control("/_trailwatch/override", nulled)[0] == 200, "replace override")
            status = client.get_trail_status(Name="trailwatch-check")
            expect("IsLogging" not in status, f"null removes the member: {status}")
            expect("LatestCloudWatchLogsDeliveryError" not in status, f"replaced: {status}")
        finally:
            expect(emu.control("/_trailwatch/override/reset") == (200, {}), "override/reset")
        status = client.get_trail_status(Name="trailwatch-check")
        expect(status["IsLogging"] is True, f"override cleared: {status}")
        expect("LatestCloudWatchLogsDeliveryError" not in status, f"override cleared: {status}")

    def organization_trail_in_members() -> None:
        import boto3

        def as_account(service: str, account: str) -> Any:
            creds = emu.boto3("sts").assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                RoleSessionName="check",
            )["Credentials"]
            return boto3.client(
                service, region_name="us-east-1", endpoint_url=emu.url,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )

        org = emu.boto3("organizations")
        code, status = boto3_error("organizations", lambda c: c.list_accounts())
        expect((code, status) == ("AWSOrganizationsNotInUseException", 400), f"{code} {status}")
        org.create_organization(FeatureSet="ALL")
        member = org.create_account(AccountName="m", Email="m@example.com")[
            "CreateAccountStatus"]["AccountId"]
        listed = [a["Id"] for a in org.list_accounts()["Accounts"]]
        expect(member in listed, f"the management account lists its members: {listed}")
        try:
            as_account("organizations", member).list_accounts()
        except Exception as err:  # botocore's ClientError
            expect("AccessDeniedException" in str(err), f"{err}")
        else:
            raise AssertionError("a member account cannot list the organization")
        emu.boto3("s3").create_bucket(Bucket="trailwatch-check-org")
        owner = emu.boto3("cloudtrail")
        arn = owner.create_trail(
            Name="org-trail", S3BucketName="trailwatch-check-org", IsMultiRegionTrail=True,
            IsOrganizationTrail=True,
        )["TrailARN"]
        owner.start_logging(Name="org-trail")
        seen = as_account("cloudtrail", member)
        trails = [t["TrailARN"] for t in seen.describe_trails()["trailList"]]
        expect(trails == [arn], f"the member sees the organization trail: {trails}")
        expect(seen.get_trail_status(Name=arn)["IsLogging"] is True, "status by ARN")
        expect(seen.get_event_selectors(TrailName=arn)["TrailARN"] == arn, "selectors by ARN")
        outsider = as_account("cloudtrail", "999999999999")
        expect(outsider.describe_trails()["trailList"] == [], "not a member: nothing")
        expect(
            seen.describe_trails(includeShadowTrails=False)["trailList"] == [],
            "without shadow trails only the account's own",
        )

    # ---- AssumeRole parameters in the request log -----------------------------------------

    def assume_role_logged() -> None:
        role = "arn:aws:iam::210987654321:role/TrailwatchAudit"
        sts = emu.boto3("sts")
        emu.reset_log()
        sts.assume_role(
            RoleArn=role, RoleSessionName="trailwatch-check", SourceIdentity="alice+ops@example.com",
            ExternalId="ext-secret-4711",
        )
        sts.assume_role(RoleArn=role, RoleSessionName="plain")
        sts.get_caller_identity()
        # By hand: a query string, percent-encoded, an empty ExternalId (sent, so true).
        status, _, raw = emu.request(
            "POST",
            "/?Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A210987654321"
            "%3Arole%2FTrailwatchAudit&RoleSessionName=by%20hand&ExternalId=",
            b"",
            {"Authorization": AUTH.replace("/monitoring/", "/sts/")},
        )
        expect(status == 200 and b"AssumeRoleResponse" in raw, f"{status} {raw[:300]!r}")
        # A faulted AssumeRole has them too (logged when it arrives).
        fault = {"operation": "AssumeRole", "status": 403, "code": "AccessDenied"}
        expect(emu.control("/_trailwatch/faults", fault)[0] == 200, "register fault")
        try:
            got = boto3_error("sts", lambda c: c.assume_role(
                RoleArn=role, RoleSessionName="refused", SourceIdentity="bob"))
            expect(got == ("AccessDenied", 403), f"{got}")
        finally:
            reset_faults()

        def assumed(session: str, external_id: bool, **source: str) -> dict[str, Any]:
            fields: dict[str, Any] = {"role_arn": role, "session_name": session}
            fields.update(source)
            fields["external_id"] = external_id
            return {"service": "sts", "operation": "AssumeRole", "assume": fields}

        entries = emu.log()
        expect(
            entries == [
                assumed("trailwatch-check", True, source_identity="alice+ops@example.com"),
                assumed("plain", False),
                {"service": "sts", "operation": "GetCallerIdentity"},
                assumed("by hand", True),
                dict(assumed("refused", False, source_identity="bob"), fault="injected"),
            ],
            f"log {entries}",
        )
        expect("ext-secret-4711" not in json.dumps(emu.raw_log()), "ExternalId's value logged")
        expect(list(entries[0]["assume"]) == ["role_arn", "session_name", "source_identity",
                                              "external_id"], f"{entries[0]}")

    # ---- SNS subscriptions pending confirmation ------------------------------------------

    SNS_TOPIC = "trailwatch-check-pending"
    MAIL = "secops@example.com"

    def sns_pending(other: Emulator | None = None) -> list[dict[str, str]]:
        status, headers, raw = (other or emu).request("GET", "/_trailwatch/sns/pending")
        expect(status == 200 and headers.get("content-type") == "application/json",
               f"sns/pending {status} {headers} {raw!r}")
        return json.loads(raw)

    def sns_confirm(payload: Any = None, other: Emulator | None = None) -> list[str]:
        status, body = (other or emu).control("/_trailwatch/sns/confirm", payload)
        expect(status == 200 and set(body) == {"confirmed"}, f"sns/confirm {payload}: {body}")
        return body["confirmed"]

    def sns_topic(name: str, client: Any = None) -> str:
        return (client or emu.boto3("sns")).create_topic(Name=name)["TopicArn"]

    def listed(topic: str, client: Any = None) -> list[tuple[str, str, str]]:
        """ListSubscriptionsByTopic as (SubscriptionArn, Protocol, Endpoint), every page."""
        sns = client or emu.boto3("sns")
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
        return [
            (s["SubscriptionArn"], s["Protocol"], s["Endpoint"])
            for page in pages for s in page["Subscriptions"]
        ]

    def counts(topic: str) -> tuple[str, str]:
        """GetTopicAttributes' (SubscriptionsPending, SubscriptionsConfirmed)."""
        attrs = emu.boto3("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
        return attrs["SubscriptionsPending"], attrs["SubscriptionsConfirmed"]

    def pending_arn(topic: str, endpoint: str) -> str:
        """The real ARN of the pending subscription of `endpoint` to `topic` (sns/pending)."""
        found = [p["subscription_arn"] for p in sns_pending()
                 if p["topic_arn"] == topic and p["endpoint"] == endpoint]
        expect(len(found) == 1, f"one pending {endpoint} on {topic}: {sns_pending()}")
        return found[0]

    def sns_subscribe_pending() -> None:
        sns = emu.boto3("sns")
        topic = sns_topic(SNS_TOPIC)
        hook = "https://127.0.0.1:1/trailwatch-hook"
        for protocol, endpoint in [("email", MAIL), ("https", hook)]:
            arn = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)[
                "SubscriptionArn"]
            expect(arn == "pending confirmation", f"{protocol}: {arn}")
        want = [("PendingConfirmation", "email", MAIL), ("PendingConfirmation", "https", hook)]
        expect(listed(topic) == want, f"ListSubscriptionsByTopic {listed(topic)}")
        everywhere = [
            (s["SubscriptionArn"], s["Protocol"], s["Endpoint"])
            for s in sns.list_subscriptions()["Subscriptions"] if s["TopicArn"] == topic
        ]
        expect(everywhere == want, f"ListSubscriptions {everywhere}")
        pending = [p for p in sns_pending() if p["topic_arn"] == topic]
        expect(
            [(p["protocol"], p["endpoint"]) for p in pending] == [("email", MAIL), ("https", hook)]
            and all(set(p) == {"subscription_arn", "topic_arn", "protocol", "endpoint"}
                    and p["subscription_arn"].startswith(topic + ":") for p in pending),
            f"sns/pending {pending}",
        )
        expect(counts(topic) == ("2", "0"), f"counts {counts(topic)}")
        # A pending https subscription gets nothing: moto would POST to port 1 and fail.
        expect(bool(sns.publish(TopicArn=topic, Message="m")["MessageId"]), "Publish")

    def sns_return_subscription_arn() -> None:
        sns = emu.boto3("sns")
        topic = sns_topic(SNS_TOPIC)
        arn = sns.subscribe(
            TopicArn=topic, Protocol="email-json", Endpoint="json@example.com",
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        expect(arn.startswith(topic + ":"), f"ReturnSubscriptionArn: {arn}")
        expect(("PendingConfirmation", "email-json", "json@example.com") in listed(topic),
               f"still listed as pending: {listed(topic)}")
        expect(pending_arn(topic, "json@example.com") == arn, "sns/pending has that ARN")
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        expect(attrs["PendingConfirmation"] == "true", f"{attrs}")
        expect(attrs["ConfirmationWasAuthenticated"] == "false", f"{attrs}")
        expect(counts(topic) == ("3", "0"), f"counts {counts(topic)}")

    def sns_resubscribe_while_pending() -> None:
        sns = emu.boto3("sns")
        topic = sns_topic(SNS_TOPIC)
        before = listed(topic)
        again = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=MAIL)["SubscriptionArn"]
        expect(again == "pending confirmation", f"again: {again}")
        arn = sns.subscribe(
            TopicArn=topic, Protocol="email", Endpoint=MAIL, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        expect(arn == pending_arn(topic, MAIL), f"the same subscription: {arn}")
        expect(listed(topic) == before, f"no second subscription: {listed(topic)}")
        expect(counts(topic) == ("3", "0"), f"counts {counts(topic)}")

    def sns_concurrent_subscribes() -> None:
        topic = sns_topic("trailwatch-check-pending-race")
        answers: list[str] = []

        def subscribe() -> None:
            answers.append(emu.boto3("sns").subscribe(
                TopicArn=topic, Protocol="email", Endpoint="race@example.com")["SubscriptionArn"])

        threads = [threading.Thread(target=subscribe) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        expect(answers == ["pending confirmation"] * 8, f"{answers}")
        expect(listed(topic) == [("PendingConfirmation", "email", "race@example.com")],
               f"one subscription: {listed(topic)}")
        expect(len(sns_confirm({"topic_arn": topic})) == 1, "one to confirm")

    def sns_sqs_confirmed_at_once() -> None:
        sns = emu.boto3("sns")
        topic = sns_topic(SNS_TOPIC)
        queue_url = emu.boto3("sqs").create_queue(QueueName="trailwatch-check-pending")["QueueUrl"]
        queue = emu.boto3("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
        expect(arn.startswith(topic + ":"), f"sqs: {arn}")
        expect((arn, "sqs", queue) in listed(topic), f"listed with its ARN: {listed(topic)}")
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        expect(attrs["PendingConfirmation"] == "false", f"{attrs}")
        expect(all(p["subscription_arn"] != arn for p in sns_pending()), "sqs is not pending")
        expect(counts(topic) == ("3", "1"), f"counts {counts(topic)}")
        sns.publish(TopicArn=topic, Message="to the queue")
        got = emu.boto3("sqs").receive_message(QueueUrl=queue_url).get("Messages", [])
        expect(len(got) == 1 and "to the queue" in got[0]["Body"], f"sqs delivery: {got}")

    def sns_confirm_bad_bodies() -> None:
        before = sns_pending()
        expect(before, "pending subscriptions expected here")
        for payload in [[1], "x", 1, {"endpont": MAIL}, {"endpoint": 1}, {"topic_arn": ""},
                        {"endpoint": MAIL, "topic_arn": None}]:
            status, body = emu.control("/_trailwatch/sns/confirm", payload)
            expect(status == 400 and isinstance(body.get("message"), str), f"{payload}: {body}")
        status, _, raw = emu.request("POST", "/_trailwatch/sns/confirm", b"{not json")
        expect(status == 400 and isinstance(json.loads(raw).get("message"), str),
               f"not JSON: {status} {raw!r}")
        status, _, _ = emu.request("GET", "/_trailwatch/sns/confirm")
        expect(status == 404, f"GET sns/confirm: {status}")
        expect(sns_pending() == before, f"a bad body confirmed something: {sns_pending()}")

    def sns_confirm_by_endpoint() -> None:
        sns = emu.boto3("sns")
        topic = sns_topic(SNS_TOPIC)
        arn = pending_arn(topic, MAIL)
        expect(emu.control("/_trailwatch/requests/reset")[0] == 200, "requests/reset")
        expect(pending_arn(topic, MAIL) == arn, "requests/reset keeps the pending subscriptions")
        expect(sns_confirm({"endpoint": MAIL}) == [arn], "confirm by endpoint")
        expect(sns_confirm({"endpoint": MAIL}) == [], "nothing left to confirm")
        expect((arn, "email", MAIL) in listed(topic), f"read back with its ARN: {listed(topic)}")
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        expect(attrs["PendingConfirmation"] == "false", f"{attrs}")
        again = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=MAIL)["SubscriptionArn"]
        expect(again == arn, f"subscribing a confirmed endpoint answers its ARN: {again}")
        expect(counts(topic) == ("2", "2"), f"counts {counts(topic)}")
        expect(all(p["endpoint"] != MAIL for p in sns_pending()), f"{sns_pending()}")

    def sns_confirm_by_topic_and_all() -> None:
        sns = emu.boto3("sns")
        topic = sns_topic(SNS_TOPIC)
        other = sns_topic("trailwatch-check-pending-other")
        sns.subscribe(TopicArn=other, Protocol="email", Endpoint=MAIL)
        mine = {p["subscription_arn"] for p in sns_pending() if p["topic_arn"] == topic}
        expect(len(mine) == 2, f"two pending on {topic}: {sns_pending()}")
        expect(sns_confirm({"topic_arn": topic, "endpoint": "nobody@example.com"}) == [],
               "members are ANDed")
        expect(set(sns_confirm({"topic_arn": topic})) == mine, "confirm by topic")
        expect(counts(topic) == ("0", "4"), f"counts {counts(topic)}")
        expect([p["topic_arn"] for p in sns_pending()] == [other], f"{sns_pending()}")
        expect(len(sns_confirm({})) == 1 and sns_pending() == [], "{} confirms every one")
        expect(listed(other)[0][0].startswith(other + ":"), f"{listed(other)}")

    def sns_http_delivery_after_confirm() -> None:
        import http.server

        received: list[bytes] = []

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        try:
            sns = emu.boto3("sns")
            topic = sns_topic("trailwatch-check-pending-http")
            hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
            expect(sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook)[
                "SubscriptionArn"] == "pending confirmation", "http is pending")
            sns.publish(TopicArn=topic, Message="while pending")
            expect(received == [], f"a pending subscription got {received}")
            expect(len(sns_confirm({"endpoint": hook})) == 1, "confirm the hook")
            sns.publish(TopicArn=topic, Message="once confirmed")
            expect(len(received) == 1 and b"once confirmed" in received[0], f"{received}")
        finally:
            server.shutdown()
            server.server_close()

    def sns_pending_per_account_and_gone() -> None:
        import boto3

        creds = emu.boto3("sts").assume_role(
            RoleArn="arn:aws:iam::210987654321:role/OrganizationAccountAccessRole",
            RoleSessionName="check",
        )["Credentials"]
        sns = boto3.client(
            "sns", region_name="us-east-1", endpoint_url=emu.url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        topic = sns_topic("trailwatch-check-pending", sns)
        expect(":210987654321:" in topic, topic)
        expect(sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=MAIL)[
            "SubscriptionArn"] == "pending confirmation", "pending in another account")
        expect(listed(topic, sns) == [("PendingConfirmation", "email", MAIL)],
               f"{listed(topic, sns)}")
        arn = pending_arn(topic, MAIL)
        # Unsubscribed while pending (by its real ARN): forgotten.
        sns.unsubscribe(SubscriptionArn=arn)
        expect(sns_pending() == [], f"unsubscribed: {sns_pending()}")
        # A fault answers Subscribe without moto: nothing pending.
        expect(emu.control("/_trailwatch/faults", {"operation": "Subscribe"})[0] == 200, "fault")
        try:
            code, status = boto3_error("sns", lambda c: c.subscribe(
                TopicArn=sns_topic(SNS_TOPIC), Protocol="email", Endpoint="late@example.com"))
            expect((code, status) == ("InternalFailure", 500), f"{code} {status}")
        finally:
            reset_faults()
        expect(sns_pending() == [], f"a faulted Subscribe left {sns_pending()}")
        expect(emu.log()[-2:] == [
            {"service": "sns", "operation": "CreateTopic"},
            {"service": "sns", "operation": "Subscribe", "fault": "injected"},
        ], f"{emu.log()[-2:]}")

    def sns_confirm_at_once_env() -> None:
        other = Emulator({"TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE": "1"})
        try:
            sns = other.boto3("sns")
            topic = sns.create_topic(Name="trailwatch-check-at-once")["TopicArn"]
            arn = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=MAIL)[
                "SubscriptionArn"]
            expect(arn.startswith(topic + ":"), f"confirmed at once: {arn}")
            subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            expect([s["SubscriptionArn"] for s in subs] == [arn], f"{subs}")
            attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            expect(attrs["PendingConfirmation"] == "false", f"{attrs}")
            expect(sns_pending(other) == [], "nothing pending")
            expect(sns_confirm({}, other) == [], "nothing to confirm")
        finally:
            other.proc.stdin.close()
            other.proc.wait(timeout=10)

    # ---- CloudWatch alarm actions and history (n.) ----------------------------------------

    HISTORY_TOPIC = "trailwatch-check-alarm-topic"
    MISSING_TOPIC = "arn:aws:sns:us-east-1:123456789012:trailwatch-check-no-such-topic"
    LAMBDA_ACTION = "arn:aws:lambda:us-east-1:123456789012:function:trailwatch-check-page"
    DRILL_REASON = "trailwatch check: set by hand (SetAlarmState)"
    REGION_NAME = "US East (N. Virginia)"
    NOTIFICATION_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$"

    def cbor_as(
        operation: str, params: dict[str, Any], region: str = "us-east-1",
        account: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """A CBOR call signed for another region, or for another account (moto's
        x-moto-account-id header)."""
        headers = {
            "Authorization": AUTH.replace("/us-east-1/", f"/{region}/"),
            "smithy-protocol": "rpc-v2-cbor",
            "Accept": "application/cbor",
            "Content-Type": "application/cbor",
            "X-Amz-Date": "20260101T000000Z",
        }
        if account is not None:
            headers["x-moto-account-id"] = account
        status, resp_headers, raw = emu.request(
            "POST", f"/service/{SERVICE_ID}/operation/{operation}", cbor2.dumps(params), headers
        )
        return status, resp_headers, decode(raw) if raw else None

    def history_page(
        params: dict[str, Any] | None = None, **where: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One CBOR DescribeAlarmHistory page: (items, Timestamp as epoch seconds, NextToken)."""
        status, headers, body = cbor_as("DescribeAlarmHistory", params or {}, **where)
        expect(status == 200, f"DescribeAlarmHistory {params}: {status} {body}")
        check_cbor_headers(headers)
        expect(set(body) <= {"AlarmHistoryItems", "NextToken"}, f"{body}")
        items = body.get("AlarmHistoryItems", [])
        for item in items:
            expect(isinstance(item["Timestamp"], Tag1)
                   and isinstance(item["Timestamp"].value, (int, float)), f"tag 1: {item}")
            item["Timestamp"] = item["Timestamp"].value
            expect(set(item) == {"AlarmName", "AlarmType", "Timestamp", "HistoryItemType",
                                 "HistorySummary", "HistoryData"}, f"members: {item}")
        return items, body.get("NextToken")

    def history_of(name: str, **params: Any) -> list[dict[str, Any]]:
        items, token = history_page(dict(params, AlarmName=name))
        expect(token is None, f"one page: {token}")
        return items

    def kinds(items: list[dict[str, Any]]) -> list[str]:
        return [i["HistoryItemType"] for i in items]

    def history_data(item: dict[str, Any]) -> dict[str, Any]:
        return json.loads(item["HistoryData"])

    def put_alarm(name: str, actions: list[str], **extra: Any) -> None:
        status, _, body = emu.cbor(
            "PutMetricAlarm", dict(alarm_params, AlarmName=name, AlarmActions=actions, **extra)
        )
        expect(status == 200, f"PutMetricAlarm {name}: {status} {body}")

    def set_state(name: str, value: str, reason: str = DRILL_REASON, **extra: Any) -> None:
        status, headers, body = emu.cbor(
            "SetAlarmState", dict(extra, AlarmName=name, StateValue=value, StateReason=reason)
        )
        expect(status == 200 and body == {}, f"SetAlarmState {name} {value}: {status} {body}")

    def topic_with_queue(queue_name: str) -> tuple[str, str]:
        """The check topic (created once) with a new SQS queue subscribed: (topic, queue URL)."""
        topic = emu.boto3("sns").create_topic(Name=HISTORY_TOPIC)["TopicArn"]
        sqs = emu.boto3("sqs")
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        emu.boto3("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
        return topic, queue_url

    def drain(queue_url: str) -> list[dict[str, Any]]:
        """Every message in the queue (deleted), as the SNS envelopes delivered."""
        sqs = emu.boto3("sqs")
        found: list[dict[str, Any]] = []
        while True:
            got = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                return found
            for message in got:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    HISTORY = {"alarm": "trailwatch-check-history", "queue": ""}

    def history_sns_action() -> None:
        name = HISTORY["alarm"]
        topic, queue_url = topic_with_queue("trailwatch-check-history")
        HISTORY["queue"] = queue_url
        put_alarm(name, [topic], OKActions=[LAMBDA_ACTION], AlarmDescription="CIS 4.4")
        expect(history_of(name) == [], "no history before a state change")
        emu.reset_log()
        before = time.time()
        set_state(name, "ALARM", StateReasonData='{"drill":true}')
        after = time.time()
        expect(emu.log() == [{"service": "monitoring", "operation": "SetAlarmState"}],
               f"the publish is no request: {emu.log()}")
        got = drain(queue_url)
        expect(len(got) == 1, f"one notification: {got}")
        envelope = got[0]
        expect(envelope["Type"] == "Notification" and envelope["TopicArn"] == topic, f"{envelope}")
        expect(envelope["Subject"] == f'ALARM: "{name}" in {REGION_NAME}', f"{envelope}")
        note = json.loads(envelope["Message"])
        expect(list(note) == [
            "AlarmName", "AlarmDescription", "AWSAccountId", "AlarmConfigurationUpdatedTimestamp",
            "NewStateValue", "NewStateReason", "StateChangeTime", "Region", "AlarmArn",
            "OldStateValue", "OKActions", "AlarmActions", "InsufficientDataActions", "Trigger",
        ], f"notification members: {list(note)}")
        expect(note["AlarmName"] == name and note["AlarmDescription"] == "CIS 4.4"
               and note["AWSAccountId"] == "123456789012" and note["Region"] == REGION_NAME
               and note["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
               and note["NewStateValue"] == "ALARM" and note["OldStateValue"] == "OK"
               and note["NewStateReason"] == DRILL_REASON, f"{note}")
        expect(note["AlarmActions"] == [topic] and note["OKActions"] == [LAMBDA_ACTION]
               and note["InsufficientDataActions"] == [], f"{note}")
        for key in ("StateChangeTime", "AlarmConfigurationUpdatedTimestamp"):
            expect(bool(re.match(NOTIFICATION_TIME, note[key])), f"{key}: {note[key]}")
        expect(note["Trigger"] == {
            "MetricName": "IAMPolicyChanges", "Namespace": "CISBenchmark",
            "StatisticType": "Statistic", "Statistic": "SUM", "Unit": None, "Dimensions": [],
            "Period": 300, "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1.0,
            "TreatMissingData": "notBreaching", "EvaluateLowSampleCountPercentile": "",
        }, f"Trigger {note['Trigger']}")

        items = history_of(name)
        expect(kinds(items) == ["Action", "StateUpdate"], f"newest first: {items}")
        action, state = items
        expect(all(i["AlarmName"] == name and i["AlarmType"] == "MetricAlarm" for i in items),
               f"{items}")
        expect(before - 1 <= state["Timestamp"] <= action["Timestamp"] <= after + 1,
               f"times {before} {items} {after}")
        expect(state["HistorySummary"] == "Alarm updated from OK to ALARM", f"{state}")
        expect(history_data(state) == {
            "version": "1.0",
            "oldState": {"stateValue": "OK", "stateReason": "Unchecked: Initial alarm creation"},
            "newState": {"stateValue": "ALARM", "stateReason": DRILL_REASON,
                         "stateReasonData": {"drill": True}},
        }, f"StateUpdate data {state['HistoryData']}")
        expect(action["HistorySummary"] == f"Successfully executed action {topic}", f"{action}")
        data = history_data(action)
        expect(list(data) == ["actionState", "stateUpdateTimestamp", "notificationResource",
                              "publishedMessage"], f"{data}")
        expect(data["actionState"] == "Succeeded" and data["notificationResource"] == topic,
               f"{data}")
        expect(data["stateUpdateTimestamp"] == round(state["Timestamp"] * 1000), f"{data}")
        expect(json.loads(data["publishedMessage"]) == {"default": envelope["Message"]},
               f"publishedMessage {data['publishedMessage']}")
        # The StateUpdate item's time is the alarm's StateUpdatedTimestamp.
        status, _, body = emu.cbor("DescribeAlarms", {"AlarmNames": [name]})
        alarm = body["MetricAlarms"][0]
        expect(alarm["StateValue"] == "ALARM"
               and alarm["StateUpdatedTimestamp"].value == state["Timestamp"], f"{alarm}")
        # Oldest first on request.
        expect(history_of(name, ScanBy="TimestampAscending") == items[::-1], "ascending")

    def history_filters_and_transitions() -> None:
        name, queue_url = HISTORY["alarm"], HISTORY["queue"]
        first = history_of(name)
        expect(kinds(history_of(name, HistoryItemType="Action")) == ["Action"], "Action only")
        expect(kinds(history_of(name, HistoryItemType="StateUpdate")) == ["StateUpdate"],
               "StateUpdate only")
        expect(history_of(name, HistoryItemType="ConfigurationUpdate") == [], "no config items")
        expect(history_of(name, AlarmTypes=["CompositeAlarm"]) == [], "metric alarms only")
        expect(history_of(name, AlarmTypes=["MetricAlarm", "CompositeAlarm"]) == first, "both")
        expect(history_of("trailwatch-check-no-such-alarm") == [], "other name")
        # The state it has already: nothing recorded, nothing published (as AWS).
        set_state(name, "ALARM", reason="again")
        expect(history_of(name) == first, f"same state: {history_of(name)}")
        expect(drain(queue_url) == [], "same state: no notification")
        # OK runs OKActions: a Lambda action is recorded, not run.
        time.sleep(0.01)
        set_state(name, "OK", reason="back to normal")
        items = history_of(name)
        expect(kinds(items) == ["Action", "StateUpdate", "Action", "StateUpdate"], f"{items}")
        expect(items[1]["HistorySummary"] == "Alarm updated from ALARM to OK", f"{items[1]}")
        expect(history_data(items[1])["oldState"] == {"stateValue": "ALARM",
                                                      "stateReason": "again"},
               f"moto's reason of the unchanged set: {items[1]}")
        expect(items[0]["HistorySummary"] == f"Successfully executed action {LAMBDA_ACTION}"
               and history_data(items[0]) == {
                   "actionState": "Succeeded",
                   "stateUpdateTimestamp": round(items[1]["Timestamp"] * 1000)},
               f"lambda action: {items[0]}")
        expect(items[2:] == first, "older items unchanged")
        expect(drain(queue_url) == [], "no notification for OK (no SNS OK action)")
        # Dates, inclusive, in epoch seconds as the Rust SDK sends them.
        newest_change = items[1]["Timestamp"]
        expect(history_of(name, StartDate=cbor2.CBORTag(1, newest_change)) == items[:2],
               "StartDate inclusive")
        expect(history_of(name, EndDate=cbor2.CBORTag(1, first[0]["Timestamp"])) == first,
               "EndDate inclusive")
        expect(history_of(name, StartDate=cbor2.CBORTag(1, time.time() + 60)) == [], "future")
        expect(history_of(name, EndDate=cbor2.CBORTag(1, 1_000_000_000)) == [], "past")

    def history_failed_action() -> None:
        name = "trailwatch-check-history-missing-topic"
        topic, queue_url = topic_with_queue("trailwatch-check-history-missing")
        put_alarm(name, [MISSING_TOPIC, topic])
        set_state(name, "ALARM")
        items = history_of(name)
        expect(kinds(items) == ["Action", "Action", "StateUpdate"], f"{items}")
        succeeded, failed = items[0], items[1]
        expect(failed["HistorySummary"] == f"Failed to execute action {MISSING_TOPIC}. "
               'Received error: "Topic does not exist"', f"{failed}")
        expect(history_data(failed) == {
            "actionState": "Failed",
            "stateUpdateTimestamp": round(items[2]["Timestamp"] * 1000),
            "notificationResource": MISSING_TOPIC, "error": "Topic does not exist",
        }, f"{failed}")
        expect(history_data(succeeded)["actionState"] == "Succeeded"
               and history_data(succeeded)["notificationResource"] == topic, f"{succeeded}")
        got = drain(queue_url)
        expect(len(got) == 1 and json.loads(got[0]["Message"])["AlarmName"] == name,
               f"the other action still ran: {got}")

    def history_actions_disabled() -> None:
        name = "trailwatch-check-history-disabled"
        topic, queue_url = topic_with_queue("trailwatch-check-history-disabled")
        put_alarm(name, [topic], ActionsEnabled=False)
        set_state(name, "ALARM")
        items = history_of(name)
        expect(kinds(items) == ["StateUpdate"], f"StateUpdate only: {items}")
        expect(drain(queue_url) == [], "nothing published")
        # EnableAlarmActions: the next change runs them.
        status, _, body = emu.cbor("EnableAlarmActions", {"AlarmNames": [name]})
        expect(status == 200, f"{status} {body}")
        set_state(name, "OK")
        set_state(name, "ALARM")
        expect(kinds(history_of(name)) == ["Action", "StateUpdate", "StateUpdate",
                                           "StateUpdate"], f"{history_of(name)}")
        expect(len(drain(queue_url)) == 1, "published once enabled")

    def history_pagination() -> None:
        everything, token = history_page({})
        expect(token is None and len(everything) >= 10, f"{len(everything)} items, {token}")
        expect(len({i["AlarmName"] for i in everything}) >= 3, "several alarms")
        paged: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"MaxRecords": 1}
            if token:
                params["NextToken"] = token
            page, token = history_page(params)
            expect(len(page) == 1, f"one per page: {page}")
            paged.extend(page)
            if len(paged) == 2:
                # Newer items arriving meanwhile never show up again in a descending walk.
                set_state(HISTORY["alarm"], "ALARM")
            if token is None:
                break
        expect(paged == everything, f"paged {len(paged)} vs {len(everything)}")
        expect(len(history_page({})[0]) == len(everything) + 2, "the two newer items")
        ascending, _ = history_page({"ScanBy": "TimestampAscending", "MaxRecords": 100})
        pages = emu.boto3("cloudwatch").get_paginator("describe_alarm_history").paginate(
            ScanBy="TimestampAscending", PaginationConfig={"PageSize": 3})
        via_boto3 = [(i["AlarmName"], i["HistorySummary"], i["HistoryData"])
                     for page in pages for i in page["AlarmHistoryItems"]]
        expect(via_boto3 == [(i["AlarmName"], i["HistorySummary"], i["HistoryData"])
                             for i in ascending], "boto3 paginator, page size 3")
        for bad in (0, 101):
            status, headers, body = emu.cbor("DescribeAlarmHistory", {"MaxRecords": bad})
            expect(status == 400 and headers.get("x-amzn-query-error") == "ValidationError;Sender"
                   and "maxRecords" in body["message"], f"MaxRecords {bad}: {status} {body}")
        status, headers, body = emu.cbor("DescribeAlarmHistory", {"NextToken": "not-a-token"})
        expect(status == 400 and headers.get("x-amzn-query-error") == "InvalidNextToken;Sender"
               and body["__type"] == "com.amazonaws.cloudwatch#InvalidNextToken", f"{body}")
        status, headers, body = emu.cbor("DescribeAlarmHistory", {"HistoryItemType": "Nope"})
        expect(status == 400 and headers.get("x-amzn-query-error") == "ValidationError;Sender",
               f"{status} {body}")

    def history_accounts_regions_protocols() -> None:
        name = HISTORY["alarm"]
        ours = history_of(name)
        # Another region and another account have their own (empty) history.
        expect(history_page({}, region="eu-west-1")[0] == [], "eu-west-1")
        expect(history_page({}, account="111111111111")[0] == [], "account 111111111111")
        status, _, body = cbor_as("PutMetricAlarm", dict(alarm_params, AlarmName=name,
                                                         AlarmActions=[]), region="eu-west-1")
        expect(status == 200, f"{status} {body}")
        status, _, body = cbor_as("SetAlarmState", {"AlarmName": name, "StateValue": "ALARM",
                                                    "StateReason": "eu"}, region="eu-west-1")
        expect(status == 200, f"{status} {body}")
        eu, _ = history_page({}, region="eu-west-1")
        expect(kinds(eu) == ["StateUpdate"] and history_of(name) == ours, f"eu: {eu}")
        # awsJson1_0 (X-Amz-Target), as boto3 may send it.
        status, headers, raw = emu.request("POST", "/", json.dumps(
            {"AlarmName": name, "MaxRecords": 1}).encode(), {
                "Authorization": AUTH, "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"{SERVICE_ID}.DescribeAlarmHistory"})
        body = json.loads(raw)
        expect(status == 200 and headers.get("content-type") == "application/x-amz-json-1.0",
               f"awsJson {status} {headers} {body}")
        expect(len(body["AlarmHistoryItems"]) == 1 and body["NextToken"]
               and body["AlarmHistoryItems"][0]["Timestamp"] == ours[0]["Timestamp"]
               and body["AlarmHistoryItems"][0]["HistoryData"] == ours[0]["HistoryData"],
               f"awsJson {body}")
        # awsQuery: SetAlarmState runs the actions, DescribeAlarmHistory answers XML.
        query_alarm = "trailwatch-check-history-query"
        topic, queue_url = topic_with_queue("trailwatch-check-history-query")
        put_alarm(query_alarm, [topic])

        def query(params: dict[str, str]) -> tuple[int, ET.Element]:
            status, _, raw = emu.request(
                "POST", "/", urllib.parse.urlencode(dict(params, Version="2010-08-01")).encode(),
                {"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"})
            return status, ET.fromstring(raw)

        status, root = query({"Action": "SetAlarmState", "AlarmName": query_alarm,
                              "StateValue": "ALARM", "StateReason": "by awsQuery"})
        expect(status == 200, f"awsQuery SetAlarmState {status} {ET.tostring(root)!r}")
        expect(len(drain(queue_url)) == 1, "awsQuery SetAlarmState published")
        status, root = query({"Action": "DescribeAlarmHistory", "AlarmName": query_alarm,
                              "AlarmTypes.member.1": "MetricAlarm"})
        ns = "{http://monitoring.amazonaws.com/doc/2010-08-01/}"
        members = root.findall(f"{ns}DescribeAlarmHistoryResult/{ns}AlarmHistoryItems/{ns}member")
        got = [{child.tag[len(ns):]: child.text for child in m} for m in members]
        expect(status == 200 and [g["HistoryItemType"] for g in got] == ["Action", "StateUpdate"],
               f"awsQuery {status} {ET.tostring(root)!r}")
        expect(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", got[0]["Timestamp"])
               and got[1]["HistorySummary"] == "Alarm updated from OK to ALARM", f"{got}")
        status, root = query({"Action": "DescribeAlarmHistory", "NextToken": "bad"})
        expect(status == 400 and query_error(ET.tostring(root))["Code"] == "InvalidNextToken",
               f"{status} {ET.tostring(root)!r}")
        # requests/reset keeps the history, alarm-history/reset clears it (every region).
        emu.reset_log()
        expect(history_of(name) == ours, "requests/reset keeps it")
        expect(emu.control("/_trailwatch/alarm-history/reset") == (200, {}), "reset")
        expect(history_page({})[0] == [] and history_page({}, region="eu-west-1")[0] == [],
               "cleared")

    def history_concurrent_and_lost() -> None:
        name = "trailwatch-check-history-race"
        topic, queue_url = topic_with_queue("trailwatch-check-history-race")
        put_alarm(name, [topic])
        statuses: list[int] = []

        def fire() -> None:
            statuses.append(emu.cbor("SetAlarmState", {
                "AlarmName": name, "StateValue": "ALARM", "StateReason": "race"})[0])

        threads = [threading.Thread(target=fire) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        expect(statuses == [200] * 8, f"{statuses}")
        expect(kinds(history_of(name)) == ["Action", "StateUpdate"], f"{history_of(name)}")
        expect(len(drain(queue_url)) == 1, "one notification")
        # A lost answer: the caller sees 500, the change lands and its actions run.
        status, body = emu.control("/_trailwatch/faults", {
            "operation": "SetAlarmState", "lost": True, "times": 1})
        expect(status == 200, f"{body}")
        try:
            status, _, body = emu.cbor("SetAlarmState", {
                "AlarmName": name, "StateValue": "OK", "StateReason": "lost"})
            expect(status == 500, f"lost: {status} {body}")
        finally:
            emu.control("/_trailwatch/faults/reset")
        expect(kinds(history_of(name)) == ["StateUpdate", "Action", "StateUpdate"],
               f"{history_of(name)}")
        set_state(name, "ALARM")
        expect(len(drain(queue_url)) == 1, "ALARM again: published")

    # ---- Security Hub (o., p.) ------------------------------------------------------------

    hub_account = "123456789012"  # moto's default account (the dummy keys')
    hub_other = "210987654321"  # reached through its OrganizationAccountAccessRole
    hub_auth = AUTH.replace("/monitoring/", "/securityhub/")

    def default_product(account: str) -> str:
        return f"arn:aws:securityhub:us-east-1:{account}:product/{account}/default"

    def asff(finding_id: str, account: str = hub_account, product: str | None = None,
             status: str = "FAILED") -> dict[str, Any]:
        """A finding botocore's model accepts, for `account`'s default product by default."""
        return {
            "SchemaVersion": "2018-10-08",
            "Id": finding_id,
            "ProductArn": product or default_product(account),
            "GeneratorId": "trailwatch/cis-4.4",
            "AwsAccountId": account,
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "CreatedAt": "2026-01-01T00:00:00.000Z",
            "UpdatedAt": "2026-01-01T00:00:00.000Z",
            "Severity": {"Label": "MEDIUM"},
            "Title": "CIS 4.4 IAM policy changes alarm",
            "Description": "No metric filter and alarm for IAM policy changes.",
            "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account}"}],
            "Compliance": {"Status": status},
        }

    def hub_client(validate: bool = True) -> Any:
        """boto3 Security Hub in the default account; `validate` False sends what botocore's
        own checks would stop (to see the emulator's answer)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "securityhub", region_name="us-east-1", endpoint_url=emu.url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=validate),
        )

    def hub_error(call: Callable[[], Any]) -> tuple[int, str, str, dict[str, str]]:
        """(status, code, message, headers) of the ClientError `call` must raise."""
        from botocore.exceptions import ClientError

        try:
            call()
        except ClientError as err:
            meta = err.response["ResponseMetadata"]
            return (meta["HTTPStatusCode"], err.response["Error"]["Code"],
                    err.response["Error"]["Message"], meta["HTTPHeaders"])
        raise AssertionError("the call must fail")

    def securityhub_tool(*args: str) -> list[str]:
        """securityhub_tool.py's command line on this emulator, run in this process: its one
        output line split on whitespace (the tag first)."""
        sys.path.insert(0, str(HERE))
        try:
            import securityhub_tool as tool
        finally:
            sys.path.remove(str(HERE))
        argv, out = sys.argv, io.StringIO()
        sys.argv = ["securityhub_tool.py", "--endpoint", emu.url, *args]
        try:
            with contextlib.redirect_stdout(out):
                code = tool.main()
        finally:
            sys.argv = argv
        expect(code == 0, f"securityhub_tool {args}: exit {code}")
        return out.getvalue().split()

    def import_file(findings: list[dict[str, Any]], *args: str) -> list[str]:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(findings, f)
        try:
            return securityhub_tool(*args, "import", f.name)
        finally:
            os.unlink(f.name)

    def securityhub_not_subscribed() -> None:
        hub = hub_client()
        message = f"Account {hub_account} is not subscribed to AWS Security Hub"
        for call in (
            lambda: hub.batch_import_findings(Findings=[asff("hub-early")]),
            lambda: hub.batch_update_findings(
                FindingIdentifiers=[
                    {"Id": "hub-early", "ProductArn": default_product(hub_account)}],
                Workflow={"Status": "NOTIFIED"}),
        ):
            status, code, text, headers = hub_error(call)
            expect(status == 401 and code == "InvalidAccessException" and text == message,
                   f"{status} {code} {text}")
            expect(headers.get("x-amzn-errortype") == "InvalidAccessException"
                   and headers.get("content-type") == "application/json", f"{headers}")
        # The raw answer: moto's error shape for Security Hub.
        status, headers, raw = emu.request(
            "POST", "/findings/import", json.dumps({"Findings": [asff("hub-early")]}).encode(),
            {"Authorization": hub_auth, "Content-Type": "application/json"})
        expect(status == 401 and json.loads(raw) == {
            "__type": "InvalidAccessException", "Message": message,
            "Code": "InvalidAccessException"}, f"{status} {raw!r}")
        expect(headers.get("x-amzn-errortype") == "InvalidAccessException", f"{headers}")
        # Nothing was stored; another account is refused the same way, with its own id.
        expect(hub.get_findings()["Findings"] == [], "nothing imported")
        import boto3

        creds = boto3.client(
            "sts", region_name="us-east-1", endpoint_url=emu.url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        ).assume_role(RoleArn=f"arn:aws:iam::{hub_other}:role/OrganizationAccountAccessRole",
                      RoleSessionName="check")["Credentials"]
        other = boto3.client(
            "securityhub", region_name="us-east-1", endpoint_url=emu.url,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"])
        status, code, text, _ = hub_error(
            lambda: other.batch_import_findings(Findings=[asff("hub-early", hub_other)]))
        expect(status == 401 and code == "InvalidAccessException"
               and text == f"Account {hub_other} is not subscribed to AWS Security Hub",
               f"{status} {code} {text}")
        ops = [e["operation"] for e in emu.log() if e["service"] == "securityhub"]
        expect(ops[-5:] == ["BatchImportFindings", "BatchUpdateFindings", "BatchImportFindings",
                            "GetFindings", "BatchImportFindings"], f"logged {ops}")

    def securityhub_import_after_enable() -> None:
        expect(securityhub_tool("enable") == ["ENABLED", "default"], "enable")
        hub = hub_client()
        foreign = asff("hub-foreign", hub_other)  # another account's default product
        mine_for_other = dict(asff("hub-mixed"), AwsAccountId=hub_other)
        out = hub.batch_import_findings(Findings=[
            asff("hub-a"), foreign, asff("hub-b", status="PASSED"), mine_for_other,
            dict(asff("hub-no-resources"), Resources=[]),
        ])
        expect(out["SuccessCount"] == 2 and out["FailedCount"] == 3, f"{out}")
        failed = [(f["Id"], f["ErrorCode"]) for f in out["FailedFindings"]]
        expect(failed == [("hub-foreign", "AccessDeniedException"),
                          ("hub-mixed", "AccessDeniedException"),
                          ("hub-no-resources", "InvalidInput")], f"{failed}")
        expect(hub_account in out["FailedFindings"][0]["ErrorMessage"], f"{out}")
        # Another product's findings are moto's business as before.
        partner = asff(
            "hub-partner", product="arn:aws:securityhub:us-east-1::product/aws/guardduty")
        expect(hub.batch_import_findings(Findings=[partner])["SuccessCount"] == 1, "partner")
        # Through the tool: the same Id again updates in place.
        expect(import_file([asff("hub-a", status="PASSED"), foreign])
               == ["IMPORTED", "1", "1", "1"],
               "tool import")
        expect(securityhub_tool("list") == [
            "FINDINGS", "hub-a=PASSED/-", "hub-b=PASSED/-", "hub-partner=FAILED/-"], "list")
        # Bad bodies: 400 InvalidInputException.
        status, code, _, _ = hub_error(
            lambda: hub_client(False).batch_import_findings(Findings=[]))
        expect(status == 400 and code == "InvalidInputException", f"{status} {code}")
        status, code, _, _ = hub_error(lambda: hub.batch_import_findings(
            Findings=[asff(f"hub-many-{i}") for i in range(101)]))
        expect(status == 400 and code == "InvalidInputException", f"{status} {code}")
        # Another account, through its role: refused until enabled there, then its own.
        expect(securityhub_tool("--account", hub_other, "enable") == ["ENABLED", hub_other],
               "enable other")
        expect(import_file([asff("hub-other", hub_other), asff("hub-x")], "--account", hub_other)
               == ["IMPORTED", "1", "1", "1"], "import other")
        expect(securityhub_tool("--account", hub_other, "list")
               == ["FINDINGS", "hub-other=FAILED/-"], "list other")

    def securityhub_batch_update() -> None:
        hub = hub_client()
        arn = default_product(hub_account)
        out = hub.batch_update_findings(
            FindingIdentifiers=[{"Id": "hub-a", "ProductArn": arn},
                                {"Id": "hub-nope", "ProductArn": arn},
                                {"Id": "hub-b", "ProductArn": default_product(hub_other)}],
            Workflow={"Status": "NOTIFIED"},
            Note={"Text": "owner told: see ticket SEC-1", "UpdatedBy": "trailwatch"},
        )
        expect(out["ProcessedFindings"] == [{"Id": "hub-a", "ProductArn": arn}], f"{out}")
        expect([(u["FindingIdentifier"]["Id"], u["ErrorCode"]) for u in out["UnprocessedFindings"]]
               == [("hub-nope", "FindingNotFound"), ("hub-b", "FindingNotFound")], f"{out}")
        held = {f["Id"]: f for f in hub.get_findings()["Findings"]}
        a = held["hub-a"]
        expect(a["Workflow"] == {"Status": "NOTIFIED"} and a["WorkflowState"] == "ASSIGNED",
               f"{a}")
        expect(a["Note"]["Text"] == "owner told: see ticket SEC-1"
               and a["Note"]["UpdatedBy"] == "trailwatch"
               and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", a["Note"]["UpdatedAt"])
               and a["UpdatedAt"] == a["Note"]["UpdatedAt"], f"{a}")
        expect("Workflow" not in held["hub-b"] and "Note" not in held["hub-b"], "b untouched")
        expect(securityhub_tool("list") == [
            "FINDINGS", "hub-a=PASSED/NOTIFIED", "hub-b=PASSED/-", "hub-partner=FAILED/-"],
            "list")
        expect(securityhub_tool("notes") == ["NOTES", "hub-a=owner_told:_see_ticket_SEC-1"],
               "notes")
        # SUPPRESSED, Severity by label, another note; the Rust SDK's request as it sends it.
        body = json.dumps({"FindingIdentifiers": [{"Id": "hub-b", "ProductArn": arn}],
                           "Workflow": {"Status": "SUPPRESSED"}, "Severity": {"Label": "LOW"},
                           "Note": {"Text": "accepted risk", "UpdatedBy": "secops"}}).encode()
        status, headers, raw = emu.request("PATCH", "/findings/batchupdate", body, {
            "Authorization": hub_auth, "Content-Type": "application/json",
            "X-Amz-Date": "20260101T000000Z"})
        expect(status == 200 and headers.get("content-type") == "application/json"
               and json.loads(raw) == {"ProcessedFindings": [{"Id": "hub-b", "ProductArn": arn}],
                                       "UnprocessedFindings": []}, f"{status} {raw!r}")
        b = {f["Id"]: f for f in hub.get_findings()["Findings"]}["hub-b"]
        expect(b["Workflow"]["Status"] == "SUPPRESSED" and b["WorkflowState"] == "DEFERRED"
               and b["Severity"] == {"Label": "LOW", "Normalized": 1}, f"{b}")
        expect(securityhub_tool("notes") == ["NOTES", "hub-a=owner_told:_see_ticket_SEC-1",
                                             "hub-b=accepted_risk"], "notes")
        # Refused as AWS refuses them: 400 InvalidInputException, nothing changed.
        loose = hub_client(False)
        one = [{"Id": "hub-a", "ProductArn": arn}]
        for name, call in (
            ("Note without UpdatedBy", lambda: loose.batch_update_findings(
                FindingIdentifiers=one, Note={"Text": "no author"})),
            ("Note text of 513", lambda: loose.batch_update_findings(
                FindingIdentifiers=one, Note={"Text": "x" * 513, "UpdatedBy": "me"})),
            ("Workflow.Status", lambda: loose.batch_update_findings(
                FindingIdentifiers=one, Workflow={"Status": "DONE"})),
            ("no FindingIdentifiers", lambda: loose.batch_update_findings(
                FindingIdentifiers=[], Workflow={"Status": "NEW"})),
            ("101 FindingIdentifiers", lambda: loose.batch_update_findings(
                FindingIdentifiers=one * 101, Workflow={"Status": "NEW"})),
        ):
            status, code, text, headers = hub_error(call)
            expect(status == 400 and code == "InvalidInputException" and text
                   and headers.get("x-amzn-errortype") == "InvalidInputException",
                   f"{name}: {status} {code} {text} {headers}")
        a = {f["Id"]: f for f in hub.get_findings()["Findings"]}["hub-a"]
        expect(a["Workflow"]["Status"] == "NOTIFIED" and a["Note"]["UpdatedBy"] == "trailwatch",
               f"unchanged: {a}")
        # A fault on it answers in Security Hub's error shape, logged by operation name.
        status, body = emu.control("/_trailwatch/faults", {
            "operation": "BatchUpdateFindings", "status": 429, "code": "LimitExceededException",
            "times": 1})
        expect(status == 200, f"{body}")
        try:
            status, code, _, headers = hub_error(lambda: hub.batch_update_findings(
                FindingIdentifiers=one, Workflow={"Status": "RESOLVED"}))
        finally:
            emu.control("/_trailwatch/faults/reset")
        expect(status == 429 and code == "LimitExceededException"
               and headers.get("x-amzn-errortype") == "LimitExceededException", f"{status} {code}")
        logged = [e for e in emu.log() if e["operation"] == "BatchUpdateFindings"]
        expect(logged[-1] == {"service": "securityhub", "operation": "BatchUpdateFindings",
                              "fault": "injected"}, f"{logged}")
        out = hub.batch_update_findings(FindingIdentifiers=one, Workflow={"Status": "RESOLVED"})
        expect(len(out["ProcessedFindings"]) == 1, f"{out}")
        expect(securityhub_tool("list")[1] == "hub-a=PASSED/RESOLVED", "resolved")

    # ---- awsQuery form signatures under IAM enforcement (m.) ------------------------------

    def run_iam_tool(target: Emulator, *args: str) -> list[str]:
        """iam_tool.py's command line on `target`, run in this process (boto3 is loaded)."""
        sys.path.insert(0, str(HERE))
        try:
            import iam_tool as tool
        finally:
            sys.path.remove(str(HERE))
        argv, out = sys.argv, io.StringIO()
        sys.argv = ["iam_tool.py", "--endpoint", target.url, *args]
        try:
            with contextlib.redirect_stdout(out):
                code = tool.main()
        finally:
            sys.argv = argv
        expect(code == 0, f"iam_tool {args}: exit {code}")
        return out.getvalue().split()

    def iam_form_signatures() -> None:
        """sns:Publish encoded as the Rust SDK encodes it (``%20`` for a space), signed by a
        user made through iam_tool.py, on an emulator enforcing IAM."""
        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        # bootstrap's 4 requests are the free ones (iam_tool.FREE_REQUESTS).
        other = Emulator({"INITIAL_NO_AUTH_ACTION_COUNT": "4"})
        try:
            def iam_tool(*args: str) -> list[str]:
                return run_iam_tool(other, *args)

            admin = iam_tool("bootstrap")[1:]
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as policy:
                json.dump({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": ["sns:Publish"],
                    "Resource": "arn:aws:sns:*:*:cis-benchmark-alarms",
                }]}, policy)
            try:
                user = iam_tool("--admin", *admin, "user", "drill", policy.name)[1:]
            finally:
                os.unlink(policy.name)

            def client(service: str, key: str, secret: str, token: str | None = None) -> Any:
                return boto3.client(
                    service, region_name="us-east-1", endpoint_url=other.url,
                    aws_access_key_id=key, aws_secret_access_key=secret,
                    aws_session_token=token,
                )

            sns, sqs = client("sns", *admin), client("sqs", *admin)
            topic = sns.create_topic(Name="cis-benchmark-alarms")["TopicArn"]
            queue_url = sqs.create_queue(QueueName="drill")["QueueUrl"]
            queue = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)

            subject = ("[trailwatch drill] TEST of IAMPolicyChanges alarm IAMPolicyChanges "
                       "(not a real alarm)")
            message = (
                "TEST NOTIFICATION from `trailwatch drill`: no action is needed.\n\n"
                "It proves that the alarm (CIS 4.4) reaches people: ünïcode – ✓, "
                "~*'!$&+=;,/?#@[]{}|^\\\"<>%\r\nend"
            )

            def rust_style(
                params: list[tuple[str, str]],
                creds: Credentials,
                tamper: Callable[[bytes], bytes] | None = None,
            ) -> tuple[int, bytes]:
                """An awsQuery POST encoded as aws-smithy-query does (every byte but
                A-Za-z0-9-_.~ percent-encoded, ``%20`` for a space), SigV4-signed; `tamper`
                changes the body after signing."""
                body = "&".join(
                    f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}"
                    for k, v in params
                ).encode()
                request = AWSRequest(
                    method="POST", url=other.url + "/", data=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                SigV4Auth(creds, "sns", "us-east-1").add_auth(request)
                # Content-Length (not signed) is the sent body's: urllib sets it.
                headers = {k: v for k, v in request.prepare().headers.items()
                           if k.lower() != "content-length"}
                status, _, raw = other.request(
                    "POST", "/", tamper(body) if tamper else body, headers)
                return status, raw

            publish = [("Action", "Publish"), ("Version", "2010-03-31"), ("TopicArn", topic),
                       ("Message", message), ("Subject", subject)]
            expect(b"%20" in urllib.parse.quote(subject, safe="").encode(), "a space in Subject")
            as_user = Credentials(*user)
            status, raw = rust_style(publish, as_user)
            expect(status == 200 and b"<MessageId>" in raw, f"Rust-style Publish {status} {raw!r}")
            got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])
            expect(len(got) == 1, f"delivered: {got}")
            delivered = json.loads(got[0]["Body"])
            expect(delivered["Subject"] == subject and delivered["Message"] == message,
                   f"decoded as sent: {delivered}")
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=got[0]["ReceiptHandle"])
            # boto3 (``+`` for a space, moto's own encoding) as before.
            expect(bool(client("sns", *user).publish(
                TopicArn=topic, Subject=subject, Message=message)["MessageId"]), "boto3")

            def refused(status: int, raw: bytes, code: str) -> None:
                expect(status == 403 and query_error(raw)["Code"] == code,
                       f"want {code}: {status} {raw!r}")

            # The check is not weakened: a wrong secret, a body changed after signing.
            refused(*rust_style(publish, Credentials(user[0], "wrong" + user[1])),
                    "SignatureDoesNotMatch")
            refused(*rust_style(publish, as_user, lambda b: b.replace(b"TEST%20of", b"TEST%20on")),
                    "SignatureDoesNotMatch")
            refused(*rust_style(publish, as_user, lambda b: b.replace(b"%20", b"+")),
                    "SignatureDoesNotMatch")
            # Signed in moto's encoding (``+``), sent in another: AWS refuses that, so does
            # the emulator (moto alone would accept it: it hashes its re-encoding).
            plus = urllib.parse.urlencode(publish).encode()
            expect(b"+" in plus and b"%20" not in plus, f"{plus!r}")
            request = AWSRequest(method="POST", url=other.url + "/", data=plus, headers={
                "Content-Type": "application/x-www-form-urlencoded"})
            SigV4Auth(as_user, "sns", "us-east-1").add_auth(request)
            headers = {k: v for k, v in request.prepare().headers.items()
                       if k.lower() != "content-length"}
            status, _, raw = other.request("POST", "/", plus.replace(b"+", b"%20"), headers)
            refused(status, raw, "SignatureDoesNotMatch")
            # Nor are the permissions: a right signature on a call the user may not make.
            refused(*rust_style([("Action", "SetTopicAttributes"), ("Version", "2010-03-31"),
                                 ("TopicArn", topic), ("AttributeName", "DisplayName"),
                                 ("AttributeValue", "not allowed")], as_user),
                    "AuthorizationError")
            # Temporary credentials (an assumed role, its session token signed).
            iam = client("iam", *admin)
            me = client("sts", *admin).get_caller_identity()
            account = me["Account"]
            iam.create_role(RoleName="drill", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": me["Arn"]},
                    "Action": "sts:AssumeRole"}]}))
            iam.put_role_policy(RoleName="drill", PolicyName="publish", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]}))
            creds = client("sts", *admin).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/drill", RoleSessionName="drill",
            )["Credentials"]
            session = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                                  creds["SessionToken"])
            status, raw = rust_style(publish, session)
            expect(status == 200 and b"<MessageId>" in raw, f"as a role: {status} {raw!r}")
            refused(*rust_style(publish, Credentials(session.access_key, session.secret_key,
                                                     session.token[:-1] + "x")),
                    "InvalidClientTokenId")
            entries = [(e["operation"], e["service"]) for e in other.log()]
            expect(entries.count(("Publish", "sns")) == 8, f"log {entries}")
        finally:
            other.proc.stdin.close()
            other.proc.wait(timeout=10)

    def iam_alarm_history() -> None:
        """DescribeAlarmHistory under IAM enforcement: moto still checks the permission; the
        alarm's SNS action does not need the caller's sns:Publish."""
        import boto3

        other = Emulator({"INITIAL_NO_AUTH_ACTION_COUNT": "4"})
        try:
            admin = run_iam_tool(other, "bootstrap")[1:]
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as policy:
                json.dump({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": ["cloudwatch:SetAlarmState"],
                    "Resource": "*"}]}, policy)
            try:
                history_policy = str(HERE.parent.parent / "policies" / "history.json")
                reader = run_iam_tool(other, "--admin", *admin, "user", "reader",
                                      policy.name, history_policy)[1:]
                setter = run_iam_tool(other, "--admin", *admin, "user", "setter",
                                      policy.name)[1:]
            finally:
                os.unlink(policy.name)

            def client(service: str, key: str, secret: str) -> Any:
                return boto3.client(
                    service, region_name="us-east-1", endpoint_url=other.url,
                    aws_access_key_id=key, aws_secret_access_key=secret,
                )

            sns, sqs = client("sns", *admin), client("sqs", *admin)
            topic = sns.create_topic(Name="cis-benchmark-alarms")["TopicArn"]
            queue_url = sqs.create_queue(QueueName="alarms")["QueueUrl"]
            queue = sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
            client("cloudwatch", *admin).put_metric_alarm(**dict(
                alarm_params, AlarmName="IAMPolicyChanges", AlarmActions=[topic]))
            # The setter may not publish to the topic itself: CloudWatch does.
            client("cloudwatch", *setter).set_alarm_state(
                AlarmName="IAMPolicyChanges", StateValue="ALARM", StateReason="drill")
            got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", [])
            expect(len(got) == 1, f"published: {got}")
            items = client("cloudwatch", *reader).describe_alarm_history(
                AlarmName="IAMPolicyChanges", HistoryItemType="Action")["AlarmHistoryItems"]
            expect(len(items) == 1 and json.loads(items[0]["HistoryData"])["actionState"]
                   == "Succeeded", f"reader: {items}")
            try:
                client("cloudwatch", *setter).describe_alarm_history(AlarmName="IAMPolicyChanges")
            except client("cloudwatch", *setter).exceptions.ClientError as err:
                expect(err.response["Error"]["Code"] == "AccessDeniedException"
                       and err.response["ResponseMetadata"]["HTTPStatusCode"] == 403,
                       f"{err.response}")
            else:
                raise AssertionError("DescribeAlarmHistory without the permission must fail")
            # The Rust SDK's CBOR call (the adapter signs the inner call for the caller).
            for key, allowed in ((reader[0], True), (setter[0], False)):
                status, headers, raw = other.request(
                    "POST", f"/service/{SERVICE_ID}/operation/DescribeAlarmHistory",
                    cbor2.dumps({"AlarmName": "IAMPolicyChanges"}), {
                        "Authorization": AUTH.replace("testing/", f"{key}/"),
                        "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
                        "X-Amz-Date": "20260101T000000Z"})
                body = decode(raw)
                if allowed:
                    expect(status == 200 and len(body["AlarmHistoryItems"]) == 2,
                           f"CBOR reader: {status} {body}")
                else:
                    expect(status == 403
                           and body["__type"] == "com.amazonaws.cloudwatch#AccessDenied"
                           and headers.get("x-amzn-query-error") == "AccessDenied;Sender",
                           f"CBOR setter: {status} {headers} {body}")
            # moto's NotImplementedError behind an allowed call stays quiet.
            text = other.stderr_text()
            expect("Traceback" not in text and "Error on request" not in text, text[:1000])
        finally:
            other.proc.stdin.close()
            other.proc.wait(timeout=10)

    def unimplemented_json_and_query() -> None:
        status, headers, body = emu.logs(
            "TestMetricFilter", {"filterPattern": "{ $.a = 1 }", "logEventMessages": ["{}"]}
        )
        expect(status == 500, f"status {status} {body}")
        expect(headers.get("content-type") == "application/x-amz-json-1.1", f"{headers}")
        expect(body["__type"] == "InternalFailure", f"{body}")
        expect("not been implemented" in body["message"], f"{body}")
        status, headers, raw = emu.request(
            "POST",
            "/",
            b"Action=SimulatePrincipalPolicy&Version=2010-05-08"
            b"&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fx"
            b"&ActionNames.member.1=sns%3APublish",
            {
                "Authorization": AUTH.replace("/monitoring/", "/iam/"),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        expect(status == 500, f"status {status} {raw[:300]!r}")
        expect(b"<Code>InternalFailure</Code>" in raw, f"{raw[:300]!r}")
        expect(b"not been implemented" in raw, f"{raw[:300]!r}")

    def quiet_stderr() -> None:
        # After the unimplemented CBOR, awsJson and awsQuery calls above.
        text = emu.stderr_text()
        expect("Traceback" not in text, f"traceback on stderr: {text[:1000]}")
        expect("Error on request" not in text, f"werkzeug error log on stderr: {text[:1000]}")

    def verbose_stderr() -> None:
        other = Emulator({"TRAILWATCH_EMULATOR_VERBOSE": "1"})
        try:
            status, _, body = other.logs(
                "TestMetricFilter", {"filterPattern": "{ $.a = 1 }", "logEventMessages": ["{}"]}
            )
            expect(status == 500 and body["__type"] == "InternalFailure", f"{status} {body}")
            text = other.stderr_text()
            expect("Traceback" in text and "NotImplementedError" in text, f"stderr: {text[:500]}")
        finally:
            other.proc.stdin.close()
            other.proc.wait(timeout=10)

    def no_access_log() -> None:
        text = emu.stderr_text()
        expect("POST /" not in text and "GET /" not in text, f"access log on stderr: {text[:500]}")
        expect("Signature=" not in text, "Authorization header printed")

    def exits_on_stdin_eof() -> None:
        emu.proc.stdin.close()
        code = emu.proc.wait(timeout=10)
        expect(code == 0, f"exit code {code}")

    def exits_on_sigterm() -> None:
        other = Emulator()
        other.proc.send_signal(signal.SIGTERM)
        code = other.proc.wait(timeout=10)
        other.proc.stdin.close()
        expect(code == 0, f"exit code {code}; stderr {other.stderr_text()[:500]}")

    try:
        for name, fn in [
            ("READY line", ready_line),
            ("PutMetricAlarm -> 200, empty CBOR map", put_metric_alarm),
            ("DescribeAlarms -> typed CBOR (tag 1, float)", describe_alarms),
            ("DescribeAlarms without a body", describe_alarms_no_body),
            ("DescribeAlarmsForMetric", describe_alarms_for_metric),
            ("GetDashboard missing -> ResourceNotFound", error_resource_not_found),
            ("PutMetricAlarm invalid -> InvalidParameterValue", error_invalid_parameter),
            ("unimplemented op -> CBOR 500", error_not_implemented),
            ("CBOR without a SigV4 scope -> 403", error_no_sigv4_scope),
            ("request log", request_log),
            ("awsQuery/awsJson pass-through + log", passthrough_query),
            ("40 concurrent CBOR calls", concurrent_requests),
            ("control endpoints", control_endpoints),
            ("boto3 (botocore CBOR) round trip", boto3_cbor_client),
            ("logs PutMetricFilter re-put replaces", logs_reput_replaces),
            ("logs: request log has no inner calls", logs_request_log_has_no_inner_calls),
            ("logs PutMetricFilter rejected -> old filter kept", logs_rejected_put_keeps_old),
            ("logs DescribeMetricFilters missing group -> 400", logs_describe_missing_group),
            ("logs PutMetricFilter missing group -> 400, nothing stored", logs_put_missing_group),
            ("logs DeleteLogGroup + CreateLogGroup -> no filters", logs_delete_group_drops_filters),
            ("logs concurrent re-puts are atomic", logs_concurrent_reputs),
            ("boto3 logs round trip", boto3_logs_client),
            ("fault: logs awsJson, skip 1, kept by requests/reset", fault_json_skip),
            ("fault: cloudtrail awsJson through boto3", fault_cloudtrail_boto3),
            ("fault: SNS awsQuery -> XML ErrorResponse", fault_query_xml),
            ("fault: CloudWatch CBOR -> CBOR error + x-amzn-query-error", fault_cbor),
            ("faults/reset clears every fault", faults_reset),
            ("faults/override/chaos/stall bad bodies -> 400", control_bad_bodies),
            ("fault: times 2 after skip 1, then passes again", fault_times),
            ("lost: sns CreateTopic/SetTopicAttributes/Subscribe/TagResource land; "
             "boto3 sees the error, its retry succeeds", lost_sns_writes),
            ("lost: sns awsQuery XML error, the topic created", lost_sns_query_xml),
            ("lost: logs PutMetricFilter (skip, refused write, boto3 retry)",
             lost_logs_put_metric_filter),
            ("lost: cloudwatch CBOR PutMetricAlarm/TagResource + boto3 retry",
             lost_cloudwatch_cbor),
            ("lost: a stall holds the request first", lost_held_by_stall),
            ("chaos rate 1: throttle in awsJson, awsQuery, CBOR, boto3", chaos_throttle),
            ("chaos rate 1: 500 and 503, other operations untouched", chaos_500_503),
            ("chaos rate 0.3, seed 7: same faults on replay", chaos_seeded_replay),
            ("chaos/reset stops chaos, requests/reset does not", chaos_reset_stops),
            ("stall holds one call ~1.5s, others go through", stall_delays_one_call),
            ("stall/reset wakes a held call, which then succeeds", stall_reset_wakes),
            ("stall: chaos answers are not held", stall_not_for_faults),
            ("override: cloudtrail GetTrailStatus through boto3", override_trail_status),
            ("organization trail seen by members only; listings as AWS", organization_trail_in_members),
            ("sts AssumeRole parameters in the request log", assume_role_logged),
            ("sns: email/https -> pending confirmation, listed pending", sns_subscribe_pending),
            ("sns: ReturnSubscriptionArn -> ARN, still pending", sns_return_subscription_arn),
            ("sns: again while pending -> no 2nd subscription", sns_resubscribe_while_pending),
            ("sns: 8 concurrent Subscribes -> one pending", sns_concurrent_subscribes),
            ("sns: sqs confirmed at once, counts, delivered", sns_sqs_confirmed_at_once),
            ("sns/confirm bad bodies -> 400, nothing confirmed", sns_confirm_bad_bodies),
            ("sns/confirm by endpoint -> read back with its ARN", sns_confirm_by_endpoint),
            ("sns/confirm by topic_arn, then {} confirms all", sns_confirm_by_topic_and_all),
            ("sns: Publish skips a pending http receiver", sns_http_delivery_after_confirm),
            ("sns: other account, unsubscribed, faulted", sns_pending_per_account_and_gone),
            ("TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE=1 confirms at once", sns_confirm_at_once_env),
            ("alarm history: SetAlarmState ALARM -> SNS notification in the queue, "
             "Action + StateUpdate newest first", history_sns_action),
            ("alarm history: filters, same state runs nothing, OK -> OKActions (lambda: "
             "recorded only), dates", history_filters_and_transitions),
            ("alarm history: missing topic -> Failed item with an error", history_failed_action),
            ("alarm history: ActionsEnabled=false -> StateUpdate only", history_actions_disabled),
            ("alarm history: MaxRecords 1 pages, boto3 paginator, bad MaxRecords/NextToken",
             history_pagination),
            ("alarm history: per account and region, awsJson, awsQuery, resets",
             history_accounts_regions_protocols),
            ("alarm history: 8 concurrent SetAlarmState -> one change; a lost one lands",
             history_concurrent_and_lost),
            ("securityhub: import/update without Security Hub -> 401 InvalidAccessException",
             securityhub_not_subscribed),
            ("securityhub: enable, import, another account's default product -> FailedFindings",
             securityhub_import_after_enable),
            ("securityhub: BatchUpdateFindings sets Workflow and Note, unknown Id unprocessed, "
             "bad Note -> InvalidInputException", securityhub_batch_update),
            ("IAM enforced: sns Publish encoded as the Rust SDK does, signature still checked",
             iam_form_signatures),
            ("IAM enforced: DescribeAlarmHistory needs its permission; actions need no "
             "sns:Publish of the caller", iam_alarm_history),
            ("unimplemented awsJson/awsQuery -> 500", unimplemented_json_and_query),
            ("quiet stderr by default (no Traceback)", quiet_stderr),
            ("TRAILWATCH_EMULATOR_VERBOSE=1 prints tracebacks", verbose_stderr),
            ("no access log, no credentials on stderr", no_access_log),
            ("exits on stdin EOF", exits_on_stdin_eof),
            ("exits on SIGTERM", exits_on_sigterm),
        ]:
            checks.run(name, fn)
    finally:
        if emu.proc.poll() is None:
            emu.proc.kill()
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
