"""The processes a benchmark measures, and what /proc says about them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent
BENCH_AUDIT_KEY = "be" * 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kib(pid: int, key: str) -> int:
    """VmRSS (resident now) or VmHWM (peak resident) of one process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port}")


@dataclass
class Target:
    """One running system under test: its address and the pids whose cost is measured."""

    name: str
    address: str
    process: subprocess.Popen[bytes]
    pids: dict[str, int] = field(default_factory=dict)
    metrics_url: str | None = None

    def cpu(self) -> dict[str, float]:
        return {role: cpu_seconds(pid) for role, pid in self.pids.items()}

    def metric(self, name: str) -> float:
        assert self.metrics_url is not None
        with urllib.request.urlopen(self.metrics_url, timeout=5) as answer:  # noqa: S310
            for line in answer.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_opa(opa: str, bundle: Path) -> Target:
    port = free_port()
    process = subprocess.Popen(
        [opa, "run", "--server", "--addr", f"127.0.0.1:{port}", "--bundle", str(bundle),
         "--skip-version-check", "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port)
    return Target(
        name="opa",
        address=f"http://127.0.0.1:{port}/v1/data/vir/authz/decision",
        process=process,
        pids={"opa": process.pid},
    )


def start_sidecar(name: str, opa: str, workdir: Path, *, fsync: bool) -> Target:
    port, metrics_port = free_port(), free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "sidecar.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "sidecar", "serve", "--listen", f"127.0.0.1:{port}",
         "--metrics-listen", f"127.0.0.1:{metrics_port}", "--audit-dir", str(workdir / "audit"),
         "--opa-binary", opa, "--policy-dir", str(ROOT / "policies"), "--log-format", "json",
         "--audit-fsync" if fsync else "--no-audit-fsync"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        env={**os.environ, "VIR_AUDIT_KEY": BENCH_AUDIT_KEY},
    )  # fmt: skip
    # The metrics listener opens only once OPA serves the policy.
    wait_for_port(metrics_port)
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    deadline = time.monotonic() + 30
    while True:
        try:
            opa_pid = children(process.pid)[0]
            break
        except (IndexError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return Target(
        name=name,
        address=f"127.0.0.1:{port}",
        process=process,
        pids={"sidecar": process.pid, "opa": opa_pid},
        metrics_url=metrics_url,
    )
