from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.policy_bundle import revision, served_files, snapshot


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    (root / "vir" / "authz").mkdir(parents=True)
    (root / "vir" / "authz" / "decision.rego").write_text("package vir.authz\n")
    (root / "vir" / "authz" / "decision_test.rego").write_text("package vir.authz_test\n")
    (root / "vir" / "config").mkdir()
    (root / "vir" / "config" / "data.json").write_text("{}")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "data.yaml").write_text("scenarios: []\n")
    (root / "README.md").write_text("docs")
    return root


def test_served_files_leave_out_tests_scenarios_and_docs(bundle: Path) -> None:
    assert [p.as_posix() for p in served_files(bundle)] == [
        "vir/authz/decision.rego",
        "vir/config/data.json",
    ]


def test_revision_changes_with_a_served_file_only(bundle: Path) -> None:
    before = revision(bundle)
    (bundle / "vir" / "authz" / "decision_test.rego").write_text("package vir.authz_test\n# x\n")
    assert revision(bundle) == before
    (bundle / "vir" / "config" / "data.json").write_text('{"a": 1}')
    assert revision(bundle) != before
    assert before.startswith("sha256:")


def test_revision_depends_on_file_names(bundle: Path) -> None:
    before = revision(bundle)
    (bundle / "vir" / "config" / "data.json").rename(bundle / "vir" / "authz" / "data.json")
    assert revision(bundle) != before


def test_snapshot_copies_served_files_and_has_same_revision(bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    assert snapshot(bundle, copy) == revision(bundle)
    assert (copy / "vir" / "authz" / "decision.rego").exists()
    assert not (copy / "scenarios").exists()


def test_empty_bundle_has_no_revision(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        revision(tmp_path)
