"""Every scenario table in policies/scenarios, sent through the live sidecar and OPA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format

from devtools.dated_requests import SCENARIO_TIME, elapsed_since, moved
from integration_tests.processes import POLICIES, Sidecar, opa_binary
from sidecar.api import pb
from sidecar.scenario_lookup import Scenario, load_scenarios

SCENARIOS = load_scenarios(POLICIES, opa_binary())


def scenario_request(scenario: Scenario) -> pb.CheckRequest:
    """The scenario's request with its timestamps moved from the decision time
    the tables are written for to now, so it means the same to the live sidecar."""
    document = moved(scenario.request, elapsed_since(SCENARIO_TIME))
    return json_format.ParseDict(document, pb.CheckRequest())


@pytest.fixture(scope="module")
def shared_sidecar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    process = Sidecar(Path(tmp_path_factory.mktemp("scenarios"))).start()
    yield process
    process.stop()


def test_the_tables_hold_scenarios() -> None:
    assert len(SCENARIOS) >= 50


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(shared_sidecar: Sidecar, scenario: Scenario) -> None:
    response = shared_sidecar.check(scenario_request(scenario))
    expect = scenario.expect
    assert response.allow is expect["allow"]
    assert {f.code for f in response.reasons} == set(expect["reasons"])
    for key in ("obligations", "advice"):
        if key in expect:
            assert {f.code for f in getattr(response, key)} == set(expect[key]), key
