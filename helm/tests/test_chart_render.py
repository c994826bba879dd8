"""The chart lints, renders every variant, and renders only valid Kubernetes objects."""

from __future__ import annotations

import functools
import shlex
import shutil
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from chartlib import (
    CHART,
    CI_VALUES,
    KUBE_VERSIONS,
    ROOT,
    SERVICE_MONITOR_API,
    VARIANTS,
    Helm,
    Manifest,
    container,
    find,
    flag,
    helm_binary,
    kinds,
    require_binary,
    statefulset_pod,
)

from sidecar import cli

# Custom resources have no schema in kubernetes-validate; their fields are asserted instead.
CUSTOM_KINDS = {"ServiceMonitor"}


def test_every_variant_has_a_ci_values_file() -> None:
    assert sorted(p.name for p in CI_VALUES.glob("*-values.yaml")) == sorted(
        f"{variant}-values.yaml" for variant in VARIANTS
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_lint_strict(helm: Helm, variant: str) -> None:
    output = helm.run(
        "lint",
        "--strict",
        str(CHART),
        "--values",
        str(CI_VALUES / f"{variant}-values.yaml"),
        "--kube-version",
        f"{KUBE_VERSIONS[-1]}.0",
    )
    assert "0 chart(s) failed" in output


@functools.cache
def _validator_version(kube_version: str) -> str:
    assert kube_version in kubernetes_validate.utils.all_versions() or any(
        v.startswith(f"{kube_version}.") for v in kubernetes_validate.utils.all_versions()
    ), f"kubernetes-validate ships no schemas for Kubernetes {kube_version}"
    return kube_version


def _validate(manifest: Manifest, kube_version: str) -> None:
    try:
        kubernetes_validate.validate(manifest, _validator_version(kube_version), strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        pytest.fail(
            f"{manifest['kind']}/{manifest['metadata']['name']} is invalid for Kubernetes"
            f" {kube_version} at {where}: {error.message}"
        )


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_manifests_match_the_kubernetes_api_schemas(
    helm: Helm, variant: str, kube_version: str
) -> None:
    manifests = helm.variant(variant, api_versions=[SERVICE_MONITOR_API], kube_version=kube_version)
    assert manifests
    for manifest in manifests:
        if manifest["kind"] not in CUSTOM_KINDS:
            _validate(manifest, kube_version)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (
            "pdp",
            [
                "ConfigMap",
                "NetworkPolicy",
                "Pod",
                "PodDisruptionBudget",
                "Service",
                "Service",
                "ServiceAccount",
                "StatefulSet",
            ],
        ),
        (
            "sidecar",
            [
                "ConfigMap",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Service",
                "Service",
                "ServiceAccount",
                "StatefulSet",
            ],
        ),
        (
            "bundle",
            [
                "ConfigMap",
                "HorizontalPodAutoscaler",
                "NetworkPolicy",
                "Pod",
                "PodDisruptionBudget",
                "Service",
                "Service",
                "ServiceAccount",
                "StatefulSet",
            ],
        ),
    ],
)
def test_objects_of_each_variant(helm: Helm, variant: str, expected: list[str]) -> None:
    assert kinds(helm.variant(variant)) == expected


def test_service_monitor_only_when_the_cluster_serves_its_api(helm: Helm) -> None:
    assert "ServiceMonitor" not in kinds(helm.variant("pdp"))
    assert "ServiceMonitor" not in kinds(
        helm.variant(
            "pdp", "metrics.serviceMonitor.enabled=false", api_versions=[SERVICE_MONITOR_API]
        )
    )


def test_service_monitor_scrapes_the_metrics_port_of_the_release(helm: Helm) -> None:
    manifests = helm.variant(
        "pdp",
        "metrics.serviceMonitor.labels.release=prometheus",
        api_versions=[SERVICE_MONITOR_API],
    )
    monitor = find(manifests, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    spec: dict[str, Any] = monitor["spec"]
    assert set(spec) == {"selector", "namespaceSelector", "endpoints"}
    selector = spec["selector"]["matchLabels"]
    assert spec["namespaceSelector"] == {"matchNames": [monitor["metadata"]["namespace"]]}
    assert spec["endpoints"] == [
        {
            "port": "metrics",
            "path": "/metrics",
            "scheme": "http",
            "interval": "30s",
            "scrapeTimeout": "10s",
        }
    ]
    # Exactly one Service matches and has the port, so each pod is scraped once.
    scraped = [
        s
        for s in manifests
        if s["kind"] == "Service"
        and selector.items() <= s["metadata"]["labels"].items()
        and any(p["name"] == "metrics" for p in s["spec"].get("ports", []))
    ]
    assert [s["metadata"]["name"] for s in scraped] == ["vir-vir-sidecar"]
    assert (
        selector.items()
        <= find(manifests, "StatefulSet")["spec"]["template"]["metadata"]["labels"].items()
    )


def test_chart_refuses_clusters_without_native_sidecar_containers(helm: Helm) -> None:
    with pytest.raises(Exception, match="kubeVersion"):
        helm.variant("pdp", kube_version="1.28")


def _notes(helm: Helm, tmp_path: Path, variant: str, *settings: str, values: Any = ()) -> str:
    """NOTES.txt as `helm install` prints it, rendered offline through a scratch template."""
    chart = tmp_path / "vir-sidecar"
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


def _command(notes: str, program: str) -> list[str]:
    """The arguments of the first `program ...` command in the notes, continuations joined."""
    text = notes.replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if program in ln][:1]
    return shlex.split(line[line.index(program) :])[1:]


def test_notes_show_how_to_call_check(helm: Helm, tmp_path: Path) -> None:
    notes = _notes(helm, tmp_path, "tls")
    assert "port-forward svc/vir-vir-sidecar 50051:50051" in notes
    args = cli.build_parser().parse_args(_command(notes, "vir-sidecar check"))
    assert args.command == "check"
    assert args.address == "127.0.0.1:50051"
    assert args.server_name == "vir-sidecar.authz.svc"
    assert args.tls_cert is not None
    sidecar_notes = _notes(helm, tmp_path, "sidecar")
    assert "port-forward pod/vir-vir-sidecar-0 50051:50051" in sidecar_notes
    assert "VIR_SIDECAR_ADDRESS" in sidecar_notes


@pytest.mark.parametrize("variant", VARIANTS)
def test_notes_show_where_the_audit_trail_is_and_how_to_verify_it(
    helm: Helm, tmp_path: Path, variant: str
) -> None:
    notes = _notes(helm, tmp_path, variant)
    verify = _command(notes, "vir-sidecar audit verify")
    args = cli.build_parser().parse_args(verify)
    assert (args.command, args.audit_command) == ("audit", "verify")
    sidecar = container(statefulset_pod(helm.variant(variant)), "vir-sidecar")
    assert str(args.key_file) == flag(sidecar, "--audit-key-file")
    assert [str(p) for p in args.paths] == [flag(sidecar, "--audit-dir")]
    assert "audit-vir-vir-sidecar-<ordinal>" in notes
    assert "http://<pod IP>:9464/metrics" in notes
    assert "ACCEPTED" not in notes
    assert "LOST" not in notes


def test_notes_warn_about_unsafe_settings(helm: Helm, tmp_path: Path) -> None:
    notes = _notes(
        helm,
        tmp_path,
        "pdp",
        "clearance.keysSecret.name=",
        "clearance.allowUnsigned=true",
        "audit.persistence.enabled=false",
    )
    assert "unsigned clearances are ACCEPTED" in notes
    assert "audit trail is LOST" in notes
    assert "plaintext" in notes
    no_callers = _notes(helm, tmp_path, "tls", values=[{"networkPolicy": {"grpcFrom": []}}])
    assert "lets no\n  records system reach gRPC" in no_callers


def test_a_missing_helm_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIR_HELM_BINARY", str(tmp_path / "no-helm"))
    assert helm_binary() == tmp_path / "no-helm"
    with pytest.raises(pytest.fail.Exception, match="VIR_HELM_BINARY"):
        require_binary(helm_binary(), "VIR_HELM_BINARY")
    monkeypatch.delenv("VIR_HELM_BINARY")
    assert helm_binary() == ROOT / ".tools" / "bin" / "helm"
