"""Working directories of killed sidecars are removed; live ones and foreign ones are not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sidecar.opa import workdir as opa_workdir


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def make(base: Path, name: str) -> Path:
    path = base / name
    (path / "run-1").mkdir(parents=True)
    (path / "run-1" / "opa.sock").write_bytes(b"")
    return path


def test_only_directories_of_dead_sidecars_are_removed(
    tmp_path: Path, dead_pid: int, live_pid: int
) -> None:
    dead = make(tmp_path, f"vir-opa-{dead_pid}-abc123")
    reused = make(tmp_path, f"vir-opa-{os.getpid()}-old_1")  # a restarted container's own pid
    live = make(tmp_path, f"vir-opa-{live_pid}-xyz789")
    unrelated = make(tmp_path, "vir-opa-notapid")
    other = make(tmp_path, f"something-{dead_pid}-abc")
    removed = opa_workdir.remove_stale(tmp_path)
    assert sorted(removed) == sorted([dead, reused])
    assert not dead.exists()
    assert not reused.exists()
    assert live.exists()
    assert unrelated.exists()
    assert other.exists()


def test_a_symlink_is_never_followed(tmp_path: Path, dead_pid: int) -> None:
    target = make(tmp_path, "precious")
    (tmp_path / f"vir-opa-{dead_pid}-link").symlink_to(target)
    assert opa_workdir.remove_stale(tmp_path) == []
    assert (target / "run-1" / "opa.sock").exists()


def test_create_removes_stale_directories_and_makes_a_private_one(
    tmp_path: Path, dead_pid: int
) -> None:
    stale = make(tmp_path, f"vir-opa-{dead_pid}-abc123")
    created = opa_workdir.create(tmp_path)
    assert not stale.exists()
    assert created.name.startswith(f"vir-opa-{os.getpid()}-")
    assert created.stat().st_mode & 0o777 == 0o700
    assert created.is_dir()
