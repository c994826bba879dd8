"""The policy's scenario tables (policies/scenarios), each scenario with its full request.

A scenario names a base request (policies/scenarios/bases/data.yaml) and gives only
`changes`, which are merged into it: a mapping merges key by key, null leaves the key
out, and any other value (text, number, boolean, list) replaces the base's. The
request_id is "scn-" and the scenario's name with dashes for underscores, unless the
changes give one. policies/scenarios/scenarios_test.rego expands the requests the same
way for `opa test`; tests/test_scenario_lookup.py checks that both give the same.

The tables are YAML, which the runtime package does not read: OPA loads them as part
of the policy directory and `opa eval data.scenarios` gives them as JSON.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The decision time the scenario tables are written for: their expectations hold at it
# (clearances have a bounded lifetime, so they would not hold at any later date).
TABLE_TIME = datetime(2026, 6, 1, tzinfo=UTC)

# The file under policies/scenarios that holds the base requests, not scenarios.
BASES = "bases"

SCENARIO_KEYS = frozenset({"name", "description", "base", "changes", "expect"})


class ScenarioError(ValueError):
    """The scenario tables could not be read, or hold no usable scenario of that name."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    request: dict[str, Any]
    expect: dict[str, Any]
    theme: str = ""
    base: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BaseRequest:
    name: str
    description: str
    request: dict[str, Any]


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of base with changes merged in: mappings merge, null removes, others replace."""
    result = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):
            current = result.get(key)
            result[key] = merged(current if isinstance(current, Mapping) else {}, value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def request_id_for(name: str) -> str:
    return "scn-" + name.replace("_", "-")


def expanded_request(name: str, base: BaseRequest, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's full request: its base, its request_id, then its changes."""
    return merged({"request_id": request_id_for(name), **base.request}, changes)


def base_requests(tables: Mapping[str, Any]) -> dict[str, BaseRequest]:
    found = tables.get(BASES)
    if not isinstance(found, Mapping) or not found:
        raise ScenarioError(f"the scenario tables have no base requests ({BASES}/data.yaml)")
    bases: dict[str, BaseRequest] = {}
    for name, entry in found.items():
        request = entry.get("request") if isinstance(entry, Mapping) else None
        if not isinstance(request, Mapping):
            raise ScenarioError(f"base request {name!r} has no request")
        bases[name] = BaseRequest(str(name), str(entry.get("description", "")), dict(request))
    return bases


def scenarios_of(tables: Mapping[str, Any]) -> list[Scenario]:
    """Every scenario of every table, tables by theme name, each in its table's order."""
    bases = base_requests(tables)
    scenarios: list[Scenario] = []
    for theme in sorted(t for t in tables if t != BASES):
        table = tables[theme]
        if not isinstance(table, list):
            raise ScenarioError(f"scenario table {theme!r} is not a list")
        scenarios.extend(_scenario(theme, entry, bases) for entry in table)
    return scenarios


def _scenario(theme: str, entry: object, bases: Mapping[str, BaseRequest]) -> Scenario:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise ScenarioError(f"a scenario in table {theme!r} has no name")
    name = entry["name"]
    unknown = set(entry) - SCENARIO_KEYS
    if unknown:
        raise ScenarioError(f"scenario {name!r} has unknown keys: {', '.join(sorted(unknown))}")
    base = bases.get(str(entry.get("base")))
    if base is None:
        raise ScenarioError(f"scenario {name!r} names no known base request")
    changes = entry.get("changes", {})
    if not isinstance(changes, Mapping):
        raise ScenarioError(f"scenario {name!r}: changes is not a mapping")
    expect = entry.get("expect")
    if not isinstance(expect, Mapping):
        raise ScenarioError(f"scenario {name!r} has no expect")
    return Scenario(
        name=name,
        description=str(entry.get("description", "")),
        request=expanded_request(name, base, changes),
        expect=dict(expect),
        theme=theme,
        base=base.name,
        changes=dict(changes),
    )


def load_scenarios(policy_dir: Path, opa_binary: str) -> list[Scenario]:
    return scenarios_of(read_tables(policy_dir, opa_binary))


def find_scenario(name: str, policy_dir: Path, opa_binary: str) -> Scenario:
    matches = [s for s in load_scenarios(policy_dir, opa_binary) if s.name == name]
    if not matches:
        raise ScenarioError(f"no scenario named {name!r} in {policy_dir}/scenarios")
    if len(matches) > 1:
        raise ScenarioError(f"{len(matches)} scenarios are named {name!r}")
    return matches[0]


def read_tables(policy_dir: Path, opa_binary: str) -> dict[str, Any]:
    """data.scenarios: the base requests and every table, as OPA reads them."""
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
        tables = json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    except (KeyError, IndexError, ValueError) as error:
        raise ScenarioError(f"{policy_dir} has no scenario tables") from error
    if not isinstance(tables, dict):
        raise ScenarioError(f"{policy_dir}/scenarios holds no scenario tables")
    return tables
