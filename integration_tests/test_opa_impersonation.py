"""No local process can stand in for OPA: the attack replayed with real processes.

The attacker runs as another user (nobody), as a hostile local user would. It reads every
`opa run --addr ...` from /proc, as `ps` does, and keeps trying to listen on each address
it has seen, answering allow to anything, while the test kills the real OPA again and again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from integration_tests.processes import (
    Sidecar,
    audit_records,
    example_request,
    opa_binary,
    wait_until,
)

FAKE_OPA = Path(__file__).with_name("fake_opa.py")
NOBODY = 65534
KILLS = 5


def as_nobody(*argv: str) -> list[str]:
    """Run the stand-in as another user; its source is passed inline (our files are private)."""
    return [
        "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
        "/usr/bin/python3", "-c", FAKE_OPA.read_text(encoding="utf-8"), *argv,
    ]  # fmt: skip


def events(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short TMPDIR for the sidecar: unix socket paths must fit in 107 bytes."""
    directory = Path(
        subprocess.check_output(["mktemp", "-d", "/tmp/vir-it-XXXXXX"], text=True).strip()
    )
    yield directory
    subprocess.run(["rm", "-rf", str(directory)], check=False)


def start_sidecar(workdir: Path, tmp: Path, *args: str, wait: bool = True) -> Sidecar:
    return Sidecar(workdir, extra_args=list(args), env={"TMPDIR": str(tmp)}).start(
        wait_serving=wait
    )


def listening_tcp_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def test_managed_opa_listens_only_on_a_unix_socket_in_a_private_directory(
    tmp_path: Path, short_tmp: Path
) -> None:
    sidecar = start_sidecar(tmp_path / "sidecar", short_tmp)
    try:
        pid = sidecar.opa_pid()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        address = argv[argv.index("--addr") + 1]
        assert address.startswith("unix://"), argv
        assert not any(a.startswith("--diagnostic-addr") for a in argv)
        socket_path = Path(address[len("unix://") :])
        for directory in (socket_path.parent, socket_path.parent.parent):
            info = directory.stat()
            assert stat.S_IMODE(info.st_mode) == 0o700, directory
            assert info.st_uid == os.getuid()
        assert stat.S_ISSOCK(socket_path.stat().st_mode)
        assert not socket_inodes(pid) & listening_tcp_inodes(), "OPA listens on TCP"
        assert sidecar.check(example_request()).allow is True
    finally:
        sidecar.stop()


def test_fake_opa_racing_for_the_address_while_opa_is_killed_never_gives_an_allow(
    tmp_path: Path, short_tmp: Path
) -> None:
    sidecar = start_sidecar(tmp_path / "sidecar", short_tmp)
    assert sidecar.process is not None
    attacker = subprocess.Popen(
        as_nobody("race", str(sidecar.process.pid)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd="/",
    )
    denied = example_request("counselling-denied")
    outcomes: Counter[str] = Counter()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                allowed = sidecar.check(denied, timeout=2).allow
                outcomes["allow" if allowed else "deny"] += 1
            except grpc.RpcError as error:
                outcomes[error.code().name] += 1

    load = threading.Thread(target=hammer)
    load.start()
    pids = []
    try:
        time.sleep(0.5)  # the attacker has seen the address
        for _ in range(KILLS):
            pid = sidecar.opa_pid()
            pids.append(pid)
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda old=pid: _new_opa(sidecar, old), 20, "restart")
            wait_until(sidecar.serving, 20, "SERVING after restart")
            time.sleep(0.3)
    finally:
        stop.set()
        load.join()
        attacker.terminate()
        output, _ = attacker.communicate(timeout=10)
        sidecar.stop()
    seen = events(output)
    answered = [e for e in seen if e["what"] == "answered"]
    assert outcomes["allow"] == 0, (outcomes, len(answered))
    assert outcomes["deny"] > 0, outcomes
    assert [r for r in audit_records(sidecar.audit_dir) if r["outcome"] == "allow"] == []
    assert answered == []
    assert seen, output[:2000]
    assert seen[0] == {"t": seen[0]["t"], "what": "racing", "uid": NOBODY}
    addresses = {e["address"] for e in seen if e["what"] == "seen"}
    assert len(addresses) >= KILLS, addresses
    assert all(str(a).startswith("unix://") for a in addresses), addresses
    refusals = [e for e in seen if e["what"] == "refused"]
    assert refusals, "the attacker never even tried"
    assert all("PermissionError" in str(e["why"]) for e in refusals), refusals
    assert [e for e in seen if e["what"] == "took"] == []
    assert len(set(pids)) == KILLS


def _new_opa(sidecar: Sidecar, old_pid: int) -> bool:
    try:
        return sidecar.opa_pid() != old_pid
    except (AssertionError, OSError):
        return False


def test_opa_socket_served_by_a_process_other_than_the_child_is_never_trusted(
    tmp_path: Path, short_tmp: Path
) -> None:
    """A fake `opa` whose grandchild serves the socket: right place, wrong process."""
    fake_binary = short_tmp / "opa"
    fake_binary.write_text(
        # The real opa builds the bundle; the fake runs the server.
        f'#!/bin/sh\n[ "$1" = run ] || exec {opa_binary()} "$@"\n'
        f'exec /usr/bin/python3 {FAKE_OPA} fork-serve "$@"\n',
        encoding="utf-8",
    )
    fake_binary.chmod(0o755)
    sidecar = start_sidecar(
        tmp_path / "sidecar", short_tmp, "--opa-binary", str(fake_binary), wait=False
    )
    grandchildren: list[int] = []
    try:
        assert sidecar.process is not None
        status = sidecar.process.wait(40)
        lines = sidecar.log_lines()
        grandchildren = [int(str(line["pid"])) for line in lines if line.get("what") == "took"]
        assert grandchildren, lines
        assert status != 0
        assert any(line.get("event") == "opa_socket_impostor" for line in lines), lines
        assert not any(line.get("event") == "health" and line.get("serving") for line in lines)
        assert not [line for line in lines if line.get("what") == "answered"]
        assert list(short_tmp.glob("vir-opa-*")) == []  # cleaned up after the failed start
    finally:
        for pid in grandchildren:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        sidecar.stop()
    assert audit_records(sidecar.audit_dir) == []


def test_unix_socket_of_another_user_is_never_trusted(tmp_path: Path, short_tmp: Path) -> None:
    """--opa-url unix://... served by a process of another user: not ready, no allow."""
    short_tmp.chmod(0o711)  # so that nobody can reach the shared directory
    shared = short_tmp / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o1777)
    path = shared / "opa.sock"
    fake = subprocess.Popen(
        as_nobody("serve", str(path)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until(path.exists, 10, "fake OPA socket")
        sidecar = start_sidecar(
            tmp_path / "sidecar", short_tmp, "--opa-url", f"unix://{path}", wait=False
        )
        try:
            wait_until(sidecar.not_serving, 30, "the sidecar up, NOT_SERVING")
            time.sleep(2)
            assert sidecar.not_serving()
            for _ in range(20):
                with pytest.raises(grpc.RpcError) as error:
                    sidecar.check(example_request("counselling-denied"))
                assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        finally:
            sidecar.stop()
    finally:
        fake.terminate()
        output, _ = fake.communicate(timeout=10)
    assert [e for e in events(output) if e["what"] == "answered"] == []
    records = audit_records(sidecar.audit_dir)
    assert len(records) == 20
    assert {r["outcome"] for r in records} == {"error"}
    errors = {r["error"] for r in records}
    # A connection the fake's short accept backlog refused is a plain connection error.
    assert "opa_impostor" in errors
    assert errors <= {"opa_impostor", "opa_connection"}
