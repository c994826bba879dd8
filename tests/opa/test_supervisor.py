"""What the supervisor reloads on, the fingerprint of the bundle sources, and the bundles it
gives OPA: the rules and the settings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sidecar.opa import settings
from sidecar.opa.bundle import build
from sidecar.opa.command import OpaStartError, Verification, find_binary
from sidecar.opa.supervisor import BUNDLE_NAME, SETTINGS_NAME, BundleSource, Materialised

POLICIES = Path(__file__).resolve().parents[2] / "policies"
OPA = find_binary(None, os.environ)


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


def test_a_settings_file_change_changes_the_fingerprint(tmp_path: Path) -> None:
    force = tmp_path / "force.yaml"
    force.write_text("allowed_callers: [records-system]\n")
    source = BundleSource(policy_dir=_policies(tmp_path / "policies"), settings_file=force)
    before = source.fingerprint()
    assert before != BundleSource(policy_dir=tmp_path / "policies").fingerprint()
    force.write_text("allowed_callers: [records-system, case-management]\n")
    assert source.fingerprint() != before
    force.unlink()
    with pytest.raises(FileNotFoundError):
        source.fingerprint()  # mid-replacement: the watcher looks again later


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("rules") / "vir-policy.tar.gz"
    return build(POLICIES, output, opa_binary=OPA).path


def _served_settings(materialised: Materialised) -> dict[str, object]:
    directory = materialised.bundles[-1]
    data = (directory / "vir" / "config" / "data.json").read_bytes()
    manifest = json.loads((directory / ".manifest").read_text())
    assert manifest == {"revision": settings.revision_of(data), "roots": ["vir/config"]}
    served: dict[str, object] = json.loads(data)
    return served


def test_a_bundle_file_is_copied_as_it_is_and_served_with_its_defaults(
    rules: Path, tmp_path: Path
) -> None:
    materialised = BundleSource(bundle_file=rules).materialise(OPA, tmp_path)
    assert materialised.config_file is None
    copied, _ = materialised.bundles
    assert copied.read_bytes() == rules.read_bytes()
    assert _served_settings(materialised) == settings.defaults_of_bundle(rules)


def test_the_settings_file_is_merged_over_the_defaults(rules: Path, tmp_path: Path) -> None:
    force = tmp_path / "force.yaml"
    force.write_text(
        "allowed_callers: [records-system]\n"
        "organisation_aliases: {gmp: greater_manchester}\n"
        "categories: {RECORD_CATEGORY_COUNSELLING: {minimum_clearance_rank: superintendent}}\n"
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    materialised = BundleSource(bundle_file=rules, settings_file=force).materialise(OPA, run_dir)
    served = _served_settings(materialised)
    defaults = settings.defaults_of_bundle(rules)
    assert served == settings.merge(defaults, settings.load_file(force))
    assert served["allowed_callers"] == ["records-system"]
    aliases = served["organisation_aliases"]
    assert isinstance(aliases, dict)
    assert aliases["gmp"] == "greater_manchester"
    assert aliases["westyorkshire"] == "west_yorkshire"


def test_a_signed_bundle_is_given_to_opa_through_its_configuration(
    rules: Path, tmp_path: Path
) -> None:
    key = tmp_path / "public.pem"
    key.write_text("PEM")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    source = BundleSource(bundle_file=rules, verification=Verification(key, "vir-bundle"))
    materialised = source.materialise(OPA, run_dir)
    assert materialised.bundles == (run_dir / SETTINGS_NAME,)
    assert materialised.config_file is not None
    config = json.loads(materialised.config_file.read_text())
    assert config["bundles"]["rules"]["resource"] == (run_dir / BUNDLE_NAME).as_uri()
    assert (run_dir / BUNDLE_NAME).read_bytes() == rules.read_bytes()


def test_an_unreadable_settings_file_is_a_startup_error(rules: Path, tmp_path: Path) -> None:
    force = tmp_path / "force.yaml"
    force.write_text("- a list, not a mapping\n")
    with pytest.raises(settings.SettingsError, match="must be a mapping"):
        BundleSource(bundle_file=rules, settings_file=force).materialise(OPA, tmp_path)


def test_no_source_is_a_startup_error(tmp_path: Path) -> None:
    with pytest.raises(OpaStartError):
        BundleSource().materialise("opa", tmp_path)
