"""The benchmark's verdicts (harness valid? goals met?) and its Markdown report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LABELS = {
    "opa_direct": "OPA REST, direct",
    "sidecar_durable": "sidecar, durable audit",
    "sidecar_no_fsync": "sidecar, audit fsync off",
}
# The load generator shares the machine with what it measures: it must leave the
# cores to them. Well under one core of two, on average over each run.
GENERATOR_CORE_LIMIT = 0.5
# Other processes on the machine take cores from the measured ones and add queueing: a run
# where they used more than this, on average, measured the machine's load as well.
OTHER_CORE_LIMIT = 0.25


def harness(results: dict[str, Any]) -> dict[str, Any]:
    """Valid if the generator stayed well under a core, every open loop kept time, and
    the machine was otherwise quiet."""
    runs = [run for entry in results["targets"].values() for run in entry["runs"].values()]
    heaviest = max(run["cores"]["generator"] for run in runs)
    late = [
        f"{name} {load}"
        for name, entry in results["targets"].items()
        for load, run in entry["runs"].items()
        if "schedule" in run and not run["schedule"]["on_schedule"]
    ]
    problems = []
    if heaviest >= GENERATOR_CORE_LIMIT:
        problems.append(f"the load generator used {heaviest} cores in one run")
    if late:
        problems.append("off schedule: " + ", ".join(late))
    other = results["other_cores_mean"]
    if other > OTHER_CORE_LIMIT:
        problems.append(f"the machine was busy: other processes used {other} cores on average")
    return {
        "generator_core_limit": GENERATOR_CORE_LIMIT,
        "max_generator_cores": heaviest,
        "off_schedule": late,
        "valid": not problems,
        "verdict": (
            f"valid: the load generator used at most {heaviest} cores"
            f" (limit {GENERATOR_CORE_LIMIT}), every open loop kept to its schedule, and"
            f" other processes used {other} cores (limit {OTHER_CORE_LIMIT})"
            if not problems
            else "NOT valid: " + "; ".join(problems)
        ),
    }


def _goal(
    name: str, target: str, measured: float | None, test: Callable[[float], bool], judged: bool
) -> dict[str, Any]:
    met = None if measured is None or not judged else test(measured)
    return {"goal": name, "target": target, "measured": measured, "met": met}


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals, measured on this run; `met` is None when not judged or measured."""
    judged = not results["quick"]
    targets = results["targets"]
    direct, durable = targets["opa_direct"]["runs"], targets["sidecar_durable"]
    runs = durable["runs"]
    peak, open_200, open_500 = runs["closed_32"], runs["open_200"], runs["open_500"]
    p50_over = round(open_200["latency_ms"]["p50"] - direct["open_200"]["latency_ms"]["p50"], 3)
    growth = durable.get("rss_growth")
    return [
        _goal(
            "OPA CPU per decision, REST API, closed loop",
            "≤ 0.5 ms",
            direct["closed_32"]["cpu_ms_per_check"]["opa"],
            lambda v: v <= 0.5,
            judged,
        ),
        _goal(
            "sidecar CPU per check at peak (closed loop)",
            "≤ 0.5 ms",
            peak["cpu_ms_per_check"]["sidecar"],
            lambda v: v <= 0.5,
            judged,
        ),
        _goal(
            "checks/s, closed loop, 32 in flight",
            "≥ 1,500",
            peak["throughput_per_s"],
            lambda v: v >= 1500,
            judged,
        ),
        _goal(
            "open 200/s: p50 above direct OPA's", "≤ 0.5 ms", p50_over, lambda v: v <= 0.5, judged
        ),
        _goal("open 200/s: p99", "≤ 5 ms", open_200["latency_ms"]["p99"], lambda v: v <= 5, judged),
        _goal("open 200/s: errors", "0", open_200["errors"], lambda v: v == 0, judged),
        _goal("open 500/s: errors", "0", open_500["errors"], lambda v: v == 0, judged),
        _goal(
            "open 500/s: p99", "≤ 20 ms", open_500["latency_ms"]["p99"], lambda v: v <= 20, judged
        ),
        _goal(
            "fsyncs per check at peak",
            "≤ 0.2",
            peak.get("fsyncs_per_check"),
            lambda v: v <= 0.2,
            judged,
        ),
        _goal(
            "sidecar peak RSS", "≤ 120 MiB", durable.get("peak_rss_mib"), lambda v: v <= 120, judged
        ),
        _goal(
            "sidecar RSS growth, 50,000th → 100,000th check",
            "< 5 MiB",
            None if growth is None else growth["growth_mib"],
            lambda v: v < 5,
            judged,
        ),
    ]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _met(goal: dict[str, Any], quick: bool) -> str:
    if goal["met"] is None:
        return "not judged (smoke test)" if quick else "not measured"
    return "met" if goal["met"] else "**not met**"


def markdown(results: dict[str, Any]) -> str:
    """The run as Markdown, in the form the README's Performance section shows it."""
    machine, tools = results["machine"], results["tools"]
    quick = results["quick"]
    lines = [
        f"`{results['command']}`, {results['started']}"
        + (" — smoke test: short runs, goals not judged, no leak check." if quick else "."),
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB,"
        f" Linux {machine['kernel']}; Python {machine['python']}. Other processes on the"
        f" machine used {results['other_cores_mean']} cores on average during the runs.",
        f"- Load generators: ghz {tools['ghz']} (gRPC, to the sidecar), vegeta {tools['vegeta']}"
        f" (HTTP, to OPA's REST API); OPA {tools['opa']}. The direct OPA runs with the managed"
        " OPA's own flags and bundle, on a loopback TCP port.",
        f"- Request mix: the {results['request_mix']} scenario requests, round robin, the same"
        " for every target. Open loop sends at a fixed rate whatever the answers do; closed"
        " loop keeps 32 requests in flight.",
        f"- Harness: {results['harness']['verdict']}.",
        "",
        "| target | load | checks/s | p50 ms | p99 ms | p99.9 ms | errors"
        " | CPU ms/check: generator | sidecar | OPA | fsyncs/check |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, entry in results["targets"].items():
        for run in entry["runs"].values():
            latency, cpu = run["latency_ms"], run["cpu_ms_per_check"]
            lines.append(
                f"| {LABELS[name]} | {run['load']} | {_cell(run['throughput_per_s'])}"
                f" | {_cell(latency['p50'])} | {_cell(latency['p99'])} | {_cell(latency['p99_9'])}"
                f" | {_cell(run['errors'])} | {_cell(cpu['generator'])}"
                f" | {_cell(cpu.get('sidecar'))} | {_cell(cpu['opa'])}"
                f" | {_cell(run.get('fsyncs_per_check'))} |"
            )
    durable = results["targets"]["sidecar_durable"]
    growth = durable.get("rss_growth")
    lines += [
        "",
        f"Sidecar peak RSS {_cell(durable.get('peak_rss_mib'))} MiB"
        + (
            f"; {_cell(growth['rss_mib_from'])} MiB at check {growth['from_checks']:,}"
            f" and {_cell(growth['rss_mib_to'])} MiB at check {growth['to_checks']:,}."
            if growth
            else "."
        ),
        "",
        "| goal | target | measured | |",
        "|---|---|---:|---|",
    ]
    for goal in results["goals"]:
        lines.append(
            f"| {goal['goal']} | {goal['target']} | {_cell(goal['measured'])}"
            f" | {_met(goal, quick)} |"
        )
    return "\n".join(lines) + "\n"
