"""Check of policies/member-roles.yaml, the member-account roles' CloudFormation template.

Run with the emulator virtualenv (scripts/setup-emulator):

    <venv>/bin/python tests/support/check_member_roles.py [--write]

a. cfn-lint (pinned in requirements.txt) lints the template for one region of each partition
   (aws, aws-cn, aws-us-gov); any error or warning fails.
b. The roles' inline policies in the template equal policies/check.json (ReadRole) and
   policies/check.json + policies/apply.json (WriteRole), every `arn:aws:` written as
   `arn:${AWS::Partition}:` in an `!Sub` (any other `${` in such a string escaped as `${!`); a
   difference fails with a diff. `--write` first regenerates the blocks between the
   `# >>> policies/NAME.json` and `# <<< policies/NAME.json` markers from the JSON files, then
   checks as usual. Also: no hard-coded `arn:aws:` left in Resources/Outputs, and each role's
   inline policies stay under IAM's 10,240-character aggregate limit (counted for aws-us-gov,
   the longest partition name, without whitespace).
c. The template is deployed in the emulator (tests/support/emulator.py on a free loopback port):
   with create_stack in member account 111111111111 (ExternalId set, default role names) and as
   a SELF_MANAGED StackSet instance in member account 222222222222 (ExternalId empty, other
   role names), both trusting a runner role in the caller's account 123456789012. For each
   role: the stack's outputs, the trust policy (exactly, with or without the sts:ExternalId
   condition), the inline policies (exactly the JSON files, partition `aws`), no managed
   policies, and an sts AssumeRole with a SourceIdentity (and the external id) from the runner
   whose session is the role in the member account.

   moto 5.2.5 evaluates Fn::If/Conditions/AWS::NoValue and Fn::Sub with AWS::Partition (always
   `aws`), but its STS never evaluates a trust policy (any role, even a missing one, can be
   assumed; ExternalId and SourceIdentity are ignored). So the deployed trust policy is also
   evaluated here by a minimal evaluator (Principal AWS, Action, StringEquals conditions): the
   runner with the right external id is allowed sts:AssumeRole and sts:SetSourceIdentity; a
   missing or wrong external id (when one is set) and other principals are not.

Prints one line per check and `N passed, M failed`; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EMULATOR = HERE / "emulator.py"
TEMPLATE = REPO / "policies" / "member-roles.yaml"
POLICIES = REPO / "policies"
TEMPLATE_NAME = "policies/member-roles.yaml"

# Which JSON policy file each role's inline policy comes from (the statements are never listed
# here: they are read from the files).
ROLE_POLICIES = {
    "ReadRole": {"trailwatch-check": "check.json"},
    "WriteRole": {"trailwatch-check": "check.json", "trailwatch-apply": "apply.json"},
}
PARTITION_ARN = "arn:${AWS::Partition}:"
INLINE_LIMIT = 10240  # IAM: aggregate inline policy size per role, whitespace not counted
LINT_REGIONS = ["us-east-1", "cn-north-1", "us-gov-west-1"]  # one per partition

BLOCK = re.compile(
    r"^(?P<indent>[ ]*)# >>> policies/(?P<file>[\w.-]+\.json)[ ]*\n"
    r"(?:.*\n)*?"
    r"(?P=indent)# <<< policies/(?P=file)[ ]*\n",
    re.MULTILINE,
)

CALLER = "123456789012"  # moto's account for the dummy "testing" credentials
RUNNER = f"arn:aws:iam::{CALLER}:role/trailwatch-runner"
EXTERNAL_ID = "trailwatch-check-7f3a"
SOURCE_IDENTITY = "alice@example.com"
SESSION = "trailwatch"
REGION = "us-east-1"
# (label, account, how, parameters other than TrustedPrincipalArn, read role, write role)
DEPLOYMENTS = [
    ("stack", "111111111111", "create_stack", {"ExternalId": EXTERNAL_ID},
     "TrailwatchRead", "TrailwatchWrite"),
    ("stackset", "222222222222", "stack_set",
     {"ReadRoleName": "AuditRead", "WriteRoleName": "AuditWrite"}, "AuditRead", "AuditWrite"),
]


# --------------------------------------------------------------------------------------------
# The template as data, and the policy blocks in it
# --------------------------------------------------------------------------------------------


class CfnLoader(yaml.SafeLoader):
    """YAML loader turning CloudFormation's short tags into their long form (`!Sub x` ->
    `{"Fn::Sub": x}`, `!Ref x` -> `{"Ref": x}`, `!GetAtt a.b` -> `{"Fn::GetAtt": [a, b]}`)."""


def _intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=CfnLoader)  # noqa: S506 (a SafeLoader subclass)


def read_policy(name: str) -> dict[str, Any]:
    with open(POLICIES / name, encoding="utf-8") as f:
        return json.load(f)


def template_form(value: Any) -> Any:
    """A policy document as the template writes it: each string holding `arn:aws:` becomes
    `{"Fn::Sub": ...}` with `arn:${AWS::Partition}:` (any other `${` escaped as `${!`)."""
    if isinstance(value, dict):
        return {k: template_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [template_form(v) for v in value]
    if isinstance(value, str) and "arn:aws:" in value:
        return {"Fn::Sub": value.replace("${", "${!").replace("arn:aws:", PARTITION_ARN)}
    return value


# YAML 1.1 words a plain scalar must not be (they would load as booleans or null).
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
PLAIN = re.compile(r"^[A-Za-z](?:[A-Za-z0-9:._/*-]*[A-Za-z0-9._/*-])?$")


def yaml_scalar(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return "!Sub " + json.dumps(value["Fn::Sub"])
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, list) and not value:
        return "[]"
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        if PLAIN.match(value) and value.lower() not in YAML_WORDS:
            return value
        return json.dumps(value)  # a JSON string is a YAML double-quoted scalar
    raise TypeError(f"cannot write {value!r} as YAML")


def is_block(value: Any) -> bool:
    """A non-empty mapping or sequence (written on the lines below its key or dash)."""
    if isinstance(value, dict):
        return bool(value) and not (set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str))
    return isinstance(value, list) and bool(value)


def yaml_lines(value: Any, indent: int) -> list[str]:
    """Block-style YAML for a policy document (mappings, sequences, scalars, `!Sub`)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = yaml_scalar(str(key))
            if is_block(item):
                lines.append(f"{pad}{key_text}:")
                lines.extend(yaml_lines(item, indent + 2))
            else:
                lines.append(f"{pad}{key_text}: {yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if is_block(item):
                inner = yaml_lines(item, indent + 2)
                inner[0] = f"{pad}- {inner[0].lstrip()}"
                lines.extend(inner)
            else:
                lines.append(f"{pad}- {yaml_scalar(item)}")
    else:
        raise TypeError(f"a policy document is a mapping, not {value!r}")
    return lines


def generated_block(indent: str, name: str) -> str:
    want = template_form(read_policy(name))
    body = yaml_lines(want, len(indent))
    got = yaml.load("\n".join(line[len(indent):] for line in body), Loader=CfnLoader)
    if got != want:  # the writer's own guard: what it writes must read back the same
        raise AssertionError(f"generated YAML for policies/{name} does not read back: {got!r}")
    return "".join(
        [f"{indent}# >>> policies/{name}\n"]
        + [f"{line}\n" for line in body]
        + [f"{indent}# <<< policies/{name}\n"]
    )


def write_blocks(text: str) -> str:
    """The template text with every marked policy block regenerated from its JSON file."""
    if not BLOCK.search(text):
        raise SystemExit(f"{TEMPLATE_NAME}: no `# >>> policies/NAME.json` ... `# <<<` block")
    return BLOCK.sub(lambda m: generated_block(m.group("indent"), m.group("file")), text)


def policy_differences(template: dict[str, Any]) -> list[str]:
    """Readable differences between the template's inline policies and the JSON files."""
    problems = []
    resources = template.get("Resources") or {}
    for logical, wanted in ROLE_POLICIES.items():
        props = (resources.get(logical) or {}).get("Properties") or {}
        got = {p.get("PolicyName"): p.get("PolicyDocument") for p in props.get("Policies") or []}
        if list(got) != list(wanted):
            problems.append(f"{logical}: inline policies {list(got)}, expected {list(wanted)}")
        if props.get("ManagedPolicyArns"):
            problems.append(f"{logical}: unexpected ManagedPolicyArns {props['ManagedPolicyArns']}")
        for name, file in wanted.items():
            want = template_form(read_policy(file))
            if name in got and got[name] != want:
                diff = difflib.unified_diff(
                    yaml_lines(want, 0),
                    yaml_lines(got[name], 0) if isinstance(got[name], dict) else [repr(got[name])],
                    fromfile=f"policies/{file} (arn:aws: -> arn:${{AWS::Partition}}:)",
                    tofile=f"{TEMPLATE_NAME} {logical} {name}",
                    lineterm="",
                )
                problems.append("\n".join(diff))
    if problems:
        problems.append(
            f"to update the template: {sys.executable} {Path(__file__).relative_to(REPO)} --write"
        )
    return problems


def hard_coded_arns(value: Any, where: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in hard_coded_arns(v, f"{where}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in hard_coded_arns(v, f"{where}/{i}")]
    if isinstance(value, str) and re.search(r"arn:aws(-[a-z-]+)?:", value):
        return [f"{where}: {value}"]
    return []


def inline_size(files: list[str], partition: str = "aws-us-gov") -> int:
    """IAM's count for a role's inline policies: the documents without whitespace."""
    total = 0
    for file in files:
        text = json.dumps(read_policy(file), separators=(",", ":"))
        total += len(re.sub(r"\s", "", text.replace("arn:aws:", f"arn:{partition}:")))
    return total


# --------------------------------------------------------------------------------------------
# Trust policy evaluation (moto's STS does none)
# --------------------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def principal_matches(principal: Any, arn: str) -> bool:
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        raise AssertionError(f"evaluator supports only Principal {{AWS: ...}}, got {principal!r}")
    account = arn.split(":")[4]
    for entry in as_list(principal["AWS"]):
        if entry == arn or entry == account or re.fullmatch(rf"arn:[\w-]+:iam::{account}:root", entry):
            return True
    return False


def action_matches(actions: Any, action: str) -> bool:
    for pattern in as_list(actions):
        regex = ".*".join(re.escape(part) for part in pattern.lower().split("*"))
        if re.fullmatch(regex, action.lower()):
            return True
    return False


def conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in conditions.items():
        if operator != "StringEquals":
            raise AssertionError(f"evaluator supports only StringEquals, got {operator}")
        for key, values in tests.items():
            if context.get(key) not in as_list(values):
                return False
    return True


def trust_allows(document: dict[str, Any], principal: str, action: str, context: dict[str, str]) -> bool:
    allowed = False
    for statement in as_list(document["Statement"]):
        unsupported = {"NotPrincipal", "NotAction", "NotResource"} & set(statement)
        if unsupported:
            raise AssertionError(f"evaluator does not support {sorted(unsupported)}")
        if (
            principal_matches(statement.get("Principal"), principal)
            and action_matches(statement.get("Action", []), action)
            and conditions_hold(statement.get("Condition", {}), context)
        ):
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


# --------------------------------------------------------------------------------------------
# Emulator and checks
# --------------------------------------------------------------------------------------------


class Emulator:
    """tests/support/emulator.py on a free loopback port (it exits when our stdin closes)."""

    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        environment = {k: v for k, v in os.environ.items() if k != "TRAILWATCH_EMULATOR_VERBOSE"}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--port", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=environment,
        )
        self.url = ""

    def wait_ready(self) -> None:
        line = self.proc.stdout.readline().decode()
        if not line.startswith("TRAILWATCH_EMULATOR_READY http://127.0.0.1:"):
            self.proc.kill()
            self.stderr.seek(0)
            stderr = self.stderr.read().decode("utf-8", "replace")
            raise RuntimeError(f"no READY line, got {line!r}; stderr: {stderr}")
        self.url = line.split()[1]
        self.ready_seconds = time.monotonic() - self.started

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def client(self, service: str, creds: dict[str, str] | None = None) -> Any:
        import boto3

        creds = creds or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
        )


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


def policy_document(document: Any) -> Any:
    """A policy document as boto3 returns it: a dict (botocore decodes the URL-encoded JSON), or
    the string moto 5.2.5 returns for an inline policy a CloudFormation stack created: moto
    keeps the template's mapping and answers its Python repr (`{'Version': ...}`), which is no
    JSON, so botocore leaves it a string. That form is read as a Python literal here."""
    if isinstance(document, str):
        try:
            return json.loads(document)
        except json.JSONDecodeError:
            return ast.literal_eval(document)
    return document


def trust_document(external_id: str) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "TrailwatchRunner",
        "Effect": "Allow",
        "Principal": {"AWS": RUNNER},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true",
        help=f"first regenerate the policy blocks of {TEMPLATE_NAME} from policies/*.json",
    )
    args = parser.parse_args(argv)
    if args.write:
        before = TEMPLATE.read_text(encoding="utf-8")
        after = write_blocks(before)
        if after != before:
            TEMPLATE.write_text(after, encoding="utf-8")
        print(f"{TEMPLATE_NAME}: policy blocks {'rewritten' if after != before else 'already current'}")

    started = time.monotonic()
    checks = Checks()
    emu = Emulator()  # starts now, so it loads while cfn-lint runs
    text = TEMPLATE.read_text(encoding="utf-8")
    template: dict[str, Any] = {}
    try:

        def cfn_lint() -> None:
            lint_started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                 "--regions", *LINT_REGIONS, "--", str(TEMPLATE)],
                capture_output=True, text=True,
            )
            took = time.monotonic() - lint_started
            # cfn-lint's exit code is a bit mask: 2 error, 4 warning, 8 informational, 1 fatal.
            expect(proc.returncode & ~8 == 0, f"cfn-lint exit {proc.returncode} ({took:.1f}s):\n"
                   f"{proc.stdout}{proc.stderr}")
            if proc.stdout.strip():
                print(f"     cfn-lint (informational only):\n{proc.stdout.rstrip()}")

        def parses() -> None:
            template.update(load_template(text))
            expect(set(template.get("Resources", {})) == set(ROLE_POLICIES),
                   f"resources {sorted(template.get('Resources', {}))}, expected {sorted(ROLE_POLICIES)}")

        def policies_match() -> None:
            problems = policy_differences(template)
            expect(not problems, "\n".join(problems))

        def blocks_current() -> None:
            # The marked blocks are exactly what --write would write (layout included).
            expect(write_blocks(text) == text,
                   f"{TEMPLATE_NAME}: the generated policy blocks are not as --write writes them; "
                   f"run {sys.executable} {Path(__file__).relative_to(REPO)} --write")

        def no_hard_coded_partition() -> None:
            found = hard_coded_arns(template.get("Resources")) + hard_coded_arns(template.get("Outputs"))
            expect(not found, "hard-coded partition (use arn:${AWS::Partition}:):\n" + "\n".join(found))

        def inline_sizes() -> None:
            sizes = {role: inline_size(list(files.values())) for role, files in ROLE_POLICIES.items()}
            expect(all(size <= INLINE_LIMIT for size in sizes.values()),
                   f"inline policies over IAM's {INLINE_LIMIT}-character limit: {sizes}")
            print(f"     inline policy sizes (aws-us-gov): {sizes} of {INLINE_LIMIT}")

        for name, fn in [
            ("cfn-lint: no error or warning (" + ", ".join(LINT_REGIONS) + ")", cfn_lint),
            (f"{TEMPLATE_NAME} parses: ReadRole and WriteRole", parses),
            ("inline policies = policies/check.json, apply.json (partition-substituted)", policies_match),
            ("generated policy blocks are as --write writes them", blocks_current),
            ("no hard-coded arn:aws: in Resources and Outputs", no_hard_coded_partition),
            ("inline policy size under IAM's limit", inline_sizes),
        ]:
            checks.run(name, fn)

        emu.wait_ready()
        print(f"emulator ready in {emu.ready_seconds:.2f}s at {emu.url}", flush=True)
        state: dict[str, Any] = {}

        def runner() -> None:
            iam = emu.client("iam")
            iam.create_role(
                RoleName="trailwatch-runner",
                AssumeRolePolicyDocument=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                   "Principal": {"AWS": f"arn:aws:iam::{CALLER}:root"}}],
                }),
            )
            creds = emu.client("sts").assume_role(RoleArn=RUNNER, RoleSessionName="runner")["Credentials"]
            state["runner"] = creds
            who = emu.client("sts", creds).get_caller_identity()
            expect(who["Arn"] == f"arn:aws:sts::{CALLER}:assumed-role/trailwatch-runner/runner", f"{who}")

        checks.run(f"runner role in the caller's account {CALLER}", runner)

        def deploy(label: str, account: str, how: str, params: dict[str, str],
                   read: str, write: str) -> Callable[[], None]:
            def fn() -> None:
                parameters = [{"ParameterKey": "TrustedPrincipalArn", "ParameterValue": RUNNER}]
                parameters += [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]
                if how == "create_stack":
                    # As the member account (moto lets any role be assumed).
                    creds = emu.client("sts").assume_role(
                        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                        RoleSessionName="deploy",
                    )["Credentials"]
                    cfn = emu.client("cloudformation", creds)
                    cfn.create_stack(
                        StackName="trailwatch-member-roles", TemplateBody=text,
                        Parameters=parameters, Capabilities=["CAPABILITY_NAMED_IAM"],
                    )
                    stack = cfn.describe_stacks(StackName="trailwatch-member-roles")["Stacks"][0]
                    expect(stack["StackStatus"] == "CREATE_COMPLETE", f"{stack}")
                    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
                    expect(outputs == {
                        "ReadRoleArn": f"arn:aws:iam::{account}:role/{read}",
                        "WriteRoleArn": f"arn:aws:iam::{account}:role/{write}",
                    }, f"outputs {outputs}")
                else:
                    cfn = emu.client("cloudformation")
                    cfn.create_stack_set(
                        StackSetName="trailwatch-member-roles", TemplateBody=text,
                        Parameters=parameters, Capabilities=["CAPABILITY_NAMED_IAM"],
                        PermissionModel="SELF_MANAGED",
                    )
                    cfn.create_stack_instances(
                        StackSetName="trailwatch-member-roles", Accounts=[account], Regions=[REGION],
                    )
                    instances = cfn.list_stack_instances(StackSetName="trailwatch-member-roles")
                    found = [(i["Account"], i["Region"]) for i in instances["Summaries"]]
                    expect(found == [(account, REGION)], f"stack instances {found}")
                creds = emu.client("sts").assume_role(
                    RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                    RoleSessionName="inspect",
                )["Credentials"]
                state[label] = emu.client("iam", creds)

            return fn

        def role_checks(label: str, account: str, role: str, logical: str,
                        external_id: str) -> list[tuple[str, Callable[[], None]]]:
            arn = f"arn:aws:iam::{account}:role/{role}"

            def deployed_trust() -> dict[str, Any]:
                got = state[label].get_role(RoleName=role)["Role"]
                expect(got["Arn"] == arn, f"{got['Arn']}")
                return policy_document(got["AssumeRolePolicyDocument"])

            def trust() -> None:
                document = deployed_trust()
                expect(document == trust_document(external_id),
                       f"trust policy\n{json.dumps(document, indent=2)}\nexpected\n"
                       f"{json.dumps(trust_document(external_id), indent=2)}")

            def inline() -> None:
                iam = state[label]
                names = iam.list_role_policies(RoleName=role)["PolicyNames"]
                wanted = ROLE_POLICIES[logical]
                expect(sorted(names) == sorted(wanted), f"inline policies {names}, expected {list(wanted)}")
                for name, file in wanted.items():
                    document = policy_document(
                        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                    )
                    want = read_policy(file)
                    expect(document == want, "\n".join(difflib.unified_diff(
                        json.dumps(want, indent=2).splitlines(),
                        json.dumps(document, indent=2).splitlines(),
                        fromfile=f"policies/{file}", tofile=f"{arn} {name}", lineterm="",
                    )))
                attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
                expect(attached == [], f"managed policies {attached}")

            def assume() -> None:
                kwargs = {"RoleArn": arn, "RoleSessionName": SESSION, "SourceIdentity": SOURCE_IDENTITY}
                if external_id:
                    kwargs["ExternalId"] = external_id
                creds = emu.client("sts", state["runner"]).assume_role(**kwargs)["Credentials"]
                who = emu.client("sts", creds).get_caller_identity()
                expect(who["Account"] == account and
                       who["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/{SESSION}", f"{who}")

            def evaluate() -> None:
                document = deployed_trust()
                right = {"sts:ExternalId": external_id} if external_id else {}
                other = "arn:aws:iam::999999999999:role/trailwatch-runner"
                cases = [
                    (RUNNER, "sts:AssumeRole", right, True),
                    (RUNNER, "sts:SetSourceIdentity", right, True),
                    (other, "sts:AssumeRole", right, False),
                    (f"arn:aws:iam::{CALLER}:role/someone-else", "sts:AssumeRole", right, False),
                    (RUNNER, "sts:TagSession", right, False),
                ]
                if external_id:
                    cases += [
                        (RUNNER, "sts:AssumeRole", {}, False),
                        (RUNNER, "sts:AssumeRole", {"sts:ExternalId": "wrong"}, False),
                        (RUNNER, "sts:SetSourceIdentity", {"sts:ExternalId": "wrong"}, False),
                    ]
                wrong = [c for c in cases if trust_allows(document, c[0], c[1], c[2]) != c[3]]
                expect(not wrong, f"trust policy evaluates wrongly for (principal, action, "
                                  f"context, expected allow): {wrong}")

            how = f"ExternalId {external_id!r}" if external_id else "no ExternalId"
            return [
                (f"{label} {account} {role}: trust policy ({how})", trust),
                (f"{label} {account} {role}: inline policies = policies/*.json, no managed", inline),
                (f"{label} {account} {role}: assume_role with SourceIdentity"
                 f"{' and ExternalId' if external_id else ''}", assume),
                (f"{label} {account} {role}: trust evaluates as intended", evaluate),
            ]

        for label, account, how, params, read, write in DEPLOYMENTS:
            checks.run(f"{label}: deploy in {account} ({how}, {', '.join(f'{k}={v}' for k, v in params.items())})",
                       deploy(label, account, how, params, read, write))
            external_id = params.get("ExternalId", "")
            for name, fn in (role_checks(label, account, read, "ReadRole", external_id)
                             + role_checks(label, account, write, "WriteRole", external_id)):
                checks.run(name, fn)
    finally:
        emu.stop()
    print(f"{checks.passed} passed, {checks.failed} failed in {time.monotonic() - started:.1f}s")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
