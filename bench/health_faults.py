"""`make bench-health`: how fast health tells the truth about a hung audit disk and a stopped OPA.

Issue goals: with the audit disk frozen, health is NOT_SERVING within 2 s; a stopped
(SIGSTOP) managed OPA is killed and restarted after a few seconds. The sidecar runs with
its production defaults (--health-interval 1). The audit disk is a real ext4 filesystem
on a loop device, frozen with fsfreeze, so this needs root (mount, losetup).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.system_under_test import BENCH_AUDIT_KEY, ROOT, children, free_port

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
AUDIT_GOAL_SECONDS = 2.0


class Sidecar:
    def __init__(self, work: Path, audit_dir: Path) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sidecar", "serve", "--listen", self.address,
             "--metrics-listen", f"127.0.0.1:{free_port()}", "--audit-dir", str(audit_dir),
             "--policy-dir", str(ROOT / "policies"), "--log-format", "json"],
            stdout=(work / "sidecar.log").open("ab"), stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "VIR_AUDIT_KEY": BENCH_AUDIT_KEY},
        )  # fmt: skip
        self.channel = grpc.insecure_channel(self.address)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.wait_for(SERVING, 60)

    def status(self) -> int | None:
        try:
            answer = self.health.Check(health_pb2.HealthCheckRequest(), timeout=0.2)
        except grpc.RpcError:
            return None
        return int(answer.status)

    def wait_for(self, status: int, limit: float) -> float:
        return until(lambda: self.status() == status, limit)

    def opa_pid(self) -> int:
        return children(self.process.pid)[0]

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(30)


def until(condition: Callable[[], bool], limit: float) -> float:
    """Seconds until `condition` holds; raise if it does not within `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if condition():
            return time.monotonic() - started
        time.sleep(0.01)
    raise TimeoutError(f"not within {limit}s")


def frozen_audit_disk(work: Path, rounds: int) -> list[float]:
    image, mount = work / "audit.img", work / "mnt"
    mount.mkdir()
    subprocess.run(["truncate", "-s", "32M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount)], check=True)
    try:
        sidecar = Sidecar(work, mount / "audit")
        try:
            seconds = []
            for _ in range(rounds):
                time.sleep(1.3)  # a random phase against the 1 s probe interval
                subprocess.run(["fsfreeze", "-f", str(mount)], check=True)
                try:
                    seconds.append(sidecar.wait_for(NOT_SERVING, 30))
                finally:
                    subprocess.run(["fsfreeze", "-u", str(mount)], check=True)
                sidecar.wait_for(SERVING, 30)
            return seconds
        finally:
            sidecar.stop()
    finally:
        subprocess.run(["fsfreeze", "-u", str(mount)], check=False, capture_output=True)
        subprocess.run(["umount", str(mount)], check=True)


def stopped_opa(work: Path, rounds: int) -> list[tuple[float, float, float]]:
    sidecar = Sidecar(work, work / "audit")
    try:
        results = []
        for _ in range(rounds):
            pid = sidecar.opa_pid()
            os.kill(pid, signal.SIGSTOP)
            started = time.monotonic()
            not_serving = sidecar.wait_for(NOT_SERVING, 30)
            until(lambda: _restarted(sidecar, pid), 60)  # noqa: B023 (used at once)
            restarted = time.monotonic() - started
            sidecar.wait_for(SERVING, 30)
            results.append((not_serving, restarted, time.monotonic() - started))
        return results
    finally:
        sidecar.stop()


def _restarted(sidecar: Sidecar, old: int) -> bool:
    try:
        return sidecar.opa_pid() != old
    except (IndexError, OSError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vir-bench-health-") as scratch:
        work = Path(scratch)
        (work / "a").mkdir()
        (work / "o").mkdir()
        audit = frozen_audit_disk(work / "a", args.rounds)
        opa = stopped_opa(work / "o", args.rounds)
    worst = max(audit)
    print("| fault | rounds | measure | median s | worst s | goal | met |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| audit disk frozen (fsfreeze) | {len(audit)} | to NOT_SERVING |"
        f" {statistics.median(audit):.2f} | {worst:.2f} | ≤ {AUDIT_GOAL_SECONDS:.0f} s |"
        f" {'yes' if worst <= AUDIT_GOAL_SECONDS else '**no**'} |"
    )
    for index, what in enumerate(("to NOT_SERVING", "to a new OPA pid", "to SERVING again")):
        values = [round[index] for round in opa]
        print(
            f"| OPA stopped (SIGSTOP) | {len(opa)} | {what} | {statistics.median(values):.2f} |"
            f" {max(values):.2f} | - | - |"
        )
    return 0 if worst <= AUDIT_GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
