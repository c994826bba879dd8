"""Builds the rules as one artefact: a versioned, optionally signed OPA bundle.

`opa build` packs the served policy files (no `*_test.rego`, nothing under a
`scenarios/` directory) with a manifest that claims the rule packages
(`vir/authz`) and the shipped settings defaults, which the build moves from
vir/config/data.yaml to `vir/defaults`. The settings the rules read, at
`vir/config`, come from a bundle of their own (sidecar.opa.settings), so a
force's settings never need a rebuilt or re-signed rules bundle.

The manifest names the revision: the SHA-256 of the bundle's content, that is
of every file in the tarball except `.manifest` and `.signatures.json`, names
included. Anyone holding the tarball can recompute it (`content_revision`),
and the same policies give the same revision and the same bytes: `opa build`
writes fixed timestamps, and RS256 signatures are deterministic.

With a signing key the bundle carries `.signatures.json` over every file,
manifest included; an OPA started with `--verification-key` refuses a bundle
that is unsigned or altered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sidecar.errors import StartupError
from sidecar.opa.entrypoint import DECISION_PATH

DEFAULT_OUTPUT = Path("build/vir-policy.tar.gz")
DEFAULT_SIGNING_ALGORITHM = "RS256"
# The key id the signature names; OPA looks the verification key up by it. The
# chart's policy.bundle.keyId defaults to the same.
DEFAULT_SIGNING_KEY_ID = "vir-bundle"
# The rule packages, and the shipped settings defaults (never read by the rules).
RULES_ROOT = DECISION_PATH.rpartition("/")[0]
DEFAULTS_ROOT = "vir/defaults"
RULES_ROOTS = (RULES_ROOT, DEFAULTS_ROOT)
# The policy sources keep the defaults where `opa test` serves them to the rules.
DEFAULTS_SOURCE_DIR = ("vir", "config")
MANIFEST = ".manifest"
SIGNATURES = ".signatures.json"

# Tests and scenario tables sit in policies/ for `opa test`; they are not served.
TEST_SUFFIX = "_test.rego"
SCENARIO_DIR = "scenarios"
SERVED_SUFFIXES = (".rego", ".json", ".yaml", ".yml")

OPA_TIMEOUT_SECONDS = 60


class BundleError(StartupError):
    """The policy bundle cannot be built or read."""


@dataclass(frozen=True)
class Bundle:
    """A built bundle file and the revision its manifest names."""

    path: Path
    revision: str
    signed: bool


def served_files(policy_dir: Path) -> Iterator[Path]:
    """The bundle files OPA serves, relative to `policy_dir`, in a stable order."""
    for path in sorted(policy_dir.rglob("*")):
        relative = path.relative_to(policy_dir)
        if not path.is_file() or SCENARIO_DIR in relative.parts[:-1]:
            continue
        if path.name.endswith(TEST_SUFFIX):
            continue
        if path.suffix in SERVED_SUFFIXES or path.name == MANIFEST:
            yield relative


def build(
    policy_dir: Path,
    output: Path = DEFAULT_OUTPUT,
    *,
    opa_binary: str,
    signing_key: Path | None = None,
    signing_algorithm: str = DEFAULT_SIGNING_ALGORITHM,
    signing_key_id: str = DEFAULT_SIGNING_KEY_ID,
) -> Bundle:
    """Build `output` from `policy_dir`; replace it atomically, so a reader never sees half."""
    if os.sep in opa_binary:  # `opa build` runs in the staging directory
        opa_binary = os.path.abspath(opa_binary)
    with tempfile.TemporaryDirectory(prefix="vir-bundle-") as work:
        stage = Path(work) / "stage"
        _stage(policy_dir, stage)
        draft = Path(work) / "draft.tar.gz"
        _write_manifest(stage, revision=None)
        _opa_build(opa_binary, stage, draft)
        revision = content_revision(draft)
        _write_manifest(stage, revision=revision)
        signing = None
        if signing_key is not None:
            signing = Signing(signing_key.resolve(), signing_algorithm, signing_key_id)
        built = Path(work) / "bundle.tar.gz"
        _opa_build(opa_binary, stage, built, signing)
        _check_entrypoint(opa_binary, built)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.partial")
        shutil.copyfile(built, partial)
        os.replace(partial, output)
    return Bundle(path=output, revision=revision, signed=signing_key is not None)


def content_revision(bundle: Path) -> str:
    """`sha256:<hex>` over the name and bytes of every content file in `bundle`."""
    digest = hashlib.sha256()
    files = {
        name: content for name, content in _members(bundle) if name not in (MANIFEST, SIGNATURES)
    }
    if not files:
        raise BundleError(f"{bundle} holds no policy files")
    for name in sorted(files):
        digest.update(f"{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return "sha256:" + digest.hexdigest()


def read_data(bundle: Path) -> dict[str, Any]:
    """The data document of a built bundle (its data.json)."""
    for name, content in _members(bundle):
        if name == "data.json":
            data = json.loads(content)
            if not isinstance(data, dict):
                raise BundleError(f"{bundle}: data.json is not a JSON object")
            return data
    return {}


def read_manifest(bundle: Path) -> dict[str, Any]:
    """The `.manifest` of a built bundle."""
    for name, content in _members(bundle):
        if name == MANIFEST:
            manifest = json.loads(content)
            if not isinstance(manifest, dict):
                raise BundleError(f"{bundle}: the manifest is not a JSON object")
            return manifest
    raise BundleError(f"{bundle} has no {MANIFEST}")


def _members(bundle: Path) -> Iterator[tuple[str, bytes]]:
    try:
        with tarfile.open(bundle, "r:gz") as archive:
            for member in archive:
                stream = archive.extractfile(member) if member.isfile() else None
                if stream is not None:
                    yield member.name.lstrip("/"), stream.read()
    except (OSError, tarfile.TarError) as error:
        raise BundleError(f"cannot read bundle {bundle}: {error}") from error


def _stage(policy_dir: Path, stage: Path) -> None:
    """Copy the served files; the manifest is ours to write."""
    found = False
    for relative in served_files(policy_dir):
        if relative.as_posix() == MANIFEST:
            continue
        found = True
        target = stage / _staged_path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(policy_dir / relative, target)
    if not found:
        raise BundleError(f"no policy files under {policy_dir}")


def _staged_path(relative: Path) -> Path:
    """Where a served file goes in the bundle: the settings defaults move to vir/defaults."""
    if relative.parts[: len(DEFAULTS_SOURCE_DIR)] == DEFAULTS_SOURCE_DIR:
        return Path(DEFAULTS_ROOT, *relative.parts[len(DEFAULTS_SOURCE_DIR) :])
    return relative


def _write_manifest(stage: Path, *, revision: str | None) -> None:
    manifest: dict[str, Any] = {
        "roots": list(RULES_ROOTS),
        "metadata": {"entrypoint": DECISION_PATH},
    }
    if revision is not None:
        manifest["revision"] = revision
    (stage / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")


@dataclass(frozen=True)
class Signing:
    key: Path
    algorithm: str
    key_id: str


def _opa_build(opa_binary: str, stage: Path, output: Path, signing: Signing | None = None) -> None:
    # Built from inside the stage, so the paths in the tarball do not depend on
    # where the checkout is.
    command = [opa_binary, "build", "--bundle", ".", "--output", str(output)]
    if signing is not None:
        command += ["--signing-key", str(signing.key), "--signing-alg", signing.algorithm]
        # opa build writes this id into the signature as the key to verify it with.
        command += ["--verification-key-id", signing.key_id]
    _run_opa(command, cwd=stage)


def _check_entrypoint(opa_binary: str, bundle: Path) -> None:
    """Fail unless the bundle's annotations mark DECISION_PATH as the entrypoint."""
    result = _run_opa([opa_binary, "inspect", "--annotations", "--format", "json", str(bundle)])
    entrypoints = set()
    for annotation in json.loads(result).get("annotations") or []:
        if annotation.get("annotations", {}).get("entrypoint"):
            entrypoints.add("/".join(str(term["value"]) for term in annotation["path"][1:]))
    if DECISION_PATH not in entrypoints:
        raise BundleError(
            f"the bundle's entrypoint annotations name {sorted(entrypoints)}, not {DECISION_PATH}"
        )


def _run_opa(command: list[str], cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=OPA_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BundleError(f"cannot run {command[0]} {command[1]}: {error}") from error
    if result.returncode != 0:
        raise BundleError(f"opa {command[1]} failed: {result.stderr.strip()}")
    return result.stdout
