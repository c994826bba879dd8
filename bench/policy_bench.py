"""`make bench-policy`: what one policy evaluation costs inside OPA (issue 12 section 2).

Builds the served bundles from policies/ (the rules, and the settings at their shipped
defaults), turns the allowed and denied example requests into the OPA input the sidecar
sends (timestamps moved to now), runs `opa bench` on the decision three times for each,
and prints the median ns/op and allocations/op against the goal: at
most 250 µs per evaluation, with allocations at least halved from the 4,766 (allowed) and
4,142 (denied) measured before the policy was made cheaper.

`opa bench` runs with the environment the sidecar gives its OPA (GOGC=400, see
sidecar.opa.command); Go's default garbage collector target is measured beside it, runs
interleaved, for comparison.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from devtools.dated_requests import EXAMPLES_TIME, elapsed_since, moved
from sidecar.api import pb
from sidecar.opa import settings
from sidecar.opa.bundle import build
from sidecar.opa.command import OPA_GOGC, find_binary, opa_environment
from sidecar.opa_input import build_input

ROOT = Path(__file__).resolve().parent.parent
QUERY = "data.vir.authz.decision"
RUNS = 3
GO_DEFAULT_GOGC = "100"
GOAL_NS_PER_OP = 250_000
# Allocations per evaluation before the policy was made cheaper; the goal is half of these.
ALLOCS_BEFORE = {"counselling-allowed": 4766, "counselling-denied": 4142}


@dataclass(frozen=True)
class Result:
    """Median cost of one evaluation over RUNS runs of `opa bench`."""

    example: str
    ns_per_op: int
    allocs_per_op: int

    def line(self) -> str:
        time_met = self.ns_per_op <= GOAL_NS_PER_OP
        allocs_met = self.allocs_per_op * 2 <= ALLOCS_BEFORE[self.example]
        return (
            f"{self.example}: {self.ns_per_op / 1000:.0f} µs/op "
            f"(goal ≤ {GOAL_NS_PER_OP / 1000:.0f}: {'met' if time_met else 'not met'}), "
            f"{self.allocs_per_op} allocs/op (goal ≤ {ALLOCS_BEFORE[self.example] // 2}: "
            f"{'met' if allocs_met else 'not met'})"
        )


def opa_input(example: str, now: datetime) -> dict[str, Any]:
    """The OPA input the sidecar sends for an example request checked at `now`."""
    document = json.loads((ROOT / "examples" / f"{example}.json").read_text(encoding="utf-8"))
    request = json_format.ParseDict(
        moved(document, elapsed_since(EXAMPLES_TIME, now)), pb.CheckRequest()
    )
    return build_input(request, now=now, caller="bench")


def per_op(report: dict[str, Any]) -> tuple[int, int]:
    """ns/op and allocs/op from one `opa bench --format json` report."""
    runs = int(report["N"])
    return int(report["T"]) // runs, int(report["MemAllocs"]) // runs


def median_result(example: str, reports: list[dict[str, Any]]) -> Result:
    costs = [per_op(report) for report in reports]
    return Result(
        example,
        int(statistics.median(ns for ns, _ in costs)),
        int(statistics.median(allocs for _, allocs in costs)),
    )


def bench(opa: str, bundles: list[Path], input_file: Path, gogc: str) -> dict[str, Any]:
    command = [opa, "bench", "--input", str(input_file)]
    for bundle in bundles:
        command += ["--bundle", str(bundle)]
    output = subprocess.run(
        [*command, "--format", "json", QUERY],
        check=True,
        capture_output=True,
        text=True,
        env={**opa_environment(), "GOGC": gogc},
    ).stdout
    report: dict[str, Any] = json.loads(output)
    return report


def main() -> int:
    opa = find_binary(None, {})
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="vir-policy-bench-") as work_dir:
        work = Path(work_dir)
        bundle = build(ROOT / "policies", work / "vir-policy.tar.gz", opa_binary=opa).path
        defaults = settings.defaults_of_bundle(bundle)
        bundles = [bundle, settings.write_bundle(defaults, work / "vir-settings").path]
        for example in ALLOCS_BEFORE:
            input_file = work / f"{example}.json"
            input_file.write_text(json.dumps(opa_input(example, now)), encoding="utf-8")
            reports: dict[str, list[dict[str, Any]]] = {OPA_GOGC: [], GO_DEFAULT_GOGC: []}
            for _ in range(RUNS):
                for gogc, runs in reports.items():
                    runs.append(bench(opa, bundles, input_file, gogc))
            print(median_result(example, reports[OPA_GOGC]).line())
            default = median_result(example, reports[GO_DEFAULT_GOGC])
            per_op = f"{default.ns_per_op / 1000:.0f} µs/op"
            print(f"  with Go's default GOGC={GO_DEFAULT_GOGC}: {per_op}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
