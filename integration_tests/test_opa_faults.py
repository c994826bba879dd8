"""OPA dying, freezing or going away never produces an allow."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import grpc
import pytest

from integration_tests.processes import (
    OpaServer,
    Sidecar,
    example_request,
    stop_process,
    wait_until,
)


def check_status(sidecar: Sidecar, timeout: float = 5) -> grpc.StatusCode | bool:
    """The allow flag, or the gRPC status of a refusal."""
    try:
        return sidecar.check(example_request(), timeout=timeout).allow
    except grpc.RpcError as error:
        return error.code()


def test_external_opa_killed_gives_unavailable_and_not_serving_then_recovers(
    tmp_path: Path, opa_server: OpaServer
) -> None:
    sidecar = Sidecar(tmp_path, extra_args=["--opa-url", opa_server.url]).start()
    try:
        assert sidecar.check(example_request()).allow is True
        opa_server.stop()
        assert check_status(sidecar) == grpc.StatusCode.UNAVAILABLE
        wait_until(sidecar.not_serving, 5, "NOT_SERVING")
        assert check_status(sidecar) == grpc.StatusCode.UNAVAILABLE
        opa_server.start()
        wait_until(sidecar.serving, 10, "SERVING again")
        assert sidecar.check(example_request()).allow is True
    finally:
        sidecar.stop()


def test_supervised_opa_killed_is_restarted_and_no_allow_while_down(sidecar: Sidecar) -> None:
    first_pid = sidecar.opa_pid()
    os.kill(first_pid, signal.SIGKILL)
    outcomes = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        outcome = check_status(sidecar)
        outcomes.add(outcome)
        if outcome is True:
            break
        assert outcome in {grpc.StatusCode.UNAVAILABLE}, outcome
        time.sleep(0.02)
    assert outcomes & {True}, "never recovered"
    assert sidecar.opa_pid() != first_pid
    events = [line.get("event") for line in sidecar.log_lines()]
    assert "opa_exited" in events


def test_frozen_opa_gives_unavailable_within_the_timeout(sidecar: Sidecar) -> None:
    pid = sidecar.opa_pid()
    stop_process(pid)
    try:
        started = time.monotonic()
        assert check_status(sidecar) == grpc.StatusCode.UNAVAILABLE
        elapsed = time.monotonic() - started
        assert elapsed < 2.0, elapsed
        wait_until(sidecar.not_serving, 5, "NOT_SERVING while frozen")
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(sidecar.serving, 10, "SERVING after thaw")
    assert sidecar.check(example_request()).allow is True


def test_caller_deadline_shorter_than_opa_timeout_gives_deadline_exceeded(
    tmp_path: Path,
) -> None:
    sidecar = Sidecar(tmp_path, extra_args=["--opa-timeout", "3"]).start()
    pid = sidecar.opa_pid()
    stop_process(pid)
    try:
        assert check_status(sidecar, timeout=0.3) == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        os.kill(pid, signal.SIGCONT)
        sidecar.stop()


@pytest.mark.parametrize("missing", ["binary", "policy"])
def test_sidecar_refuses_to_start_without_opa_or_policy(tmp_path: Path, missing: str) -> None:
    args = ["--opa-binary", str(tmp_path / "no-opa")] if missing == "binary" else [
        "--policy-dir", str(tmp_path / "no-policies")]  # fmt: skip
    sidecar = Sidecar(tmp_path, extra_args=args).start(wait_serving=False)
    assert sidecar.process is not None
    assert sidecar.process.wait(30) != 0
    sidecar.stop()
