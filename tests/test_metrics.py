"""Labelled counters keep their bound children, and still count and reset as Prometheus' own."""

import pytest
from prometheus_client import CollectorRegistry

from sidecar.metrics import create_metrics


def _value(registry: CollectorRegistry, name: str, labels: dict[str, str]) -> float | None:
    return registry.get_sample_value(name, labels)


def test_the_same_labels_give_the_same_child_and_counts_add_up() -> None:
    metrics = create_metrics()
    decisions = metrics.decisions

    first = decisions.labels(outcome="allow", category="counselling")
    assert decisions.labels(outcome="allow", category="counselling") is first
    assert decisions.labels(category="counselling", outcome="allow") is first
    assert decisions.labels("allow", "counselling") is first
    for _ in range(3):
        decisions.labels(outcome="allow", category="counselling").inc()
    decisions.labels(outcome="deny", category="counselling").inc()

    labels = {"outcome": "allow", "category": "counselling"}
    assert _value(metrics.registry, "vir_decisions_total", labels) == 3
    assert _value(metrics.registry, "vir_decisions_total", labels | {"outcome": "deny"}) == 1


def test_wrong_labels_are_still_refused() -> None:
    metrics = create_metrics()

    with pytest.raises(ValueError, match="Incorrect label names"):
        metrics.decisions.labels(outcome="allow")
    with pytest.raises(ValueError, match="Incorrect label names"):
        metrics.decision_reasons.labels(reason="X")


@pytest.mark.parametrize("reset", ["clear", "remove", "remove_by_labels"])
def test_a_removed_child_is_not_counted_into_from_the_cache(reset: str) -> None:
    metrics = create_metrics()
    reasons = metrics.decision_reasons
    reasons.labels(code="NO_CLEARANCE").inc(5)

    if reset == "clear":
        reasons.clear()
    elif reset == "remove":
        reasons.remove("NO_CLEARANCE")
    else:
        reasons.remove_by_labels({"code": "NO_CLEARANCE"})
    reasons.labels(code="NO_CLEARANCE").inc()

    assert _value(metrics.registry, "vir_decision_reasons_total", {"code": "NO_CLEARANCE"}) == 1


def test_serving_gauge_follows_health() -> None:
    metrics = create_metrics()
    assert metrics.registry.get_sample_value("vir_serving") == 0

    metrics.set_serving(True)
    assert metrics.registry.get_sample_value("vir_serving") == 1

    metrics.set_serving(False)
    assert metrics.registry.get_sample_value("vir_serving") == 0
