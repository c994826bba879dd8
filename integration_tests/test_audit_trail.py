"""The audit trail of the real sidecar: one record per Check, durable across kill -9."""

from __future__ import annotations

import errno
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
    verify_trail,
    wait_until,
)
from sidecar.api import pb, pb_grpc


def test_every_outcome_writes_exactly_one_record(sidecar: Sidecar) -> None:
    allowed = sidecar.check(example_request())
    denied = sidecar.check(example_request("counselling-denied"))
    invalid = example_request()
    invalid.record.category = pb.RECORD_CATEGORY_UNSPECIFIED
    with pytest.raises(grpc.RpcError):
        sidecar.check(invalid)
    opa_pid = sidecar.opa_pid()
    os.kill(opa_pid, signal.SIGSTOP)
    try:
        with pytest.raises(grpc.RpcError) as engine_fault:
            sidecar.check(example_request())
    finally:
        os.kill(opa_pid, signal.SIGCONT)
    assert engine_fault.value.code() == grpc.StatusCode.UNAVAILABLE

    records = audit_records(sidecar.audit_dir)
    assert [r["outcome"] for r in records] == ["allow", "deny", "invalid", "error"]
    assert records[0]["decision_id"] == allowed.decision_id
    assert records[1]["decision_id"] == denied.decision_id
    assert records[1]["codes"] == [f.code for f in denied.reasons]
    assert records[2]["error"] == "invalid_argument:record.category"
    assert records[3]["error"] == "opa_timeout"
    assert records[0]["policy_revision"] == allowed.policy_revision
    assert records[0]["requester_id"] == "PC-4821"
    assert records[0]["clearance_id"] == "CLR-2026-0441"
    assert records[0]["authoriser_id"] == "CI-1107"
    assert str(records[0]["request_digest"]).startswith("sha256:")
    assert str(records[0]["victim"]).startswith("hmac-sha256:")
    assert records[0]["counselling"] is True
    assert records[0]["requester_org"] == "thames_valley"
    assert records[0]["authoriser_rank"] == "chief_inspector"
    assert records[0]["notice_status"] == "given"
    assert records[0]["withholding_ground"] is None
    assert records[1]["counselling"] is True
    assert records[1]["authoriser_rank"] is None
    sidecar.stop()
    result = verify_trail(sidecar.audit_dir)
    assert result.returncode == 0, result.stdout + result.stderr


def fire_checks(sidecar: Sidecar, stop: threading.Event, received: list[str]) -> None:
    """Send checks until stopped, keeping every decision_id the sidecar answered with."""
    channel = grpc.insecure_channel(sidecar.address)
    stub = pb_grpc.AuthorizationServiceStub(channel)
    request = example_request()
    while not stop.is_set():
        try:
            received.append(stub.Check(request, timeout=2).decision_id)
        except grpc.RpcError:
            time.sleep(0.01)
    channel.close()


def test_kill_9_under_load_loses_no_answered_decision(tmp_path: Path) -> None:
    received: list[str] = []
    sidecar = Sidecar(tmp_path)
    for _round in range(3):
        sidecar.start()
        stop = threading.Event()
        callers = [
            threading.Thread(target=fire_checks, args=(sidecar, stop, received)) for _ in range(8)
        ]
        for caller in callers:
            caller.start()
        target = len(received) + 200
        wait_until(lambda: len(received) >= target, 30, "200 answered checks")  # noqa: B023
        sidecar.signal(signal.SIGKILL)
        assert sidecar.process is not None
        sidecar.process.wait(10)
        stop.set()
        for caller in callers:
            caller.join(10)
        sidecar.stop()

    recorded = {r["decision_id"] for r in audit_records(sidecar.audit_dir)}
    missing = [d for d in received if d not in recorded]
    assert len(received) >= 600
    assert missing == []
    # A kill can tear the last write; recovery quarantines it, and verify accepts only that.
    result = verify_trail(sidecar.audit_dir, "--accept-quarantined")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB filesystem (tmpfs) that a test can fill up; root is needed to mount it."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Write to the disk until the kernel says it is full (ENOSPC)."""
    filler = disk / "filler"
    failure: OSError | None = None
    with filler.open("wb", buffering=0) as handle:
        while failure is None:
            try:
                handle.write(b"\0" * 4096)
            except OSError as error:
                failure = error
    assert failure.errno == errno.ENOSPC
    return filler


def test_full_audit_disk_refuses_checks_then_recovers(tmp_path: Path, small_disk: Path) -> None:
    sidecar = Sidecar(tmp_path, extra_args=["--audit-dir", str(small_disk / "audit")]).start()
    try:
        assert sidecar.check(example_request()).allow is True
        filler = fill(small_disk)
        # The active file's last page may still have room for a few records.
        answered_while_full = 0
        refusal: grpc.RpcError | None = None
        while refusal is None and answered_while_full < 50:
            try:
                assert sidecar.check(example_request()).allow is True
                answered_while_full += 1
            except grpc.RpcError as error:
                refusal = error
        assert refusal is not None, "never refused on a full disk"
        assert refusal.code() == grpc.StatusCode.UNAVAILABLE
        assert "audit" in refusal.details()
        wait_until(sidecar.not_serving, 5, "NOT_SERVING while the disk is full")
        failures = sidecar.metric("vir_audit_write_failures_total")
        assert failures >= 1

        filler.unlink()
        wait_until(sidecar.serving, 10, "SERVING once space is freed")
        assert sidecar.check(example_request()).allow is True
    finally:
        sidecar.stop()
    outcomes = [r["outcome"] for r in audit_records(small_disk / "audit")]
    assert outcomes == ["allow"] * (answered_while_full + 2)
    result = verify_trail(small_disk / "audit")
    assert result.returncode == 0, result.stdout + result.stderr


def test_prefix_injected_allow_in_a_real_trail_fails_verify(sidecar: Sidecar) -> None:
    sidecar.check(example_request("counselling-denied"))
    sidecar.check(example_request())
    sidecar.stop()
    (active,) = sorted(sidecar.audit_dir.glob("audit-*.jsonl"))
    lines = active.read_bytes().splitlines(keepends=True)
    assert b'"outcome":"deny"' in lines[0]
    lines[0] = b'{"outcome":"allow","codes":[],' + lines[0][1:]
    active.write_bytes(b"".join(lines))

    result = verify_trail(sidecar.audit_dir)

    assert result.returncode == 1, result.stdout
    assert f"{active}:1: not the bytes that were sealed" in result.stdout


def test_edited_final_record_stops_restart_until_an_operator_accepts_it(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path).start()
    sidecar.check(example_request())
    denied = sidecar.check(example_request("counselling-denied"))
    sidecar.stop()
    (active,) = sorted(sidecar.audit_dir.glob("audit-*.jsonl"))
    lines = active.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b'"outcome":"deny"', b'"outcome":"allow"')
    active.write_bytes(b"".join(lines))
    edited = active.read_bytes()

    sidecar.start(wait_serving=False)
    assert sidecar.process is not None
    assert sidecar.process.wait(30) == 1
    failures = [line for line in sidecar.log_lines() if line.get("event") == "startup_failed"]
    assert "--audit-accept-damaged-tail" in str(failures[-1]["error"])
    assert active.read_bytes() == edited
    assert list(sidecar.audit_dir.glob("*.quarantine-*")) == []
    sidecar.stop()

    sidecar.extra_args = ["--audit-accept-damaged-tail"]
    sidecar.start()
    sidecar.check(example_request())
    sidecar.stop()

    records = audit_records(sidecar.audit_dir)
    assert [(r["seq"], r["outcome"], r["error"]) for r in records] == [
        (1, "allow", None),
        (2, "error", "audit_damaged_record_accepted"),
        (3, "allow", None),
    ]
    assert denied.decision_id not in {r["decision_id"] for r in records}
    (quarantine,) = sidecar.audit_dir.glob("*.quarantine-*")
    assert denied.decision_id.encode() in quarantine.read_bytes()
    whole = verify_trail(sidecar.audit_dir)
    assert whole.returncode == 1, whole.stdout
    assert "complete record" in whole.stdout
    chain = verify_trail(active)
    assert chain.returncode == 0, chain.stdout + chain.stderr


def test_torn_tail_after_kill_is_a_finding_until_accepted(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path).start()
    sidecar.check(example_request())
    sidecar.signal(signal.SIGKILL)
    assert sidecar.process is not None
    sidecar.process.wait(10)
    (active,) = sorted(sidecar.audit_dir.glob("audit-*.jsonl"))
    with active.open("ab") as file:
        file.write(b'{"authoriser_id":"CI-1107","cal')
    sidecar.stop()
    sidecar.start()
    sidecar.stop()

    assert len(list(sidecar.audit_dir.glob("*.quarantine-*"))) == 1
    assert verify_trail(sidecar.audit_dir).returncode == 1
    accepted = verify_trail(sidecar.audit_dir, "--accept-quarantined")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
