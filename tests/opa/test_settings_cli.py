"""`vir-sidecar settings check` and `settings build`, as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sidecar.opa import settings
from sidecar.opa.bundle import build
from sidecar.opa.command import find_binary

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
OPA = find_binary(None, os.environ)
FORCE = (
    "allowed_callers: [spiffe://thames-valley.police.uk/records-system]\n"
    "organisation_aliases: {gmp: greater_manchester}\n"
    "categories: {RECORD_CATEGORY_COUNSELLING: {minimum_clearance_rank: superintendent}}\n"
)


def settings_command(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sidecar", "settings", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "VIR_OPA_BINARY": OPA},
    )


@pytest.fixture
def force(tmp_path: Path) -> Path:
    path = tmp_path / "force.yaml"
    path.write_text(FORCE, encoding="utf-8")
    return path


def test_good_settings_pass_and_name_their_revision(force: Path, tmp_path: Path) -> None:
    result = settings_command("check", force, "--policy-dir", POLICIES)
    assert result.returncode == 0, result.stderr
    merged = settings.merge(settings.defaults_of_policy_dir(POLICIES), settings.load_file(force))
    revision = settings.revision_of(settings.canonical_json(merged))
    assert result.stdout == f"{force}: no problems; settings revision {revision}\n"


def test_each_problem_is_printed_and_the_exit_status_is_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "organisation_aliases: {gmp: greater_manchster}\nmaximum_clearance_days: 0\n",
        encoding="utf-8",
    )
    rules = build(POLICIES, tmp_path / "vir-policy.tar.gz", opa_binary=OPA).path
    result = settings_command("check", bad, "--policy-bundle", rules)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{bad}: 2 problems",
        "  maximum_clearance_days is 0: it must be greater than 0",
        '  organisation_aliases["gmp"] names unknown organisation "greater_manchster"',
    ]


def test_a_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    result = settings_command("check", tmp_path / "missing.yaml")
    assert result.returncode == 2
    assert "cannot read the settings file" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("defaults_from", ["--defaults", "--policy-bundle", "--policy-dir"])
def test_build_writes_the_bundle_opa_serves(
    force: Path, tmp_path: Path, defaults_from: str
) -> None:
    source: Path = {
        "--defaults": POLICIES / "vir" / "config" / "data.yaml",
        "--policy-bundle": build(POLICIES, tmp_path / "r.tar.gz", opa_binary=OPA).path,
        "--policy-dir": POLICIES,
    }[defaults_from]
    out = tmp_path / "out" / "bundle"
    result = settings_command("build", force, "--out", out, defaults_from, source)
    assert result.returncode == 0, result.stderr
    data = (out / "vir" / "config" / "data.json").read_bytes()
    revision = settings.revision_of(data)
    assert result.stdout == f"{out} {revision}\n"
    assert json.loads((out / ".manifest").read_text()) == {
        "revision": revision,
        "roots": ["vir/config"],
    }
    assert json.loads(data)["organisation_aliases"]["gmp"] == "greater_manchester"


def test_build_without_a_file_writes_the_defaults(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = settings_command("build", "--out", out, "--policy-dir", POLICIES)
    assert result.returncode == 0, result.stderr
    data = (out / "vir" / "config" / "data.json").read_bytes()
    assert json.loads(data) == settings.defaults_of_policy_dir(POLICIES)


def test_build_of_a_malformed_file_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("[not, a, mapping]\n", encoding="utf-8")
    result = settings_command("build", bad, "--out", tmp_path / "bundle")
    assert result.returncode == 2
    assert "must be a mapping" in result.stderr
    assert not (tmp_path / "bundle").exists()
