"""The managed OPA's garbage collector setting: GOGC=400 unless the operator sets GOGC."""

from __future__ import annotations

from pathlib import Path

import pytest

from integration_tests.processes import Sidecar
from sidecar.opa.command import OPA_GOGC


def opa_environment_of(sidecar: Sidecar) -> dict[str, str]:
    raw = Path(f"/proc/{sidecar.opa_pid()}/environ").read_bytes()
    pairs = (entry.partition(b"=") for entry in raw.split(b"\0") if entry)
    return {key.decode(): value.decode() for key, _, value in pairs}


def test_managed_opa_collects_garbage_less_often_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    sidecar = Sidecar(tmp_path).start()
    try:
        assert OPA_GOGC == "400"
        assert opa_environment_of(sidecar)["GOGC"] == OPA_GOGC
    finally:
        sidecar.stop()


def test_an_operators_gogc_reaches_the_managed_opa(tmp_path: Path) -> None:
    sidecar = Sidecar(tmp_path, env={"GOGC": "150"}).start()
    try:
        assert opa_environment_of(sidecar)["GOGC"] == "150"
    finally:
        sidecar.stop()
