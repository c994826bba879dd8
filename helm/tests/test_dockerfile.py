"""sidecar/Dockerfile installs what the project installs, and runs it as the chart expects.

There is no container engine here, so the Dockerfile is read, not built.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from chartlib import CHART, ROOT
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

DOCKERFILE = ROOT / "sidecar" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
RUNTIME_LOCK = "requirements-runtime.lock"
DEV_LOCK = "requirements.lock"


@functools.cache
def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        joined.append(pending + stripped)
        pending = ""
    assert not pending, "Dockerfile ends in a continuation line"
    result = []
    for line in joined:
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def args_default(name: str) -> str:
    for keyword, rest in instructions():
        if keyword == "ARG" and rest.startswith(f"{name}="):
            return rest.split("=", 1)[1]
    raise AssertionError(f"no ARG {name}=<default>")


@functools.cache
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {line} is not pinned"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def test_base_image_python_satisfies_requires_python() -> None:
    image = args_default("PYTHON_IMAGE")
    match = re.fullmatch(r"python:(\d+\.\d+\.\d+)-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image)
    assert match, f"base image {image} is not a pinned python:X.Y.Z-slim-<debian> tag"
    version = match.group(1)
    assert SpecifierSet(pyproject()["project"]["requires-python"]).contains(version)
    # The version the code is type-checked and linted for.
    major_minor = ".".join(version.split(".")[:2])
    assert pyproject()["tool"]["mypy"]["python_version"] == major_minor
    assert pyproject()["tool"]["ruff"]["target-version"] == "py" + major_minor.replace(".", "")
    assert [rest for keyword, rest in instructions() if keyword == "FROM"] == [
        "${PYTHON_IMAGE} AS builder",
        "${PYTHON_IMAGE}",
    ]


def test_builder_installs_the_runtime_lock_then_the_project_without_deps() -> None:
    runs = [rest for keyword, rest in stages()[0] if keyword == "RUN"]
    lock_installs = [r for r in runs if f"-r {RUNTIME_LOCK}" in r]
    assert len(lock_installs) == 1
    assert "--no-deps" in lock_installs[0]
    assert "--only-binary=:all:" in lock_installs[0]
    project_installs = [r for r in runs if re.search(r"install --no-deps \.(\s|$)", r)]
    assert len(project_installs) == 1
    assert runs.index(lock_installs[0]) < runs.index(project_installs[0])
    assert "check" in project_installs[0]


def test_every_file_the_build_copies_exists_in_the_repository() -> None:
    for keyword, rest in instructions():
        if keyword != "COPY" or rest.startswith("--from"):
            continue
        *sources, _destination = rest.split()
        for source in sources:
            assert (ROOT / source).exists(), (
                f"the build copies {source}, which is not in the repository"
                + (
                    f": generate {RUNTIME_LOCK}, the runtime subset of {DEV_LOCK}"
                    if source == RUNTIME_LOCK
                    else ""
                )
            )


def test_runtime_lock_is_the_runtime_subset_of_the_project_lock() -> None:
    runtime_path = ROOT / RUNTIME_LOCK
    assert runtime_path.is_file(), f"generate {RUNTIME_LOCK}, the runtime subset of {DEV_LOCK}"
    runtime, dev = _pins(runtime_path), _pins(ROOT / DEV_LOCK)
    differing = {name: version for name, version in runtime.items() if dev.get(name) != version}
    assert not differing, f"pinned differently from {DEV_LOCK}: {differing}"
    for dependency in pyproject()["project"]["dependencies"]:
        requirement = Requirement(dependency)
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"{RUNTIME_LOCK} lacks the dependency {requirement.name}"
        assert requirement.specifier.contains(runtime[name])
    dev_only = {
        canonicalize_name(Requirement(r).name)
        for r in pyproject()["project"]["optional-dependencies"]["dev"]
    }
    in_image = dev_only & set(runtime)
    assert not in_image, f"test and lint tools in the image: {in_image}"


def test_image_runs_vir_sidecar_serve_as_a_numeric_non_root_user() -> None:
    stage = final_stage()
    (user,) = [rest for keyword, rest in stage if keyword == "USER"]
    uid, _, gid = user.partition(":")
    assert uid.isdigit()
    assert gid.isdigit()
    assert int(uid) > 0
    assert int(gid) > 0
    entrypoint = [json.loads(rest) for keyword, rest in stage if keyword == "ENTRYPOINT"]
    assert entrypoint == [["vir-sidecar"]]
    assert "vir-sidecar" in pyproject()["project"]["scripts"]
    assert [json.loads(rest) for keyword, rest in stage if keyword == "CMD"] == [["serve"]]
    # The chart's pods run as the image's user.
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert values["podSecurityContext"]["runAsUser"] == int(uid)
    assert values["podSecurityContext"]["runAsGroup"] == int(gid)


def test_final_stage_holds_the_venv_and_no_build_tools() -> None:
    stage = final_stage()
    copies = [rest for keyword, rest in stage if keyword == "COPY"]
    assert copies == ["--from=builder /opt/venv /opt/venv"]
    runs = " ".join(rest for keyword, rest in stage if keyword == "RUN")
    for tool in ("apt-get", "gcc", "build-essential", "pip install", "curl", "wget"):
        assert tool not in runs, tool
    assert "pip uninstall" in runs
    # The exec probes and the helm test run `vir-sidecar health` from the venv.
    (path,) = [rest for keyword, rest in stage if keyword == "ENV" and rest.startswith("PATH=")]
    assert path.startswith("PATH=/opt/venv/bin:")


def test_the_installed_packages_hold_no_developer_tools() -> None:
    include = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    assert include == ["sidecar*"]
    packages = [
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.glob("**/__init__.py")
        if not {".venv", ".tools", ".git", "build"} & set(init.parts)
    ]
    installed = [p for p in packages if any(fnmatch.fnmatch(p, pattern) for pattern in include)]
    assert "sidecar" in installed
    assert not [p for p in installed if "devtools" in p.split(".")]
    # The coverage gate and any other developer tool live outside the package.
    assert (ROOT / "devtools" / "coverage_gate.py").is_file()


def _ignored(path: str) -> bool:
    """Whether the Docker build context leaves `path` out (last matching pattern wins)."""
    excluded = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    "path",
    [
        RUNTIME_LOCK,
        "pyproject.toml",
        "README.md",
        "sidecar/__init__.py",
        "sidecar/cli.py",
        "sidecar/audit/trail.py",
        "sidecar/_generated/vir/authz/v1/authz_service_pb2.py",
    ],
)
def test_build_context_includes(path: str) -> None:
    assert not _ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".tools/bin/opa",
        ".git/config",
        "var/dev-audit.key",
        "var/audit/audit-000001.jsonl",
        "tests/test_config.py",
        "policies/vir/authz/decision.rego",
        "helm/vir-sidecar/values.yaml",
        "sidecar/__pycache__/cli.cpython-311.pyc",
        "sidecar/audit/__pycache__/trail.cpython-311.pyc",
        "build/lib/sidecar/cli.py",
        "build/vir-policy.tar.gz",
        "devtools/coverage_gate.py",
        "vir_sidecar.egg-info/PKG-INFO",
    ],
)
def test_build_context_excludes(path: str) -> None:
    assert _ignored(path)
