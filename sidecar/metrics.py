"""Prometheus metrics of the sidecar, served on their own listener."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, Self

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from sidecar import __version__

# 100 µs to 2.5 s, roughly doubling.
LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class BoundCounter(Counter):
    """A labelled Counter that keeps each child it has bound, so that counting one
    decision is a dict lookup, not a fresh label check under the metric's lock."""

    _bound: dict[tuple[object, ...], Self]

    def labels(self, *labelvalues: object, **labelkwargs: object) -> Self:
        key = labelvalues + tuple(labelkwargs.items())
        try:
            bound = self._bound
        except AttributeError:
            bound = self._bound = {}
        child = bound.get(key)
        if child is None:
            child = bound[key] = super().labels(*labelvalues, **labelkwargs)
        return child

    def remove(self, *labelvalues: Any) -> None:
        self.__dict__.pop("_bound", None)
        super().remove(*labelvalues)

    def remove_by_labels(self, labels: dict[str, str]) -> None:
        self.__dict__.pop("_bound", None)
        super().remove_by_labels(labels)

    def clear(self) -> None:
        self.__dict__.pop("_bound", None)
        super().clear()


class AuditCounts(Protocol):
    """What the audit trail counts about its own writes."""

    @property
    def records_written(self) -> int: ...

    @property
    def fsyncs(self) -> int: ...


class AuditCollector(Collector):
    """Exports the trail's own counters, so fsyncs per record can be watched."""

    def __init__(self, audit: AuditCounts) -> None:
        self._audit = audit

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "vir_audit_records",
            "Audit records written and synced.",
            value=self._audit.records_written,
        )
        yield CounterMetricFamily(
            "vir_audit_fsyncs",
            "fsync calls on the audit trail; concurrent checks share one (group commit).",
            value=self._audit.fsyncs,
        )


@dataclass(frozen=True)
class Metrics:
    """Every metric the sidecar exports, registered in one registry."""

    registry: CollectorRegistry
    decisions: BoundCounter
    decision_reasons: BoundCounter
    check_duration: Histogram
    opa_duration: Histogram
    audit_duration: Histogram
    opa_errors: BoundCounter
    audit_failures: Counter
    checks_in_flight: Gauge
    serving: Gauge
    build: Info

    def watch_audit(self, audit: AuditCounts) -> None:
        self.registry.register(AuditCollector(audit))

    def set_serving(self, serving: bool) -> None:
        """Mirror the gRPC health status: call on every change of SERVING / NOT_SERVING."""
        self.serving.set(1 if serving else 0)

    def set_policy_revision(self, revision: str) -> None:
        self.build.info({"version": __version__, "policy_revision": revision})


def create_metrics() -> Metrics:
    registry = CollectorRegistry(auto_describe=True)
    metrics = Metrics(
        registry=registry,
        decisions=BoundCounter(
            "vir_decisions",
            "Check decisions by outcome (allow, deny, invalid, error) and record category.",
            ["outcome", "category"],
            registry=registry,
        ),
        decision_reasons=BoundCounter(
            "vir_decision_reasons",
            "Deny reasons given, by reason code.",
            ["code"],
            registry=registry,
        ),
        check_duration=Histogram(
            "vir_check_duration_seconds",
            "Time to answer one Check, including the audit write.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        opa_duration=Histogram(
            "vir_opa_request_duration_seconds",
            "Time OPA took to evaluate one decision.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        audit_duration=Histogram(
            "vir_audit_write_duration_seconds",
            "Time to write and sync one audit record, including waiting for its batch.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        opa_errors=BoundCounter(
            "vir_opa_errors",
            "Decisions OPA could not give, by kind of failure.",
            ["kind"],
            registry=registry,
        ),
        audit_failures=Counter(
            "vir_audit_write_failures",
            "Audit records that could not be written; each such Check was refused.",
            registry=registry,
        ),
        checks_in_flight=Gauge(
            "vir_checks_in_flight",
            "Checks being handled now.",
            registry=registry,
        ),
        serving=Gauge(
            "vir_serving",
            "1 while the sidecar reports SERVING on gRPC health, 0 otherwise.",
            registry=registry,
        ),
        build=Info(
            "vir_build",
            "Sidecar version and the revision of the policy in force.",
            registry=registry,
        ),
    )
    metrics.set_policy_revision("none")
    return metrics


def serve_metrics(metrics: Metrics, address: str) -> None:
    """Serve /metrics on HOST:PORT from a background thread."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host.strip("[]"), registry=metrics.registry)
