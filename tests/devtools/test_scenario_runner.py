"""Tests of the per-scenario runner's lines and its run over the real tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devtools import scenario_runner
from devtools.scenario_eval import ScenarioResult
from devtools.scenario_runner import explanation, result_line, summary

REPO = Path(__file__).resolve().parents[2]


def result(name: str, differences: dict[str, object]) -> ScenarioResult:
    return ScenarioResult("clearance", name, "", {}, {}, {}, differences)


def test_a_failure_says_what_was_expected_and_what_came() -> None:
    differences = {
        "reasons": {"expected": ["clearance_missing"], "got": []},
        "allow": {"expected": False, "got": True},
    }
    assert explanation(differences) == (
        "expected deny with reasons clearance_missing; got allow with no reasons"
    )
    assert result_line(result("clearance_absent_refused", differences)) == (
        "FAIL clearance/clearance_absent_refused: "
        "expected deny with reasons clearance_missing; got allow with no reasons"
    )


def test_a_pass_is_one_line_and_the_summary_counts_both() -> None:
    passed = result("ok", {})
    failed = result("bad", {"allow": {"expected": True, "got": False}})
    assert result_line(passed) == "PASS clearance/ok"
    assert summary([passed, failed, passed]) == "2 passed, 1 failed"


def test_every_shipped_scenario_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert scenario_runner.main(["--policy-dir", str(REPO / "policies")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].endswith(" passed, 0 failed")
    assert all(line.startswith("PASS ") for line in lines[:-1])


def test_a_changed_expectation_fails_naming_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    table = policies / "scenarios/allowed/data.yaml"
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace("    allow: true", "    allow: false", 1), encoding="utf-8")
    assert scenario_runner.main(["--policy-dir", str(policies), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "FAIL allowed/counselling_request_allowed: expected deny; got allow" in out
    assert out.splitlines()[-1].endswith(" passed, 1 failed")
