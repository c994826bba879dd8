"""Evaluate the policy's scenario tables with `opa eval`, for the reviewer tools.

Every scenario of policies/scenarios/*/data.yaml is decided by the decision
rule (sidecar.opa.entrypoint) at the scenario tables' fixed decision time, in
one `opa eval` run, exactly as policies/scenarios/scenarios_test.rego decides
them: with the request that file builds from the scenario's base request and
changes. The OPA binary is the sidecar's own lookup (sidecar.opa.command).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sidecar.opa.command import OpaStartError, find_binary
from sidecar.opa.entrypoint import DECISION_QUERY

# The order themes are shown in; a theme not listed here comes after, by name.
THEME_ORDER = (
    "allowed",
    "requester",
    "request_form",
    "justification",
    "counselling",
    "clearance",
    "notice",
    "combined",
)

_INPUT = (
    '{"request": r, "context": {"time": data.scenarios_test.decision_time,'
    ' "caller": null, "request_id": object.get(r, "request_id", "")}}'
)

SCENARIOS_QUERY = (
    '[{"theme": s.theme, "name": s.name, "description": object.get(s, "description", ""),'
    ' "base": s.base, "changes": object.get(s, "changes", {}),'
    ' "request": s.request, "expect": s.expect, "decision": d,'
    ' "differences": data.scenarios_test.differences(s)} |'
    " some s in data.scenarios_test.scenarios; r := s.request;"
    f" d := {DECISION_QUERY} with input as {_INPUT}]"
)

REQUESTS_QUERY = f"[d | some r in input.requests; d := {DECISION_QUERY} with input as {_INPUT}]"


class EvalError(Exception):
    """OPA could not be run, or its answer could not be read."""


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario and the decision the policy gives it."""

    theme: str
    name: str
    description: str
    request: dict[str, Any]
    expect: dict[str, Any]
    decision: dict[str, Any]
    differences: dict[str, Any]
    base: str = ""
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.differences


def find_opa(environ: Mapping[str, str] = os.environ, cwd: Path | None = None) -> str:
    try:
        return find_binary(None, environ, cwd=cwd or Path.cwd())
    except OpaStartError as error:
        raise EvalError(str(error)) from error


def opa_eval(opa: str, policy_dir: Path, query: str, input_file: Path | None = None) -> Any:
    """The value of `query` over the bundle in policy_dir."""
    command = [opa, "eval", "--format", "json", "--bundle", str(policy_dir)]
    if input_file is not None:
        command += ["--input", str(input_file)]
    try:
        result = subprocess.run(
            [*command, query], capture_output=True, text=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise EvalError(f"cannot run {opa}: {error}") from error
    if result.returncode != 0:
        raise EvalError(f"opa eval failed: {result.stderr.strip() or result.stdout.strip()}")
    try:
        return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    except (KeyError, IndexError, ValueError) as error:
        raise EvalError(f"opa eval gave no value for {query[:60]}...") from error


def theme_rank(theme: str) -> tuple[int, str]:
    if theme in THEME_ORDER:
        return (THEME_ORDER.index(theme), theme)
    return (len(THEME_ORDER), theme)


def evaluate_scenarios(opa: str, policy_dir: Path) -> list[ScenarioResult]:
    """Every scenario with its decision, themes in THEME_ORDER, scenarios in table order."""
    value = opa_eval(opa, policy_dir, SCENARIOS_QUERY)
    if not isinstance(value, list):
        raise EvalError("opa eval did not give a list of scenarios")
    results = [
        ScenarioResult(
            theme=str(item["theme"]),
            name=str(item["name"]),
            description=str(item["description"]),
            request=dict(item["request"]),
            expect=dict(item["expect"]),
            decision=dict(item["decision"]),
            differences=dict(item["differences"]),
            base=str(item["base"]),
            changes=dict(item["changes"]),
        )
        for item in value
    ]
    # The comprehension keeps each table's order; a stable sort groups the themes.
    return sorted(results, key=lambda r: theme_rank(r.theme))


def decide_requests(
    opa: str, policy_dir: Path, requests: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The decision for each request, at the scenario tables' decision time."""
    with tempfile.TemporaryDirectory() as tmp:
        input_file = Path(tmp) / "input.json"
        input_file.write_text(json.dumps({"requests": list(requests)}))
        value = opa_eval(opa, policy_dir, REQUESTS_QUERY, input_file)
    if not isinstance(value, list) or len(value) != len(requests):
        raise EvalError("opa eval did not give one decision per request")
    return [dict(d) for d in value]


def theme_titles(policy_dir: Path) -> dict[str, str]:
    """Each theme's title: the first line of its data.yaml, '# Scenario table: TITLE'."""
    titles: dict[str, str] = {}
    prefix = "# Scenario table:"
    for table in sorted((policy_dir / "scenarios").glob("*/data.yaml")):
        first = table.read_text(encoding="utf-8").splitlines()[:1]
        if first and first[0].startswith(prefix):
            titles[table.parent.name] = first[0][len(prefix) :].strip()
    return titles
