"""What one run's samples say: throughput, latency percentiles, errors, and for an open
loop whether the generator kept to its schedule (else the run did not apply the load)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from bench.load import Load, Sample

PERCENTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99_9", 0.999))
# An open-loop generator is on schedule if it sent at the asked rate, give or take this,
# and its 99th-percentile send was at most this late against a perfect metronome.
RATE_TOLERANCE = 0.03
LAG_TOLERANCE_MS = 5.0


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence; NaN when empty."""
    if not ordered:
        return float("nan")
    # Rounded first so that 0.99 * 100 (99.00000000000001) ranks 99, not 100.
    rank = math.ceil(round(fraction * len(ordered), 9))
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def schedule(samples: Sequence[Sample], rate: float) -> dict[str, Any]:
    """How closely the sends followed a metronome at `rate`.

    The metronome starts as early as the sends allow (the earliest of send i minus i/rate),
    so a late first send does not make the rest look early, and every lag is >= 0.
    """
    sends = sorted(sample.sent for sample in samples)
    if len(sends) < 2:
        return {"sent_per_s": None, "lag_ms_p99": None, "lag_ms_max": None, "on_schedule": False}
    offsets = [sent - index / rate for index, sent in enumerate(sends)]
    start = min(offsets)
    lags = sorted(offset - start for offset in offsets)
    sent_per_s = (len(sends) - 1) / (sends[-1] - sends[0])
    lag_p99 = percentile(lags, 0.99)
    return {
        "sent_per_s": round(sent_per_s, 1),
        "lag_ms_p99": _ms(lag_p99),
        "lag_ms_max": _ms(lags[-1]),
        "on_schedule": abs(sent_per_s / rate - 1) <= RATE_TOLERANCE
        and lag_p99 * 1000 <= LAG_TOLERANCE_MS,
    }


def summarise(samples: Sequence[Sample], load: Load) -> dict[str, Any]:
    """Counts, throughput and latency percentiles (every answer, errors included)."""
    if not samples:
        raise ValueError(f"{load.name}: the load generator recorded no requests")
    latencies = sorted(sample.latency for sample in samples)
    start = min(sample.sent for sample in samples)
    end = max(sample.sent + sample.latency for sample in samples)
    elapsed = max(end - start, 1e-9)
    summary: dict[str, Any] = {
        "checks": len(samples),
        "errors": sum(not sample.ok for sample in samples),
        "elapsed_s": round(elapsed, 3),
        "throughput_per_s": round(len(samples) / elapsed, 1),
        "latency_ms": {name: _ms(percentile(latencies, q)) for name, q in PERCENTILES}
        | {"max": _ms(latencies[-1])},
    }
    if load.rate is not None:
        summary["schedule"] = schedule(samples, load.rate)
    return summary
