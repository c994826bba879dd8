"""The policy benchmark's arithmetic and the input it evaluates."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.policy_bench import Result, median_result, opa_input


def test_median_result_takes_the_median_per_operation() -> None:
    reports = [
        {"N": 10, "T": 3_000_000, "MemAllocs": 30_000},
        {"N": 10, "T": 2_000_000, "MemAllocs": 20_000},
        {"N": 20, "T": 8_000_000, "MemAllocs": 50_000},
    ]
    assert median_result("counselling-allowed", reports) == Result(
        "counselling-allowed", 300_000, 2500
    )


def test_result_line_says_which_goals_are_met() -> None:
    met = Result("counselling-allowed", 250_000, 2383).line()
    missed = Result("counselling-denied", 250_001, 2072).line()
    assert "250 µs/op (goal ≤ 250: met)" in met
    assert "2383 allocs/op (goal ≤ 2383: met)" in met
    assert "(goal ≤ 250: not met)" in missed
    assert "(goal ≤ 2071: not met)" in missed


def test_opa_input_is_the_example_dated_at_now() -> None:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    document = opa_input("counselling-allowed", now)
    assert document["context"]["time"] == "2027-03-01T00:00:00Z"
    assert document["context"]["caller"] == "bench"
    assert document["request"]["clearance"]["expires_at"] > "2027-03-01"
