"""The Grafana dashboard and the PrometheusRule: they render, are well formed, read only
metrics the sidecar exports, and every alert has a summary and a runbook section."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from chartlib import KUBE_VERSIONS, ROOT, Helm, Manifest, find, kinds
from promql import SCRAPE_METRICS, exported_names, metric_names

from sidecar.metrics import create_metrics

RULE_API = "monitoring.coreos.com/v1/PrometheusRule"
ALERTS = {
    "VirSidecarNotServing",
    "VirOpaErrors",
    "VirAuditWriteFailure",
    "VirCheckLatencyHigh",
    "VirDenyRateUnusual",
}
DURATION = "^[0-9]+(ms|s|m|h|d|w|y)$"
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
# The part of the Prometheus Operator's PrometheusRule CRD schema this chart uses.
RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["groups"],
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "rules"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": {"type": "string", "pattern": DURATION},
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["alert", "expr"],
                                    "properties": {
                                        "alert": {"type": "string", "minLength": 1},
                                        "expr": {"type": "string", "minLength": 1},
                                        "for": {"type": "string", "pattern": DURATION},
                                        "labels": STRING_MAP,
                                        "annotations": STRING_MAP,
                                    },
                                },
                            },
                        },
                    },
                }
            },
        },
    },
}


def exported() -> set[str]:
    class NoWrites:
        records_written = 0
        fsyncs = 0

    metrics = create_metrics()
    metrics.watch_audit(NoWrites())
    return exported_names(metrics.registry) | SCRAPE_METRICS


def rule(helm: Helm, *settings: str, values: Any = ()) -> Manifest:
    return find(
        helm.variant(
            "pdp", "prometheusRule.enabled=true", *settings, api_versions=[RULE_API], values=values
        ),
        "PrometheusRule",
    )


def alerts(manifest: Manifest) -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for group in manifest["spec"]["groups"] for r in group["rules"]}


def dashboard(helm: Helm, *settings: str) -> tuple[Manifest, dict[str, Any]]:
    config_map = find(
        helm.variant("pdp", "grafanaDashboard.enabled=true", *settings),
        "ConfigMap",
        "vir-vir-sidecar-dashboard",
    )
    document: dict[str, Any] = json.loads(config_map["data"]["vir-sidecar.json"])
    return config_map, document


def dashboard_queries(document: dict[str, Any]) -> list[str]:
    queries = [t["expr"] for panel in document["panels"] for t in panel["targets"]]
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            query = re.fullmatch(r"label_values\((.*), *\w+\)", variable["query"]["query"])
            assert query, variable
            queries.append(query.group(1))
    return queries


def test_neither_is_rendered_by_default(helm: Helm) -> None:
    manifests = helm.variant("pdp", api_versions=[RULE_API])
    assert "PrometheusRule" not in kinds(manifests)
    assert not [m for m in manifests if m["metadata"]["name"].endswith("-dashboard")]


def test_rule_renders_without_api_discovery_and_auto_detects_on_request(helm: Helm) -> None:
    assert "PrometheusRule" in kinds(helm.variant("pdp", "prometheusRule.enabled=true"))
    assert "PrometheusRule" not in kinds(helm.variant("pdp", "prometheusRule.enabled=auto"))
    assert "PrometheusRule" in kinds(
        helm.variant("pdp", "prometheusRule.enabled=auto", api_versions=[RULE_API])
    )


def test_both_carry_the_common_annotations(helm: Helm) -> None:
    manifests = helm.variant(
        "pdp",
        "prometheusRule.enabled=true",
        "grafanaDashboard.enabled=true",
        "commonAnnotations.team=authz",
    )
    objects = [m for m in manifests if m["kind"] == "PrometheusRule"] + [
        m for m in manifests if m["metadata"]["name"].endswith("-dashboard")
    ]
    assert len(objects) == 2
    for manifest in objects:
        assert manifest["metadata"]["annotations"]["team"] == "authz"


def test_rule_matches_the_prometheus_rule_schema(helm: Helm) -> None:
    manifest = rule(helm, "prometheusRule.labels.release=kube-prometheus-stack")
    jsonschema.validate(manifest, RULE_SCHEMA)
    assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert manifest["metadata"]["namespace"] == "authz"
    assert set(alerts(manifest)) == ALERTS


def test_every_alert_has_a_summary_severity_and_runbook_section(helm: Helm) -> None:
    base = "https://docs.example/vir/metrics.md"
    docs = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    sections = {
        line.lstrip("#").strip().lower() for line in docs.splitlines() if line.startswith("### ")
    }
    for name, item in alerts(rule(helm, f"prometheusRule.runbookBaseUrl={base}")).items():
        annotations = item["annotations"]
        assert annotations["summary"]
        assert item["labels"]["severity"] in {"critical", "warning", "info"}
        anchor = name.lower()
        assert annotations["runbook_url"] == f"{base}#{anchor}"
        assert annotations["runbook"] == f"vir-sidecar docs/metrics.md#{anchor}"
        assert anchor in sections, f"docs/metrics.md has no section ### {name}"


def test_runbook_url_only_when_a_base_is_given(helm: Helm) -> None:
    for item in alerts(rule(helm)).values():
        assert "runbook_url" not in item["annotations"]


def test_severities(helm: Helm) -> None:
    severity = {name: item["labels"]["severity"] for name, item in alerts(rule(helm)).items()}
    assert severity == {
        "VirSidecarNotServing": "critical",
        "VirAuditWriteFailure": "critical",
        "VirOpaErrors": "warning",
        "VirCheckLatencyHigh": "warning",
        "VirDenyRateUnusual": "info",
    }


def test_thresholds_come_from_values(helm: Helm) -> None:
    settings = {"checkLatencyP99Seconds": 0.5, "checkLatencyFor": "15m", "denyRateFactor": 4}
    rules = alerts(
        rule(
            helm,
            "prometheusRule.denyRateMinChecks=100",
            values=[{"prometheusRule": settings}],
        )
    )
    latency = rules["VirCheckLatencyHigh"]
    assert re.search(r"\)\s*> 0\.5$", latency["expr"])
    assert latency["for"] == "15m"
    deny = rules["VirDenyRateUnusual"]["expr"]
    assert ") > 4" in deny
    assert ") < 0.25" in deny
    assert deny.rstrip().endswith("< 100")
    assert rules["VirOpaErrors"]["for"] == "5m"


def test_alerts_select_this_release(helm: Helm) -> None:
    for item in alerts(rule(helm)).values():
        for matchers in re.findall(r"\{([^{}]*)\}", item["expr"]):
            assert 'job="vir-vir-sidecar"' in matchers
            assert 'namespace="authz"' in matchers


def test_every_promql_expression_reads_only_exported_metrics(helm: Helm) -> None:
    known = exported()
    expressions = [item["expr"] for item in alerts(rule(helm)).values()]
    expressions += dashboard_queries(dashboard(helm)[1])
    assert len(expressions) > 10
    for expr in expressions:
        names = metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        assert names <= known, f"{sorted(names - known)} not exported by the sidecar: {expr!r}"


def test_metric_name_reader_sees_through_promql() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (namespace, le) (rate(x_bucket{job="a b", '
        'le!="1"}[5m] offset 1h))) > 0.25 or on (pod) up{job="$job"} unless y_total'
    )
    assert metric_names(expr) == {"x_bucket", "up", "y_total"}


@pytest.mark.parametrize("kube_version", [KUBE_VERSIONS[0], KUBE_VERSIONS[-1]])
def test_dashboard_config_map_is_valid_and_labelled_for_the_grafana_sidecar(
    helm: Helm, kube_version: str
) -> None:
    config_map, document = dashboard(helm)
    kubernetes_validate.validate(config_map, kube_version, strict=True)
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert document["uid"] == "vir-sidecar"
    assert "<script" not in json.dumps(document)


def test_dashboard_label_namespace_and_folder_are_configurable(helm: Helm) -> None:
    config_map, _ = dashboard(
        helm,
        "grafanaDashboard.label=dashboards",
        "grafanaDashboard.labelValue=vir",
        "grafanaDashboard.namespace=monitoring",
        "grafanaDashboard.annotations.grafana_folder=Authorisation",
    )
    assert config_map["metadata"]["labels"]["dashboards"] == "vir"
    assert "grafana_dashboard" not in config_map["metadata"]["labels"]
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "Authorisation"}


def test_dashboard_has_the_panels_platform_teams_expect(helm: Helm) -> None:
    _, document = dashboard(helm)
    reads = {
        panel["title"]: set().union(*(metric_names(t["expr"]) for t in panel["targets"]))
        for panel in document["panels"]
    }
    wanted = {
        "Decisions by outcome": {"vir_decisions_total"},
        "Deny reasons": {"vir_decision_reasons_total"},
        "Check latency": {"vir_check_duration_seconds_bucket"},
        "OPA latency": {"vir_opa_request_duration_seconds_bucket"},
        "OPA errors by kind": {"vir_opa_errors_total"},
        "Audit write latency": {"vir_audit_write_duration_seconds_bucket"},
        "Audit write failures": {"vir_audit_write_failures_total"},
        "Replicas serving": {"vir_serving", "up"},
    }
    for title, metrics in wanted.items():
        assert reads[title] == metrics, title
    exprs = {t["expr"] for panel in document["panels"] for t in panel["targets"]}
    for metric in ("vir_check_duration_seconds", "vir_opa_request_duration_seconds"):
        for quantile in ("0.5", "0.99"):
            assert any(f"histogram_quantile({quantile}" in e and metric in e for e in exprs)


def test_latency_bound_may_be_given_with_set(helm: Helm) -> None:
    latency = alerts(rule(helm, "prometheusRule.checkLatencyP99Seconds=0.1"))["VirCheckLatencyHigh"]
    assert re.search(r"\)\s*> 0\.1$", latency["expr"])


@pytest.mark.parametrize(
    "setting",
    [
        "prometheusRule.checkLatencyP99Seconds=0",
        "prometheusRule.checkLatencyP99Seconds=0.0",
        "prometheusRule.checkLatencyP99Seconds=fast",
        "prometheusRule.denyRateFactor=1",
        "prometheusRule.checkLatencyFor=ten",
        "prometheusRule.runbookBaseUrl=docs/metrics.md",
        "grafanaDashboard.labelValue=not ok",
        "prometheusRule.unknown=1",
    ],
)
def test_schema_refuses_bad_values(helm: Helm, setting: str) -> None:
    with pytest.raises(Exception, match="schema"):
        helm.variant("pdp", setting)
