"""The benchmark's goals, judged, and its Markdown table."""

from __future__ import annotations

from typing import Any

LABELS = {
    "opa_direct": "OPA REST, direct",
    "sidecar_durable": "sidecar, durable audit",
    "sidecar_no_fsync": "sidecar, audit fsync off",
}
MODES = {"open_200": "open loop, 200/s", "closed_32": "closed loop, 32 callers"}


def _goal(name: str, target: str, value: float | None, met: bool | None) -> dict[str, Any]:
    return {"goal": name, "target": target, "measured": value, "met": met}


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets = results["targets"]
    direct, durable = targets["opa_direct"], targets["sidecar_durable"]
    p50_over = durable["open_200"]["latency_ms"]["p50"] - direct["open_200"]["latency_ms"]["p50"]
    p99 = durable["open_200"]["latency_ms"]["p99"]
    rate = durable["closed_32"]["throughput_per_s"]
    ratio = rate / direct["closed_32"]["throughput_per_s"]
    rss = durable["peak_rss_mib"]
    leak = durable.get("rss_growth")
    growth = None if leak is None else leak["growth_mib"]
    leak_span = (
        "second half of the long run"
        if leak is None
        else f"{leak['from_checks']:.0f} → {leak['to_checks']:.0f} checks"
    )
    fsyncs = durable["closed_32"].get("fsyncs_per_check")
    return [
        _goal("open-loop p50 above direct OPA", "≤ 1 ms", round(p50_over, 3), p50_over <= 1),
        _goal("open-loop p99, durable audit", "≤ 10 ms", p99, p99 <= 10),
        _goal("closed-loop throughput, durable audit", "≥ 1,500/s", rate, rate >= 1500),
        _goal("throughput ÷ direct OPA's", "≥ 0.5", round(ratio, 3), ratio >= 0.5),
        _goal("sidecar peak RSS", "≤ 120 MiB", rss, rss <= 120),
        _goal(
            f"RSS growth, {leak_span} (goal: 50k → 100k)",
            "< 5 MiB",
            None if growth is None else round(growth, 1),
            None if growth is None else growth < 5,
        ),
        _goal(
            "fsyncs per check at max throughput",
            "≤ 0.2",
            fsyncs,
            None if fsyncs is None else fsyncs <= 0.2,
        ),
    ]


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB;"
        f" Python {machine['python']}; {machine['opa']}; Linux {machine['kernel']}.",
        f"Request mix: {results['request_mix']} scenario requests, round robin."
        + (" Quick mode: short runs, no leak check." if results["quick"] else ""),
        "",
        "| target | load | checks/s | p50 ms | p90 ms | p99 ms | p99.9 ms"
        " | sidecar CPU s/1k | OPA CPU s/1k | fsyncs/check | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, entry in results["targets"].items():
        for mode, label in MODES.items():
            run = entry[mode]
            latency = run["latency_ms"]
            cpu = run["cpu_s_per_1000"]
            lines.append(
                f"| {LABELS[name]} | {label} | {run['throughput_per_s']} | {latency['p50']}"
                f" | {latency['p90']} | {latency['p99']} | {latency['p99_9']}"
                f" | {_cell(cpu.get('sidecar'))} | {_cell(cpu.get('opa'))}"
                f" | {_cell(run.get('fsyncs_per_check'))} | {_cell(entry.get('peak_rss_mib'))} |"
            )
    lines += ["", "| goal | target | measured | met |", "|---|---|---:|---|"]
    for goal in results["goals"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[goal["met"]]
        lines.append(f"| {goal['goal']} | {goal['target']} | {_cell(goal['measured'])} | {met} |")
    errors = sum(run["errors"] for e in results["targets"].values() for run in
                 (e["open_200"], e["closed_32"]))  # fmt: skip
    lines += ["", f"Errors during the runs: {errors}.", ""]
    return "\n".join(lines)
