"""Self-check of tests/support/emulator.py: the CloudWatch CBOR adapter, the request log and
the process lifecycle, exercised the way the Rust SDK (Smithy RPC v2 CBOR) talks to it.

Run with the emulator virtualenv (scripts/setup-emulator):

    <venv>/bin/python tests/support/check_adapter.py

It starts emulator.py as a subprocess, waits for its READY line, sends hand-built CBOR requests
with a dummy SigV4-shaped Authorization header, checks statuses, headers and CBOR typing
(timestamps as tag 1, doubles as floats), the request log, a pass-through awsQuery call, a
boto3 (botocore speaks CBOR to CloudWatch too) round trip, then closes the emulator's stdin and
checks it exits; a second instance checks SIGTERM. Prints `N passed, M failed`; exits non-zero
on any failure.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

import cbor2

HERE = Path(__file__).resolve().parent
EMULATOR = HERE / "emulator.py"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
SERVICE_ID = "GraniteServiceVersion20100801"
ALARM = "trailwatch-check-iam-policy-changes"


class Tag1:
    """A CBOR tag-1 (epoch seconds) value, kept distinct from other numbers when decoding."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Tag1({self.value!r})"


def decode(body: bytes) -> Any:
    return cbor2.loads(body, semantic_decoders={1: lambda value, *_: Tag1(value)})


class Emulator:
    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--port", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
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

    def log(self) -> list[dict[str, Any]]:
        status, _, raw = self.request("GET", "/_trailwatch/requests")
        assert status == 200, status
        entries = json.loads(raw)
        # Each entry also carries the server-side time `ms` (a float, for scripts/bench).
        assert all(isinstance(e.pop("ms"), (int, float)) for e in entries), entries
        return entries


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
        status, headers, body = emu.cbor("DescribeAlarmHistory", {})
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
            "GetDashboard", "PutMetricAlarm", "DescribeAlarmHistory",
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
