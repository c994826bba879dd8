"""The pods: hardened containers, probes that reach what they probe, and what listens where."""

from __future__ import annotations

import json

import pytest
from chartlib import (
    FULLNAME,
    NAMESPACE,
    SERVICE_MONITOR_API,
    VARIANTS,
    Helm,
    Manifest,
    args_of,
    container,
    containers,
    find,
    flag,
    pod_specs,
    statefulset_pod,
)

from sidecar import cli, config

PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
EXEC_PROBE = ["vir-sidecar", "health"]
# The writable emptyDir each container gets (a path in the pod, not on this machine).
POD_TMP = "/tmp"  # noqa: S108


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_pod_and_container_is_hardened(helm: Helm, variant: str) -> None:
    pods = list(pod_specs(helm.variant(variant, api_versions=[SERVICE_MONITOR_API])))
    assert pods
    for pod_name, pod in pods:
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, pod_name
        assert context["runAsUser"] > 0, pod_name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, pod_name
        assert pod["automountServiceAccountToken"] is False, pod_name
        for c in containers(pod):
            where = f"{pod_name}/{c['name']}"
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] is True, where
            assert sc.get("runAsUser", context["runAsUser"]) > 0, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["privileged"] is False, where
            assert sc["capabilities"] == {"drop": ["ALL"]}, where
            assert "add" not in sc["capabilities"], where
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, where
            resources = c["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where


@pytest.mark.parametrize("variant", VARIANTS)
def test_writable_paths_are_volumes(helm: Helm, variant: str) -> None:
    pod = statefulset_pod(helm.variant(variant))
    mounts = {m["mountPath"]: m for m in container(pod, "vir-sidecar")["volumeMounts"]}
    assert mounts["/var/lib/vir-sidecar"]["name"] == "audit"
    assert flag(container(pod, "vir-sidecar"), "--audit-dir") == "/var/lib/vir-sidecar/audit"
    assert mounts[POD_TMP]["name"] == "tmp"
    writable = {path for path, m in mounts.items() if not m.get("readOnly")}
    assert writable == {"/var/lib/vir-sidecar", POD_TMP}
    opa_writable = [
        m["name"] for m in container(pod, "opa")["volumeMounts"] if not m.get("readOnly")
    ]
    assert opa_writable == ["opa-socket"]  # where OPA creates its socket, nothing else


@pytest.mark.parametrize("variant", VARIANTS)
def test_audit_trail_is_on_a_retained_volume_per_pod(helm: Helm, variant: str) -> None:
    statefulset = find(helm.variant(variant), "StatefulSet")
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "audit"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert statefulset["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    volumes = {v["name"] for v in statefulset["spec"]["template"]["spec"]["volumes"]}
    assert "audit" not in volumes


def test_audit_trail_on_an_emptydir_only_when_asked(helm: Helm) -> None:
    statefulset = find(helm.variant("pdp", "audit.persistence.enabled=false"), "StatefulSet")
    assert "volumeClaimTemplates" not in statefulset["spec"]
    volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
    assert volumes["audit"]["emptyDir"] == {}


@pytest.mark.parametrize("variant", VARIANTS)
def test_opa_is_reachable_only_inside_the_pod(helm: Helm, variant: str) -> None:
    # Unless OPA's metrics are scraped (metrics.opa.enabled; see test_chart_monitoring.py).
    manifests = helm.variant(
        variant, "metrics.opa.enabled=false", api_versions=[SERVICE_MONITOR_API]
    )
    pod = statefulset_pod(manifests)
    opa = container(pod, "opa")
    # OPA's API is a unix socket, on a volume only OPA and vir-sidecar mount: no TCP
    # port another container of the pod could query, or take over after a restart.
    assert flag(opa, "--addr") == "unix:///run/opa/opa.sock"
    assert flag(opa, "--unix-socket-perm") == "600"
    assert flag(container(pod, "vir-sidecar"), "--opa-url") == "unix:///run/opa/opa.sock"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["opa-socket"]["emptyDir"]["medium"] == "Memory"
    mounting = sorted(
        c["name"]
        for c in pod["containers"] + pod["initContainers"]
        if any(m["name"] == "opa-socket" for m in c.get("volumeMounts", []))
    )
    assert mounting == ["opa", "vir-sidecar"]
    for name, read_only in (("opa", False), ("vir-sidecar", True)):
        mounts = [m for m in container(pod, name)["volumeMounts"] if m["name"] == "opa-socket"]
        assert [m["mountPath"] for m in mounts] == ["/run/opa"]
        assert bool(mounts[0].get("readOnly")) is read_only
    assert not pod.get("shareProcessNamespace")
    # Only the read-only diagnostic listener is on the pod IP, for the kubelet.
    assert flag(opa, "--diagnostic-addr") == ":8282"
    assert [(p["name"], p["containerPort"]) for p in opa["ports"]] == [("opa-health", 8282)]
    opa_ports = {8181, 8282, "opa-health"}
    for service in (m for m in manifests if m["kind"] == "Service"):
        for port in service["spec"].get("ports", []):
            assert port["port"] not in opa_ports, service["metadata"]["name"]
            assert port["targetPort"] not in opa_ports, service["metadata"]["name"]
    policy = find(manifests, "NetworkPolicy")
    admitted = [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]]
    assert not opa_ports & set(admitted)


@pytest.mark.parametrize("variant", VARIANTS)
def test_opa_is_a_native_sidecar_probed_on_its_diagnostic_port(helm: Helm, variant: str) -> None:
    pod = statefulset_pod(helm.variant(variant))
    assert pod["initContainers"][0]["name"] == "opa"
    opa = container(pod, "opa")
    assert opa["restartPolicy"] == "Always"
    assert opa["startupProbe"]["httpGet"] == {"path": "/health?bundles", "port": "opa-health"}
    assert opa["readinessProbe"]["httpGet"] == {"path": "/health?bundles", "port": "opa-health"}
    assert opa["livenessProbe"]["httpGet"] == {"path": "/health", "port": "opa-health"}


def test_pdp_without_tls_uses_native_grpc_probes(helm: Helm) -> None:
    sidecar = container(statefulset_pod(helm.variant("pdp")), "vir-sidecar")
    for probe in PROBES:
        assert sidecar[probe]["grpc"] == {"port": 50051}, probe
        assert sidecar[probe]["failureThreshold"] >= 1
    assert (
        sidecar["startupProbe"]["failureThreshold"] * sidecar["startupProbe"]["periodSeconds"] >= 60
    )


@pytest.mark.parametrize("variant", ["sidecar", "tls", "bundle"])
def test_exec_probes_where_native_grpc_probes_cannot_reach(helm: Helm, variant: str) -> None:
    pod = statefulset_pod(helm.variant(variant))
    sidecar = container(pod, "vir-sidecar")
    mounts = {m["mountPath"] for m in sidecar["volumeMounts"]}
    for probe in PROBES:
        command = sidecar[probe]["exec"]["command"]
        assert command[:2] == EXEC_PROBE, probe
        parsed = cli.build_parser().parse_args(command[1:])
        assert parsed.address == "127.0.0.1:50051"
        assert parsed.service == ""
        for path in (parsed.tls_ca, parsed.tls_cert, parsed.tls_key):
            if path is not None:
                assert any(str(path).startswith(m + "/") for m in mounts), path
    assert not [v for v in pod["volumes"] if "probe" in json.dumps(v.get("configMap", {}))]


def test_tls_probes_verify_the_server_and_present_a_client_certificate(helm: Helm) -> None:
    pod = statefulset_pod(helm.variant("tls"))
    sidecar = container(pod, "vir-sidecar")
    command = sidecar["readinessProbe"]["exec"]["command"]
    assert command[command.index("--server-name") + 1] == "vir-sidecar.authz.svc"
    assert "--tls-cert" in command
    assert "--tls-key" in command
    assert flag(sidecar, "--tls-cert") == "/etc/vir-sidecar/tls/tls.crt"
    assert flag(sidecar, "--tls-key") == "/etc/vir-sidecar/tls/tls.key"
    assert flag(sidecar, "--tls-client-ca") == "/etc/vir-sidecar/client-ca/ca.crt"
    assert "--insecure" not in args_of(sidecar)
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["client-ca"]["secret"]["secretName"] == "vir-client-ca"
    assert volumes["probe-client"]["secret"]["secretName"] == "vir-sidecar-probe-client"


def test_pdp_mode_serves_grpc_on_the_pod_ip_behind_the_service(helm: Helm) -> None:
    manifests = helm.variant("pdp")
    sidecar = container(statefulset_pod(manifests), "vir-sidecar")
    assert flag(sidecar, "--listen") == "0.0.0.0:50051"
    assert "--insecure" in args_of(sidecar)
    service = find(manifests, "Service", FULLNAME)
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "grpc": 50051,
        "metrics": 9464,
    }


def test_sidecar_mode_keeps_grpc_inside_the_pod(helm: Helm) -> None:
    manifests = helm.variant("sidecar")
    pod = statefulset_pod(manifests)
    sidecar = container(pod, "vir-sidecar")
    assert flag(sidecar, "--listen") == "127.0.0.1:50051"
    assert "--insecure" not in args_of(sidecar)
    assert all(p["name"] != "grpc" for p in sidecar["ports"])
    for service in (m for m in manifests if m["kind"] == "Service"):
        for port in service["spec"].get("ports", []):
            assert port["name"] != "grpc", service["metadata"]["name"]
            assert port["port"] != 50051, service["metadata"]["name"]
            assert port["targetPort"] not in {"grpc", 50051}
    service = find(manifests, "Service", FULLNAME)
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "http": 8080,
        "metrics": 9464,
    }
    policy = find(manifests, "NetworkPolicy")
    admitted = [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]]
    assert "grpc" not in admitted


def test_sidecar_mode_starts_opa_then_vir_sidecar_then_the_app(helm: Helm) -> None:
    pod = statefulset_pod(helm.variant("sidecar"))
    assert [c["name"] for c in pod["initContainers"]] == ["opa", "vir-sidecar"]
    assert all(c["restartPolicy"] == "Always" for c in pod["initContainers"])
    (app,) = pod["containers"]
    assert app["name"] == "records"
    assert app["image"] == "records-system:4.2.0"
    assert {"name": "VIR_SIDECAR_ADDRESS", "value": "127.0.0.1:50051"} in app["env"]
    assert app["securityContext"]["runAsUser"] == 20001
    assert {m["mountPath"] for m in app["volumeMounts"]} == {POD_TMP}


def test_pdp_mode_runs_vir_sidecar_as_the_main_container(helm: Helm) -> None:
    pod = statefulset_pod(helm.variant("pdp"))
    assert [c["name"] for c in pod["initContainers"]] == ["opa"]
    assert [c["name"] for c in pod["containers"]] == ["vir-sidecar"]
    assert "restartPolicy" not in pod["containers"][0]


def test_grace_periods_let_checks_drain(helm: Helm) -> None:
    pod = statefulset_pod(helm.variant("pdp"))
    grace = float(flag(container(pod, "vir-sidecar"), "--grace-period") or 0)
    assert 0 < grace < pod["terminationGracePeriodSeconds"]


def test_secrets_are_mounted_as_files_the_sidecar_is_pointed_at(helm: Helm) -> None:
    pod = statefulset_pod(helm.variant("tls"))
    sidecar = container(pod, "vir-sidecar")
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["audit-key"]["secret"]["secretName"] == "vir-audit-key"
    assert volumes["audit-key"]["secret"]["items"] == [{"key": "key", "path": "key"}]
    assert flag(sidecar, "--audit-key-file") == "/etc/vir-sidecar/audit-key/key"
    assert volumes["clearance-keys"]["secret"]["secretName"] == "vir-clearance-keys"
    assert flag(sidecar, "--clearance-keys") == "/etc/vir-sidecar/clearance/forces.jwks"
    for volume in volumes.values():
        if "secret" in volume:
            assert volume["secret"]["defaultMode"] == 0o440
    assert all("VIR_AUDIT_KEY" not in str(c.get("env", "")) for c in containers(pod))


def test_network_policy_admits_only_the_listed_peers(helm: Helm) -> None:
    policy = find(helm.variant("pdp"), "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    rules = {rule["ports"][0]["port"]: rule["from"] for rule in policy["spec"]["ingress"]}
    assert set(rules) == {"grpc", "metrics"}
    assert rules["grpc"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "records"}}},
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "vir-sidecar-test",
                    "app.kubernetes.io/instance": "vir",
                }
            }
        },
    ]
    assert rules["metrics"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]


def test_network_policy_never_renders_an_empty_from(helm: Helm) -> None:
    # An ingress rule without "from" admits every source.
    policy = find(
        helm.variant(
            "pdp",
            "tests.enabled=false",
            values=[{"networkPolicy": {"grpcFrom": []}}],
        ),
        "NetworkPolicy",
    )
    for rule in policy["spec"]["ingress"]:
        assert rule.get("from"), rule
    assert [rule["ports"][0]["port"] for rule in policy["spec"]["ingress"]] == ["metrics"]


def test_helm_test_pod_checks_health_through_the_service(helm: Helm) -> None:
    manifests = helm.variant("tls")
    test_pod = find(manifests, "Pod")
    assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (probe,) = test_pod["spec"]["containers"]
    command = probe["command"]
    assert command[:2] == EXEC_PROBE
    parsed = cli.build_parser().parse_args(command[1:])
    assert parsed.address == f"{FULLNAME}.{NAMESPACE}.svc:50051"
    assert parsed.server_name == "vir-sidecar.authz.svc"
    assert str(parsed.tls_ca) == "/etc/vir-sidecar/tls/ca.crt"
    assert (str(parsed.tls_cert), str(parsed.tls_key)) == (
        "/etc/vir-sidecar/probe-client/tls.crt",
        "/etc/vir-sidecar/probe-client/tls.key",
    )
    mounts = {m["mountPath"] for m in probe["volumeMounts"]}
    assert {"/etc/vir-sidecar/tls", "/etc/vir-sidecar/probe-client"} <= mounts
    # It must not be selected by the release's Service, PDB or NetworkPolicy.
    selector = find(manifests, "StatefulSet")["spec"]["selector"]["matchLabels"]
    assert not selector.items() <= test_pod["metadata"]["labels"].items()


def test_no_helm_test_pod_in_sidecar_mode(helm: Helm) -> None:
    assert all(m["kind"] != "Pod" for m in helm.variant("sidecar"))


def _sidecar(manifests: list[Manifest]) -> Manifest:
    return container(statefulset_pod(manifests), "vir-sidecar")


def test_bundle_mode_leaves_the_revision_to_the_bundle(helm: Helm) -> None:
    manifests = helm.variant("bundle")
    sidecar = _sidecar(manifests)
    # The revision comes from OPA's provenance, not from the chart.
    assert flag(sidecar, "--policy-revision") is None
    assert flag(sidecar, "--policy-dir") is None
    assert all(m["metadata"]["name"] != f"{FULLNAME}-policies" for m in manifests)


def test_autoscaler_owns_the_replica_count(helm: Helm) -> None:
    manifests = helm.variant("bundle")
    assert "replicas" not in find(manifests, "StatefulSet")["spec"]
    hpa = find(manifests, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": FULLNAME,
    }
    assert find(helm.variant("pdp"), "StatefulSet")["spec"]["replicas"] == 2


@pytest.mark.parametrize("variant", VARIANTS)
def test_vir_sidecar_accepts_the_rendered_arguments(helm: Helm, variant: str) -> None:
    """The real CLI parses every flag the chart passes and finds the settings consistent."""
    args = args_of(container(statefulset_pod(helm.variant(variant)), "vir-sidecar"))
    parsed = cli.build_parser().parse_args(args)
    assert parsed.command == "serve"
    settings = config.resolve(parsed, env={})
    assert settings.opa_url == "unix:///run/opa/opa.sock"
    assert settings.audit_fsync is True
    assert settings.clearance_keys is not None
    assert settings.tls == (variant in {"tls", "bundle", "production"})


def test_plaintext_pdp_needs_the_insecure_flag_the_chart_passes(helm: Helm) -> None:
    args = args_of(container(statefulset_pod(helm.variant("pdp")), "vir-sidecar"))
    without = [a for a in args if a != "--insecure"]
    with pytest.raises(config.ConfigError, match="not a loopback address"):
        config.resolve(cli.build_parser().parse_args(without), env={})


def test_ipv6_listen_address_is_bracketed(helm: Helm) -> None:
    sidecar = container(
        statefulset_pod(helm.variant("tls", values=[{"listenAddress": "::"}])), "vir-sidecar"
    )
    assert flag(sidecar, "--listen") == "[::]:50051"
    assert flag(sidecar, "--metrics-listen") == "[::]:9464"
    config.resolve(cli.build_parser().parse_args(args_of(sidecar)), env={})
