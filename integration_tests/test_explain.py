"""`vir-sidecar explain` and `make explain`, run as a person would, with the real OPA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from integration_tests.processes import EXAMPLES, ROOT, opa_binary, policy_copy

ALLOWED_SCENARIO = "counselling_request_allowed"
DENIED_SCENARIO = "cps_whole_file_counselling_request_refused"
# The clearance in examples/counselling-allowed.json expires at this time.
CLEARANCE_EXPIRES = "2027-02-27T09:00:00Z"


def explain(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sidecar", "explain", "--opa-binary", opa_binary(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )


def test_an_allowed_scenario_exits_0_and_matches_its_table() -> None:
    result = explain("--scenario", ALLOWED_SCENARIO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"scenario {ALLOWED_SCENARIO}: ")
    assert any(line.startswith("ALLOW (evaluated at ") for line in lines)
    assert lines[-1] == "matches the scenario table, which expects ALLOW"


def test_a_denied_scenario_exits_1_with_every_reason() -> None:
    result = explain("--scenario", DENIED_SCENARIO)
    assert result.returncode == 1, result.stderr
    assert "\nDENY (evaluated at " in result.stdout
    for code in ("requester_not_authorised", "whole_file_requested", "clearance_missing"):
        assert f"\n  {code}: " in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        "matches the scenario table, which expects DENY (clearance_missing, "
    )


def test_an_unknown_scenario_is_an_error_naming_it() -> None:
    result = explain("--scenario", "no_such_scenario")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no scenario named 'no_such_scenario'" in result.stderr


def test_request_and_scenario_are_exclusive() -> None:
    result = explain("--scenario", ALLOWED_SCENARIO, "--request", "x.json")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


@pytest.mark.parametrize(
    ("time", "exit_code", "shown"),
    [
        ("2027-02-27T08:59:59Z", 0, "2027-02-27T08:59:59Z"),
        (CLEARANCE_EXPIRES, 1, "2027-02-27T09:00:00Z"),
        ("2027-02-27T08:59:59", 0, "2027-02-27T08:59:59Z"),  # no offset: read as UTC
        ("2027-02-27T10:00:00+01:00", 1, "2027-02-27T09:00:00Z"),
    ],
)
def test_time_sets_the_decision_time(time: str, exit_code: int, shown: str) -> None:
    result = explain("--request", str(EXAMPLES / "counselling-allowed.json"), "--time", time)
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert f"(evaluated at {shown})" in result.stdout
    assert ("clearance_expired" in result.stdout) == (exit_code == 1)


def test_an_unreadable_time_is_an_error() -> None:
    result = explain("--scenario", ALLOWED_SCENARIO, "--time", "next tuesday")
    assert result.returncode == 2
    assert "cannot explain" in result.stderr


@pytest.mark.parametrize(
    ("caller", "exit_code"),
    [("records-system-a", 0), ("records-system-b", 1)],
)
def test_caller_is_checked_against_the_allow_list(
    tmp_path: Path, caller: str, exit_code: int
) -> None:
    policies = policy_copy(tmp_path, allowed_callers=["records-system-a"])
    result = explain(
        "--scenario", ALLOWED_SCENARIO, "--policy-dir", str(policies), "--caller", caller
    )
    assert result.returncode == exit_code, result.stderr
    assert f", as caller {caller})" in result.stdout
    assert ("caller_not_allowed" in result.stdout) == (exit_code == 1)


def test_runs_as_the_installed_command_outside_make(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "vir-sidecar"
    result = subprocess.run(
        [
            str(command),
            "explain",
            "--scenario",
            DENIED_SCENARIO,
            "--policy-dir",
            str(ROOT / "policies"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "VIR_OPA_BINARY": opa_binary()},
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "\nDENY (evaluated at " in result.stdout


def make_explain(*variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "explain", *variables],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )


def test_make_explain_on_a_deny_succeeds_and_says_so() -> None:
    result = make_explain(f"SCENARIO={DENIED_SCENARIO}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "(vir-sidecar explain exited 1: denied)"
    assert "make: ***" not in result.stdout + result.stderr


def test_make_explain_passes_time_and_caller() -> None:
    result = make_explain(
        f"REQUEST={EXAMPLES / 'counselling-allowed.json'}",
        f"TIME={CLEARANCE_EXPIRES}",
        "CALLER=records-system-a",
    )
    assert result.returncode == 0, result.stderr
    assert f"DENY (evaluated at {CLEARANCE_EXPIRES}, as caller records-system-a)" in result.stdout


def test_make_explain_on_an_error_fails() -> None:
    result = make_explain("SCENARIO=no_such_scenario")
    assert result.returncode != 0
    assert "no scenario named" in result.stderr


def test_a_forces_settings_are_explained_as_the_sidecar_serves_them(tmp_path: Path) -> None:
    force = tmp_path / "force.yaml"
    force.write_text(
        "categories:\n  RECORD_CATEGORY_COUNSELLING:\n    minimum_clearance_rank: superintendent\n",
        encoding="utf-8",
    )
    request = str(EXAMPLES / "counselling-allowed.json")
    shipped = explain("--request", request, "--time", "2026-12-01T12:00:00Z")
    assert shipped.returncode == 0, shipped.stderr
    raised = explain(
        "--request", request, "--time", "2026-12-01T12:00:00Z", "--policy-settings", str(force)
    )
    assert raised.returncode == 1, raised.stderr
    assert "\n  clearance_rank_too_low: " in raised.stdout
    assert "Minimum rank for this request: superintendent" in raised.stdout


def test_settings_with_a_problem_are_not_explained_from(tmp_path: Path) -> None:
    force = tmp_path / "force.yaml"
    force.write_text("organisation_aliases:\n  gmp: greater_manchster\n", encoding="utf-8")
    result = explain(
        "--request", str(EXAMPLES / "counselling-allowed.json"), "--policy-settings", str(force)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert 'organisation_aliases["gmp"] names unknown organisation "greater_manchster"' in (
        result.stderr
    )
