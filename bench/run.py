"""`make bench`: the sidecar's latency, throughput and CPU cost, measured against OPA itself.

Three targets get the same request mix (every scenario in policies/scenarios, allowed and
refused, counselling and not), one after another on this machine: the sidecar with durable
audit, the sidecar with audit fsync off, and OPA's REST API directly, started with the
managed OPA's own flags and bundle. Go load generators drive them from their own
processes: ghz over gRPC, vegeta over HTTP. Each run is open loop at 200/s and 500/s and
closed loop with 32 in flight; the CPU of the generator, the sidecar and OPA is read from
the kernel's accounting, so the report shows whether the generator stayed out of the way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.load import GeneratorRun, GrpcService, Load, run_ghz, run_vegeta
from bench.request_mix import ghz_data, scenario_requests, vegeta_targets
from bench.summary import summarise
from bench.system_under_test import (
    ROOT,
    Target,
    direct_opa_argv,
    free_port,
    machine_busy_seconds,
    memory_kib,
    start_direct_opa,
    start_sidecar,
)

TOOLS = ROOT / ".tools" / "bin"
PROTO_FILE = "vir/authz/v1/authz_service.proto"
# The leak check compares the sidecar's RSS at these checks of its life.
LEAK_FROM, LEAK_TO = 50_000, 100_000
# The run to the LEAK_TO-th check goes in chunks, and stops after this long whatever the
# count, to keep `make bench` to a few minutes on a slow or busy machine.
LONG_RUN_CHUNK = 10_000
LONG_RUN_MAX_SECONDS = 150.0
WARM_UP = Load("warm_up", concurrency=4, seconds=1.0)

Generate = Callable[[Load], GeneratorRun]


def loads(seconds: float) -> list[Load]:
    return [
        Load("open_200", rate=200, seconds=seconds),
        Load("open_500", rate=500, seconds=seconds),
        Load("closed_32", concurrency=32, seconds=seconds),
    ]


def _per_check_ms(seconds: float, checks: int) -> float:
    return round(seconds / max(checks, 1) * 1000, 3)


def measure(target: Target, generate: Generate, load: Load) -> dict[str, Any]:
    """Apply `load`; summarise it with the CPU each process spent per check."""
    cpu_before, busy_before = target.cpu(), machine_busy_seconds()
    audit_before = _audit_counts(target)
    generated = generate(load)
    cpu_after, busy_after = target.cpu(), machine_busy_seconds()
    audit_after = _audit_counts(target)
    result = summarise(generated.samples, load)
    spent = {role: cpu_after[role] - cpu_before[role] for role in cpu_after}
    spent["generator"] = generated.cpu_seconds
    other = max(busy_after - busy_before - sum(spent.values()), 0.0)
    wall = generated.wall_seconds
    result["load"] = load.label
    result["cpu_ms_per_check"] = {
        role: _per_check_ms(seconds, result["checks"]) for role, seconds in spent.items()
    }
    result["cores"] = {role: round(seconds / wall, 2) for role, seconds in spent.items()}
    result["cores"]["other"] = round(other / wall, 2)
    if audit_before is not None and audit_after is not None:
        records = audit_after[0] - audit_before[0]
        fsyncs = audit_after[1] - audit_before[1]
        result["fsyncs_per_check"] = round(fsyncs / records, 4) if records else None
    return result


def _audit_counts(target: Target) -> tuple[float, float] | None:
    if target.metrics_url is None:
        return None
    return target.metric("vir_audit_records_total"), target.metric("vir_audit_fsyncs_total")


class MemoryWatch:
    """Samples the sidecar's resident memory against the audit records written so far."""

    def __init__(self, target: Target, enabled: bool) -> None:
        self._target = target
        self._enabled = enabled
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        if self._enabled:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self._sample()

    def _sample(self) -> None:
        records = self._target.metric("vir_audit_records_total")
        self.samples.append((records, memory_kib(self._target.pids["sidecar"], "VmRSS") / 1024))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()


def rss_growth(
    samples: list[tuple[float, float]], start: int = LEAK_FROM, end: int = LEAK_TO
) -> dict[str, Any] | None:
    """RSS at the samples nearest the `start`th and the `end`th check; None if not reached."""
    if not samples or max(records for records, _ in samples) < end * 0.98:
        return None
    first = min(samples, key=lambda sample: abs(sample[0] - start))
    last = min(samples, key=lambda sample: abs(sample[0] - end))
    return {
        "from_checks": int(first[0]),
        "to_checks": int(last[0]),
        "rss_mib_from": round(first[1], 1),
        "rss_mib_to": round(last[1], 1),
        "growth_mib": round(last[1] - first[1], 1),
    }


def tool_version(binary: str, module: str) -> str:
    """The module version a Go binary was built from, read from its build info."""
    info = subprocess.run(["go", "version", "-m", binary], capture_output=True, text=True)
    for line in info.stdout.splitlines():
        fields = line.split()
        if fields[:2] in (["mod", module], ["dep", module]):
            return fields[2]
    return "unknown"


def machine() -> dict[str, str]:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory_gib": str(round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_to_check(
    target: Target, generate: Generate, load: Load, last_check: int, max_seconds: float
) -> GeneratorRun:
    """`load` (closed loop) in chunks until the sidecar wrote its `last_check`th record."""
    deadline = time.monotonic() + max_seconds
    runs: list[GeneratorRun] = []
    while not runs or time.monotonic() < deadline:
        left = last_check - int(target.metric("vir_audit_records_total"))
        if runs and left <= 0:
            break
        runs.append(generate(load.lasting(count=min(LONG_RUN_CHUNK, max(left, 1000)))))
    return GeneratorRun(
        samples=[sample for run in runs for sample in run.samples],
        cpu_seconds=sum(run.cpu_seconds for run in runs),
        wall_seconds=sum(run.wall_seconds for run in runs),
        argv=runs[0].argv,
    )


def _run_target(
    name: str, target: Target, generate: Generate, plan: list[Load], long_run: Load | None
) -> dict[str, Any]:
    generate(WARM_UP)
    entry: dict[str, Any] = {"runs": {}}
    for load in plan:
        if long_run is None or load.name != long_run.name:
            _log(f"{name}: {load.label}, {load.seconds:.0f} s")
            entry["runs"][load.name] = measure(target, generate, load)
            continue
        _log(f"{name}: {load.label}, to the {LEAK_TO:,}th check (at most"
             f" {LONG_RUN_MAX_SECONDS:.0f} s)")  # fmt: skip
        with MemoryWatch(target, enabled=True) as memory:
            entry["runs"][load.name] = measure(
                target,
                lambda chunk: run_to_check(target, generate, chunk, LEAK_TO, LONG_RUN_MAX_SECONDS),
                load,
            )
        entry["rss_growth"] = rss_growth(memory.samples)
    if "sidecar" in target.pids:
        entry["peak_rss_mib"] = round(memory_kib(target.pids["sidecar"], "VmHWM") / 1024, 1)
    return entry


def run(quick: bool, out: Path) -> dict[str, Any]:
    opa, ghz, vegeta = (
        os.environ.get("VIR_OPA_BINARY", str(TOOLS / "opa")),
        str(TOOLS / "ghz"),
        str(TOOLS / "vegeta"),
    )
    seconds = 2.0 if quick else 10.0
    plan = loads(seconds)
    # The durable sidecar's closed loop runs on to its 100,000th check, for the leak check.
    long_run = None if quick else plan[-1]
    results: dict[str, Any] = {
        "command": "make bench-quick" if quick else "make bench",
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick,
        "machine": machine(),
        "tools": {
            "ghz": tool_version(ghz, "github.com/bojand/ghz"),
            "vegeta": tool_version(vegeta, "github.com/tsenart/vegeta/v12"),
            "opa": tool_version(opa, "github.com/open-policy-agent/opa"),
        },
    }
    targets: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vir-bench-") as scratch:
        work = Path(scratch)
        requests = scenario_requests(ROOT / "policies")
        results["request_mix"] = len(requests)
        data_file = work / "requests.json"
        data_file.write_text(ghz_data(requests), encoding="utf-8")

        port = free_port()

        def sidecar(name: str, fsync: bool) -> None:
            target = start_sidecar(name, opa, work / name, fsync=fsync)
            if "opa_argv" not in results:
                # Copied while the sidecar, which owns the managed OPA's files, still runs.
                direct = direct_opa_argv(target.opa_argv, f"127.0.0.1:{port}", work / "opa")
                results["opa_argv"] = {"managed": target.opa_argv, "direct": direct}
            service = GrpcService(target.address, ROOT / "proto", PROTO_FILE)
            try:
                generate: Generate = lambda load: run_ghz(service, ghz, data_file, load, work)  # noqa: E731
                targets[name] = _run_target(
                    name, target, generate, plan, long_run if fsync else None
                )
            finally:
                target.stop()

        sidecar("sidecar_durable", fsync=True)
        sidecar("sidecar_no_fsync", fsync=False)

        target = start_direct_opa(results["opa_argv"]["direct"], port, work / "opa.log")
        try:
            targets_file = work / "targets.jsonl"
            targets_file.write_text(
                vegeta_targets(target.address, requests, now=datetime.now(UTC)), encoding="utf-8"
            )
            targets["opa_direct"] = _run_target(
                "opa_direct",
                target,
                lambda load: run_vegeta(vegeta, targets_file, load, work),
                plan,
                None,
            )
        finally:
            target.stop()
    results["targets"] = {name: targets[name] for name in report.LABELS}
    runs = [run for entry in targets.values() for run in entry["runs"].values()]
    results["other_cores_mean"] = round(sum(r["cores"]["other"] for r in runs) / len(runs), 2)
    results["harness"] = report.harness(results)
    results["goals"] = report.goals(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(report.markdown(results), encoding="utf-8")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke test of under a minute")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    for tool in ("ghz", "vegeta"):
        if shutil.which(str(TOOLS / tool)) is None:
            print(f"{TOOLS / tool} is missing: run `make bench-tools`", file=sys.stderr)
            return 2
    started = time.monotonic()
    results = run(args.quick, args.out)
    print(report.markdown(results))
    _log(f"harness {results['harness']['verdict']}")
    _log(f"done in {time.monotonic() - started:.0f}s; wrote {args.out}/bench.json and bench.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
