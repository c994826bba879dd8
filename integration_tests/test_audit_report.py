"""`vir-sidecar audit report` over the trail the real sidecar wrote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import grpc
import pytest

from integration_tests.processes import Sidecar, audit_command, example_request
from sidecar.api import pb

ROUNDS = 5


def run_report(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return audit_command("report", *args, timeout=120)


def test_report_counts_what_the_sidecar_decided(sidecar: Sidecar, tmp_path: Path) -> None:
    for _ in range(ROUNDS):
        sidecar.check(example_request())
        sidecar.check(example_request("counselling-denied"))
        with pytest.raises(grpc.RpcError):
            sidecar.check(pb.CheckRequest())
    sidecar.stop()

    result = run_report("--format", "json", "--by", "day", sidecar.audit_dir)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    total = summary["total"]
    assert total["checks"] == 3 * ROUNDS
    assert total["outcomes"] == {"allow": ROUNDS, "deny": ROUNDS, "invalid": ROUNDS, "error": 0}
    # The denied example's three reasons, each with the policy's message.
    assert total["deny_reasons"] == dict.fromkeys(
        ["clearance_missing", "presumption_not_rebutted", "whole_file_requested"], ROUNDS
    )
    assert summary["reason_text"]["clearance_missing"]["message"].startswith(
        "This request needs clearance"
    )
    assert total["record_formats"] == {"2": 3 * ROUNDS}
    assert summary["trails"][0]["verified"] is True


def test_report_names_a_tampered_trail_and_exits_1(sidecar: Sidecar, tmp_path: Path) -> None:
    for _ in range(ROUNDS):
        sidecar.check(example_request())
    sidecar.stop()
    (trail_file,) = sorted(sidecar.audit_dir.glob("audit-*.jsonl"))
    lines = trail_file.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"allow"', b'"deny"')
    trail_file.write_bytes(b"".join(lines))
    out = tmp_path / "report.html"

    result = run_report("--out", out, sidecar.audit_dir)

    assert result.returncode == 1
    assert f"UNVERIFIED TRAIL {sidecar.audit_dir}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert "Unverified trails" in page
    assert "MAC mismatch" in page
