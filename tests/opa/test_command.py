"""The one opa lookup and the one `opa run` command line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sidecar.opa.command import (
    OPA_GOGC,
    READY_TIMEOUT_SECONDS,
    RULES_BUNDLE_NAME,
    OpaStartError,
    Verification,
    find_binary,
    opa_environment,
    run_command,
    verification_config,
    write_verification_config,
)


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


def test_run_command_on_a_unix_socket_is_private_and_serves_the_bundles() -> None:
    command = run_command(
        "opa",
        addr="unix:///run/x/opa.sock",
        bundles=[Path("/b/vir.tar.gz"), Path("/b/vir-settings")],
    )
    assert command[:5] == ["opa", "run", "--server", "--addr", "unix:///run/x/opa.sock"]
    assert command[5:7] == ["--unix-socket-perm", "600"]
    # --bundle is a boolean flag of `opa run`: the paths are the positional arguments after it.
    assert command[7:10] == ["--bundle", "/b/vir.tar.gz", "/b/vir-settings"]
    assert "--verification-key" not in command
    assert "--config-file" not in command
    assert "--skip-version-check" in command


def test_run_command_on_tcp_has_no_socket_permissions_and_takes_a_config_file() -> None:
    command = run_command(
        "opa",
        addr="127.0.0.1:8181",
        bundles=[Path("/b/vir-settings")],
        config_file=Path("/run/x/opa-config.json"),
    )
    assert "--unix-socket-perm" not in command
    at = command.index("--config-file")
    assert command[at : at + 4] == [
        "--config-file",
        "/run/x/opa-config.json",
        "--ready-timeout",
        str(READY_TIMEOUT_SECONDS),
    ]
    assert "--verification-key" not in command


def test_a_signed_rules_bundle_is_loaded_by_the_bundle_plugin_with_its_key(tmp_path: Path) -> None:
    key = tmp_path / "public.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n")
    rules = tmp_path / "run dir" / "vir-policy.tar.gz"
    config_file = write_verification_config(
        tmp_path / "opa-config.json", rules, Verification(key, "force-2026", "ES256")
    )
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    config = json.loads(config_file.read_text())
    assert config == verification_config(rules, Verification(key, "force-2026", "ES256"))
    assert config == {
        "bundles": {
            RULES_BUNDLE_NAME: {
                "resource": rules.as_uri(),
                "signing": {"keyid": "force-2026"},
            }
        },
        "keys": {"force-2026": {"algorithm": "ES256", "key": key.read_text()}},
    }
    assert "%20" in config["bundles"][RULES_BUNDLE_NAME]["resource"]


def test_opa_runs_with_gogc_400_unless_it_is_set() -> None:
    assert opa_environment({"PATH": "/bin"}) == {"PATH": "/bin", "GOGC": OPA_GOGC}
    assert OPA_GOGC == "400"
    assert opa_environment({"GOGC": "off"}) == {"GOGC": "off"}
