"""Prometheus metrics of the real sidecar move by exactly the checks sent."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from integration_tests.processes import Sidecar, example_request
from sidecar.api import pb


def counts(sidecar: Sidecar) -> dict[str, float]:
    return {
        "allow": sidecar.metric("vir_decisions_total", outcome="allow", category="counselling"),
        "deny": sidecar.metric("vir_decisions_total", outcome="deny", category="counselling"),
        "invalid": sidecar.metric("vir_decisions_total", outcome="invalid", category="unspecified"),
        "clearance_missing": sidecar.metric("vir_decision_reasons_total", code="clearance_missing"),
        "checks": sidecar.metric("vir_check_duration_seconds_count"),
        "opa": sidecar.metric("vir_opa_request_duration_seconds_count"),
        "audit": sidecar.metric("vir_audit_write_duration_seconds_count"),
        "records": sidecar.metric("vir_audit_records_total"),
    }


def test_counters_move_by_exactly_the_checks_sent(sidecar: Sidecar) -> None:
    before = counts(sidecar)
    for _ in range(3):
        sidecar.check(example_request())
    for _ in range(2):
        sidecar.check(example_request("counselling-denied"))
    invalid = example_request()
    invalid.record.category = pb.RECORD_CATEGORY_UNSPECIFIED
    with pytest.raises(grpc.RpcError):
        sidecar.check(invalid)
    after = counts(sidecar)
    delta = {key: after[key] - before[key] for key in before}
    assert delta == {
        "allow": 3,
        "deny": 2,
        "invalid": 1,
        "clearance_missing": 2,
        "checks": 6,
        "opa": 5,
        "audit": 6,
        "records": 6,
    }
    assert 1 <= sidecar.metric("vir_audit_fsyncs_total") <= after["records"]
    assert sidecar.metric("vir_checks_in_flight") == 0
    assert sidecar.metric("vir_build_info", policy_revision=sidecar.check(
        example_request()).policy_revision) == 1  # fmt: skip


def test_exposition_parses_and_follows_prometheus_naming(sidecar: Sidecar) -> None:
    sidecar.check(example_request())
    sidecar.check(example_request("counselling-denied"))
    families = {f.name: f for f in text_string_to_metric_families(sidecar.metrics_text())}
    expected_types = {
        "vir_decisions": "counter",
        "vir_decision_reasons": "counter",
        "vir_opa_errors": "counter",
        "vir_audit_write_failures": "counter",
        "vir_check_duration_seconds": "histogram",
        "vir_opa_request_duration_seconds": "histogram",
        "vir_audit_write_duration_seconds": "histogram",
        "vir_checks_in_flight": "gauge",
        "vir_audit_records": "counter",
        "vir_audit_fsyncs": "counter",
        "vir_build_info": "gauge",  # an info metric is exposed as a gauge of 1
    }
    for name, kind in expected_types.items():
        assert families[name].type == kind, name
        assert families[name].documentation, name
    buckets = [
        float(sample.labels["le"])
        for sample in families["vir_check_duration_seconds"].samples
        if sample.name.endswith("_bucket")
    ]
    assert buckets[0] == 0.0001
    assert buckets[-2:] == [2.5, float("inf")]
    assert all(s.name.endswith("_total") for s in families["vir_decisions"].samples)


def test_serving_gauge_follows_health(sidecar: Sidecar) -> None:
    # The not-serving alert reads this gauge; a sidecar that answers checks must show 1.
    sidecar.check(example_request())
    assert sidecar.metric("vir_serving") == 1
