"""Monitoring that fits kube-prometheus: a ServiceMonitor that `helm template` keeps, with
relabelings and its own namespace, OPA's own metrics when asked, and a NetworkPolicy that
admits whatever is scraped."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest
from chartlib import (
    FULLNAME,
    NAMESPACE,
    SERVICE_MONITOR_API,
    Helm,
    HelmError,
    Manifest,
    args_of,
    container,
    find,
    kinds,
    statefulset_pod,
)
from podlib import opa_mounts, run_opa, wait_for_status

OPA_DIAGNOSTIC_PORT = 8282
RELABELING = {
    "sourceLabels": ["__meta_kubernetes_pod_node_name"],
    "targetLabel": "node",
    "action": "replace",
}
DROP_GC = {"sourceLabels": ["__name__"], "regex": "go_gc_.*", "action": "drop"}


def _monitor(helm: Helm, *settings: str, **kwargs: Any) -> list[Manifest]:
    return helm.variant("pdp", *settings, **kwargs)


@pytest.mark.parametrize(
    ("enabled", "api_served", "rendered"),
    [
        ("false", True, False),
        ("true", False, True),
        ("true", True, True),
        ("auto", False, False),
        ("auto", True, True),
    ],
)
def test_service_monitor_renders_when_enabled_and_detects_only_when_auto(
    helm: Helm, enabled: str, api_served: bool, rendered: bool
) -> None:
    api_versions = [SERVICE_MONITOR_API] if api_served else []
    manifests = _monitor(
        helm, f"metrics.serviceMonitor.enabled={enabled}", api_versions=api_versions
    )
    assert ("ServiceMonitor" in kinds(manifests)) is rendered


def test_no_service_monitor_by_default(helm: Helm) -> None:
    assert "ServiceMonitor" not in kinds(_monitor(helm, api_versions=[SERVICE_MONITOR_API]))


def test_service_monitor_enabled_takes_only_true_false_or_auto(helm: Helm) -> None:
    with pytest.raises(HelmError, match="enabled"):
        _monitor(helm, "metrics.serviceMonitor.enabled=sometimes")


def test_service_monitor_scrapes_the_metrics_port_of_the_release(helm: Helm) -> None:
    manifests = _monitor(
        helm, "metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prom"
    )
    monitor = find(manifests, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["metadata"]["namespace"] == NAMESPACE
    spec: dict[str, Any] = monitor["spec"]
    assert set(spec) == {"selector", "namespaceSelector", "endpoints"}
    selector = spec["selector"]["matchLabels"]
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
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
    assert [s["metadata"]["name"] for s in scraped] == [FULLNAME]
    assert (
        selector.items()
        <= find(manifests, "StatefulSet")["spec"]["template"]["metadata"]["labels"].items()
    )


def test_service_monitor_in_the_prometheus_namespace_with_relabelings(helm: Helm) -> None:
    values = {
        "metrics": {
            "serviceMonitor": {
                "enabled": True,
                "namespace": "monitoring",
                "relabelings": [RELABELING],
                "metricRelabelings": [DROP_GC],
            }
        }
    }
    monitor = find(helm.variant("pdp", values=[values]), "ServiceMonitor")
    assert monitor["metadata"]["namespace"] == "monitoring"
    # It still scrapes the release's namespace.
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["relabelings"] == [RELABELING]
    assert endpoint["metricRelabelings"] == [DROP_GC]


def test_relabelings_are_checked_by_the_schema(helm: Helm) -> None:
    bad = {"metrics": {"serviceMonitor": {"relabelings": [{"action": "explode"}]}}}
    with pytest.raises(HelmError, match="action"):
        helm.variant("pdp", values=[bad])
    typo = {"metrics": {"serviceMonitor": {"metricRelabelings": [{"sourceLabel": ["a"]}]}}}
    with pytest.raises(HelmError, match="additional properties"):
        helm.variant("pdp", values=[typo])


def _admitted_metrics_ports(manifests: list[Manifest]) -> set[Any]:
    policy = find(manifests, "NetworkPolicy")
    return {
        port["port"]
        for rule in policy["spec"]["ingress"]
        if rule.get("from")
        == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
        for port in rule["ports"]
    }


def test_opa_metrics_are_scraped_only_when_asked(helm: Helm) -> None:
    off = _monitor(helm, "metrics.serviceMonitor.enabled=true")
    assert [e["port"] for e in find(off, "ServiceMonitor")["spec"]["endpoints"]] == ["metrics"]
    assert _admitted_metrics_ports(off) == {"metrics"}

    on = _monitor(helm, "metrics.serviceMonitor.enabled=true", "metrics.opa.enabled=true")
    endpoints = find(on, "ServiceMonitor")["spec"]["endpoints"]
    assert [e["port"] for e in endpoints] == ["metrics", "opa-metrics"]
    service = find(on, "Service", FULLNAME)
    (opa_port,) = [p for p in service["spec"]["ports"] if p["name"] == "opa-metrics"]
    assert opa_port["port"] == opa_port["targetPort"] == OPA_DIAGNOSTIC_PORT
    opa = container(statefulset_pod(on), "opa")
    assert OPA_DIAGNOSTIC_PORT in [p["containerPort"] for p in opa["ports"]]
    # The NetworkPolicy admits the scrapers, and only them, to what is scraped.
    assert _admitted_metrics_ports(on) == {"metrics", OPA_DIAGNOSTIC_PORT}
    # The headless Service carries no metrics, so each pod is scraped once.
    headless = find(on, "Service", f"{FULLNAME}-headless")
    assert all("metrics" not in p["name"] for p in headless["spec"].get("ports", []))


def test_opa_serves_prometheus_metrics_on_the_scraped_port(
    helm: Helm, opa: Path, tmp_path: Path
) -> None:
    """The real OPA, with the rendered arguments, answers the scrape of port opa-metrics."""
    manifests = _monitor(helm, "metrics.opa.enabled=true")
    args = args_of(container(statefulset_pod(manifests), "opa"))
    with run_opa(opa, args, opa_mounts(manifests, tmp_path)) as (_api, diagnostic):
        assert wait_for_status(f"{diagnostic}/health", 200, 20), "OPA never became healthy"
        with urllib.request.urlopen(f"{diagnostic}/metrics", timeout=5) as page:  # noqa: S310
            assert page.headers["Content-Type"].startswith("text/plain")
            body = page.read().decode()
    assert "# TYPE http_request_duration_seconds histogram" in body
    assert "go_goroutines" in body
