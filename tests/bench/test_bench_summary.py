"""Percentiles, throughput, errors and the open-loop schedule check of one run."""

import math

import pytest

from bench.load import Load, Sample
from bench.summary import LAG_TOLERANCE_MS, percentile, schedule, summarise

CLOSED = Load("closed", concurrency=4, seconds=1)


@pytest.mark.parametrize(
    ("fraction", "expected"), [(0.5, 50), (0.9, 90), (0.99, 99), (0.999, 100), (1.0, 100)]
)
def test_percentile_is_the_nearest_rank(fraction: float, expected: int) -> None:
    assert percentile([float(n) for n in range(1, 101)], fraction) == expected


def test_percentile_of_one_and_of_none() -> None:
    assert percentile([7.0], 0.999) == 7.0
    assert percentile([7.0], 0.0) == 7.0
    assert math.isnan(percentile([], 0.5))


def test_summary_counts_every_answer_and_its_errors() -> None:
    samples = [Sample(100 + n / 100, (n + 1) / 1000, ok=n % 10 != 0) for n in range(100)]

    summary = summarise(samples, CLOSED)

    assert (summary["checks"], summary["errors"]) == (100, 10)
    # First send at 100.0, last answer at 100.99 + 0.1.
    assert summary["elapsed_s"] == pytest.approx(1.09)
    assert summary["throughput_per_s"] == pytest.approx(100 / 1.09, abs=0.1)
    assert summary["latency_ms"] == {"p50": 50, "p90": 90, "p99": 99, "p99_9": 100, "max": 100}
    assert "schedule" not in summary


def test_a_run_with_no_samples_is_an_error() -> None:
    with pytest.raises(ValueError, match="no requests"):
        summarise([], CLOSED)


def _metronome(rate: float, count: int, late: float = 0.0) -> list[Sample]:
    return [
        Sample(10 + n / rate + (late if n > count // 2 else 0), 0.001, True) for n in range(count)
    ]


def test_an_open_loop_on_its_metronome_is_on_schedule() -> None:
    summary = summarise(_metronome(200, 400), Load("open", rate=200, seconds=2))

    assert summary["schedule"]["on_schedule"] is True
    assert summary["schedule"]["sent_per_s"] == pytest.approx(200)
    assert summary["schedule"]["lag_ms_max"] == pytest.approx(0, abs=1e-6)


def test_a_generator_that_fell_behind_is_off_schedule() -> None:
    late = (LAG_TOLERANCE_MS + 1) / 1000
    result = schedule(_metronome(200, 400, late=late), 200)

    assert result["on_schedule"] is False
    assert result["lag_ms_p99"] == pytest.approx(late * 1000)


def test_a_late_first_send_does_not_make_the_rest_look_early() -> None:
    samples = _metronome(200, 400)
    samples[0] = Sample(samples[0].sent + 0.004, 0.001, True)

    result = schedule(samples, 200)

    assert result["on_schedule"] is True
    assert result["lag_ms_p99"] == pytest.approx(0, abs=1e-6)
    assert result["lag_ms_max"] == pytest.approx(4)


def test_a_generator_that_sent_too_slowly_is_off_schedule() -> None:
    assert schedule(_metronome(150, 300), 200)["on_schedule"] is False
    assert schedule(_metronome(200, 1), 200)["on_schedule"] is False
