"""`vir-sidecar explain`: evaluate one request with `opa eval` and say why, in words.

The request comes from a file (--request) or from the policy's scenario tables
(--scenario NAME). Exit codes match `vir-sidecar check`: 0 allow, 1 deny, 2 error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import json_format

from sidecar.api import pb
from sidecar.check_client import load_request
from sidecar.decision import Decision, MalformedDecision, parse_decision
from sidecar.errors import StartupError
from sidecar.opa import settings
from sidecar.opa.bundle import build
from sidecar.opa.command import OpaStartError, find_binary
from sidecar.opa.entrypoint import DECISION_QUERY, SETTINGS_PROBLEMS_QUERY
from sidecar.opa_input import build_input
from sidecar.scenario_lookup import TABLE_TIME, Scenario, ScenarioError, find_scenario
from sidecar.validation import InvalidRequest, validate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--request", type=Path, help="CheckRequest JSON file ('-' for stdin)")
    source.add_argument(
        "--scenario", metavar="NAME", help="a scenario of policies/scenarios/*/data.yaml, by name"
    )
    parser.add_argument("--policy-dir", type=Path, default=Path("policies"))
    parser.add_argument(
        "--policy-bundle",
        type=Path,
        default=None,
        help="a built bundle to evaluate instead of one built from --policy-dir",
    )
    parser.add_argument(
        "--policy-settings",
        type=Path,
        default=None,
        help="a force's settings file (YAML or JSON) over the shipped defaults, as `serve`"
        " takes it (default: the shipped defaults)",
    )
    parser.add_argument("--opa-binary", default=None)
    parser.add_argument(
        "--time",
        default=None,
        help="evaluate as at this RFC 3339 time, such as 2026-06-01T09:00:00Z; "
        "without an offset it is read as UTC (default: now; for --scenario, the time its"
        " table is written for)",
    )
    parser.add_argument("--caller", default=None, help="caller identity to evaluate as")


def decision_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    scenario: Scenario | None = None
    try:
        # A scenario is judged at the time its table is written for, unless told otherwise.
        now = (
            TABLE_TIME
            if args.scenario is not None and args.time is None
            else decision_time(args.time)
        )
        binary = find_binary(args.opa_binary, os.environ)
        if args.scenario is not None:
            scenario = find_scenario(args.scenario, args.policy_dir, binary)
            request = json_format.ParseDict(scenario.request, pb.CheckRequest())
        else:
            request = load_request(args.request)
        validate(request)
    except (
        OSError,
        json_format.ParseError,
        InvalidRequest,
        ValueError,
        OpaStartError,
        ScenarioError,
    ) as error:
        print(f"cannot explain: {error}", file=sys.stderr)
        return 2
    document = build_input(request, now=now, caller=args.caller)
    with tempfile.TemporaryDirectory(prefix="vir-explain-") as work:
        try:
            bundle = (
                args.policy_bundle
                or build(args.policy_dir, Path(work) / "vir-policy.tar.gz", opa_binary=binary).path
            )
            served = settings.write_bundle(
                settings.effective(settings.defaults_of_bundle(bundle), args.policy_settings),
                Path(work) / "vir-settings",
            )
        except StartupError as error:
            print(f"cannot explain: {error}", file=sys.stderr)
            return 2
        # The same bundles the sidecar's OPA serves, and the same entrypoint; the settings
        # are checked first, as the sidecar checks them.
        command = [binary, "eval", "--format", "json", "--bundle", str(bundle)]
        command += ["--bundle", str(served.path), "--stdin-input"]
        command.append(f"problems := {SETTINGS_PROBLEMS_QUERY}; decision := {DECISION_QUERY}")
        result = subprocess.run(
            command,
            input=json.dumps(document),
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 2
    try:
        bindings = json.loads(result.stdout)["result"][0]["bindings"]
        problems = bindings["problems"]
        decision = parse_decision(bindings["decision"])
    except (KeyError, IndexError, ValueError, MalformedDecision) as error:
        print(f"policy gave no usable decision: {error}", file=sys.stderr)
        return 2
    if problems:
        print(
            f"cannot explain: the policy settings have problems: {'; '.join(problems)}",
            file=sys.stderr,
        )
        return 2
    if scenario is not None:
        print(f"scenario {scenario.name}: {scenario.description}\n")
    caller = f", as caller {args.caller}" if args.caller else ""
    print(
        "ALLOW" if decision.allow else "DENY",
        f"(evaluated at {document['context']['time']}{caller})",
    )
    for title, findings in (
        ("reasons", decision.reasons),
        ("obligations", decision.obligations),
        ("advice", decision.advice),
    ):
        if findings:
            print(f"\n{title}:")
        for finding in findings:
            print(f"  {finding.code}: {finding.message}\n    [{finding.reference}]")
    if scenario is not None:
        print(f"\n{expectation(scenario, decision)}")
    return 0 if decision.allow else 1


def expectation(scenario: Scenario, decision: Decision) -> str:
    """Whether the decision is the one the scenario table expects, in one line."""
    expected_allow = scenario.expect.get("allow")
    expected_reasons = set(scenario.expect.get("reasons") or [])
    got_reasons = set(decision.reason_codes)
    expected = "ALLOW" if expected_allow else "DENY"
    if expected_reasons:
        expected += " (" + ", ".join(sorted(expected_reasons)) + ")"
    if expected_allow == decision.allow and expected_reasons == got_reasons:
        return f"matches the scenario table, which expects {expected}"
    return f"DIFFERS from the scenario table, which expects {expected}"
