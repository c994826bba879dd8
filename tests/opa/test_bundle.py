"""`opa build` of the policy: what goes in, the manifest, and a reproducible revision."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sidecar.opa import settings
from sidecar.opa.bundle import (
    RULES_ROOTS,
    Bundle,
    BundleError,
    build,
    content_revision,
    read_data,
    read_manifest,
    served_files,
)
from sidecar.opa.command import find_binary
from sidecar.opa.entrypoint import DECISION_PATH, DECISION_QUERY

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
OPA = find_binary(None, os.environ)


def names_in(bundle: Path) -> set[str]:
    with tarfile.open(bundle) as archive:
        return {member.name.lstrip("/") for member in archive if member.isfile()}


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    return copy


@pytest.fixture
def built(tmp_path: Path) -> Bundle:
    return build(POLICIES, tmp_path / "out" / "vir-policy.tar.gz", opa_binary=OPA)


def test_the_decision_query_is_defined_by_the_built_bundle(built: Bundle, tmp_path: Path) -> None:
    served = settings.write_bundle(settings.defaults_of_bundle(built.path), tmp_path / "settings")
    result = subprocess.run(
        [OPA, "eval", "--format", "json", "--bundle", str(built.path),
         "--bundle", str(served.path), "--stdin-input", DECISION_QUERY],
        input='{"request": {}, "context": {"time": "2026-01-12T00:00:00Z"}}',
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    (expression,) = json.loads(result.stdout)["result"][0]["expressions"]
    assert expression["value"]["allow"] is False
    assert expression["value"]["reasons"]
    assert DECISION_PATH.rpartition("/")[0] == RULES_ROOTS[0]


def test_bundle_holds_the_served_policy_and_no_tests_or_scenarios(built: Bundle) -> None:
    names = names_in(built.path)
    assert not [name for name in names if name.endswith("_test.rego")]
    assert not [name for name in names if "scenarios" in name]
    served_rego = {p.as_posix() for p in served_files(POLICIES) if p.suffix == ".rego"}
    assert {name for name in names if name.endswith(".rego")} == served_rego
    assert "vir/authz/decision.rego" in names
    # The data files become the bundle's data.json.
    assert names - served_rego == {".manifest", "data.json"}
    assert not built.signed


def test_the_defaults_are_carried_at_vir_defaults_and_the_settings_root_left_free(
    built: Bundle,
) -> None:
    shipped = yaml.safe_load((POLICIES / "vir" / "config" / "data.yaml").read_text())
    assert read_data(built.path) == {"vir": {"defaults": shipped}}
    assert settings.defaults_of_bundle(built.path) == shipped


def test_manifest_claims_the_rules_and_defaults_and_names_the_content_digest(
    built: Bundle,
) -> None:
    manifest = read_manifest(built.path)
    assert manifest["roots"] == ["vir/authz", "vir/defaults"]
    assert manifest["revision"] == built.revision == content_revision(built.path)
    assert built.revision.startswith("sha256:")
    assert len(built.revision) == len("sha256:") + 64
    assert manifest["metadata"] == {"entrypoint": DECISION_PATH}


def test_the_decision_keeps_its_entrypoint_annotation(built: Bundle) -> None:
    with tarfile.open(built.path) as archive:
        stream = archive.extractfile("/vir/authz/decision.rego")
        assert stream is not None
        source = stream.read().decode()
    assert "# METADATA" in source
    assert "# entrypoint: true" in source


def test_same_policies_give_the_same_revision_and_bytes(built: Bundle, tmp_path: Path) -> None:
    again = build(POLICIES, tmp_path / "again.tar.gz", opa_binary=OPA)
    assert again.revision == built.revision
    assert again.path.read_bytes() == built.path.read_bytes()


def test_the_checkout_location_does_not_change_the_bundle(
    built: Bundle, policies: Path, tmp_path: Path
) -> None:
    elsewhere = build(policies, tmp_path / "elsewhere.tar.gz", opa_binary=OPA)
    assert elsewhere.path.read_bytes() == built.path.read_bytes()


def test_revision_follows_served_files_only(built: Bundle, policies: Path, tmp_path: Path) -> None:
    (policies / "vir" / "authz" / "decision_test.rego").write_text(
        (policies / "vir" / "authz" / "decision_test.rego").read_text() + "\n# a comment\n"
    )
    (policies / "scenarios" / "extra.yaml").write_text("extra: true\n")
    assert build(policies, tmp_path / "tests.tar.gz", opa_binary=OPA).revision == built.revision
    ranks = policies / "vir" / "authz" / "ranks.rego"
    ranks.write_text(ranks.read_text() + "\n# a comment\n")
    assert build(policies, tmp_path / "rule.tar.gz", opa_binary=OPA).revision != built.revision


def test_a_policy_without_the_entrypoint_annotation_is_refused(
    policies: Path, tmp_path: Path
) -> None:
    decision = policies / "vir" / "authz" / "decision.rego"
    decision.write_text(decision.read_text().replace("# entrypoint: true\n", ""))
    output = tmp_path / "out.tar.gz"
    with pytest.raises(BundleError, match=DECISION_PATH):
        build(policies, output, opa_binary=OPA)
    assert not output.exists()


def test_a_policy_that_does_not_compile_is_refused(policies: Path, tmp_path: Path) -> None:
    (policies / "vir" / "authz" / "broken.rego").write_text("package vir.authz\n\nbroken if {\n")
    with pytest.raises(BundleError, match="opa build failed"):
        build(policies, tmp_path / "out.tar.gz", opa_binary=OPA)


def test_an_empty_policy_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no policy files"):
        build(tmp_path, tmp_path / "out.tar.gz", opa_binary=OPA)


def test_a_file_that_is_not_a_bundle_cannot_be_read(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(BundleError, match="cannot read bundle"):
        content_revision(junk)


def test_cli_builds_the_bundle_and_prints_its_revision(built: Bundle, tmp_path: Path) -> None:
    output = tmp_path / "cli.tar.gz"
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "bundle", "build",
         "--policy-dir", str(POLICIES), "--out", str(output), "--opa-binary", OPA],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(output), built.revision]


def test_cli_reports_a_failed_build(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "bundle", "build",
         "--policy-dir", str(tmp_path), "--out", str(tmp_path / "out.tar.gz"),
         "--opa-binary", OPA],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no policy files" in result.stderr


def test_a_signed_bundle_names_its_algorithm_and_key_id(built: Bundle, tmp_path: Path) -> None:
    key = tmp_path / "signing.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signed = build(
        POLICIES,
        tmp_path / "signed.tar.gz",
        opa_binary=OPA,
        signing_key=key,
        signing_algorithm="ES256",
        signing_key_id="force-policy-2026",
    )
    assert signed.signed
    assert signed.revision == built.revision
    with tarfile.open(signed.path) as archive:
        stream = archive.extractfile("/.signatures.json")
        assert stream is not None
        (token,) = json.load(stream)["signatures"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": "force-policy-2026", "typ": "JWT"}
    assert names_in(signed.path) == names_in(built.path) | {".signatures.json"}


def test_a_missing_signing_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="opa build failed"):
        build(POLICIES, tmp_path / "out.tar.gz", opa_binary=OPA, signing_key=tmp_path / "no.pem")
