"""Health tells the truth: a hung audit disk and a stopped OPA both turn it NOT_SERVING.

The audit disk is a real ext4 filesystem on a loop device, frozen with fsfreeze, so every
write to it blocks exactly as on a hung disk.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from integration_tests.processes import (
    Sidecar,
    audit_records,
    example_request,
    stop_process,
    wait_until,
)


@pytest.fixture
def loop_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A small ext4 filesystem mounted on a loop device, to freeze."""
    image = tmp_path / "audit.img"
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    subprocess.run(["truncate", "-s", "32M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["fsfreeze", "-u", str(mount_point)], check=False, capture_output=True)
    subprocess.run(["umount", str(mount_point)], check=True)


def test_frozen_audit_disk_turns_health_not_serving_and_back(
    tmp_path: Path, loop_filesystem: Path
) -> None:
    sidecar = Sidecar(
        tmp_path / "sidecar", extra_args=["--audit-dir", str(loop_filesystem / "audit")]
    ).start()
    try:
        assert sidecar.check(example_request()).allow is True
        subprocess.run(["fsfreeze", "-f", str(loop_filesystem)], check=True)
        try:
            wait_until(sidecar.not_serving, 8, "NOT_SERVING with the audit disk frozen")
            with pytest.raises(grpc.RpcError) as error:
                sidecar.check(example_request(), timeout=1)
            assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            time.sleep(1)
            assert sidecar.not_serving(), "stayed NOT_SERVING while frozen"
        finally:
            subprocess.run(["fsfreeze", "-u", str(loop_filesystem)], check=True)
        wait_until(sidecar.serving, 10, "SERVING after thaw")
        assert sidecar.check(example_request()).allow is True
    finally:
        sidecar.stop()
    events = [line for line in sidecar.log_lines() if line.get("event") == "health"]
    assert any("audit (no answer within" in str(line.get("why")) for line in events), events


def test_stopped_opa_is_killed_and_restarted_with_no_allow_in_between(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path / "sidecar").start()
    outcomes: list[tuple[float, str]] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                allowed = sidecar.check(example_request(), timeout=2).allow
                outcomes.append((time.monotonic(), "allow" if allowed else "deny"))
            except grpc.RpcError as error:
                outcomes.append((time.monotonic(), error.code().name))

    stopped_pid = sidecar.opa_pid()
    load = threading.Thread(target=hammer)
    try:
        stop_process(stopped_pid)
        stopped_at = time.monotonic()
        load.start()
        wait_until(sidecar.not_serving, 5, "NOT_SERVING while OPA is stopped")
        restarted_at = 0.0

        def restarted() -> bool:
            nonlocal restarted_at
            try:
                changed = sidecar.opa_pid() != stopped_pid
            except (AssertionError, OSError):
                return False
            restarted_at = time.monotonic()
            return changed

        wait_until(restarted, 30, "a new OPA")
        wait_until(sidecar.serving, 20, "SERVING after the restart")
        time.sleep(0.5)
    finally:
        stop.set()
        if load.is_alive():
            load.join()
        with contextlib.suppress(ProcessLookupError):
            os.kill(stopped_pid, signal.SIGCONT)
        sidecar.stop()
    assert not Path(f"/proc/{stopped_pid}").exists() or _is_zombie(stopped_pid)
    while_stopped = [o for t, o in outcomes if stopped_at <= t <= restarted_at]
    assert while_stopped, outcomes
    assert "allow" not in while_stopped, while_stopped
    assert "allow" in [o for t, o in outcomes if t > restarted_at], "no allow after the restart"
    events = [line.get("event") for line in sidecar.log_lines()]
    assert "opa_unresponsive" in events
    records = audit_records(sidecar.audit_dir)
    assert {r["outcome"] for r in records} <= {"allow", "error"}


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
