"""A force's settings change only the scenario outcomes that depend on them.

The policy is copied, the counselling minimum clearance rank is raised from
chief inspector to superintendent in the copy's data.yaml, and every scenario
is decided again. Exactly the scenarios that rest on a chief inspector's
clearance must move, and each only by gaining clearance_rank_too_low. No Rego
unit test may fail, whether a setting is raised or the settings are emptied:
the unit tests decide with their own fixture settings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from devtools.scenario_eval import ScenarioResult, decide_requests, evaluate_scenarios, find_opa
from devtools.unread_fields import without

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path("vir/config/data.yaml")
SHIPPED_SETTING = "    minimum_clearance_rank: chief_inspector\n"
RAISED_SETTING = "    minimum_clearance_rank: superintendent\n"

# The ways the scenario tables write a chief inspector's rank that counts for
# clearance (an acting rank does not count, so A/DCI is already refused).
CHIEF_INSPECTOR_RANKS = {
    "chief_inspector",
    "detective_chief_inspector",
    "dci",
    "det. chief inspector",
    "ch insp",
    "t/dci",
}


def outcome(decision: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "allow": decision["allow"],
        **{
            key: sorted(f["code"] for f in decision[key])
            for key in ("reasons", "obligations", "advice")
        },
    }


def cleared_by_chief_inspector(result: ScenarioResult) -> bool:
    clearance = result.request.get("clearance", {})
    return str(clearance.get("authoriser_rank", "")).strip().lower() in CHIEF_INSPECTOR_RANKS


def needs_clearance(results: list[ScenarioResult], opa: str, policies: Path) -> set[str]:
    """Scenarios that the shipped policy refuses with clearance_missing once the clearance goes."""
    with_clearance = [r for r in results if "clearance" in r.request]
    decisions = decide_requests(
        opa, policies, [without(r.request, "clearance") for r in with_clearance]
    )
    return {
        r.name
        for r, d in zip(with_clearance, decisions, strict=True)
        if "clearance_missing" in outcome(d)["reasons"]
    }


@pytest.fixture(scope="module")
def raised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    policies = tmp_path_factory.mktemp("raised") / "policies"
    shutil.copytree(REPO / "policies", policies)
    config = policies / CONFIG
    text = config.read_text(encoding="utf-8")
    assert text.count(SHIPPED_SETTING) == 1, "the counselling minimum rank setting moved"
    config.write_text(text.replace(SHIPPED_SETTING, RAISED_SETTING), encoding="utf-8")
    return policies


def test_raising_the_counselling_rank_moves_only_chief_inspector_clearances(raised: Path) -> None:
    opa = find_opa(cwd=REPO)
    shipped = evaluate_scenarios(opa, REPO / "policies")
    after = {r.name: r for r in evaluate_scenarios(opa, raised)}
    required = needs_clearance(shipped, opa, REPO / "policies")

    moved = {r.name for r in shipped if outcome(r.decision) != outcome(after[r.name].decision)}
    expected = {
        r.name
        for r in shipped
        if r.name in required
        and cleared_by_chief_inspector(r)
        and "clearance_rank_too_low" not in outcome(r.decision)["reasons"]
    }
    assert moved == expected
    assert len(moved) >= 10

    for result in shipped:
        if result.name not in moved:
            continue
        before, now = outcome(result.decision), outcome(after[result.name].decision)
        assert now["allow"] is False
        assert now["reasons"] == sorted({*before["reasons"], "clearance_rank_too_low"})
        assert now["obligations"] == []
        assert now["advice"] == before["advice"]


def test_the_raised_setting_is_reported_as_failing_scenarios(raised: Path) -> None:
    opa = find_opa(cwd=REPO)
    failed = [r for r in evaluate_scenarios(opa, raised) if not r.passed]
    assert failed
    assert all("clearance_rank_too_low" in r.differences["reasons"]["got"] for r in failed)


def opa_test(policies: Path) -> list[dict[str, Any]]:
    completed = subprocess.run(
        [find_opa(cwd=REPO), "test", "--bundle", str(policies), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) > 200
    return results


def failures(results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(file relative to the policy directory, test name) of each failed test."""
    return sorted(
        (t["location"]["file"].split("/policies/", 1)[-1], t["name"])
        for t in results
        if t.get("fail") or t.get("error")
    )


SCENARIO_COMPARISON = ("scenarios/scenarios_test.rego", "test_scenarios_match_expected_decisions")


def test_the_rego_unit_tests_keep_their_own_settings(raised: Path) -> None:
    """Only the scenario comparison fails: the unit tests use their fixture config."""
    assert failures(opa_test(raised)) == [SCENARIO_COMPARISON]


def test_the_rego_unit_tests_do_not_read_the_shipped_settings(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """With no settings at all, only the tests of the shipped settings and the scenarios fail."""
    policies = tmp_path_factory.mktemp("no-settings") / "policies"
    shutil.copytree(REPO / "policies", policies)
    (policies / CONFIG).write_text("{}\n", encoding="utf-8")
    failed = failures(opa_test(policies))
    assert SCENARIO_COMPARISON in failed
    unit_tests = [f for f in failed if f != SCENARIO_COMPARISON]
    assert unit_tests
    assert {file for file, _ in unit_tests} == {"vir/authz/config_test.rego"}
