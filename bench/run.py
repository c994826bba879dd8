"""`make bench`: the sidecar's latency, throughput and cost, measured against OPA itself.

Three targets get the same request mix (every scenario in policies/scenarios,
allowed and refused, counselling and not), one after another on this machine:
OPA's REST API directly, the sidecar with durable audit, and the sidecar with
audit fsync off. The load generator runs in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format

from bench.report import goals, markdown
from bench.system_under_test import (
    ROOT,
    Target,
    memory_kib,
    start_opa,
    start_sidecar,
)
from sidecar import policy_bundle
from sidecar.api import pb
from sidecar.devtools.dated_requests import SCENARIO_TIME, elapsed_since, moved
from sidecar.opa_input import build_input


def request_mix(path: Path) -> dict[str, Any]:
    """The scenario requests, as wire bytes (gRPC) and as OPA inputs (REST)."""
    requests = []
    for table in sorted((ROOT / "policies" / "scenarios").glob("*/data.yaml")):
        for scenario in yaml.safe_load(table.read_text(encoding="utf-8")):
            document = moved(scenario["request"], elapsed_since(SCENARIO_TIME))
            requests.append(json_format.ParseDict(document, pb.CheckRequest()))
    now = datetime.now(UTC)
    mix = {
        "requests": [r.SerializeToString().hex() for r in requests],
        "opa_inputs": [build_input(r, now=now, caller=None) for r in requests],
    }
    path.write_text(json.dumps(mix), encoding="utf-8")
    return mix


def drive(target: Target, requests: Path, mode: str, **options: Any) -> dict[str, Any]:
    """Run the load generator against `target`; add the CPU each target process spent."""
    argv = [sys.executable, "-m", "bench.loadgen", "--target", target.address,
            "--requests", str(requests), "--mode", mode]  # fmt: skip
    for key, value in options.items():
        if value is not None:
            argv += [f"--{key}", str(value)]
    cpu_before = target.cpu()
    audit_before = _audit_counts(target)
    output = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(output.stdout)
    cpu_after = target.cpu()
    # The load generator's warm-up is counted in the CPU; its checks are few next to the run's.
    result["cpu_s_per_1000"] = {
        role: round((cpu_after[role] - cpu_before[role]) / max(result["checks"], 1) * 1000, 3)
        for role in cpu_after
    }
    audit_after = _audit_counts(target)
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

    def _run(self) -> None:
        pid = self._target.pids["sidecar"]
        while not self._stop.wait(0.5):
            records = self._target.metric("vir_audit_records_total")
            self.samples.append((records, memory_kib(pid, "VmRSS") / 1024))

    def growth(self) -> dict[str, float] | None:
        """RSS at half the checks of the run and at the end: growth there would be a leak."""
        if len(self.samples) < 4:
            return None
        last_records, last_rss = self.samples[-1]
        half_records, half_rss = min(self.samples, key=lambda s: abs(s[0] - last_records / 2))
        return {
            "from_checks": half_records,
            "to_checks": last_records,
            "rss_mib_from": round(half_rss, 1),
            "rss_mib_to": round(last_rss, 1),
            "growth_mib": round(last_rss - half_rss, 1),
        }


def machine() -> dict[str, str]:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    opa = subprocess.run(
        [os.environ["VIR_OPA_BINARY"], "version"], capture_output=True, text=True, check=True
    ).stdout.splitlines()[0]
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory_gib": str(round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)),
        "python": platform.python_version(),
        "opa": opa,
        "kernel": platform.release(),
    }


def run(quick: bool, out: Path) -> dict[str, Any]:
    opa = os.environ["VIR_OPA_BINARY"]
    seconds = 3.0 if quick else 10.0
    # The long durable run stops at 100k checks or after this long, to keep
    # `make bench` under 3 minutes on a 2-core machine.
    long_run = None if quick else 100.0
    results: dict[str, Any] = {"machine": machine(), "quick": quick, "targets": {}}
    with tempfile.TemporaryDirectory(prefix="vir-bench-") as scratch:
        work = Path(scratch)
        requests = work / "requests.json"
        results["request_mix"] = len(request_mix(requests)["requests"])
        bundle = work / "bundle"
        policy_bundle.snapshot(ROOT / "policies", bundle)

        plans: list[tuple[str, Any]] = [
            ("opa_direct", lambda: start_opa(opa, bundle)),
            ("sidecar_durable", lambda: start_sidecar("durable", opa, work / "d", fsync=True)),
            ("sidecar_no_fsync", lambda: start_sidecar("no-fsync", opa, work / "n", fsync=False)),
        ]
        for name, start in plans:
            target = start()
            try:
                print(f"[bench] {name}: open loop 200/s for {seconds:.0f}s", file=sys.stderr)
                entry: dict[str, Any] = {
                    "open_200": drive(target, requests, "open", rate=200, duration=seconds)
                }
                long = name == "sidecar_durable" and long_run is not None
                print(f"[bench] {name}: closed loop, 32 callers", file=sys.stderr)
                with MemoryWatch(target, enabled=long) as memory:
                    entry["closed_32"] = drive(
                        target, requests, "closed", concurrency=32,
                        duration=long_run if long else seconds, count=100_000 if long else None,
                    )  # fmt: skip
                pid = target.pids.get("sidecar")
                if pid is not None:
                    entry["peak_rss_mib"] = round(memory_kib(pid, "VmHWM") / 1024, 1)
                    entry["rss_growth"] = memory.growth()
                results["targets"][name] = entry
            finally:
                target.stop()
    results["goals"] = goals(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(markdown(results), encoding="utf-8")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="about 30 s; a smoke test")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    started = time.monotonic()
    results = run(args.quick, args.out)
    print(markdown(results))
    print(f"[bench] done in {time.monotonic() - started:.0f}s; wrote {args.out}/bench.json and"
          " bench.md", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
