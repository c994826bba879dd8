"""The extension points: scheduling, environment, volumes, common metadata and security
contexts that cannot be weakened below the restricted Pod Security Standard."""

from __future__ import annotations

from typing import Any

import pytest
from chartlib import (
    CUSTOM_KINDS,
    FULLNAME,
    SERVICE_MONITOR_API,
    Helm,
    HelmError,
    Manifest,
    container,
    containers,
    find,
    pod_specs,
    statefulset_pod,
    validate_manifest,
)

SELECTOR = {"app.kubernetes.io/name": "vir-sidecar", "app.kubernetes.io/instance": "vir"}
RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
}
NODE_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["authz"]}]}
            ]
        }
    }
}
SECRET_VOLUME = {"name": "extra-ca", "secret": {"secretName": "proxy-ca"}}
CA_MOUNT = {"name": "extra-ca", "mountPath": "/etc/proxy-ca", "readOnly": True}


def _render(helm: Helm, variant: str, values: dict[str, Any], **kwargs: Any) -> list[Manifest]:
    """Render a variant with `values`, and check every object against the Kubernetes schemas."""
    manifests = helm.variant(variant, values=[values], **kwargs)
    for manifest in manifests:
        if manifest["kind"] not in CUSTOM_KINDS:
            validate_manifest(manifest, "1.33")
    return manifests


def test_pods_spread_over_zones_then_nodes_by_default(helm: Helm) -> None:
    pod = statefulset_pod(_render(helm, "pdp", {}))
    spread = pod["topologySpreadConstraints"]
    assert [(c["topologyKey"], c["maxSkew"], c["whenUnsatisfiable"]) for c in spread] == [
        ("topology.kubernetes.io/zone", 1, "ScheduleAnyway"),
        ("kubernetes.io/hostname", 1, "ScheduleAnyway"),
    ]
    assert all(c["labelSelector"] == {"matchLabels": SELECTOR} for c in spread)


def test_scheduling_values_reach_the_pod(helm: Helm) -> None:
    values = {
        "affinity": NODE_AFFINITY,
        "nodeSelector": {"pool": "authz"},
        "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
        "priorityClassName": "business-critical",
        "topologySpreadConstraints": [
            {
                "maxSkew": 2,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
            }
        ],
    }
    pod = statefulset_pod(_render(helm, "pdp", values))
    assert pod["affinity"] == NODE_AFFINITY
    assert pod["nodeSelector"] == {"pool": "authz"}
    assert pod["tolerations"] == values["tolerations"]
    assert pod["priorityClassName"] == "business-critical"
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["whenUnsatisfiable"] == "DoNotSchedule"
    assert spread["labelSelector"] == {"matchLabels": SELECTOR}


def test_no_affinity_unless_given(helm: Helm) -> None:
    assert "affinity" not in statefulset_pod(helm.variant("pdp"))


def test_affinity_takes_only_its_three_kinds(helm: Helm) -> None:
    with pytest.raises(HelmError, match="additional properties"):
        helm.variant("pdp", values=[{"affinity": {"nodeAfinity": {}}}])


def test_extra_env_reaches_the_sidecar_only(helm: Helm) -> None:
    env = [
        {"name": "HTTPS_PROXY", "value": "http://proxy.example:3128"},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
    ]
    env_from = [{"configMapRef": {"name": "proxy-settings"}}]
    values = {"sidecar": {"extraEnv": env, "extraEnvFrom": env_from}}
    pod = statefulset_pod(_render(helm, "pdp", values))
    sidecar = container(pod, "vir-sidecar")
    assert sidecar["env"] == env
    assert sidecar["envFrom"] == env_from
    opa = container(pod, "opa")
    assert opa["env"] == [{"name": "GOGC", "value": "400"}]  # opa.gogc, nothing of extraEnv
    assert "envFrom" not in opa
    assert "env" not in container(statefulset_pod(helm.variant("pdp")), "vir-sidecar")


def test_extra_env_may_not_set_vir_sidecar_settings(helm: Helm) -> None:
    values = {"sidecar": {"extraEnv": [{"name": "VIR_DEV", "value": "1"}]}}
    with pytest.raises(HelmError, match="VIR_DEV is a vir-sidecar setting"):
        helm.variant("pdp", values=[values])


def test_app_env_sits_beside_the_sidecar_address(helm: Helm) -> None:
    app = container(statefulset_pod(helm.variant("sidecar")), "records")
    names = [e["name"] for e in app["env"]]
    assert names == ["VIR_SIDECAR_ADDRESS", "RECORDS_LOG_LEVEL", "RECORDS_DB_PASSWORD"]
    assert app["envFrom"] == [{"configMapRef": {"name": "records-config"}}]


def test_extra_volumes_mount_into_the_sidecar_and_the_app(helm: Helm) -> None:
    values = {
        "extraVolumes": [SECRET_VOLUME, {"name": "scratch", "emptyDir": {"sizeLimit": "64Mi"}}],
        "sidecar": {"extraVolumeMounts": [CA_MOUNT]},
        "app": {"extraVolumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]},
    }
    pod = statefulset_pod(_render(helm, "sidecar", values))
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["extra-ca"] == SECRET_VOLUME
    assert volumes["scratch"]["emptyDir"] == {"sizeLimit": "64Mi"}
    assert CA_MOUNT in container(pod, "vir-sidecar")["volumeMounts"]
    assert {"name": "scratch", "mountPath": "/scratch"} in container(pod, "records")["volumeMounts"]
    assert all(m["name"] != "extra-ca" for m in container(pod, "opa").get("volumeMounts", []))


@pytest.mark.parametrize(
    "volume",
    [
        {"name": "host", "hostPath": {"path": "/var/run"}},
        {"name": "two", "secret": {"secretName": "a"}, "configMap": {"name": "b"}},
        {"name": "none"},
    ],
)
def test_extra_volumes_take_one_source_the_restricted_standard_admits(
    helm: Helm, volume: dict[str, Any]
) -> None:
    with pytest.raises(HelmError, match="extraVolumes"):
        helm.variant("pdp", values=[{"extraVolumes": [volume]}])


def test_common_labels_and_annotations_are_on_every_object(helm: Helm) -> None:
    values = {
        "commonLabels": {"cost-centre": "criminal-justice"},
        "commonAnnotations": {"owner": "platform-team"},
        "service": {"annotations": {"owner": "records-team"}},
        "metrics": {"serviceMonitor": {"enabled": True}},
        "tls": {"certManager": {"enabled": True, "issuerRef": {"name": "ca"}}},
    }
    manifests = _render(helm, "tls", values)
    assert {"Certificate", "ServiceMonitor", "Pod", "StatefulSet"} <= {m["kind"] for m in manifests}
    for manifest in manifests:
        metadata = manifest["metadata"]
        where = f"{manifest['kind']}/{metadata['name']}"
        assert metadata["labels"]["cost-centre"] == "criminal-justice", where
        expected = "records-team" if where == f"Service/{FULLNAME}" else "platform-team"
        assert metadata["annotations"]["owner"] == expected, where
    statefulset = find(manifests, "StatefulSet")
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["cost-centre"] == "criminal-justice"
    assert "cost-centre" not in statefulset["spec"]["selector"]["matchLabels"]
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert "cost-centre" not in claim["metadata"]["labels"]
    test_pod = find(manifests, "Pod")
    assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    certificate = find(manifests, "Certificate")
    assert certificate["spec"]["secretTemplate"]["labels"]["cost-centre"] == "criminal-justice"


def test_no_annotations_rendered_when_none_are_given(helm: Helm) -> None:
    for manifest in helm.variant("pdp"):
        if manifest["kind"] != "Pod":
            assert "annotations" not in manifest["metadata"], manifest["kind"]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"app.kubernetes.io/name": "other"}, "set by the chart"),
        ({"team": "a"}, "commonLabels and podLabels both set team"),
    ],
)
def test_common_labels_cannot_break_the_selector(
    helm: Helm, labels: dict[str, str], message: str
) -> None:
    with pytest.raises(HelmError, match=message):
        helm.variant("pdp", values=[{"commonLabels": labels, "podLabels": {"team": "b"}}])


LOCALHOST = {"type": "Localhost", "localhostProfile": "profiles/vir.json"}
SELINUX = {"type": "container_t", "level": "s0:c123,c456"}


def test_security_profiles_can_be_tightened(helm: Helm) -> None:
    values = {
        "podSecurityContext": {"seccompProfile": LOCALHOST, "supplementalGroups": [5000]},
        "containerSecurityContext": {"seccompProfile": LOCALHOST, "seLinuxOptions": SELINUX},
        "app": {"securityContext": {"seccompProfile": LOCALHOST, "seLinuxOptions": SELINUX}},
    }
    pod = statefulset_pod(_render(helm, "sidecar", values))
    assert pod["securityContext"]["seccompProfile"] == LOCALHOST
    assert pod["securityContext"]["supplementalGroups"] == [5000]
    assert pod["securityContext"]["runAsNonRoot"] is True
    for c in containers(pod):
        sc = c["securityContext"]
        assert sc["seccompProfile"] == LOCALHOST, c["name"]
        assert sc["seLinuxOptions"] == SELINUX, c["name"]
        assert RESTRICTED_CONTAINER.items() <= sc.items(), c["name"]


def test_restricted_values_may_be_restated(helm: Helm) -> None:
    """Security contexts copied from elsewhere that restate the restricted values are accepted."""
    restated = {**RESTRICTED_CONTAINER, "seccompProfile": {"type": "RuntimeDefault"}}
    pod = statefulset_pod(helm.variant("pdp", values=[{"containerSecurityContext": restated}]))
    assert RESTRICTED_CONTAINER.items() <= container(pod, "vir-sidecar")["securityContext"].items()


# Attempts to weaken a security context, and what the chart does with them when the schema
# is skipped: None when it renders the restricted context anyway, else the failure message.
WEAKENING: list[tuple[dict[str, Any], str | None]] = [
    ({"containerSecurityContext": {"allowPrivilegeEscalation": True}}, None),
    ({"containerSecurityContext": {"privileged": True}}, None),
    ({"containerSecurityContext": {"runAsNonRoot": False}}, None),
    ({"containerSecurityContext": {"readOnlyRootFilesystem": False}}, None),
    ({"containerSecurityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}, None),
    ({"containerSecurityContext": {"capabilities": {"drop": []}}}, None),
    ({"containerSecurityContext": {"seccompProfile": {"type": "Unconfined"}}}, None),
    ({"containerSecurityContext": {"seLinuxOptions": {"user": "system_u"}}}, None),
    ({"containerSecurityContext": {"seLinuxOptions": {"type": "spc_t"}}}, "type spc_t is not"),
    ({"podSecurityContext": {"seccompProfile": {"type": "Unconfined"}}}, None),
    ({"podSecurityContext": {"runAsNonRoot": False}}, None),
    ({"podSecurityContext": {"runAsUser": 0}}, "runAsUser must not be 0"),
    ({"app": {"securityContext": {"allowPrivilegeEscalation": True}}}, None),
    ({"app": {"securityContext": {"seccompProfile": {"type": "Unconfined"}}}}, None),
]


@pytest.mark.parametrize(("weakening", "failure"), WEAKENING)
def test_the_schema_refuses_a_weaker_security_context(
    helm: Helm, weakening: dict[str, Any], failure: str | None
) -> None:
    with pytest.raises(HelmError, match="values don't meet the specifications of the schema"):
        helm.variant("sidecar", values=[weakening])


@pytest.mark.parametrize(("weakening", "failure"), WEAKENING)
def test_without_the_schema_the_chart_still_renders_restricted_contexts(
    helm: Helm, weakening: dict[str, Any], failure: str | None
) -> None:
    """Defence in depth: with --skip-schema-validation the restricted fields are re-asserted,
    or rendering fails."""
    if failure is not None:
        with pytest.raises(HelmError, match=failure):
            helm.variant("sidecar", values=[weakening], skip_schema_validation=True)
        return
    manifests = helm.variant("sidecar", values=[weakening], skip_schema_validation=True)
    for name, pod in pod_specs(manifests):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for c in containers(pod):
            sc = c["securityContext"]
            assert RESTRICTED_CONTAINER.items() <= sc.items(), f"{name}/{c['name']}"
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, f"{name}/{c['name']}"
            assert "user" not in sc.get("seLinuxOptions", {}), f"{name}/{c['name']}"


def test_every_rendered_pod_keeps_the_restricted_standard_with_all_extensions(
    helm: Helm,
) -> None:
    """The production example, which sets every scheduling and metadata extension."""
    manifests = helm.variant("production", api_versions=[SERVICE_MONITOR_API])
    for name, pod in pod_specs(manifests):
        for c in containers(pod):
            assert RESTRICTED_CONTAINER.items() <= c["securityContext"].items(), name


def test_production_example_pins_every_image_by_digest(helm: Helm) -> None:
    for name, pod in pod_specs(helm.variant("production")):
        for c in containers(pod):
            assert "@sha256:" in c["image"], f"{name}/{c['name']}: {c['image']}"
