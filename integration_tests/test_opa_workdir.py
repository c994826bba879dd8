"""The managed OPA's working directory: removed on stop, and removed on the next start when a
killed sidecar left it behind."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration_tests.processes import Sidecar, example_request


@pytest.fixture
def tmp_dir() -> Iterator[Path]:
    """The sidecar's TMPDIR: short, since OPA's unix socket path must fit in 107 bytes."""
    made = subprocess.check_output(["mktemp", "-d", "/tmp/vir-it-XXXXXX"], text=True)
    directory = Path(made.strip())
    yield directory
    subprocess.run(["rm", "-rf", str(directory)], check=False)


def workdirs(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("vir-opa-*"))


def test_workdir_left_by_a_killed_sidecar_is_removed_on_the_next_start(
    tmp_path: Path, tmp_dir: Path
) -> None:
    first = Sidecar(tmp_path / "first", env={"TMPDIR": str(tmp_dir)}).start()
    assert first.process is not None
    (left_behind,) = workdirs(tmp_dir)
    assert left_behind.name.startswith(f"vir-opa-{first.process.pid}-")
    first.signal(signal.SIGKILL)
    first.process.wait(10)
    first.stop()
    assert workdirs(tmp_dir) == [left_behind]
    second = Sidecar(tmp_path / "second", env={"TMPDIR": str(tmp_dir)}).start()
    try:
        assert second.process is not None
        assert not left_behind.exists()
        (current,) = workdirs(tmp_dir)
        assert current.name.startswith(f"vir-opa-{second.process.pid}-")
        assert second.check(example_request()).allow is True
    finally:
        second.stop()
    assert workdirs(tmp_dir) == []
