"""`vir-sidecar explain`: evaluate one request file with `opa eval` and say why, in words."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import json_format

from sidecar.check_client import load_request
from sidecar.decision import MalformedDecision, parse_decision
from sidecar.opa.command import OpaStartError, find_binary
from sidecar.opa_input import build_input
from sidecar.validation import InvalidRequest, validate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--request", required=True, type=Path, help="CheckRequest JSON file")
    parser.add_argument("--policy-dir", type=Path, default=Path("policies"))
    parser.add_argument("--opa-binary", default=None)
    parser.add_argument(
        "--time", default=None, help="evaluate as at this RFC 3339 time (default: now)"
    )
    parser.add_argument("--caller", default=None, help="caller identity to evaluate as")


def run(args: argparse.Namespace) -> int:
    try:
        request = load_request(args.request)
        validate(request)
        now = datetime.fromisoformat(args.time) if args.time else datetime.now(UTC)
        binary = find_binary(args.opa_binary, os.environ)
    except (OSError, json_format.ParseError, InvalidRequest, ValueError, OpaStartError) as error:
        print(f"cannot explain: {error}", file=sys.stderr)
        return 2
    document = build_input(request, now=now.astimezone(UTC), caller=args.caller)
    result = subprocess.run(
        [
            binary,
            "eval",
            "--format",
            "json",
            "--bundle",
            str(args.policy_dir),
            "--stdin-input",
            "data.vir.authz.decision",
        ],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 2
    try:
        expressions = json.loads(result.stdout)["result"][0]["expressions"]
        decision = parse_decision(expressions[0]["value"])
    except (KeyError, IndexError, ValueError, MalformedDecision) as error:
        print(f"policy gave no usable decision: {error}", file=sys.stderr)
        return 2
    print("ALLOW" if decision.allow else "DENY", f"(evaluated at {document['context']['time']})")
    for title, findings in (
        ("reasons", decision.reasons),
        ("obligations", decision.obligations),
        ("advice", decision.advice),
    ):
        if findings:
            print(f"\n{title}:")
        for finding in findings:
            print(f"  {finding.code}: {finding.message}\n    [{finding.reference}]")
    return 0 if decision.allow else 1
