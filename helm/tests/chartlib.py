"""Rendering the vir-sidecar chart with the real helm binary, and reading what it renders."""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from sidecar.opa.command import OpaStartError, find_binary

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "vir-sidecar"
CI_VALUES = CHART / "ci"
VARIANTS = ("pdp", "sidecar", "bundle", "tls", "production")
RELEASE = "vir"
NAMESPACE = "authz"
FULLNAME = "vir-vir-sidecar"
# The cluster version the chart is rendered for and validated against: the
# oldest the chart supports (native sidecar containers) and a recent one.
KUBE_VERSIONS = ("1.29", "1.33", "1.37")
SERVICE_MONITOR_API = "monitoring.coreos.com/v1/ServiceMonitor"
# Custom resources have no schema in kubernetes-validate; their fields are asserted instead.
CUSTOM_KINDS = {"ServiceMonitor", "Certificate"}

Manifest = dict[str, Any]


def helm_binary() -> Path:
    """VIR_HELM_BINARY, else the project's pinned helm in .tools/bin."""
    configured = os.environ.get("VIR_HELM_BINARY")
    return Path(configured) if configured else ROOT / ".tools" / "bin" / "helm"


def opa_binary() -> Path:
    """The sidecar's own lookup: VIR_OPA_BINARY, the pinned .tools/bin/opa, then PATH."""
    try:
        return Path(find_binary(None, os.environ, cwd=ROOT))
    except OpaStartError:
        return ROOT / ".tools" / "bin" / "opa"  # require_binary says what is missing


def helm_docs_binary() -> Path:
    """VIR_HELM_DOCS_BINARY, else the project's pinned helm-docs in .tools/bin."""
    configured = os.environ.get("VIR_HELM_DOCS_BINARY")
    return Path(configured) if configured else ROOT / ".tools" / "bin" / "helm-docs"


def require_binary(binary: Path, variable: str) -> Path:
    """`binary` if it is an executable file; otherwise the test fails (it never skips)."""
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(
            f"no executable at {binary}: run `make tools`, or point {variable} at the binary",
            pytrace=False,
        )
    return binary


class HelmError(RuntimeError):
    """helm exited non-zero; the message is its stderr."""


@dataclass(frozen=True)
class Helm:
    binary: Path

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.binary), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            raise HelmError(result.stderr.strip() or result.stdout.strip())
        return result.stdout

    def template(
        self,
        *,
        values_files: Sequence[Path] = (),
        set_values: Sequence[str] = (),
        values: Sequence[Mapping[str, Any]] = (),
        api_versions: Sequence[str] = (),
        chart: Path = CHART,
        kube_version: str = KUBE_VERSIONS[-1],
        skip_schema_validation: bool = False,
    ) -> list[Manifest]:
        args = ["template", RELEASE, str(chart), "--namespace", NAMESPACE]
        args += ["--kube-version", f"{kube_version}.0"]
        if skip_schema_validation:
            args.append("--skip-schema-validation")
        for path in values_files:
            args += ["--values", str(path)]
        for item in set_values:
            args += ["--set", item]
        for api in api_versions:
            args += ["--api-versions", api]
        with tempfile.TemporaryDirectory() as scratch:
            for index, document in enumerate(values):
                path = Path(scratch) / f"values-{index}.yaml"
                path.write_text(yaml.safe_dump(dict(document)), encoding="utf-8")
                args += ["--values", str(path)]
            return parse_manifests(self.run(*args))

    def variant(self, name: str, *extra: str, **kwargs: Any) -> list[Manifest]:
        """Render the chart with ci/<name>-values.yaml and `--set` items `extra`."""
        values_file = CI_VALUES / f"{name}-values.yaml"
        return self.template(values_files=[values_file], set_values=extra, **kwargs)


def parse_manifests(text: str) -> list[Manifest]:
    return [
        cast(Manifest, document)
        for document in yaml.safe_load_all(text)
        if isinstance(document, dict)
    ]


def find(manifests: Sequence[Manifest], kind: str, name: str | None = None) -> Manifest:
    matches = [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def kinds(manifests: Sequence[Manifest]) -> list[str]:
    return sorted(m["kind"] for m in manifests)


def pod_specs(manifests: Sequence[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """(name, pod spec) of every pod template and bare pod."""
    for m in manifests:
        if m["kind"] == "Pod":
            yield m["metadata"]["name"], m["spec"]
        elif m["kind"] in {"StatefulSet", "Deployment", "DaemonSet", "Job"}:
            yield m["metadata"]["name"], m["spec"]["template"]["spec"]


def containers(pod_spec: Manifest) -> list[Manifest]:
    """Init containers (native sidecars included), then containers."""
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def container(pod_spec: Manifest, name: str) -> Manifest:
    matches = [c for c in containers(pod_spec) if c["name"] == name]
    assert len(matches) == 1, f"expected one container {name}, found {len(matches)}"
    return matches[0]


def statefulset_pod(manifests: Sequence[Manifest]) -> Manifest:
    return cast(Manifest, find(manifests, "StatefulSet")["spec"]["template"]["spec"])


def args_of(c: Manifest) -> list[str]:
    return [str(a) for a in c.get("args", [])]


def flag(c: Manifest, name: str) -> str | None:
    """The value of `--name=value` (or `--name value`) in a container's args."""
    args = args_of(c)
    for index, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
        if arg == name and index + 1 < len(args) and not args[index + 1].startswith("--"):
            return args[index + 1]
    return None


@functools.cache
def _validator_version(kube_version: str) -> str:
    assert kube_version in kubernetes_validate.utils.all_versions() or any(
        v.startswith(f"{kube_version}.") for v in kubernetes_validate.utils.all_versions()
    ), f"kubernetes-validate ships no schemas for Kubernetes {kube_version}"
    return kube_version


def validate_manifest(manifest: Manifest, kube_version: str) -> None:
    """Fail the test unless `manifest` is valid for the Kubernetes API of `kube_version`."""
    try:
        kubernetes_validate.validate(manifest, _validator_version(kube_version), strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        pytest.fail(
            f"{manifest['kind']}/{manifest['metadata']['name']} is invalid for Kubernetes"
            f" {kube_version} at {where}: {error.message}"
        )


def render_notes(
    helm: Helm,
    scratch: Path,
    variant: str,
    *settings: str,
    values: Sequence[Mapping[str, Any]] = (),
) -> str:
    """NOTES.txt as `helm install` prints it, rendered offline through a scratch template."""
    chart = scratch / "vir-sidecar"
    if not chart.exists():
        shutil.copytree(CHART, chart)
        (chart / "templates" / "zz-notes.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
            '  notes: {{ include "vir-sidecar/templates/NOTES.txt" . | toJson }}\n',
            encoding="utf-8",
        )
    manifests = helm.variant(variant, *settings, chart=chart, values=values)
    notes = find(manifests, "ConfigMap", "notes")
    return str(notes["data"]["notes"])


def notes_command(notes: str, program: str) -> list[str]:
    """The arguments of the first `program ...` command in the notes, continuations joined."""
    text = notes.replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if program in ln][:1]
    return shlex.split(line[line.index(program) :])[1:]


def notes_check_request(notes: str) -> str:
    """The CheckRequest JSON the notes pipe into `vir-sidecar check --request -`."""
    text = notes.replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if "vir-sidecar check" in ln]
    echoed = line.partition("|")[0]
    (document,) = shlex.split(echoed)[1:]
    return document
