"""SIGTERM drains in-flight checks before the sidecar exits."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import grpc

from integration_tests.processes import Sidecar, example_request, wait_until


def process_gone(pid: int) -> bool:
    """True once the process has exited (a zombie awaiting its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_sigterm_drains_an_in_flight_check(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path, extra_args=["--opa-timeout", "5"]).start()
    opa_pid = sidecar.opa_pid()
    answers: list[object] = []

    def call() -> None:
        try:
            answers.append(sidecar.check(example_request(), timeout=10).allow)
        except grpc.RpcError as error:
            answers.append(error.code())

    os.kill(opa_pid, signal.SIGSTOP)  # hold the check inside the sidecar
    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)
    sidecar.signal(signal.SIGTERM)
    time.sleep(0.5)
    assert sidecar.process is not None
    assert sidecar.process.poll() is None, "exited before drain"
    os.kill(opa_pid, signal.SIGCONT)
    caller.join(15)
    assert answers == [True]
    assert sidecar.process.wait(15) == 0
    wait_until(lambda: process_gone(opa_pid), 10, "OPA stopped with the sidecar")
    sidecar.stop()
