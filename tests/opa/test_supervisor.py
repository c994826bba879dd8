"""What the supervisor reloads on: the fingerprint of the bundle source."""

from __future__ import annotations

from pathlib import Path

import pytest

from sidecar.opa.command import OpaStartError
from sidecar.opa.supervisor import BundleSource


def _policies(root: Path) -> Path:
    (root / "vir" / "authz").mkdir(parents=True)
    (root / "vir" / "authz" / "decision.rego").write_text("package vir.authz\n")
    (root / "vir" / "authz" / "decision_test.rego").write_text("package vir.authz_test\n")
    return root


def test_a_served_policy_change_changes_the_fingerprint(tmp_path: Path) -> None:
    source = BundleSource(policy_dir=_policies(tmp_path))
    before = source.fingerprint()
    assert source.fingerprint() == before
    rule = tmp_path / "vir" / "authz" / "decision.rego"
    rule.write_text(rule.read_text() + "# changed\n")
    assert source.fingerprint() != before


def test_a_test_file_change_does_not_reload(tmp_path: Path) -> None:
    source = BundleSource(policy_dir=_policies(tmp_path))
    before = source.fingerprint()
    (tmp_path / "vir" / "authz" / "decision_test.rego").write_text("package changed_test\n")
    assert source.fingerprint() == before


def test_a_bundle_file_is_fingerprinted_by_content(tmp_path: Path) -> None:
    bundle = tmp_path / "vir-policy.tar.gz"
    bundle.write_bytes(b"one")
    source = BundleSource(bundle_file=bundle)
    before = source.fingerprint()
    bundle.write_bytes(b"two")
    assert source.fingerprint() != before


def test_a_bundle_file_is_copied_as_it_is(tmp_path: Path) -> None:
    bundle = tmp_path / "vir-policy.tar.gz"
    bundle.write_bytes(b"\x1f\x8bbundle")
    BundleSource(bundle_file=bundle).materialise("opa", tmp_path / "copy.tar.gz")
    assert (tmp_path / "copy.tar.gz").read_bytes() == bundle.read_bytes()


def test_no_source_is_a_startup_error(tmp_path: Path) -> None:
    with pytest.raises(OpaStartError):
        BundleSource().materialise("opa", tmp_path / "out.tar.gz")
