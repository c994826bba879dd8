"""Finds a scenario of the policy's scenario tables (policies/scenarios/*/data.yaml) by name.

The tables are YAML, which the runtime package does not read: OPA loads them
as part of the policy bundle and `opa eval data.scenarios` gives them as JSON.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The decision time the scenario tables are written for: their expectations hold at it
# (clearances have a bounded lifetime, so they would not hold at any later date).
TABLE_TIME = datetime(2026, 6, 1, tzinfo=UTC)


class ScenarioError(ValueError):
    """The scenario tables could not be read, or hold no usable scenario of that name."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    request: dict[str, Any]
    expect: dict[str, Any]


def find_scenario(name: str, policy_dir: Path, opa_binary: str) -> Scenario:
    tables = _scenario_tables(policy_dir, opa_binary)
    matches = [s for s in _scenarios(tables) if s.get("name") == name]
    if not matches:
        raise ScenarioError(f"no scenario named {name!r} in {policy_dir}/scenarios")
    if len(matches) > 1:
        raise ScenarioError(f"{len(matches)} scenarios are named {name!r}")
    found = matches[0]
    request = found.get("request")
    if not isinstance(request, dict):
        raise ScenarioError(f"scenario {name!r} has no request")
    expect = found.get("expect")
    return Scenario(
        name=name,
        description=str(found.get("description", "")),
        request=request,
        expect=expect if isinstance(expect, dict) else {},
    )


def _scenario_tables(policy_dir: Path, opa_binary: str) -> object:
    result = subprocess.run(
        [opa_binary, "eval", "--format", "json", "--bundle", str(policy_dir), "data.scenarios"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise ScenarioError(f"opa could not read the scenario tables: {result.stderr.strip()}")
    try:
        return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    except (KeyError, IndexError, ValueError) as error:
        raise ScenarioError(f"{policy_dir} has no scenario tables") from error


def _scenarios(tables: object) -> Iterator[dict[str, Any]]:
    """Every scenario of every table: the lists of objects under data.scenarios."""
    if not isinstance(tables, dict):
        return
    for table in tables.values():
        if isinstance(table, list):
            yield from (item for item in table if isinstance(item, dict))
