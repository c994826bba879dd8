"""Scenarios built from a base request and their changes, the same in Python as in Rego."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from sidecar.api import pb
from sidecar.opa.command import find_binary
from sidecar.scenario_lookup import (
    ScenarioError,
    find_scenario,
    load_scenarios,
    merged,
    read_tables,
    scenarios_of,
)

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"

BASE: dict[str, Any] = {
    "requester": {"id": "DC-1", "body": "police"},
    "record": {"category": "RECORD_CATEGORY_MEDICAL", "holder": "Northgate"},
}


def tables(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"bases": {"medical": {"description": "d", "request": BASE}}, "theme": list(entries)}


def test_changes_merge_mappings_replace_other_values_and_leave_out_nulls() -> None:
    base = {"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": True, "f": {"g": 1}}
    changes = {
        "a": {"b": 2, "c": [3], "d": None, "h": {"i": None, "j": 4}},
        "e": None,
        "f": "g",
        "k": [None],
    }
    assert merged(base, changes) == {"a": {"b": 2, "c": [3], "h": {"j": 4}}, "f": "g", "k": [None]}
    assert merged(base, {}) == base


def test_merging_leaves_the_base_and_the_changes_as_they_were() -> None:
    base = copy.deepcopy(BASE)
    changes = {"record": {"holder": None, "whole_file": True}, "clearance": {"categories": ["A"]}}
    kept = copy.deepcopy(changes)
    first = merged(base, changes)
    first["clearance"]["categories"].append("B")
    assert base == BASE
    assert changes == kept
    assert merged(base, changes) == {
        **BASE,
        "record": {"category": "RECORD_CATEGORY_MEDICAL", "whole_file": True},
        "clearance": {"categories": ["A"]},
    }


def test_a_scenario_gets_its_request_id_from_its_name() -> None:
    (scenario,) = scenarios_of(
        tables({"name": "an_example", "base": "medical", "expect": {"allow": True}})
    )
    assert scenario.request == {"request_id": "scn-an-example", **BASE}
    assert (scenario.theme, scenario.base, scenario.changes) == ("theme", "medical", {})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"base": "medical", "expect": {}}, "has no name"),
        ({"name": "x", "base": "dental", "expect": {}}, "names no known base request"),
        ({"name": "x", "expect": {}}, "names no known base request"),
        ({"name": "x", "base": "medical", "changes": [], "expect": {}}, "changes is not a mapping"),
        ({"name": "x", "base": "medical"}, "has no expect"),
        ({"name": "x", "base": "medical", "request": {}, "expect": {}}, "unknown keys: request"),
    ],
)
def test_a_malformed_scenario_is_an_error_naming_it(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenarios_of(tables(entry))


def test_tables_without_base_requests_are_an_error() -> None:
    with pytest.raises(ScenarioError, match="no base requests"):
        scenarios_of({"theme": []})
    with pytest.raises(ScenarioError, match="base request 'medical' has no request"):
        scenarios_of({"bases": {"medical": {"description": "d"}}, "theme": []})


@pytest.fixture(scope="module")
def opa() -> str:
    return find_binary(None, cwd=ROOT)


def rego_scenarios(opa: str) -> list[dict[str, Any]]:
    from devtools.scenario_eval import opa_eval

    value = opa_eval(opa, POLICIES, "data.scenarios_test.scenarios")
    assert isinstance(value, list)
    return value


def test_python_and_rego_build_the_same_request_for_every_scenario(opa: str) -> None:
    python = {s.name: s for s in load_scenarios(POLICIES, opa)}
    rego = {s["name"]: s for s in rego_scenarios(opa)}
    assert len(python) == len(rego) >= 50
    assert python.keys() == rego.keys()
    for name, scenario in python.items():
        assert json.dumps(scenario.request, sort_keys=True) == json.dumps(
            rego[name]["request"], sort_keys=True
        ), name
        assert scenario.theme == rego[name]["theme"]


def test_building_the_requests_again_gives_the_same_requests(opa: str) -> None:
    read = read_tables(POLICIES, opa)
    kept = copy.deepcopy(read)
    first = scenarios_of(read)
    assert read == kept
    assert scenarios_of(read) == first
    assert load_scenarios(POLICIES, opa) == first


def test_find_scenario_gives_the_built_request(opa: str) -> None:
    scenario = find_scenario("clearance_absent_refused", POLICIES, opa)
    assert scenario.request["request_id"] == "scn-clearance-absent-refused"
    assert "clearance" not in scenario.request
    assert scenario.request["record"]["category"] == "RECORD_CATEGORY_COUNSELLING"
    assert scenario.expect["reasons"] == ["clearance_missing"]
    with pytest.raises(ScenarioError, match="no scenario named 'nothing_like_it'"):
        find_scenario("nothing_like_it", POLICIES, opa)


def test_every_scenario_request_is_a_check_request_with_no_unknown_field() -> None:
    """A misspelt field in a scenario's changes would add a field no rule reads, and the
    scenario would quietly stop testing its edge: protobuf refuses unknown fields."""
    scenarios = load_scenarios(POLICIES, find_binary(None, {}, cwd=ROOT))
    assert len(scenarios) >= 125
    for scenario in scenarios:
        json_format.ParseDict(scenario.request, pb.CheckRequest())
    misspelt = merged(scenarios[0].request, {"clearance": {"authoriser_rnk": "supt"}})
    with pytest.raises(json_format.ParseError, match="authoriser_rnk"):
        json_format.ParseDict(misspelt, pb.CheckRequest())
