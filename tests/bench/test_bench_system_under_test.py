"""What the benchmark reads from /proc, and the direct OPA's command line."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.system_under_test import (
    child_running,
    command_line,
    cpu_seconds,
    direct_opa_argv,
    machine_busy_seconds,
    memory_kib,
)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield process
    process.kill()
    process.wait()


def test_a_child_is_found_by_the_binary_it_runs(sleeper: subprocess.Popen[bytes]) -> None:
    assert child_running(os.getpid(), sys.executable) == sleeper.pid
    assert child_running(os.getpid(), shutil.which("true") or "/bin/true") is None
    assert command_line(sleeper.pid)[0] == sys.executable


def test_a_grandchild_behind_a_wrapper_is_found() -> None:
    sleep = shutil.which("sleep") or "/bin/sleep"
    wrapper = subprocess.Popen(["sh", "-c", f"{sleep} 30 & wait"])
    found = None
    try:
        for _ in range(100):
            found = child_running(os.getpid(), sleep)
            # The shell's child is seen by its binary a moment before its command line is.
            if found is not None and command_line(found) == [sleep, "30"]:
                break
            time.sleep(0.02)
        assert found is not None
        assert found != wrapper.pid
        assert command_line(found) == [sleep, "30"]
    finally:
        if found is not None:
            os.kill(found, signal.SIGKILL)
        wrapper.kill()
        wrapper.wait()


def test_cpu_and_memory_of_this_process() -> None:
    before, busy = cpu_seconds(os.getpid()), machine_busy_seconds()
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass

    assert cpu_seconds(os.getpid()) - before >= 0.15
    assert machine_busy_seconds() - busy >= 0.15
    assert 0 < memory_kib(os.getpid(), "VmRSS") <= memory_kib(os.getpid(), "VmHWM")


def test_direct_opa_gets_the_managed_flags_and_copies_of_its_files(tmp_path: Path) -> None:
    bundle = tmp_path / "managed" / "bundle"
    (bundle / "vir").mkdir(parents=True)
    (bundle / "vir" / "authz.rego").write_text("package vir.authz\n")
    config = tmp_path / "managed" / "config.yaml"
    config.write_text("decision_logs: {}\n")
    managed = [
        "/opt/opa", "run", "--server", "--addr", "unix:///run/vir/opa.sock",
        "--unix-socket-perm", "0600", "--config-file=" + str(config), "--bundle", str(bundle),
        "--log-level", "error", "--skip-version-check",
    ]  # fmt: skip

    argv = direct_opa_argv(managed, "127.0.0.1:8181", tmp_path / "copies")

    assert argv == [
        "/opt/opa", "run", "--server", "--addr", "127.0.0.1:8181",
        "--config-file=" + str(config), "--bundle", str(tmp_path / "copies" / "bundle"),
        "--log-level", "error", "--skip-version-check",
    ]  # fmt: skip
    assert (tmp_path / "copies" / "bundle" / "vir" / "authz.rego").read_text() == (
        "package vir.authz\n"
    )


def test_direct_opa_address_replaces_either_form_or_is_added(tmp_path: Path) -> None:
    assert direct_opa_argv(["opa", "run", "--addr=localhost:1"], "127.0.0.1:2", tmp_path) == [
        "opa", "run", "--addr", "127.0.0.1:2",
    ]  # fmt: skip
    short_form = ["opa", "run", "-a", "x", "--unix-socket-perm=0600"]
    assert direct_opa_argv(short_form, "h:3", tmp_path) == ["opa", "run", "--addr", "h:3"]
    assert direct_opa_argv(["opa", "run", "--server"], "h:4", tmp_path) == [
        "opa", "run", "--server", "--addr", "h:4",
    ]  # fmt: skip
