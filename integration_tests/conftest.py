from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integration_tests.processes import OpaServer, Sidecar


@pytest.fixture
def sidecar(tmp_path: Path) -> Iterator[Sidecar]:
    """A sidecar with its own supervised OPA."""
    process = Sidecar(tmp_path / "sidecar").start()
    yield process
    process.stop()


@pytest.fixture
def opa_server() -> Iterator[OpaServer]:
    server = OpaServer().start()
    yield server
    server.stop()
