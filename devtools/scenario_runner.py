"""Run the policy's scenario tables and print one line per scenario.

Usage::

    python -m devtools.scenario_runner [--policy-dir policies] [--quiet]

Each scenario of policies/scenarios/*/data.yaml is decided by the policy at the
tables' decision time, and compared with what the table expects by the same
rule as policies/scenarios/scenarios_test.rego (`differences`). A failure names
the scenario and says what was expected and what came. Exits 0 when every
scenario passes, 1 when one fails, 2 when OPA cannot be run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devtools.scenario_eval import EvalError, ScenarioResult, evaluate_scenarios, find_opa

KEY_ORDER = ("allow", "reasons", "obligations", "advice")


def outcome_words(key: str, value: Any) -> str:
    """A checked value in plain words: 'allow', 'deny', 'reasons clearance_missing'."""
    if key == "allow":
        return "allow" if value else "deny"
    codes = sorted(str(c) for c in value) if isinstance(value, list) else []
    return f"{key} {', '.join(codes)}" if codes else f"no {key}"


def explanation(differences: Mapping[str, Any]) -> str:
    """'expected deny with reasons clearance_missing; got allow with no reasons'."""
    keys = [k for k in KEY_ORDER if k in differences] + sorted(
        k for k in differences if k not in KEY_ORDER
    )
    expected = [outcome_words(k, differences[k].get("expected")) for k in keys]
    got = [outcome_words(k, differences[k].get("got")) for k in keys]
    return f"expected {' with '.join(expected)}; got {' with '.join(got)}"


def result_line(result: ScenarioResult) -> str:
    label = f"{result.theme}/{result.name}"
    if result.passed:
        return f"PASS {label}"
    return f"FAIL {label}: {explanation(result.differences)}"


def summary(results: Sequence[ScenarioResult]) -> str:
    failed = sum(1 for r in results if not r.passed)
    return f"{len(results) - failed} passed, {failed} failed"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.scenario_runner", description=__doc__)
    parser.add_argument("--policy-dir", type=Path, default=Path("policies"))
    parser.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = parser.parse_args(argv)
    try:
        results = evaluate_scenarios(find_opa(), args.policy_dir)
    except EvalError as error:
        print(f"scenarios: {error}", file=sys.stderr)
        return 2
    if not results:
        print(f"scenarios: no scenarios in {args.policy_dir}/scenarios", file=sys.stderr)
        return 2
    for result in results:
        if not (args.quiet and result.passed):
            print(result_line(result))
    print(summary(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
