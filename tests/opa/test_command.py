"""The one opa lookup and the one `opa run` command line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sidecar.opa.command import OpaStartError, Verification, find_binary, run_command


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_flag_wins_then_the_variable(tmp_path: Path) -> None:
    _executable(tmp_path / ".tools" / "bin" / "opa")
    env = {"VIR_OPA_BINARY": "/from/env/opa"}
    assert find_binary("/from/flag/opa", env, cwd=tmp_path) == "/from/flag/opa"
    assert find_binary(None, env, cwd=tmp_path) == "/from/env/opa"


def test_then_the_pinned_binary_under_the_checkout(tmp_path: Path) -> None:
    pinned = _executable(tmp_path / ".tools" / "bin" / "opa")
    assert find_binary(None, {"VIR_OPA_BINARY": " "}, cwd=tmp_path) == str(pinned.resolve())


def test_then_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _executable(tmp_path / "bin" / "opa")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_binary(None, {}, cwd=tmp_path / "elsewhere") == str(on_path)


def test_no_binary_anywhere_is_a_startup_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OpaStartError, match="no opa binary"):
        find_binary(None, {}, cwd=tmp_path)


def test_run_command_on_a_unix_socket_is_private_and_serves_the_bundle_file() -> None:
    command = run_command("opa", addr="unix:///run/x/opa.sock", bundle=Path("/b/vir.tar.gz"))
    assert command[:5] == ["opa", "run", "--server", "--addr", "unix:///run/x/opa.sock"]
    assert command[5:7] == ["--unix-socket-perm", "600"]
    # --bundle is a boolean flag of `opa run`: the path is the positional argument after it.
    assert command[7:9] == ["--bundle", "/b/vir.tar.gz"]
    assert "--verification-key" not in command
    assert "--skip-version-check" in command


def test_run_command_on_tcp_has_no_socket_permissions_and_verifies_when_asked() -> None:
    command = run_command(
        "opa",
        addr="127.0.0.1:8181",
        bundle=Path("/b/vir.tar.gz"),
        verification=Verification(Path("/k/public.pem"), "vir-bundle"),
    )
    assert "--unix-socket-perm" not in command
    at = command.index("--verification-key")
    assert command[at : at + 4] == [
        "--verification-key",
        "/k/public.pem",
        "--verification-key-id",
        "vir-bundle",
    ]
