"""The harness verdict, the goals judged at their edges, and the Markdown report."""

import copy
from typing import Any

import pytest

from bench.report import (
    GENERATOR_CORE_LIMIT,
    LABELS,
    OTHER_CORE_LIMIT,
    goals,
    harness,
    markdown,
)


def _run(**overrides: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "load": "a load",
        "checks": 1000,
        "errors": 0,
        "throughput_per_s": 1500.0,
        "latency_ms": {"p50": 1.0, "p90": 2.0, "p99": 5.0, "p99_9": 9.0, "max": 12.0},
        "cpu_ms_per_check": {"generator": 0.1, "sidecar": 0.5, "opa": 0.5},
        "cores": {"generator": 0.2, "sidecar": 0.7, "opa": 0.7, "other": 0.0},
        "fsyncs_per_check": 0.2,
    }
    return run | overrides


def _results(quick: bool = False) -> dict[str, Any]:
    """A run that meets every goal exactly at its edge."""
    sidecar_runs = {
        "open_200": _run(latency_ms={"p50": 1.5, "p90": 2, "p99": 5.0, "p99_9": 6, "max": 7},
                         schedule={"on_schedule": True}),
        "open_500": _run(latency_ms={"p50": 2, "p90": 3, "p99": 20.0, "p99_9": 25, "max": 30},
                         schedule={"on_schedule": True}),
        "closed_32": _run(),
    }  # fmt: skip
    direct_runs = {
        "open_200": _run(latency_ms={"p50": 1.0, "p90": 2, "p99": 3, "p99_9": 4, "max": 5},
                         schedule={"on_schedule": True}),
        "open_500": _run(schedule={"on_schedule": True}),
        "closed_32": _run(cpu_ms_per_check={"generator": 0.1, "opa": 0.5}),
    }  # fmt: skip
    for run in direct_runs.values():
        run.pop("fsyncs_per_check")
    return {
        "command": "make bench-quick" if quick else "make bench",
        "started": "2026-12-02 13:00 UTC",
        "quick": quick,
        "machine": {"cpu": "A CPU", "cores": "2", "memory_gib": "24", "python": "3.11.7",
                    "kernel": "6.1"},
        "tools": {"ghz": "v0.121.0", "vegeta": "v12.13.0", "opa": "v1.22.3"},
        "request_mix": 74,
        "other_cores_mean": 0.05,
        "targets": {
            "opa_direct": {"runs": direct_runs},
            "sidecar_durable": {
                "runs": sidecar_runs,
                "peak_rss_mib": 120.0,
                "rss_growth": {"from_checks": 50_010, "to_checks": 100_000, "rss_mib_from": 80.0,
                               "rss_mib_to": 84.9, "growth_mib": 4.9},
            },
            "sidecar_no_fsync": {"runs": copy.deepcopy(sidecar_runs), "peak_rss_mib": 90.0},
        },
    }  # fmt: skip


def test_every_goal_is_met_at_its_edge() -> None:
    judged = goals(_results())

    assert len(judged) == 11
    assert [goal["goal"] for goal in judged if goal["met"] is not True] == []


@pytest.mark.parametrize(
    ("path", "value", "goal"),
    [
        (("opa_direct", "closed_32", "cpu_ms_per_check", "opa"), 0.501, "OPA CPU"),
        (("sidecar_durable", "closed_32", "cpu_ms_per_check", "sidecar"), 0.501, "sidecar CPU"),
        (("sidecar_durable", "closed_32", "throughput_per_s"), 1499.9, "checks/s"),
        (("sidecar_durable", "open_200", "latency_ms", "p50"), 1.501, "p50 above"),
        (("sidecar_durable", "open_200", "latency_ms", "p99"), 5.001, "open 200/s: p99"),
        (("sidecar_durable", "open_200", "errors"), 1, "open 200/s: errors"),
        (("sidecar_durable", "open_500", "errors"), 1, "open 500/s: errors"),
        (("sidecar_durable", "open_500", "latency_ms", "p99"), 20.001, "open 500/s: p99"),
        (("sidecar_durable", "closed_32", "fsyncs_per_check"), 0.2001, "fsyncs"),
    ],
)
def test_just_past_each_edge_the_goal_is_not_met(
    path: tuple[str, ...], value: float, goal: str
) -> None:
    results = _results()
    node = results["targets"][path[0]]["runs"]
    for key in path[1:-1]:
        node = node[key]
    node[path[-1]] = value

    missed = [g["goal"] for g in goals(results) if g["met"] is False]

    assert len(missed) == 1
    assert goal in missed[0]


def test_memory_goals_at_their_edges() -> None:
    results = _results()
    durable = results["targets"]["sidecar_durable"]
    durable["peak_rss_mib"] = 120.1
    durable["rss_growth"]["growth_mib"] = 5.0

    missed = [g["goal"] for g in goals(results) if g["met"] is False]

    assert missed == ["sidecar peak RSS", "sidecar RSS growth, 50,000th → 100,000th check"]


def test_a_goal_not_measured_is_not_judged() -> None:
    results = _results()
    results["targets"]["sidecar_durable"]["rss_growth"] = None

    growth = next(g for g in goals(results) if "growth" in g["goal"])

    assert (growth["measured"], growth["met"]) == (None, None)


def test_a_smoke_test_judges_no_goal_but_shows_every_measure() -> None:
    judged = goals(_results(quick=True))

    assert {goal["met"] for goal in judged} == {None}
    assert judged[2]["measured"] == 1500.0


def test_harness_is_valid_with_the_generator_under_the_limit_and_on_schedule() -> None:
    results = _results()
    results["targets"]["sidecar_durable"]["runs"]["closed_32"]["cores"]["generator"] = 0.49

    verdict = harness(results)

    assert verdict["valid"] is True
    assert verdict["max_generator_cores"] == 0.49
    assert verdict["verdict"].startswith("valid")


def test_harness_is_not_valid_when_the_generator_takes_the_limit() -> None:
    results = _results()
    runs = results["targets"]["opa_direct"]["runs"]
    runs["closed_32"]["cores"]["generator"] = GENERATOR_CORE_LIMIT

    verdict = harness(results)

    assert verdict["valid"] is False
    assert "used 0.5 cores" in verdict["verdict"]


def test_harness_is_not_valid_when_an_open_loop_fell_behind() -> None:
    results = _results()
    results["targets"]["sidecar_no_fsync"]["runs"]["open_500"]["schedule"]["on_schedule"] = False

    verdict = harness(results)

    assert verdict["valid"] is False
    assert verdict["off_schedule"] == ["sidecar_no_fsync open_500"]


def test_harness_is_not_valid_on_a_busy_machine() -> None:
    results = _results()
    results["other_cores_mean"] = OTHER_CORE_LIMIT
    assert harness(results)["valid"] is True

    results["other_cores_mean"] = OTHER_CORE_LIMIT + 0.01
    verdict = harness(results)

    assert verdict["valid"] is False
    assert "the machine was busy: other processes used 0.26 cores" in verdict["verdict"]


def test_markdown_has_every_run_the_verdict_and_the_goals() -> None:
    results = _results()
    results["harness"] = harness(results)
    results["goals"] = goals(results)
    results["goals"][0]["met"] = False

    text = markdown(results)

    rows = [line for line in text.splitlines() if line.startswith("| ") and "a load" in line]
    assert len(rows) == 9
    assert all(any(label in row for row in rows) for label in LABELS.values())
    assert "`make bench`, 2026-12-02 13:00 UTC." in text
    assert "Harness: valid" in text
    assert "ghz v0.121.0" in text
    assert "vegeta v12.13.0" in text
    assert "| OPA CPU per decision, REST API, closed loop | ≤ 0.5 ms | 0.5 | **not met** |" in text
    assert "at check 50,010" in text


def test_markdown_of_a_smoke_test_says_the_goals_were_not_judged() -> None:
    results = _results(quick=True)
    results["harness"] = harness(results)
    results["goals"] = goals(results)

    text = markdown(results)

    assert "smoke test" in text.splitlines()[0]
    assert text.count("not judged (smoke test)") == 11
