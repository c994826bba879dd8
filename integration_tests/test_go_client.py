"""The example Go client (examples/go-client), built with the machine's Go, against a live sidecar.

It is written from the proto and docs/integrating.md alone, so these tests show
the API works outside Python: decisions, exit codes, and the BadRequest detail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration_tests.processes import EXAMPLES, POLICIES, ROOT, Sidecar

GO_CLIENT_DIR = ROOT / "examples" / "go-client"


@pytest.fixture(scope="module")
def go_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client built from source; a machine without Go fails here rather than skipping."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("the Go client tests need go on PATH")
    binary = tmp_path_factory.mktemp("go-client") / "vir-go-client"
    subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=GO_CLIENT_DIR,
        env={**os.environ, "GOTOOLCHAIN": "local"},
        check=True,
        timeout=900,
    )
    return binary


def run_client(binary: Path, sidecar: Sidecar, request: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "-address", sidecar.address, "-request", str(request), "-timeout", "5s"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_allowed_example_exits_0_and_prints_allow(go_client: Path, sidecar: Sidecar) -> None:
    result = run_client(go_client, sidecar, EXAMPLES / "counselling-allowed.json")
    assert result.returncode == 0, result.stderr
    [first, *rest] = result.stdout.splitlines()
    assert first.startswith("ALLOW decision_id=")
    assert "policy_revision=rules@sha256:" in first
    assert not [line for line in rest if line.startswith("reason ")]


def test_denied_example_exits_1_and_prints_every_reason(go_client: Path, sidecar: Sidecar) -> None:
    result = run_client(go_client, sidecar, EXAMPLES / "counselling-denied.json")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("DENY decision_id=")
    reasons = {
        line.split(":")[0].removeprefix("reason ")
        for line in lines[1:]
        if line.startswith("reason ")
    }
    assert reasons == {"clearance_missing", "presumption_not_rebutted", "whole_file_requested"}
    assert all(line.endswith("]") and "[]" not in line for line in lines[1:])


def test_bad_request_exits_2_and_prints_the_field_from_the_bad_request_detail(
    go_client: Path, sidecar: Sidecar, tmp_path: Path
) -> None:
    request = json.loads((EXAMPLES / "counselling-allowed.json").read_text(encoding="utf-8"))
    del request["record"]["victim_id"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    result = run_client(go_client, sidecar, path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "INVALID_ARGUMENT: record.victim_id: is required",
        "field record.victim_id: is required",
    ]


def test_no_sidecar_exits_2_with_unavailable(go_client: Path, tmp_path: Path) -> None:
    stopped = Sidecar(tmp_path / "never-started")
    result = run_client(go_client, stopped, EXAMPLES / "counselling-allowed.json")
    assert result.returncode == 2
    assert result.stderr.startswith("UNAVAILABLE: ")


@pytest.fixture
def sidecar_with_obligation(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sidecar]:
    """A sidecar whose policy adds the obligation code in the test's parameter to every allow."""
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES, policies)
    (policies / "vir" / "authz" / "test_obligation.rego").write_text(
        f'package vir.authz\n\nobligation_codes contains "{request.param}"\n', encoding="utf-8"
    )
    process = Sidecar(tmp_path / "sidecar", policy_dir=policies).start()
    yield process
    process.stop()


@pytest.mark.parametrize("sidecar_with_obligation", ["retain_for_review"], indirect=True)
def test_allow_with_an_unrecognised_obligation_is_not_acted_on(
    go_client: Path, sidecar_with_obligation: Sidecar
) -> None:
    result = run_client(go_client, sidecar_with_obligation, EXAMPLES / "counselling-allowed.json")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ALLOW decision_id=")
    assert "obligation retain_for_review: retain_for_review []" in lines
    assert lines[-1] == "NOT FETCHING: unrecognised obligation retain_for_review"


@pytest.mark.parametrize("sidecar_with_obligation", ["notify_victim"], indirect=True)
def test_allow_with_a_known_obligation_may_fetch(
    go_client: Path, sidecar_with_obligation: Sidecar
) -> None:
    result = run_client(go_client, sidecar_with_obligation, EXAMPLES / "counselling-allowed.json")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("obligation notify_victim: ") for line in result.stdout.splitlines())
