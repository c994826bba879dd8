"""The processes a benchmark measures, and what /proc says about them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sidecar.opa.command import opa_environment
from sidecar.opa.entrypoint import DECISION_PATH

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent
BENCH_AUDIT_KEY = "be" * 32
START_TIMEOUT = 30.0
# opa run flags that only make sense for a unix socket listener; the direct target
# listens on loopback TCP instead, so these are dropped (with their value).
UNIX_SOCKET_FLAGS = ("--unix-socket-perm",)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time spent by everything on the machine, all cores, since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    assert fields[0] == "cpu"
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
    return (user + nice + system + irq + softirq) / CLOCK_TICKS


def memory_kib(pid: int, key: str) -> int:
    """VmRSS (resident now) or VmHWM (peak resident) of one process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().rstrip("\0").split("\0")


def child_running(pid: int, binary: str) -> int | None:
    """The pid of a descendant of `pid` that runs `binary` (after any exec), if any.

    Found by the executable, not by an address, so it holds wherever OPA listens.
    """
    waiting = children(pid)
    while waiting:
        child = waiting.pop(0)
        try:
            if os.path.samefile(f"/proc/{child}/exe", binary):
                return child
            waiting += children(child)
        except FileNotFoundError:
            continue
    return None


def wait_for_port(port: int, timeout: float = START_TIMEOUT) -> None:
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
    opa_argv: list[str] = field(default_factory=list)

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


def start_sidecar(name: str, opa: str, workdir: Path, *, fsync: bool) -> Target:
    """The sidecar with its own supervised OPA, JSON logs to a file, and audit in `workdir`."""
    port, metrics_port = free_port(), free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "sidecar.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sidecar", "serve", "--listen", f"127.0.0.1:{port}",
             "--metrics-listen", f"127.0.0.1:{metrics_port}",
             "--audit-dir", str(workdir / "audit"), "--opa-binary", opa,
             "--policy-dir", str(ROOT / "policies"), "--log-format", "json",
             "--audit-fsync" if fsync else "--no-audit-fsync"],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "VIR_AUDIT_KEY": BENCH_AUDIT_KEY},
        )  # fmt: skip
    try:
        # The metrics listener opens only once OPA serves the policy.
        wait_for_port(metrics_port)
        opa_pid = _wait_for_child(process.pid, opa)
        return Target(
            name=name,
            address=f"127.0.0.1:{port}",
            process=process,
            pids={"sidecar": process.pid, "opa": opa_pid},
            metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
            opa_argv=command_line(opa_pid),
        )
    except BaseException:
        process.kill()
        process.wait()
        raise


def _wait_for_child(pid: int, binary: str) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while (child := child_running(pid, binary)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} has no child running {binary}")
        time.sleep(0.05)
    return child


def direct_opa_argv(managed: Sequence[str], address: str, copies: Path) -> list[str]:
    """The managed OPA's own command line, listening on `address` instead.

    Every file or directory it names (bundle, config) is copied into `copies`, so the
    direct OPA serves the same policy with the same settings after the sidecar, which
    owns the originals, has gone.
    """
    argv: list[str] = []
    replaced = False
    items = iter(managed)
    for item in items:
        flag, equals, _ = item.partition("=")
        if flag in UNIX_SOCKET_FLAGS:
            if not equals:
                next(items, None)
            continue
        if flag in ("--addr", "-a"):
            if not equals:
                next(items, None)
            argv += ["--addr", address]
            replaced = True
            continue
        argv.append(_copied(item, copies) if argv else item)
    if not replaced:
        argv += ["--addr", address]
    return argv


def _copied(item: str, copies: Path) -> str:
    path = Path(item)
    if not path.is_absolute() or not path.exists():
        return item
    copies.mkdir(parents=True, exist_ok=True)
    copy = copies / path.name
    if path.is_dir():
        shutil.copytree(path, copy, dirs_exist_ok=True)
    else:
        shutil.copy2(path, copy)
    return str(copy)


def start_direct_opa(argv: Sequence[str], port: int, log_file: Path) -> Target:
    with log_file.open("wb") as log:
        # The managed OPA's environment too (its GOGC), as the sidecar gives it.
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=opa_environment(),
        )
    try:
        wait_for_port(port)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return Target(
        name="opa",
        address=f"http://127.0.0.1:{port}/v1/data/{DECISION_PATH}",
        process=process,
        pids={"opa": process.pid},
        opa_argv=list(argv),
    )
