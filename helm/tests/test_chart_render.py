"""The chart lints, renders every variant, and renders only valid Kubernetes objects."""

from __future__ import annotations

from pathlib import Path

import pytest
from chartlib import (
    CHART,
    CI_VALUES,
    CUSTOM_KINDS,
    KUBE_VERSIONS,
    ROOT,
    SERVICE_MONITOR_API,
    VARIANTS,
    Helm,
    Manifest,
    container,
    flag,
    helm_binary,
    kinds,
    notes_check_request,
    notes_command,
    render_notes,
    require_binary,
    statefulset_pod,
    validate_manifest,
)
from google.protobuf import json_format

from sidecar import cli, validation
from sidecar.api import pb


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


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_manifests_match_the_kubernetes_api_schemas(
    helm: Helm, variant: str, kube_version: str
) -> None:
    manifests = helm.variant(variant, api_versions=[SERVICE_MONITOR_API], kube_version=kube_version)
    assert manifests
    for manifest in manifests:
        if manifest["kind"] not in CUSTOM_KINDS:
            validate_manifest(manifest, kube_version)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (
            "pdp",
            [
                "ConfigMap",
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
            "production",
            [
                "Certificate",
                "ConfigMap",
                "ConfigMap",
                "NetworkPolicy",
                "Pod",
                "PodDisruptionBudget",
                "Service",
                "Service",
                "ServiceAccount",
                "ServiceMonitor",
                "StatefulSet",
            ],
        ),
        (
            "bundle",
            [
                "ConfigMap",
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


def test_chart_refuses_clusters_without_native_sidecar_containers(helm: Helm) -> None:
    with pytest.raises(Exception, match="kubeVersion"):
        helm.variant("pdp", kube_version="1.28")


def _mounted(pod_spec: Manifest, path: str) -> bool:
    """Whether `path` lies under a volume mount of the vir-sidecar container."""
    mounts = container(pod_spec, "vir-sidecar")["volumeMounts"]
    return any(path.startswith(m["mountPath"] + "/") for m in mounts)


@pytest.mark.parametrize("variant", ["pdp", "tls", "sidecar"])
def test_notes_health_command_is_the_probe_run_by_hand(
    helm: Helm, tmp_path: Path, variant: str
) -> None:
    notes = render_notes(helm, tmp_path, variant)
    exec_args = notes_command(notes, "kubectl -n authz exec vir-vir-sidecar-0 -c vir-sidecar --")
    assert exec_args[:6] == ["-n", "authz", "exec", "vir-vir-sidecar-0", "-c", "vir-sidecar"]
    by_hand = exec_args[7:]
    pod = statefulset_pod(helm.variant(variant, "tls.serverName=vir-sidecar.authz.svc"))
    probe = container(pod, "vir-sidecar")["readinessProbe"]
    if "exec" in probe:
        command = probe["exec"]["command"]
        timeout = command.index("--timeout")
        assert by_hand == command[:timeout] + command[timeout + 2 :]
    else:  # the native gRPC probe asks the same health service
        assert by_hand == ["vir-sidecar", "health", "--address", "127.0.0.1:50051"]


@pytest.mark.parametrize("variant", ["pdp", "tls", "sidecar"])
def test_notes_check_runs_in_the_pod_with_a_valid_request(
    helm: Helm, tmp_path: Path, variant: str
) -> None:
    notes = render_notes(helm, tmp_path, variant)
    assert "examples/" not in notes
    kubectl = notes_command(notes, "| kubectl")
    assert kubectl[:8] == [
        "kubectl",
        "-n",
        "authz",
        "exec",
        "-i",
        "vir-vir-sidecar-0",
        "-c",
        "vir-sidecar",
    ]
    args = cli.build_parser().parse_args(notes_command(notes, "vir-sidecar check"))
    assert (args.command, args.address, str(args.request)) == ("check", "127.0.0.1:50051", "-")
    pod = statefulset_pod(helm.variant(variant))
    for path in (args.tls_ca, args.tls_cert, args.tls_key):
        assert path is None or _mounted(pod, str(path)), path
    assert (args.tls_ca is not None) == (variant == "tls")
    assert (args.tls_cert is not None) == (variant == "tls")
    # The request it sends passes the sidecar's validation: the answer is a decision
    # (test_chart_pod_processes.py sends it to a running sidecar and gets a deny).
    request = json_format.Parse(notes_check_request(notes), pb.CheckRequest())
    validation.validate(request)


def test_notes_show_grpcurl_through_a_port_forward(helm: Helm, tmp_path: Path) -> None:
    notes = render_notes(helm, tmp_path, "tls")
    assert "port-forward svc/vir-vir-sidecar 50051:50051" in notes
    health = notes_command(notes, "grpcurl -cacert")
    assert health[-2:] == ["127.0.0.1:50051", "grpc.health.v1.Health/Check"]
    assert health[health.index("-servername") + 1] == "vir-sidecar.authz.svc"
    assert "-cert" in health
    # The files it names are fetched from the Secrets the pods mount.
    volumes = {v["name"]: v for v in statefulset_pod(helm.variant("tls"))["volumes"]}
    assert f"get secret {volumes['tls']['secret']['secretName']} " in notes
    assert f"get secret {volumes['probe-client']['secret']['secretName']} " in notes
    sidecar_notes = render_notes(helm, tmp_path, "sidecar")
    assert "port-forward pod/vir-vir-sidecar-0 50051:50051" in sidecar_notes
    assert "grpcurl -plaintext 127.0.0.1:50051 grpc.health.v1.Health/Check" in sidecar_notes
    assert "VIR_SIDECAR_ADDRESS" in sidecar_notes


@pytest.mark.parametrize("variant", VARIANTS)
def test_notes_show_where_the_audit_trail_is_and_how_to_verify_it(
    helm: Helm, tmp_path: Path, variant: str
) -> None:
    notes = render_notes(helm, tmp_path, variant)
    verify = notes_command(notes, "vir-sidecar audit verify")
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
    notes = render_notes(
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
    no_callers = render_notes(helm, tmp_path, "tls", values=[{"networkPolicy": {"grpcFrom": []}}])
    assert "lets no\n  records system reach gRPC" in no_callers


def test_notes_tell_where_metrics_are_scraped_and_when_to_restart_for_certificates(
    helm: Helm, tmp_path: Path
) -> None:
    production = render_notes(helm, tmp_path, "production")
    assert "scraped through ServiceMonitor vir-vir-sidecar in namespace monitoring" in production
    assert 'OPA\'s own metrics: port "opa-metrics" (8282)' in production
    assert "Secret vir-vir-sidecar-tls" in production
    assert "rollout restart statefulset/vir-vir-sidecar" in production
    undetected = render_notes(helm, tmp_path, "pdp", "metrics.serviceMonitor.enabled=auto")
    assert 'No ServiceMonitor: metrics.serviceMonitor.enabled is "auto"' in undetected
    assert "ServiceMonitor" not in render_notes(helm, tmp_path, "pdp")
    no_scrapers = render_notes(
        helm, tmp_path, "pdp", values=[{"networkPolicy": {"metricsFrom": []}}]
    )
    assert "no Prometheus can scrape" in no_scrapers


def test_a_missing_helm_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIR_HELM_BINARY", str(tmp_path / "no-helm"))
    assert helm_binary() == tmp_path / "no-helm"
    with pytest.raises(pytest.fail.Exception, match="VIR_HELM_BINARY"):
        require_binary(helm_binary(), "VIR_HELM_BINARY")
    monkeypatch.delenv("VIR_HELM_BINARY")
    assert helm_binary() == ROOT / ".tools" / "bin" / "helm"
