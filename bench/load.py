"""The loads, and the Go load generators that apply them: ghz (gRPC) and vegeta (HTTP).

Both run as child processes of the benchmark, so the CPU each one spends comes from the
kernel's accounting of that child (wait4), not from an estimate. Each run leaves one
record per request, which is parsed here into Samples: when it was sent, how long the
answer took, and whether it was a good one.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REQUEST_TIMEOUT = "10s"
GRPC_METHOD = "vir.authz.v1.AuthorizationService.Check"
# ghz in open loop (--async) hands each tick to a dispatcher that does not wait for the
# answer, so a handful is enough at any rate.
GHZ_OPEN_LOOP_DISPATCHERS = 8
# OPA's decision body starts with {"result": when the decision is defined.
VEGETA_BODY_BYTES = 16


@dataclass(frozen=True)
class Load:
    """Open loop at `rate` requests/s, or closed loop with `concurrency` requests in flight.

    A run lasts `seconds`, or, closed loop only, until `count` requests were answered.
    """

    name: str
    rate: int | None = None
    concurrency: int | None = None
    seconds: float | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if (self.rate is None) == (self.concurrency is None):
            raise ValueError("a load is either open (rate) or closed (concurrency)")
        if (self.seconds is None) == (self.count is None):
            raise ValueError("a load lasts either `seconds` or `count` requests")
        if self.count is not None and self.rate is not None:
            raise ValueError("an open-loop load lasts `seconds`")

    @property
    def open(self) -> bool:
        return self.rate is not None

    @property
    def label(self) -> str:
        if self.rate is not None:
            return f"open loop, {self.rate}/s"
        return f"closed loop, {self.concurrency} in flight"

    def lasting(self, *, seconds: float | None = None, count: int | None = None) -> Load:
        """The same load for another length of run."""
        return Load(self.name, self.rate, self.concurrency, seconds, count)


@dataclass(frozen=True)
class Sample:
    """One request: send time (epoch seconds), latency (seconds), good answer or not."""

    sent: float
    latency: float
    ok: bool


@dataclass(frozen=True)
class GeneratorRun:
    samples: list[Sample]
    cpu_seconds: float
    wall_seconds: float
    argv: list[str]


def _seconds_flag(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


@dataclass(frozen=True)
class GrpcService:
    """Where the sidecar listens, and the .proto file (under `proto_root`) of its API."""

    address: str
    proto_root: Path
    proto_file: str


def ghz_argv(
    service: GrpcService, ghz: str, data_file: Path, load: Load, report: Path
) -> list[str]:
    """ghz sending the data file's requests round robin to the sidecar."""
    argv = [
        ghz,
        "--insecure",
        "--proto",
        str(service.proto_root / service.proto_file),
        "--import-paths",
        str(service.proto_root),
        "--call",
        GRPC_METHOD,
        "--data-file",
        str(data_file),
        # The requests are literal: no Go template to execute per call.
        "--disable-template-functions",
        "--disable-template-data",
        "--timeout",
        REQUEST_TIMEOUT,
        "--format",
        "json",
        "--output",
        str(report),
    ]
    if load.rate is not None:
        argv += [
            "--async",
            "--rps",
            str(load.rate),
            "--concurrency",
            str(GHZ_OPEN_LOOP_DISPATCHERS),
        ]
    else:
        argv += ["--concurrency", str(load.concurrency)]
    if load.count is not None:
        argv += ["--total", str(load.count)]
    else:
        assert load.seconds is not None
        # `wait`: answers still in flight at the end are waited for, not cancelled as errors.
        argv += ["--duration", _seconds_flag(load.seconds), "--duration-stop", "wait"]
    return [*argv, service.address]


def vegeta_argv(vegeta: str, targets: Path, load: Load, results: Path) -> list[str]:
    """vegeta attack sending the targets file round robin."""
    if load.seconds is None:
        raise ValueError("vegeta runs for a duration, not a count")
    argv = [
        vegeta,
        "attack",
        "-format=json",
        f"-targets={targets}",
        f"-timeout={REQUEST_TIMEOUT}",
        f"-max-body={VEGETA_BODY_BYTES}",
        f"-duration={_seconds_flag(load.seconds)}",
        f"-output={results}",
    ]
    if load.rate is not None:
        argv.append(f"-rate={load.rate}/1s")
    else:
        # No rate: each worker sends its next request when the last is answered.
        argv += ["-rate=0", f"-workers={load.concurrency}", f"-max-workers={load.concurrency}"]
    return argv


def _timestamp(text: str) -> float:
    """RFC 3339 with nanoseconds, as Go writes it, to epoch seconds (microsecond precision)."""
    head, _, fraction = text.removesuffix("Z").partition(".")
    whole = datetime.fromisoformat(head + "+00:00").timestamp()
    return whole + (float("0." + fraction) if fraction else 0.0)


def parse_ghz(report: dict[str, Any]) -> list[Sample]:
    """ghz's JSON report: its details stamp each call at its end, with its latency in ns."""
    samples = []
    for detail in report.get("details") or []:
        latency = detail["latency"] / 1e9
        samples.append(
            Sample(_timestamp(detail["timestamp"]) - latency, latency, detail["status"] == "OK")
        )
    return sorted(samples, key=lambda sample: sample.sent)


def parse_vegeta(lines: Iterable[str]) -> list[Sample]:
    """`vegeta encode -to=json` lines: stamped at send, latency in ns, body prefix in base64."""
    samples = []
    for line in lines:
        if not line.strip():
            continue
        result = json.loads(line)
        body = base64.b64decode(result.get("body") or "")
        ok = result["code"] == 200 and not result["error"] and body.startswith(b'{"result"')
        samples.append(Sample(_timestamp(result["timestamp"]), result["latency"] / 1e9, ok))
    return sorted(samples, key=lambda sample: sample.sent)


def run_child(argv: Sequence[str], *, cwd: Path) -> tuple[float, float]:
    """Run `argv` to completion; return its (user + system CPU seconds, wall seconds)."""
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(
            f"{Path(argv[0]).name} exited with {process.returncode}: {errors.decode()[-2000:]}"
        )
    return usage.ru_utime + usage.ru_stime, wall


def run_ghz(
    service: GrpcService, ghz: str, data_file: Path, load: Load, scratch: Path
) -> GeneratorRun:
    report = scratch / f"ghz-{load.name}.json"
    argv = ghz_argv(service, ghz, data_file, load, report)
    cpu, wall = run_child(argv, cwd=scratch)
    samples = parse_ghz(json.loads(report.read_bytes()))
    report.unlink()
    return GeneratorRun(samples, cpu, wall, argv)


def run_vegeta(vegeta: str, targets: Path, load: Load, scratch: Path) -> GeneratorRun:
    results = scratch / f"vegeta-{load.name}.bin"
    argv = vegeta_argv(vegeta, targets, load, results)
    cpu, wall = run_child(argv, cwd=scratch)
    # Decoding the results afterwards is not part of the load, so not counted in its CPU.
    encoded = subprocess.run(
        [vegeta, "encode", "-to=json", str(results)], capture_output=True, text=True, check=True
    ).stdout
    results.unlink()
    return GeneratorRun(parse_vegeta(encoded.splitlines()), cpu, wall, argv)
